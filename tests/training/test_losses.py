"""Label smoothing draws and the loss registry."""

from __future__ import annotations

import torch
from torch import nn

from training.losses import LOSSES, draw_labels, get_loss


def test_smoothing_draws_stay_in_range() -> None:
    torch.manual_seed(0)
    for _ in range(50):
        real = draw_labels([0.7, 1.0], 128, "cpu")
        fake = draw_labels([0.0, 0.3], 128, "cpu")
        assert real.shape == fake.shape == (128,)
        assert real.min() >= 0.7 and real.max() <= 1.0
        assert fake.min() >= 0.0 and fake.max() <= 0.3
    assert real.std() > 0.05  # spread over the range, not a constant


def test_smoothing_is_fresh_each_batch() -> None:
    torch.manual_seed(0)
    assert not torch.equal(draw_labels([0.7, 1.0], 64, "cpu"), draw_labels([0.7, 1.0], 64, "cpu"))


def test_point_range_is_constant_and_uses_no_randomness() -> None:
    torch.manual_seed(0)
    before = torch.get_rng_state()
    assert torch.equal(draw_labels([1.0, 1.0], 4, "cpu"), torch.ones(4))
    assert torch.equal(torch.get_rng_state(), before)


def test_bce_is_the_tutorial_maths_on_logits() -> None:
    logits, targets = torch.randn(32), torch.rand(32)
    loss = get_loss("bce")
    expected = nn.BCELoss()(torch.sigmoid(logits), targets)
    assert torch.allclose(loss.d_real(logits, targets), expected, atol=1e-6)
    assert torch.allclose(
        loss.generator(logits), nn.BCELoss()(torch.sigmoid(logits), torch.ones(32))
    )


def test_bce_stays_finite_where_sigmoid_saturates() -> None:
    logits = torch.tensor([200.0, -200.0])
    assert torch.isfinite(get_loss("bce").d_real(logits, torch.tensor([0.0, 1.0])))


def test_every_loss_is_differentiable() -> None:
    for name, loss in LOSSES.items():
        logits = torch.randn(8, requires_grad=True)
        total = loss.d_real(logits, torch.ones(8)) + loss.d_fake(logits, torch.zeros(8))
        total = total + loss.generator(logits)
        total.backward()
        assert torch.isfinite(logits.grad).all(), name
