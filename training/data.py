"""Datasets as one uint8 tensor (N, C, S, S): procedural, image folder, MNIST IDX.

Every dataset is decoded and resized once, up front, into memory: the DCGAN
images are small, and a tensor in memory makes an epoch a permutation plus
slicing, fast on a CPU and deterministic. Procedural sets and image folders
are cached under `.cache/` (or $GANREPORT_CACHE) as `.pt` files keyed by
everything that changes their content.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps
from tqdm import tqdm

from training import data_procedural
from training.config import DatasetConfig
from training.errors import UserError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Dataset:
    """Images ready for training plus what the write-up should know about them."""

    images: torch.Tensor  # (N, C, S, S) uint8
    skipped: int = 0  # files that could not be decoded (folder datasets)
    source: str = ""  # where they came from, in words

    def __len__(self) -> int:
        return self.images.shape[0]


def cache_dir() -> Path:
    """$GANREPORT_CACHE, else `.cache/` in the repository root (gitignored)."""
    return Path(os.environ.get("GANREPORT_CACHE") or REPO_ROOT / ".cache")


def _cached(name: str, key: dict, build) -> tuple[torch.Tensor, int]:
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


def load_dataset(config: DatasetConfig, source: str = "config") -> Dataset:
    """Dispatch on dataset.kind; a UserError names `source`, the file that set dataset.path."""
    if config.kind == "procedural":
        return _procedural(config)
    if config.kind == "folder":
        return _image_folder(config, source)
    return _mnist(config, source)


def _procedural(config: DatasetConfig) -> Dataset:
    """The embedded abstract-art set, generated in seconds and cached."""
    count = config.count or 6000
    key = {
        "kind": "procedural",
        "version": data_procedural.GENERATOR_VERSION,
        "seed": config.seed,
        "count": count,
        "size": config.image_size,
    }

    def build():
        return data_procedural.generate(config.seed, count, config.image_size), 0

    images, _ = _cached("procedural", key, build)
    if config.channels == 1:
        images = _to_gray(images)
    return Dataset(images, 0, f"{count} procedural compositions (seed {config.seed})")


def _to_gray(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, S, S) uint8 -> (N, 1, S, S) uint8 with ITU-R 601 luma weights (as PIL's 'L')."""
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (images.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)


def missing_data_error(config: DatasetConfig, path: Path, what: str, source: str) -> UserError:
    """The error for data that is not there: says where to put it and how to point elsewhere."""
    hint = {
        "folder": "put your images there (JPEG, PNG or WebP, subfolders allowed), e.g. the "
        "'Japanese Art' folder of Kaggle's 'WikiArt Art Movements/Styles'",
        "mnist": "put t10k-images-idx3-ubyte.gz (and/or train-images-idx3-ubyte.gz) there",
    }[config.kind]
    return UserError(
        source, "dataset.path", f"{what}: {path}; {hint}, or pass --set dataset.path=/your/folder"
    )


# --------------------------------------------------------------------------- image folder


def list_images(folder: Path) -> list[Path]:
    """Every JPEG/PNG/WebP file under folder, recursively, in a stable order."""
    return sorted(
        p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
    )


def _image_folder(config: DatasetConfig, source: str) -> Dataset:
    """Decode a folder of images once into a cached tensor; bad files are skipped and counted."""
    folder = Path(config.path or "").expanduser().resolve()
    if not folder.is_dir():
        raise missing_data_error(config, folder, "folder not found", source)
    files = list_images(folder)
    if not files:
        raise missing_data_error(
            config, folder, "no JPEG, PNG or WebP images in this folder", source
        )
    if config.count:
        files = files[: config.count]
    listing = [[str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns] for p in files]
    key = {
        "kind": "folder",
        "path": str(folder),
        "size": config.image_size,
        "channels": config.channels,
        "files": listing,
    }
    images, skipped = _cached("folder", key, lambda: decode_files(files, config))
    if len(images) == 0:
        raise missing_data_error(
            config, folder, f"none of the {len(files)} images could be read", source
        )
    if skipped:
        print(f"note: skipped {skipped} unreadable image(s) in {folder}", file=sys.stderr)
    return Dataset(images, skipped, f"{len(images)} images from {folder}")


