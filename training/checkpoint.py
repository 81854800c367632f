"""What a checkpoint holds, how it is taken from a trainer and put back, and how it is found.

A checkpoint is everything that decides the rest of a run: the weights, both
optimizers, the step, every random state (Python, NumPy, torch CPU and CUDA,
and the run's own generators for batches, z and the loss's draws), the batch
order and position, the fixed noise, the unread metric sums and the epoch's
running totals. Put back into a freshly built trainer, the run continues as if
it had never stopped. Files are loaded with weights_only=True: a checkpoint
from elsewhere cannot run code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ganreport import runformat as rf
from training.config import flatten

if TYPE_CHECKING:
    from training.loop import Progress, Trainer

REQUIRED = (
    "step", "generator", "discriminator", "optimizer_g", "optimizer_d", "rng", "config", "progress"
)
IGNORED_DIFFERENCES = ("overrides", "profile.changed")  # they follow from the other keys


def _numpy_state() -> dict[str, Any]:
    name, keys, position, has_gauss, cached = np.random.get_state()
    return {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "position": position,
            "has_gauss": has_gauss, "cached_gaussian": cached}


def _set_numpy_state(state: dict[str, Any]) -> None:
    keys = state["keys"].numpy().astype(np.uint32)
    np.random.set_state(
        (state["name"], keys, state["position"], state["has_gauss"], state["cached_gaussian"])
    )


def rng_state(trainer: Trainer) -> dict[str, Any]:
    """Every random state the run draws from."""
    state = {
        "python": random.getstate(),
        "numpy": _numpy_state(),
        "torch": torch.get_rng_state(),
        "z": trainer.z_noise.get_state(),
        "loss": trainer.loss_noise.get_state(),
    }
    if trainer.device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(trainer: Trainer, state: dict[str, Any]) -> None:
    random.setstate(_as_tuple(state["python"]))
    _set_numpy_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    trainer.z_noise.set_state(state["z"])
    trainer.loss_noise.set_state(state["loss"])
    if trainer.device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_tuple(value: Any) -> Any:
    """random.setstate wants tuples all the way down."""
    return tuple(_as_tuple(v) for v in value) if isinstance(value, list | tuple) else value


def capture(trainer: Trainer, progress: Progress) -> dict[str, Any]:
    """The checkpoint of a trainer between two steps."""
    nets = trainer.nets
    return {
        "format_version": rf.FORMAT_VERSION,
        "config": trainer.config.to_dict(),
        "step": trainer.step,
        "epoch": progress.epochs_done,  # epochs completed
        "generator": nets.generator.state_dict(),
        "discriminator": nets.discriminator.state_dict(),
        "optimizer_g": nets.optimizer_g.state_dict(),
        "optimizer_d": nets.optimizer_d.state_dict(),
        "fixed_noise": trainer.fixed_noise.cpu(),
        "rng": rng_state(trainer),
        "batches": trainer.batches.state_dict(),
        "meter": trainer.meter.state_dict(),
        "trainer": {"lr_scale": trainer.lr_scale, "rollbacks": trainer.rollbacks},
        "progress": progress.state_dict(),
        "hooks": {hook.name: hook.state_dict() for hook in trainer.hooks},
    }


def restore(trainer: Trainer, progress: Progress, state: dict[str, Any]) -> None:
    """Put a checkpoint back into a trainer built from the same config."""
    nets = trainer.nets
    nets.generator.load_state_dict(state["generator"])
    nets.discriminator.load_state_dict(state["discriminator"])
    nets.optimizer_g.load_state_dict(state["optimizer_g"])
    nets.optimizer_d.load_state_dict(state["optimizer_d"])
    trainer.fixed_noise = state["fixed_noise"].to(trainer.device)
    trainer.batches.load_state_dict(state["batches"])
    trainer.meter.load_state_dict(state["meter"], trainer.device)
    trainer.step = int(state["step"])
    trainer.lr_scale = float(state["trainer"]["lr_scale"])
    trainer.rollbacks = int(state["trainer"]["rollbacks"])
    progress.load_state_dict(state["progress"])
    for hook in trainer.hooks:
        if hook.name in state.get("hooks", {}):
            hook.load_state_dict(state["hooks"][hook.name])
    set_rng_state(trainer, state["rng"])


@dataclass
class Loaded:
    """A checkpoint read from a run folder, and what was wrong with newer ones."""

    state: dict[str, Any]
    path: Path
    skipped: list[str] = field(default_factory=list)  # "checkpoints/last.pt: <why>"


def load_checkpoint(folder: Path) -> tuple[Loaded | None, list[str]]:
    """The newest readable checkpoint of a run folder (last.pt, else previous.pt).

    Returns (loaded or None, reasons the others were skipped).
    """
    skipped: list[str] = []
    for name in (rf.LAST_CHECKPOINT, rf.PREVIOUS_CHECKPOINT):
        path = folder / name
        if not path.is_file():
            continue
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # torn, truncated or foreign: try the older one
            skipped.append(f"{name}: unreadable ({type(error).__name__})")
            continue
        missing = [key for key in REQUIRED if not isinstance(state, dict) or key not in state]
        if missing:
            skipped.append(f"{name}: not a resumable checkpoint (missing {', '.join(missing)})")
            continue
        return Loaded(state, path, skipped), skipped
    return None, skipped


def config_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Dotted keys whose values differ between two config trees (config.yaml order)."""
    before, after = flatten(old), flatten(new)
    keys = list(after) + [key for key in before if key not in after]
    return [
        key for key in keys
        if before.get(key) != after.get(key)
        and not any(key == skip or key.startswith(skip + ".") for skip in IGNORED_DIFFERENCES)
    ]
