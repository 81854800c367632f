"""Profiles: named size reductions applied on top of a recipe, defined here only.

A recipe (the YAML files) states the full experiment. A profile makes it fit a
machine: `caps` lower a number to at most the given value (never raise it),
`sets` replace a value outright. Every resulting difference from the recipe is
recorded in config.yaml under `profile.changed` as [recipe value, used value],
so the write-up can say exactly what ran. `auto` picks `full` on CUDA and
`cpu` elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from training.errors import UserError


@dataclass(frozen=True)
class Profile:
    """A named set of caps and replacements on dotted config keys."""

    name: str
    description: str
    caps: dict[str, int] = field(default_factory=dict)
    sets: dict[str, Any] = field(default_factory=dict)


PROFILES: dict[str, Profile] = {
    "full": Profile("full", "The exact recipe from the YAML files (the default with CUDA)."),
    "cpu": Profile(
        "cpu",
        "Sized so `make train` trains the abstract study's three versions in about five "
        "minutes on two idle CPU cores: 32 px images, 2048 of them, quarter-width networks "
        "(ngf = ndf = 16), batch 32 and 36 epochs (2304 steps) per version, a grid every epoch.",
        caps={
            "dataset.image_size": 32,
            "dataset.count": 2048,
            "model.g_features": 16,
            "model.d_features": 16,
            "train.batch_size": 32,
            "train.epochs": 36,
        },
        sets={"train.log_every": 8, "train.sample_every": 1, "train.checkpoint_every": 12},
    ),
    "smoke": Profile(
        "smoke",
        "A seconds-long check that everything runs: 32 px, 48 images, tiny networks, 2 epochs.",
        caps={
            "dataset.image_size": 32,
            "dataset.count": 48,
            "model.g_features": 8,
            "model.d_features": 8,
            "train.batch_size": 16,
            "train.epochs": 2,
        },
        sets={"train.log_every": 1, "train.sample_every": 1, "train.checkpoint_every": 1},
    ),
}


def pick_profile(name: str, device_type: str) -> Profile:
    """Resolve `auto` by device; raise a UserError naming the known profiles otherwise."""
    if name == "auto":
        name = "full" if device_type == "cuda" else "cpu"
    if name not in PROFILES:
        known = ", ".join(["auto", *PROFILES])
        raise UserError("--profile", name, f"unknown profile; expected one of {known}")
    return PROFILES[name]


def apply_profile(flat: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """Return a copy of a flat (dotted) config with the profile's caps and sets applied."""
    used = dict(flat)
    for key, cap in profile.caps.items():
        value = used.get(key)
        used[key] = cap if value is None else min(value, cap)
    used.update(profile.sets)
    return used
