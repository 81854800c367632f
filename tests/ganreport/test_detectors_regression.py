"""Quality regression: the best epoch well before the last, judged against noise and floor.

Tolerance: the best epoch is exact (the minimum of the measurements).
"""

from __future__ import annotations

import numpy as np
import pytest

from ganreport.detectors import RunSeries, regression

from .test_detectors_synthetic import STEPS_PER_EPOCH, clean_run


def rows(values, key="swd", start=1) -> list[dict]:
    return [{"epoch": start + index, key: value} for index, value in enumerate(values)]


def improving(count: int, seed: int) -> np.ndarray:
    """SWD falling towards 20 and flattening, with measurement noise."""
    rng = np.random.default_rng(seed)
    return 20 + 60 * np.exp(-np.arange(count) / 8) + rng.normal(0, 1.5, count)


@pytest.mark.parametrize("seed", range(8))
def test_an_improving_then_flat_run_has_no_regression(seed):
    assert regression.find_regression(rows(improving(40, seed)), "swd", {"swd": 15.0}) is None


def test_best_in_the_middle_and_worse_at_the_end_is_found():
    values = improving(40, 1)
    values[20:] += np.linspace(0, 30, 20)  # gets worse from epoch 21 to 40
    series = clean_run(40 * STEPS_PER_EPOCH, 0)
    series = RunSeries("bce", metrics=series.metrics, quality=rows(values),
                       floor={"swd": 15.0})
    (found,) = regression.detect(series)
    assert found.evidence["best_epoch"] == 1 + int(np.argmin(values))
    assert 15 <= found.epochs[0] <= 24 and found.epochs[1] == 40
    assert found.steps == ((found.epochs[0] - 1) * STEPS_PER_EPOCH + 1, 4000)
    assert found.evidence["floor"] == 15.0 and "floor of 15" in found.sentence
    assert found.severity == "critical"  # the end is more than twice as far from the floor


def test_one_bad_last_measurement_is_not_a_regression():
    values = improving(30, 2)
    values[-1] += 40
    assert regression.find_regression(rows(values), "swd") is None


def test_a_best_epoch_near_the_end_is_not_a_regression():
    values = list(improving(30, 3))
    values[-4] = 5.0  # best at epoch 27 of 30: after the first 80%
    assert regression.find_regression(rows(values), "swd") is None


def test_fid_and_missing_values():
    values = [90.0, 60.0, 30.0, 25.0, None, 40.0, 55.0, 70.0, 80.0, 85.0]
    found = regression.find_regression(rows(values, "fid"), "fid")
    assert found.evidence["best_epoch"] == 4 and found.sentence.startswith("FID was best")
    assert regression.find_regression(rows([1.0, 2.0, 3.0]), "swd") is None  # too few
