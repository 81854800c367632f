"""Small but complete run folders for the site tests, written by the real `RunWriter`.

No hand-made JSON: every file goes through `training.rundir.RunWriter` (the code that
training uses), with names from `ganreport.runformat`, so the fixtures cannot drift from
the format. The logged quantities of each loss come from the contract table too; only
their values are made up here (smooth curves plus seeded noise). Grids are patterns that
change with the epoch, so the slider and the progression visibly differ.

The real-image grid (`samples/real.png`) is written with `RunWriter.write_real_grid` when
the writer has it; until then with the same make_grid + PNG logic as `write_grid`.

Writing fixtures imports torch (RunWriter needs it); the site build itself never does.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Iterator
from pathlib import Path

import torch
from PIL import Image
from torchvision.utils import make_grid

from ganreport import runformat
from training.rundir import RunWriter, atomic_write

GRID_SIZE = 16  # px per image: an 8x8 grid is 146 px wide

BASE_CONFIG = {
    "seed": 1,
    "noise_seed": 1234,
    "dataset": {"name": "abstract", "kind": "procedural", "image_size": GRID_SIZE, "count": 512},
    "model": {"arch": "dcgan", "z_dim": 100, "g_features": 32, "d_features": 32,
              "g_activation": "relu"},
    "loss": {"name": "bce", "real_label_range": [1.0, 1.0], "fake_label_range": [0.0, 0.0]},
    "optim": {"lr": 0.0005, "beta1": 0.5, "beta2": 0.999},
    "train": {"epochs": 4, "batch_size": 64, "log_every": 2, "sample_every": 1},
    "profile": {"name": "cpu", "changed": {"train.epochs": [300, 4]}},
}

# study -> (study title, its settings, {version: settings of the version})
STUDIES: dict[str, tuple[str, dict, dict[str, dict]]] = {
    "abstract": ("Abstract art DCGAN", {}, {
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
    }),
    "squares": ("Least squares on abstract art", {"loss": {"name": "lsgan"}}, {
        "v1": {"title": "LSGAN, 0-1 targets", "description": "Targets a=0, b=c=1."},
        "v2": {"title": "LSGAN, -1/1 targets", "description": "Targets a=-1, b=c=1.",
               "loss": {"fake_label_range": [-1.0, -1.0]}},
    }),
    "critic": ("A WGAN-GP critic", {"loss": {"name": "wgan-gp", "n_critic": 5,
                                             "gp_weight": 10.0},
                                    "model": {"d_norm": "layer"}}, {
        "v1": {"title": "WGAN-GP", "description": "Critic with a gradient penalty, λ = 10."},
        "v2": {"title": "WGAN-GP, λ = 1", "description": "A weaker penalty.",
               "loss": {"gp_weight": 1.0}},
    }),
}
VERSIONS = STUDIES["abstract"][2]  # the default study's versions


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Tiny tensors: torch's thread pool only adds contention (6 s -> 0.3 s on a busy box)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def config_for(study: str, version: str, order: int, parent: str | None,
               overrides: dict | None) -> dict:
    """The resolved config a run of this study and version would record."""
    title, study_settings, versions = STUDIES.get(study, (study, {}, {}))
    config = _merge(BASE_CONFIG, study_settings)
    config = _merge(config, versions.get(version, {"title": version, "description": ""}))
    config = _merge(config, overrides or {})
    identity = {"study": study, "study_title": title, "version": version, "order": order,
                "parent": parent}
    return {**identity, **{k: v for k, v in config.items() if k not in identity}}


def _images(epoch: int, shift: float) -> torch.Tensor:
    """(64, 3, S, S) in [-1, 1]: a pattern per tile that sharpens as epochs pass."""
    axis = torch.linspace(0, 1, GRID_SIZE)
    y, x = torch.meshgrid(axis, axis, indexing="ij")  # (S, S)
    phase = (torch.arange(64) * 0.37 + shift).view(64, 1, 1)  # (64, 1, 1)
    detail = 1 + epoch
    red = torch.sin(x * detail * 3 + phase)
    green = torch.cos(y * detail * 2 - phase)
    blue = torch.sin((x + y) * detail + phase * 2)
    return torch.stack([red, green, blue], dim=1) * min(1.0, 0.2 + 0.2 * epoch)  # (64, 3, S, S)


def _write_real_grid(writer: RunWriter, images: torch.Tensor) -> None:
    if hasattr(writer, "write_real_grid"):
        writer.write_real_grid(images)
        return
    grid = make_grid(images, nrow=8, padding=2, normalize=True, value_range=(-1, 1))
    pixels = grid.mul(255).add(0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    picture = Image.fromarray(pixels)
    atomic_write(writer.folder / runformat.REAL_GRID,
                 lambda handle: picture.save(handle, format="PNG"))


def _values(loss: str, step: int, rng: random.Random) -> dict[str, float]:
    """One metrics row's quantities for this loss (the contract decides which)."""
    decay, rise = math.exp(-step / 30), 1 - math.exp(-step / 20)
    noise = rng.uniform(-0.05, 0.05)
    shapes = {
        "loss_d": 1.2 * decay + 0.4 + noise,
        "loss_g": 0.8 + 1.5 * rise + 2 * noise,
        "d_x": 0.6 + rng.uniform(0, 0.2), "d_g_z": 0.3 + noise, "d_g_z_after": 0.25 + noise,
        "d_real": 0.8 + noise, "d_fake": 0.15 + noise,
        "critic_real": 2.0 * rise + noise, "critic_fake": -1.5 * rise + noise,
        "grad_penalty": 0.05 + abs(noise),
    }
    if loss in runformat.CRITICS:
        shapes["loss_d"] = shapes["critic_fake"] - shapes["critic_real"]
        shapes["loss_g"] = -shapes["critic_fake"]
    shapes["wasserstein"] = shapes["critic_real"] - shapes["critic_fake"]
    names = [q.name for q in runformat.quantities_for(loss) if q.figure in
             (runformat.LOSS_FIGURE, runformat.D_FIGURE) and q.name != "drift"]
    return {name: round(shapes[name], 5) for name in names}


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
    real: bool = True,
    columns: int = runformat.GRID_COLUMNS,
) -> Path:
    """Write one complete run folder through RunWriter (grids `columns` wide) and return
    its path."""
    with _one_thread():
        return _write_run(runs_dir, version, study, epochs, steps_per_epoch, order, parent,
                          overrides, status, spike_at, real, columns)


