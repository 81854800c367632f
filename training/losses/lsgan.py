"""Least squares GAN (Mao et al. 2017): D regresses its raw output onto the targets.

D minimises ½E[(D(x) − b)²] + ½E[(D(G(z)) − a)²] with b, a from the label
ranges (1 and 0 by default); G minimises ½E[(D(G(z)) − c)²] with c = 1. The
logged d_real and d_fake are D's mean raw outputs, not probabilities.
"""

from __future__ import annotations

import torch

from training.losses.base import GanLoss, Scalars


def half_squared_error(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """½·mean((outputs − targets)²)."""
    return 0.5 * (outputs - targets).square().mean()


class LeastSquaresLoss(GanLoss):
    name = "lsgan"
    names = ("loss_d", "loss_g", "d_real", "d_fake")

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> tuple[
        torch.Tensor, Scalars
    ]:
        device = real_scores.device
        real_targets = self.labels.real(real_scores.shape[0], device)  # (N,) b
        fake_targets = self.labels.fake(fake_scores.shape[0], device)  # (N,) a
        loss = half_squared_error(real_scores, real_targets)
        loss = loss + half_squared_error(fake_scores, fake_targets)
        return loss, {
            "d_real": real_scores.detach().mean(),
            "d_fake": fake_scores.detach().mean(),
        }

    def g_loss(self, fake_scores: torch.Tensor) -> tuple[torch.Tensor, Scalars]:
        return half_squared_error(fake_scores, torch.ones_like(fake_scores)), {}
