"""One DCGAN update and the epoch loop that writes a run folder as it goes.

The update follows pytorch/examples dcgan/main.py step by step (D on a real
batch, D on a fake batch, then G); the loop adds what a write-up needs:
metrics rows, per-epoch timing, grids from the study's fixed noise, and
checkpoints with every RNG state. On CPU the same seed gives the same run.
"""

from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from tqdm import tqdm

from training.config import RunConfig
from training.data import Dataset
from training.losses import GanLoss, draw_labels, get_loss
from training.nets import build_networks as build_models
from training.nets.dcgan import Discriminator, Generator
from training.rundir import FORMAT_VERSION, RunWriter, now_iso

SCALARS = ("loss_d", "loss_g", "d_x", "d_g_z")
STEP_SCALARS = (*SCALARS, "d_g_z_after")  # what train_step returns, in order
GRID_SIZE = 64  # 8x8 sample grid
ON_DEVICE_LIMIT = 2 * 1024**3  # datasets up to 2 GiB of uint8 are moved to the GPU whole


@dataclass
class Trainer:
    """Everything that changes during training, in one place (and one checkpoint)."""

    config: RunConfig
    device: torch.device
    generator: Generator
    discriminator: Discriminator
    optimizer_g: torch.optim.Optimizer
    optimizer_d: torch.optim.Optimizer
    loss: GanLoss
    fixed_noise: torch.Tensor  # (64, z_dim, 1, 1), the same for every version of a study
    batch_order: torch.Generator  # shuffles the dataset each epoch (CPU, seeded)
    step: int = 0
    epoch: int = 0


def fixed_noise_for(config: RunConfig) -> torch.Tensor:
    """The study's 64 latent vectors, from noise_seed alone: (64, z_dim, 1, 1) on CPU."""
    generator = torch.Generator().manual_seed(config.noise_seed)
    return torch.randn(GRID_SIZE, config.model.z_dim, 1, 1, generator=generator)


def make_trainer(config: RunConfig, device: torch.device) -> Trainer:
    """Seed every RNG, build G, D and their Adam optimizers (DCGAN betas)."""
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    generator, discriminator = build_models(config.model, config.dataset)
    generator, discriminator = generator.to(device), discriminator.to(device)
    betas = (config.optim.beta1, config.optim.beta2)
    return Trainer(
        config=config,
        device=device,
        generator=generator,
        discriminator=discriminator,
        optimizer_g=torch.optim.Adam(generator.parameters(), lr=config.optim.lr, betas=betas),
        optimizer_d=torch.optim.Adam(discriminator.parameters(), lr=config.optim.lr, betas=betas),
        loss=get_loss(config.loss.name),
        fixed_noise=fixed_noise_for(config).to(device),
        batch_order=torch.Generator().manual_seed(config.seed),
    )


def train_step(trainer: Trainer, real: torch.Tensor) -> dict[str, float]:
    """One DCGAN update on a real batch (N, C, S, S) in [-1, 1]; returns the step's scalars."""
    netG, netD = trainer.generator, trainer.discriminator
    loss, config = trainer.loss, trainer.config
    batch_size, device = real.shape[0], real.device
    ############################
    # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
    ###########################
    # train with real
    netD.zero_grad(set_to_none=True)
    real_targets = draw_labels(config.loss.real_label_range, batch_size, device)  # (N,)
    output = netD(real)  # (N,) logits
    errD_real = loss.d_real(output, real_targets)
    errD_real.backward()
    D_x = torch.sigmoid(output).mean().detach()
    # train with fake
    noise = torch.randn(batch_size, config.model.z_dim, 1, 1, device=device)  # (N, z, 1, 1)
    fake = netG(noise)  # (N, C, S, S)
    fake_targets = draw_labels(config.loss.fake_label_range, batch_size, device)
    output = netD(fake.detach())
    errD_fake = loss.d_fake(output, fake_targets)
    errD_fake.backward()
    D_G_z1 = torch.sigmoid(output).mean().detach()
    errD = errD_real + errD_fake
    trainer.optimizer_d.step()
    ############################
    # (2) Update G network: maximize log(D(G(z)))
    ###########################
    netG.zero_grad(set_to_none=True)
    output = netD(fake)  # D after its update; G's target is "real" (1), never smoothed
    errG = loss.generator(output)
    errG.backward()
    D_G_z2 = torch.sigmoid(output).mean().detach()
    trainer.optimizer_g.step()
    # one device-to-host copy per step instead of five .item() syncs
    values = torch.stack([errD.detach(), errG.detach(), D_x, D_G_z1, D_G_z2]).tolist()
    return dict(zip(STEP_SCALARS, values, strict=True))


