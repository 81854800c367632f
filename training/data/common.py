"""What every dataset kind shares: the Dataset record, the cache, and shaping to (N, C, S, S).

Loaders differ only in how they read their files; sizing, channel conversion,
the `count` cap and the "where is the data" error are the same for all, so
they live here once.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from training.config import DatasetConfig
from training.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[2]
CHUNK = 2048  # images resized at once: bounds the float copy (2048 x 3 x 256 x 256 x 4 B = 1.6 GB)


@dataclass
class Dataset:
    """Images ready for training plus what the write-up should know about them."""

    images: torch.Tensor  # (N, C, S, S) uint8
    skipped: int = 0  # files that could not be decoded (folder datasets)
    source: str = ""  # where they came from, in words
    labels: torch.Tensor | None = None  # (N,) uint8 class of each image, where the set has them

    def __len__(self) -> int:
        return self.images.shape[0]


def cache_dir() -> Path:
    """$GANREPORT_CACHE, else `.cache/` in the repository root (gitignored)."""
    return Path(os.environ.get("GANREPORT_CACHE") or REPO_ROOT / ".cache")


def cached(name: str, key: dict, build: Callable[[], tuple[torch.Tensor, int]]):
    """Load `build()`'s (tensor, skipped) from the cache file for `key`, or make and save it."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir() / f"{name}-{digest}.pt"
    if path.is_file():
        try:
            stored = torch.load(path, weights_only=True)
            return stored["images"], int(stored["skipped"])
        except Exception:  # a torn or foreign cache file is rebuilt, never trusted
            pass
    images, skipped = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    torch.save({"images": images, "skipped": skipped, "key": key}, temporary)
    os.replace(temporary, path)
    return images, skipped


def to_gray(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, S, S) uint8 -> (N, 1, S, S) uint8 with ITU-R 601 luma weights (as PIL's 'L')."""
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (images.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)


def _shape_chunk(images: torch.Tensor, size: int, channels: int) -> torch.Tensor:
    """(n, C, H, W) uint8 -> (n, channels, size, size) uint8: gray first, crop, resize, expand."""
    if channels == 1 and images.shape[1] == 3:
        images = to_gray(images)  # (n, 1, H, W): a third of the pixels to resize
    height, width = images.shape[2:]
    if height != width:  # centre-crop the longer side, as the folder loader does
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        images = images[:, :, top : top + side, left : left + side]
    if images.shape[2] != size:
        resized = F.interpolate(
            images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )  # (n, c, S, S)
        images = resized.round().clamp(0, 255).to(torch.uint8)
    if channels == 3 and images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)  # (n, 3, S, S)
    return images.contiguous()


def shape_images(images: np.ndarray | torch.Tensor, size: int, channels: int) -> torch.Tensor:
    """Any (N, C, H, W) uint8 with C in {1, 3} -> (N, channels, size, size) uint8, in chunks."""
    images = torch.as_tensor(images)
    if len(images) == 0:
        return torch.zeros(0, channels, size, size, dtype=torch.uint8)
    return torch.cat([_shape_chunk(part, size, channels) for part in images.split(CHUNK)])


def cap(count: int | None, *arrays):
    """The first `count` items of each array (all of them when count is null or 0)."""
    return tuple(None if a is None else a[:count] if count else a for a in arrays)


def data_folder(
    config: DatasetConfig, source: str, wanted: str, downloadable: bool = False
) -> Path:
    """dataset.path as an absolute folder; a missing one is an error that says what goes there.

    A kind that can download accepts a missing folder when dataset.download is true.
    """
    if not config.path:
        raise UserError(source, "dataset.path", f"not set; set it to a folder and put {wanted}")
    folder = Path(config.path).expanduser().resolve()
    if not folder.is_dir() and not (downloadable and config.download):
        raise missing_data_error(folder, "folder not found", wanted, source, downloadable)
    return folder


def missing_data_error(
    folder: Path, what: str, wanted: str, source: str, downloadable: bool = False
) -> UserError:
    """The one-line error for data that is not there: which files to put where, or download."""
    fetch = ", or set dataset.download: true" if downloadable else ""
    return UserError(
        source, "dataset.path", f"{what}: {folder}; put {wanted}{fetch}, "
        "or pass --set dataset.path=/your/folder"
    )


def check_labels(labels: np.ndarray, count: int, path: Path, expected: str) -> np.ndarray:
    """Labels as (N,) uint8, checked against the image count and the class range."""
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != count:
        raise UserError(
            str(path), "dataset.path", f"{len(labels)} labels for {count} images; expected "
            f"{expected}"
        )
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise UserError(str(path), "dataset.path", f"labels outside 0-9; expected {expected}")
    return labels.astype(np.uint8)
