"""The TensorFlow DCGAN tutorial's nets (tensorflow.org/tutorials/generative/dcgan), in PyTorch.

28x28 (MNIST) as in the tutorial, and 32x32 (SVHN) with an 8x8 start instead of 7x7:
    G: Dense (S/4)x(S/4)x256, no bias; BN; LeakyReLU; reshape; ConvTranspose 128 5x5 stride 1;
       BN; LeakyReLU; ConvTranspose 64 5x5 stride 2; BN; LeakyReLU; ConvTranspose C 5x5
       stride 2, tanh (all three without bias).
    D: Conv 64 5x5 stride 2 same; LeakyReLU; Dropout; Conv 128 5x5 stride 2 same; LeakyReLU;
       Dropout; Flatten; Dense 1 (a raw score: the tutorial's BCE is from logits too).
Keras details kept: LeakyReLU's default slope 0.3, BatchNormalization's epsilon 1e-3 and
momentum 0.99 (PyTorch momentum 0.01), Glorot-uniform kernels and zero biases. "same" padding
is PyTorch's symmetric padding (2, and output_padding 1 when upsampling): the same sizes, a
one-pixel shift of where Keras would put its uneven padding.

Config: widths 256/128/64 = g_features x 4/2/1 and 64/128 = d_features x 1/2; dropout is
`d_dropout` when above 0, else the tutorial's 0.3 (so it cannot be switched off here: the
tutorial's D always has it). `g_norm` replaces G's BatchNorm; the tutorial's D has no norm and
its activations are fixed, so `d_norm`, `g_activation` and `d_activation` do not apply.
"""

from __future__ import annotations

import torch
from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.nets.layers import NORMS, WEIGHTED, latent_vectors, norm1d, norm2d

SIZES = (28, 32)
KERAS_SLOPE = 0.3  # tf.keras.layers.LeakyReLU() default
TUTORIAL_DROPOUT = 0.3


def _check(image_size: int) -> int:
    if image_size not in SIZES:
        raise ValueError(f"tf_tutorial makes 28 or 32 px images, not {image_size}")
    return image_size // 4


def _leaky() -> nn.Module:
    return nn.LeakyReLU(KERAS_SLOPE, inplace=True)


class Generator(nn.Module):
    """z (N, z_dim) or (N, z_dim, 1, 1) -> Dense -> 3 transposed convs -> (N, C, S, S)."""

    def __init__(self, model: ModelConfig, dataset: DatasetConfig) -> None:
        super().__init__()
        start, features = _check(dataset.image_size), model.g_features
        first = 4 * features  # 256 at the default width
        self.project = nn.Sequential(
            nn.Linear(model.z_dim, first * start * start, bias=False),
            *norm1d(model.g_norm, first * start * start),
            _leaky(),
            nn.Unflatten(1, (first, start, start)),
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(first, 2 * features, 5, 1, 2, bias=False),  # S/4 -> S/4
            *norm2d(model.g_norm, 2 * features),
            _leaky(),
            nn.ConvTranspose2d(2 * features, features, 5, 2, 2, 1, bias=False),  # -> S/2
            *norm2d(model.g_norm, features),
            _leaky(),
            nn.ConvTranspose2d(features, dataset.channels, 5, 2, 2, 1, bias=False),  # -> S
            nn.Tanh(),
        )
        for module in self.modules():  # Keras BatchNormalization's defaults
            if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
                module.eps, module.momentum = 1e-3, 0.01  # Keras momentum 0.99

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.project(latent_vectors(z)))  # (N, C, S, S)


class Discriminator(nn.Module):
    """images (N, C, S, S) -> 2 strided convs with dropout -> Dense -> raw scores (N,)."""

    def __init__(self, model: ModelConfig, dataset: DatasetConfig) -> None:
        super().__init__()
        side = _check(dataset.image_size)  # after two stride-2 convs
        features = model.d_features
        rate = model.d_dropout if model.d_dropout > 0 else TUTORIAL_DROPOUT
        self.main = nn.Sequential(
            nn.Conv2d(dataset.channels, features, 5, 2, 2),  # -> S/2
            _leaky(),
            nn.Dropout(rate),
            nn.Conv2d(features, 2 * features, 5, 2, 2),  # -> S/4
            _leaky(),
            nn.Dropout(rate),
            nn.Flatten(),
            nn.Linear(2 * features * side * side, 1),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.main(images).reshape(images.shape[0])  # (N,)


def keras_init(module: nn.Module) -> None:
    """Keras defaults: Glorot-uniform kernels, zero biases, norm scale 1 and shift 0."""
    if isinstance(module, WEIGHTED):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, NORMS) and module.weight is not None:
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def build(model: ModelConfig, dataset: DatasetConfig) -> tuple[nn.Module, nn.Module]:
    """G and D, not yet initialised (build_networks applies keras_init)."""
    return Generator(model, dataset), Discriminator(model, dataset)
