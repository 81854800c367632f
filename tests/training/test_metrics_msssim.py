"""MS-SSIM: 1 for identical images, lower for distinct ones; diversity sees copies."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training.metrics import msssim
from training.metrics.base import seeded

from .test_metrics_images import mnist_digits, procedural, with_noise


def test_scales_fit_the_window():
    assert [msssim.scales_for(side) for side in (16, 28, 32, 64, 128, 256)] == [1, 2, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="at least 11 px"):
        msssim.scales_for(8)


@pytest.mark.parametrize("side", [16, 28, 32, 64])
def test_identical_images_score_one(side):
    images = procedural(4, side)
    assert torch.allclose(msssim.msssim(images, images), torch.ones(4), atol=1e-5)


def test_scores_fall_with_noise_and_stay_in_range():
    images = procedural(6, 64)
    values = [msssim.msssim(images, with_noise(images, sigma)).mean() for sigma in (4, 16, 64)]
    assert 1 > values[0] > values[1] > values[2] >= 0
    other = msssim.msssim(images, procedural(12, 64)[6:])
    assert ((other >= 0) & (other <= 1)).all()
    assert torch.allclose(other, msssim.msssim(procedural(12, 64)[6:], images), atol=1e-6)


def _ssim_by_hand(x: np.ndarray, y: np.ndarray) -> float:
    """Single-scale SSIM of two grey images, one 11x11 window at a time (the formula)."""
    taps = np.arange(11) - 5.0
    line = np.exp(-(taps**2) / (2 * 1.5**2))
    window = np.outer(line, line) / np.outer(line, line).sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    values = []
    for top in range(x.shape[0] - 10):
        for left in range(x.shape[1] - 10):
            a, b = x[top:top + 11, left:left + 11], y[top:top + 11, left:left + 11]
            mu_a, mu_b = (window * a).sum(), (window * b).sum()
            var_a = (window * (a - mu_a) ** 2).sum()
            var_b = (window * (b - mu_b) ** 2).sum()
            cov = (window * (a - mu_a) * (b - mu_b)).sum()
            values.append((2 * mu_a * mu_b + c1) * (2 * cov + c2)
                          / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)))
    return float(np.mean(values))


def test_one_scale_matches_the_ssim_formula():
    digits = mnist_digits()
    x = torch.nn.functional.interpolate(digits[:2].float(), size=16, mode="area")
    x = x.round().to(torch.uint8)  # (2, 1, 16, 16): one scale
    expected = _ssim_by_hand(x[0, 0].double().numpy(), x[1, 0].double().numpy())
    assert float(msssim.msssim(x[:1], x[1:])) == pytest.approx(max(expected, 0), abs=1e-4)


def test_copies_are_less_diverse_than_distinct_images():
    images = procedural(64, 32)
    copies = images[:1].expand(64, -1, -1, -1)
    few = images[:4].repeat(16, 1, 1, 1)  # four modes
    distinct = msssim.diversity(images, 128, seeded(0))
    assert msssim.diversity(copies, 128, seeded(0)) == pytest.approx(1.0, abs=1e-5)
    assert distinct < msssim.diversity(few, 128, seeded(0)) < 1.0
    assert distinct < 0.5


def test_digit_copies_against_real_digits():
    digits = mnist_digits()[:64]
    real = msssim.diversity(digits, 128, seeded(0))
    noisy_copies = with_noise(digits[:1].expand(64, -1, -1, -1), 8)
    assert msssim.diversity(noisy_copies, 128, seeded(0)) > real + 0.3


def test_pairs_are_distinct_and_seeded():
    first, second = msssim.random_pairs(5, 1000, seeded(3))
    assert (first != second).all() and first.max() < 5 and second.max() < 5
    again = msssim.random_pairs(5, 1000, seeded(3))
    assert torch.equal(first, again[0]) and torch.equal(second, again[1])
    assert msssim.diversity(procedural(8, 32), 10, seeded(1)) == msssim.diversity(
        procedural(8, 32), 10, seeded(1))
