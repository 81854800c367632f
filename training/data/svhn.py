"""The `svhn` kind: Street View House Numbers, format 2 (32x32 crops) as MATLAB .mat files.

Each file holds X, (32, 32, 3, N) uint8, and y, (N, 1) labels 1-10 where 10
stands for the digit 0. scipy reads them; it is imported only when an SVHN
set is loaded, so the other kinds do not need it.
"""

from __future__ import annotations

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

FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}
SPLITS = {"train": ["train"], "test": ["test"], "all": ["train", "test"]}
HOME = "http://ufldl.stanford.edu/housenumbers/"
EXPECTED = "SVHN format 2, X (32, 32, 3, N) uint8 and y (N, 1) labels 1-10"


def wanted(split: str) -> str:
    """The files a split reads, in words, for the missing-data error."""
    names = " or ".join(FILES[s] for s in SPLITS[split])
    return f"{names} there (format 2 from {HOME})"


def load(config: DatasetConfig, source: str = "config") -> Dataset:
    """The crops of the chosen split(s), resized to image_size, with digit labels 0-9."""
    folder = data_folder(config, source, wanted(config.split), downloadable=True)
    splits = SPLITS[config.split]
    if config.download:
        fetch_missing(folder, splits, source)
    present = [s for s in splits if (folder / FILES[s]).is_file()]
    if not present:
        what = f"no SVHN file for split '{config.split}' here"
        raise missing_data_error(folder, what, wanted(config.split), source, downloadable=True)
    parts = [read_mat(folder / FILES[s], source) for s in present]
    crops = np.concatenate([images for images, _ in parts])  # (N, 3, 32, 32)
    digits = np.concatenate([labels for _, labels in parts])  # (N,)
    crops, digits = cap(config.count, crops, digits)
    images = shape_images(crops, config.image_size, config.channels)
    names = " + ".join(FILES[s] for s in present)
    return Dataset(
        images, 0, f"{len(images)} SVHN digits ({names}) from {folder}",
        labels=torch.from_numpy(np.ascontiguousarray(digits)),
    )


def read_mat(path: Path, source: str = "config") -> tuple[np.ndarray, np.ndarray]:
    """One format-2 file -> images (N, 3, 32, 32) uint8 and labels (N,) uint8 with 0 for '0'."""
    contents = _loadmat(path, source)
    crops, labels = contents.get("X"), contents.get("y")
    if not isinstance(crops, np.ndarray) or crops.dtype != np.uint8 or crops.ndim != 4 \
            or crops.shape[:3] != (32, 32, 3):
        found = f"{crops.dtype} {crops.shape}" if isinstance(crops, np.ndarray) else "missing"
        raise UserError(str(path), "dataset.path", f"X is {found}; expected {EXPECTED}")
    if not isinstance(labels, np.ndarray) or labels.size != crops.shape[3]:
        raise UserError(str(path), "dataset.path", f"y does not match X; expected {EXPECTED}")
    labels = labels.reshape(-1).astype(np.int64)
    if labels.size and (labels.min() < 1 or labels.max() > 10):
        raise UserError(str(path), "dataset.path", f"labels outside 1-10; expected {EXPECTED}")
    digits = check_labels(labels % 10, crops.shape[3], path, EXPECTED)  # 10 means the digit 0
    return np.ascontiguousarray(crops.transpose(3, 2, 0, 1)), digits  # (N, 3, 32, 32)


def _loadmat(path: Path, source: str) -> dict:
    """scipy.io.loadmat of X and y; a missing scipy or a bad file is a one-line UserError."""
    try:
        from scipy.io import loadmat
    except ImportError as error:
        raise UserError(
            source, "dataset.kind", "svhn reads .mat files with scipy, which is not installed; "
            "pip install scipy (it is in the train extra)"
        ) from error
    try:
        return loadmat(str(path), variable_names=("X", "y"))
    except Exception as error:  # whatever the parser trips on, the file is at fault
        reason = " ".join(str(error).split()) or type(error).__name__
        raise UserError(
            str(path), "dataset.path", f"unreadable .mat file ({reason}); expected {EXPECTED}"
        ) from error


def fetch_missing(folder: Path, splits: list[str], source: str) -> None:
    """Download the split's missing .mat files from the URLs torchvision's SVHN knows."""
    from torchvision.datasets import SVHN

    for split in splits:
        url, filename, md5 = SVHN.split_list[split]
        if not (folder / filename).is_file():
            download.fetch([url], folder, filename, md5, source, wanted(split))
