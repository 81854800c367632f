"""The training loop: it schedules the loss's phases and keeps the run folder current.

One step is loss.n_critic D updates, each on the next real batch, then one G
update (pytorch/examples dcgan/main.py when n_critic = 1). The loss object
does the updates (training/losses/); the loop never asks which loss it has.
Around the steps the loop reads the device-side sums every train.log_every
steps (the only host synchronisation), writes metric and epoch rows with exact
means, draws grids from the fixed noise, checkpoints, stops cleanly on
SIGINT/SIGTERM, and stops or rolls back on NaN/inf. On the CPU the same seed
gives the same run, interrupted and resumed or not.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ganreport import runformat as rf
from training import checkpoint as ckpt
from training import distributed
from training.batches import BatchStream
from training.config import RunConfig
from training.data import Dataset
from training.display import Display
from training.errors import Interrupted, UserError
from training.fast.precision import autocast
from training.fast.settings import Resolved, apply_process, resolve
from training.heartbeat import Heartbeat
from training.losses import GanLoss, Networks, Scalars, build_loss
from training.meter import ScalarMeter
from training.nets import build_networks  # the one place the loop names the networks
from training.optimizers import build_optimizer, set_learning_rate, settings
from training.rundir import GRID_SIZE, RunWriter, now_iso
from training.signals import StopSignals


class Hook:
    """Extension point for what other features add to the loop (EMA, ProGAN, quality).

    Every method is optional; state_dict/load_state_dict ride in the checkpoint.
    """

    name = "hook"
    main_rank_only = False  # True: it only measures and writes, so under DDP rank 0 alone runs it

    def start(self, trainer: Trainer) -> None:
        """Before a fresh run's first grid (a ProGAN schedule puts the nets at its first level,
        so the untrained G's grid is drawn at the start resolution)."""

    def before_step(self, trainer: Trainer) -> None:
        """Before each step (a ProGAN schedule sets resolution and alpha here)."""

    def after_step(self, trainer: Trainer) -> None:
        """After each G update (an EMA of G's weights updates here)."""

    def row(self, trainer: Trainer) -> dict[str, float]:
        """Extra host numbers for the metrics row (e.g. resolution, alpha, stage)."""
        return {}

    def epoch_end(self, trainer: Trainer, writer: RunWriter, epoch: int) -> None:
        """After an epoch's row and grid (quality metrics append to quality.jsonl here)."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what state_dict returned."""


@dataclass
class Trainer:
    """Everything that changes while training, and that a checkpoint must hold."""

    config: RunConfig
    device: torch.device
    nets: Networks
    loss: GanLoss
    batches: BatchStream
    z_noise: torch.Generator  # latent vectors (on the device)
    loss_noise: torch.Generator  # the loss's own draws: labels, flips, interpolates
    fixed_noise: torch.Tensor  # (64, z_dim, 1, 1), the same for every version of a study
    steps_per_epoch: int
    meter: ScalarMeter = field(default_factory=ScalarMeter)
    hooks: list[Hook] = field(default_factory=list)
    step: int = 0  # G steps done
    lr_scale: float = 1.0  # lowered by each rollback
    rollbacks: int = 0
    events: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail) from hooks
    fast: Resolved | None = None  # the performance switches in effect (training/fast/)
    shard: tuple[int, int] = (0, 1)  # (rank, ranks): this process's slice of each batch (DDP)


