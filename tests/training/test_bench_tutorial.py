"""The benchmark's reference loop: JPEGs written once, the tutorial's nets, a tiny timed run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from training import bench_tutorial
from training.bench_tutorial import Discriminator, Generator, run_reference, write_jpegs
from training.errors import UserError


def test_jpegs_are_written_once_and_reused(tmp_path: Path, monkeypatch) -> None:
    root = write_jpegs(tmp_path, count=5, size=96, seed=2, processes=1)
    files = sorted((root / "images").glob("*.jpg"))
    assert len(files) == 5 and json.loads((root / "manifest.json").read_text())["count"] == 5
    with Image.open(files[0]) as first:
        assert (first.format, first.size, first.mode) == ("JPEG", (96, 96), "RGB")
    stamps = [path.stat().st_mtime_ns for path in files]
    monkeypatch.setattr(bench_tutorial, "_write_jpeg", lambda job: pytest.fail("rewrote"))
    assert write_jpegs(tmp_path, count=5, size=96, seed=2) == root  # complete: reused
    assert [path.stat().st_mtime_ns for path in files] == stamps
    monkeypatch.undo()
    files[3].unlink()  # incomplete: written again
    assert write_jpegs(tmp_path, count=5, size=96, seed=2, processes=1) == root
    assert files[3].is_file()
    assert write_jpegs(tmp_path, count=3, size=96, seed=2, processes=1) != root


def test_tutorial_nets_at_64_px_are_the_tutorials() -> None:
    netG, netD = Generator(), Discriminator()
    assert sum(p.numel() for p in netG.parameters()) == 3_576_704  # the tutorial's printed G
    assert sum(p.numel() for p in netD.parameters()) == 2_765_568
    fake = netG(torch.randn(2, 100, 1, 1))
    assert fake.shape == (2, 3, 64, 64)
    assert isinstance(netD.main[-1], torch.nn.Sigmoid) and netD(fake).shape == (2, 1, 1, 1)
    assert Generator(image_size=32)(torch.randn(2, 100, 1, 1)).shape == (2, 3, 32, 32)
    with pytest.raises(UserError, match="power of two"):
        Discriminator(image_size=48)


def test_a_tiny_reference_run_trains_and_reports_a_rate(tmp_path: Path) -> None:
    root = write_jpegs(tmp_path, count=6, size=128, processes=1)
    result = run_reference(root, image_size=64, batch_size=4, steps=2, device="cpu", warmup=1,
                           workers=0)
    assert result["images_per_s"] > 0 and result["images"] == 4 + 2  # 6 images: 4, then 2
    assert (result["steps"], result["dataset_images"], result["epochs_started"]) == (2, 6, 2)
    assert 0 < result["last_step"]["d_x"] < 1 and result["last_step"]["loss_d"] > 0
    assert result["peak_device_mb"] is None


def test_reference_without_jpegs_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no JPEG class folder here"):
        run_reference(tmp_path, steps=1, workers=0)


def test_parallel_writing_gives_the_same_files(tmp_path: Path) -> None:
    serial = write_jpegs(tmp_path / "serial", count=8, size=64, processes=1)
    parallel = write_jpegs(tmp_path / "parallel", count=8, size=64, processes=2)
    for one, other in zip(sorted(serial.rglob("*.jpg")), sorted(parallel.rglob("*.jpg")),
                          strict=True):
        assert one.read_bytes() == other.read_bytes()


def test_command_line_errors_are_one_line(tmp_path: Path, capsys) -> None:
    assert bench_tutorial.main(["--folder", str(tmp_path), "--images", "0"]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path}: count: at least one JPEG, not 0\n"
