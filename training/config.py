"""Experiments as YAML: the schema, and the checks every layer of a config passes.

A study is a folder `experiments/<study>/` with `study.yaml` (title, shared
settings, version order, optionally `extends` and `profiles`) and one
`<version>.yaml` per version that states only what differs from its `parent`.
Resolution order, last wins (training/study.py): dataclass defaults < the
study.yaml files (an extended study's first) < parent chain < version file <
profile < `--set` overrides. Every layer is validated on its own, so an error
names the file (or `--set`) that holds the bad key; the merged values are
range- and cross-checked twice, as the recipe states them and as the run uses
them, so a recipe that only a profile makes valid is still refused.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from training.errors import UserError

# --------------------------------------------------------------------------- YAML


class DuplicateKeyError(yaml.YAMLError):
    """A mapping that states one key twice (PyYAML would silently keep the last)."""

    def __init__(self, dotted: str, line: int, first_line: int) -> None:
        self.dotted, self.line, self.first_line = dotted, line, first_line
        super().__init__(f"line {line}: duplicate key {dotted} (first on line {first_line})")


class YamlLoader(yaml.SafeLoader):
    """SafeLoader that reads `1e-3` as a float and refuses a key written twice."""

    def construct_document(self, node: yaml.Node) -> Any:
        refuse_duplicate_keys(node)
        return super().construct_document(node)


YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
MERGE_TAG = "tag:yaml.org,2002:merge"


def refuse_duplicate_keys(root: yaml.Node) -> None:
    """Walk a composed YAML tree; raise DuplicateKeyError at the second copy of a key."""
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    visited: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in visited:  # an alias: already walked where its anchor is
            continue
        visited.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(node.value))
        if not isinstance(node, yaml.MappingNode):
            continue
        first_lines: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:  # `<<: *base` may restate keys: that is its point
                stack.append((value_node, path))
                continue
            name = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            dotted = f"{path}.{name}" if path else name
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode):
                identity = (key_node.tag, name)
                if identity in first_lines:
                    raise DuplicateKeyError(dotted, line, first_lines[identity])
                first_lines[identity] = line
            stack.append((value_node, dotted))


# Study and version names become folder names and URL parts.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
NAME_RULE = "letters, digits, '-', '_' and '.', starting with a letter or digit"


def is_valid_name(name: Any) -> bool:
    """True for a name that is safe as a folder name and in a URL (`v2`, `lr-2e-4`)."""
    return isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None


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
class ProganConfig:
    """Progressive growing (model.arch progan): the stages from start to target resolution.

    Stage 0 trains at `start` for stabilise_images; each later stage doubles the resolution,
    fades its new block in over fade_images (alpha 0 -> 1), then stabilises for
    stabilise_images. The last stage runs on until train.epochs are done.
    """

    start: int = 4  # first resolution, px
    target: int | None = None  # last resolution, px; null: dataset.image_size (it must match)
    fade_images: int = 600_000  # real images shown while a new block fades in
    stabilise_images: int = 600_000  # real images shown at full alpha per stage
    # batch size per stage, from `start` up (4, 8, 16, ... px); a stage past the end of the
    # list uses its last entry; empty: train.batch_size throughout
    batch_sizes: list[int] = field(default_factory=list)


@dataclass
class QualityConfig:
    """Sample quality measured during training (training/quality/): how often, how many
    images, which metric picks checkpoints/best.pt, and an optional EMA of G's weights."""

    enabled: bool = True  # measure at all (false: no quality.jsonl, no best.pt)
    every: int | None = None  # epochs between measurements; null: automatic, from max_share
    max_share: float = 0.1  # automatic `every`: at most this share of the time on metrics
    samples: int = 512  # generated (and real) images per measurement
    metric: Literal["swd", "fid", "kid"] = "swd"  # lower is better; picks the best epoch
    inception_weights: str | None = None  # FID/KID weights file; null: torch's hub cache
    ema: bool = False  # also keep an exponential moving average of G's weights
    ema_decay: float = 0.999  # weight of the old average at each G step


