"""`ganreport train PATH`: resolve every version first, then train them in order.

All configs and datasets are checked before the first run starts, so a typo
in v3.yaml fails in a second, not after v1 and v2 have trained. User errors
print one line, `error: <file>: <key>: <what is expected>`, and return 2;
Ctrl-C marks the current run "interrupted", keeps its files and returns 130.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import time
from pathlib import Path

import torch

from training.config import RunConfig
from training.data import Dataset, load_dataset
from training.errors import UserError
from training.loop import train_run
from training.profiles import PROFILES, pick_profile
from training.rundir import RunWriter, environment
from training.study import locate, resolve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ganreport train",
        description="Train a study (folder) or one version (.yaml) into run folders.",
    )
    parser.add_argument("path", metavar="PATH", help="experiments/<study>/ or a version file in it")
    parser.add_argument("--out", default="runs", help="runs folder (default: runs)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument(
        "--profile",
        default="auto",
        help=f"auto (cpu profile without CUDA, full with it) or one of {', '.join(PROFILES)}",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting, e.g. --set train.epochs=5 (repeatable)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def pick_device(name: str) -> torch.device:
    """auto -> cuda, then mps, then cpu; an explicit device that is absent is a user error."""
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if name == "auto":
        name = "cuda" if cuda else "mps" if mps else "cpu"
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise UserError("--device", name, "not available on this machine; use --device cpu or auto")
    if name == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick the fastest kernels
    return torch.device(name)


def _datasets(configs: list[RunConfig]) -> dict[str, Dataset]:
    """Load each distinct dataset once (versions of a study usually share one)."""
    loaded: dict[str, Dataset] = {}
    for config in configs:
        key = json.dumps(dataclasses.asdict(config.dataset), sort_keys=True)
        if key not in loaded:
            started = time.perf_counter()
            source = config.sources.get("dataset.path", "config")
            loaded[key] = load_dataset(config.dataset, source)
            print(
                f"dataset: {loaded[key].source}, {config.dataset.image_size} px "
                f"({time.perf_counter() - started:.1f} s)",
                file=sys.stderr,
            )
    return loaded


def _announce(config: RunConfig, folder: Path, device: torch.device) -> None:
    """Say what is about to run, and what the profile changed from the recipe."""
    changed = ", ".join(f"{k} {a}->{b}" for k, (a, b) in config.profile.changed.items())
    print(
        f"\n== {config.study}/{config.version}: {config.title} (profile {config.profile.name}"
        f"{': ' + changed if changed else ''}) on {device.type} -> {folder}",
        file=sys.stderr,
    )


def train_all(args: argparse.Namespace, command: str) -> int:
    """Resolve, check, then train each version; return the exit code."""
    device = pick_device(args.device)
    profile = pick_profile(args.profile, device.type)
    study, versions = locate(Path(args.path))
    configs = [resolve(study, version, profile, args.overrides) for version in versions]
    datasets = _datasets(configs)
    for config in configs:
        folder = Path(args.out) / config.study / config.version
        _announce(config, folder, device)
        writer = RunWriter(folder)
        writer.start()
        writer.write_config(config.to_dict())
        writer.write_json("env.json", environment(device, config.seed, command))
        dataset = datasets[json.dumps(dataclasses.asdict(config.dataset), sort_keys=True)]
        result = train_run(config, dataset, writer, device, show_progress=not args.no_progress)
        print(
            f"{config.study}/{config.version}: {result['status']}, {result['epochs']} epochs, "
            f"{result['steps']} steps, {result['train_time_s']:.1f} s training",
            file=sys.stderr,
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for `ganreport train ...` and `python -m training ...` (argv without 'train')."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse already printed the usage error
        return int(exit_.code or 0)
    command = "ganreport train " + shlex.join(argv)
    try:
        return train_all(args, command)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\ninterrupted: the run folder keeps what was written (status 'interrupted')",
            file=sys.stderr,
        )
        return 130
