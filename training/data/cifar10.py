"""The `cifar10` kind: CIFAR-10's python batches (pickled dicts), read without running code.

The folder holds `data_batch_1` .. `data_batch_5` and `test_batch`, either
directly or in the `cifar-10-batches-py/` folder the archive unpacks to. Each
is a pickle of {data: (N, 3072) uint8, labels: [N ints], ...}. pickle.load
would call any function a file names, so the unpickler here resolves exactly
the numpy names an array needs (its rebuilders, ndarray, dtype) and refuses
every other global: no import, no call of anything else.
"""

from __future__ import annotations

import pickle
import tarfile
from pathlib import Path

import numpy as np
import torch

from training.config import DatasetConfig
from training.data import download
from training.data.common import (
    Dataset,
    cap,
    check_labels,
    data_folder,
    missing_data_error,
    shape_images,
)
from training.errors import UserError

TRAIN = [f"data_batch_{k}" for k in range(1, 6)]
FILES = {"train": TRAIN, "test": ["test_batch"], "all": [*TRAIN, "test_batch"]}
SUBFOLDER = "cifar-10-batches-py"
HOME = "https://www.cs.toronto.edu/~kriz/cifar.html"
EXPECTED = "a CIFAR-10 python batch: a pickled dict with data (N, 3072) uint8 and N labels 0-9"

# numpy's array rebuilders, taken from numpy itself: their module moved in numpy 2
_RECONSTRUCT = np.ndarray(0).__reduce__()[0]  # (ndarray, shape, typecode) + setstate
_FROMBUFFER = np.ndarray(0).__reduce_ex__(5)[0]  # protocol 5: (buffer, dtype, shape, order)
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,  # numpy 1, and CIFAR's originals
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,  # numpy 2
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class ArrayUnpickler(pickle.Unpickler):
    """Builds dicts, lists, strings, numbers and numpy arrays; any other global is refused."""

    def find_class(self, module: str, name: str):
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused global {module}.{name}") from None


def wanted(split: str) -> str:
    """The files a split reads, in words, for the missing-data error."""
    names = {"train": "data_batch_1..5", "test": "test_batch",
             "all": "data_batch_1..5 and/or test_batch"}[split]
    return f"CIFAR-10's python batches {names} there (from cifar-10-python.tar.gz, {HOME})"


def load(config: DatasetConfig, source: str = "config") -> Dataset:
    """The images of the chosen split's batches, resized to image_size, with labels 0-9."""
    folder = data_folder(config, source, wanted(config.split), downloadable=True)
    if config.download and not _present(_batches_folder(folder), config.split):
        fetch_archive(folder, source)
    base = _batches_folder(folder)
    present = _present(base, config.split)
    if not present:
        what = f"no CIFAR-10 batch for split '{config.split}' here"
        raise missing_data_error(folder, what, wanted(config.split), source, downloadable=True)
    parts = [read_batch(base / name) for name in present]
    pictures = np.concatenate([images for images, _ in parts])  # (N, 3, 32, 32)
    classes = np.concatenate([labels for _, labels in parts])  # (N,)
    pictures, classes = cap(config.count, pictures, classes)
    images = shape_images(pictures, config.image_size, config.channels)
    return Dataset(
        images, 0, f"{len(images)} CIFAR-10 images ({', '.join(present)}) from {base}",
        labels=torch.from_numpy(np.ascontiguousarray(classes)),
    )


def _batches_folder(folder: Path) -> Path:
    """The archive's subfolder when it is there, else the folder itself."""
    return folder / SUBFOLDER if (folder / SUBFOLDER).is_dir() else folder


def _present(base: Path, split: str) -> list[str]:
    return [name for name in FILES[split] if (base / name).is_file()]


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file -> images (N, 3, 32, 32) uint8 and labels (N,) uint8."""
    try:
        with open(path, "rb") as handle:
            batch = ArrayUnpickler(handle, encoding="latin1").load()  # latin1: Python 2 pickles
    except (pickle.UnpicklingError, EOFError, OSError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, MemoryError) as error:  # what a corrupt or hostile pickle raises
        reason = " ".join(str(error).split()) or type(error).__name__
        raise UserError(str(path), "dataset.path", f"unreadable ({reason}); expected {EXPECTED}") \
            from error
    if not isinstance(batch, dict):
        raise UserError(str(path), "dataset.path", f"holds a {type(batch).__name__}; expected "
                        f"{EXPECTED}")
    fields = {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in batch.items()}
    data = fields.get("data")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != 3072:
        found = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else "missing"
        raise UserError(str(path), "dataset.path", f"data is {found}; expected {EXPECTED}")
    try:
        labels = np.asarray(fields.get("labels", []), dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        raise UserError(
            str(path), "dataset.path", f"labels are not integers; expected {EXPECTED}"
        ) from None
    labels = check_labels(labels, len(data), path, EXPECTED)
    return data.reshape(-1, 3, 32, 32), labels  # rows are 1024 red, 1024 green, 1024 blue


def fetch_archive(folder: Path, source: str) -> None:
    """Download and unpack cifar-10-python.tar.gz (torchvision's URL and MD5)."""
    from torchvision.datasets import CIFAR10

    archive = download.fetch([CIFAR10.url], folder, CIFAR10.filename, CIFAR10.tgz_md5, source,
                             wanted("all"))
    try:
        download.extract_archive(archive, folder)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise UserError(str(archive), "dataset.download", f"could not unpack ({error}); "
                        f"expected {CIFAR10.filename}") from error
