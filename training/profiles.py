"""Profiles: named size reductions applied on top of a recipe.

A recipe (the YAML files) states the full experiment. A profile makes it fit a
machine, in this order: `scales` multiply a number (integers are rounded, and
stay at least 1), so the ratios between versions survive; `caps` lower a
number to at most the given value (never raise it); `sets` replace a value
outright. Every resulting difference from the recipe is recorded in
config.yaml under `profile.changed` as [recipe value, used value], so the
write-up can say exactly what ran. The built-in profiles are below; a study's
`profiles:` in study.yaml extends or replaces them for that study
(`parse_profiles`). `auto` picks `full` on CUDA and `cpu` elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from training import config as cfg
from training.errors import UserError

RULE_KINDS = ("scales", "caps", "sets")  # also the order they are applied in
ENTRY_KEYS = ("description", "replace", *RULE_KINDS)


@dataclass(frozen=True)
class Profile:
    """A named set of scales, caps and replacements on dotted config keys."""

    name: str
    description: str
    caps: dict[str, Any] = field(default_factory=dict)
    sets: dict[str, Any] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)
    # dotted key -> where its rule is written (a study.yaml); built-in rules are absent
    origins: dict[str, str] = field(default_factory=dict, compare=False)

    def source_of(self, dotted: str) -> str:
        """Where the rule that changed `dotted` comes from, for error messages."""
        return self.origins.get(dotted, f"--profile {self.name}")


PROFILES: dict[str, Profile] = {
    "full": Profile("full", "The exact recipe from the YAML files (the default with CUDA)."),
    "cpu": Profile(
        "cpu",
        "Sized by measurement (docs/training.md, 'How the cpu profile was chosen') so "
        "`make train` trains the abstract study's three versions within 8 minutes on two "
        "CPU cores: 32 px images, 2048 of them, half-width networks (ngf = ndf = 32), "
        "batch 32, and 0.07 of each version's epochs, so the recipes' 300/100/400 become "
        "21/7/28 epochs of 64 steps (3:1:4, as the recipes); a grid every epoch; quality "
        "measured on 256 samples.",
        caps={
            "dataset.image_size": 32,
            "dataset.count": 2048,
            "model.g_features": 32,
            "model.d_features": 32,
            "train.batch_size": 32,
            "quality.samples": 256,
        },
        sets={"train.log_every": 8, "train.sample_every": 1, "train.checkpoint_every": 7},
        scales={"train.epochs": 0.07},
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
        # progan.batch_sizes: [] -> train.batch_size at every stage (the per-stage table
        # of a recipe is larger than the smoke dataset)
        sets={"train.log_every": 1, "train.sample_every": 1, "train.checkpoint_every": 1,
              "progan.batch_sizes": []},
    ),
}
RESERVED = {
    "auto": "auto picks full or cpu by device; name your profile otherwise",
    "full": "full is the recipe itself, unchanged; name your profile otherwise",
}


def pick_profile(name: str, device_type: str, table: Mapping[str, Profile] = PROFILES) -> Profile:
    """Resolve `auto` by device, then look the name up (a study passes its own table)."""
    if name == "auto":
        name = "full" if device_type == "cuda" else "cpu"
    if name not in table:
        known = ", ".join(["auto", *table])
        raise UserError("--profile", name, f"unknown profile; expected one of {known}")
    return table[name]


def apply_profile(flat: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """Return a copy of a flat (dotted) config with the profile's scales, caps and sets."""
    used = dict(flat)
    for key, factor in profile.scales.items():
        value = used.get(key)
        if isinstance(value, int):
            used[key] = max(1, math.floor(value * factor + 0.5))  # round half up
        elif isinstance(value, float):
            used[key] = value * factor
        # null (e.g. dataset.count: all images) has no size to scale: it stays null
    for key, cap in profile.caps.items():
        value = used.get(key)
        used[key] = cap if value is None else min(value, cap)
    used.update(profile.sets)
    return used


