"""Side by side, one process, same device and JPEGs: the tutorial loop vs ganreport's trainer.

(a) training.bench_tutorial.run_reference: ImageFolder + DataLoader(2 workers)
decoding the ~512 px JPEGs every epoch, fp32, Sigmoid + BCELoss, .item() per step.
(b) ganreport's trainer on the abstract study's v1 recipe (64 px, batch 128), its
dataset read from the same JPEGs through the folder loader (decoded once) and its
steps the loop's own train_step on BatchStream batches. Both are timed after
warm-up; bench/results.json gets `speedup_vs_tutorial` = (b) / (a) images/s.
On the CPU the defaults are small (fewer JPEGs and steps) to stay within minutes.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

import torch

from training.bench_tutorial import run_reference, write_jpegs
from training.cli import pick_device
from training.config import DatasetConfig
from training.data import load_dataset
from training.loop import make_trainer, train_step
from training.profiles import PROFILES
from training.study import load_study, resolve

STUDY = Path(__file__).resolve().parents[1] / "experiments" / "abstract"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_ours(root: Path, device: torch.device, steps: int, warmup: int, batch_size: int,
             image_size: int, overrides: list[str] = ()) -> dict:
    """images/s of ganreport's train_step on the v1 recipe, data from the JPEG folder."""
    sets = [f"train.batch_size={batch_size}", f"dataset.image_size={image_size}", *overrides]
    config = resolve(load_study(STUDY), "v1", PROFILES["full"], sets)
    dataset = load_dataset(DatasetConfig(kind="folder", path=str(root), image_size=image_size,
                                         count=None), "bench")
    trainer = make_trainer(config, device, dataset.images)
    for _ in range(warmup):
        train_step(trainer)
    trainer.meter.read()
    _sync(device)
    start = time.perf_counter()
    for index in range(steps):
        train_step(trainer)
        if (index + 1) % config.train.log_every == 0:
            trainer.meter.read()  # what the loop does every log_every steps
    trainer.meter.read()
    _sync(device)
    seconds = time.perf_counter() - start
    return {"loop": "ganreport", "images_per_s": round(steps * batch_size / seconds, 2),
            "seconds": round(seconds, 4), "steps": steps, "warmup_steps": warmup,
            "batch_size": batch_size, "image_size": image_size,
            "performance": trainer.fast.as_dict() if trainer.fast else None}


def compare(folder: Path, device: str = "auto", images: int | None = None,
            steps: int | None = None, warmup: int = 3, batch_size: int = 128,
            image_size: int = 64, jpeg_size: int = 512) -> dict:
    """Both loops on the same JPEGs and device; the ratio and the machine's facts."""
    torch_device = pick_device(device)
    cpu = torch_device.type == "cpu"
    images = images or (512 if cpu else 4096)
    steps = steps or (8 if cpu else 200)
    root = write_jpegs(folder, images, jpeg_size)
    if torch_device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(torch_device)
    tutorial = run_reference(root, image_size, batch_size, steps, torch_device, warmup)
    ours = run_ours(root, torch_device, steps, warmup, batch_size, image_size)
    result = {
        "device": str(torch_device),
        "device_name": (torch.cuda.get_device_name(torch_device) if torch_device.type == "cuda"
                        else f"CPU {platform.machine()}"),
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "jpegs": images, "jpeg_size": jpeg_size, "reduced_for_cpu": cpu,
        "tutorial": tutorial, "ganreport": ours,
        "speedup_vs_tutorial": round(ours["images_per_s"] / tutorial["images_per_s"], 2),
        "peak_host_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_device_mib": (round(torch.cuda.max_memory_allocated(torch_device) / 2**20, 1)
                            if torch_device.type == "cuda" else None),
    }
    return result


def sweep(folder: Path, device: str, batches: list[int], sizes: list[int], steps: int,
          images: int) -> list[dict]:
    """ganreport images/s over batch sizes (at 64 px) and image sizes (at batch 128)."""
    torch_device = pick_device(device)
    root = write_jpegs(folder, images, 512)
    rows = []
    for batch in batches:
        if batch <= images:
            rows.append(run_ours(root, torch_device, steps, 1, batch, 64))
    for size in sizes:
        rows.append(run_ours(root, torch_device, steps, 1, min(128, images), size))
    return [{k: row[k] for k in ("batch_size", "image_size", "images_per_s")} for row in rows]


def table(result: dict) -> str:
    """The comparison as a Markdown table (README's Benchmark section)."""
    t, o = result["tutorial"], result["ganreport"]
    lines = [
        f"device: {result['device_name']}, torch {result['torch']}, {result['threads']} threads"
        + (" (CPU: reduced JPEGs and steps)" if result["reduced_for_cpu"] else ""),
        "",
        "| loop | images/s | batch | px | timed steps |",
        "|---|---|---|---|---|",
        f"| tutorial (ImageFolder, 2 workers, fp32, .item() per step) | {t['images_per_s']} "
        f"| {t['batch_size']} | {t['image_size']} | {t['steps']} |",
        f"| ganreport v1 trainer | {o['images_per_s']} | {o['batch_size']} "
        f"| {o['image_size']} | {o['steps']} |",
        "",
        f"speedup_vs_tutorial: {result['speedup_vs_tutorial']}x; peak host "
        f"{result['peak_host_mib']} MiB; peak device {result['peak_device_mib']} MiB",
    ]
    for row in result.get("sweep", []):
        if row is result["sweep"][0]:
            lines += ["", "| batch | px | ganreport images/s |", "|---|---|---|"]
        lines.append(f"| {row['batch_size']} | {row['image_size']} | {row['images_per_s']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("bench/data"),
                        help="where the JPEGs are written once (gitignored)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--images", type=int, help="JPEGs (default 512 on CPU, 4096 on GPU)")
    parser.add_argument("--steps", type=int, help="timed steps per loop (default 8 CPU, 200 GPU)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--jpeg-size", type=int, default=512)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--sweep", action="store_true",
                        help="also ganreport images/s for batch 64..1024 and 32/64/128 px")
    parser.add_argument("--results", type=Path, default=Path("bench/results.json"))
    args = parser.parse_args(argv)
    result = compare(args.folder, args.device, args.images, args.steps, args.warmup,
                     args.batch_size, args.image_size, args.jpeg_size)
    if args.sweep:
        cpu = result["device"] == "cpu"
        result["sweep"] = sweep(args.folder, args.device, [64, 128, 256, 512, 1024],
                                [32, 64, 128], 2 if cpu else 50, result["jpegs"])
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
