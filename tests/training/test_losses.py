"""Each loss family: its maths on tiny tensors, its update, its labels and its logged names."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ganreport import runformat as rf
from tests.training.test_cli import one_thread  # noqa: F401 (autouse)
from training.config import LossConfig
from training.losses import LOSSES, LabelSampler, Networks, build_loss, gradient_penalty


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


class TinyG(nn.Module):
    """z (N, 4, 1, 1) -> images (N, 1, 2, 2)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 4)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self.calls = getattr(self, "calls", 0) + 1
        return torch.tanh(self.linear(z.flatten(1))).view(-1, 1, 2, 2)


class TinyD(nn.Module):
    """images (N, 1, 2, 2) -> scores (N,)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.linear(images.flatten(1)).view(-1)


def tiny_loss(name: str, **settings) -> tuple:
    torch.manual_seed(0)
    generator, discriminator = TinyG(), TinyD()
    nets = Networks(generator, discriminator,
                    torch.optim.SGD(generator.parameters(), lr=0.1),
                    torch.optim.SGD(discriminator.parameters(), lr=0.1))
    loss = build_loss(LossConfig(name=name, **settings), nets, torch.Generator().manual_seed(1))
    return loss, nets


REAL, FAKE = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])


def test_each_loss_logs_exactly_what_the_contract_lists() -> None:
    for name, family in LOSSES.items():
        listed = {q.name for q in rf.quantities_for(name) if q.losses != rf.ALL}
        assert set(family.names) == listed, name
    assert set(LOSSES) == set(rf.LOSSES)


def test_bce_against_hand_computed_values() -> None:
    loss, _ = tiny_loss("bce")
    value, scalars = loss.d_loss(REAL, FAKE)
    expected = (softplus(-2) + softplus(1)) / 2 + (softplus(0.5) + softplus(-3)) / 2
    assert value.item() == pytest.approx(expected, abs=1e-6)
    assert scalars["d_x"].item() == pytest.approx((sigmoid(2) + sigmoid(-1)) / 2, abs=1e-6)
    assert scalars["d_g_z"].item() == pytest.approx((sigmoid(0.5) + sigmoid(-3)) / 2, abs=1e-6)
    value, scalars = loss.g_loss(FAKE)  # G's target is the unsmoothed 1
    assert value.item() == pytest.approx((softplus(-0.5) + softplus(3)) / 2, abs=1e-6)
    assert scalars["d_g_z_after"].item() == pytest.approx((sigmoid(0.5) + sigmoid(-3)) / 2)


def test_bce_is_the_tutorial_maths_on_logits_and_stays_finite() -> None:
    loss, _ = tiny_loss("bce")
    logits = torch.randn(32)
    expected = nn.BCELoss()(torch.sigmoid(logits), torch.ones(32))
    assert torch.allclose(loss.g_loss(logits)[0], expected, atol=1e-6)
    saturated = torch.tensor([200.0, -200.0])
    assert torch.isfinite(loss.d_loss(saturated, -saturated)[0])
    assert torch.isfinite(loss.g_loss(-saturated)[0])


def test_lsgan_against_hand_computed_values() -> None:
    loss, _ = tiny_loss("lsgan")
    value, scalars = loss.d_loss(torch.tensor([0.5, 1.5]), torch.tensor([0.2, -0.4]))
    assert value.item() == pytest.approx(0.5 * 0.25 + 0.5 * (0.04 + 0.16) / 2)
    assert scalars["d_real"].item() == pytest.approx(1.0)  # raw outputs, not probabilities
    assert scalars["d_fake"].item() == pytest.approx(-0.1)
    g_value = loss.g_loss(torch.tensor([0.2, -0.4]))[0].item()
    assert g_value == pytest.approx(0.5 * (0.64 + 1.96) / 2)


def test_wgan_and_hinge_against_hand_computed_values() -> None:
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.5])
    wgan, _ = tiny_loss("wgan")
    value, scalars = wgan.d_loss(real, fake)
    assert value.item() == pytest.approx(-2.25)
    assert scalars["critic_real"].item() == 2.0 and scalars["critic_fake"].item() == -0.25
    assert scalars["wasserstein"].item() == pytest.approx(2.25)
    assert wgan.g_loss(fake)[0].item() == pytest.approx(0.25)
    hinge, _ = tiny_loss("hinge")
    value, _scalars = hinge.d_loss(torch.tensor([0.5, 2.0]), torch.tensor([-2.0, 0.5]))
    assert value.item() == pytest.approx((0.5 + 0.0) / 2 + (0.0 + 1.5) / 2)
    assert hinge.g_loss(torch.tensor([-2.0, 0.5]))[0].item() == pytest.approx(0.75)


def test_wgan_gp_drift_term() -> None:
    loss, _ = tiny_loss("wgan-gp", drift=0.001)
    value, scalars = loss.d_loss(torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.5]))
    assert scalars["drift"].item() == pytest.approx(5.0)  # E[D(x)^2]
    assert value.item() == pytest.approx(-2.25 + 0.001 * 5.0)


def test_gradient_penalty_equals_its_definition_on_a_linear_critic() -> None:
    torch.manual_seed(3)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(12, 1))  # D(x) = w.x + b: grad_x D = w
    real, fake = torch.randn(5, 3, 2, 2), torch.randn(5, 3, 2, 2)
    penalty = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(0))
    weight = critic[1].weight
    norm = weight.detach().norm()
    assert penalty.item() == pytest.approx((norm.item() - 1) ** 2, rel=1e-5)
    (gradient,) = torch.autograd.grad(penalty, weight)
    assert torch.allclose(gradient, 2 * (norm - 1) * weight.detach() / norm, atol=1e-5)


def test_lazy_gradient_penalty_is_weighted_by_its_interval() -> None:
    loss, _ = tiny_loss("wgan-gp", gp_every=4, gp_weight=10.0)
    assert loss.reg_every == 4
    real, fake = torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2)
    scores = loss.nets.discriminator(real)
    term, scalars = loss.d_regularizer(real, fake, scores)
    assert term.item() == pytest.approx(40.0 * scalars["grad_penalty"].item(), rel=1e-6)
    z = torch.randn(3, 4, 1, 1)
    assert "grad_penalty" not in loss.d_step(real, z, regularize=False)
    assert "grad_penalty" in loss.d_step(real, z, regularize=True)


def test_clipping_keeps_every_critic_weight_within_the_clip_value() -> None:
    loss, nets = tiny_loss("wgan", clip_value=0.01)
    with torch.no_grad():
        for parameter in nets.discriminator.parameters():
            parameter.fill_(0.5)
    loss.d_step(torch.randn(4, 1, 2, 2), torch.randn(4, 4, 1, 1))
    for parameter in nets.discriminator.parameters():
        assert parameter.abs().max().item() <= 0.01


def _same(before: list[torch.Tensor], network: nn.Module) -> bool:
    return all(torch.equal(a, b) for a, b in zip(before, network.parameters(), strict=True))


def test_each_phase_updates_only_its_own_network() -> None:
    for name in LOSSES:
        loss, nets = tiny_loss(name)
        g_before = [p.clone() for p in nets.generator.parameters()]
        d_before = [p.clone() for p in nets.discriminator.parameters()]
        z = torch.randn(4, 4, 1, 1)
        scalars = loss.d_step(torch.rand(4, 1, 2, 2) * 2 - 1, z)
        assert _same(g_before, nets.generator) and not _same(d_before, nets.discriminator)
        d_after = [p.clone() for p in nets.discriminator.parameters()]
        scalars.update(loss.g_step(z))
        assert _same(d_after, nets.discriminator) and not _same(g_before, nets.generator)
        assert set(scalars) <= set(loss.names), name
        assert all(v.dim() == 0 and not v.requires_grad for v in scalars.values()), name


def test_g_step_reuses_the_last_d_step_fake() -> None:
    loss, nets = tiny_loss("bce")
    z = torch.randn(4, 4, 1, 1)
    loss.d_step(torch.rand(4, 1, 2, 2), z)
    calls = nets.generator.calls
    loss.g_step(z)
    assert nets.generator.calls == calls  # no second G forward for the same z
    loss.g_step(torch.randn(4, 4, 1, 1))
    assert nets.generator.calls == calls + 1


def test_bce_logs_probabilities_and_other_losses_log_raw_scores() -> None:
    real, z = torch.rand(4, 1, 2, 2), torch.randn(4, 4, 1, 1)
    logged = {}
    for name in ("bce", "lsgan", "wgan"):
        loss, nets = tiny_loss(name)
        with torch.no_grad():
            nets.discriminator.linear.weight.zero_()
            nets.discriminator.linear.bias.fill_(3.0)  # D(x) = 3 for every image
        logged[name] = loss.d_step(real, z)
    assert logged["bce"]["d_x"].item() == pytest.approx(sigmoid(3.0))
    assert logged["lsgan"]["d_real"].item() == pytest.approx(3.0)
    assert logged["wgan"]["critic_real"].item() == pytest.approx(3.0)


# ---------------------------------------------------------------------- labels


def test_smoothing_draws_stay_in_range_and_are_fresh() -> None:
    labels = LabelSampler(LossConfig(real_label_range=[0.7, 1.0], fake_label_range=[0.0, 0.3]),
                          torch.Generator().manual_seed(0))
    first = labels.real(128, "cpu")
    for _ in range(20):
        real, fake = labels.real(128, "cpu"), labels.fake(128, "cpu")
        assert real.min() >= 0.7 and real.max() <= 1.0
        assert fake.min() >= 0.0 and fake.max() <= 0.3
    assert real.std() > 0.05 and not torch.equal(first, real)


def test_label_draws_never_touch_the_global_rng() -> None:
    generator = torch.Generator().manual_seed(0)
    labels = LabelSampler(LossConfig(real_label_range=[0.7, 1.0], flip_prob=0.2), generator)
    before = torch.get_rng_state()
    labels.real(64, "cpu")
    labels.fake(64, "cpu")
    assert torch.equal(torch.get_rng_state(), before)


def test_point_ranges_draw_nothing_and_one_sided_smoothing_is_a_point() -> None:
    generator = torch.Generator().manual_seed(0)
    state = generator.get_state()
    labels = LabelSampler(LossConfig(real_label_range=[0.9, 0.9]), generator)
    assert torch.equal(labels.real(4, "cpu"), torch.full((4,), 0.9))
    assert torch.equal(labels.fake(4, "cpu"), torch.zeros(4))
    assert torch.equal(generator.get_state(), state)


def test_flipping_swaps_about_flip_prob_of_the_targets() -> None:
    labels = LabelSampler(LossConfig(flip_prob=0.25), torch.Generator().manual_seed(0))
    real = labels.real(20000, "cpu")
    assert set(real.unique().tolist()) == {0.0, 1.0}
    assert (real == 0).float().mean().item() == pytest.approx(0.25, abs=0.02)
    assert (labels.fake(20000, "cpu") == 1).float().mean().item() == pytest.approx(0.25, abs=0.02)
