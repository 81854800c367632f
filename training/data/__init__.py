"""Datasets as one uint8 tensor (N, C, S, S), one module per dataset.kind.

Every dataset is decoded and resized once, up front, into memory: the DCGAN
images are small, and a tensor in memory makes an epoch a permutation plus
slicing, fast on any device and deterministic. Procedural sets and image
folders are cached under `.cache/` (or $GANREPORT_CACHE) as `.pt` files keyed
by everything that changes their content.

DatasetConfig keys: kind (a key of LOADERS), path (folder/mnist/svhn/cifar10),
image_size, channels (1 or 3, converted either way), count (procedural: made;
others: at most), seed (procedural), split (mnist/svhn/cifar10: train, test,
or all = every split whose files are there), download (fetch missing public
files; never without it), flip (random horizontal flips of real batches: done
by the training loop on the device, not here).

A new kind is one module with `load(config, source) -> Dataset` plus one
entry in LOADERS (and its name in DatasetConfig.kind).
"""

from __future__ import annotations

from collections.abc import Callable

from training.config import DatasetConfig
from training.data import cifar10, folder, mnist, procedural, svhn
from training.data.common import Dataset, cache_dir, missing_data_error, shape_images, to_gray
from training.data.folder import IMAGE_SUFFIXES, decode_files, list_images, load_image, to_rgb
from training.data.mnist import read_idx_images, read_idx_labels

LOADERS: dict[str, Callable[[DatasetConfig, str], Dataset]] = {
    "procedural": procedural.load,
    "folder": folder.load,
    "mnist": mnist.load,
    "svhn": svhn.load,
    "cifar10": cifar10.load,
}


def load_dataset(config: DatasetConfig, source: str = "config") -> Dataset:
    """Dispatch on dataset.kind; a UserError names `source`, the file that set dataset.path."""
    return LOADERS[config.kind](config, source)


__all__ = [
    "IMAGE_SUFFIXES",
    "LOADERS",
    "Dataset",
    "cache_dir",
    "decode_files",
    "list_images",
    "load_dataset",
    "load_image",
    "missing_data_error",
    "read_idx_images",
    "read_idx_labels",
    "shape_images",
    "to_gray",
    "to_rgb",
]
