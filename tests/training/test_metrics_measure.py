"""measure / real_floor: the registry, the fixed real sample, the flat quality row."""

from __future__ import annotations

import pytest
import torch

from ganreport import runformat
from training.metrics import METRICS, Settings, measure, prepare_reference, real_floor
from training.metrics.measure import split_real

from .test_metrics_images import procedural, with_noise

FAST = Settings(metrics=("swd", "msssim"), samples=32, pairs=64)


@pytest.fixture(scope="module")
def images():
    return procedural(96, 16)


def test_every_registered_key_is_in_the_contract():
    for metric in METRICS.values():
        for key in metric.keys:
            assert runformat.quantity(key, "bce").file == runformat.QUALITY


def test_split_real_is_fixed_and_disjoint(images):
    first, second = split_real(images, 32, seed=0)
    again, _ = split_real(images, 32, seed=0)
    assert torch.equal(first, again) and first.shape == second.shape == (32, 3, 16, 16)
    as_rows = {tuple(row.flatten().tolist()) for row in first}
    assert not as_rows & {tuple(row.flatten().tolist()) for row in second}
    small_first, small_second = split_real(images[:10], 32, seed=0)
    assert small_first.shape[0] == small_second.shape[0] == 5


def test_measure_returns_a_flat_row(images):
    reference = prepare_reference(images, FAST)
    row = measure(procedural(128, 16)[96:], reference)
    assert set(row) == {"swd", "swd_16", "msssim_fake", "msssim_real", "samples", "measure_s"}
    assert row["samples"] == 32 and row["measure_s"] >= 0
    assert all(isinstance(value, (int, float)) for value in row.values())


def test_the_floor_is_below_a_degraded_batch(images):
    reference = prepare_reference(images, FAST)
    floor = real_floor(images, reference)
    _, second = split_real(images, 32, seed=0)
    assert floor["swd"] < measure(with_noise(second, 48), reference)["swd"]
    assert floor["msssim_real"] == reference.states["msssim"]
    collapsed = measure(second[:1].expand(32, -1, -1, -1), reference)
    assert collapsed["msssim_fake"] > floor["msssim_fake"] + 0.5


def test_generator_output_in_minus_one_to_one_is_accepted(images):
    reference = prepare_reference(images, FAST)
    _, second = split_real(images, 32, seed=0)
    as_float = second.float() / 127.5 - 1  # what G's tanh gives
    assert measure(as_float, reference) | {"measure_s": 0} == measure(second, reference) | {
        "measure_s": 0}


def test_mistakes_are_refused(images):
    reference = prepare_reference(images, FAST)
    with pytest.raises(ValueError, match="needs 32 generated images"):
        measure(images[:8], reference)
    with pytest.raises(ValueError, match="differ from the real"):
        measure(procedural(32, 32), reference)
    with pytest.raises(ValueError, match="other images"):
        real_floor(procedural(96, 16).flip(0), reference)
    with pytest.raises(ValueError, match="unknown quality metric 'isc'"):
        prepare_reference(images, Settings(metrics=("isc",)))


def test_measuring_leaves_the_training_random_stream_alone(images):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    reference = prepare_reference(images, FAST)
    measure(procedural(128, 16)[96:], reference)
    real_floor(images, reference)
    assert torch.equal(torch.rand(3), expected)
