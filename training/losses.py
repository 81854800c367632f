"""GAN losses by name, kept apart from the loop (as in stylegan2-ada's training/loss.py).

Each loss scores D's logits against targets. `bce` is the DCGAN loss; with
label ranges other than [1, 1] / [0, 0] D's targets are drawn uniformly from
those ranges, fresh for every batch (random label smoothing). The generator's
target is always 1, the unsmoothed "real", as in pytorch/examples dcgan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class GanLoss:
    """D's loss on real and on fake logits (given targets), and G's loss on fake logits."""

    name: str
    d_real: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    d_fake: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    generator: Callable[[torch.Tensor], torch.Tensor]
    uses_labels: bool = True  # False: the label ranges are ignored (hinge)


def _bce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """BCE on logits: log-sum-exp inside, stable where sigmoid + BCELoss saturates."""
    return F.binary_cross_entropy_with_logits(logits, targets)


def _least_squares(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """LSGAN (Mao et al. 2017): half the squared distance of D's raw output to the target."""
    return 0.5 * F.mse_loss(outputs, targets)


LOSSES: dict[str, GanLoss] = {
    "bce": GanLoss("bce", _bce, _bce, lambda fake: _bce(fake, torch.ones_like(fake))),
    "lsgan": GanLoss(
        "lsgan",
        _least_squares,
        _least_squares,
        lambda fake: _least_squares(fake, torch.ones_like(fake)),
    ),
    "hinge": GanLoss(  # Lim & Ye 2017, as in SAGAN / BigGAN
        "hinge",
        lambda real, _targets: F.relu(1.0 - real).mean(),
        lambda fake, _targets: F.relu(1.0 + fake).mean(),
        lambda fake: -fake.mean(),
        uses_labels=False,
    ),
}


def get_loss(name: str) -> GanLoss:
    """The loss registered under name (config validation already restricts the names)."""
    return LOSSES[name]


def draw_labels(label_range: list[float], count: int, device: torch.device | str) -> torch.Tensor:
    """(count,) targets uniform in [lo, hi]; a point range draws nothing from the RNG."""
    low, high = label_range
    if low == high:
        return torch.full((count,), float(low), device=device)
    return low + (high - low) * torch.rand(count, device=device)
