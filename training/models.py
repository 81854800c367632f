"""The DCGAN generator and discriminator, built from config only (no globals).

At 64 px these are exactly the PyTorch DCGAN tutorial's networks: G has five
transposed convolutions (BatchNorm + ReLU between, tanh out), D five
convolutions (BatchNorm on all but the first and last, LeakyReLU 0.2). Other
sizes (16-256 px) add or drop a stride-2 block. D returns logits: the sigmoid
lives inside the loss (BCE-with-logits), the same maths as the tutorial's
Sigmoid + BCELoss but numerically stable.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from training.config import DatasetConfig, ModelConfig

LEAKY_SLOPE = 0.2  # the DCGAN paper's slope, used by D and by a leaky_relu G


def _blocks(image_size: int) -> int:
    """Number of stride-2 (up/down)sampling layers between 4x4 and image_size (64 -> 4)."""
    blocks = int(math.log2(image_size)) - 2
    if 2 ** (blocks + 2) != image_size or blocks < 2:
        raise ValueError(f"image_size must be a power of two >= 16, got {image_size}")
    return blocks


def _activation(name: str) -> nn.Module:
    return nn.ReLU(inplace=True) if name == "relu" else nn.LeakyReLU(LEAKY_SLOPE, inplace=True)


class Generator(nn.Module):
    """z (N, z_dim, 1, 1) -> images (N, C, S, S) in [-1, 1]."""

    def __init__(self, model: ModelConfig, dataset: DatasetConfig) -> None:
        super().__init__()
        blocks = _blocks(dataset.image_size)
        width = model.g_features * 2 ** (blocks - 1)  # 64 px: ngf * 8
        layers: list[nn.Module] = [  # project z to (N, width, 4, 4)
            nn.ConvTranspose2d(model.z_dim, width, 4, 1, 0, bias=False),
            nn.BatchNorm2d(width),
            _activation(model.g_activation),
        ]
        for _ in range(blocks - 1):  # each doubles the side and halves the width
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                _activation(model.g_activation),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, dataset.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)  # (N, C, S, S)


class Discriminator(nn.Module):
    """images (N, C, S, S) -> logits (N,); sigmoid(logit) is D's probability of 'real'."""

    def __init__(self, model: ModelConfig, dataset: DatasetConfig) -> None:
        super().__init__()
        blocks = _blocks(dataset.image_size)
        width = model.d_features
        layers: list[nn.Module] = [  # no BatchNorm on the first layer (DCGAN paper)
            nn.Conv2d(dataset.channels, width, 4, 2, 1, bias=False),
            nn.LeakyReLU(LEAKY_SLOPE, inplace=True),
        ]
        for _ in range(blocks - 1):  # each halves the side and doubles the width
            layers += [
                nn.Conv2d(width, width * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width * 2),
                nn.LeakyReLU(LEAKY_SLOPE, inplace=True),
            ]
            width *= 2
        layers += [nn.Conv2d(width, 1, 4, 1, 0, bias=False)]  # (N, 1, 1, 1): one logit
        self.main = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.main(images).view(-1)  # (N,)


def init_weights(module: nn.Module) -> None:
    """DCGAN init: conv weights ~ N(0, 0.02); BatchNorm scale ~ N(1, 0.02), shift 0."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_models(model: ModelConfig, dataset: DatasetConfig) -> tuple[Generator, Discriminator]:
    """G and D with DCGAN initial weights (draws from torch's global RNG: seed it first)."""
    generator, discriminator = Generator(model, dataset), Discriminator(model, dataset)
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    return generator, discriminator
