"""Real batches in a seeded order that a checkpoint can stop and restart mid-epoch.

The images stay one uint8 tensor (N, C, S, S) (on the GPU when they fit); a
batch is a slice of a random permutation, normalised to [-1, 1] where the
images live. The stream is endless: when a permutation runs out (its
remainder, fewer than a batch, is dropped), the next is drawn. Its whole state
is the permutation, the position in it and the generator, so a resumed run
draws exactly the batches the interrupted one would have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


class BatchStream:
    """Endless seeded batches (B, C, S, S) in [-1, 1], with optional random horizontal flips."""

    def __init__(
        self, images: torch.Tensor, batch_size: int, seed: int, flip: bool, device: torch.device,
        shard: tuple[int, int] = (0, 1),
    ) -> None:
        if images.shape[0] < batch_size:
            raise ValueError(f"{images.shape[0]} images are fewer than one batch of {batch_size}")
        self.images = images  # (N, C, S, S) uint8, on `device` or on the CPU
        self.batch_size = batch_size
        self.flip = flip
        self.device = device
        self.shard = shard  # (rank, ranks): under DDP each rank takes its slice of each batch
        self.generator = torch.Generator().manual_seed(seed)  # CPU: the same order everywhere
        self.order: torch.Tensor | None = None  # (N,) the current permutation (CPU)
        self.position = 0  # index of the next batch's first image in `order`
        # applied to each batch (a progressive run pools reals to its resolution); not state
        self.transform: Callable[[torch.Tensor], torch.Tensor] | None = None

    @property
    def batches_per_pass(self) -> int:
        """Whole batches in one pass over the images."""
        return self.images.shape[0] // self.batch_size

    def next(self) -> torch.Tensor:
        """The next real batch (B, C, S, S), float in [-1, 1], on the training device."""
        if self.order is None or self.position + self.batch_size > self.order.shape[0]:
            self.order = torch.randperm(self.images.shape[0], generator=self.generator)
            self.position = 0
        indices = self.order[self.position : self.position + self.batch_size]  # (B,)
        self.position += self.batch_size
        flips = None
        if self.flip:
            flips = torch.rand(self.batch_size, generator=self.generator) < 0.5  # (B,) bool
        rank, ranks = self.shard
        if ranks > 1:  # the same global batch on every rank; this rank keeps its B/ranks
            if self.batch_size % ranks:
                raise ValueError(f"a batch of {self.batch_size} does not split over {ranks} ranks")
            part = self.batch_size // ranks
            indices = indices[rank * part : (rank + 1) * part]
            flips = flips[rank * part : (rank + 1) * part] if flips is not None else None
        batch = self.images[indices.to(self.images.device)]  # (B, C, S, S) uint8
        batch = batch.to(self.device, non_blocking=True).float().div_(127.5).sub_(1.0)
        if flips is not None:
            mask = flips.to(self.device).view(-1, 1, 1, 1)
            batch = torch.where(mask, batch.flip(3), batch)
        return self.transform(batch) if self.transform is not None else batch

    def state_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator.get_state(),
            "order": self.order,
            "position": self.position,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.order = state["order"]
        self.position = int(state["position"])
