"""The real-against-real floor, measured once per study and copied into each version.

The floor is `real_floor` (a second real sample measured like a generated one). Every
version of a study measures against the same reference sample, so the first version to
measure stores it in its quality.json with a key (a hash of the reference images and the
metric settings); a later version whose key matches reuses it instead of measuring again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from ganreport import runformat as rf
from training.metrics import real_floor
from training.metrics.measure import Reference


def floor_key(reference: Reference) -> str:
    """Hash of the reference images, the metric settings (not the device) and the metrics."""
    digest = hashlib.sha256(reference.real.contiguous().numpy().tobytes())
    settings = {k: v for k, v in dataclasses.asdict(reference.settings).items() if k != "device"}
    digest.update(json.dumps([settings, sorted(reference.states)], sort_keys=True).encode())
    return digest.hexdigest()[:16]


def sibling_floor(folder: Path, key: str) -> dict[str, Any] | None:
    """A floor stored with the same key by another version of the study, if any."""
    for sibling in sorted(folder.parent.iterdir()):
        if sibling == folder or rf.is_set_aside(sibling.name) or not sibling.is_dir():
            continue
        try:
            stored = json.loads((sibling / rf.QUALITY_SUMMARY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(stored, dict) and stored.get("floor_key") == key \
                and isinstance(stored.get("floor"), dict) and stored["floor"]:
            return stored["floor"]
    return None


def study_floor(folder: Path, real: torch.Tensor, reference: Reference
                ) -> tuple[dict[str, Any], str]:
    """(floor row, its key): a sibling version's when the key matches, else measured now."""
    key = floor_key(reference)
    found = sibling_floor(folder, key)
    return (found if found is not None else real_floor(real, reference)), key
