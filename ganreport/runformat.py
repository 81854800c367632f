"""The run-folder contract as code: file names, the format version, the logged quantities.

`training` writes run folders through this module and `ganreport` reads them through
it, so the two cannot drift apart. It imports nothing (no torch, no numpy, not even
the rest of `ganreport`): `training` imports it without pulling in the site builder.
docs/run-format.md is checked against it by the tests.

A quantity is a named number in a JSONL row. The same name can mean different things
under different losses (`loss_d` is a BCE value for `bce` and a critic loss for
`wgan-gp`), so a quantity is looked up by (name, loss): `quantity("loss_d", "lsgan")`.
Its `kind` decides the axis (probability in [0, 1], unbounded score, ...) and which
curves the compare page may overlay: only quantities of the same kind.
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
EVENTS = "events.jsonl"  # one row per event: resume, non-finite loss, rollback, stage start
SUMMARY = "summary.json"  # status and totals, rewritten after every epoch
HEARTBEAT = "heartbeat.json"  # pid, host and time, rewritten while the writer is alive
SAMPLES_DIR = "samples"
REAL_GRID = "samples/real.png"  # 64 real training images, the same for every version
CHECKPOINTS_DIR = "checkpoints"
LAST_CHECKPOINT = "checkpoints/last.pt"
PREVIOUS_CHECKPOINT = "checkpoints/previous.pt"  # the one before last: never torn together
BEST_CHECKPOINT = "checkpoints/best.pt"
RUN_FILES = (CONFIG, ENV, METRICS, EPOCHS, QUALITY, EVENTS, SUMMARY, HEARTBEAT)
RUN_FOLDERS = (SAMPLES_DIR, CHECKPOINTS_DIR)
SAMPLE_PREFIX, SAMPLE_SUFFIX = "samples/epoch_", ".png"

STATUSES = ("running", "complete", "interrupted", "diverged")


def sample_name(epoch: int) -> str:
    """The fixed-noise grid written after `epoch` (0 = before training), relative path."""
    return f"{SAMPLE_PREFIX}{epoch:04d}{SAMPLE_SUFFIX}"


# -- kinds of quantity ----------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What a number is, which decides its axis and what it may be plotted beside."""

    name: str
    axis: str  # default axis label for a plot of this kind alone
    bounds: tuple[float | None, float | None]  # (low, high) the value must lie in; None = open
    lower_is_better: bool | None = None  # quality metrics only


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
SECONDS = Kind("seconds", "seconds", (0.0, None))
RATE = Kind("rate", "images per second", (0.0, None))
KINDS = {kind.name: kind for kind in (
    PROBABILITY, BCE_LOSS, SQUARED_LOSS, HINGE_LOSS, CRITIC_LOSS, RAW_OUTPUT, CRITIC_SCORE,
    PENALTY, WASSERSTEIN, QUALITY_LOWER, QUALITY_HIGHER, SCHEDULE, COUNTER, SECONDS, RATE)}

# -- losses ---------------------------------------------------------------------------------
LOSSES = ("bce", "lsgan", "wgan", "wgan-gp", "hinge")
ALL = LOSSES  # a quantity every loss writes
CRITICS = ("wgan", "wgan-gp", "hinge")  # D outputs an unbounded score, not a probability


@dataclass(frozen=True)
class Quantity:
    """One logged number: its JSONL key, axis label, kind, the losses that write it, its file."""

    name: str
    label: str
    kind: Kind
    losses: tuple[str, ...]
    file: str = METRICS  # METRICS rows; EPOCHS rows carry the same names as epoch means
    description: str = ""


