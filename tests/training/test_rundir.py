"""RunWriter: atomic whole-file writes, JSONL appends, null for non-finite numbers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from PIL import Image

from training.rundir import RunWriter, atomic_write, dump_yaml, finite_or_none


def test_non_finite_numbers_become_null(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    writer.start()
    writer.append_jsonl("metrics.jsonl", {"step": 1, "loss_d": math.nan, "loss_g": math.inf})
    row = json.loads((tmp_path / "metrics.jsonl").read_text())
    assert row == {"step": 1, "loss_d": None, "loss_g": None}
    assert finite_or_none({"a": [1.0, -math.inf]}) == {"a": [1.0, None]}


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old")

    def fail(handle) -> None:
        handle.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_grid_is_8x8_with_2px_padding(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    writer.start()
    relative = writer.write_grid(3, torch.rand(64, 3, 16, 16) * 2 - 1)
    assert relative == "samples/epoch_0003.png"
    with Image.open(tmp_path / relative) as image:
        assert image.size == (8 * 18 + 2, 8 * 18 + 2)


def test_start_clears_an_earlier_run(tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "epoch_0099.png").write_bytes(b"old")
    (tmp_path / "metrics.jsonl").write_text("{}\n")
    (tmp_path / "notes.md").write_text("mine")
    RunWriter(tmp_path).start()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoints", "notes.md", "samples"]


def test_config_yaml_keeps_order_and_inline_lists() -> None:
    text = dump_yaml({"study": "s", "loss": {"real_label_range": [0.7, 1.0]}})
    assert text == "study: s\nloss:\n  real_label_range: [0.7, 1.0]\n"
