"""Real images for the metric tests (procedural RGB compositions, MNIST digits) and the
degradations they get (noise, blur); the helpers' own checks are at the end."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import torch

from training.data import read_idx_images

try:  # the data package's module (after the data refactor), else the older module
    from training.data.abstract_art import generate
except ImportError:  # pragma: no cover - depends on which side of the merge this runs
    from training.data_procedural import generate

MNIST_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mnist"


def need_mnist() -> None:
    """Skip (as the other training tests do) where the shared MNIST test set is absent."""
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"the shared MNIST test set is not at {MNIST_DIR.resolve()}")


@functools.lru_cache(maxsize=4)
def procedural(count: int, size: int) -> torch.Tensor:
    """(count, 3, size, size) uint8 abstract-art compositions (seed 7)."""
    return generate(7, count, size)


@functools.lru_cache(maxsize=1)
def mnist_digits() -> torch.Tensor:
    """The 10k MNIST test digits, (10000, 1, 28, 28) uint8."""
    need_mnist()
    digits = read_idx_images(MNIST_DIR / "t10k-images-idx3-ubyte.gz").copy()
    return torch.from_numpy(digits).unsqueeze(1)


def with_noise(images: torch.Tensor, sigma: float, seed: int = 1) -> torch.Tensor:
    """Add Gaussian pixel noise of `sigma` grey levels, back to uint8."""
    noise = torch.randn(images.shape, generator=torch.Generator().manual_seed(seed)) * sigma
    return (images.float() + noise).round().clamp(0, 255).to(torch.uint8)


def blurred(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of `sigma` px (separable, reflect padding), back to uint8."""
    radius = max(1, int(3 * sigma + 0.5))
    taps = torch.arange(-radius, radius + 1, dtype=torch.float32)
    line = torch.exp(-(taps**2) / (2 * sigma**2))
    line = line / line.sum()
    channels = images.shape[1]
    x = torch.nn.functional.pad(images.float(), (radius,) * 4, mode="reflect")
    x = torch.nn.functional.conv2d(x, line.view(1, 1, 1, -1).expand(channels, 1, 1, -1),
                                   groups=channels)
    x = torch.nn.functional.conv2d(x, line.view(1, 1, -1, 1).expand(channels, 1, -1, 1),
                                   groups=channels)
    return x.round().clamp(0, 255).to(torch.uint8)


def test_the_degradations_do_what_they_say():
    images = procedural(4, 32)
    assert torch.equal(with_noise(images, 0), images)
    assert (with_noise(images, 20).float() - images.float()).std() > 15
    # blur removes pixel-to-pixel differences, and more with a wider kernel
    def roughness(x):
        return (x.float()[..., 1:] - x.float()[..., :-1]).abs().mean()

    assert roughness(images) > roughness(blurred(images, 1)) > roughness(blurred(images, 2))


def test_the_mnist_digits():
    assert mnist_digits().shape == (10000, 1, 28, 28)