QUANTITIES: tuple[Quantity, ...] = (
    # bookkeeping, every loss
    Quantity("step", "iteration", COUNTER, ALL, description="global G step, 1-based"),
    Quantity("epoch", "epoch", COUNTER, ALL, description="1-based epoch of the step"),
    Quantity("elapsed_s", "training time (s)", SECONDS, ALL,
             description="seconds inside training steps since the run started"),
    # BCE (the DCGAN tutorial's D_x, D_G_z1, D_G_z2)
    Quantity("loss_d", "D loss (BCE)", BCE_LOSS, ("bce",),
             description="BCE of D on the real and the fake batch, summed"),
    Quantity("loss_g", "G loss (BCE, non-saturating)", BCE_LOSS, ("bce",),
             description="BCE of D(G(z)) against the label 1"),
    Quantity("d_x", "D(x), real", PROBABILITY, ("bce",),
             description="mean sigmoid of D on the real batch"),
    Quantity("d_g_z", "D(G(z)), fake", PROBABILITY, ("bce",),
             description="mean sigmoid of D on the fake batch, before D's update"),
    Quantity("d_g_z_after", "D(G(z)) after D's update", PROBABILITY, ("bce",),
             description="mean sigmoid of D on the same fake batch after D's update"),
    # least squares (LSGAN): D's raw outputs against its targets
    Quantity("loss_d", "D loss (least squares)", SQUARED_LOSS, ("lsgan",),
             description="½E[(D(x)−b)²] + ½E[(D(G(z))−a)²]"),
    Quantity("loss_g", "G loss (least squares)", SQUARED_LOSS, ("lsgan",),
             description="½E[(D(G(z))−c)²]"),
    Quantity("d_real", "D output on real", RAW_OUTPUT, ("lsgan",),
             description="mean raw D output on the real batch (target: the real label)"),
    Quantity("d_fake", "D output on fake", RAW_OUTPUT, ("lsgan",),
             description="mean raw D output on the fake batch (target: the fake label)"),
    # critics: WGAN (clipping), WGAN-GP, hinge
    Quantity("loss_d", "critic loss", CRITIC_LOSS, ("wgan", "wgan-gp"),
             description="E[D(G(z))] − E[D(x)] (+ λ·penalty + drift)"),
    Quantity("loss_g", "G loss (−E[D(G(z))])", CRITIC_LOSS, ("wgan", "wgan-gp"),
             description="−E[D(G(z))]"),
    Quantity("loss_d", "D loss (hinge)", HINGE_LOSS, ("hinge",),
             description="E[max(0, 1−D(x))] + E[max(0, 1+D(G(z)))]"),
    Quantity("loss_g", "G loss (−E[D(G(z))])", HINGE_LOSS, ("hinge",),
             description="−E[D(G(z))]"),
    Quantity("critic_real", "critic score, real", CRITIC_SCORE, CRITICS,
             description="mean critic score on the real batch"),
    Quantity("critic_fake", "critic score, fake", CRITIC_SCORE, CRITICS,
             description="mean critic score on the fake batch"),
    Quantity("wasserstein", "E[D(x)] − E[D(G(z))]", WASSERSTEIN, CRITICS,
             description="the critic's estimate of the distance between real and fake"),
    Quantity("grad_penalty", "gradient penalty", PENALTY, ("wgan-gp",),
             description="E[(‖∇D(x̂)‖₂ − 1)²] on random interpolates (before λ)"),
    Quantity("drift", "drift term", PENALTY, ("wgan-gp",),
             description="E[D(x)²], ProGAN's small penalty that keeps scores near 0"),
    # progressive growing: the schedule, in every metrics row of a progan run
    Quantity("resolution", "resolution (px)", SCHEDULE, ALL,
             description="side of the images G makes at this step (progressive growing)"),
    Quantity("alpha", "fade-in α", SCHEDULE, ALL,
             description="weight of the newest block, 0 → 1 during a fade-in, 1 when stable"),
    Quantity("stage", "stage", COUNTER, ALL,
             description="index of the growth stage, 0 = the first resolution"),
    # per-epoch speed (epochs.jsonl)
    Quantity("images_per_s", "images per second", RATE, ALL, EPOCHS,
             description="training throughput over the epoch"),
    Quantity("wall_time_s", "epoch wall time (s)", SECONDS, ALL, EPOCHS,
             description="seconds the epoch took, grids and checkpoints excluded"),
    # sample quality (quality.jsonl)
    Quantity("swd", "SWD ×10³ (mean over levels)", QUALITY_LOWER, ALL, QUALITY,
             description="sliced Wasserstein distance on Laplacian-pyramid patches"),
    Quantity("msssim_fake", "MS-SSIM of generated pairs", QUALITY_LOWER, ALL, QUALITY,
             description="mean MS-SSIM of random pairs of samples: high = alike (collapse)"),
    Quantity("msssim_real", "MS-SSIM of real pairs", QUALITY_LOWER, ALL, QUALITY,
             description="the same statistic on real pairs: the diversity to aim for"),
    Quantity("fid", "FID", QUALITY_LOWER, ALL, QUALITY,
             description="Fréchet Inception distance (needs local Inception weights)"),
    Quantity("kid", "KID ×10³", QUALITY_LOWER, ALL, QUALITY,
             description="kernel Inception distance (needs local Inception weights)"),
    Quantity("coverage", "classes covered", QUALITY_HIGHER, ALL, QUALITY,
             description="share of the 10 MNIST classes among the samples"),
    Quantity("class_kl", "KL(class histogram ‖ uniform)", QUALITY_LOWER, ALL, QUALITY,
             description="how far the samples' digit classes are from uniform"),
)

_BY_NAME_AND_LOSS = {(q.name, loss): q for q in QUANTITIES for loss in q.losses}


def quantity(name: str, loss: str) -> Quantity | None:
    """The quantity `name` as the loss `loss` writes it, or None when that loss does not."""
    return _BY_NAME_AND_LOSS.get((name, loss))


def quantities_for(loss: str, file: str = METRICS) -> tuple[Quantity, ...]:
    """Every quantity a loss writes into `file`, in table order."""
    return tuple(q for q in QUANTITIES if loss in q.losses and q.file == file)


def can_overlay(first: Quantity, second: Quantity) -> bool:
    """Two curves share an axis only when they measure the same kind of thing."""
    return first.kind == second.kind


def per_scale_key(name: str, scale: int) -> str:
    """A metric measured per pyramid level or resolution: `swd_16`, `swd_32`, ..."""
    return f"{name}_{scale}"
