"""The `mnist` kind: LeCun's four IDX files (gzip or not) in the folder dataset.path names.

`split` picks train (60,000), test (t10k, 10,000) or all (every split found).
Labels are read when their IDX file is beside the images: the class-coverage
metric needs them, training does not.
"""

from __future__ import annotations

import gzip
import struct
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

PREFIXES = {"train": ["train"], "test": ["t10k"], "all": ["train", "t10k"]}
IMAGES, LABELS = "{}-images-idx3-ubyte", "{}-labels-idx1-ubyte"
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049


def wanted(split: str) -> str:
    """The files a split reads, in words, for the missing-data error."""
    names = [name.format(p) + ".gz" for p in PREFIXES[split] for name in (IMAGES, LABELS)]
    either = ", either split or both" if split == "all" else ""
    return f"MNIST's IDX files {', '.join(names)} there (gzipped or not{either})"


def load(config: DatasetConfig, source: str = "config") -> Dataset:
    """The digits of the chosen split(s), resized to image_size, with their labels if present."""
    folder = data_folder(config, source, wanted(config.split), downloadable=True)
    prefixes = PREFIXES[config.split]
    if config.download:
        fetch_missing(folder, prefixes, source)
    present = [p for p in prefixes if find(folder, IMAGES.format(p))]
    if not present:
        what = f"no MNIST images for split '{config.split}' here"
        raise missing_data_error(folder, what, wanted(config.split), source, downloadable=True)
    digits, labels = [], []
    for prefix in present:
        digits.append(read_idx_images(find(folder, IMAGES.format(prefix))))
        label_file = find(folder, LABELS.format(prefix))
        if label_file is not None:
            expected = "one label per image of " + IMAGES.format(prefix)
            labels.append(check_labels(read_idx_labels(label_file), len(digits[-1]), label_file,
                                       expected))
    every = np.concatenate(digits)  # (N, 28, 28)
    classes = np.concatenate(labels) if len(labels) == len(digits) else None
    every, classes = cap(config.count, every, classes)
    images = shape_images(every[:, None], config.image_size, config.channels)
    return Dataset(
        images, 0, f"{len(images)} MNIST digits ({' + '.join(present)}) from {folder}",
        labels=None if classes is None else torch.from_numpy(classes),
    )


def find(folder: Path, name: str) -> Path | None:
    """name or name.gz in folder (the unpacked copy first: no gunzip needed)."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_idx_images(path: Path) -> np.ndarray:
    """An IDX3 image file (optionally gzip) -> (N, rows, cols) uint8."""
    return _read_idx(path, IMAGE_MAGIC, 3, "MNIST's *-images-idx3-ubyte[.gz]")


def read_idx_labels(path: Path) -> np.ndarray:
    """An IDX1 label file (optionally gzip) -> (N,) uint8."""
    return _read_idx(path, LABEL_MAGIC, 1, "MNIST's *-labels-idx1-ubyte[.gz]")


def _read_idx(path: Path, magic: int, dims: int, expected: str) -> np.ndarray:
    """Read an IDX file of uint8 with `dims` dimensions; a bad one is a UserError naming it."""
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"  # by content: names are not always right
        with (gzip.open if gzipped else open)(path, "rb") as handle:
            (found,) = struct.unpack(">I", handle.read(4))
            if found != magic:
                raise UserError(
                    str(path), "dataset.path", f"not an IDX file of this kind (magic {found}, "
                    f"expected {magic}); expected {expected}"
                )
            shape = struct.unpack(f">{dims}I", handle.read(4 * dims))
            data = np.frombuffer(handle.read(int(np.prod(shape))), dtype=np.uint8)
    except (OSError, EOFError, struct.error) as error:  # bad gzip, short header, unreadable
        raise UserError(
            str(path), "dataset.path", f"unreadable IDX file ({error or 'too short'}); "
            f"expected {expected}"
        ) from error
    if data.size != int(np.prod(shape)):
        raise UserError(
            str(path), "dataset.path", f"truncated IDX file: fewer values than its header says; "
            f"expected {expected}"
        )
    return data.reshape(shape)


def fetch_missing(folder: Path, prefixes: list[str], source: str) -> None:
    """Download the split's missing IDX files from torchvision's MNIST mirrors."""
    from torchvision.datasets import MNIST

    md5s = dict(MNIST.resources)
    for prefix in prefixes:
        for name in (IMAGES.format(prefix), LABELS.format(prefix)):
            if find(folder, name) is None:
                urls = [mirror + name + ".gz" for mirror in MNIST.mirrors]
                download.fetch(urls, folder, name + ".gz", md5s[name + ".gz"], source, wanted(
                    "train" if prefix == "train" else "test"))
