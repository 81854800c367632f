"""Resolve the `performance` section for one device, apply the process-wide parts.

Each switch is resolved once, here, so that the loop asks one question
("is channels_last on?") and env.json records the answer, not the request.
CUDA-only switches resolve to False on the CPU: they are skipped, not errors.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import torch

from training.config import PerformanceConfig

ON_DEVICE_LIMIT = 2 * 1024**3  # auto: datasets up to 2 GiB of uint8 are moved to the GPU whole


@dataclass(frozen=True)
class Resolved:
    """What this run does, after auto and the device are taken into account."""

    device_dataset: bool
    autocast_bf16: bool
    channels_last: bool
    compile: bool
    fused_adam: bool
    cudnn_benchmark: bool
    cuda_graphs: bool
    threads: int

    def as_dict(self) -> dict:
        return asdict(self)


def cores_available() -> int:
    """CPU cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def resolve(perf: PerformanceConfig, device: torch.device, dataset_bytes: int) -> Resolved:
    """The switches for `device`; auto: on for CUDA, off on the CPU (channels_last measured)."""
    cuda = device.type == "cuda"
    fits = dataset_bytes <= ON_DEVICE_LIMIT
    on_device = device.type != "cpu" and (
        perf.device_dataset is True or (perf.device_dataset == "auto" and fits))
    return Resolved(
        device_dataset=on_device,
        autocast_bf16=cuda and perf.autocast is not False,
        # CPU: no clear gain measured for the DCGAN nets (docs/training.md, Performance)
        channels_last=perf.channels_last is True or (perf.channels_last == "auto" and cuda),
        compile=perf.compile,
        fused_adam=cuda and perf.fused_adam,
        cudnn_benchmark=cuda and perf.cudnn_benchmark,
        cuda_graphs=False,  # not implemented yet: never in effect, whatever the config asks
        threads=perf.threads or min(torch.get_num_threads(), cores_available()),
    )


def apply_process(resolved: Resolved) -> None:
    """Process-wide settings: CPU threads and cuDNN autotuning.

    threads null keeps a lower count the caller chose (OMP_NUM_THREADS, a test's
    set_num_threads(1)) and caps torch's default at the cores this process may use.
    """
    torch.set_num_threads(resolved.threads)
    if torch.backends.cudnn.is_available():
        torch.backends.cudnn.benchmark = resolved.cudnn_benchmark
