"""The svhn kind: format-2 .mat files (written here with scipy when it is installed)."""

from __future__ import annotations

import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from training.config import DatasetConfig
from training.data import download, load_dataset, svhn
from training.errors import UserError


def _crops(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """X (32, 32, 3, N) uint8 and y (N, 1) with labels 1-10, as in the real files."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10 + 1  # 10 is the digit 0
    return rng.integers(0, 256, (32, 32, 3, count), dtype=np.uint8), labels.reshape(-1, 1)


def _svhn(folder: Path, **settings) -> DatasetConfig:
    return DatasetConfig(**{"kind": "svhn", "path": str(folder), "image_size": 32,
                            "channels": 3, "count": None, **settings})


def test_layout_and_labels_follow_the_format(tmp_path: Path, monkeypatch) -> None:
    X, y = _crops(12, 0)
    (tmp_path / "test_32x32.mat").write_bytes(b"read by the stand-in below")
    monkeypatch.setattr(svhn, "_loadmat", lambda path, source: {"X": X, "y": y})
    dataset = load_dataset(_svhn(tmp_path, split="test"))
    assert dataset.images.shape == (12, 3, 32, 32)
    assert dataset.images[5, 2, 7, 9] == X[7, 9, 2, 5]  # (row, column, channel, index)
    assert torch.equal(dataset.images[3].permute(1, 2, 0), torch.from_numpy(X[..., 3]))
    assert dataset.labels.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]
    gray = load_dataset(_svhn(tmp_path, split="test", image_size=64, channels=1, count=4))
    assert gray.images.shape == (4, 1, 64, 64) and gray.labels.tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize(("X", "y", "complaint"), [
    (np.zeros((32, 32, 3, 2), np.float64), np.ones((2, 1)), "X is float64"),
    (np.zeros((28, 28, 1, 2), np.uint8), np.ones((2, 1)), "X is uint8 (28, 28, 1, 2)"),
    (None, np.ones((2, 1)), "X is missing"),
    (np.zeros((32, 32, 3, 2), np.uint8), np.ones((3, 1)), "y does not match X"),
    (np.zeros((32, 32, 3, 2), np.uint8), np.zeros((2, 1)), "labels outside 1-10"),
])
def test_wrong_contents_are_user_errors(tmp_path, monkeypatch, X, y, complaint) -> None:
    bad = tmp_path / "train_32x32.mat"
    bad.write_bytes(b"read by the stand-in below")
    monkeypatch.setattr(svhn, "_loadmat", lambda path, source: {"X": X, "y": y})
    with pytest.raises(UserError) as caught:
        load_dataset(_svhn(tmp_path))
    assert str(caught.value).startswith(f"{bad}: dataset.path: {complaint}")
    assert "expected SVHN format 2" in str(caught.value)


def test_real_mat_files_round_trip(tmp_path: Path) -> None:
    scipy_io = pytest.importorskip("scipy.io", reason="scipy is not installed (train extra)")
    train_X, train_y = _crops(6, 1)
    test_X, test_y = _crops(4, 2)
    scipy_io.savemat(tmp_path / "train_32x32.mat", {"X": train_X, "y": train_y.astype(np.uint8)})
    scipy_io.savemat(tmp_path / "test_32x32.mat", {"X": test_X, "y": test_y.astype(np.uint8)})
    train = load_dataset(_svhn(tmp_path, split="train"))
    assert torch.equal(train.images, torch.from_numpy(train_X).permute(3, 2, 0, 1))
    both = load_dataset(_svhn(tmp_path, split="all", image_size=64, count=8))
    assert both.images.shape == (8, 3, 64, 64)
    assert both.labels.tolist() == [1, 2, 3, 4, 5, 6, 1, 2]
    assert "train_32x32.mat + test_32x32.mat" in both.source


@pytest.mark.parametrize("cut", [0, 200])
def test_corrupt_mat_file_names_the_file(tmp_path: Path, cut: int) -> None:
    scipy_io = pytest.importorskip("scipy.io", reason="scipy is not installed (train extra)")
    bad = tmp_path / "test_32x32.mat"
    if cut:
        X, y = _crops(3, 0)
        scipy_io.savemat(bad, {"X": X, "y": y.astype(np.uint8)})
        bad.write_bytes(bad.read_bytes()[:cut])  # truncated inside X
    else:
        bad.write_bytes(b"MATLAB? no")
    with pytest.raises(UserError) as caught:
        load_dataset(_svhn(tmp_path, split="test"))
    assert str(caught.value).startswith(f"{bad}: dataset.path: ")
    assert "expected SVHN format 2" in str(caught.value) and "\n" not in str(caught.value)


def test_missing_scipy_is_one_line(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "train_32x32.mat").write_bytes(b"never parsed")
    monkeypatch.setitem(sys.modules, "scipy.io", None)  # import scipy.io raises ImportError
    with pytest.raises(UserError, match="dataset.kind: svhn reads .mat files with scipy"):
        load_dataset(_svhn(tmp_path), "svhn.yaml")


def test_missing_files_say_which_files_go_where(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        load_dataset(_svhn(tmp_path / "data" / "svhn", split="all"), "experiments/svhn/study.yaml")
    assert str(caught.value) == (
        f"experiments/svhn/study.yaml: dataset.path: folder not found: {tmp_path}/data/svhn; "
        "put train_32x32.mat or test_32x32.mat there (format 2 from "
        "http://ufldl.stanford.edu/housenumbers/), or set dataset.download: true, "
        "or pass --set dataset.path=/your/folder"
    )
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="for split 'test' here.*put test_32x32.mat there "):
        load_dataset(_svhn(tmp_path / "empty", split="test"))


def test_download_offline_is_one_line(tmp_path: Path, monkeypatch) -> None:
    def offline(url, folder, filename, md5):
        raise urllib.error.URLError("[Errno 101] Network is unreachable")

    monkeypatch.setattr(download, "download_url", offline)
    with pytest.raises(UserError) as caught:
        load_dataset(_svhn(tmp_path / "svhn", split="test", download=True), "svhn.yaml")
    assert str(caught.value).startswith(
        f"svhn.yaml: dataset.download: could not download test_32x32.mat into {tmp_path}/svhn "
        "(http://ufldl.stanford.edu/housenumbers/test_32x32.mat: [Errno 101] Network is "
        "unreachable); put test_32x32.mat there (format 2"
    )
