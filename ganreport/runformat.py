"""The run-folder contract as code: file names, the format version, the logged quantities.

`training` writes run folders through this module and `ganreport` reads them through
it, so the two cannot drift apart. It imports nothing (no torch, no numpy, not even
the rest of `ganreport`): `training` imports it without pulling in the site builder.
docs/run-format.md is checked against it by the tests.

A quantity is a named number in a JSONL row. The same name can mean different things
under different losses (`loss_d` is a BCE value for `bce` and a critic loss for
`wgan-gp`), so a quantity is looked up by (name, loss): `quantity("loss_d", "lsgan")`.
Its `kind` decides the axis (probability in [0, 1], unbounded score, ...) and which
curves the compare page may overlay: only quantities of the same kind. Its `figure`
says which plot of a version page draws it, so a new loss needs rows here, not code.

The field tables (SUMMARY_FIELDS, CONFIG_FIELDS, ENV_FIELDS, HEARTBEAT_FIELDS) give the
JSON type of each key a reader relies on; a value of another type marks the run damaged.
"""

from __future__ import annotations

from dataclasses import dataclass

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1 folders (before this module) still read

# -- file names, relative to runs/<study>/<version>/ ----------------------------------------
CONFIG = "config.yaml"
ENV = "env.json"
METRICS = "metrics.jsonl"  # one row per logged step
EPOCHS = "epochs.jsonl"  # one row per finished epoch: means over the epoch's steps
QUALITY = "quality.jsonl"  # one row per measured epoch: sample-quality metrics
QUALITY_SUMMARY = "quality.json"  # real-data floor, best epoch, metrics off and why, time share
EVENTS = "events.jsonl"  # one row per event: resume, non-finite loss, rollback, stage start
SUMMARY = "summary.json"  # status and totals, rewritten after every epoch
HEARTBEAT = "heartbeat.json"  # pid, host and time, rewritten while the writer is alive
SAMPLES_DIR = "samples"
REAL_GRID = "samples/real.png"  # 64 real training images, the same for every version
# The trainer draws every grid in samples/ (and real.png) GRID_COLUMNS tiles wide, with
# GRID_PADDING px around and between the tiles, and records that in summary.json's `grid`:
# the site's lightbox picks a sample by the run's own record, so these may change.
GRID_COLUMNS = 8
GRID_PADDING = 2
UNRECORDED_GRID = (8, 2)  # (columns, padding) of every run written before `grid` existed
CHECKPOINTS_DIR = "checkpoints"
LAST_CHECKPOINT = "checkpoints/last.pt"
PREVIOUS_CHECKPOINT = "checkpoints/previous.pt"  # the one before last: never torn together
BEST_CHECKPOINT = "checkpoints/best.pt"
RUN_FILES = (CONFIG, ENV, METRICS, EPOCHS, QUALITY, QUALITY_SUMMARY, EVENTS, SUMMARY, HEARTBEAT)
# What each path holds and who writes it, for docs/run-format.md (generated from here).
FILE_DESCRIPTIONS = (
    (CONFIG, "the fully resolved config: exactly what ran (written first)"),
    (ENV, "where and how it ran: software, device, commit, command (written first)"),
    (METRICS, "one JSON object per logged step (appended)"),
    (EPOCHS, "one JSON object per finished epoch, the means of its steps (appended)"),
    (QUALITY, "one JSON object per measured epoch: sample-quality metrics (appended)"),
    (QUALITY_SUMMARY, "the real-against-real floor, the best epoch, metrics that are off and "
                      "why, the share of time spent measuring (rewritten per measurement)"),
    (EVENTS, "one JSON object per event: resume, non-finite loss, rollback, stage (appended)"),
    (SUMMARY, "status and totals, rewritten after every epoch and at the end"),
    (HEARTBEAT, "pid, hostname and time, rewritten while the training process lives"),
    ("samples/epoch_NNNN.png", "grid of G on the study's fixed noise after epoch N (64 "
                               "images; columns and padding in summary.json's `grid`)"),
    (REAL_GRID, "grid of 64 real training images, the same for every version"),
    (LAST_CHECKPOINT, "torch checkpoint to resume from (the site ignores checkpoints)"),
    (PREVIOUS_CHECKPOINT, "the checkpoint before last, kept until the next one is whole"),
    (BEST_CHECKPOINT, "G (and D, and G's EMA) at the best epoch by quality.metric; not "
                      "resumable"),
    ("samples/ema_epoch_NNNN.png", "grid of G's weight average (quality.ema) after epoch N"),
)
RUN_FOLDERS = (SAMPLES_DIR, CHECKPOINTS_DIR)
SAMPLE_PREFIX, SAMPLE_SUFFIX = "samples/epoch_", ".png"

