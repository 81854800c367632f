"""`ganreport train PATH`: resolve every version, check every folder, then train in order.

All configs, run folders and datasets are checked before the first run
starts, so a typo in v3.yaml or a complete run in the way fails in a second,
not after v1 and v2 have trained. A folder with a run is never overwritten
unasked: --resume continues it, --force replaces it (the old run is moved
aside and deleted only once the new one completes). User errors print one
line, `error: <file>: <key>: <what is expected>`, and return 2; SIGINT and
SIGTERM checkpoint, print how to resume, and return 130 / 143.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from training import checkpoint as ckpt
from training import distributed
from training.config import RunConfig
from training.data import Dataset, load_dataset
from training.errors import Interrupted, UserError
from training.fast import settings as fast_settings
from training.hooks import hooks_for
from training.loop import RunOptions, check_batch_fits, checkpoint_bytes, train_run, trim_after
from training.preflight import check_disk, check_output, inspect_folder, move_aside
from training.profiles import PROFILES, pick_profile
from training.rundir import environment
from training.signals import EXIT_CODES
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
    parser.add_argument("--resume", action="store_true",
                        help="continue runs from their last checkpoint (exactly, RNG included)")
    parser.add_argument("--force", action="store_true",
                        help="replace existing runs (kept aside until the new run completes), "
                        "or with --resume accept a changed config")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--nproc", type=int, metavar="N",
                        help="train each version on N processes with DistributedDataParallel "
                        "(torchrun; one per GPU, or N CPU processes)")
    parser.add_argument("--parallel", type=int, metavar="K",
                        help="train K versions of the study at once (one per GPU, or K CPU "
                        "processes sharing the cores)")
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


@dataclass
class Plan:
    """What to do with one version: train fresh, resume, replace, or skip."""

    config: RunConfig
    folder: Path
    action: str  # fresh, resume, replace, skip
    loaded: ckpt.Loaded | None = None
    note: str = ""


def _refuse(folder: Path, what: str, hint: str) -> UserError:
    return UserError(folder, "--out", f"{what}; {hint}")


def plan_run(config: RunConfig, folder: Path, resume: bool, force: bool) -> Plan:
    """Decide from what the folder holds and the flags; refuse anything that could lose work."""
    state = inspect_folder(folder)
    if state.kind in ("absent", "empty"):
        return Plan(config, folder, "fresh", note="nothing to resume: starting" if resume else "")
    if state.kind == "foreign":
        raise _refuse(folder, f"not a ganreport run folder ({state.detail})",
                      "it is left alone; choose another --out")
    if state.kind == "live":
        raise _refuse(folder, f"a training process is writing this run ({state.detail})",
                      "stop it first, or choose another --out")
    if resume:
        return _plan_resume(config, folder, state.kind, force)
    if force:
        return Plan(config, folder, "replace")
    article = "an" if state.kind == "interrupted" else "a"
    held = f"holds {article} {state.kind} run (step {state.step})"
    raise _refuse(folder, held, "pass --resume to continue it, --force to replace it "
                  "(the old run is kept until the new one completes), or another --out")


def _plan_resume(config: RunConfig, folder: Path, kind: str, force: bool) -> Plan:
    loaded, skipped = ckpt.load_checkpoint(folder)
    if loaded is None:
        why = "; ".join(skipped) or "no checkpoint"
        return Plan(config, folder, "restart", note=f"{why}: starting over from step 0")
    changed = ckpt.config_differences(loaded.state["config"], config.to_dict())
    if changed and not force:
        raise UserError(folder / "config.yaml", ", ".join(changed),
                        "changed since the checkpoint; pass --force to resume with the new values")
    if kind == "complete" and not changed:
        return Plan(config, folder, "skip", note="already complete")
    return Plan(config, folder, "resume", loaded)


def _datasets(configs: list[RunConfig]) -> dict[str, Dataset]:
    """Load each distinct dataset once (versions of a study usually share one)."""
    loaded: dict[str, Dataset] = {}
    for config in configs:
        key = _dataset_key(config)
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


def _dataset_key(config: RunConfig) -> str:
    return json.dumps(dataclasses.asdict(config.dataset), sort_keys=True)


def _announce(plan: Plan, device: torch.device) -> None:
    """Say what is about to run, and what the profile changed from the recipe."""
    config = plan.config
    changed = ", ".join(f"{k} {a}->{b}" for k, (a, b) in config.profile.changed.items())
    what = {"resume": "resuming ", "replace": "replacing ", "restart": "restarting "}.get(
        plan.action, "")
    print(
        f"\n== {what}{config.study}/{config.version}: {config.title} (profile "
        f"{config.profile.name}{': ' + changed if changed else ''}) on {device.type} "
        f"-> {plan.folder}{' (' + plan.note + ')' if plan.note else ''}",
        file=sys.stderr,
    )


def _execute(plan: Plan, dataset: Dataset, device: torch.device, args: argparse.Namespace,
             command: str) -> dict:
    """Train one planned version; --force's old run is deleted only after a complete new one."""
    config, folder = plan.config, plan.folder
    main = distributed.is_main()  # under DDP only rank 0 touches the folder
    aside = move_aside(folder) if plan.action == "replace" and main else None
    writer = distributed.writer_for(folder)
    writer.write_config(config.to_dict())  # first: from now on the folder is recognisably ours
    writer.start()
    if plan.action == "restart":
        trim_after(writer, 0, 0, events=True)
    if plan.action != "resume" or not (folder / "env.json").is_file():
        fast = fast_settings.resolve(config.performance, device, dataset.images.numel())
        fast_settings.apply_process(fast)  # before environment(): env.json's threads are the run's
        if main:
            performance = {**fast.as_dict(), **distributed.describe(config)}
            writer.write_json("env.json", environment(device, config.seed, command, performance))
    hooks = [hook for hook in hooks_for(config, dataset, device)
             if main or not hook.main_rank_only]
    options = RunOptions(show_bar=sys.stderr.isatty() and not args.no_progress,
                         resume=plan.loaded, hooks=hooks)
    try:
        result = train_run(config, dataset, writer, device, options)
    except BaseException:
        if aside is not None:
            print(f"note: the previous run is kept at {aside}", file=sys.stderr)
        raise
    if aside is not None:
        if result["status"] == "complete":
            shutil.rmtree(aside)
        else:
            print(f"note: the previous run is kept at {aside}", file=sys.stderr)
    return result


