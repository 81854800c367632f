"""Per-step fingerprints that show DDP ranks stay in step (a debugging and test aid).

With GANREPORT_PARITY_DIR set, every rank appends one line per G step to
<dir>/rank<r>.txt: the step, a SHA-256 of G's and D's parameters, and this rank's own
D loss over the step (from its local batch slice). Identical hashes with different
losses mean the ranks trained on different data and still hold the same weights.
GANREPORT_PARITY_INF=<rank>:<step> also adds an infinite D loss on that rank once, after
that step, to check that all ranks roll back together. Unset (always, outside tests), no
hook is made and nothing is written.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from training import distributed
from training.config import RunConfig
from training.data import Dataset
from training.loop import Hook, Trainer

ENV = "GANREPORT_PARITY_DIR"
INF_ENV = "GANREPORT_PARITY_INF"


def fingerprint(modules: list[torch.nn.Module]) -> str:
    """SHA-256 of every parameter's bytes, in order."""
    digest = hashlib.sha256()
    for module in modules:
        for parameter in module.parameters():
            digest.update(parameter.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()


class ParityHook(Hook):
    """Writes `step sha256 local_loss_d` after each step; holds no state."""

    name = "parity"

    def __init__(self, folder: Path, inject: str = "") -> None:
        self.path = folder / f"rank{distributed.rank()}.txt"
        rank, _, step = inject.partition(":")
        self.inject_at = int(step) if inject and int(rank) == distributed.rank() else None

    def after_step(self, trainer: Trainer) -> None:
        if trainer.step == self.inject_at:
            self.inject_at = None  # once: the rolled-back run passes this step again
            trainer.meter.add({"loss_d": torch.tensor(float("inf"), device=trainer.device)})
        nets = trainer.nets
        local = trainer.meter.sums.get("loss_d")  # unread local sum: this rank's batches only
        loss = float(local) if local is not None else float("nan")
        line = f"{trainer.step} {fingerprint([nets.generator, nets.discriminator])} {loss!r}\n"
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)


def parity_hook(config: RunConfig, dataset: Dataset, device: torch.device) -> Hook | None:
    """A ParityHook when GANREPORT_PARITY_DIR names a folder (tests); None otherwise."""
    folder = os.environ.get(ENV)
    return ParityHook(Path(folder), os.environ.get(INF_ENV, "")) if folder else None
