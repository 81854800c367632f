"""DCGAN-style nets with fully connected layers before the convolutions, in both G and D.

The first stage of the LSGAN write-up (the one whose G loss rose steadily and whose samples
looked nothing like the data). The write-up does not list its layers, so this is our reading:
    G: z -> FC 1024 -> FC (ngf*8 x 4 x 4) -> the DCGAN transposed-conv stack (the tutorial's
       first transposed conv, z -> 4x4, replaced by the two FC layers).
    D: image -> flatten -> FC 1024 -> FC 1024 -> a 1 x 32 x 32 map -> the DCGAN 32 px conv
       stack -> one raw score.
D's first FC sees every pixel at once (C*S*S inputs), which is what throws away the
convolutions' locality; it also grows with the square of the size, so sizes stop at 64 px
(12.6 M weights there; 50 M at 128). Norms, activations and dropout follow the config like
dcgan's (no norm on D's input layer); initialisation is DCGAN N(0, 0.02).
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.nets import dcgan
from training.nets.layers import activation, dropout, latent_vectors, norm1d, norm2d

SIZES = (16, 28, 32, 64)
HIDDEN = 1024  # units of every FC layer; in D also the 32x32 map the convolutions read
MAP_SIDE = 32


def _check(image_size: int) -> None:
    if image_size not in SIZES:
        raise ValueError(f"linear makes {', '.join(map(str, SIZES))} px images, not {image_size}")


def _fc(inputs: int, outputs: int, norm: str, act: str) -> list[nn.Module]:
    """Linear -> norm -> activation (no bias when a norm follows)."""
    layers = norm1d(norm, outputs)
    return [nn.Linear(inputs, outputs, bias=not layers), *layers, activation(act)]


class Generator(nn.Module):
    """z (N, z_dim) or (N, z_dim, 1, 1) -> 2 FC -> transposed convs -> (N, C, S, S) in [-1, 1]."""

    def __init__(self, model: ModelConfig, dataset: DatasetConfig) -> None:
        super().__init__()
        _check(dataset.image_size)
        start, ups = dcgan.plan(dataset.image_size)
        widths = [model.g_features * 2 ** (ups - 1 - i) for i in range(ups)]
        self.project = nn.Sequential(
            *_fc(model.z_dim, HIDDEN, model.g_norm, model.g_activation),
            *_fc(HIDDEN, widths[0] * start * start, model.g_norm, model.g_activation),
            nn.Unflatten(1, (widths[0], start, start)),
        )
        layers: list[nn.Module] = []
        for previous, width in zip(widths[:-1], widths[1:], strict=True):
            norm = norm2d(model.g_norm, width)
            layers += [nn.ConvTranspose2d(previous, width, 4, 2, 1, bias=not norm), *norm]
            layers += [activation(model.g_activation)]
        layers += [nn.ConvTranspose2d(widths[-1], dataset.channels, 4, 2, 1, bias=False)]
        self.upsample = nn.Sequential(*layers, nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.project(latent_vectors(z)))  # (N, C, S, S)


class Discriminator(nn.Module):
    """images (N, C, S, S) -> 2 FC -> (N, 1, 32, 32) -> DCGAN 32 px convs -> raw scores (N,)."""

    def __init__(self, model: ModelConfig, dataset: DatasetConfig) -> None:
        super().__init__()
        _check(dataset.image_size)
        pixels = dataset.channels * dataset.image_size**2
        self.project = nn.Sequential(
            nn.Flatten(),
            nn.Linear(pixels, HIDDEN),  # the input layer: no norm (DCGAN rule)
            activation(model.d_activation),
            *dropout(model.d_dropout),
            *_fc(HIDDEN, MAP_SIDE * MAP_SIDE, model.d_norm, model.d_activation),
            *dropout(model.d_dropout),
            nn.Unflatten(1, (1, MAP_SIDE, MAP_SIDE)),
        )
        map_input = dataclasses.replace(dataset, image_size=MAP_SIDE, channels=1)
        self.convolve = dcgan.Discriminator(model, map_input)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.convolve(self.project(images))  # (N,)


def build(model: ModelConfig, dataset: DatasetConfig) -> tuple[nn.Module, nn.Module]:
    """G and D, not yet initialised (build_networks applies dcgan_init)."""
    return Generator(model, dataset), Discriminator(model, dataset)
