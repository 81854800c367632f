"""Hinge loss (Lim & Ye 2017; SAGAN, BigGAN): D's scores are pushed past ±1, no further.

D minimises E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))]; G minimises
−E[D(G(z))]. There are no labels (the ranges are ignored); the logged scores
are critic scores, with their difference as the Wasserstein-style estimate.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from training.losses.base import GanLoss, Scalars
from training.losses.wgan import critic_scalars


class HingeLoss(GanLoss):
    name = "hinge"
    names = ("loss_d", "loss_g", "critic_real", "critic_fake", "wasserstein")

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> tuple[
        torch.Tensor, Scalars
    ]:
        loss = F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()
        return loss, critic_scalars(real_scores, fake_scores)

    def g_loss(self, fake_scores: torch.Tensor) -> tuple[torch.Tensor, Scalars]:
        return -fake_scores.mean(), {}
