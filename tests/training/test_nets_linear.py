"""The linear-first family: fully connected layers come before the convolutions in G and D."""

from __future__ import annotations

import torch
from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.nets import build_networks


def _order(network: nn.Module) -> list[str]:
    kinds = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
    return [type(m).__name__ for m in network.modules() if isinstance(m, kinds)]


def test_fully_connected_layers_come_first_in_both_nets() -> None:
    model = ModelConfig(arch="linear", z_dim=16, g_features=4, d_features=4)
    generator, discriminator = build_networks(model, DatasetConfig(image_size=64))
    assert _order(generator) == ["Linear", "Linear"] + ["ConvTranspose2d"] * 4
    assert _order(discriminator) == ["Linear", "Linear"] + ["Conv2d"] * 4
    assert discriminator.project[1].in_features == 3 * 64 * 64  # every pixel at once
    images = generator(torch.randn(3, 16, 1, 1))
    assert images.shape == (3, 3, 64, 64) and discriminator(images).shape == (3,)


def test_grayscale_28px() -> None:
    model = ModelConfig(arch="linear", z_dim=16, g_features=4, d_features=4)
    generator, discriminator = build_networks(model, DatasetConfig(image_size=28, channels=1))
    assert generator.project[3].out_features == 8 * 7 * 7  # ngf*2 maps of 7x7, then 14, 28
    images = generator(torch.randn(2, 16))
    assert images.shape == (2, 1, 28, 28) and discriminator(images).shape == (2,)