def _write_run(runs_dir: Path, version: str, study: str, epochs: int, steps_per_epoch: int,
               order: int | None, parent: str | None, overrides: dict | None, status: str,
               spike_at: int | None, real: bool, columns: int) -> Path:
    names = list(STUDIES.get(study, ("", {}, {}))[2])
    order = order if order is not None else (names.index(version) + 1 if version in names else 1)
    if parent is None and order > 1 and version in names:
        parent = names[order - 2]
    config = config_for(study, version, order, parent, overrides)
    config["train"]["epochs"] = epochs
    loss = config["loss"]["name"]
    writer = RunWriter(Path(runs_dir) / study / version, columns=columns)
    writer.start()
    writer.write_config(config)
    writer.write_json(runformat.ENV, {
        "format_version": runformat.FORMAT_VERSION, "python": "3.11.7", "torch": "2.14.1",
        "torchvision": "0.29.1", "device": "cpu", "device_name": "cpu (2 threads)",
        "cuda": None, "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "git_dirty": False, "seed": config["seed"],
        "command": f"ganreport train experiments/{study}/{version}.yaml --profile cpu",
        "platform": "Linux-x86_64", "started_at": "2026-11-22T11:00:00+00:00",
    })
    if real:
        _write_real_grid(writer, _images(6, shift=len(study)))  # the same for every version
    writer.write_grid(0, _images(0, shift=order))
    last = _write_epochs(writer, loss, epochs, steps_per_epoch, order, spike_at,
                         random.Random(f"{study}/{version}"))
    writer.write_json(runformat.SUMMARY, {
        "format_version": runformat.FORMAT_VERSION, "study": study, "version": version,
        "status": status, "epochs_planned": epochs, "epochs_completed": epochs,
        "steps": last["step"], "wall_time_s": last["elapsed_s"], "images_per_s": 128.0,
        "diverged": status == "diverged", "final": last, "sample_epochs": list(range(epochs + 1)),
        "device": "cpu", "profile": "cpu", "started_at": "2026-11-22T11:00:00+00:00",
        "finished_at": "2026-11-22T11:00:10+00:00", "grid": writer.grid,
    })
    return writer.folder


def _write_epochs(writer: RunWriter, loss: str, epochs: int, steps_per_epoch: int, order: int,
                  spike_at: int | None, rng: random.Random) -> dict:
    """metrics.jsonl, epochs.jsonl and one grid per epoch; returns the last metrics row."""
    step, elapsed, row = 0, 0.0, {}
    for epoch in range(1, epochs + 1):
        rows = []
        for _ in range(steps_per_epoch):
            step, elapsed = step + 1, elapsed + 0.5
            values = _values(loss, step, rng)
            if spike_at is not None and step == spike_at:
                values["loss_g"] = round(values["loss_g"] * 8, 5)
            row = {"step": step, "epoch": epoch, **values, "elapsed_s": round(elapsed, 3)}
            writer.append_jsonl(runformat.METRICS, row)
            rows.append(values)
        sample = writer.write_grid(epoch, _images(epoch, shift=order))
        means = {key: sum(r[key] for r in rows) / len(rows) for key in rows[0]}
        writer.append_jsonl(runformat.EPOCHS, {
            "epoch": epoch, "step": step, "wall_time_s": 0.5 * steps_per_epoch,
            "elapsed_s": elapsed, "images_per_s": 128.0, **means, "sample": sample,
        })
    return row


def write_study(runs_dir: Path, study: str = "abstract", epochs: int = 4) -> list[Path]:
    """Every version of a study (abstract's v2 with a loss spike, for the setbacks page)."""
    versions = STUDIES[study][2] if study in STUDIES else VERSIONS
    return [
        write_run(runs_dir, version, study=study, epochs=epochs,
                  spike_at=7 if (study, version) == ("abstract", "v2") else None)
        for version in versions
    ]


def write_all_studies(runs_dir: Path, epochs: int = 4) -> dict[str, list[Path]]:
    """The three-study fixture: bce (abstract), least squares (squares), wgan-gp (critic)."""
    return {study: write_study(runs_dir, study, epochs) for study in STUDIES}
