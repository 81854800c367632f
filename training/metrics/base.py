"""What every metric shares: its settings, the registry entry, the 'unavailable' signal.

A metric is one unit: `prepare` turns the fixed real sample into whatever the metric
compares against (descriptors, Inception statistics, a classifier), once per run;
`score` turns a batch of generated images into quality.jsonl keys, every measured epoch.
Images are uint8 (N, C, H, W), C = 1 or 3, as datasets hold them and grids show them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

DEFAULT_METRICS = ("swd", "msssim", "fid", "coverage")


class MetricUnavailable(Exception):
    """A metric cannot run here (no weights, not MNIST); the message says how to enable it."""


@dataclass(frozen=True)
class Settings:
    """How quality is measured: the same sample size, pairs and seeds at every epoch."""

    metrics: tuple[str, ...] = DEFAULT_METRICS
    samples: int = 512  # generated images per measurement, and real images per reference
    pairs: int = 512  # random pairs for the MS-SSIM diversity
    seed: int = 0  # real subset, patch positions, slice directions, pairs: fixed per run
    device: str = "cpu"
    inception_weights: str | None = None  # a path from config; else the usual caches
    mnist_dir: str | None = None  # folder with MNIST IDX files: enables class coverage
    cache_dir: str | None = None  # where the coverage classifier is kept (default .cache/)


@dataclass(frozen=True)
class Metric:
    """A registered metric: its name, the keys it writes, and its two steps."""

    name: str
    keys: tuple[str, ...]  # quality.jsonl keys (swd also writes swd_<resolution>)
    prepare: Callable[[torch.Tensor, Settings], Any]  # real uint8 sample -> reference state
    score: Callable[[torch.Tensor, Any, Settings], dict[str, float]]  # fake uint8 -> row keys


def as_uint8(images: torch.Tensor) -> torch.Tensor:
    """uint8 images unchanged; floating images are G's output in [-1, 1] (tanh), quantised
    the way the grids are saved, so metrics see what a reader sees."""
    if images.dtype == torch.uint8:
        return images
    if not images.is_floating_point():
        raise TypeError(f"images must be uint8 or floating point, not {images.dtype}")
    return images.detach().float().add(1).mul(127.5).add(0.5).clamp(0, 255).to(torch.uint8)


def check_images(images: torch.Tensor, name: str = "images") -> None:
    """(N, C, H, W) with C 1 or 3 and square sides: the shapes every metric assumes."""
    if images.dim() != 4 or images.shape[1] not in (1, 3) or images.shape[2] != images.shape[3]:
        raise ValueError(f"{name}: expected (N, 1 or 3, S, S) images, got {tuple(images.shape)}")


def seeded(seed: int) -> torch.Generator:
    """A CPU generator: the same draws on every device, so a measurement is repeatable."""
    return torch.Generator().manual_seed(seed)
