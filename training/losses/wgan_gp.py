"""WGAN-GP (Gulrajani et al. 2017): the critic loss plus a gradient penalty, no clipping.

On random interpolates x̂ = εx + (1 − ε)G(z), ε ~ U(0, 1) per image, the
penalty is E[(‖∇D(x̂)‖₂ − 1)²], weighted by λ (loss.gp_weight). With
loss.gp_every = k > 1 it is computed on every k-th critic step only, with
weight λ·k so its average strength is unchanged (StyleGAN2's lazy
regularisation). loss.drift adds ProGAN's ε_drift·E[D(x)²] on every step.
"""

from __future__ import annotations

import torch

from training.losses.base import GanLoss, Scalars
from training.losses.wgan import critic_scalars


def gradient_penalty(
    critic: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """E[(‖∇D(x̂)‖₂ − 1)²] on interpolates of real and fake (N, C, S, S); differentiable."""
    epsilon = torch.rand(  # (N, 1, 1, 1): one mixing weight per image
        real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype, generator=generator
    )
    mixed = (epsilon * real + (1 - epsilon) * fake).requires_grad_(True)  # (N, C, S, S)
    scores = critic(mixed)  # (N,)
    (gradients,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)  # (N, C, S, S)
    norms = gradients.flatten(1).norm(2, dim=1)  # (N,)
    return (norms - 1).square().mean()


class WassersteinGpLoss(GanLoss):
    name = "wgan-gp"
    names = ("loss_d", "loss_g", "critic_real", "critic_fake", "wasserstein", "grad_penalty",
             "drift")

    @property
    def reg_every(self) -> int:
        return self.config.gp_every

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> tuple[
        torch.Tensor, Scalars
    ]:
        loss = fake_scores.mean() - real_scores.mean()
        drift = real_scores.square().mean()  # E[D(x)²], logged even when its weight is 0
        if self.config.drift > 0:
            loss = loss + self.config.drift * drift
        return loss, {**critic_scalars(real_scores, fake_scores), "drift": drift.detach()}

    def g_loss(self, fake_scores: torch.Tensor) -> tuple[torch.Tensor, Scalars]:
        return -fake_scores.mean(), {}

    def d_regularizer(
        self, real: torch.Tensor, fake: torch.Tensor, real_scores: torch.Tensor
    ) -> tuple[torch.Tensor | None, Scalars]:
        if self.config.gp_weight == 0:
            return None, {}
        penalty = gradient_penalty(self.nets.discriminator, real, fake, self.noise)
        weight = self.config.gp_weight * self.config.gp_every
        return weight * penalty, {"grad_penalty": penalty.detach()}
