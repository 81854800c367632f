"""The `folder` kind: every JPEG/PNG/WebP under a folder, decoded once into a cached tensor.

This is how users bring their own images (e.g. a WikiArt movement). Odd image
modes are converted, unreadable files are skipped and counted, never fatal.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from tqdm import tqdm

from training.config import DatasetConfig
from training.data.common import Dataset, cached, data_folder, missing_data_error

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
WANTED = (
    "your images there (JPEG, PNG or WebP, subfolders allowed), e.g. the 'Japanese Art' folder "
    "of Kaggle's 'WikiArt Art Movements/Styles'"
)


def list_images(folder: Path) -> list[Path]:
    """Every JPEG/PNG/WebP file under folder, recursively, in a stable order."""
    return sorted(
        p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
    )


def load(config: DatasetConfig, source: str = "config") -> Dataset:
    """Decode the folder's images once into a cached tensor; bad files are skipped and counted."""
    folder = data_folder(config, source, WANTED)
    files = list_images(folder)
    if not files:
        raise missing_data_error(
            folder, "no JPEG, PNG or WebP images in this folder", WANTED, source
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
    images, skipped = cached("folder", key, lambda: decode_files(files, config))
    if len(images) == 0:
        raise missing_data_error(
            folder, f"none of the {len(files)} images could be read", WANTED, source
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
