"""One run on several processes: torchrun, DistributedDataParallel, rank 0 writes.

`ganreport train PATH --nproc N` starts N workers through torch's elastic launcher (the
engine behind `torchrun`); `torchrun --nproc_per_node=N -m training PATH` does the same
by hand. Every worker runs the same loop on the same seeds: train.batch_size stays the
global batch, and each rank takes its slice of every batch and of every batch's latents,
so the run trains the recipe's batch whatever N is. G and D are wrapped in DDP for the
loss (gradients averaged across ranks); the loop, hooks and checkpoints keep the plain
modules, so checkpoints are the same as a single process's. Rank 0 alone writes the run
folder; the other ranks get a RankWriter that writes nothing. Decisions that rest on a
clock or a signal (a time-based checkpoint, Ctrl-C) are agreed by all ranks every step,
so they stay in lockstep. Backend: nccl on CUDA, gloo on the CPU.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from training.errors import UserError
from training.losses import Networks
from training.rundir import RunWriter

T = TypeVar("T")
TIMEOUT = datetime.timedelta(minutes=30)  # a collective that waits longer means a lost rank
AGREE_EVERY = 8  # steps between agreements on signals and the clock (Ctrl-C waits that long)
SHUTDOWN_S = 300  # after Ctrl-C, how long the workers may take to checkpoint before SIGKILL
_control: Any = None  # the CPU (gloo) group for host-side agreement; the default group on CPU


def launched() -> bool:
    """True in a worker started by torchrun (or our launcher) with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "LOCAL_RANK" in os.environ


def active() -> bool:
    """True once this process has joined a process group of more than one rank."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    """Rank 0 (or a single process): the one that writes and prints."""
    return rank() == 0


def rank_prefix() -> str:
    """"rank 1: " for a message from a rank other than 0 ("" otherwise)."""
    number = int(os.environ.get("RANK", "0")) if launched() else 0
    return f"rank {number}: " if number else ""


def peer_lost(error: BaseException) -> bool:
    """True for the error a collective raises when another rank has died (one line is enough:
    the rank that failed first prints its own message)."""
    text = str(error)
    return active() and (isinstance(error, dist.DistError) or any(
        marker in text for marker in ("Connection reset", "Connection closed", "peer", "NCCL")))


def shard() -> tuple[int, int]:
    """(rank, world size): which slice of each global batch this process trains on."""
    return rank(), world_size()


# ---------------------------------------------------------------------- joining and leaving


def check_launch(device: torch.device, nproc: int) -> None:
    """Refuse what cannot run before any process starts: mps, more ranks than GPUs."""
    if device.type not in ("cuda", "cpu"):
        raise UserError("--device", device.type, "--nproc needs cuda or cpu (DDP has no "
                        "backend for this device)")
    if device.type == "cuda" and nproc > torch.cuda.device_count():
        raise UserError("--nproc", str(nproc), f"more processes than the "
                        f"{torch.cuda.device_count()} CUDA devices of this machine")


def start(device: torch.device, nproc: int | None = None) -> torch.device:
    """Join the group torchrun described in the environment; return this rank's device."""
    global _control
    ranks, local_rank = int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_RANK"])
    if nproc is not None and nproc != ranks:
        raise UserError("--nproc", str(nproc), f"torchrun started {ranks} processes; drop "
                        "--nproc or make them agree")
    check_launch(device, int(os.environ.get("LOCAL_WORLD_SIZE", ranks)))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend, timeout=TIMEOUT,
                            device_id=device if device.type == "cuda" else None)
    _control = dist.new_group(backend="gloo") if backend == "nccl" else dist.group.WORLD
    return device


def stop() -> None:
    """Leave the process group (every rank, at the end or on an error)."""
    global _control
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
    _control = None


@contextlib.contextmanager
def quiet_unless_main() -> Iterator[None]:
    """Ranks other than 0 print nothing while training (rank 0 reports for all)."""
    if is_main():
        yield
        return
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink), \
            contextlib.redirect_stdout(sink):
        yield


class ReportedByMain(UserError):
    """A user error rank 0 found and prints; the other ranks exit 2 quietly."""


def on_main(work: Callable[[], T], share: Callable[[T], Any] = lambda value: value) -> Any:
    """Run `work` on rank 0 alone and give every rank share(result), or rank 0's user error.

    A folder is inspected, moved aside or checked for room by one process only.
    """
    if not active():
        return share(work())
    outcome: list[Any] = [None]
    if is_main():
        try:
            outcome[0] = ("ok", share(work()))
        except UserError as error:
            outcome[0] = ("error", (error.source, error.key, error.message))
            dist.broadcast_object_list(outcome, src=0, group=_control)
            raise
    dist.broadcast_object_list(outcome, src=0, group=_control)
    kind, value = outcome[0]
    if kind == "error":
        raise ReportedByMain(*value)
    return value


