"""Experiments as YAML: load a study, resolve one version, validate every key.

A study is a folder `experiments/<study>/` with `study.yaml` (title, shared
settings, version order) and one `<version>.yaml` per version that states only
what differs from its `parent` (or, without a parent, from the study).
Resolution order, last wins: dataclass defaults < study.yaml < parent chain <
version file < profile < `--set` overrides. Every layer is validated on its
own, so an error names the file (or `--set`) that holds the bad key.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from training.errors import UserError

# --------------------------------------------------------------------------- YAML


class YamlLoader(yaml.SafeLoader):
    """SafeLoader that also reads `1e-3` as a float (YAML 1.1 wants `1.0e-3`)."""


YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)

# --------------------------------------------------------------------------- schema


@dataclass
class DatasetConfig:
    """Where the training images come from and how they are shaped."""

    name: str = "abstract"  # display name on the site
    kind: Literal["procedural", "folder", "mnist", "svhn", "cifar10"] = "procedural"
    path: str | None = None  # folder/mnist/svhn/cifar10: where the files are (relative to cwd)
    image_size: int = 64  # images are resized (and centre-cropped) to this square size
    channels: int = 3  # 3 = RGB, 1 = grayscale
    count: int | None = 6000  # procedural: images made; others: at most (null = all)
    seed: int = 0  # procedural: seed of the compositions
    split: Literal["train", "test", "all"] = "all"  # mnist/svhn/cifar10: which files to read
    download: bool = False  # mnist/svhn/cifar10: fetch missing files (never without this)
    flip: bool = False  # random horizontal flips of real batches


@dataclass
class ModelConfig:
    """Which networks (training/nets/) and their widths; the depth follows dataset.image_size."""

    arch: Literal["dcgan", "infogan", "linear", "tf_tutorial", "progan"] = "dcgan"
    z_dim: int = 100
    g_features: int = 64  # ngf in the PyTorch DCGAN tutorial
    d_features: int = 64  # ndf
    g_activation: Literal["relu", "leaky_relu"] = "relu"
    d_activation: Literal["relu", "leaky_relu"] = "leaky_relu"
    g_norm: Literal["batch", "instance", "layer", "none"] = "batch"
    d_norm: Literal["batch", "instance", "layer", "none"] = "batch"
    g_spectral_norm: bool = False
    d_spectral_norm: bool = False
    d_dropout: float = 0.0  # dropout rate after each hidden D block (0 = none)


@dataclass
class LossConfig:
    """Which loss (training/losses/), D's targets, and the phase schedule it asks for."""

    name: Literal["bce", "lsgan", "wgan", "wgan-gp", "hinge"] = "bce"
    real_label_range: list[float] = field(default_factory=lambda: [1.0, 1.0])
    fake_label_range: list[float] = field(default_factory=lambda: [0.0, 0.0])
    flip_prob: float = 0.0  # chance that a D target is swapped real <-> fake
    n_critic: int = 1  # D steps per G step
    clip_value: float = 0.01  # wgan: every D weight is clipped to [-c, c] after a D step
    gp_weight: float = 10.0  # wgan-gp: lambda, the gradient penalty's weight
    gp_every: int = 1  # wgan-gp: the penalty is computed every k-th D step (lazy)
    drift: float = 0.0  # wgan-gp: weight of E[D(x)^2] (ProGAN uses 0.001)


@dataclass
class OptimConfig:
    """The optimiser of each network; g_*/d_* override the shared value (two time scales)."""

    name: Literal["adam", "rmsprop"] = "adam"
    lr: float = 0.0005
    beta1: float = 0.5
    beta2: float = 0.999
    g_name: Literal["adam", "rmsprop"] | None = None  # null: optim.name
    d_name: Literal["adam", "rmsprop"] | None = None
    g_lr: float | None = None  # null: optim.lr
    d_lr: float | None = None
    g_betas: list[float] | None = None  # [beta1, beta2]; null: optim.beta1/beta2
    d_betas: list[float] | None = None