@torch.no_grad()
def sample_fixed(trainer: Trainer) -> torch.Tensor:
    """G in eval mode on the fixed noise: (64, C, S, S) in [-1, 1]."""
    trainer.generator.eval()
    images = trainer.generator(trainer.fixed_noise)
    trainer.generator.train()
    return images


def checkpoint_state(trainer: Trainer) -> dict[str, Any]:
    """checkpoints/last.pt: weights, optimizers, counters, every RNG state and the config."""
    rng = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "batch_order": trainer.batch_order.get_state(),
    }
    if trainer.device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state_all()
    return {
        "generator": trainer.generator.state_dict(),
        "discriminator": trainer.discriminator.state_dict(),
        "optimizer_g": trainer.optimizer_g.state_dict(),
        "optimizer_d": trainer.optimizer_d.state_dict(),
        "epoch": trainer.epoch,
        "step": trainer.step,
        "rng": rng,
        "config": trainer.config.to_dict(),
        "format_version": FORMAT_VERSION,
    }


@dataclass
class Progress:
    """Running totals for summary.json."""

    started_at: str = field(default_factory=now_iso)
    train_seconds: float = 0.0
    images_seen: int = 0
    sample_epochs: list[int] = field(default_factory=list)
    final: dict[str, float] = field(default_factory=dict)
    status: str = "running"
    diverged: bool = False
    epochs_completed: int = 0
    clock_start: float = field(default_factory=time.perf_counter)


def write_summary(writer: RunWriter, trainer: Trainer, progress: Progress, extra: dict) -> None:
    """Rewrite summary.json from the running totals (after each epoch and at the end)."""
    config = trainer.config
    seconds = progress.train_seconds
    writer.write_json(
        "summary.json",
        {
            "format_version": FORMAT_VERSION,
            "study": config.study,
            "version": config.version,
            "status": progress.status,
            "epochs_planned": config.train.epochs,
            "epochs_completed": progress.epochs_completed,
            "steps": trainer.step,
            "wall_time_s": round(time.perf_counter() - progress.clock_start, 3),
            "train_time_s": round(seconds, 3),
            "images_per_s": round(progress.images_seen / seconds, 2) if seconds else None,
            "diverged": progress.diverged,
            "final": progress.final,
            "sample_epochs": progress.sample_epochs,
            "device": trainer.device.type,
            "profile": config.profile.name,
            "started_at": progress.started_at,
            "finished_at": None if progress.status == "running" else now_iso(),
            **extra,
        },
    )


def _batches(trainer: Trainer, images: torch.Tensor):
    """Yield real batches (B, C, S, S) in [-1, 1] in a fresh seeded order; drops the remainder."""
    count, batch_size = images.shape[0], min(trainer.config.train.batch_size, images.shape[0])
    order = torch.randperm(count, generator=trainer.batch_order)
    for start in range(0, count - batch_size + 1, batch_size):
        batch = images[order[start : start + batch_size].to(images.device)]  # (B, C, S, S) uint8
        yield batch.to(trainer.device, non_blocking=True).float().div_(127.5).sub_(1.0)


