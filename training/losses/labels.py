"""D's targets for losses that have them: smoothing by ranges, one-sided, flipping.

Draws come from the loss's own seeded generator, never the global RNG, so two
versions that differ only in their labels still see the same z and batches.
A point range ([1, 1]) draws nothing: hard labels cost no randomness.
"""

from __future__ import annotations

import torch

from training.config import LossConfig


def draw_labels(
    label_range: list[float], count: int, device: torch.device | str, generator: torch.Generator
) -> torch.Tensor:
    """(count,) targets uniform in [lo, hi] drawn from `generator` (on `device`)."""
    low, high = label_range
    if low == high:
        return torch.full((count,), float(low), device=device)
    return low + (high - low) * torch.rand(count, device=device, generator=generator)


class LabelSampler:
    """Targets for D on real and on fake batches, from loss.*_label_range and loss.flip_prob."""

    def __init__(self, config: LossConfig, generator: torch.Generator) -> None:
        self.real_range = list(config.real_label_range)
        self.fake_range = list(config.fake_label_range)
        self.flip_prob = config.flip_prob
        self.generator = generator

    def real(self, count: int, device: torch.device | str) -> torch.Tensor:
        """(count,) targets for a real batch; a flipped one is drawn from the fake range."""
        return self._draw(self.real_range, self.fake_range, count, device)

    def fake(self, count: int, device: torch.device | str) -> torch.Tensor:
        """(count,) targets for a fake batch; a flipped one is drawn from the real range."""
        return self._draw(self.fake_range, self.real_range, count, device)

    def _draw(
        self, own: list[float], other: list[float], count: int, device: torch.device | str
    ) -> torch.Tensor:
        targets = draw_labels(own, count, device, self.generator)
        if self.flip_prob > 0:
            flipped = torch.rand(count, device=device, generator=self.generator) < self.flip_prob
            swapped = draw_labels(other, count, device, self.generator)
            targets = torch.where(flipped, swapped, targets)
        return targets