@dataclass
class TrainConfig:
    """Loop length and how often it writes metrics, grids and checkpoints."""

    epochs: int = 300
    batch_size: int = 128
    log_every: int = 10  # steps between metrics.jsonl rows (plus each epoch's last step)
    sample_every: int = 10  # epochs between sample grids (plus epoch 0 and the last)
    checkpoint_every: int = 1  # epochs between checkpoints (plus the last)
    checkpoint_steps: int | None = None  # also every N steps (null: only by epoch and time)
    checkpoint_minutes: float = 10.0  # also whenever this long has passed since the last one
    on_nonfinite: Literal["stop", "rollback"] = "stop"  # NaN/inf: stop, or reload last good
    rollback_lr_scale: float = 0.5  # rollback: both learning rates are multiplied by this
    max_rollbacks: int = 3  # rollback: after this many, the run stops as diverged


@dataclass
class ProfileInfo:
    """Which profile ran and every setting that differs from the recipe."""

    name: str = "full"
    changed: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class RunConfig:
    """Everything one run needs; written to config.yaml exactly as it ran."""

    study: str
    study_title: str
    version: str
    title: str
    description: str
    order: int
    parent: str | None
    seed: int
    noise_seed: int
    dataset: DatasetConfig
    model: ModelConfig
    loss: LossConfig
    optim: OptimConfig
    train: TrainConfig
    profile: ProfileInfo = field(default_factory=ProfileInfo)
    overrides: list[str] = field(default_factory=list)
    # dotted key -> the file (or option) that set it; for error messages, not written out
    sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict in field order (the order config.yaml shows), minus `sources`."""
        tree = dataclasses.asdict(self)
        del tree["sources"]
        return tree


SECTIONS: dict[str, type] = {
    "dataset": DatasetConfig,
    "model": ModelConfig,
    "loss": LossConfig,
    "optim": OptimConfig,
    "train": TrainConfig,
}
# Top-level scalar keys each kind of file may set, with their types.
STUDY_KEYS: dict[str, Any] = {
    "title": str,
    "description": str,
    "versions": list[str],
    "seed": int,
    "noise_seed": int,
}
VERSION_KEYS: dict[str, Any] = {"title": str, "description": str, "parent": str | None, "seed": int}
STUDY_DEFAULTS = {"seed": 1, "noise_seed": 1234}

# Range checks after merging: dotted key -> (predicate, what is expected).
RANGE_CHECKS: dict[str, tuple[typing.Callable[[Any], bool], str]] = {
    "dataset.image_size": (lambda v: v in (16, 28, 32, 64, 128, 256),
                           "one of 16, 28, 32, 64, 128, 256"),
    "dataset.channels": (lambda v: v in (1, 3), "1 (grayscale) or 3 (RGB)"),
    "dataset.count": (lambda v: v is None or v >= 1, "a positive integer or null"),
    "model.z_dim": (lambda v: v >= 1, "a positive integer"),
    "model.g_features": (lambda v: v >= 1, "a positive integer"),
    "model.d_features": (lambda v: v >= 1, "a positive integer"),
    "model.d_dropout": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "loss.real_label_range": (lambda v: 0 <= v[0] <= v[1] <= 1, "[lo, hi] with 0 <= lo <= hi <= 1"),
    "loss.fake_label_range": (lambda v: 0 <= v[0] <= v[1] <= 1, "[lo, hi] with 0 <= lo <= hi <= 1"),
    "loss.flip_prob": (lambda v: 0 <= v < 0.5, "a number in [0, 0.5)"),
    "loss.n_critic": (lambda v: v >= 1, "a positive integer"),
    "loss.clip_value": (lambda v: v > 0, "a positive number"),
    "loss.gp_weight": (lambda v: v >= 0, "a number >= 0"),
    "loss.gp_every": (lambda v: v >= 1, "a positive integer"),
    "loss.drift": (lambda v: v >= 0, "a number >= 0"),
    "optim.lr": (lambda v: v > 0, "a positive number"),
    "optim.beta1": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "optim.beta2": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "optim.g_lr": (lambda v: v is None or v > 0, "a positive number or null"),
    "optim.d_lr": (lambda v: v is None or v > 0, "a positive number or null"),
    "optim.g_betas": (lambda v: v is None or all(0 <= b < 1 for b in v),
                      "[beta1, beta2], each in [0, 1), or null"),
    "optim.d_betas": (lambda v: v is None or all(0 <= b < 1 for b in v),
                      "[beta1, beta2], each in [0, 1), or null"),
    "train.epochs": (lambda v: v >= 1, "a positive integer"),
    "train.batch_size": (lambda v: v >= 2, "an integer >= 2 (BatchNorm needs two images)"),
    "train.log_every": (lambda v: v >= 1, "a positive integer"),
    "train.sample_every": (lambda v: v >= 1, "a positive integer"),
    "train.checkpoint_every": (lambda v: v >= 1, "a positive integer"),
    "train.checkpoint_steps": (lambda v: v is None or v >= 1, "a positive integer or null"),
    "train.checkpoint_minutes": (lambda v: 0 < v < float("inf"), "a positive number of minutes"),
    "train.rollback_lr_scale": (lambda v: 0 < v < 1, "a number in (0, 1)"),
    "train.max_rollbacks": (lambda v: v >= 0, "an integer >= 0"),
}


def all_dotted_keys() -> list[str]:
    """Every settable dotted key (`optim.lr`), for --set and close-match hints."""
    keys = [f"{name}.{f.name}" for name, cls in SECTIONS.items() for f in dataclasses.fields(cls)]
    return sorted(set(keys) | set(VERSION_KEYS) | {"noise_seed"})


# --------------------------------------------------------------------------- type checks


def _type_name(hint: Any) -> str:
    """Human name of a type hint for error messages ('an integer', 'one of relu, ...')."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" or null" if type(None) in args else "")
    if origin is list:
        inner = args[0] if args else Any
        return "a list of two numbers [lo, hi]" if inner is float else "a list of strings"
    if origin is dict:
        return "a mapping"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        hint, str(hint)
    )


