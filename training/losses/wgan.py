"""Wasserstein GAN with weight clipping (Arjovsky et al. 2017).

The critic maximises E[D(x)] − E[D(G(z))], so it minimises the negation; G
minimises −E[D(G(z))]. After each critic step every critic parameter is
clipped to [−c, c] (loss.clip_value), the paper's crude Lipschitz bound. The
paper trains with RMSprop and several critic steps per G step (loss.n_critic).
"""

from __future__ import annotations

import torch

from training.losses.base import GanLoss, Scalars


def critic_scalars(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> Scalars:
    """Mean critic scores and their difference, the critic's Wasserstein estimate."""
    critic_real, critic_fake = real_scores.detach().mean(), fake_scores.detach().mean()
    return {
        "critic_real": critic_real,
        "critic_fake": critic_fake,
        "wasserstein": critic_real - critic_fake,
    }


class WassersteinLoss(GanLoss):
    name = "wgan"
    names = ("loss_d", "loss_g", "critic_real", "critic_fake", "wasserstein")

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> tuple[
        torch.Tensor, Scalars
    ]:
        loss = fake_scores.mean() - real_scores.mean()
        return loss, critic_scalars(real_scores, fake_scores)

    def g_loss(self, fake_scores: torch.Tensor) -> tuple[torch.Tensor, Scalars]:
        return -fake_scores.mean(), {}

    @torch.no_grad()
    def after_d_step(self) -> None:
        clip = self.config.clip_value
        for parameter in self.nets.discriminator.parameters():
            parameter.clamp_(-clip, clip)
