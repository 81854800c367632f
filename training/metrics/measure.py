"""Measure a batch of generated images against a fixed real sample, and the real floor.

Once per run, `prepare_reference` draws the fixed real sample and lets every enabled
metric prepare against it (patch descriptors, Inception statistics, the classifier);
a metric that cannot run here is skipped with its one-line reason. Every measured epoch,
`measure` scores `settings.samples` generated images and returns a flat quality.jsonl
row. `real_floor` gives the same row for a second, disjoint real sample against the
reference: the value a perfect generator would reach with this many samples.

    reference = prepare_reference(dataset_images, settings)  # once per run
    floor = real_floor(dataset_images, reference)              # once per study
    row = measure(generated, reference)                        # each measured epoch
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch

from training.metrics.base import MetricUnavailable, Settings, as_uint8, check_images, seeded
from training.metrics.registry import get

SECONDS_KEY = "measure_s"  # seconds the measurement took (not yet in the contract)
SAMPLES_KEY = "samples"  # images per side actually compared


@dataclass
class Reference:
    """The fixed real sample and each enabled metric's prepared state."""

    settings: Settings
    real: torch.Tensor  # (samples, C, S, S) uint8, on the CPU
    states: dict[str, Any] = field(default_factory=dict)  # metric name -> prepared state
    skipped: dict[str, str] = field(default_factory=dict)  # metric name -> one-line reason
    seconds: float = 0.0  # time the preparation took

    def notes(self) -> list[str]:
        """One line per skipped metric, to print once at the start of training."""
        return list(self.skipped.values())


def split_real(images: torch.Tensor, samples: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two disjoint real samples of `samples` images, by a fixed permutation (the first is
    the reference). With fewer than 2 x samples images each gets half."""
    check_images(images, "real images")
    order = torch.randperm(images.shape[0], generator=seeded(seed))
    size = min(samples, images.shape[0] // 2)
    if size < 2:
        raise ValueError(f"need at least 4 real images to measure quality, got {images.shape[0]}")
    return images[order[:size]], images[order[size:2 * size]]


def prepare_reference(real_images: torch.Tensor, settings: Settings) -> Reference:
    """Draw the fixed real sample from the dataset's images and prepare each metric."""
    started = time.perf_counter()
    real, _ = split_real(as_uint8(real_images), settings.samples, settings.seed)
    reference = Reference(settings, real.cpu())
    for name in settings.metrics:
        metric = get(name)
        try:
            reference.states[name] = metric.prepare(reference.real, settings)
        except MetricUnavailable as reason:
            reference.skipped[name] = str(reason)
    reference.seconds = time.perf_counter() - started
    return reference


def measure(fake: torch.Tensor, reference: Reference) -> dict[str, float]:
    """Every prepared metric on the first `samples` generated images (uint8, or G's output
    in [-1, 1]) -> {quality.jsonl key: value, 'samples': n, 'measure_s': seconds}."""
    started = time.perf_counter()
    count = reference.real.shape[0]
    if fake.shape[0] < count:
        raise ValueError(f"measure needs {count} generated images, got {fake.shape[0]}")
    fake = as_uint8(fake[:count])
    if fake.shape[1:] != reference.real.shape[1:]:
        raise ValueError(f"generated images {tuple(fake.shape[1:])} differ from the real "
                         f"sample's {tuple(reference.real.shape[1:])}")
    row: dict[str, float] = {}
    with torch.no_grad():
        for name, state in reference.states.items():
            row.update(get(name).score(fake, state, reference.settings))
    row[SAMPLES_KEY] = count
    row[SECONDS_KEY] = round(time.perf_counter() - started, 3)
    return row


def real_floor(real_images: torch.Tensor, reference: Reference) -> dict[str, float]:
    """The same row for a second real sample, disjoint from the reference sample drawn from
    the same `real_images`: the floor a perfect generator would reach (once per study)."""
    first, second = split_real(as_uint8(real_images), reference.settings.samples,
                               reference.settings.seed)
    if not torch.equal(first.cpu(), reference.real):
        raise ValueError("real_floor: the reference was drawn from other images")
    return measure(second, reference)