def _matches(value: Any, hint: Any) -> bool:
    """True when a YAML value fits a type hint (ints are accepted as floats)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin is Literal:
        return value in args
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if hint is type(None):
        return value is None
    if origin is list:
        if not isinstance(value, list):
            return False
        if args and args[0] is float:
            return len(value) == 2 and all(_matches(v, float) for v in value)
        return all(_matches(v, args[0]) for v in value) if args else True
    if origin is dict:
        return isinstance(value, dict)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _coerce(value: Any, hint: Any) -> Any:
    """Turn YAML ints into floats where a float is expected, so config.yaml is uniform."""
    if hint is float and isinstance(value, int):
        return float(value)
    if typing.get_origin(hint) is list and typing.get_args(hint)[:1] == (float,):
        return [float(v) for v in value]
    return value


def _unknown_key(source: str, dotted: str, candidates: list[str]) -> UserError:
    """An unknown-key error with difflib's close matches among the allowed keys."""
    leaf = dotted.rsplit(".", 1)[-1]
    by_leaf = {key.rsplit(".", 1)[-1]: key for key in candidates}
    close = [by_leaf[m] for m in difflib.get_close_matches(leaf, list(by_leaf), n=3, cutoff=0.6)]
    if not close:  # a right name in the wrong section: `lr` at top level -> optim.lr
        close = [k for k in all_dotted_keys() if k.rsplit(".", 1)[-1] == leaf and k != dotted]
    if close:
        return UserError(source, dotted, f"unknown key; did you mean {' or '.join(close)}?")
    known = ", ".join(candidates) if len(candidates) <= 8 else "see docs/training.md"
    return UserError(source, dotted, f"unknown key; known keys here: {known}")


