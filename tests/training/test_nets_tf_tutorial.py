"""The TensorFlow DCGAN tutorial's nets: layers, Keras details, dropout, 28 and 32 px."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.nets import build_networks, parameter_count

MNIST = DatasetConfig(image_size=28, channels=1)


def test_28px_matches_the_tutorials_parameter_counts() -> None:
    generator, discriminator = build_networks(ModelConfig(arch="tf_tutorial"), MNIST)
    # Keras model.summary(): G 2,330,944 in all, of which 25,472 are BN moving statistics
    # (buffers here); D 212,865.
    assert parameter_count(generator) == 2_330_944 - 25_472
    assert parameter_count(discriminator) == 212_865


def test_layers_and_keras_details() -> None:
    generator, discriminator = build_networks(ModelConfig(arch="tf_tutorial"), MNIST)
    dense = generator.project[0]
    assert dense.out_features == 7 * 7 * 256 and dense.bias is None
    convs = [m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (128, (5, 5), (1, 1)),
        (64, (5, 5), (2, 2)),
        (1, (5, 5), (2, 2)),
    ]
    assert all(c.bias is None for c in convs)
    norms = [m for m in generator.modules() if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d)]
    assert len(norms) == 3 and {(m.eps, m.momentum) for m in norms} == {(1e-3, 0.01)}
    slopes = {
        m.negative_slope
        for net in (generator, discriminator)
        for m in net.modules()
        if isinstance(m, nn.LeakyReLU)
    }
    assert slopes == {0.3}  # Keras LeakyReLU's default
    convs = [m for m in discriminator.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (64, (5, 5), (2, 2)),
        (128, (5, 5), (2, 2)),
    ]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in discriminator.modules())


@pytest.mark.parametrize(("setting", "rate"), [(0.0, 0.3), (0.4, 0.4)])
def test_dropout_is_the_tutorials_unless_set(setting: float, rate: float) -> None:
    model = ModelConfig(arch="tf_tutorial", d_dropout=setting, g_features=4, d_features=4)
    _, discriminator = build_networks(model, MNIST)
    assert [m.p for m in discriminator.modules() if isinstance(m, nn.Dropout)] == [rate, rate]
    images = torch.randn(4, 1, 28, 28)
    assert not torch.allclose(discriminator(images), discriminator(images))
    discriminator.eval()
    torch.testing.assert_close(discriminator(images), discriminator(images))


def test_32px_svhn_starts_at_8x8() -> None:
    model = ModelConfig(arch="tf_tutorial", g_features=4, d_features=4)
    generator, discriminator = build_networks(model, DatasetConfig(image_size=32))
    assert generator.project(torch.randn(2, 100)).shape == (2, 16, 8, 8)
    images = generator(torch.randn(2, 100))
    assert images.shape == (2, 3, 32, 32) and discriminator(images).shape == (2,)
    assert discriminator.main[-1].in_features == 8 * 8 * 8