@dataclass
class PerformanceConfig:
    """Speed switches (training/fast/); none changes what is trained, each lands in env.json."""

    device_dataset: Literal["auto"] | bool = "auto"  # images on the GPU (auto: if they fit)
    autocast: Literal["auto", "bf16"] | bool = "auto"  # bf16 on CUDA only (auto/true: bf16)
    channels_last: Literal["auto"] | bool = "auto"  # auto: CUDA yes, CPU no (no gain measured)
    compile: bool = False  # torch.compile G and D (off: no measured gain on the v1 nets yet)
    fused_adam: bool = True  # fused Adam kernels, CUDA only
    cudnn_benchmark: bool = True  # let cuDNN pick its fastest kernels (CUDA only)
    cuda_graphs: bool = False  # reserved: true is refused until CUDA graph capture exists
    threads: int | None = None  # CPU threads (null: torch's, at most the cores available)
    sync_batchnorm: bool = False  # --nproc > 1: BatchNorm statistics over the global batch


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
    progan: ProganConfig = field(default_factory=ProganConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    performance: PerformanceConfig = field(default_factory=PerformanceConfig)
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
    "progan": ProganConfig,
    "quality": QualityConfig,
    "performance": PerformanceConfig,
}
# Top-level keys each kind of file may set, with their types.
STUDY_KEYS: dict[str, Any] = {
    "title": str,
    "description": str,
    "extends": str,  # another study folder, relative to this one: its versions and settings
    "versions": list[str],
    "profiles": dict[str, Any],  # name -> {description, replace, caps, sets, scales}
    "seed": int,
    "noise_seed": int,
}
VERSION_KEYS: dict[str, Any] = {"title": str, "description": str, "parent": str | None, "seed": int}
STUDY_DEFAULTS = {"seed": 1, "noise_seed": 1234}
# How a two-number list is written in messages.
PAIR_FORMS = {
    "loss.real_label_range": "[lo, hi]",
    "loss.fake_label_range": "[lo, hi]",
    "optim.g_betas": "[beta1, beta2]",
    "optim.d_betas": "[beta1, beta2]",
}

Check = tuple[Callable[[Any], bool], str]


def _integer_in(low: int, high: int) -> Check:
    return (lambda v: low <= v <= high), f"an integer in [{low}, {high}]"


SEED: Check = _integer_in(0, 2**32 - 1)  # NumPy's seeds stop there
LABEL_RANGE: Check = (lambda v: 0 <= v[0] <= v[1] <= 1, "[lo, hi] with 0 <= lo <= hi <= 1")
LEARNING_RATE: Check = (lambda v: v is None or 0 < v <= 1, "a number in (0, 1]")
BETAS: Check = (
    lambda v: v is None or all(0 <= b < 1 for b in v),
    "[beta1, beta2], each in [0, 1), or null",
)