def check_layer(layer: dict[str, Any], top_keys: dict[str, Any], source: str) -> dict[str, Any]:
    """Validate one file's (or --set's) partial config tree; return it with coerced values."""
    if not isinstance(layer, dict):
        raise UserError(source, "(top level)", "expected a mapping of keys to values")
    top_candidates = list(top_keys) + list(SECTIONS)
    checked: dict[str, Any] = {}
    for key, value in layer.items():
        key = str(key)
        if key in SECTIONS:
            checked[key] = _check_section(key, value, source)
        elif key in top_keys:
            if not _matches(value, top_keys[key]):
                raise UserError(source, key, f"expected {_type_name(top_keys[key])}, got {value!r}")
            checked[key] = _coerce(value, top_keys[key])
        elif key == "noise_seed":
            raise UserError(source, key, "set it in study.yaml: every version must share it")
        else:
            raise _unknown_key(source, key, top_candidates)
    return checked


def _check_section(section: str, value: Any, source: str) -> dict[str, Any]:
    """Validate the keys and value types of one section mapping (`optim: {...}`)."""
    cls = SECTIONS[section]
    if not isinstance(value, dict):
        raise UserError(source, section, f"expected a mapping of {section} settings")
    hints = typing.get_type_hints(cls)
    names = [f"{section}.{f.name}" for f in dataclasses.fields(cls)]
    checked = {}
    for key, item in value.items():
        dotted = f"{section}.{key}"
        if key not in hints:
            raise _unknown_key(source, dotted, names)
        if not _matches(item, hints[key]):
            raise UserError(source, dotted, f"expected {_type_name(hints[key])}, got {item!r}")
        checked[key] = _coerce(item, hints[key])
    return checked


# --------------------------------------------------------------------------- merging


def merge(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge layer over base (mappings merge, everything else replaces)."""
    merged = dict(base)
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'optim': {'lr': 1}} -> {'optim.lr': 1}; how --set, profiles and diffs see a config."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """{'optim.lr': 1} -> {'optim': {'lr': 1}}."""
    tree: dict[str, Any] = {}
    for dotted, value in flat.items():
        node = tree
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def defaults_tree() -> dict[str, Any]:
    """The dataclass defaults as a nested dict (the bottom layer of every config)."""
    return {name: dataclasses.asdict(cls()) for name, cls in SECTIONS.items()}


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """`--set key=value` pairs -> partial tree; values are YAML-typed (`3`, `0.5`, `[0, 1]`)."""
    flat: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError("--set", pair, "expected key=value, e.g. --set train.epochs=5")
        try:
            flat[key] = yaml.load(text, Loader=YamlLoader) if text.strip() else None
        except yaml.YAMLError as exc:
            raise UserError("--set", key, f"value is not valid YAML: {text!r}") from exc
        if "." not in key and key not in VERSION_KEYS and key != "noise_seed":
            raise _unknown_key("--set", key, all_dotted_keys())
    return unflatten(flat)


def check_ranges(flat: dict[str, Any], sources: dict[str, str]) -> None:
    """Range checks on the merged config, naming the layer that set the bad value."""
    for dotted, (ok, expected) in RANGE_CHECKS.items():
        value = flat.get(dotted)
        if dotted in flat and not ok(value):
            raise UserError(
                sources.get(dotted, "defaults"), dotted, f"expected {expected}, got {value!r}"
            )
    kind, path = flat.get("dataset.kind"), flat.get("dataset.path")
    if kind in ("folder", "mnist") and not path:
        raise UserError(
            sources.get("dataset.kind", "defaults"),
            "dataset.path",
            f"dataset.kind {kind} needs dataset.path (a folder of files)",
        )


def build_run_config(tree: dict[str, Any]) -> RunConfig:
    """Nested dict (already validated) -> RunConfig dataclasses."""
    sections = {name: cls(**tree[name]) for name, cls in SECTIONS.items()}
    top = {k: v for k, v in tree.items() if k not in SECTIONS}
    top["profile"] = ProfileInfo(**top.get("profile", {}))
    return RunConfig(**top, **sections)