def decode_files(files: list[Path], config: DatasetConfig) -> tuple[torch.Tensor, int]:
    """Decode and resize each file; return (N, C, S, S) uint8 and how many were skipped."""
    size, pixels, skipped = config.image_size, [], 0
    for path in tqdm(files, desc="decoding images", unit="img", leave=False, file=sys.stderr):
        try:
            image = load_image(path, size, config.channels)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            skipped += 1  # truncated, corrupt or not an image at all: counted, never fatal
            continue
        pixels.append(image)
    if not pixels:
        return torch.zeros(0, config.channels, size, size, dtype=torch.uint8), skipped
    stacked = np.stack(pixels)  # (N, S, S, C)
    return torch.from_numpy(stacked).permute(0, 3, 1, 2).contiguous(), skipped


def load_image(path: Path, size: int, channels: int) -> np.ndarray:
    """One file -> (S, S, C) uint8: any mode converted, shorter side resized, centre-cropped."""
    with Image.open(path) as opened:
        opened.load()  # decode now, so a truncated file raises here
        image = to_rgb(ImageOps.exif_transpose(opened))
    image = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
    if channels == 1:
        image = image.convert("L")
    array = np.asarray(image, dtype=np.uint8)
    return array[..., None] if array.ndim == 2 else array


def to_rgb(image: Image.Image) -> Image.Image:
    """Grayscale, palette, CMYK, 16-bit and transparent images -> 8-bit RGB."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        if image.mode.startswith("I;16"):
            top = 65535.0  # true 16-bit: a dark image stays dark
        elif image.mode == "I":  # 16-bit PNGs open as "I"; small values mean 8-bit data
            top = 65535.0 if array.max() > 255 else 255.0
        else:  # "F": no fixed range, scale to the image's own maximum
            top = max(float(array.max()), 1.0)
        gray = np.clip(array / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(gray, "L").convert("RGB")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


# --------------------------------------------------------------------------- MNIST IDX


def read_idx_images(path: Path) -> np.ndarray:
    """An IDX3 image file (optionally gzip) -> (N, rows, cols) uint8."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            magic, count, rows, cols = struct.unpack(">IIII", handle.read(16))
            if magic != 2051:
                raise UserError(
                    str(path), "dataset.path", f"not an IDX image file (magic {magic}, "
                    "expected 2051)"
                )
            data = np.frombuffer(handle.read(count * rows * cols), dtype=np.uint8)
    except (OSError, EOFError, struct.error) as error:  # bad gzip, short header, unreadable
        raise UserError(
            str(path), "dataset.path", f"unreadable IDX image file ({error or 'too short'}); "
            "expected MNIST's *-images-idx3-ubyte[.gz]"
        ) from error
    if data.size != count * rows * cols:
        raise UserError(
            str(path), "dataset.path", "truncated IDX file: fewer pixels than its header says"
        )
    return data.reshape(count, rows, cols)


def _mnist(config: DatasetConfig, source: str) -> Dataset:
    """MNIST digits from IDX files (train and/or t10k), resized to image_size."""
    folder = Path(config.path or "").expanduser().resolve()
    if not folder.is_dir():
        raise missing_data_error(config, folder, "folder not found", source)
    found = sorted(p for p in folder.iterdir() if "images-idx3-ubyte" in p.name)
    # one file per set: an unpacked copy beside its .gz would otherwise count twice
    by_set = {p.name.removesuffix(".gz"): p for p in sorted(found, key=lambda p: p.suffix)}
    files = sorted(by_set.values())
    if not files:
        raise missing_data_error(config, folder, "no *-images-idx3-ubyte[.gz] file here", source)
    digits = np.concatenate([read_idx_images(p) for p in files])  # (N, 28, 28)
    if config.count:
        digits = digits[: config.count]
    images = torch.from_numpy(digits).unsqueeze(1).float()  # (N, 1, 28, 28)
    size = config.image_size
    images = F.interpolate(
        images, size=(size, size), mode="bilinear", antialias=True, align_corners=False
    )  # (N, 1, S, S)
    images = images.round().clamp(0, 255).to(torch.uint8)
    if config.channels == 3:
        images = images.expand(-1, 3, -1, -1).contiguous()  # (N, 3, S, S)
    return Dataset(images, 0, f"{len(images)} MNIST digits from {folder}")
