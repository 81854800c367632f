"""One optimizer per network from the optim section (two time scales, Adam or RMSprop).

optim.g_* / optim.d_* override the shared optim.name, lr and betas for one
network. RMSprop has no betas (the WGAN paper's choice); they are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from training.config import OptimConfig


def settings(optim: OptimConfig, network: str) -> tuple[str, float, tuple[float, float]]:
    """(name, lr, betas) for network 'g' or 'd', after the per-network overrides."""
    name = getattr(optim, f"{network}_name") or optim.name
    lr = getattr(optim, f"{network}_lr") or optim.lr
    betas = getattr(optim, f"{network}_betas") or [optim.beta1, optim.beta2]
    return name, lr, (float(betas[0]), float(betas[1]))


def build_optimizer(
    parameters: Iterable[torch.nn.Parameter],
    optim: OptimConfig,
    network: str,
    device: torch.device,
    fused: bool = True,
) -> torch.optim.Optimizer:
    """The optimizer for network 'g' or 'd' (fused Adam on CUDA unless `fused` is False)."""
    name, lr, betas = settings(optim, network)
    if name == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=lr)
    fused_kernels = (fused and device.type == "cuda") or None  # None: torch's own default
    return torch.optim.Adam(parameters, lr=lr, betas=betas, fused=fused_kernels)


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Every parameter group of `optimizer` to `lr` (rollback, resume with a changed config)."""
    for group in optimizer.param_groups:
        group["lr"] = lr
