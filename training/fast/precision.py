"""bf16 autocast for the CUDA fast path; a no-op context elsewhere.

Under autocast the convolutions run in bf16 while BatchNorm keeps its running
statistics in fp32 buffers and the losses (binary_cross_entropy_with_logits,
mse, means) are on autocast's fp32 list, so the logged numbers stay fp32.
"""

from __future__ import annotations

import contextlib

import torch


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """torch.autocast(bf16) on CUDA when enabled, else a context that does nothing."""
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
