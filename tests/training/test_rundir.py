"""RunWriter: atomic writes through the contract, JSONL appends and trims, checkpoint rotation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from PIL import Image

from ganreport import runformat as rf
from training.rundir import RunWriter, atomic_write, dump_yaml, finite_or_none, read_jsonl


def test_non_finite_numbers_become_null(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    writer.start()
    writer.append_jsonl(rf.METRICS, {"step": 1, "loss_d": math.nan, "loss_g": math.inf})
    row = json.loads((tmp_path / rf.METRICS).read_text())
    assert row == {"step": 1, "loss_d": None, "loss_g": None}
    assert finite_or_none({"a": [1.0, -math.inf]}) == {"a": [1.0, None]}


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old")

    def fail(handle) -> None:
        handle.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail, durable=True)
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_grid_is_8x8_with_2px_padding(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    writer.start()
    relative = writer.write_grid(3, torch.rand(64, 3, 16, 16) * 2 - 1)
    assert relative == rf.sample_name(3) == "samples/epoch_0003.png"
    with Image.open(tmp_path / relative) as image:
        assert image.size == (8 * 18 + 2, 8 * 18 + 2)
        side = rf.GRID_COLUMNS * (16 + rf.GRID_PADDING) + rf.GRID_PADDING  # what the site reads
        assert image.size == (side, side)


def test_a_writer_draws_and_records_its_own_grid_geometry(tmp_path: Path) -> None:
    """The geometry a writer draws with is the one it hands summary.json (`grid`)."""
    writer = RunWriter(tmp_path, columns=4, padding=1)
    writer.start()
    writer.write_grid(1, torch.rand(64, 3, 16, 16) * 2 - 1)
    with Image.open(tmp_path / rf.sample_name(1)) as image:
        assert image.size == (4 * 17 + 1, 16 * 17 + 1)
    assert writer.grid == {"columns": 4, "padding": 1}
    assert RunWriter(tmp_path).grid == {"columns": rf.GRID_COLUMNS, "padding": rf.GRID_PADDING}


def test_real_grid_takes_uint8_images(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    images = torch.randint(0, 256, (80, 1, 8, 8), dtype=torch.uint8)
    assert writer.write_real_grid(images) == rf.REAL_GRID
    with Image.open(tmp_path / rf.REAL_GRID) as image:
        assert image.size == (8 * 10 + 2, 8 * 10 + 2)  # 64 of the 80
        value = images[0, 0, 0, 0].item()
        assert image.convert("RGB").getpixel((2, 2)) == (value,) * 3  # first image, top left


def test_start_removes_nothing(tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "epoch_0099.png").write_bytes(b"old")
    (tmp_path / "metrics.jsonl").write_text("{}\n")
    (tmp_path / "notes.md").write_text("mine")
    RunWriter(tmp_path).start()
    assert (tmp_path / "samples" / "epoch_0099.png").read_bytes() == b"old"
    assert (tmp_path / "metrics.jsonl").read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoints", "metrics.jsonl", "notes.md", "samples"]


def test_trim_keeps_rows_up_to_a_step_and_drops_a_torn_line(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    for step in (1, 2, 3, 4):
        writer.append_jsonl(rf.METRICS, {"step": step, "loss_d": 0.5})
    with open(tmp_path / rf.METRICS, "a") as handle:
        handle.write('{"step": 5, "loss')  # torn by a kill
    assert writer.trim_jsonl(rf.METRICS, lambda row: row["step"] <= 2) == 3
    assert [row["step"] for row in read_jsonl(tmp_path / rf.METRICS)] == [1, 2]


def test_checkpoints_rotate_last_into_previous(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    writer.start()
    writer.write_checkpoint({"step": 1})
    assert not (tmp_path / rf.PREVIOUS_CHECKPOINT).exists()
    writer.write_checkpoint({"step": 2})
    writer.write_checkpoint({"step": 3})
    load = lambda name: torch.load(tmp_path / name, weights_only=True)["step"]  # noqa: E731
    assert (load(rf.LAST_CHECKPOINT), load(rf.PREVIOUS_CHECKPOINT)) == (3, 2)
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert names == ["last.pt", "previous.pt"]


def test_remove_samples_after_keeps_earlier_grids_and_the_real_grid(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    for epoch in (0, 1, 2, 3):
        writer.write_grid(epoch, torch.zeros(4, 3, 4, 4))
    writer.write_real_grid(torch.zeros(4, 3, 4, 4, dtype=torch.uint8))
    writer.remove_samples_after(1)
    names = sorted(p.name for p in (tmp_path / "samples").iterdir())
    assert names == ["epoch_0000.png", "epoch_0001.png", "real.png"]


def test_config_yaml_keeps_order_and_inline_lists() -> None:
    text = dump_yaml({"study": "s", "loss": {"real_label_range": [0.7, 1.0]}})
    assert text == "study: s\nloss:\n  real_label_range: [0.7, 1.0]\n"