STATUSES = ("running", "complete", "interrupted", "diverged")
# A "running" run whose heartbeat is older than this (or absent, or whose writer's pid is
# gone on this host) was killed without a chance to say so: readers call it interrupted.
HEARTBEAT_STALE_S = 300
DEFAULT_LOSS = "bce"  # a config without loss.name (format 1 folders) trained with BCE


SET_ASIDE = ".old-"  # `train --force` renames the previous run to <version>.old-<timestamp>


def is_set_aside(folder_name: str) -> bool:
    """A run kept aside by `train --force` until its replacement completes: not a version."""
    return SET_ASIDE in folder_name


def sample_name(epoch: int) -> str:
    """The fixed-noise grid written after `epoch` (0 = before training), relative path."""
    return f"{SAMPLE_PREFIX}{epoch:04d}{SAMPLE_SUFFIX}"


def ema_sample_name(epoch: int) -> str:
    """The grid of G's weight average (quality.ema) after `epoch`, relative path."""
    return f"{SAMPLES_DIR}/ema_epoch_{epoch:04d}{SAMPLE_SUFFIX}"


EMA_PREFIX = "ema_"  # quality.jsonl keys measured on G's weight average: ema_swd, ...


def grid_geometry(summary: dict) -> tuple[int, int]:
    """(columns, padding) of a run's grids from its summary.json; older runs (no `grid`, or
    an unusable one) were drawn with UNRECORDED_GRID."""
    grid = summary.get("grid")
    grid = grid if isinstance(grid, dict) else {}
    columns, padding = grid.get("columns"), grid.get("padding")
    if type(columns) is int and type(padding) is int and columns > 0 and padding >= 0:
        return columns, padding
    return UNRECORDED_GRID


def experiment_path(study: str, version: str) -> str:
    """The version file a run folder was trained from: experiments/<study>/<version>.yaml."""
    return f"experiments/{study}/{version}.yaml"


def resume_command(study: str, version: str) -> str:
    """What a reader runs to continue an interrupted run from its last checkpoint."""
    return f"ganreport train {experiment_path(study, version)} --resume"


# -- kinds of quantity ----------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What a number is, which decides its axis and what it may be plotted beside."""

    name: str
    axis: str  # axis label of a panel that holds several quantities of this kind
    bounds: tuple[float | None, float | None]  # (low, high) the value must lie in; None = open
    lower_is_better: bool | None = None  # quality metrics only
    unit: str = ""  # appended to axis labels: "training time (s)"


PROBABILITY = Kind("probability", "probability", (0.0, 1.0))
BCE_LOSS = Kind("bce_loss", "binary cross-entropy", (0.0, None))
SQUARED_LOSS = Kind("squared_loss", "squared error", (0.0, None))
HINGE_LOSS = Kind("hinge_loss", "hinge loss", (None, None))
CRITIC_LOSS = Kind("critic_loss", "critic loss", (None, None))
RAW_OUTPUT = Kind("raw_output", "D output (raw)", (None, None))
CRITIC_SCORE = Kind("critic_score", "critic score", (None, None))
PENALTY = Kind("penalty", "penalty", (0.0, None))
WASSERSTEIN = Kind("wasserstein", "Wasserstein estimate", (None, None))
QUALITY_LOWER = Kind("quality", "distance to real data (lower is better)", (0.0, None), True)
QUALITY_HIGHER = Kind("quality_higher", "score (higher is better)", (None, None), False)
SCHEDULE = Kind("schedule", "schedule", (0.0, None))
COUNTER = Kind("counter", "count", (0.0, None))
SECONDS = Kind("seconds", "time", (0.0, None), unit="s")
RATE = Kind("rate", "throughput", (0.0, None), unit="images/s")
KINDS = {kind.name: kind for kind in (
    PROBABILITY, BCE_LOSS, SQUARED_LOSS, HINGE_LOSS, CRITIC_LOSS, RAW_OUTPUT, CRITIC_SCORE,
    PENALTY, WASSERSTEIN, QUALITY_LOWER, QUALITY_HIGHER, SCHEDULE, COUNTER, SECONDS, RATE)}

