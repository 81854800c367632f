"""The DCGAN loss: binary cross-entropy on D's logits (Goodfellow et al. 2014, non-saturating G).

BCE is computed from logits with log-sum-exp inside, the same maths as the
PyTorch tutorial's Sigmoid + BCELoss but finite where a sigmoid saturates.
D's targets come from the label ranges (smoothing, flipping); G's target is
the unsmoothed 1. The logged d_x, d_g_z, d_g_z_after are sigmoid probabilities.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from training.losses.base import GanLoss, Scalars


class BceLoss(GanLoss):
    name = "bce"
    names = ("loss_d", "loss_g", "d_x", "d_g_z", "d_g_z_after")

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> tuple[
        torch.Tensor, Scalars
    ]:
        # maximize log D(x) + log(1 - D(G(z))), with smoothed or flipped targets
        device, count = real_scores.device, real_scores.shape[0]
        real_targets = self.labels.real(count, device)  # (N,)
        fake_targets = self.labels.fake(fake_scores.shape[0], device)  # (N,)
        loss = F.binary_cross_entropy_with_logits(real_scores, real_targets)
        loss = loss + F.binary_cross_entropy_with_logits(fake_scores, fake_targets)
        return loss, {
            "d_x": torch.sigmoid(real_scores.detach()).mean(),
            "d_g_z": torch.sigmoid(fake_scores.detach()).mean(),
        }

    def g_loss(self, fake_scores: torch.Tensor) -> tuple[torch.Tensor, Scalars]:
        # maximize log D(G(z)): BCE against the label 1
        loss = F.binary_cross_entropy_with_logits(fake_scores, torch.ones_like(fake_scores))
        return loss, {"d_g_z_after": torch.sigmoid(fake_scores.detach()).mean()}
