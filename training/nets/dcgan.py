"""The PyTorch DCGAN tutorial's G and D, at any size from 16 to 256 px (and 28).

At 64 px with the default options these are exactly the tutorial's networks (same layers, same
`main.<i>` parameter names and shapes, same initial weights for a seed): G has five transposed
convolutions (BatchNorm + ReLU between, tanh out), D five convolutions (BatchNorm on all but the
first and last, LeakyReLU 0.2). Depth follows the size: each stride-2 layer doubles (G) or
halves (D) the side, between a 4x4 start (7x7 at 28 px) and the image. D returns raw scores: the
sigmoid lives in the loss (BCE with logits), the same maths as the tutorial's Sigmoid + BCELoss.

Options: `g_norm`/`d_norm`, `g_activation`/`d_activation`, `d_dropout` (after each hidden D
block); spectral norm is added by `training.nets.build_networks`. A conv followed by no norm
gets a bias (the tutorial drops biases only because BatchNorm's shift replaces them).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.nets.layers import activation, dropout, latent_vectors, norm2d

SIZES = (16, 28, 32, 64, 128, 256)


def plan(image_size: int) -> tuple[int, int]:
    """(start side, stride-2 layers) that reach image_size: 64 -> (4, 4), 28 -> (7, 2)."""
    if image_size == 28:
        return 7, 2  # 7 -> 14 -> 28, the MNIST shape
    layers = int(math.log2(image_size)) - 2
    if image_size not in SIZES:
        raise ValueError(f"dcgan makes {', '.join(map(str, SIZES))} px images, not {image_size}")
    return 4, layers


class Generator(nn.Module):
    """z (N, z_dim) or (N, z_dim, 1, 1) -> images (N, C, S, S) in [-1, 1]."""

    def __init__(self, model: ModelConfig, dataset: DatasetConfig) -> None:
        super().__init__()
        start, ups = plan(dataset.image_size)
        widths = [model.g_features * 2 ** (ups - 1 - i) for i in range(ups)]  # 64 px: ngf*8..ngf
        layers: list[nn.Module] = []
        previous, kernel, stride, padding = model.z_dim, start, 1, 0  # z -> (width, start, start)
        for width in widths:
            norm = norm2d(model.g_norm, width)
            layers += [nn.ConvTranspose2d(previous, width, kernel, stride, padding, bias=not norm)]
            layers += [*norm, activation(model.g_activation)]
            previous, kernel, stride, padding = width, 4, 2, 1  # then each doubles the side
        layers += [nn.ConvTranspose2d(previous, dataset.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(latent_vectors(z)[:, :, None, None])  # (N, C, S, S)


class Discriminator(nn.Module):
    """images (N, C, S, S) -> raw scores (N,); for BCE, sigmoid(score) = P(real)."""

    def __init__(self, model: ModelConfig, dataset: DatasetConfig) -> None:
        super().__init__()
        start, downs = plan(dataset.image_size)
        widths = [model.d_features * 2**i for i in range(downs)]  # 64 px: ndf .. ndf*8
        layers: list[nn.Module] = []
        previous = dataset.channels
        for index, width in enumerate(widths):  # each halves the side
            norm = norm2d(model.d_norm, width) if index > 0 else []  # none on the input layer
            layers += [nn.Conv2d(previous, width, 4, 2, 1, bias=index > 0 and not norm)]
            layers += [*norm, activation(model.d_activation), *dropout(model.d_dropout)]
            previous = width
        layers += [nn.Conv2d(previous, 1, start, 1, 0, bias=False)]  # (N, 1, 1, 1): one score
        self.main = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.main(images).reshape(images.shape[0])  # (N,)


def build(model: ModelConfig, dataset: DatasetConfig) -> tuple[nn.Module, nn.Module]:
    """G and D, not yet initialised (build_networks applies dcgan_init)."""
    return Generator(model, dataset), Discriminator(model, dataset)
