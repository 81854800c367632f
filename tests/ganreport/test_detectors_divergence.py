"""Divergence: a steady drift of the G–D gap to the end is found, from where it starts.

Tolerance: the reported start lies within 10% of the run's length of the injected one
(the gap is binned in 40 bins, and a trend only becomes significant after a few).
"""

from __future__ import annotations

import numpy as np
import pytest

from ganreport.detectors import divergence

from .test_detectors_synthetic import clean_columns, clean_run, rows_from


@pytest.mark.parametrize("seed", range(8))
def test_clean_runs_do_not_diverge(seed):
    assert divergence.detect(clean_run(2000, seed)) == []


def test_a_rising_generator_loss_is_found_from_its_start():
    columns = clean_columns(2000, 1)
    ramp = np.clip((np.arange(2000) - 1200) / 800, 0, None)  # 0 until row 1200, then to 1
    columns["loss_g"] += 2.0 * ramp
    columns["loss_d"] -= 0.3 * ramp
    (found,) = divergence.find_divergence(rows_from(columns), "bce")
    assert abs(found.steps[0] - 1201) <= 200 and found.steps[1] == 2000
    assert found.evidence["rise"] > 1.5 and found.evidence["kendall_tau"] >= 0.6
    assert "rose steadily" in found.sentence and "had not settled" in found.sentence
    assert found.epochs[1] == 20


def test_a_generator_that_keeps_winning_narrows_the_gap():
    columns = clean_columns(2000, 2)
    ramp = np.clip((np.arange(2000) - 600) / 1400, 0, None)
    columns["loss_d"] += 1.5 * ramp
    columns["loss_g"] -= 0.8 * ramp
    (found,) = divergence.find_divergence(rows_from(columns), "bce")
    assert abs(found.steps[0] - 601) <= 200
    assert found.evidence["rise"] < 0 and "fell steadily" in found.sentence


def test_a_trend_that_stopped_is_not_a_divergence():
    columns = clean_columns(2000, 3)
    ramp = np.clip((np.arange(2000) - 300) / 500, 0, 1)  # rises, then settles for 1200 rows
    columns["loss_g"] += 1.5 * ramp
    assert divergence.find_divergence(rows_from(columns), "bce") == []


def test_a_tiny_perfect_trend_is_not_a_divergence():
    columns = clean_columns(2000, 4)
    columns["loss_g"] += np.linspace(0, 0.05, 2000)  # steady, but small beside the noise
    assert divergence.find_divergence(rows_from(columns), "bce") == []


def test_short_runs_and_missing_keys_give_nothing():
    assert divergence.find_divergence(rows_from(clean_columns(30, 0)), "bce") == []
    assert divergence.find_divergence([{"step": 1, "loss_g": 1.0}] * 100, "bce") == []


def test_kendall_and_theil_sen_by_hand():
    assert divergence.kendall_tau(np.array([1.0, 2.0, 3.0])) == 1.0
    assert divergence.kendall_tau(np.array([3.0, 1.0, 2.0])) == pytest.approx(-1 / 3)
    slope, intercept = divergence.theil_sen(np.array([0.0, 2.0, 4.0, 100.0, 8.0]))
    assert slope == 2.0 and intercept == 0.0  # the outlier does not pull the line
