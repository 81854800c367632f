"""What every loss family shares: the networks it updates and the order of an update.

As in stylegan2-ada's training/loss.py, a loss object owns its phases. `d_step`
and `g_step` each do zero_grad, forward, backward and the optimizer step, and
return the step's named scalars as 0-dim tensors left on the device (the loop
reads them every few steps, never one by one). A family only supplies its
maths (`d_loss`, `g_loss`) and, where it needs them, a regulariser on the D
step and something to do after D's optimizer step (clipping).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from training.config import LossConfig
from training.losses.labels import LabelSampler

Scalars = dict[str, torch.Tensor]  # name -> 0-dim tensor on the device, detached


@dataclass
class Networks:
    """G and D with their optimizers: everything a loss updates."""

    generator: nn.Module  # z (N, z_dim, 1, 1) -> images (N, C, S, S) in [-1, 1]
    discriminator: nn.Module  # images (N, C, S, S) -> scores (N,): logits or critic values
    optimizer_g: torch.optim.Optimizer
    optimizer_d: torch.optim.Optimizer


class GanLoss:
    """One loss family: its D update and its G update.

    The G step reuses G(z) from the last D step when given the same z, as the
    PyTorch DCGAN tutorial does: one G forward per step instead of two, and
    BatchNorm's running statistics in G move once per D step either way.
    """

    name: ClassVar[str]
    names: ClassVar[tuple[str, ...]]  # the scalars it logs, as ganreport/runformat.py lists them

    def __init__(self, config: LossConfig, nets: Networks, noise: torch.Generator) -> None:
        self.config = config
        self.nets = nets
        self.noise = noise  # the loss's own random draws: labels, flips, interpolates
        self.labels = LabelSampler(config, noise)
        self._last_fake: tuple[torch.Tensor, torch.Tensor] | None = None  # (z, G(z) with graph)

    @property
    def reg_every(self) -> int:
        """D steps between regularised D steps (the loop passes regularize=True on those)."""
        return 1

    # ------------------------------------------------------------------ the two phases

    def d_step(self, real: torch.Tensor, z: torch.Tensor, regularize: bool = True) -> Scalars:
        """One D update on a real batch (N, C, S, S) and G(z) for z (N, z_dim, 1, 1)."""
        nets = self.nets
        fake = nets.generator(z)  # (N, C, S, S), graph kept for the G step
        self._last_fake = (z, fake)
        nets.optimizer_d.zero_grad(set_to_none=True)
        real_scores = nets.discriminator(real)  # (N,)
        fake_scores = nets.discriminator(fake.detach())  # (N,): D's gradient stops at G's output
        loss, scalars = self.d_loss(real_scores, fake_scores)
        if regularize:
            penalty, extra = self.d_regularizer(real, fake.detach(), real_scores)
            if penalty is not None:
                loss = loss + penalty
            scalars.update(extra)
        loss.backward()
        nets.optimizer_d.step()
        self.after_d_step()
        return {"loss_d": loss.detach(), **scalars}

    def g_step(self, z: torch.Tensor) -> Scalars:
        """One G update on z (N, z_dim, 1, 1); D's weights get no gradient."""
        nets = self.nets
        last, self._last_fake = self._last_fake, None
        fake = last[1] if last is not None and last[0] is z else nets.generator(z)
        nets.optimizer_g.zero_grad(set_to_none=True)
        nets.discriminator.requires_grad_(False)
        try:
            loss, scalars = self.g_loss(nets.discriminator(fake))  # D after its update
            loss.backward()
        finally:
            nets.discriminator.requires_grad_(True)
        nets.optimizer_g.step()
        return {"loss_g": loss.detach(), **scalars}

    # ------------------------------------------------------------------ what a family defines

    def d_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> tuple[
        torch.Tensor, Scalars
    ]:
        """D's loss from its scores on real and fake (N,), and its logged scalars."""
        raise NotImplementedError

    def g_loss(self, fake_scores: torch.Tensor) -> tuple[torch.Tensor, Scalars]:
        """G's loss from D's scores on G(z) (N,), and its logged scalars."""
        raise NotImplementedError

    def d_regularizer(
        self, real: torch.Tensor, fake: torch.Tensor, real_scores: torch.Tensor
    ) -> tuple[torch.Tensor | None, Scalars]:
        """An extra term for D's loss on regularised steps (none by default)."""
        return None, {}

    def after_d_step(self) -> None:
        """Runs after D's optimizer step (WGAN clips D's weights here)."""