# -- losses ---------------------------------------------------------------------------------
LOSSES = ("bce", "lsgan", "wgan", "wgan-gp", "hinge")
ALL = LOSSES  # a quantity every loss writes
CRITICS = ("wgan", "wgan-gp", "hinge")  # D outputs an unbounded score, not a probability


# Which plot of a version page draws a quantity (Quantity.figure).
LOSS_FIGURE = "losses"  # loss_d and loss_g, one panel each
D_FIGURE = "discriminator"  # what D (or the critic) outputs, one panel per kind
SCHEDULE_FIGURE = "schedule"  # progressive growing
SPEED_FIGURE = "speed"
QUALITY_FIGURE = "quality"


@dataclass(frozen=True)
class Quantity:
    """One logged number: its JSONL key, axis label, kind, the losses that write it, its file.

    `figure` is the plot that draws it (None: bookkeeping, never plotted); `compare` says the
    compare page overlays it across versions (per kind); `target` is the config key of a
    two-number range the value is trained towards (LSGAN's labels), drawn as a band.
    """

    name: str
    label: str
    kind: Kind
    losses: tuple[str, ...]
    file: str = METRICS  # METRICS rows; EPOCHS rows carry the same names as epoch means
    description: str = ""
    figure: str | None = None
    compare: bool = False
    target: str | None = None


