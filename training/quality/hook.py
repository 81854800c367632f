"""The loop hook that measures sample quality, keeps the best epoch, and averages G.

At the end of a measured epoch it draws `quality.samples` images from a fixed noise
(train-mode BatchNorm, buffers put back: loop.sample_fixed), scores them with
training.metrics.measure against a fixed real sample, appends the row to quality.jsonl,
rewrites quality.json (floor, best epoch, metrics that are off, time share) and, when the
epoch is the best so far by `quality.metric`, writes checkpoints/best.pt.

Measured epochs: the first, then every `quality.every` epochs, and the last. With
`every: null` the interval is the smallest that keeps the measured share of time on
metrics at most `quality.max_share`, re-chosen after each measurement from the mean cost
of a measurement and of an epoch. Nothing here touches the training's random streams.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from ganreport import runformat as rf
from training.config import RunConfig
from training.data import Dataset
from training.loop import Hook, derived_seed, sample_fixed
from training.metrics import Settings, measure, prepare_reference
from training.metrics.measure import SAMPLES_KEY, SECONDS_KEY, Reference
from training.quality.ema import WeightAverage
from training.quality.floor import study_floor
from training.rundir import atomic_write

if TYPE_CHECKING:
    from training.loop import Trainer
    from training.rundir import RunWriter

CHUNK = 64  # images per generator call (the grids' batch, so BatchNorm sees the same size)
FALLBACK_METRIC = "swd"  # always available: needs no weights


def metrics_for(config: RunConfig) -> tuple[str, ...]:
    """SWD and MS-SSIM always, FID/KID when weights are found, coverage on MNIST only."""
    names = ["swd", "msssim", "fid"]
    if config.dataset.kind == "mnist":
        names.append("coverage")
    return tuple(names)


def settings_for(config: RunConfig, device: torch.device) -> Settings:
    quality = config.quality
    return Settings(
        metrics=metrics_for(config), samples=quality.samples, device=str(device),
        seed=derived_seed(config.noise_seed, "quality") % 2**31,
        inception_weights=quality.inception_weights,
        mnist_dir=config.dataset.path if config.dataset.kind == "mnist" else None,
    )


def next_interval(every: int | None, metric_s: float, other_s: float, epochs: int,
                  measured: int, max_share: float) -> int:
    """Epochs between measurements: the configured one, or the smallest that keeps
    (cost of a measurement) / (it + the epochs between) at most max_share."""
    if every is not None:
        return every
    if measured == 0 or epochs == 0 or other_s <= 0:
        return 1
    per_measure, per_epoch = metric_s / measured, other_s / epochs
    return max(1, math.ceil(per_measure * (1 - max_share) / (max_share * per_epoch)))


class QualityHook(Hook):
    """Measures quality at chosen epochs; state (EMA, best, clocks) rides in checkpoints."""

    name = "quality"
    main_rank_only = True  # measures and writes files itself; training never reads it

    def __init__(self, config: RunConfig, dataset: Dataset, device: torch.device) -> None:
        self.config, self.device = config, device
        self.real = dataset.images  # uint8 (N, C, S, S); the reference is drawn lazily
        self.settings = settings_for(config, device)
        self.reference: Reference | None = None
        self.floor: dict[str, Any] | None = None
        self.floor_key = ""  # what the floor was measured on, to reuse a sibling's
        self.metric = config.quality.metric
        self.metric_note: str | None = None
        self.ema: WeightAverage | None = None
        self.pending_ema: dict[str, Any] | None = None  # restored before G is seen
        self.best: dict[str, Any] | None = None
        self.ema_best: dict[str, Any] | None = None
        self.every = next_interval(config.quality.every, 0, 0, 0, 0, config.quality.max_share)
        self.measured: list[int] = []
        self.metric_s = 0.0
        self.other_s = 0.0
        self.epochs_timed = 0
        self.mark: float | None = None

    # -- loop callbacks ------------------------------------------------------------------

    def before_step(self, trainer: Trainer) -> None:
        if self.mark is None:
            self.mark = time.perf_counter()
        if self.config.quality.ema and self.ema is None:
            self.ema = WeightAverage(trainer.nets.generator, self.config.quality.ema_decay)
            if self.pending_ema is not None:
                self.ema.load_state_dict(self.pending_ema)
                self.pending_ema = None

    def after_step(self, trainer: Trainer) -> None:
        if self.ema is not None:
            self.ema.update(trainer.nets.generator)

    def epoch_end(self, trainer: Trainer, writer: RunWriter, epoch: int) -> None:
        now = time.perf_counter()
        self.other_s += now - (self.mark if self.mark is not None else now)
        self.epochs_timed += 1
        last = self.measured[-1] if self.measured else 0
        if epoch == 1 or epoch - last >= self.every or epoch >= self.config.train.epochs:
            self._measure(trainer, writer, epoch, now)
            self.metric_s += time.perf_counter() - now
            quality = self.config.quality
            self.every = next_interval(quality.every, self.metric_s, self.other_s,
                                       self.epochs_timed, len(self.measured), quality.max_share)
            self._write_summary(writer)
        self.mark = time.perf_counter()

    # -- measuring -----------------------------------------------------------------------

    def _prepare(self, writer: RunWriter) -> Reference:
        """The fixed real sample and the floor (a sibling version's, when it is the same)."""
        reference = prepare_reference(self.real, self.settings)
        for line in reference.notes():
            print(f"quality: {line}", file=sys.stderr)
        if self.metric not in reference.states and not (
                self.metric in ("fid", "kid") and "fid" in reference.states):
            self.metric_note = (f"quality.metric {self.metric} is off here "
                                f"({reference.skipped.get('fid', 'unavailable')}); the best "
                                f"epoch is chosen by {FALLBACK_METRIC}")
            self.metric = FALLBACK_METRIC
        if self.floor is None:
            self.floor, self.floor_key = study_floor(Path(writer.folder), self.real, reference)
        return reference

    def _samples(self, generator: torch.nn.Module) -> torch.Tensor:
        """quality.samples images of G on the fixed quality noise, at the run's image size."""
        noise = torch.randn(self.settings.samples, self.config.model.z_dim, 1, 1,
                            generator=torch.Generator().manual_seed(self.settings.seed))
        noise = noise.to(self.device)
        images = torch.cat([sample_fixed(generator, noise[start:start + CHUNK])
                            for start in range(0, noise.shape[0], CHUNK)])
        return full_size(images, self.config.dataset.image_size)

    def _measure(self, trainer: Trainer, writer: RunWriter, epoch: int, started: float) -> None:
        if self.reference is None:
            self.reference = self._prepare(writer)
        row: dict[str, Any] = {"epoch": epoch, "step": trainer.step}
        row.update(measure(self._samples(trainer.nets.generator), self.reference))
        if self.ema is not None:
            averaged = self.ema.follow(trainer.nets.generator)
            ema_row = measure(self._samples(averaged), self.reference)
            row.update({f"{rf.EMA_PREFIX}{key}": value for key, value in ema_row.items()
                        if key not in (SAMPLES_KEY, SECONDS_KEY, "msssim_real")})
            grid = full_size(sample_fixed(averaged, trainer.fixed_noise),
                             self.config.dataset.image_size)
            picture = writer.picture(grid)
            atomic_write(Path(writer.folder) / rf.ema_sample_name(epoch),
                         lambda handle: picture.save(handle, format="PNG"))
        self.measured.append(epoch)
        spent = self.metric_s + time.perf_counter() - started
        row["metric_share"] = round(spent / max(spent + self.other_s, 1e-9), 4)
        writer.append_jsonl(rf.QUALITY, row)
        self._keep_best(trainer, writer, row)

    def _keep_best(self, trainer: Trainer, writer: RunWriter, row: dict[str, Any]) -> None:
        value = row.get(self.metric)
        ema_value = row.get(f"{rf.EMA_PREFIX}{self.metric}")
        point = {"epoch": row["epoch"], "step": row["step"]}
        if not getattr(trainer.nets.generator, "fully_grown", True):
            return  # a growing G's early, lower-resolution stages are not candidates for best
        if _finite(ema_value) and (self.ema_best is None or ema_value < self.ema_best["value"]):
            self.ema_best = {**point, "value": float(ema_value)}
        if not _finite(value) or (self.best is not None and value >= self.best["value"]):
            return
        self.best = {**point, "value": float(value)}
        state = {
            "format_version": rf.FORMAT_VERSION, "config": self.config.to_dict(),
            "epoch": row["epoch"], "step": row["step"], "metric": self.metric,
            "value": float(value), "generator": trainer.nets.generator.state_dict(),
            "discriminator": trainer.nets.discriminator.state_dict(),
            "ema_generator": self.ema.network.state_dict() if self.ema is not None else None,
        }
        atomic_write(Path(writer.folder) / rf.BEST_CHECKPOINT,
                     lambda handle: torch.save(state, handle), durable=True)

    def _write_summary(self, writer: RunWriter) -> None:
        spent = self.metric_s + self.other_s
        writer.write_json(rf.QUALITY_SUMMARY, {
            "metric": self.metric, "metric_note": self.metric_note,
            "best": self.best, "ema_best": self.ema_best if self.ema is not None else None,
            "floor": self.floor or {}, "floor_key": self.floor_key,
            "skipped": dict(self.reference.skipped) if self.reference is not None else {},
            "every": self.every, "measured_epochs": list(self.measured),
            "metric_time_s": round(self.metric_s, 3), "other_time_s": round(self.other_s, 3),
            "metric_share": round(self.metric_s / spent, 4) if spent > 0 else 0.0,
        })

    # -- checkpoint state ----------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        return {
            "ema": self.ema.state_dict() if self.ema is not None else self.pending_ema,
            "best": self.best, "ema_best": self.ema_best, "every": self.every,
            "measured": list(self.measured), "metric_s": self.metric_s,
            "other_s": self.other_s, "epochs_timed": self.epochs_timed,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.ema_best = state.get("best"), state.get("ema_best")
        self.every = int(state.get("every", self.every))
        if self.config.quality.every is not None:
            self.every = self.config.quality.every
        self.measured = [int(epoch) for epoch in state.get("measured", [])]
        self.metric_s = float(state.get("metric_s", 0.0))
        self.other_s = float(state.get("other_s", 0.0))
        self.epochs_timed = int(state.get("epochs_timed", 0))
        self.mark = None  # the time between sessions is nobody's
        ema = state.get("ema")
        if ema is not None and self.ema is not None:
            self.ema.load_state_dict(ema)
        else:
            self.pending_ema = ema


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def full_size(images: torch.Tensor, size: int) -> torch.Tensor:
    """Nearest-upsample smaller images (a progressive run's early stages) to the run's size."""
    factor = size // images.shape[-1]
    return images if factor <= 1 else F.interpolate(images, scale_factor=factor, mode="nearest")


def quality_hook(config: RunConfig, dataset: Dataset, device: torch.device) -> Hook | None:
    """The factory in training/hooks.py: a QualityHook unless quality.enabled is false."""
    return QualityHook(config, dataset, device) if config.quality.enabled else None
