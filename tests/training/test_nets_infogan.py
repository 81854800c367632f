"""The InfoGAN family: Table 3's layers at 32 px, and the 64 px adaptation."""

from __future__ import annotations

import torch
from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.nets import build_networks


def _layers(network: nn.Module) -> list[tuple[str, int]]:
    """(kind, output width) of each weighted or normalising layer, in order."""
    widths = {
        nn.Linear: "out_features",
        nn.Conv2d: "out_channels",
        nn.ConvTranspose2d: "out_channels",
        nn.BatchNorm1d: "num_features",
        nn.BatchNorm2d: "num_features",
    }
    return [
        (type(m).__name__, getattr(m, widths[type(m)]))
        for m in network.modules()
        if type(m) in widths
    ]


def test_32px_is_table_3() -> None:
    generator, discriminator = build_networks(
        ModelConfig(arch="infogan"), DatasetConfig(image_size=32)
    )
    assert _layers(generator) == [  # FC 2x2x448 BN; upconv 256 BN; 128; 64; 3 tanh
        ("Linear", 2 * 2 * 448),
        ("BatchNorm1d", 2 * 2 * 448),
        ("ConvTranspose2d", 256),
        ("BatchNorm2d", 256),
        ("ConvTranspose2d", 128),
        ("ConvTranspose2d", 64),
        ("ConvTranspose2d", 3),
    ]
    assert sum(isinstance(m, nn.ReLU) for m in generator.modules()) == 4
    assert isinstance(generator.upsample[-1], nn.Tanh)
    assert _layers(discriminator) == [  # conv 64; conv 128 BN; conv 256 BN; FC output
        ("Conv2d", 64),
        ("Conv2d", 128),
        ("BatchNorm2d", 128),
        ("Conv2d", 256),
        ("BatchNorm2d", 256),
        ("Linear", 1),
    ]
    slopes = {m.negative_slope for m in discriminator.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.1}  # the paper's leaky rate
    assert discriminator.main[-1].in_features == 256 * 4 * 4


def test_64px_starts_at_4x4_and_flattens_8x8() -> None:
    model = ModelConfig(arch="infogan", z_dim=150, g_features=4, d_features=4)
    generator, discriminator = build_networks(model, DatasetConfig(image_size=64))
    assert generator.project[0].in_features == 150
    assert generator.project[0].out_features == 4 * 4 * 7 * 4
    assert generator.project(torch.randn(2, 150)).shape == (2, 28, 4, 4)
    assert discriminator.main[-1].in_features == 4 * 4 * 8 * 8
    images = generator(torch.randn(2, 150))
    assert images.shape == (2, 3, 64, 64) and discriminator(images).shape == (2,)


def test_options_map_onto_the_tables_layers() -> None:
    model = ModelConfig(
        arch="infogan",
        g_norm="none",
        d_norm="layer",
        d_dropout=0.2,
        d_activation="relu",
        g_features=4,
        d_features=4,
    )
    generator, discriminator = build_networks(model, DatasetConfig(image_size=32))
    assert not any(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in generator.modules())
    assert generator.project[0].bias is not None  # no norm after it: a bias instead
    assert sum(isinstance(m, nn.GroupNorm) for m in discriminator.modules()) == 2
    assert sum(isinstance(m, nn.Dropout) for m in discriminator.modules()) == 3
    assert not any(isinstance(m, nn.LeakyReLU) for m in discriminator.modules())