# Range checks, on the recipe and again on the values a run uses: dotted key -> (predicate,
# what is expected). Types are already checked, and every float is finite.
RANGE_CHECKS: dict[str, Check] = {
    "seed": SEED,
    "noise_seed": SEED,
    "dataset.image_size": (lambda v: v in (16, 28, 32, 64, 128, 256),
                           "one of 16, 28, 32, 64, 128, 256"),
    "dataset.channels": (lambda v: v in (1, 3), "1 (grayscale) or 3 (RGB)"),
    "dataset.count": (lambda v: v is None or 1 <= v <= 1_000_000,
                      "an integer in [1, 1000000] (the images are held in memory) or null"),
    "dataset.seed": SEED,
    "model.z_dim": _integer_in(1, 2048),
    "model.g_features": _integer_in(1, 1024),
    "model.d_features": _integer_in(1, 1024),
    "model.d_dropout": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "loss.real_label_range": LABEL_RANGE,
    "loss.fake_label_range": LABEL_RANGE,
    "loss.flip_prob": (lambda v: 0 <= v < 0.5, "a number in [0, 0.5)"),
    "loss.n_critic": _integer_in(1, 100),
    "loss.clip_value": (lambda v: v > 0, "a positive number"),
    "loss.gp_weight": (lambda v: v >= 0, "a number >= 0"),
    "loss.gp_every": _integer_in(1, 1000),
    "loss.drift": (lambda v: v >= 0, "a number >= 0"),
    "optim.lr": LEARNING_RATE,
    "optim.beta1": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "optim.beta2": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "optim.g_lr": LEARNING_RATE,
    "optim.d_lr": LEARNING_RATE,
    "optim.g_betas": BETAS,
    "optim.d_betas": BETAS,
    "train.epochs": _integer_in(1, 100_000),
    "train.batch_size": (lambda v: 2 <= v <= 65536,
                         "an integer in [2, 65536] (BatchNorm needs two images)"),
    "train.log_every": (lambda v: v >= 1, "a positive integer"),
    "train.sample_every": (lambda v: v >= 1, "a positive integer"),
    "train.checkpoint_every": (lambda v: v >= 1, "a positive integer"),
    "train.checkpoint_steps": (lambda v: v is None or v >= 1, "a positive integer or null"),
    "train.checkpoint_minutes": (lambda v: 0 < v < float("inf"), "a positive number of minutes"),
    "train.rollback_lr_scale": (lambda v: 0 < v < 1, "a number in (0, 1)"),
    "train.max_rollbacks": (lambda v: v >= 0, "an integer >= 0"),
    "progan.start": (lambda v: v in (4, 8, 16, 32, 64, 128), "one of 4, 8, 16, 32, 64, 128"),
    "progan.target": (lambda v: v is None or v in (16, 32, 64, 128, 256),
                      "one of 16, 32, 64, 128, 256, or null (dataset.image_size)"),
    "progan.fade_images": (lambda v: v >= 1, "a positive integer"),
    "progan.stabilise_images": (lambda v: v >= 1, "a positive integer"),
    "progan.batch_sizes": (lambda v: all(2 <= b <= 65536 for b in v),
                           "a list of batch sizes, one per stage, each in [2, 65536]"),
    "quality.every": (lambda v: v is None or v >= 1, "a positive integer or null (automatic)"),
    "quality.max_share": (lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "quality.samples": _integer_in(16, 50_000),
    "quality.ema_decay": (lambda v: 0 < v < 1, "a number in (0, 1)"),
    "performance.cuda_graphs": (lambda v: v is False,
                                "false: capturing steps as CUDA graphs is not implemented yet"),
    "performance.threads": (lambda v: v is None or 1 <= v <= 1024,
                            "an integer in [1, 1024] or null (the cores available)"),
}


@dataclass(frozen=True)
class CrossCheck:
    """A rule over several keys, run on the recipe and again on the values a run uses.

    `ok` and `expected` (a sentence, or a function returning one) get the keys' values
    in order. The error names `blame` if given, else the key whose value was set last,
    with the file (or option) that set it.
    """

    keys: tuple[str, ...]
    ok: Callable[..., bool]
    expected: str | Callable[..., str]
    blame: str | None = None


def _size_problem(arch: str, size: int) -> str | None:
    """What training.nets says of `arch` making `size` px images (None: it can)."""
    from training.nets import image_size_problem  # nets imports this module

    return image_size_problem(ModelConfig(arch=arch), DatasetConfig(image_size=size))


def _betas_need_adam(side: str) -> CrossCheck:
    return CrossCheck(
        ("optim.name", f"optim.{side}_name", f"optim.{side}_betas"),
        lambda name, own, betas: betas is None or (own or name) != "rmsprop",
        f"rmsprop has no betas: drop optim.{side}_betas, or use adam for {side.upper()}",
        blame=f"optim.{side}_betas",
    )


# One entry per rule; a new rule (say, which image sizes each model.arch can make) is one
# more entry. A predicate that needs another module imports it inside (that module may
# import this one).
CROSS_CHECKS: list[CrossCheck] = [
    CrossCheck(
        ("dataset.kind", "dataset.path"),
        lambda kind, path: kind == "procedural" or bool(path),
        lambda kind, path: f"dataset.kind {kind} reads files: set dataset.path to their folder",
        blame="dataset.path",
    ),
    CrossCheck(
        ("dataset.count", "train.batch_size"),
        lambda count, batch: count is None or count >= batch,
        "a dataset of at least one batch: the last partial batch of an epoch is dropped, so "
        "dataset.count below train.batch_size leaves nothing to train on",
    ),
    CrossCheck(
        ("model.arch", "dataset.image_size"),
        lambda arch, size: _size_problem(arch, size) is None,
        lambda arch, size: f"{_size_problem(arch, size)}: set dataset.image_size to one of those",
    ),
    CrossCheck(
        ("loss.name", "model.d_norm"),
        lambda loss, norm: not (loss == "wgan-gp" and norm == "batch"),
        "wgan-gp penalises each image's gradient, which BatchNorm in the critic mixes across "
        "the batch (Gulrajani et al. 2017): set model.d_norm to layer, instance or none",
    ),
    _betas_need_adam("g"),
    _betas_need_adam("d"),
    CrossCheck(
        ("model.arch", "progan.target", "dataset.image_size"),
        lambda arch, target, size: arch != "progan" or target in (None, size),
        lambda arch, target, size: f"progan grows to progan.target {target} px but "
        f"dataset.image_size is {size}: set both to the same size",
        blame="progan.target",
    ),
    CrossCheck(
        ("model.arch", "progan.start", "progan.target", "dataset.image_size"),
        lambda arch, start, target, size: arch != "progan" or start < (target or size),
        "progan.start below progan.target: there must be something to grow",
        blame="progan.start",
    ),
]


def all_dotted_keys() -> list[str]:
    """Every settable dotted key (`optim.lr`), for --set and close-match hints."""
    return sorted(set(section_keys()) | set(VERSION_KEYS) | {"noise_seed"})


def section_keys() -> list[str]:
    """Every key inside a section (`optim.lr`): what a profile may change."""
    return [f"{name}.{f.name}" for name, cls in SECTIONS.items() for f in dataclasses.fields(cls)]


def key_hint(dotted: str) -> Any:
    """The type hint of a section key (`optim.lr` -> float); None when there is no such key."""
    section, _, leaf = dotted.partition(".")
    if section not in SECTIONS or not leaf:
        return None
    return typing.get_type_hints(SECTIONS[section]).get(leaf)


def is_numeric(hint: Any) -> bool:
    """True for int, float and their `| None` forms: the keys a profile may cap or scale."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    args = typing.get_args(hint) if union else (hint,)
    return [a for a in args if a is not type(None)] in ([int], [float])


# --------------------------------------------------------------------------- type checks


def _type_name(hint: Any, dotted: str = "") -> str:
    """Human name of a type hint for error messages ('an integer', 'one of relu, ...')."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a, dotted) for a in args if a is not type(None)]
        return " or ".join(names) + (" or null" if type(None) in args else "")
    if origin is list:
        inner = args[0] if args else Any
        if inner is float:
            return f"a pair of numbers {PAIR_FORMS.get(dotted, '[a, b]')}"
        return "a list of strings"
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


def show(value: Any) -> str:
    """A value as YAML writes it, for messages: null, true, 'wgan-gp', [0.7, 1.0]."""
    if value is None or isinstance(value, bool):
        return yaml.safe_dump(value).splitlines()[0]
    return repr(value)


def is_finite(value: Any) -> bool:
    """False when a number, or a number inside a list, is inf or nan (YAML's .inf, .nan)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(is_finite(v) for v in value)
    return True


def _checked_value(value: Any, hint: Any, source: str, key: str, dotted: str = "") -> Any:
    """One value against its type hint, finite; returns it coerced (ints to floats)."""
    if not _matches(value, hint):
        raise UserError(source, key, f"expected {_type_name(hint, dotted)}, got {show(value)}")
    if not is_finite(value):
        raise UserError(source, key, f"expected a finite number, got {show(value)}")
    return _coerce(value, hint)


def _unknown_key(
    source: str, dotted: str, candidates: list[str], label: str | None = None
) -> UserError:
    """An unknown-key error with difflib's close matches among the allowed keys."""
    leaf = dotted.rsplit(".", 1)[-1]
    by_leaf = {key.rsplit(".", 1)[-1]: key for key in candidates}
    close = [by_leaf[m] for m in difflib.get_close_matches(leaf, list(by_leaf), n=3, cutoff=0.6)]
    if not close:  # a right name in the wrong section: `lr` at top level -> optim.lr
        close = [k for k in all_dotted_keys() if k.rsplit(".", 1)[-1] == leaf and k != dotted]
    label = label or dotted
    if close:
        return UserError(source, label, f"unknown key; did you mean {' or '.join(close)}?")
    known = ", ".join(candidates) if len(candidates) <= 8 else "see docs/training.md"
    return UserError(source, label, f"unknown key; known keys here: {known}")


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
            checked[key] = _checked_value(value, top_keys[key], source, key)
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
        checked[key] = _checked_value(item, hints[key], source, dotted, dotted)
    return checked


def check_setting(dotted: str, value: Any, source: str, label: str) -> Any:
    """One section key's value as a profile states it: known key, type, finite, in range."""
    hint = key_hint(dotted)
    if hint is None:
        raise _unknown_key(source, dotted, section_keys(), label)
    value = _checked_value(value, hint, source, label, dotted)
    ok, expected = RANGE_CHECKS.get(dotted, (lambda v: True, ""))
    if not ok(value):
        raise UserError(source, label, f"expected {expected}, got {show(value)}")
    return value


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
    """`--set key=value` pairs -> partial tree; values are YAML-typed (`3`, `0.5`, `[0, 1]`).

    A key given twice takes its last value, as options usually do.
    """
    flat: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError("--set", pair, "expected key=value, e.g. --set train.epochs=5")
        try:
            flat[key] = yaml.load(text, Loader=YamlLoader) if text.strip() else None
        except DuplicateKeyError as exc:
            raise UserError("--set", key, f"value states {exc.dotted} twice: {text!r}") from exc
        except yaml.YAMLError as exc:
            raise UserError("--set", key, f"value is not valid YAML: {text!r}") from exc
        if "." not in key and key not in VERSION_KEYS and key != "noise_seed":
            raise _unknown_key("--set", key, all_dotted_keys())
    return unflatten(flat)


def check_ranges(
    flat: dict[str, Any], sources: dict[str, str], order: typing.Sequence[str] = ()
) -> None:
    """Range and cross-key checks on a merged flat config, naming the layer that set the value.

    `order` lists the layers' sources, first to last; a cross-key error names the key set
    by the latest layer (the likeliest place to fix it).
    """
    for dotted, (ok, expected) in RANGE_CHECKS.items():
        value = flat.get(dotted)
        if dotted in flat and not ok(value):
            raise UserError(
                sources.get(dotted, "defaults"), dotted, f"expected {expected}, got {show(value)}"
            )
    for check in CROSS_CHECKS:
        if all(key in flat for key in check.keys):
            values = [flat[key] for key in check.keys]
            if not check.ok(*values):
                raise _cross_error(check, values, sources, list(order))


def _cross_error(
    check: CrossCheck, values: list[Any], sources: dict[str, str], order: list[str]
) -> UserError:
    """The one-line error of a failed cross-key check: the rule, then the values and sources."""
    rank = {source: index for index, source in enumerate(order)}
    last = max(check.keys, key=lambda k: rank.get(sources.get(k, "defaults"), -1))
    source = sources.get(last, "defaults")
    expected = check.expected(*values) if callable(check.expected) else check.expected
    got = []
    for key, value in zip(check.keys, values, strict=True):
        origin = sources.get(key, "defaults")
        got.append(f"{key} {show(value)}" + ("" if origin == source else f" from {origin}"))
    return UserError(source, check.blame or last, f"{expected} (here {', '.join(got)})")


def build_run_config(tree: dict[str, Any]) -> RunConfig:
    """Nested dict (already validated) -> RunConfig dataclasses."""
    sections = {name: cls(**tree[name]) for name, cls in SECTIONS.items()}
    top = {k: v for k, v in tree.items() if k not in SECTIONS}
    top["profile"] = ProfileInfo(**top.get("profile", {}))
    if sections["progan"].target is None:  # null: grow to the dataset's size
        sections["progan"].target = sections["dataset"].image_size
    return RunConfig(**top, **sections)