# --------------------------------------------------------------------------- from study.yaml


def parse_profiles(
    raw: dict[str, Any], source: str, inherited: Mapping[str, Profile]
) -> dict[str, Profile]:
    """A study.yaml `profiles:` mapping over the inherited table -> the study's table.

    An entry extends the inherited profile of its name: a key the entry mentions (in
    any of scales, caps, sets) drops every inherited rule on that key; other inherited
    rules stay. `replace: true` starts from nothing instead. A new name adds a profile.
    """
    table = dict(inherited)
    for name, entry in raw.items():
        label = f"profiles.{name}"
        if not cfg.is_valid_name(name):
            raise UserError(source, label, f"a profile name uses {cfg.NAME_RULE}")
        if name in RESERVED:
            raise UserError(source, label, RESERVED[name])
        if not isinstance(entry, dict):
            raise UserError(source, label, f"expected a mapping with {', '.join(ENTRY_KEYS)}")
        for key in entry:
            if key not in ENTRY_KEYS:
                raise UserError(
                    source, f"{label}.{key}", f"unknown key; expected {', '.join(ENTRY_KEYS)}"
                )
        description = _typed(entry, "description", str, "", source, label)
        replace = _typed(entry, "replace", bool, False, source, label)
        rules = {kind: _rules(kind, entry.get(kind), source, label) for kind in RULE_KINDS}
        base = None if replace else table.get(name)
        table[name] = _extend(base, name, description, rules, f"{source} ({label})")
    return table


def _typed(entry: dict, key: str, kind: type, default: Any, source: str, label: str) -> Any:
    value = entry.get(key, default)
    if not isinstance(value, kind):
        expected = "true or false" if kind is bool else "a string"
        raise UserError(source, f"{label}.{key}", f"expected {expected}, got {cfg.show(value)}")
    return value


def _rules(kind: str, mapping: Any, source: str, label: str) -> dict[str, Any]:
    """Validate one of scales/caps/sets: known dotted keys, values of the right type."""
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise UserError(source, f"{label}.{kind}", "expected a mapping of dotted keys to values")
    rules = {}
    for dotted, value in mapping.items():
        key_label = f"{label}.{kind}.{dotted}"
        hint = cfg.key_hint(str(dotted))
        if hint is None:  # unknown key: check_setting words the hint (did you mean ...?)
            cfg.check_setting(str(dotted), value, source, key_label)
        if kind != "sets" and not cfg.is_numeric(hint):
            raise UserError(source, key_label, f"{kind} apply to numbers only; use sets")
        if kind == "scales":
            rules[dotted] = _factor(value, source, key_label)
        elif kind == "caps" and value is None:
            raise UserError(source, key_label, "expected a number, got null")
        else:
            rules[dotted] = cfg.check_setting(dotted, value, source, key_label)
    return rules


def _factor(value: Any, source: str, label: str) -> float:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value <= 0:
        raise UserError(source, label, f"expected a positive finite factor, got {cfg.show(value)}")
    return float(value)


def _extend(
    base: Profile | None, name: str, description: str, rules: dict[str, dict], origin: str
) -> Profile:
    """The base profile with the entry's rules; the entry owns every key it mentions."""
    mentioned = {key for kind in RULE_KINDS for key in rules[kind]}
    kept: dict[str, dict[str, Any]] = {kind: {} for kind in RULE_KINDS}
    origins: dict[str, str] = {}
    if base is not None:
        for kind in RULE_KINDS:
            kept[kind] = {k: v for k, v in getattr(base, kind).items() if k not in mentioned}
        origins = {k: v for k, v in base.origins.items() if k not in mentioned}
    for kind in RULE_KINDS:
        kept[kind].update(rules[kind])
    origins.update(dict.fromkeys(mentioned, origin))
    if not description:
        description = base.description if base is not None else ""
    return Profile(name, description, kept["caps"], kept["sets"], kept["scales"], origins)
