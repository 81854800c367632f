"""Write small but complete run folders (docs/run-format.md, format_version 1) for site tests.

The tests build their fixtures themselves: no committed binaries. Curves are
smooth functions plus seeded noise; grids are coloured blocks that change with
the epoch so the slider and the progression visibly differ.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import yaml
from PIL import Image, ImageDraw

FORMAT_VERSION = 1

BASE_CONFIG = {
    "study": "abstract",
    "study_title": "Abstract art DCGAN",
    "seed": 1,
    "noise_seed": 1234,
    "dataset": {"name": "abstract", "kind": "procedural", "image_size": 32, "count": 512},
    "model": {"z_dim": 100, "g_features": 32, "d_features": 32, "g_activation": "relu"},
    "loss": {"name": "bce", "real_label_range": [1.0, 1.0], "fake_label_range": [0.0, 0.0]},
    "optim": {"lr": 0.0005, "beta1": 0.5, "beta2": 0.999},
    "train": {"epochs": 4, "batch_size": 64, "log_every": 2, "sample_every": 1},
    "profile": {"name": "cpu", "changed": {"train.epochs": [300, 4]}},
}

VERSIONS = {
    "v1": {"title": "Baseline DCGAN", "description": "The PyTorch DCGAN tutorial setup."},
    "v2": {
        "title": "Label smoothing + LeakyReLU G",
        "description": "Two-sided label smoothing and LeakyReLU in the generator.",
        "model": {"g_activation": "leaky_relu"},
        "loss": {"real_label_range": [0.7, 1.0], "fake_label_range": [0.0, 0.3]},
    },
    "v3": {
        "title": "Label smoothing only",
        "description": "Label smoothing, ReLU generator again.",
        "loss": {"real_label_range": [0.7, 1.0], "fake_label_range": [0.0, 0.3]},
    },
}


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _grid(epoch: int, version_index: int, size: int = 8 * 10 + 18) -> Image.Image:
    """An 8x8 grid-like picture whose colours shift with the epoch."""
    image = Image.new("RGB", (size, size), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    cell = (size - 2) // 8
    for row in range(8):
        for col in range(8):
            shade = (epoch * 40 + row * 10 + version_index * 60) % 256
            colour = (shade, (col * 30 + epoch * 20) % 256, (row * col * 4) % 256)
            x0, y0 = 2 + col * cell, 2 + row * cell
            draw.rectangle([x0, y0, x0 + cell - 3, y0 + cell - 3], fill=colour)
    return image


def write_run(
    runs_dir: Path,
    version: str,
    *,
    study: str = "abstract",
    epochs: int = 4,
    steps_per_epoch: int = 5,
    order: int | None = None,
    parent: str | None = None,
    overrides: dict | None = None,
    status: str = "complete",
    spike_at: int | None = None,
) -> Path:
    """Write one complete run folder and return its path."""
    names = list(VERSIONS)
    order = order if order is not None else (names.index(version) + 1 if version in names else 1)
    if parent is None and order > 1 and version in names:
        parent = names[order - 2]
    config = _merge(BASE_CONFIG, VERSIONS.get(version, {"title": version, "description": ""}))
    config = _merge(config, overrides or {})
    config.update(study=study, version=version, order=order, parent=parent)
    config["train"]["epochs"] = epochs

    run = runs_dir / study / version
    (run / "samples").mkdir(parents=True, exist_ok=True)
    (run / "checkpoints").mkdir(exist_ok=True)
    (run / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    env = {
        "format_version": FORMAT_VERSION, "python": "3.11.7", "torch": "2.14.1",
        "torchvision": "0.29.1", "device": "cpu", "device_name": "cpu (2 threads)",
        "cuda": None, "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "git_dirty": False, "seed": config["seed"],
        "command": f"ganreport train experiments/{study}/{version}.yaml --profile cpu",
        "platform": "Linux-x86_64", "started_at": "2026-11-22T11:00:00+00:00",
    }
    (run / "env.json").write_text(json.dumps(env, indent=2))

    rng = random.Random(f"{study}/{version}")
    metrics, epoch_rows, step, elapsed = [], [], 0, 0.0
    _grid(0, order).save(run / "samples" / "epoch_0000.png")
    for epoch in range(1, epochs + 1):
        rows = []
        for _ in range(steps_per_epoch):
            step += 1
            elapsed += 0.5
            loss_d = 1.2 * math.exp(-step / 30) + 0.4 + rng.uniform(-0.05, 0.05)
            loss_g = 0.8 + 1.5 * (1 - math.exp(-step / 20)) + rng.uniform(-0.1, 0.1)
            if spike_at is not None and step == spike_at:
                loss_g *= 8
            rows.append({
                "step": step, "epoch": epoch, "loss_d": round(loss_d, 5),
                "loss_g": round(loss_g, 5), "d_x": round(0.6 + rng.uniform(0, 0.2), 5),
                "d_g_z": round(0.3 + rng.uniform(-0.1, 0.1), 5), "elapsed_s": round(elapsed, 3),
            })
        metrics += rows
        sample = f"samples/epoch_{epoch:04d}.png"
        _grid(epoch, order).save(run / sample)
        keys = ("loss_d", "loss_g", "d_x", "d_g_z")
        means = {key: sum(row[key] for row in rows) / len(rows) for key in keys}
        epoch_rows.append({
            "epoch": epoch, "step": step, "wall_time_s": 0.5 * steps_per_epoch,
            "elapsed_s": elapsed, "images_per_s": 128.0, **means, "sample": sample,
        })
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in metrics))
    (run / "epochs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in epoch_rows))
    summary = {
        "format_version": FORMAT_VERSION, "study": study, "version": version, "status": status,
        "epochs_planned": epochs, "epochs_completed": epochs, "steps": step,
        "wall_time_s": elapsed, "images_per_s": 128.0, "diverged": False,
        "final": {k: metrics[-1][k] for k in ("loss_d", "loss_g", "d_x", "d_g_z")},
        "sample_epochs": list(range(0, epochs + 1)), "device": "cpu", "profile": "cpu",
        "started_at": "2026-11-22T11:00:00+00:00", "finished_at": "2026-11-22T11:00:10+00:00",
    }
    (run / "summary.json").write_text(json.dumps(summary, indent=2))
    return run


def write_study(runs_dir: Path, study: str = "abstract", epochs: int = 4) -> list[Path]:
    """Write v1, v2 and v3 of a study (v2 with a loss spike to give setbacks something)."""
    return [
        write_run(runs_dir, version, study=study, epochs=epochs,
                  spike_at=7 if version == "v2" else None)
        for version in VERSIONS
    ]