def run_epoch(
    trainer: Trainer,
    images: torch.Tensor,
    writer: RunWriter,
    progress: Progress,
    show_progress: bool,
) -> dict[str, float]:
    """Train one epoch, log metric rows; return the epoch's mean scalars and its speed."""
    config, epoch = trainer.config, trainer.epoch
    steps = max(1, images.shape[0] // min(config.train.batch_size, images.shape[0]))
    totals = dict.fromkeys(SCALARS, 0.0)
    started, seen, index = time.perf_counter(), 0, -1
    bar = tqdm(
        _batches(trainer, images),
        total=steps,
        leave=False,
        file=sys.stderr,
        desc=f"{config.version} epoch {epoch}/{config.train.epochs}",
        unit="step",
        disable=not show_progress,
        dynamic_ncols=True,
    )
    for index, real in enumerate(bar):
        scalars = train_step(trainer, real)
        trainer.step, seen = trainer.step + 1, seen + real.shape[0]
        for key in SCALARS:
            totals[key] += scalars[key]
        finite = all(math.isfinite(v) for v in scalars.values())
        if trainer.step % config.train.log_every == 0 or index == steps - 1 or not finite:
            elapsed = progress.train_seconds + time.perf_counter() - started
            writer.append_jsonl(
                "metrics.jsonl",
                {
                    "step": trainer.step,
                    "epoch": epoch,
                    **{k: round(v, 6) for k, v in scalars.items()},
                    "elapsed_s": round(elapsed, 3),
                },
            )
        bar.set_postfix(
            loss_d=f"{scalars['loss_d']:.3f}",
            loss_g=f"{scalars['loss_g']:.3f}",
            D_x=f"{scalars['d_x']:.2f}",
            D_G_z=f"{scalars['d_g_z']:.2f}",
        )
        if not finite:
            progress.diverged = True
            break
    bar.close()
    seconds = time.perf_counter() - started
    progress.train_seconds += seconds
    progress.images_seen += seen
    means = {k: round(v / max(index + 1, 1), 6) for k, v in totals.items()}
    return {**means, "wall_time_s": round(seconds, 3), "images_per_s": round(seen / seconds, 2)}


def _should(every: int, epoch: int, last: int) -> bool:
    return epoch % every == 0 or epoch == last


def _report(trainer: Trainer, row: dict[str, Any]) -> None:
    """One line per sampled epoch, above the progress bars."""
    config = trainer.config
    tqdm.write(
        f"{config.study}/{config.version} epoch {row['epoch']}/{config.train.epochs}  "
        f"loss_d {row['loss_d']:.3f}  loss_g {row['loss_g']:.3f}  D(x) {row['d_x']:.2f}  "
        f"D(G(z)) {row['d_g_z']:.2f}  {row['images_per_s']:.0f} img/s  -> {row['sample']}",
        file=sys.stderr,
    )


def _end_of_epoch(trainer: Trainer, writer: RunWriter, progress: Progress, row: dict) -> None:
    """After an epoch: maybe a grid, the epochs.jsonl row, maybe a checkpoint."""
    config, epoch, last = trainer.config, trainer.epoch, trainer.config.train.epochs
    progress.final = {k: row[k] for k in SCALARS}
    sample = None
    if _should(config.train.sample_every, epoch, last) or progress.diverged:
        sample = writer.write_grid(epoch, sample_fixed(trainer))
        progress.sample_epochs.append(epoch)
    row = {
        "epoch": epoch,
        "step": trainer.step,
        "wall_time_s": row.pop("wall_time_s"),
        "elapsed_s": round(progress.train_seconds, 3),
        **row,
        "sample": sample,
    }
    writer.append_jsonl("epochs.jsonl", row)
    progress.epochs_completed = epoch
    if sample:
        _report(trainer, row)
    if not progress.diverged and _should(config.train.checkpoint_every, epoch, last):
        writer.write_checkpoint(checkpoint_state(trainer))


def train_run(
    config: RunConfig,
    dataset: Dataset,
    writer: RunWriter,
    device: torch.device,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Train one version into its run folder; return the final status and totals.

    KeyboardInterrupt and errors mark summary.json "interrupted" (keeping every
    file written so far, plus a checkpoint) and propagate. A non-finite loss
    stops the run with status "diverged" (a result, not an error).
    """
    trainer, progress = make_trainer(config, device), Progress()
    images = dataset.images
    if device.type != "cpu" and images.numel() <= ON_DEVICE_LIMIT:
        images = images.to(device)
    extra = {"dataset_images": len(dataset), "dataset_skipped": dataset.skipped}
    write_summary(writer, trainer, progress, extra)
    progress.sample_epochs.append(0)
    writer.write_grid(0, sample_fixed(trainer))  # what the untrained G makes
    try:
        for epoch in range(1, config.train.epochs + 1):
            trainer.epoch = epoch
            row = run_epoch(trainer, images, writer, progress, show_progress)
            _end_of_epoch(trainer, writer, progress, row)
            if progress.diverged:
                progress.status = "diverged"
                break
            if epoch < config.train.epochs:
                write_summary(writer, trainer, progress, extra)
    except BaseException:
        progress.status = "interrupted"
        writer.write_checkpoint(checkpoint_state(trainer))
        write_summary(writer, trainer, progress, extra)
        raise
    if progress.status == "running":
        progress.status = "complete"
    write_summary(writer, trainer, progress, extra)
    return {
        "status": progress.status,
        "train_time_s": progress.train_seconds,
        "epochs": trainer.epoch,
        "steps": trainer.step,
    }
