"""Layer pieces the configurable families share: activation, normalisation, dropout, z shape.

`model.g_norm`/`model.d_norm` = "layer" on a conv feature map is GroupNorm(1, C): the same
statistics as LayerNorm over (C, H, W) (per sample, over every channel and pixel), but with one
scale and shift per channel like BatchNorm instead of one per (C, H, W) element. So it does
not tie the network to one image size, it keeps the parameter count of the BatchNorm it
replaces, and it has no batch dependence (what WGAN-GP's critic needs).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

LEAKY_SLOPE = 0.2  # the DCGAN paper's slope: what `leaky_relu` means in the config


def activation(name: str, slope: float = LEAKY_SLOPE) -> nn.Module:
    """`relu` or `leaky_relu` (config names) as a module."""
    if name == "relu":
        return nn.ReLU(inplace=True)
    if name == "leaky_relu":
        return nn.LeakyReLU(slope, inplace=True)
    raise ValueError(f"activation must be relu or leaky_relu, got {name!r}")


def norm2d(kind: str, channels: int) -> list[nn.Module]:
    """The normalisation of a (N, C, H, W) map, as a list (empty for `none`)."""
    if kind == "batch":
        return [nn.BatchNorm2d(channels)]
    if kind == "instance":
        return [nn.InstanceNorm2d(channels, affine=True)]
    if kind == "layer":
        return [nn.GroupNorm(1, channels)]
    if kind == "none":
        return []
    raise ValueError(f"norm must be batch, instance, layer or none, got {kind!r}")


def norm1d(kind: str, features: int) -> list[nn.Module]:
    """The normalisation of a (N, F) feature vector, as a list (empty for `none`).

    A vector has no pixels to normalise over, so `instance` (per sample, per channel, over
    pixels) falls back to `layer`: per sample over all features.
    """
    if kind == "batch":
        return [nn.BatchNorm1d(features)]
    if kind in ("layer", "instance"):
        return [nn.LayerNorm(features)]
    if kind == "none":
        return []
    raise ValueError(f"norm must be batch, instance, layer or none, got {kind!r}")


def dropout(rate: float) -> list[nn.Module]:
    """Dropout at `rate` after a hidden D block, as a list (empty at rate 0: no module at all)."""
    return [nn.Dropout(rate)] if rate > 0 else []


def latent_vectors(z: torch.Tensor) -> torch.Tensor:
    """z as (N, z_dim) or (N, z_dim, 1, 1) -> (N, z_dim)."""
    if z.dim() == 4 and z.shape[2:] == (1, 1):
        return z.flatten(1)
    if z.dim() == 2:
        return z
    raise ValueError(f"z must be (N, z_dim) or (N, z_dim, 1, 1), got {tuple(z.shape)}")


WEIGHTED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm, nn.LayerNorm)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN init (Radford et al. 2015): weights ~ N(0, 0.02); norm scale ~ N(1, 0.02), shift 0."""
    if isinstance(module, WEIGHTED):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, NORMS) and module.weight is not None:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def add_spectral_norm(network: nn.Module) -> nn.Module:
    """Spectral-normalise every conv, transposed conv and linear weight (Miyato et al. 2018).

    Called after initialisation: the stored (original) weight keeps its init, and forward uses
    weight / sigma, sigma estimated by one power iteration per training-mode forward.
    """
    for module in list(network.modules()):
        if isinstance(module, WEIGHTED):
            spectral_norm(module)
    return network
