"""SWD: near its floor for two real samples, growing with noise and blur; shapes and keys."""

from __future__ import annotations

import pytest
import torch

from training.metrics import swd
from training.metrics.base import as_uint8

from .test_metrics_images import blurred, mnist_digits, procedural, with_noise


@pytest.fixture(scope="module")
def rgb_against():
    """SWD of a batch against a fixed sample of 128 procedural 32 px images (descriptors of
    the fixed sample computed once), and a disjoint real batch of the same size."""
    images = procedural(256, 32)
    reference = swd.descriptors(images[:128], seed=0)

    def against(batch: torch.Tensor) -> float:
        return swd.swd_from_descriptors(reference, swd.descriptors(batch, 1), 32, 2)["swd"]

    return against, images[128:]


def test_levels_follow_the_pyramid():
    assert swd.levels_for(256) == [256, 128, 64, 32, 16]
    assert swd.levels_for(32) == [32, 16]
    assert swd.levels_for(28) == [28]
    assert swd.levels_for(16) == [16]


def test_pyramid_filters_keep_a_flat_image_flat():
    flat = torch.full((2, 3, 16, 16), 100.0)
    assert torch.allclose(swd.pyramid_down(flat), torch.full((2, 3, 8, 8), 100.0))
    assert torch.allclose(swd.pyramid_up(flat), torch.full((2, 3, 32, 32), 100.0))
    levels = swd.laplacian_pyramid(flat, 2)
    assert levels[0].abs().max() < 1e-4 and torch.allclose(levels[1], flat[:, :, ::2, ::2])


def test_descriptors_are_normalised_patches():
    images = procedural(8, 32)
    levels = swd.descriptors(images, seed=0)
    assert [d.shape for d in levels] == [(8 * 128, 3 * 49)] * 2
    channels = levels[0].view(-1, 3, 49)
    assert torch.allclose(channels.mean(dim=(0, 2)), torch.zeros(3), atol=1e-4)
    assert torch.allclose(channels.std(dim=(0, 2)), torch.ones(3), atol=1e-3)


def test_disjoint_real_samples_sit_near_the_floor():
    """Two disjoint real samples agree with a third: the real-real value is a stable floor,
    and even mild noise or blur lifts SWD clearly above it."""
    digits = mnist_digits()
    first, second, third = digits[:128], digits[128:256], digits[256:384]
    floor = swd.swd(first, second)["swd"]
    assert swd.swd(first, third)["swd"] == pytest.approx(floor, rel=0.2)
    assert swd.swd(first, with_noise(second, 16))["swd"] > 1.5 * floor
    assert swd.swd(first, blurred(second, 1.0))["swd"] > 1.5 * floor


def test_noise_raises_it_monotonically(rgb_against):
    against, second = rgb_against
    values = [against(second)] + [against(with_noise(second, s)) for s in (8, 24, 64)]
    assert values == sorted(values) and values[1] > 1.3 * values[0]


def test_blur_raises_it_monotonically(rgb_against):
    against, second = rgb_against
    values = [against(second)] + [against(blurred(second, s)) for s in (0.8, 1.6, 3.2)]
    assert values == sorted(values) and values[-1] > 1.5 * values[0]


def test_digits_noise_and_blur_monotonic():
    digits = mnist_digits()
    first, second = digits[:96], digits[96:192]
    reference = swd.descriptors(first, 0)

    def against(batch):
        return swd.swd_from_descriptors(reference, swd.descriptors(batch, 1), 28, 2)["swd"]

    assert [against(with_noise(second, s)) for s in (0, 16, 48)] == sorted(
        against(with_noise(second, s)) for s in (0, 16, 48))
    blurs = [against(second)] + [against(blurred(second, s)) for s in (0.7, 1.4, 2.8)]
    assert blurs == sorted(blurs)


def test_keys_per_level_and_mean():
    images = procedural(64, 32)
    row = swd.swd(images[:32], images[32:])
    assert set(row) == {"swd", "swd_32", "swd_16"}
    assert row["swd"] == pytest.approx((row["swd_32"] + row["swd_16"]) / 2)
    assert row == swd.swd(images[:32], images[32:])  # seeded: repeatable
    assert set(swd.swd(mnist_digits()[:16], mnist_digits()[16:32])) == {"swd", "swd_28"}


def test_unequal_batches_are_refused():
    with pytest.raises(ValueError, match="equal shapes"):
        swd.swd(procedural(8, 32), procedural(16, 32)[8:12])


def test_generator_output_is_quantised_like_the_grids():
    images = torch.tensor([-1.0, 0.0, 1.0, 2.0]).view(1, 1, 2, 2)
    assert as_uint8(images).flatten().tolist() == [0, 128, 255, 255]
