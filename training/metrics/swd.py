"""Sliced Wasserstein distance on Laplacian-pyramid patches (Karras et al., ProGAN, 2018).

It needs no pretrained network, so it is always on. At each pyramid level (the image
side, halved while it stays >= 16 px) 128 random 7x7 patches per image are taken,
each set's patches are normalised per channel, and the distance between the two patch
clouds is the mean 1-D Wasserstein distance along 128 random directions, drawn 4
times. Reported x1e3 per level (`swd_<side>`) and as the mean over levels (`swd`).
Follows the descriptor extraction of tkarras/progressive_growing_of_gans
metrics/sliced_wasserstein.py, written for torch.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ganreport.runformat import per_scale_key
from training.metrics.base import Metric, Settings, as_uint8, check_images, seeded

PATCH = 7  # patch side (neighbourhood)
PATCHES_PER_IMAGE = 128
DIRECTIONS = 128  # slices per repeat
REPEATS = 4
SMALLEST_LEVEL = 16  # px: the pyramid stops before a level would be smaller
SCALE = 1e3  # reported x1e3, as in the paper

# 5x5 binomial filter of cv2.pyrDown / pyrUp
_TAPS = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0])
GAUSSIAN_5 = torch.outer(_TAPS, _TAPS) / 256.0


def levels_for(size: int) -> list[int]:
    """Pyramid level sides for an image side: 64 -> [64, 32, 16], 28 -> [28]."""
    sides = []
    while size >= SMALLEST_LEVEL:
        sides.append(size)
        size //= 2
    return sides


def _filter(images: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Depthwise 5x5 filter with mirror padding (scipy's 'mirror' is torch's 'reflect')."""
    channels = images.shape[1]
    weight = kernel.to(images).expand(channels, 1, 5, 5)
    return F.conv2d(F.pad(images, (2, 2, 2, 2), mode="reflect"), weight, groups=channels)


def pyramid_down(images: torch.Tensor) -> torch.Tensor:
    return _filter(images, GAUSSIAN_5)[:, :, ::2, ::2]  # (N, C, H/2, W/2)


def pyramid_up(images: torch.Tensor) -> torch.Tensor:
    n, c, h, w = images.shape
    spread = images.new_zeros(n, c, 2 * h, 2 * w)
    spread[:, :, ::2, ::2] = images
    return _filter(spread, GAUSSIAN_5 * 4.0)  # (N, C, 2H, 2W)


def laplacian_pyramid(images: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """Band-pass levels, finest first; the last level is the low-pass remainder."""
    pyramid = [images.float()]
    for _ in range(1, levels):
        pyramid.append(pyramid_down(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - pyramid_up(pyramid[-1])
    return pyramid


def patch_descriptors(level: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """PATCHES_PER_IMAGE random PATCHxPATCH patches per image, normalised per channel
    over this set: (N * PATCHES_PER_IMAGE, C * PATCH * PATCH)."""
    n, c, h, w = level.shape
    half, count = PATCH // 2, n * PATCHES_PER_IMAGE
    image = torch.arange(n).repeat_interleave(PATCHES_PER_IMAGE)  # (count,)
    centre_y = torch.randint(half, h - half, (count,), generator=generator)
    centre_x = torch.randint(half, w - half, (count,), generator=generator)
    corner = image * (c * h * w) + (centre_y - half) * w + (centre_x - half)  # (count,)
    steps = torch.arange(PATCH)
    template = (torch.arange(c)[:, None, None] * (h * w) + steps[:, None] * w + steps)  # (C,7,7)
    flat = corner[:, None, None, None] + template  # (count, C, 7, 7) indices into `level`
    patches = torch.take(level.contiguous(), flat.to(level.device))  # (count, C, 7, 7)
    std, mean = torch.std_mean(patches, dim=(0, 2, 3), keepdim=True)
    patches = (patches - mean) / std.clamp_min(1e-8)
    return patches.reshape(count, -1)


def sorted_rows(values: torch.Tensor) -> torch.Tensor:
    """Each row sorted. On a CPU numpy's SIMD sort is several times faster than torch's."""
    if values.device.type == "cpu":
        return torch.from_numpy(np.sort(values.numpy(), axis=1))
    return torch.sort(values, dim=1).values


def sliced_wasserstein(first: torch.Tensor, second: torch.Tensor,
                       generator: torch.Generator) -> float:
    """Mean |sorted projection difference| over REPEATS x DIRECTIONS random unit directions."""
    if first.shape != second.shape:
        raise ValueError(f"descriptor sets differ in shape: {first.shape} vs {second.shape}")
    results = []
    for _ in range(REPEATS):
        directions = torch.randn(first.shape[1], DIRECTIONS, generator=generator)
        directions = (directions / directions.norm(dim=0, keepdim=True)).to(first)  # (D, dirs)
        projected_first = sorted_rows(directions.T @ first.T)  # (dirs, count)
        projected_second = sorted_rows(directions.T @ second.T)
        results.append((projected_first - projected_second).abs().mean())
    return float(torch.stack(results).mean())


def descriptors(images: torch.Tensor, seed: int) -> list[torch.Tensor]:
    """Patch descriptors at every pyramid level of a uint8 batch, finest level first."""
    check_images(images)
    levels = levels_for(images.shape[-1])
    generator = seeded(seed)
    return [patch_descriptors(level, generator)
            for level in laplacian_pyramid(images, len(levels))]


def swd_from_descriptors(real: list[torch.Tensor], fake: list[torch.Tensor], side: int,
                         seed: int) -> dict[str, float]:
    """{'swd_<side>': ..., 'swd': mean over levels}, x1e3."""
    generator = seeded(seed)
    row = {per_scale_key("swd", level): SCALE * sliced_wasserstein(r, f, generator)
           for level, r, f in zip(levels_for(side), real, fake, strict=True)}
    row["swd"] = sum(row.values()) / len(row)
    return row


def swd(real: torch.Tensor, fake: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """SWD between two equally sized uint8 batches of the same shape."""
    if real.shape != fake.shape:
        raise ValueError(f"swd needs equal shapes, got {tuple(real.shape)} and {tuple(fake.shape)}")
    return swd_from_descriptors(descriptors(real, seed), descriptors(fake, seed + 1),
                                real.shape[-1], seed + 2)


def _prepare(real: torch.Tensor, settings: Settings) -> dict:
    return {"descriptors": descriptors(real.to(settings.device), settings.seed),
            "shape": tuple(real.shape)}


def _score(fake: torch.Tensor, state: dict, settings: Settings) -> dict[str, float]:
    fake = as_uint8(fake).to(settings.device)
    if tuple(fake.shape) != state["shape"]:
        raise ValueError(f"swd: generated batch {tuple(fake.shape)} differs from the real "
                         f"sample {state['shape']}")
    return swd_from_descriptors(state["descriptors"], descriptors(fake, settings.seed + 1),
                                fake.shape[-1], settings.seed + 2)


METRIC = Metric("swd", ("swd",), _prepare, _score)
