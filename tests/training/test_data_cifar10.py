"""The cifar10 kind: python batches (written here in the real format), the safe unpickler."""

from __future__ import annotations

import os
import pickle
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from training.config import DatasetConfig
from training.data import cifar10, download, load_dataset
from training.errors import UserError


def _batch(count: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {
        b"batch_label": b"training batch 1 of 5",
        b"labels": [int(v) for v in rng.integers(0, 10, count)],
        b"data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
        b"filenames": [f"img_{i}.png".encode() for i in range(count)],
    }


def _write(path: Path, batch: dict, protocol: int = 4) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(batch, protocol=protocol))


class _Python2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 `str` opcodes, as in the pickles CIFAR-10 ships."""

    dispatch = pickle._Pickler.dispatch.copy()

    def _save_py2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str


def _cifar(folder: Path, **settings) -> DatasetConfig:
    return DatasetConfig(**{"kind": "cifar10", "path": str(folder), "image_size": 32,
                            "channels": 3, "count": None, **settings})


def test_batches_in_the_archive_folder_with_splits(tmp_path: Path) -> None:
    batches = {f"data_batch_{k}": _batch(3, k) for k in range(1, 6)}
    batches["test_batch"] = _batch(4, 9)
    for name, batch in batches.items():
        _write(tmp_path / "cifar-10-batches-py" / name, batch)
    train = load_dataset(_cifar(tmp_path, split="train"))
    assert train.images.shape == (15, 3, 32, 32) and train.labels.dtype == torch.uint8
    first = batches["data_batch_1"][b"data"]
    assert train.images[1, 0, 0, 5] == first[1, 5]  # red plane first, row by row
    assert train.images[1, 2, 31, 31] == first[1, 3071]  # the last blue pixel
    assert train.labels[:3].tolist() == batches["data_batch_1"][b"labels"]
    test = load_dataset(_cifar(tmp_path, split="test", image_size=64, channels=1))
    assert test.images.shape == (4, 1, 64, 64)
    assert test.labels.tolist() == batches["test_batch"][b"labels"]
    every = load_dataset(_cifar(tmp_path, split="all", count=17))
    assert len(every) == 17 and every.labels[15:].tolist() == batches["test_batch"][b"labels"][:2]


def test_python2_batch_directly_in_the_folder(tmp_path: Path) -> None:
    batch = _batch(5, 0)
    with open(tmp_path / "test_batch", "wb") as handle:
        _Python2Pickler(handle, protocol=2).dump(batch)
    assert b"U\x04data" in (tmp_path / "test_batch").read_bytes()  # a Python 2 str key
    dataset = load_dataset(_cifar(tmp_path))
    expected = torch.from_numpy(batch[b"data"].reshape(5, 3, 32, 32))
    assert torch.equal(dataset.images, expected)
    assert "test_batch" in dataset.source


def test_numpy_protocol_5_arrays_load_too(tmp_path: Path) -> None:
    batch = _batch(2, 3)
    _write(tmp_path / "test_batch", batch, protocol=5)
    assert torch.equal(load_dataset(_cifar(tmp_path)).images.flatten(1),
                       torch.from_numpy(batch[b"data"]))


class _Hostile:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


def test_a_pickle_that_calls_a_function_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    batch = {**_batch(2, 0), b"extra": _Hostile(marker)}
    _write(tmp_path / "test_batch", batch)
    with pytest.raises(UserError) as caught:
        load_dataset(_cifar(tmp_path))
    assert "refused global posix.mkdir" in str(caught.value)
    assert str(caught.value).startswith(f"{tmp_path / 'test_batch'}: dataset.path: unreadable")
    assert not marker.exists()
    pickle.loads((tmp_path / "test_batch").read_bytes())  # the plain unpickler would have run it
    assert marker.exists()


@pytest.mark.parametrize(("content", "complaint"), [
    (b"", "unreadable (Ran out of input)"),
    (pickle.dumps(_batch(3, 0))[:500], "unreadable"),
    (pickle.dumps([1, 2, 3]), "holds a list"),
    (pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}), "data is uint8"),
    (pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}), "1 labels for 2"),
    (pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [12]}), "labels outside"),
    (pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": ["x"]}), "labels are not"),
])
def test_corrupt_batches_are_user_errors(tmp_path: Path, content: bytes, complaint: str) -> None:
    bad = tmp_path / "test_batch"
    bad.write_bytes(content)
    with pytest.raises(UserError) as caught:
        load_dataset(_cifar(tmp_path, split="test"))
    assert str(caught.value).startswith(f"{bad}: dataset.path: {complaint}")
    assert "expected a CIFAR-10 python batch" in str(caught.value)


def test_missing_batches_say_which_files_go_where(tmp_path: Path) -> None:
    _write(tmp_path / "test_batch", _batch(1, 0))
    with pytest.raises(UserError) as caught:
        load_dataset(_cifar(tmp_path, split="train"), "cifar.yaml")
    assert str(caught.value) == (
        f"cifar.yaml: dataset.path: no CIFAR-10 batch for split 'train' here: {tmp_path}; put "
        "CIFAR-10's python batches data_batch_1..5 there (from cifar-10-python.tar.gz, "
        "https://www.cs.toronto.edu/~kriz/cifar.html), or set dataset.download: true, "
        "or pass --set dataset.path=/your/folder"
    )


def test_download_offline_is_one_line(tmp_path: Path, monkeypatch) -> None:
    def offline(url, folder, filename, md5):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(download, "download_url", offline)
    with pytest.raises(UserError) as caught:
        load_dataset(_cifar(tmp_path / "cifar", download=True))
    assert str(caught.value).startswith("config: dataset.download: could not download "
                                        f"cifar-10-python.tar.gz into {tmp_path}/cifar "
                                        "(https://www.cs.toronto.edu/")
    assert "Name or service not known" in str(caught.value)


def test_download_unpacks_the_archive(tmp_path: Path, monkeypatch) -> None:
    import tarfile

    staged = tmp_path / "staged" / "cifar-10-batches-py"
    _write(staged / "test_batch", _batch(2, 0))
    archive = tmp_path / "archive.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(staged, arcname="cifar-10-batches-py")

    def serve(url, folder, filename, md5):
        (folder / filename).write_bytes(archive.read_bytes())

    monkeypatch.setattr(download, "download_url", serve)
    dataset = load_dataset(_cifar(tmp_path / "cifar", split="test", download=True))
    assert len(dataset) == 2 and cifar10.SUBFOLDER in dataset.source