L, D, Q = LOSS_FIGURE, D_FIGURE, QUALITY_FIGURE
QUANTITIES: tuple[Quantity, ...] = (
    # bookkeeping, every loss
    Quantity("step", "iteration", COUNTER, ALL, description="global G step, 1-based"),
    Quantity("epoch", "epoch", COUNTER, ALL, description="1-based epoch of the step"),
    Quantity("elapsed_s", "training time", SECONDS, ALL, figure=SPEED_FIGURE,
             description="seconds inside training steps since the run started"),
    # BCE (the DCGAN tutorial's D_x, D_G_z1, D_G_z2)
    Quantity("loss_d", "D loss (BCE)", BCE_LOSS, ("bce",), figure=L, compare=True,
             description="BCE of D on the real and the fake batch, summed"),
    Quantity("loss_g", "G loss (BCE, non-saturating)", BCE_LOSS, ("bce",), figure=L,
             compare=True, description="BCE of D(G(z)) against the label 1"),
    Quantity("d_x", "D(x), real", PROBABILITY, ("bce",), figure=D,
             description="mean sigmoid of D on the real batch"),
    Quantity("d_g_z", "D(G(z)), fake", PROBABILITY, ("bce",), figure=D,
             description="mean sigmoid of D on the fake batch, before D's update"),
    Quantity("d_g_z_after", "D(G(z)) after D's update", PROBABILITY, ("bce",), figure=D,
             description="mean sigmoid of D on the same fake batch after D's update"),
    # least squares (LSGAN): D's raw outputs against its targets
    Quantity("loss_d", "D loss (least squares)", SQUARED_LOSS, ("lsgan",), figure=L,
             compare=True, description="½E[(D(x)−b)²] + ½E[(D(G(z))−a)²]"),
    Quantity("loss_g", "G loss (least squares)", SQUARED_LOSS, ("lsgan",), figure=L,
             compare=True, description="½E[(D(G(z))−c)²]"),
    Quantity("d_real", "D output on real", RAW_OUTPUT, ("lsgan",), figure=D,
             target="loss.real_label_range",
             description="mean raw D output on the real batch (target: the real label)"),
    Quantity("d_fake", "D output on fake", RAW_OUTPUT, ("lsgan",), figure=D,
             target="loss.fake_label_range",
             description="mean raw D output on the fake batch (target: the fake label)"),
    # critics: WGAN (clipping), WGAN-GP, hinge
    Quantity("loss_d", "critic loss", CRITIC_LOSS, ("wgan", "wgan-gp"), figure=L, compare=True,
             description="E[D(G(z))] − E[D(x)] (+ λ·penalty + drift)"),
    Quantity("loss_g", "G loss (−E[D(G(z))])", CRITIC_LOSS, ("wgan", "wgan-gp"), figure=L,
             compare=True, description="−E[D(G(z))]"),
    Quantity("loss_d", "D loss (hinge)", HINGE_LOSS, ("hinge",), figure=L, compare=True,
             description="E[max(0, 1−D(x))] + E[max(0, 1+D(G(z)))]"),
    Quantity("loss_g", "G loss (−E[D(G(z))])", HINGE_LOSS, ("hinge",), figure=L, compare=True,
             description="−E[D(G(z))]"),
    Quantity("critic_real", "critic score, real", CRITIC_SCORE, CRITICS, figure=D,
             description="mean critic score on the real batch"),
    Quantity("critic_fake", "critic score, fake", CRITIC_SCORE, CRITICS, figure=D,
             description="mean critic score on the fake batch"),
    Quantity("wasserstein", "E[D(x)] − E[D(G(z))]", WASSERSTEIN, CRITICS, figure=D,
             compare=True,
             description="the critic's estimate of the distance between real and fake"),
    Quantity("grad_penalty", "gradient penalty", PENALTY, ("wgan-gp",), figure=D,
             description="E[(‖∇D(x̂)‖₂ − 1)²] on random interpolates (before λ)"),
    Quantity("drift", "drift term", PENALTY, ("wgan-gp",), figure=D,
             description="E[D(x)²], ProGAN's small penalty that keeps scores near 0"),
    # progressive growing: the schedule, in every metrics row of a progan run
    Quantity("resolution", "resolution", SCHEDULE, ALL, figure=SCHEDULE_FIGURE,
             description="side of the images G makes at this step, in pixels"),
    Quantity("alpha", "fade-in α", SCHEDULE, ALL, figure=SCHEDULE_FIGURE,
             description="weight of the newest block, 0 → 1 during a fade-in, 1 when stable"),
    Quantity("stage", "stage", COUNTER, ALL, figure=SCHEDULE_FIGURE,
             description="index of the growth stage, 0 = the first resolution"),
    # per-epoch speed (epochs.jsonl)
    Quantity("images_per_s", "throughput", RATE, ALL, EPOCHS, figure=SPEED_FIGURE,
             description="training throughput over the epoch"),
    Quantity("wall_time_s", "epoch wall time", SECONDS, ALL, EPOCHS, figure=SPEED_FIGURE,
             description="seconds the epoch took, grids and checkpoints excluded"),
    # sample quality (quality.jsonl)
    Quantity("swd", "SWD ×10³ (mean over levels)", QUALITY_LOWER, ALL, QUALITY, figure=Q,
             compare=True,
             description="sliced Wasserstein distance on Laplacian-pyramid patches"),
    Quantity("msssim_fake", "MS-SSIM of generated pairs", QUALITY_LOWER, ALL, QUALITY,
             figure=Q, compare=True,
             description="mean MS-SSIM of random pairs of samples: high = alike (collapse)"),
    Quantity("msssim_real", "MS-SSIM of real pairs", QUALITY_LOWER, ALL, QUALITY, figure=Q,
             description="the same statistic on real pairs: the diversity to aim for"),
    Quantity("fid", "FID", QUALITY_LOWER, ALL, QUALITY, figure=Q, compare=True,
             description="Fréchet Inception distance (needs local Inception weights)"),
    Quantity("kid", "KID ×10³", QUALITY_LOWER, ALL, QUALITY, figure=Q, compare=True,
             description="kernel Inception distance (needs local Inception weights)"),
    Quantity("coverage", "classes covered", QUALITY_HIGHER, ALL, QUALITY, figure=Q,
             compare=True, description="share of the 10 MNIST classes among the samples"),
    Quantity("class_kl", "KL(class histogram ‖ uniform)", QUALITY_LOWER, ALL, QUALITY,
             figure=Q, compare=True,
             description="how far the samples' digit classes are from uniform"),
    # the same, measured on G's weight average (quality.ema)
    Quantity("ema_swd", "SWD ×10³, EMA of G", QUALITY_LOWER, ALL, QUALITY, figure=Q,
             description="swd of the samples of G's exponential moving average"),
    Quantity("ema_msssim_fake", "MS-SSIM of EMA pairs", QUALITY_LOWER, ALL, QUALITY, figure=Q,
             description="msssim_fake of G's exponential moving average"),
    Quantity("ema_fid", "FID, EMA of G", QUALITY_LOWER, ALL, QUALITY, figure=Q,
             description="fid of G's exponential moving average"),
    Quantity("ema_kid", "KID ×10³, EMA of G", QUALITY_LOWER, ALL, QUALITY, figure=Q,
             description="kid of G's exponential moving average"),
    Quantity("ema_coverage", "classes covered, EMA of G", QUALITY_HIGHER, ALL, QUALITY,
             figure=Q, description="coverage of G's exponential moving average"),
    Quantity("ema_class_kl", "class KL, EMA of G", QUALITY_LOWER, ALL, QUALITY, figure=Q,
             description="class_kl of G's exponential moving average"),
    # bookkeeping of quality.jsonl rows
    Quantity("measure_s", "measuring time", SECONDS, ALL, QUALITY,
             description="seconds this measurement took (G's samples and every metric)"),
    Quantity("samples", "images compared", COUNTER, ALL, QUALITY,
             description="generated images measured (and real images in the reference)"),
    Quantity("metric_share", "share of time on metrics", SCHEDULE, ALL, QUALITY,
             description="measuring time / all time so far, in [0, 1]"),
)
del L, D, Q

