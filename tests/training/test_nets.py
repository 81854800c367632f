"""The registry: every arch x size builds, shapes, image_size_problem, init and spectral norm."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.nets import (
    FAMILIES,
    build_networks,
    ignored_options,
    image_size_problem,
    parameter_count,
)

TINY = {"z_dim": 8, "g_features": 2, "d_features": 2}
CASES = [
    (arch, size)
    for arch, family in FAMILIES.items()
    for size in family.sizes
    if size <= 64 or arch == "dcgan"  # keep the CPU cost small; dcgan covers 128 and 256
]


@pytest.mark.parametrize(("arch", "size"), CASES)
def test_every_arch_and_size_has_the_right_shapes(arch: str, size: int) -> None:
    model = ModelConfig(arch=arch, **TINY)
    dataset = DatasetConfig(image_size=size, channels=1 if size == 28 else 3)
    generator, discriminator = build_networks(model, dataset)
    flat = torch.randn(2, 8)
    square = flat[:, :, None, None]  # the same vectors, (N, z_dim, 1, 1)
    images = generator(flat)
    assert images.shape == (2, dataset.channels, size, size)
    torch.testing.assert_close(generator.eval()(flat), generator(square))  # both z shapes
    scores = discriminator(images)
    assert scores.shape == (2,)


@pytest.mark.parametrize("arch", ["dcgan", "infogan", "linear", "tf_tutorial"])
def test_scores_are_raw_not_probabilities(arch: str) -> None:
    size = 28 if arch == "tf_tutorial" else 32
    generator, discriminator = build_networks(
        ModelConfig(arch=arch, **TINY), DatasetConfig(image_size=size, channels=1)
    )
    assert not any(isinstance(m, nn.Sigmoid) for m in discriminator.modules())
    with torch.no_grad():
        for module in discriminator.modules():  # big weights: a sigmoid would saturate in [0, 1]
            if isinstance(module, nn.Linear | nn.Conv2d):
                module.weight.mul_(50)
        scores = discriminator.eval()(torch.randn(4, 1, size, size))
    assert scores.abs().max() > 1


def test_image_size_problem_says_what_an_arch_can_make() -> None:
    assert image_size_problem(ModelConfig(), DatasetConfig(image_size=64)) is None
    assert image_size_problem(ModelConfig(), DatasetConfig(image_size=28)) is None
    message = image_size_problem(ModelConfig(arch="tf_tutorial"), DatasetConfig(image_size=64))
    assert message == "tf_tutorial makes 28, 32 px images, not 64"
    assert image_size_problem(ModelConfig(arch="progan"), DatasetConfig(image_size=28))
    assert image_size_problem(ModelConfig(arch="infogan"), DatasetConfig(image_size=16))
    assert image_size_problem(ModelConfig(arch="linear"), DatasetConfig(image_size=128))
    assert image_size_problem(ModelConfig(), DatasetConfig(image_size=48))


def test_build_refuses_a_size_the_arch_cannot_make() -> None:
    with pytest.raises(ValueError, match="tf_tutorial makes 28, 32 px images, not 64"):
        build_networks(ModelConfig(arch="tf_tutorial"), DatasetConfig(image_size=64))
    with pytest.raises(ValueError, match="model.arch"):
        build_networks(ModelConfig(arch="stylegan"), DatasetConfig())  # type: ignore[arg-type]


def test_ignored_options_lists_only_changed_unused_settings() -> None:
    assert ignored_options(ModelConfig(arch="dcgan", d_dropout=0.3, g_norm="layer")) == []
    assert ignored_options(ModelConfig(arch="progan")) == []
    progan = ModelConfig(arch="progan", d_spectral_norm=True, d_dropout=0.2)
    assert ignored_options(progan) == ["d_spectral_norm", "d_dropout"]
    assert ignored_options(ModelConfig(arch="tf_tutorial", d_norm="none")) == ["d_norm"]


def test_families_initialise_their_own_way() -> None:
    torch.manual_seed(0)
    generator, _ = build_networks(ModelConfig(), DatasetConfig(image_size=64))
    conv = generator.main[3]  # a 512 -> 256 transposed conv: 2 M weights
    assert abs(conv.weight.std().item() - 0.02) < 0.001  # DCGAN N(0, 0.02)
    generator, _ = build_networks(ModelConfig(arch="tf_tutorial"), DatasetConfig(image_size=28))
    conv = generator.upsample[0]  # 256 -> 128, 5x5: Glorot uniform bound sqrt(6 / fans)
    bound = (6 / (256 * 25 + 128 * 25)) ** 0.5
    assert conv.weight.abs().max() <= bound and conv.weight.abs().max() > 0.95 * bound
    generator, _ = build_networks(ModelConfig(arch="progan"), DatasetConfig(image_size=16))
    stored = torch.cat([p.flatten() for n, p in generator.named_parameters() if "weight" in n])
    assert abs(stored.std().item() - 1) < 0.02  # equalized lr: N(0, 1) stored


def _largest_singular_value(module: nn.Module) -> float:
    dim = module.parametrizations.weight[0].dim  # 1 for transposed convs
    weight = module.weight.detach().movedim(dim, 0).flatten(1)
    return torch.linalg.matrix_norm(weight, ord=2).item()


@pytest.mark.parametrize("arch", ["dcgan", "infogan", "tf_tutorial"])
def test_spectral_norm_keeps_the_largest_singular_value_near_one(arch: str) -> None:
    torch.manual_seed(0)
    size = 28 if arch == "tf_tutorial" else 32
    model = ModelConfig(arch=arch, g_spectral_norm=True, d_spectral_norm=True, **TINY)
    generator, discriminator = build_networks(model, DatasetConfig(image_size=size))
    normalised = [
        m
        for net in (generator, discriminator)
        for m in net.modules()
        if hasattr(m, "parametrizations")
    ]
    weighted = [
        m
        for net in (generator, discriminator)
        for m in net.modules()
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear)
    ]
    assert normalised and len(normalised) == len(weighted)  # every weight, both nets
    with torch.no_grad():  # stored weights with largest singular value 3: far from 1
        for module in normalised:
            original = module.parametrizations.weight.original
            matrix = original.movedim(module.parametrizations.weight[0].dim, 0).flatten(1)
            original.mul_(3 / torch.linalg.matrix_norm(matrix, ord=2))
    for _ in range(5):  # a few training-mode forwards: one power iteration each
        discriminator(generator(torch.randn(4, 8)))
    generator.eval(), discriminator.eval()
    for module in normalised:
        assert _largest_singular_value(module) == pytest.approx(1.0, abs=0.05)


def test_spectral_norm_only_where_asked() -> None:
    model = ModelConfig(d_spectral_norm=True, **TINY)
    generator, discriminator = build_networks(model, DatasetConfig(image_size=32))
    assert not any(hasattr(m, "parametrizations") for m in generator.modules())
    assert any(hasattr(m, "parametrizations") for m in discriminator.modules())
    assert parameter_count(discriminator) == parameter_count(
        build_networks(ModelConfig(**TINY), DatasetConfig(image_size=32))[1]
    )