def main_first(work: Callable[[], T]) -> T:
    """Rank 0 runs `work` first (filling caches), then the others run it."""
    if not active():
        return work()
    if is_main():
        result = work()
        dist.barrier(group=_control)
        return result
    dist.barrier(group=_control)
    return work()


def check_config(config: Any, device: torch.device) -> None:
    """Under DDP: the global batch must split evenly; SyncBatchNorm needs CUDA."""
    ranks = world_size()
    if ranks == 1:
        return
    sizes = [config.train.batch_size]
    if config.model.arch == "progan":
        sizes += list(config.progan.batch_sizes)
    for size in sizes:
        if size % ranks:
            key = "train.batch_size" if size == sizes[0] else "progan.batch_sizes"
            raise UserError(config.sources.get(key, "config"), key,
                            f"a batch of {size} does not split over {ranks} processes "
                            f"(--nproc); use a multiple of {ranks}")
    if config.performance.sync_batchnorm and device.type != "cuda":
        raise UserError(config.sources.get("performance.sync_batchnorm", "config"),
                        "performance.sync_batchnorm", "needs CUDA (torch's SyncBatchNorm has "
                        "no CPU version); set it false to train on several CPU processes")


def describe(config: Any) -> dict[str, Any]:
    """What env.json records about the ranks (nothing for a single process)."""
    if not active():
        return {}
    return {"ranks": world_size(), "backend": dist.get_backend(),
            "sync_batchnorm": bool(config.performance.sync_batchnorm)}


# ---------------------------------------------------------------------- agreement


def agree(step: int, stop_signal: int | None, scheduled: bool, overdue: bool
          ) -> tuple[int | None, bool]:
    """(signal to stop on, checkpoint now), the same on every rank.

    A scheduled checkpoint (by epoch or step) is the same everywhere already. A signal
    and the clock are per process: every AGREE_EVERY steps the ranks combine them (any
    rank's counts) in one small all-reduce on the CPU; between, they wait.
    """
    if not active():
        return stop_signal, scheduled or overdue
    if step % AGREE_EVERY:
        return None, scheduled
    flags = torch.tensor([stop_signal or 0, int(overdue)], dtype=torch.int64)
    dist.all_reduce(flags, op=dist.ReduceOp.MAX, group=_control)
    signum, late = flags.tolist()
    return (signum or None), scheduled or bool(late)


def average(values: torch.Tensor) -> torch.Tensor:
    """The mean of `values` over the ranks (a copy; the input itself when alone)."""
    if not active():
        return values
    values = values.clone()
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values.div_(dist.get_world_size())


def barrier() -> None:
    if active():
        dist.barrier(group=_control)


# ---------------------------------------------------------------------- the networks