@dataclass
class Progress:
    """Bookkeeping on the host: totals for summary.json and the epoch's running sums."""

    started_at: str = field(default_factory=now_iso)
    status: str = "running"
    epochs_done: int = 0
    train_seconds: float = 0.0  # inside training steps only
    images_seen: int = 0
    sample_epochs: list[int] = field(default_factory=list)
    final: dict[str, float] = field(default_factory=dict)  # means over the last whole epoch
    epoch_sums: dict[str, list[float]] = field(default_factory=dict)  # name -> [sum, count]
    epoch_seconds: float = 0.0
    epoch_images: int = 0
    resumes: int = 0
    last_row_step: int = 0  # step of the last metrics row
    wall_seconds: float = 0.0  # wall time of the run up to its last checkpoint
    mark: float = field(default_factory=time.perf_counter)  # start of unmeasured training time
    last_checkpoint: float = field(default_factory=time.monotonic)

    def lap(self) -> None:
        """Count the training time since the mark (call after a host read, before other work)."""
        now = time.perf_counter()
        self.train_seconds += now - self.mark
        self.epoch_seconds += now - self.mark
        self.mark = now

    def restart_clock(self) -> None:
        self.mark = time.perf_counter()

    def state_dict(self) -> dict[str, Any]:
        keys = ("started_at", "epochs_done", "train_seconds", "images_seen", "sample_epochs",
                "final", "epoch_sums", "epoch_seconds", "epoch_images", "resumes", "last_row_step",
                "wall_seconds")
        return {key: getattr(self, key) for key in keys}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)


@dataclass
class RunOptions:
    """How train_run is driven: the bar, a checkpoint to resume from, hooks."""

    show_bar: bool = False
    resume: ckpt.Loaded | None = None
    hooks: Sequence[Hook] = ()


# ---------------------------------------------------------------------- building


