"""GAN losses by name; each family owns its D and G updates (see base.py).

`build_loss(config.loss, nets, noise)` is all the loop needs: it then calls
`loss.d_step` loss.n_critic times and `loss.g_step` once per step, and never
asks which loss it has.
"""

from __future__ import annotations

import torch

from training.config import LossConfig
from training.losses.base import GanLoss, Networks, Scalars
from training.losses.bce import BceLoss
from training.losses.hinge import HingeLoss
from training.losses.labels import LabelSampler, draw_labels
from training.losses.lsgan import LeastSquaresLoss
from training.losses.wgan import WassersteinLoss
from training.losses.wgan_gp import WassersteinGpLoss, gradient_penalty

LOSSES: dict[str, type[GanLoss]] = {
    family.name: family
    for family in (BceLoss, LeastSquaresLoss, WassersteinLoss, WassersteinGpLoss, HingeLoss)
}


def build_loss(config: LossConfig, nets: Networks, noise: torch.Generator) -> GanLoss:
    """The loss registered under config.name, updating `nets`, drawing from `noise`."""
    return LOSSES[config.name](config, nets, noise)


__all__ = [
    "LOSSES", "GanLoss", "LabelSampler", "Networks", "Scalars", "build_loss", "draw_labels",
    "gradient_penalty",
]
