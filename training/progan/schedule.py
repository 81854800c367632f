"""Where a progressive run is after some number of real images: stage, resolution, alpha.

Pure arithmetic, so the hook, its resume and the tests agree on one answer. Stage 0 runs at
the start resolution for stabilise_images; stage k > 0 doubles it, fades the new block in
over fade_images (alpha 0 -> 1, linear in images as in the paper) and then stabilises at
alpha 1 for stabilise_images; the last stage runs on at alpha 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from training.config import ProganConfig


@dataclass(frozen=True)
class Position:
    """One point of the schedule."""

    stage: int  # 0 = the start resolution
    resolution: int  # px
    alpha: float  # weight of the newest block in [0, 1]
    fading: bool  # inside a fade-in


def stage_count(config: ProganConfig) -> int:
    """How many stages: start, 2 x start, ..., target."""
    return int(math.log2(config.target // config.start)) + 1


def stage_start(config: ProganConfig, stage: int) -> int:
    """Images seen when `stage` begins."""
    if stage == 0:
        return 0
    return config.stabilise_images + (stage - 1) * (config.fade_images + config.stabilise_images)


def position(config: ProganConfig, images: int) -> Position:
    """The stage, resolution and alpha after `images` real images."""
    last = stage_count(config) - 1
    stage = 0
    while stage < last and images >= stage_start(config, stage + 1):
        stage += 1
    resolution = config.start * 2**stage
    if stage == 0:
        return Position(0, resolution, 1.0, False)
    into = images - stage_start(config, stage)
    if into < config.fade_images:
        return Position(stage, resolution, into / config.fade_images, True)
    return Position(stage, resolution, 1.0, False)


def batch_size(config: ProganConfig, stage: int, default: int) -> int:
    """The batch size of a stage from config.batch_sizes (its last entry past its end)."""
    sizes = config.batch_sizes
    if not sizes:
        return default
    return sizes[min(stage, len(sizes) - 1)]