def derived_seed(seed: int, purpose: str) -> int:
    """A seed for one stream of draws (labels, z, batches), independent of the others."""
    digest = hashlib.sha256(f"{seed}/{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def fixed_noise_for(config: RunConfig) -> torch.Tensor:
    """The study's 64 latent vectors, from noise_seed alone: (64, z_dim, 1, 1) on CPU."""
    generator = torch.Generator().manual_seed(config.noise_seed)
    return torch.randn(GRID_SIZE, config.model.z_dim, 1, 1, generator=generator)


def real_grid_images(images: torch.Tensor, noise_seed: int) -> torch.Tensor:
    """The study's 64 real images (uint8, (64, C, S, S)), chosen from noise_seed alone."""
    generator = torch.Generator().manual_seed(derived_seed(noise_seed, "real-grid"))
    chosen = torch.randperm(images.shape[0], generator=generator)[:GRID_SIZE]
    return images[chosen.to(images.device)].cpu()


def check_batch_fits(config: RunConfig, count: int) -> None:
    """A dataset smaller than one batch is an error, never a silently smaller batch."""
    if count < config.train.batch_size:
        raise UserError(
            config.sources.get("train.batch_size", "config"), "train.batch_size",
            f"{config.train.batch_size} is more than the {count} images of the dataset "
            f"(dataset.count or the folder); use train.batch_size <= {count} or more images",
        )


def make_trainer(
    config: RunConfig, device: torch.device, images: torch.Tensor, hooks: Sequence[Hook] = ()
) -> Trainer:
    """Seed every RNG, build G, D, their optimizers, the loss and the batch stream."""
    check_batch_fits(config, images.shape[0])
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    np.random.seed(config.seed % 2**32)
    fast = resolve(config.performance, device, images.numel())
    apply_process(fast)
    generator, discriminator = build_networks(config.model, config.dataset)
    generator, discriminator = generator.to(device), discriminator.to(device)
    if fast.channels_last:
        generator, discriminator = (net.to(memory_format=torch.channels_last)
                                    for net in (generator, discriminator))
    nets = Networks(
        generator, discriminator,
        build_optimizer(generator.parameters(), config.optim, "g", device, fast.fused_adam),
        build_optimizer(discriminator.parameters(), config.optim, "d", device, fast.fused_adam),
    )
    if fast.compile:  # in place: state_dict keys (checkpoints) stay those of the plain module
        generator.compile()
        discriminator.compile()
    loss_noise = torch.Generator(device=device).manual_seed(derived_seed(config.seed, "loss"))
    if fast.device_dataset:
        images = images.to(device)
    batches = BatchStream(images, config.train.batch_size, derived_seed(config.seed, "batches"),
                          config.dataset.flip, device, shard=distributed.shard())
    synced = distributed.wrap(nets, config.performance.sync_batchnorm,  # DDP view (several ranks)
                              every_parameter_used=config.model.arch != "progan")
    return Trainer(
        config=config, device=device, nets=nets,
        loss=build_loss(config.loss, synced, loss_noise),
        batches=batches,
        z_noise=torch.Generator(device=device).manual_seed(derived_seed(config.seed, "z")),
        loss_noise=loss_noise,
        fixed_noise=fixed_noise_for(config).to(device),
        steps_per_epoch=max(1, batches.batches_per_pass // config.loss.n_critic),
        hooks=list(hooks),
        fast=fast,
        shard=distributed.shard(),
    )


def checkpoint_bytes(config: RunConfig) -> int:
    """About how large one checkpoint of this config is: weights, two optimizer moments each."""
    with torch.device("meta"):  # shapes only, nothing allocated
        generator, discriminator = build_networks(config.model, config.dataset)
    tensors = [*generator.parameters(), *discriminator.parameters()]
    buffers = [*generator.buffers(), *discriminator.buffers()]
    return 4 * (3 * sum(t.numel() for t in tensors) + sum(b.numel() for b in buffers)) + 2**20


def apply_learning_rates(trainer: Trainer) -> None:
    """Both optimizers to the config's learning rates times the rollback scale."""
    for network, optimizer in (("g", trainer.nets.optimizer_g), ("d", trainer.nets.optimizer_d)):
        set_learning_rate(optimizer, settings(trainer.config.optim, network)[1] * trainer.lr_scale)


# ---------------------------------------------------------------------- one step


def draw_z(trainer: Trainer, count: int) -> torch.Tensor:
    """(count, z_dim, 1, 1) standard normal latents from the run's own z generator.

    Under DDP every rank draws the whole batch's latents and keeps its own slice.
    """
    rank, ranks = trainer.shard
    shape = (count * ranks, trainer.config.model.z_dim, 1, 1)
    z = torch.randn(shape, device=trainer.device, generator=trainer.z_noise)
    return z[rank * count : (rank + 1) * count] if ranks > 1 else z


def train_step(trainer: Trainer, next_batch: Callable[[], torch.Tensor] | None = None) -> Scalars:
    """One G step with its n_critic D steps; the scalars go to trainer.meter (no host sync).

    Returns the last D step's and the G step's scalars (0-dim device tensors).
    """
    next_batch = next_batch or trainer.batches.next
    with autocast(trainer.device, trainer.fast is not None and trainer.fast.autocast_bf16):
        return _step(trainer, next_batch)


def _step(trainer: Trainer, next_batch: Callable[[], torch.Tensor]) -> Scalars:
    loss, n_critic = trainer.loss, trainer.config.loss.n_critic
    ############################
    # (1) Update D n_critic times: each on the next real batch and fresh z
    #     (bce: maximize log D(x) + log(1 - D(G(z))); critics: E[D(x)] - E[D(G(z))])
    ############################
    for index in range(n_critic):
        real = next_batch()  # (B, C, S, S) in [-1, 1]
        z = draw_z(trainer, real.shape[0])  # (B, z_dim, 1, 1)
        d_index = trainer.step * n_critic + index  # 0-based count of D steps in the run
        d_scalars = loss.d_step(real, z, regularize=d_index % loss.reg_every == 0)
        trainer.meter.add(d_scalars)
    ############################
    # (2) Update G once, on the last D step's z (its G(z) is reused)
    #     (bce: maximize log D(G(z)); critics: maximize E[D(G(z))])
    ############################
    g_scalars = loss.g_step(z)
    trainer.meter.add(g_scalars)
    trainer.step += 1
    return {**d_scalars, **g_scalars}


@torch.no_grad()
def sample_fixed(generator: torch.nn.Module, noise: torch.Tensor) -> torch.Tensor:
    """G in train mode on the fixed noise, as the PyTorch DCGAN tutorial draws its grids.

    BatchNorm normalises with the batch's own statistics (so even the untrained
    G's grid is not flat grey); every buffer (running statistics, batch counts,
    spectral-norm vectors) and the global RNG are put back, so training is untouched.
    Returns (64, C, S, S) in [-1, 1].
    """
    saved = {name: buffer.clone() for name, buffer in generator.named_buffers()}
    was_training = generator.training
    devices = [noise.device] if noise.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        generator.train()
        images = generator(noise)
    for name, buffer in generator.named_buffers():
        buffer.copy_(saved[name])
    generator.train(was_training)
    return images


def at_full_size(images: torch.Tensor, size: int) -> torch.Tensor:
    """Nearest-upsample a smaller grid (a progressive run's early stages) to the run's size."""
    factor = size // images.shape[-1]
    if factor <= 1:
        return images
    return torch.nn.functional.interpolate(images, scale_factor=factor, mode="nearest")


def weights_finite(nets: Networks) -> torch.Tensor:
    """0-dim bool on the device: every weight of G and D is finite (read with the meter)."""
    parameters = [*nets.generator.parameters(), *nets.discriminator.parameters()]
    return torch.isfinite(torch.stack([p.detach().sum() for p in parameters])).all()


# ---------------------------------------------------------------------- the run


@dataclass
class Run:
    """One run in progress: the trainer, its bookkeeping, and where it writes and shows."""

    trainer: Trainer
    progress: Progress
    writer: RunWriter
    display: Display
    stop: StopSignals
    extra: dict[str, Any]  # more keys for summary.json (dataset size, skipped files)
    wall_start: float = field(default_factory=time.perf_counter)
    wall_before: float = 0.0  # wall seconds of earlier sessions (resumed runs)

    @property
    def config(self) -> RunConfig:
        return self.trainer.config

    def epoch_of_step(self) -> int:
        """1-based epoch of the last step taken (0 before the first)."""
        return -(-self.trainer.step // self.trainer.steps_per_epoch)


def _round(value: float) -> float:
    """Seven significant digits: float32 sums carry no more."""
    return float(f"{value:.7g}") if math.isfinite(value) else value


def write_summary(run: Run) -> None:
    """Rewrite summary.json from the running totals."""
    config, trainer, progress = run.config, run.trainer, run.progress
    seconds = progress.train_seconds
    run.writer.write_json(rf.SUMMARY, {
        "format_version": rf.FORMAT_VERSION,
        "study": config.study,
        "version": config.version,
        "status": progress.status,
        "epochs_planned": config.train.epochs,
        "epochs_completed": progress.epochs_done,
        "steps": trainer.step,
        "wall_time_s": round(run.wall_before + time.perf_counter() - run.wall_start, 3),
        "train_time_s": round(seconds, 3),
        "images_per_s": round(progress.images_seen / seconds, 2) if seconds else None,
        "diverged": progress.status == "diverged",
        "final": progress.final,
        "sample_epochs": progress.sample_epochs,
        "grid": run.writer.grid,
        "rollbacks": trainer.rollbacks,
        "resumes": progress.resumes,
        "device": trainer.device.type,
        "profile": config.profile.name,
        "started_at": progress.started_at,
        "finished_at": None if progress.status == "running" else now_iso(),
        **run.extra,
    })


def _event(run: Run, kind: str, detail: str) -> None:
    """One row in events.jsonl (resume, nonfinite, rollback, diverged, interrupted)."""
    run.writer.append_jsonl(rf.EVENTS, {
        "kind": kind, "step": run.trainer.step, "epoch": run.epoch_of_step(), "detail": detail,
        "time": now_iso(),
    })


def trim_after(writer: RunWriter, step: int, epochs_done: int, events: bool) -> int:
    """Drop rows written after a checkpoint (and torn lines); return how many went."""
    def keep(row: dict) -> bool:  # by step where a row has one, else by finished epoch
        if "step" in row:
            return isinstance(row["step"], int) and row["step"] <= step
        return isinstance(row.get("epoch"), int) and row["epoch"] <= epochs_done

    dropped = writer.trim_jsonl(rf.METRICS, keep) + writer.trim_jsonl(rf.QUALITY, keep)
    dropped += writer.trim_jsonl(
        rf.EPOCHS, lambda row: isinstance(row.get("epoch"), int) and row["epoch"] <= epochs_done
    )
    if events:
        dropped += writer.trim_jsonl(rf.EVENTS, keep)
    writer.remove_samples_after(epochs_done)
    return dropped


def _start_fresh(run: Run, images: torch.Tensor) -> None:
    """Before the first step: the real grid, the untrained G's grid, summary, checkpoint 0."""
    trainer = run.trainer
    run.writer.write_real_grid(real_grid_images(images, run.config.noise_seed))
    run.progress.sample_epochs.append(0)
    for hook in trainer.hooks:
        hook.start(trainer)
    images = sample_fixed(trainer.nets.generator, trainer.fixed_noise)
    run.writer.write_grid(0, at_full_size(images, run.config.dataset.image_size))
    write_summary(run)
    _checkpoint(run)  # resume and rollback always have somewhere to start from


def _start_resumed(run: Run, loaded: ckpt.Loaded) -> None:
    """Put the checkpoint back, drop what was written after it, and say so in events.jsonl."""
    trainer, progress = run.trainer, run.progress
    ckpt.restore(trainer, progress, loaded.state)
    apply_learning_rates(trainer)  # the config's (changed only under --force) x rollback scale
    run.wall_before = progress.wall_seconds
    progress.resumes += 1
    progress.status = "running"
    dropped = trim_after(run.writer, trainer.step, progress.epochs_done, events=True)
    where = loaded.path.relative_to(run.writer.folder)
    skipped = f"; skipped {', '.join(loaded.skipped)}" if loaded.skipped else ""
    _event(run, "resume", f"from {where} at step {trainer.step}; {dropped} later rows dropped"
           + skipped)
    write_summary(run)


def _checkpoint(run: Run) -> bool:
    """Write a checkpoint unless a weight or an unread sum is non-finite (then return False)."""
    trainer, progress = run.trainer, run.progress
    trainer.meter.synchronize()  # under DDP: every rank holds (and checkpoints) the same sums
    sums = trainer.meter.sums.values()
    flags = [weights_finite(trainer.nets), *(torch.isfinite(total) for total in sums)]
    if not bool(torch.stack(flags).all()):
        return False
    progress.lap()
    progress.wall_seconds = run.wall_before + time.perf_counter() - run.wall_start
    run.writer.write_checkpoint(ckpt.capture(trainer, progress))
    progress.last_checkpoint = time.monotonic()
    progress.restart_clock()
    return True


def _checkpoint_due(run: Run, epoch_done: bool) -> tuple[bool, bool]:
    """(scheduled, overdue): every checkpoint_every epochs and the last, every
    checkpoint_steps; overdue by the clock (every checkpoint_minutes)."""
    train, trainer, progress = run.config.train, run.trainer, run.progress
    scheduled = epoch_done and (progress.epochs_done % train.checkpoint_every == 0
                                or progress.epochs_done == train.epochs)
    scheduled = scheduled or bool(train.checkpoint_steps
                                  and trainer.step % train.checkpoint_steps == 0)
    overdue = time.monotonic() - progress.last_checkpoint >= train.checkpoint_minutes * 60
    return scheduled, overdue


# ---------------------------------------------------------------------- read points


def _read_point(run: Run) -> list[str]:
    """Write the metrics row for the steps since the last row; return what is non-finite."""
    trainer, progress = run.trainer, run.progress
    totals, (weights_ok,) = trainer.meter.read([weights_finite(trainer.nets)])
    progress.lap()
    order = [*trainer.loss.names, *(name for name in totals if name not in trainer.loss.names)]
    means = {}
    for name in order:
        if name in totals:
            total, count = totals[name]
            means[name] = total / count
            running = progress.epoch_sums.setdefault(name, [0.0, 0])
            running[0], running[1] = running[0] + total, running[1] + count
    extras = {k: v for hook in trainer.hooks for k, v in hook.row(trainer).items()}
    run.writer.append_jsonl(rf.METRICS, {
        "step": trainer.step, "epoch": run.epoch_of_step(),
        **{name: _round(value) for name, value in means.items()}, **extras,
        "elapsed_s": round(progress.train_seconds, 3),
    })
    run.display.show(means)
    bad = [name for name, value in means.items() if not math.isfinite(value)]
    first, progress.last_row_step = progress.last_row_step + 1, trainer.step
    if weights_ok != 1.0:
        bad.append("weights")
    if bad:
        _event(run, "nonfinite", f"{', '.join(bad)} not finite in steps {first}-{trainer.step}")
    return bad


def _end_epoch(run: Run, partial: bool = False) -> None:
    """The epoch's row in epochs.jsonl (exact means), maybe a grid, hooks, summary.json."""
    trainer, progress, train = run.trainer, run.progress, run.config.train
    epoch = progress.epochs_done + 1
    progress.lap()
    means = {name: total / count for name, (total, count) in progress.epoch_sums.items()}
    sample = None
    if partial or epoch % train.sample_every == 0 or epoch == train.epochs:
        images = sample_fixed(trainer.nets.generator, trainer.fixed_noise)  # (64, C, r, r)
        images = at_full_size(images, run.config.dataset.image_size)  # (64, C, S, S)
        sample = run.writer.write_grid(epoch, images)
        progress.sample_epochs.append(epoch)
    seconds = progress.epoch_seconds
    row = {
        "epoch": epoch, "step": trainer.step, "wall_time_s": round(seconds, 3),
        "elapsed_s": round(progress.train_seconds, 3),
        "images_per_s": round(progress.epoch_images / seconds, 2) if seconds else 0.0,
        **{name: _round(value) for name, value in means.items()}, "sample": sample,
    }
    run.writer.append_jsonl(rf.EPOCHS, row)
    run.display.epoch_line(row)
    progress.epoch_sums, progress.epoch_seconds, progress.epoch_images = {}, 0.0, 0
    if not partial:
        progress.final = {name: _round(value) for name, value in means.items()}
        progress.epochs_done = epoch
        for hook in trainer.hooks:
            hook.epoch_end(trainer, run.writer, epoch)
    write_summary(run)
    progress.restart_clock()


# ---------------------------------------------------------------------- setbacks


def _rollback(run: Run) -> bool:
    """Reload the last good checkpoint with lower learning rates; False if there is none."""
    loaded, _skipped = ckpt.load_checkpoint(run.writer.folder)
    if loaded is None:
        return False
    trainer, progress = run.trainer, run.progress
    failed_at, rollbacks = trainer.step, trainer.rollbacks + 1
    lr_scale = trainer.lr_scale * run.config.train.rollback_lr_scale
    resumes = progress.resumes
    ckpt.restore(trainer, progress, loaded.state)
    trainer.rollbacks, trainer.lr_scale, progress.resumes = rollbacks, lr_scale, resumes
    apply_learning_rates(trainer)
    trim_after(run.writer, trainer.step, progress.epochs_done, events=False)
    run.display.close()
    rates = ", ".join(f"{name} {group['lr']:.3g}" for name, group in (
        ("G", trainer.nets.optimizer_g.param_groups[0]),
        ("D", trainer.nets.optimizer_d.param_groups[0])))
    _event(run, "rollback", f"non-finite at step {failed_at}: back to step {trainer.step} "
           f"(rollback {rollbacks} of {run.config.train.max_rollbacks}), learning rates {rates}")
    _checkpoint(run)  # the new rates survive a crash
    return True


def _recover(run: Run) -> str | None:
    """After a non-finite read: roll back (None: carry on) or stop ("diverged")."""
    train = run.config.train
    if train.on_nonfinite == "rollback" and run.trainer.rollbacks < train.max_rollbacks:
        if _rollback(run):
            return None
    _event(run, "diverged", "stopped: non-finite values; the last good checkpoint is kept")
    _end_epoch(run, partial=True)
    return "diverged"


# ---------------------------------------------------------------------- the loop


def _after_step(run: Run) -> str | None:
    """Read points, epoch end, checkpoints and signals after a step; a status ends the run."""
    trainer, progress, train = run.trainer, run.progress, run.config.train
    for kind, detail in trainer.events:  # what hooks asked to record (a progan stage)
        _event(run, kind, detail)
    trainer.events.clear()
    in_epoch = trainer.step - progress.epochs_done * trainer.steps_per_epoch
    run.display.step(progress.epochs_done + 1, in_epoch)
    epoch_done = in_epoch == trainer.steps_per_epoch
    if (trainer.step % train.log_every == 0 or epoch_done) and _read_point(run):
        return _recover(run)
    if epoch_done:
        _end_epoch(run)
    # under DDP a signal or the clock on any rank counts for all, so they stay in step
    stop, due = distributed.agree(trainer.step, run.stop.requested,
                                  *_checkpoint_due(run, epoch_done))
    if stop or due:
        if not _checkpoint(run):
            _read_point(run)  # the row that shows where the numbers broke
            return _recover(run)
    if stop:
        raise Interrupted(stop, trainer.step, run.epoch_of_step())
    return None


def _loop(run: Run) -> str:
    """Steps until the planned epochs are done; returns the final status."""
    trainer, progress = run.trainer, run.progress
    total_steps = run.config.train.epochs * trainer.steps_per_epoch
    progress.restart_clock()
    while trainer.step < total_steps:
        for hook in trainer.hooks:
            hook.before_step(trainer)
        train_step(trainer)
        for hook in trainer.hooks:
            hook.after_step(trainer)
        images_per_step = trainer.batches.batch_size * run.config.loss.n_critic  # may change
        progress.images_seen += images_per_step
        progress.epoch_images += images_per_step
        status = _after_step(run)
        if status:
            return status
    return "complete"


def train_run(
    config: RunConfig,
    dataset: Dataset,
    writer: RunWriter,
    device: torch.device,
    options: RunOptions | None = None,
) -> dict[str, Any]:
    """Train one version into its run folder (fresh, or from options.resume).

    Returns status and totals. SIGINT/SIGTERM end the current step, write a
    checkpoint and raise Interrupted; any other exception marks the run
    "interrupted" (its last checkpoint stays) and propagates.
    """
    options = options or RunOptions()
    trainer = make_trainer(config, device, dataset.images, options.hooks)
    progress = Progress()
    display = Display(config, trainer.steps_per_epoch, options.show_bar)
    extra = {"dataset_images": len(dataset), "dataset_skipped": dataset.skipped}
    with StopSignals() as stop:
        run = Run(trainer, progress, writer, display, stop, extra)
        heartbeat = Heartbeat(writer, lambda: (trainer.step, run.epoch_of_step()))
        try:
            if options.resume is not None:
                _start_resumed(run, options.resume)
            else:
                _start_fresh(run, dataset.images)
            with heartbeat:
                progress.status = _loop(run)
        except BaseException as error:
            display.close()
            progress.status = "interrupted"
            _event(run, "interrupted", str(error) or type(error).__name__)
            write_summary(run)
            heartbeat.beat(progress.status)
            raise
    write_summary(run)
    heartbeat.beat(progress.status)
    return {"status": progress.status, "train_time_s": progress.train_seconds,
            "epochs": progress.epochs_done, "steps": trainer.step}