_BY_NAME_AND_LOSS = {(q.name, loss): q for q in QUANTITIES for loss in q.losses}


def quantity(name: str, loss: str) -> Quantity | None:
    """The quantity `name` as the loss `loss` writes it, or None when that loss does not."""
    return _BY_NAME_AND_LOSS.get((name, loss))


def quantities_for(loss: str, file: str = METRICS) -> tuple[Quantity, ...]:
    """Every quantity a loss writes into `file`, in table order."""
    return tuple(q for q in QUANTITIES if loss in q.losses and q.file == file)


def quantities_in_figure(loss: str, figure: str) -> tuple[Quantity, ...]:
    """What one plot of a version page draws for a loss, in table order (any file)."""
    return tuple(q for q in QUANTITIES if loss in q.losses and q.figure == figure)


def compared_names() -> tuple[str, ...]:
    """Names the compare page overlays across versions, in table order, each once."""
    return tuple(dict.fromkeys(q.name for q in QUANTITIES if q.compare))


def can_overlay(first: Quantity, second: Quantity) -> bool:
    """Two curves share an axis only when they measure the same kind of thing."""
    return first.kind == second.kind


def axis_label(first: Quantity, *others: Quantity) -> str:
    """The y-axis label of a panel: the quantity's own label when it is alone (or all share
    it), else the kind's; the unit of the kind in parentheses."""
    labels = {q.label for q in (first, *others)}
    text = first.label if len(labels) == 1 else first.kind.axis
    return f"{text} ({first.kind.unit})" if first.kind.unit else text


def per_scale_key(name: str, scale: int) -> str:
    """A metric measured per pyramid level or resolution: `swd_16`, `swd_32`, ..."""
    return f"{name}_{scale}"


# -- the keys readers rely on, with their JSON types -----------------------------------------
# Types: "int", "number" (int or float), "str", "bool", "mapping", "list", "range" (a list
# of two numbers, low <= high). A key may be absent (older runs); present with another type,
# the reader drops it, warns once naming the file and marks the run damaged.


@dataclass(frozen=True)
class Field:
    """One key of a JSON/YAML file of a run folder (dotted for nested keys)."""

    key: str
    type: str
    nullable: bool = False
    description: str = ""


FIELD_TYPES = ("int", "number", "str", "bool", "mapping", "list", "range")

SUMMARY_FIELDS: tuple[Field, ...] = (
    Field("format_version", "int", description="the format the folder was written in"),
    Field("study", "str"),
    Field("version", "str"),
    Field("status", "str", description="one of " + ", ".join(STATUSES)),
    Field("epochs_planned", "int"),
    Field("epochs_completed", "int"),
    Field("steps", "int", description="optimizer steps done"),
    Field("wall_time_s", "number", description="seconds from start to the last write"),
    Field("train_time_s", "number", description="seconds inside training steps"),
    Field("images_per_s", "number", nullable=True),
    Field("diverged", "bool", description="a non-finite loss stopped the run"),
    Field("final", "mapping", description="scalars of the last logged step"),
    Field("sample_epochs", "list"),
    Field("grid", "mapping", description="geometry of the run's PNG grids (absent: "
          f"{UNRECORDED_GRID[0]} columns, {UNRECORDED_GRID[1]} px padding)"),
    Field("grid.columns", "int", description="tiles per row"),
    Field("grid.padding", "int", description="px around and between the tiles"),
    Field("device", "str"),
    Field("profile", "str"),
    Field("started_at", "str", description="ISO 8601 time"),
    Field("finished_at", "str", nullable=True),
)

