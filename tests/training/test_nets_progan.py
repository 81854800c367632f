"""ProGAN: growth, the fade-in at both ends, equalized lr, minibatch stddev, level state."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from training.config import DatasetConfig, ModelConfig
from training.nets import build_networks
from training.nets.progan import (
    Critic,
    EqualizedConv2d,
    EqualizedLinear,
    Generator,
    MinibatchStdDev,
    feature_width,
    reals_at,
    upsample_to,
)

Z = 8


@pytest.fixture(scope="module")
def nets() -> tuple[Generator, Critic]:
    """A tiny G and critic for 32 px (widths 16..8); CPU-cheap."""
    torch.manual_seed(0)
    model = ModelConfig(arch="progan", z_dim=Z, g_features=2, d_features=2)
    return build_networks(model, DatasetConfig(image_size=32))


def test_widths_follow_the_reference() -> None:
    assert [feature_width(s, 8192, 512) for s in range(10)] == [
        512,
        512,
        512,
        512,
        512,
        256,
        128,
        64,
        32,
        16,
    ]
    generator, critic = build_networks(ModelConfig(arch="progan"), DatasetConfig(image_size=128))
    assert [rgb.weight.shape[1] for rgb in generator.to_rgb] == [512, 512, 512, 512, 256, 128]
    assert [rgb.weight.shape[0] for rgb in critic.from_rgb] == [512, 512, 512, 512, 256, 128]


def test_output_size_doubles_at_each_stage(nets: tuple[Generator, Critic]) -> None:
    generator, critic = nets
    z = torch.randn(4, Z)
    sizes = []
    for resolution in (4, 8, 16, 32):
        for alpha in (0.0, 0.5, 1.0):
            generator.set_level(resolution, alpha), critic.set_level(resolution, alpha)
            images = generator(z)
            assert images.shape == (4, 3, resolution, resolution)
            assert critic(images).shape == (4,)
        sizes.append(images.shape[-1])
    assert sizes == [4, 8, 16, 32]
    assert upsample_to(images[:, :, :8, :8], 32).shape == (4, 3, 32, 32)


def test_every_block_exists_from_the_start(nets: tuple[Generator, Critic]) -> None:
    generator, critic = nets
    generator.set_level(4, 1.0)
    names = set(generator.state_dict())
    assert {"blocks.3.conv1.weight", "to_rgb.3.weight", "to_rgb.0.weight"} <= names
    assert {"blocks.3.conv1.weight", "from_rgb.3.weight"} <= set(critic.state_dict())


@pytest.mark.parametrize("resolution", [8, 16, 32])
def test_at_alpha_0_generator_is_the_previous_stage_upsampled(
    nets: tuple[Generator, Critic], resolution: int
) -> None:
    generator, _ = nets
    z = torch.randn(4, Z, 1, 1)
    generator.set_level(resolution // 2, 1.0)
    previous = generator(z)
    generator.set_level(resolution, 0.0)
    torch.testing.assert_close(generator(z), upsample_to(previous, resolution))
    generator.set_level(resolution, 1.0)
    new = generator(z)
    assert not torch.allclose(new, upsample_to(previous, resolution))
    generator.set_level(resolution, 0.25)  # and in between, the lerp of the two
    torch.testing.assert_close(generator(z), 0.75 * upsample_to(previous, resolution) + 0.25 * new)


@pytest.mark.parametrize("resolution", [8, 16, 32])
def test_at_alpha_0_critic_is_the_previous_stage_on_pooled_images(
    nets: tuple[Generator, Critic], resolution: int
) -> None:
    _, critic = nets
    images = torch.randn(4, 3, resolution, resolution)
    critic.set_level(resolution // 2, 1.0)
    previous = critic(F.avg_pool2d(images, 2))
    critic.set_level(resolution, 0.0)
    torch.testing.assert_close(critic(images), previous)
    critic.set_level(resolution, 1.0)
    assert not torch.allclose(critic(images), previous)


def test_critic_refuses_images_at_another_resolution(nets: tuple[Generator, Critic]) -> None:
    _, critic = nets
    critic.set_level(8, 1.0)
    with pytest.raises(ValueError, match="critic is at 8 px"):
        critic(torch.randn(2, 3, 16, 16))


def test_set_level_checks_its_arguments(nets: tuple[Generator, Critic]) -> None:
    generator, _ = nets
    for resolution, alpha in ((6, 1.0), (64, 1.0), (2, 1.0), (8, 1.5), (8, -0.1)):
        with pytest.raises(ValueError):
            generator.set_level(resolution, alpha)


def test_level_travels_with_the_state_dict(nets: tuple[Generator, Critic]) -> None:
    generator, critic = nets
    generator.set_level(16, 0.375)
    state = generator.state_dict()
    model = ModelConfig(arch="progan", z_dim=Z, g_features=2, d_features=2)
    fresh, _ = build_networks(model, DatasetConfig(image_size=32))
    assert (fresh.resolution, fresh.alpha) == (32, 1.0)  # built showing the full size
    fresh.load_state_dict(state)
    assert (fresh.resolution, fresh.alpha) == (16, 0.375)
    z = torch.randn(2, Z)
    torch.testing.assert_close(fresh(z), generator(z))


def test_equalized_lr_scales_the_stored_weight_by_the_he_constant() -> None:
    torch.manual_seed(1)
    conv = EqualizedConv2d(6, 5, 3)
    images = torch.randn(2, 6, 8, 8)
    expected = F.conv2d(images, conv.weight * math.sqrt(2 / (6 * 3 * 3)), conv.bias, padding=1)
    torch.testing.assert_close(conv(images), expected)
    dense = EqualizedLinear(40, 7)
    vectors = torch.randn(3, 40)
    torch.testing.assert_close(dense(vectors), vectors @ (dense.weight * math.sqrt(2 / 40)).T)
    big = EqualizedConv2d(64, 64, 3)
    assert abs(big.weight.std().item() - 1) < 0.02 and not big.bias.any()  # stored N(0, 1)


def test_every_layer_has_the_reference_gain(nets: tuple[Generator, Critic]) -> None:
    generator, critic = nets
    for net, low_gain in ((generator, {"blocks.0.dense"}), (critic, {"head.score"})):
        for name, module in net.named_modules():
            if not isinstance(module, EqualizedConv2d | EqualizedLinear):
                continue
            gain = module.scale * math.sqrt(module.weight[0].numel())
            if name in low_gain:
                assert gain == pytest.approx(math.sqrt(2) / 4 if net is generator else 1.0)
            elif name.startswith("to_rgb"):
                assert gain == pytest.approx(1.0)
            else:
                assert gain == pytest.approx(math.sqrt(2))


def test_minibatch_stddev_adds_the_mean_standard_deviation_of_the_group() -> None:
    torch.manual_seed(2)
    maps = torch.randn(8, 3, 4, 4)
    out = MinibatchStdDev(group_size=4)(maps)
    assert out.shape == (8, 4, 4, 4)
    torch.testing.assert_close(out[:, :3], maps)
    for i in range(8):  # groups of 4: image i with every image j where j = i mod 2
        group = maps[[j for j in range(8) if j % 2 == i % 2]]
        expected = group.std(dim=0, unbiased=False).mean()
        torch.testing.assert_close(
            out[i, 3], torch.full((4, 4), expected.item()), atol=1e-4, rtol=0
        )
    uneven = MinibatchStdDev(group_size=4)(maps[:6])  # 6 images: groups of 3
    expected = maps[[0, 2, 4]].std(dim=0, unbiased=False).mean()
    assert uneven[0, 3, 0, 0].item() == pytest.approx(expected.item(), abs=1e-4)


def test_reals_are_shown_as_the_generator_shows_fakes() -> None:
    images = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(reals_at(images, 32, 1.0), images)
    at_8 = F.avg_pool2d(images, 4)
    torch.testing.assert_close(reals_at(images, 8, 1.0), at_8)
    torch.testing.assert_close(reals_at(images, 8, 0.0), upsample_to(F.avg_pool2d(at_8, 2), 8))
    torch.testing.assert_close(reals_at(images, 4, 0.0), F.avg_pool2d(images, 8))
