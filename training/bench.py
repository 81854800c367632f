"""Training throughput: DCGAN update steps per second for the abstract study's v1.

Measures the `cpu` profile and the full recipe side by side in one process (same
device, interleaved rounds), on random batches so no dataset is needed. A step is
the loop's own `train_step` (the loss object's D and G updates, scalars left on
the device); the device is synchronised only around each timed round. Reports
images/s, milliseconds per step and peak memory; `ganreport bench --train` calls it.
"""

from __future__ import annotations

import resource
import statistics
import time
from pathlib import Path

import torch

from training.cli import pick_device
from training.loop import make_trainer, train_step
from training.profiles import pick_profile
from training.study import load_study, resolve

STUDY = Path(__file__).resolve().parents[1] / "experiments" / "abstract"


def _config(profile_name: str, device: torch.device):
    study = load_study(STUDY)
    return resolve(study, "v1", pick_profile(profile_name, device.type), [])


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time_steps(trainer, real: torch.Tensor, steps: int) -> float:
    """Seconds for `steps` full D+G updates on one real batch (after the caller's warm-up)."""
    _synchronize(trainer.device)
    start = time.perf_counter()
    for _ in range(steps):
        train_step(trainer, lambda: real)
    trainer.meter.read()  # what the loop does every log_every steps
    _synchronize(trainer.device)
    return time.perf_counter() - start


def _setup(profile_name: str, device: torch.device):
    config = _config(profile_name, device)
    size, channels = config.dataset.image_size, config.dataset.channels
    shape = (config.train.batch_size, channels, size, size)
    images = torch.zeros(shape, dtype=torch.uint8)  # one batch of stand-in data for the trainer
    trainer = make_trainer(config, device, images)
    real = torch.rand(shape, device=device) * 2 - 1  # (N, C, S, S) in [-1, 1], like a real batch
    train_step(trainer, lambda: real)  # warm-up: allocator, cuDNN autotune, lazy init
    return config, trainer, real


def run_training_bench(device: str = "auto", repeat: int = 3, steps: int = 10) -> dict:
    """Median images/s of the cpu profile and the full recipe, measured in alternating rounds."""
    torch_device = pick_device(device)
    setups = {name: _setup(name, torch_device) for name in ("cpu", "full")}
    seconds: dict[str, list[float]] = {name: [] for name in setups}
    for _ in range(repeat):
        for name, (_, trainer, real) in setups.items():
            seconds[name].append(_time_steps(trainer, real, steps) / steps)
    result: dict = {"device": str(torch_device), "torch": torch.__version__,
                    "threads": torch.get_num_threads(), "steps_per_round": steps}
    for name, (config, _trainer, _real) in setups.items():
        step_s = statistics.median(seconds[name])
        result[name] = {
            "image_size": config.dataset.image_size, "batch_size": config.train.batch_size,
            "g_features": config.model.g_features, "step_ms": 1000 * step_s,
            "images_per_s": config.train.batch_size / step_s, "rounds_s": seconds[name],
        }
    result["full_step_over_cpu_step"] = result["full"]["step_ms"] / result["cpu"]["step_ms"]
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if torch_device.type == "cuda":
        result["cuda_peak_mib"] = torch.cuda.max_memory_allocated(torch_device) / 2**20
        result["device_name"] = torch.cuda.get_device_name(torch_device)
    _print(result)
    return result


def _print(result: dict) -> None:
    for name in ("cpu", "full"):
        row = result[name]
        print(f"train step, {name:4} profile ({row['image_size']} px, batch {row['batch_size']}, "
              f"width {row['g_features']}): {row['step_ms']:.1f} ms/step, "
              f"{row['images_per_s']:.0f} images/s on {result['device']}")
    print(f"full / cpu step time:            {result['full_step_over_cpu_step']:.1f}x")
    print(f"peak RSS:                        {result['peak_rss_mib']:.0f} MiB")
