"""G and D shapes and the DCGAN tutorial architecture."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.models import Discriminator, Generator, build_models


@pytest.mark.parametrize("size", [32, 64])
def test_output_shapes(size: int) -> None:
    model, dataset = ModelConfig(g_features=8, d_features=8), DatasetConfig(image_size=size)
    generator, discriminator = build_models(model, dataset)
    images = generator(torch.randn(5, model.z_dim, 1, 1))
    assert images.shape == (5, 3, size, size)
    assert images.min() >= -1 and images.max() <= 1  # tanh output
    assert discriminator(images).shape == (5,)


def test_grayscale_channels() -> None:
    model, dataset = (
        ModelConfig(g_features=8, d_features=8),
        DatasetConfig(image_size=32, channels=1),
    )
    generator, discriminator = build_models(model, dataset)
    images = generator(torch.randn(2, 100, 1, 1))
    assert images.shape == (2, 1, 32, 32)
    assert discriminator(images).shape == (2,)


def _count(module: nn.Module, kind: type) -> int:
    return sum(isinstance(m, kind) for m in module.modules())


def test_64px_is_the_tutorial_architecture() -> None:
    model, dataset = ModelConfig(), DatasetConfig(image_size=64)
    generator, discriminator = Generator(model, dataset), Discriminator(model, dataset)
    assert _count(generator, nn.ConvTranspose2d) == 5
    assert _count(generator, nn.BatchNorm2d) == 4
    assert _count(generator, nn.ReLU) == 4 and _count(generator, nn.Tanh) == 1
    widths = [m.out_channels for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert widths == [512, 256, 128, 64, 3]  # ngf * 8 ... ngf, then RGB
    assert _count(discriminator, nn.Conv2d) == 5
    assert _count(discriminator, nn.BatchNorm2d) == 3  # none on the first and last conv
    slopes = {m.negative_slope for m in discriminator.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}
    assert not any(isinstance(m, nn.Sigmoid) for m in discriminator.modules())  # logits out


def test_leaky_relu_generator() -> None:
    generator = Generator(ModelConfig(g_activation="leaky_relu"), DatasetConfig())
    assert _count(generator, nn.LeakyReLU) == 4 and _count(generator, nn.ReLU) == 0


def test_dcgan_weight_init() -> None:
    torch.manual_seed(0)
    generator, _ = build_models(ModelConfig(), DatasetConfig(image_size=64))
    conv = next(m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d))
    assert abs(conv.weight.std().item() - 0.02) < 0.002


def test_bad_image_size() -> None:
    with pytest.raises(ValueError):
        Generator(ModelConfig(), DatasetConfig(image_size=48))
