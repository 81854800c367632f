"""RunWriter: the only code that writes a run folder (docs/run-format.md).

Whole files go to a temporary file in the same folder and are renamed over the
target, so the site builder never reads half a file; JSONL rows are appended
one whole line at a time and flushed. Non-finite numbers become null.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import torch
import torchvision
import yaml
from torchvision.utils import make_grid

FORMAT_VERSION = 1
RUN_FILES = ("config.yaml", "env.json", "metrics.jsonl", "epochs.jsonl", "summary.json")
RUN_FOLDERS = ("samples", "checkpoints")


def now_iso() -> str:
    """UTC time, ISO 8601 with offset, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def finite_or_none(value: Any) -> Any:
    """Replace NaN/inf (anywhere in a nested structure) with None: JSON has no NaN."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    return value


class _FlowListDumper(yaml.SafeDumper):
    """Writes short lists inline ([0.7, 1.0]) and keeps mappings in block style."""


_FlowListDumper.add_representer(
    list,
    lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True),
)


def dump_yaml(tree: dict[str, Any]) -> str:
    """The config as readable YAML in field order."""
    return yaml.dump(tree, Dumper=_FlowListDumper, sort_keys=False, allow_unicode=True, width=100)


def atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call write(handle) on a temporary file beside path, then rename it over path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False)
    try:
        with handle:
            write(handle)
        os.chmod(handle.name, 0o644)  # temp files are private (0600); run files are not
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


class RunWriter:
    """Writes one run folder `runs/<study>/<version>/`."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def start(self) -> None:
        """Clear what an earlier run left here (only the files this format defines)."""
        for name in RUN_FILES:
            (self.folder / name).unlink(missing_ok=True)
        for name in RUN_FOLDERS:
            shutil.rmtree(self.folder / name, ignore_errors=True)
        (self.folder / "samples").mkdir(parents=True, exist_ok=True)
        (self.folder / "checkpoints").mkdir(exist_ok=True)

    def write_text(self, name: str, text: str) -> None:
        atomic_write(self.folder / name, lambda handle: handle.write(text.encode("utf-8")))

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        self.write_text(name, json.dumps(finite_or_none(data), indent=2, allow_nan=False) + "\n")

    def write_config(self, tree: dict[str, Any]) -> None:
        self.write_text("config.yaml", dump_yaml(tree))

    def append_jsonl(self, name: str, row: dict[str, Any]) -> None:
        """Append one whole line and flush, so a crash tears at most the last line."""
        line = json.dumps(finite_or_none(row), allow_nan=False) + "\n"
        with open(self.folder / name, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()

    def write_grid(self, epoch: int, images: torch.Tensor) -> str:
        """Save (64, C, S, S) images in [-1, 1] as an 8x8 PNG grid; return its relative path."""
        grid = make_grid(
            images.detach().float().cpu(), nrow=8, padding=2, normalize=True, value_range=(-1, 1)
        )  # (C, H, W) in [0, 1]
        pixels = grid.mul(255).add(0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
        from PIL import Image  # local: only grids need PIL here

        relative = f"samples/epoch_{epoch:04d}.png"
        picture = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
        atomic_write(self.folder / relative, lambda handle: picture.save(handle, format="PNG"))
        return relative

    def write_checkpoint(self, state: dict[str, Any]) -> None:
        atomic_write(
            self.folder / "checkpoints" / "last.pt", lambda handle: torch.save(state, handle)
        )


def git_state(repo: Path) -> tuple[str | None, bool]:
    """(commit, dirty) of the checkout holding `repo`; (None, False) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, False
    return commit or None, bool(status.strip())


def environment(device: torch.device, seed: int, command: str) -> dict[str, Any]:
    """env.json: what ran where, so a reader can reproduce it."""
    commit, dirty = git_state(Path(__file__).resolve().parents[1])
    cuda = torch.version.cuda if device.type == "cuda" else None
    if device.type == "cuda":
        device_name = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        device_name = "Apple GPU (mps)"
    else:
        device_name = (
            f"CPU, {platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)"
        )
    return {
        "format_version": FORMAT_VERSION,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "device": device.type,
        "device_name": device_name,
        "cuda": cuda,
        "git_commit": commit,
        "git_dirty": dirty,
        "seed": seed,
        "command": command,
        "platform": platform.platform(),
        "started_at": now_iso(),
        "threads": torch.get_num_threads(),
        "argv": sys.argv,
    }