class LocalSamplingSyncBatchNorm(nn.SyncBatchNorm):
    """SyncBatchNorm while training; under no_grad (grids, quality samples) the local batch.

    Grids are drawn from the same fixed noise on every rank, so local statistics equal the
    synchronised ones, and rank 0 can sample alone without waiting for the others.
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            return super().forward(input)
        return nn.modules.batchnorm._BatchNorm.forward(self, input)


class SyncedModule(DistributedDataParallel):
    """DDP that skips gradient bookkeeping on forwards whose parameters are frozen.

    The G step runs D with requires_grad off: D gets no gradient, so DDP must not wait
    for one (it would fail at D's next forward).
    """

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if torch.is_grad_enabled() and not any(p.requires_grad for p in self.module.parameters()):
            with self.no_sync():
                return super().forward(*inputs, **kwargs)
        return super().forward(*inputs, **kwargs)


def sync_batchnorm(network: nn.Module) -> nn.Module:
    """Swap every BatchNorm for LocalSamplingSyncBatchNorm (same parameters and buffers)."""
    network = nn.SyncBatchNorm.convert_sync_batchnorm(network)
    for module in network.modules():
        if type(module) is nn.SyncBatchNorm:
            module.__class__ = LocalSamplingSyncBatchNorm
    return network


def wrap(nets: Networks, use_sync_batchnorm: bool, every_parameter_used: bool) -> Networks:
    """The loss's view of G and D under DDP (the same modules and optimizers), or nets alone.

    every_parameter_used False (progressive growing, where a stage leaves layers idle)
    makes DDP look for unused parameters after each forward.
    """
    if not active():
        return nets
    if use_sync_batchnorm:
        sync_batchnorm(nets.generator)
        sync_batchnorm(nets.discriminator)
    device = next(nets.generator.parameters()).device
    ids = [device.index] if device.type == "cuda" else None

    def synced(network: nn.Module) -> nn.Module:
        return SyncedModule(network, device_ids=ids,
                            find_unused_parameters=not every_parameter_used)

    return Networks(synced(nets.generator), synced(nets.discriminator),
                    nets.optimizer_g, nets.optimizer_d)


# ---------------------------------------------------------------------- writing


class RankWriter(RunWriter):
    """RunWriter for one rank of several: rank 0 writes, the others write nothing.

    Every rank reaches write_checkpoint together; the barrier there keeps rank 0 from
    replacing last.pt while another rank still reads it (a rollback).
    """

    def __init__(self, folder: Path, writes: bool) -> None:
        super().__init__(folder)
        self.writes = writes

    def start(self) -> None:
        if self.writes:
            super().start()

    def write_text(self, name: str, text: str) -> None:
        if self.writes:
            super().write_text(name, text)

    def append_jsonl(self, name: str, row: dict[str, Any]) -> None:
        if self.writes:
            super().append_jsonl(name, row)

    def trim_jsonl(self, name: str, keep: Callable[[dict[str, Any]], bool]) -> int:
        return super().trim_jsonl(name, keep) if self.writes else 0

    def write_grid(self, epoch: int, images: torch.Tensor) -> str:
        if self.writes:
            return super().write_grid(epoch, images)
        from ganreport import runformat as rf

        return rf.sample_name(epoch)

    def write_real_grid(self, images: torch.Tensor) -> str:
        if self.writes:
            return super().write_real_grid(images)
        from ganreport import runformat as rf

        return rf.REAL_GRID

    def remove_samples_after(self, epoch: int) -> None:
        if self.writes:
            super().remove_samples_after(epoch)

    def write_checkpoint(self, state: dict[str, Any]) -> None:
        barrier()
        if self.writes:
            super().write_checkpoint(state)


def writer_for(folder: Path) -> RunWriter:
    """A plain RunWriter alone; under DDP a RankWriter that writes on rank 0 only."""
    return RankWriter(folder, is_main()) if active() else RunWriter(folder)


# ---------------------------------------------------------------------- launching


def worker_threads(processes: int) -> int:
    """CPU threads per process when `processes` share this machine's cores."""
    from training.fast.settings import cores_available

    return max(1, cores_available() // processes)


def launch(argv: list[str], nproc: int) -> int:
    """Run `python -m training argv` as nproc ranks (torchrun's elastic agent); exit code.

    The workers run in sessions of their own: the launcher passes Ctrl-C (SIGINT) or SIGTERM
    on to each once, and waits up to SHUTDOWN_S while every rank stops at the same step with
    a checkpoint. The failing rank prints its own message; this adds one line naming it.
    """
    from torch.distributed.elastic.multiprocessing.api import DefaultLogsSpecs, SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    for name in list(logging.root.manager.loggerDict):  # the agent's notes are not for users
        if name.startswith("torch.distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    os.environ.setdefault("OMP_NUM_THREADS", str(worker_threads(nproc)))
    logs = tempfile.TemporaryDirectory(prefix="ganreport-ranks-")  # the agent's error files
    config = LaunchConfig(
        min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=str(uuid.uuid4()),
        rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0,
        monitor_interval=0.2, signals_to_handle="SIGTERM,SIGINT", shutdown_timeout=SHUTDOWN_S,
        logs_specs=DefaultLogsSpecs(log_dir=logs.name),
    )
    try:
        elastic_launch(config, sys.executable)("-m", "training", *argv)
    except SignalException as stopped:  # the workers checkpointed and said how to resume
        return 128 + int(stopped.sigval)
    except ChildFailedError as failed:
        first_rank, first = min(failed.failures.items(), key=lambda item: item[1].timestamp)
        code = first.exitcode if first.exitcode > 0 else 128 - first.exitcode
        if code not in (2, 130, 143):  # those ranks already said what happened
            print(f"error: rank {first_rank} of {nproc} failed first (exit {code}); "
                  f"the others were stopped", file=sys.stderr)
        return code
    finally:
        logs.cleanup()
    return 0