CONFIG_FIELDS: tuple[Field, ...] = (
    Field("study", "str", description="study name (folder under experiments/ and runs/)"),
    Field("study_title", "str", description="human title of the study"),
    Field("version", "str", description="version name (v1) = run folder name"),
    Field("title", "str", description="one-line title of the version"),
    Field("description", "str", description="what this version changes and why (Markdown)"),
    Field("order", "int", description="position of the version in the study (1-based)"),
    Field("parent", "str", nullable=True, description="the version this one is compared with"),
    Field("seed", "int"),
    Field("profile", "mapping", description="`name` and `changed` (see below)"),
    Field("dataset", "mapping"),
    Field("dataset.name", "str"),
    Field("dataset.image_size", "int"),
    Field("model", "mapping"),
    Field("loss", "mapping"),
    Field("loss.name", "str", description="one of " + ", ".join(LOSSES)),
    Field("loss.real_label_range", "range", description="D's targets on real images"),
    Field("loss.fake_label_range", "range", description="D's targets on generated images"),
    Field("optim", "mapping"),
    Field("train", "mapping"),
    Field("train.epochs", "int"),
    Field("train.batch_size", "int"),
)

ENV_FIELDS: tuple[Field, ...] = (
    Field("format_version", "int"),
    Field("python", "str"),
    Field("torch", "str"),
    Field("torchvision", "str"),
    Field("device", "str", description="cpu, cuda or mps"),
    Field("device_name", "str"),
    Field("git_commit", "str", nullable=True, description="null outside a git checkout"),
    Field("git_dirty", "bool"),
    Field("seed", "int"),
    Field("command", "str", description="the command line that trained the run"),
    Field("started_at", "str"),
)

HEARTBEAT_FIELDS: tuple[Field, ...] = (
    Field("pid", "int", description="process id of the training process"),
    Field("hostname", "str", description="machine it runs on"),
    Field("updated_at", "str", description="ISO 8601 time with offset of the last rewrite"),
)

QUALITY_SUMMARY_FIELDS: tuple[Field, ...] = (
    Field("metric", "str", description="the quality.jsonl key that picks the best epoch"),
    Field("metric_note", "str", nullable=True,
          description="why the metric differs from quality.metric in config (e.g. FID is off)"),
    Field("best", "mapping", nullable=True,
          description="`epoch`, `step`, `value`: the best measured epoch (checkpoints/best.pt)"),
    Field("ema_best", "mapping", nullable=True,
          description="the same for G's weight average; null without quality.ema"),
    Field("floor", "mapping", description="the quality.jsonl keys measured on a second real "
                                          "sample: the value a perfect generator reaches"),
    Field("floor_key", "str", description="hash of the real images and settings the floor "
                                          "was measured with (versions share equal ones)"),
    Field("skipped", "mapping", description="metric name -> the one line saying why it is off "
                                            "and how to turn it on"),
    Field("every", "int", description="epochs between measurements (as last chosen)"),
    Field("measured_epochs", "list", description="the epochs measured so far"),
    Field("metric_time_s", "number", description="seconds spent measuring (and preparing)"),
    Field("other_time_s", "number", description="seconds of everything else (training, grids, "
                                                "checkpoints) over the same span"),
    Field("metric_share", "number", description="metric_time_s / (metric_time_s + "
                                                "other_time_s)"),
)

FIELDS_BY_FILE = {SUMMARY: SUMMARY_FIELDS, CONFIG: CONFIG_FIELDS, ENV: ENV_FIELDS,
                  HEARTBEAT: HEARTBEAT_FIELDS, QUALITY_SUMMARY: QUALITY_SUMMARY_FIELDS}


def type_matches(value: object, type_name: str) -> bool:
    """Whether a parsed JSON/YAML value has the named type (bool is never a number)."""
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "range":
        return (isinstance(value, list) and len(value) == 2
                and all(type_matches(item, "number") for item in value)
                and value[0] <= value[1])
    expected = {"str": str, "bool": bool, "mapping": dict, "list": list}[type_name]
    return isinstance(value, expected)