def resume_command(argv: list[str]) -> str:
    """The command that continues what `argv` started."""
    kept = [arg for arg in argv if arg not in ("--force", "--resume")]
    if distributed.world_size() > 1 and not any(arg.startswith("--nproc") for arg in kept):
        kept += ["--nproc", str(distributed.world_size())]  # started by torchrun directly
    return "ganreport train " + shlex.join([*kept, "--resume"])


def prepare(args: argparse.Namespace, configs: list[RunConfig], device: torch.device
            ) -> tuple[list[Plan], dict[str, Dataset]]:
    """Check the output folder, plan every version, load the datasets, check they fit."""
    out = Path(args.out)
    check_output(out)
    for config in configs:
        distributed.check_config(config, device)
    plans = [
        plan_run(config, out / config.study / config.version, args.resume, args.force)
        for config in configs
    ]
    datasets = _datasets(configs)
    for config in configs:
        check_batch_fits(config, len(datasets[_dataset_key(config)]))
    check_disk(out, 3 * max(checkpoint_bytes(config) for config in configs) + 64 * 2**20)
    return plans, datasets


def _prepare_ranks(args: argparse.Namespace, configs: list[RunConfig], device: torch.device
                   ) -> tuple[list[Plan], dict[str, Dataset]]:
    """Under DDP rank 0 prepares alone; the others follow its plans and checkpoints."""
    mine: list[tuple[list[Plan], dict[str, Dataset]]] = []

    def work() -> list[tuple[str, str, str | None]]:
        mine.append(prepare(args, configs, device))
        return [(plan.action, plan.note, str(plan.loaded.path) if plan.loaded else None)
                for plan in mine[0][0]]

    shared = distributed.on_main(work)
    if mine:
        return mine[0]
    out = Path(args.out)
    plans = [
        Plan(config, out / config.study / config.version, action, note=note,
             loaded=ckpt.Loaded(torch.load(path, map_location="cpu", weights_only=True),
                                Path(path)) if path else None)
        for config, (action, note, path) in zip(configs, shared, strict=True)
    ]
    return plans, _datasets(configs)  # rank 0 has filled the dataset cache


def train_all(args: argparse.Namespace, argv: list[str], device: torch.device | None = None
              ) -> int:
    """Resolve, check, then train each version; return the exit code."""
    command = "ganreport train " + shlex.join(argv)
    device = device or pick_device(args.device)
    study, versions = locate(Path(args.path))
    profile = pick_profile(args.profile, device.type, study.profiles)
    configs = [resolve(study, version, profile, args.overrides) for version in versions]
    if distributed.active():
        plans, datasets = _prepare_ranks(args, configs, device)
    else:
        plans, datasets = prepare(args, configs, device)
    for plan in plans:
        _announce(plan, device)
        if plan.action == "skip":
            continue
        config = plan.config
        try:
            result = _execute(plan, datasets[_dataset_key(config)], device, args, command)
        except Interrupted as stop:
            print(f"interrupted: {config.study}/{config.version} stopped at step {stop.step} "
                  f"(epoch {stop.epoch}) with a checkpoint; resume with: "
                  f"{resume_command(argv)}", file=sys.stderr)
            return EXIT_CODES.get(stop.signum, 130)
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
    try:
        return _dispatch(args, argv)
    except distributed.ReportedByMain:  # rank 0 printed it
        return 2
    except UserError as error:
        print(f"error: {distributed.rank_prefix()}{error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        if not distributed.peer_lost(error):
            raise
        print(f"error: rank {distributed.rank()}: lost contact with another rank "
              f"({str(error).splitlines()[0][:160]}); the run folder keeps its last checkpoint",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if distributed.is_main():
            print(
                "\ninterrupted: the run folder keeps what was written; continue with: "
                f"{resume_command(argv)}",
                file=sys.stderr,
            )
        return 130
    finally:
        distributed.stop()


def _dispatch(args: argparse.Namespace, argv: list[str]) -> int:
    """One process, one rank of several (--nproc or torchrun), or versions side by side."""
    for flag in ("nproc", "parallel"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            raise UserError(f"--{flag}", str(getattr(args, flag)), "expected a count >= 1")
    if args.parallel is not None:
        from training.parallel import train_parallel  # only --parallel needs it

        return train_parallel(args, argv)
    if distributed.launched():
        device = distributed.start(pick_device(args.device), args.nproc)
        with distributed.quiet_unless_main():
            return train_all(args, argv, device)
    if (args.nproc or 1) > 1:
        distributed.check_launch(pick_device(args.device), args.nproc)
        return distributed.launch(argv, args.nproc)
    return train_all(args, argv)
