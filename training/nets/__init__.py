"""G and D for every architecture a study can name in `model.arch`, from config only.

One module per family; the registry below maps each `model.arch` to the module's `build`, the
sizes it can make, its initialisation and the config options it does not use. Adding an
architecture is a module plus one entry. Every G takes z as (N, z_dim) or (N, z_dim, 1, 1);
every D returns raw scores (N,) (no sigmoid: the loss owns it).

| arch        | family                                   | sizes (px)              |
|-------------|------------------------------------------|-------------------------|
| dcgan       | the PyTorch DCGAN tutorial               | 16, 28, 32, 64, 128, 256|
| infogan     | InfoGAN appendix, Table 3 (colour)       | 32, 64, 128             |
| linear      | FC layers before the convs (LSGAN (a))   | 16, 28, 32, 64          |
| tf_tutorial | the TensorFlow DCGAN tutorial            | 28, 32                  |
| progan      | progressive growing (Karras et al. 2018) | 16, 32, 64, 128, 256    |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.nets import dcgan, infogan, linear, progan, tf_tutorial
from training.nets.layers import add_spectral_norm, dcgan_init


@dataclass(frozen=True)
class Family:
    """What build_networks needs to know about one architecture."""

    build: Callable[[ModelConfig, DatasetConfig], tuple[nn.Module, nn.Module]]
    sizes: tuple[int, ...]
    init: Callable[[nn.Module], None] | None  # applied to every submodule; None: built in
    unused: tuple[str, ...] = ()  # model options this family ignores


FAMILIES: dict[str, Family] = {
    "dcgan": Family(dcgan.build, dcgan.SIZES, dcgan_init),
    "infogan": Family(infogan.build, infogan.SIZES, dcgan_init),
    "linear": Family(linear.build, linear.SIZES, dcgan_init),
    "tf_tutorial": Family(
        tf_tutorial.build,
        tf_tutorial.SIZES,
        tf_tutorial.keras_init,
        unused=("g_activation", "d_activation", "d_norm"),
    ),
    "progan": Family(
        progan.build,
        progan.SIZES,
        None,
        unused=(
            "g_activation",
            "d_activation",
            "g_norm",
            "d_norm",
            "g_spectral_norm",
            "d_spectral_norm",
            "d_dropout",
        ),
    ),
}


def _family(arch: str) -> Family:
    if arch not in FAMILIES:
        raise ValueError(f"model.arch must be one of {', '.join(FAMILIES)}, got {arch!r}")
    return FAMILIES[arch]


def image_size_problem(model: ModelConfig, dataset: DatasetConfig) -> str | None:
    """None when `model.arch` can make `dataset.image_size` images; else what it can make."""
    family = _family(model.arch)
    if dataset.image_size in family.sizes:
        return None
    sizes = ", ".join(str(size) for size in family.sizes)
    return f"{model.arch} makes {sizes} px images, not {dataset.image_size}"


def ignored_options(model: ModelConfig) -> list[str]:
    """Model options set away from their default that `model.arch` does not use (for a warning)."""
    defaults = ModelConfig()
    return [
        name
        for name in _family(model.arch).unused
        if getattr(model, name) != getattr(defaults, name)
    ]


def build_networks(model: ModelConfig, dataset: DatasetConfig) -> tuple[nn.Module, nn.Module]:
    """(G, D) for `model.arch`, initialised as its family does (draws from torch's global RNG:
    seed it first), then spectral-normalised where `g_spectral_norm`/`d_spectral_norm` ask."""
    family = _family(model.arch)
    problem = image_size_problem(model, dataset)
    if problem:
        raise ValueError(problem)
    generator, discriminator = family.build(model, dataset)
    if family.init is not None:
        generator.apply(family.init)
        discriminator.apply(family.init)
    if model.g_spectral_norm and "g_spectral_norm" not in family.unused:
        add_spectral_norm(generator)
    if model.d_spectral_norm and "d_spectral_norm" not in family.unused:
        add_spectral_norm(discriminator)
    return generator, discriminator


def parameter_count(network: nn.Module) -> int:
    """Trainable parameters (spectral norm's stored weight counted once)."""
    return sum(p.numel() for p in network.parameters() if p.requires_grad)


__all__ = [
    "FAMILIES",
    "Family",
    "build_networks",
    "ignored_options",
    "image_size_problem",
    "parameter_count",
]
