"""The DCGAN family: the tutorial's nets at 64 px, depth per size, and the layer options."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.nets import build_networks, parameter_count
from training.nets.dcgan import Discriminator, Generator, plan


def _tutorial_networks(nz: int = 100, ngf: int = 64, ndf: int = 64, nc: int = 3):
    """The PyTorch DCGAN tutorial's G and D, written out as the tutorial writes them."""
    generator = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
        nn.BatchNorm2d(ngf * 8),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ngf * 4),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ngf * 2),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ngf),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
        nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ndf * 2),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ndf * 4),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ndf * 8),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),  # the tutorial's Sigmoid follows (no weights)
    )
    return generator, discriminator


def _tutorial_init(module: nn.Module) -> None:
    if "Conv" in type(module).__name__:
        nn.init.normal_(module.weight.data, 0.0, 0.02)
    elif "BatchNorm" in type(module).__name__:
        nn.init.normal_(module.weight.data, 1.0, 0.02)
        nn.init.constant_(module.bias.data, 0)


def test_64px_default_is_exactly_the_tutorial() -> None:
    torch.manual_seed(3)
    generator, discriminator = build_networks(ModelConfig(), DatasetConfig(image_size=64))
    torch.manual_seed(3)  # what models.py did: build both, then initialise both
    tutorial_g, tutorial_d = _tutorial_networks()
    tutorial_g.apply(_tutorial_init), tutorial_d.apply(_tutorial_init)
    for ours, theirs in ((generator, tutorial_g), (discriminator, tutorial_d)):
        expected = {f"main.{name}": value for name, value in theirs.state_dict().items()}
        actual = ours.state_dict()
        assert list(actual) == list(expected)  # same names (checkpoints load), same order
        for name, value in expected.items():
            torch.testing.assert_close(actual[name], value, msg=name)  # same shapes and init
        assert [type(m) for m in ours.main] == [type(m) for m in theirs]
    assert parameter_count(generator) == 3_576_704  # the tutorial's published counts
    assert parameter_count(discriminator) == 2_765_568


@pytest.mark.parametrize(
    ("size", "start", "layers"), [(16, 4, 2), (28, 7, 2), (32, 4, 3), (64, 4, 4), (128, 4, 5)]
)
def test_depth_follows_the_size(size: int, start: int, layers: int) -> None:
    assert plan(size) == (start, layers)
    model = ModelConfig(z_dim=8, g_features=2, d_features=2)
    generator = Generator(model, DatasetConfig(image_size=size, channels=1))
    convs = [m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert len(convs) == layers + 1 and convs[0].kernel_size == (start, start)
    assert [c.out_channels for c in convs] == [2 * 2**i for i in reversed(range(layers))] + [1]
    discriminator = Discriminator(model, DatasetConfig(image_size=size, channels=1))
    convs = [m for m in discriminator.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == layers + 1 and convs[-1].kernel_size == (start, start)


def test_width_and_z_length_are_configurable() -> None:
    model = ModelConfig(z_dim=150, g_features=8, d_features=4)
    generator, discriminator = build_networks(model, DatasetConfig(image_size=128))
    assert generator.main[0].in_channels == 150 and generator.main[0].out_channels == 8 * 16
    assert discriminator.main[0].out_channels == 4
    assert generator(torch.randn(2, 150)).shape == (2, 3, 128, 128)


def _count(module: nn.Module, kind: type) -> int:
    return sum(isinstance(m, kind) for m in module.modules())


def test_activations_follow_the_config() -> None:
    model = ModelConfig(g_activation="leaky_relu", d_activation="relu")
    generator, discriminator = build_networks(model, DatasetConfig(image_size=64))
    assert _count(generator, nn.LeakyReLU) == 4 and _count(generator, nn.ReLU) == 0
    slopes = {m.negative_slope for m in generator.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}
    assert _count(discriminator, nn.ReLU) == 4 and _count(discriminator, nn.LeakyReLU) == 0


@pytest.mark.parametrize(
    ("norm", "kind"),
    [("batch", nn.BatchNorm2d), ("instance", nn.InstanceNorm2d), ("layer", nn.GroupNorm)],
)
def test_norms_follow_the_config(norm: str, kind: type) -> None:
    model = ModelConfig(g_norm=norm, d_norm=norm, g_features=4, d_features=4)
    generator, discriminator = build_networks(model, DatasetConfig(image_size=32))
    assert _count(generator, kind) == 3 and _count(discriminator, kind) == 2
    others = {nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm} - {kind}
    assert not any(_count(net, other) for net in (generator, discriminator) for other in others)


def test_no_norm_gives_the_hidden_convs_a_bias() -> None:
    model = ModelConfig(g_norm="none", d_norm="none", g_features=4, d_features=4)
    generator, discriminator = build_networks(model, DatasetConfig(image_size=32))
    assert _count(generator, nn.BatchNorm2d) == 0 and _count(discriminator, nn.BatchNorm2d) == 0
    g_convs = [m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    d_convs = [m for m in discriminator.modules() if isinstance(m, nn.Conv2d)]
    assert [c.bias is not None for c in g_convs] == [True, True, True, False]
    assert [c.bias is not None for c in d_convs] == [False, True, True, False]
    assert generator(torch.randn(2, 100)).shape == (2, 3, 32, 32)


def test_layer_norm_is_layer_norm_over_channels_and_pixels() -> None:
    model = ModelConfig(d_norm="layer", d_features=4)
    _, discriminator = build_networks(model, DatasetConfig(image_size=32))
    norm = next(m for m in discriminator.modules() if isinstance(m, nn.GroupNorm))
    assert norm.num_groups == 1 and norm.weight.shape == (norm.num_channels,)
    with torch.no_grad():
        norm.weight.fill_(1), norm.bias.fill_(0)
        maps = torch.randn(3, norm.num_channels, 8, 8) * 5 + 2
        expected = F.layer_norm(maps, maps.shape[1:], eps=norm.eps)
        torch.testing.assert_close(norm(maps), expected)


def test_dropout_is_active_in_training_and_off_in_eval() -> None:
    model = ModelConfig(d_dropout=0.5, d_features=4)
    _, discriminator = build_networks(model, DatasetConfig(image_size=32))
    dropouts = [m for m in discriminator.modules() if isinstance(m, nn.Dropout)]
    assert len(dropouts) == 3 and {m.p for m in dropouts} == {0.5}  # after each hidden block
    assert isinstance(discriminator.main[-1], nn.Conv2d)  # never after the score
    images = torch.randn(4, 3, 32, 32)
    torch.manual_seed(0)
    first, second = discriminator(images), discriminator(images)
    assert not torch.allclose(first, second)  # different units dropped each pass
    discriminator.eval()
    torch.testing.assert_close(discriminator(images), discriminator(images))
    _, plain = build_networks(ModelConfig(d_features=4), DatasetConfig(image_size=32))
    assert _count(plain, nn.Dropout) == 0  # rate 0: no module, the tutorial's layers
