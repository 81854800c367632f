"""The loop hook that grows a progan run: level, alpha, batch size and reals before each step.

It counts the real images the critic has seen (its only state, saved in checkpoints, so a
resumed run continues inside the same stage with the same alpha), puts both nets at the
schedule's resolution and alpha, shows the critic reals pooled to that resolution and
blended as G's output is (nets.progan.reals_at), switches the batch size per stage, adds
resolution/alpha/stage to every metrics row and queues a `stage` event at each boundary.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import torch

from training.config import RunConfig
from training.data import Dataset
from training.errors import UserError
from training.loop import Hook, Trainer
from training.nets.progan import reals_at
from training.progan.schedule import Position, batch_size, position, stage_count


class ProganHook(Hook):
    """Drives the progressive schedule from the images seen."""

    name = "progan"

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.images = 0  # real images the critic has seen
        self.announced = -1  # last stage written to events.jsonl
        self.now: Position = position(config.progan, 0)

    def start(self, trainer: Trainer) -> None:
        self._set_level(trainer)  # the epoch-0 grid at the start resolution, not the target

    def before_step(self, trainer: Trainer) -> None:
        settings = self.config.progan
        now = self._set_level(trainer)
        trainer.batches.batch_size = batch_size(settings, now.stage, self.config.train.batch_size)
        trainer.batches.transform = partial(reals_at, resolution=now.resolution, alpha=now.alpha)
        if now.stage != self.announced:
            self.announced = now.stage
            trainer.events.append(("stage", (
                f"stage {now.stage} of {stage_count(settings) - 1}: {now.resolution} px, "
                f"batch {trainer.batches.batch_size}, after {self.images} images")))

    def _set_level(self, trainer: Trainer) -> Position:
        """Both nets at the schedule's resolution and alpha for the images seen so far."""
        self.now = now = position(self.config.progan, self.images)
        for net in (trainer.nets.generator, trainer.nets.discriminator):
            net.set_level(now.resolution, now.alpha)
        return now

    def after_step(self, trainer: Trainer) -> None:
        self.images += trainer.batches.batch_size * self.config.loss.n_critic

    def row(self, trainer: Trainer) -> dict[str, float]:
        return {"resolution": self.now.resolution, "alpha": round(self.now.alpha, 6),
                "stage": self.now.stage}

    def state_dict(self) -> dict[str, Any]:
        return {"images": self.images, "announced": self.announced}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.images, self.announced = int(state["images"]), int(state["announced"])


def progan_hook(config: RunConfig, dataset: Dataset, device: torch.device) -> Hook | None:
    """The hook for model.arch progan (None otherwise); every stage's batch must fit."""
    if config.model.arch != "progan":
        return None
    largest = max([config.train.batch_size, *config.progan.batch_sizes])
    if largest > len(dataset):
        raise UserError(config.sources.get("progan.batch_sizes", "config"), "progan.batch_sizes",
                        f"a batch of {largest} is more than the {len(dataset)} images")
    return ProganHook(config)
