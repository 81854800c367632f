"""The mnist kind: IDX images and labels, splits, the real test set, downloads (offline)."""

from __future__ import annotations

import gzip
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.training.conftest import MNIST_DIR
from training.config import DatasetConfig
from training.data import download, load_dataset, read_idx_images, read_idx_labels
from training.errors import UserError

MNIST_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # its README


def _write_images(path: Path, digits: np.ndarray) -> None:
    header = struct.pack(">IIII", 2051, len(digits), 28, 28)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as handle:
        handle.write(header + digits.tobytes())


def _write_labels(path: Path, labels: np.ndarray) -> None:
    with gzip.open(path, "wb") as handle:
        handle.write(struct.pack(">II", 2049, len(labels)) + labels.astype(np.uint8).tobytes())


def _write_split(folder: Path, prefix: str, count: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    digits = rng.integers(0, 255, (count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, count, dtype=np.uint8)
    _write_images(folder / f"{prefix}-images-idx3-ubyte.gz", digits)
    _write_labels(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return digits, labels


def _mnist(folder: Path, **settings) -> DatasetConfig:
    return DatasetConfig(**{"kind": "mnist", "path": str(folder), "image_size": 28,
                            "channels": 1, "count": None, **settings})


def test_idx_readers_round_trip(tmp_path: Path) -> None:
    digits, labels = _write_split(tmp_path, "t10k", 12, 0)
    assert np.array_equal(read_idx_images(tmp_path / "t10k-images-idx3-ubyte.gz"), digits)
    assert np.array_equal(read_idx_labels(tmp_path / "t10k-labels-idx1-ubyte.gz"), labels)


def test_splits_pick_their_files_and_keep_labels_aligned(tmp_path: Path) -> None:
    train, train_labels = _write_split(tmp_path, "train", 6, 1)
    test, test_labels = _write_split(tmp_path, "t10k", 4, 2)
    only_train = load_dataset(_mnist(tmp_path, split="train"))
    assert torch.equal(only_train.images[:, 0], torch.from_numpy(train))
    assert torch.equal(only_train.labels, torch.from_numpy(train_labels))
    assert load_dataset(_mnist(tmp_path, split="test")).labels.tolist() == test_labels.tolist()
    both = load_dataset(_mnist(tmp_path, split="all", count=8))
    assert both.images.shape == (8, 1, 28, 28) and both.labels.dtype == torch.uint8
    assert both.labels.tolist() == [*train_labels, *test_labels[:2]]  # train first, then capped
    assert "train + t10k" in both.source


def test_resized_to_rgb_and_without_labels_file(tmp_path: Path) -> None:
    digits = np.random.default_rng(0).integers(0, 255, (12, 28, 28), dtype=np.uint8)
    _write_images(tmp_path / "t10k-images-idx3-ubyte", digits)  # unpacked, no labels beside
    dataset = load_dataset(_mnist(tmp_path, image_size=64, channels=3, count=10))
    assert dataset.images.shape == (10, 3, 64, 64) and dataset.labels is None
    assert torch.equal(dataset.images[:, 0], dataset.images[:, 2])  # gray copied to 3 channels


def test_real_mnist_test_set() -> None:
    if not MNIST_DIR.is_dir():
        pytest.skip(f"the shared MNIST test set is not at {MNIST_DIR.resolve()}")
    dataset = load_dataset(_mnist(MNIST_DIR, split="test"))
    assert dataset.images.shape == (10000, 1, 28, 28) and dataset.images.max() == 255
    assert torch.bincount(dataset.labels.long()).tolist() == MNIST_CLASS_COUNTS
    small = load_dataset(_mnist(MNIST_DIR, image_size=32, count=100))  # split all: t10k only
    assert small.images.shape == (100, 1, 32, 32) and small.images.max() > 200
    assert torch.equal(small.labels, dataset.labels[:100])


def test_real_mnist_has_no_train_split() -> None:
    if not MNIST_DIR.is_dir():
        pytest.skip(f"the shared MNIST test set is not at {MNIST_DIR.resolve()}")
    with pytest.raises(UserError) as caught:
        load_dataset(_mnist(MNIST_DIR, split="train"), "experiments/mnist/study.yaml")
    message = str(caught.value)
    assert message.startswith("experiments/mnist/study.yaml: dataset.path: no MNIST images")
    assert "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz" in message
    assert "dataset.download: true" in message and "\n" not in message


def test_gz_and_unpacked_copy_count_each_digit_once(tmp_path: Path) -> None:
    digits, _ = _write_split(tmp_path, "t10k", 12, 1)
    _write_images(tmp_path / "t10k-images-idx3-ubyte", digits)
    assert load_dataset(_mnist(tmp_path, count=0)).images.shape == (12, 1, 28, 28)


@pytest.mark.parametrize("content", [b"not gzip at all", b"", gzip.compress(b"\x00\x00\x08")])
def test_corrupt_idx_file_is_a_user_error_naming_the_file(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(content)
    with pytest.raises(UserError) as caught:
        load_dataset(_mnist(tmp_path))
    assert str(caught.value).startswith(f"{bad}: dataset.path: ")
    assert "expected MNIST's *-images-idx3-ubyte[.gz]" in str(caught.value)


def test_truncated_or_mislabelled_files_are_user_errors(tmp_path: Path) -> None:
    digits, labels = _write_split(tmp_path, "t10k", 5, 0)
    images = tmp_path / "t10k-images-idx3-ubyte.gz"
    images.write_bytes(gzip.compress(gzip.decompress(images.read_bytes())[:-100]))
    with pytest.raises(UserError, match="truncated IDX file"):
        load_dataset(_mnist(tmp_path))
    _write_images(images, digits)
    _write_labels(tmp_path / "t10k-labels-idx1-ubyte.gz", labels[:4])
    with pytest.raises(UserError, match="4 labels for 5 images"):
        load_dataset(_mnist(tmp_path))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").rename(tmp_path / "t10k-images-idx3-ubyte")
    images.unlink()
    with pytest.raises(UserError, match="magic 2049, expected 2051"):
        load_dataset(_mnist(tmp_path))


def test_download_offline_is_one_line_and_leaves_nothing(tmp_path, monkeypatch) -> None:
    tried = []

    def offline(url, folder, filename, md5):
        tried.append(url)
        (folder / filename).write_bytes(b"half a file")
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(download, "download_url", offline)
    target = tmp_path / "mnist"
    with pytest.raises(UserError) as caught:
        load_dataset(_mnist(target, split="test", download=True), "mnist.yaml")
    message = str(caught.value)
    assert message.startswith("mnist.yaml: dataset.download: could not download "
                              f"t10k-images-idx3-ubyte.gz into {target} (")
    assert "Temporary failure in name resolution" in message and "\n" not in message
    assert message.endswith("; put MNIST's IDX files t10k-images-idx3-ubyte.gz, "
                            "t10k-labels-idx1-ubyte.gz there (gzipped or not) yourself")
    assert len(tried) == 2 and all(url.endswith("/t10k-images-idx3-ubyte.gz") for url in tried)
    assert list(target.iterdir()) == []  # the half-written file is gone


def test_download_tries_the_next_mirror_and_skips_present_files(tmp_path, monkeypatch) -> None:
    digits, labels = _write_split(tmp_path, "t10k", 3, 0)
    source = {name: (tmp_path / name).read_bytes() for name in
              ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
    target, tried = tmp_path / "fetched", []

    def first_mirror_down(url, folder, filename, md5):
        tried.append(url)
        if len(tried) % 2:
            raise urllib.error.URLError("connection refused")
        (folder / filename).write_bytes(source[filename])

    monkeypatch.setattr(download, "download_url", first_mirror_down)
    fetched = load_dataset(_mnist(target, split="test", download=True))
    assert fetched.labels.tolist() == labels.tolist() and len(tried) == 4
    load_dataset(_mnist(target, split="test", download=True))
    assert len(tried) == 4  # everything was there: no network at all
