"""Loss spikes: injected spikes found at their step, clean runs quiet.

Tolerance: the peak step is exact (the row with the highest z); a burst's range is exact
when every row of it clears the threshold (all of them here).
"""

from __future__ import annotations

import numpy as np
import pytest

from ganreport.detectors import spikes

from .test_detectors_synthetic import clean_columns, clean_run, rows_from


@pytest.mark.parametrize("seed", range(6))
def test_clean_runs_have_no_spikes(seed):
    assert spikes.detect(clean_run(3000, seed)) == []


def test_injected_spikes_are_found_at_their_steps():
    columns = clean_columns(2000, 1)
    columns["loss_g"][699] *= 4  # one row: step 700
    columns["loss_g"][1499:1502] += np.array([6.0, 9.0, 7.0])  # a burst, peak at step 1501
    columns["loss_d"][299] += 2.5  # step 300
    found = spikes.find_spikes(rows_from(columns), "loss_g", "bce")
    assert [f.evidence["peak_step"] for f in found] == [700, 1501]
    assert found[1].steps == (1500, 1502) and found[1].evidence["flagged_rows"] == 3
    assert found[0].epochs == (7, 7) and found[0].quantity == "loss_g"
    assert "spiked to" in found[0].sentence and "step 700" in found[0].sentence
    d_found = spikes.find_spikes(rows_from(columns), "loss_d", "bce")
    assert [f.evidence["peak_step"] for f in d_found] == [300]
    assert d_found[0].severity == "warning"  # 2.5 on a 0.08-noise loss: z far above 20


def test_a_level_shift_is_not_a_spike():
    columns = clean_columns(2000, 2)
    columns["loss_g"][1000:] += 3.0  # a sustained jump: divergence's business, not a spike
    assert spikes.find_spikes(rows_from(columns), "loss_g", "bce") == []


def test_near_constant_losses_need_a_real_jump():
    values = np.full(300, 1.386) + np.random.default_rng(0).normal(0, 1e-5, 300)
    values[150] = 1.40  # +1%: below the 2% floor on the scale
    assert spikes.find_spikes(rows_from({"loss_d": values}), "loss_d", "bce") == []
    values[200] = 2.5
    assert [f.steps for f in spikes.find_spikes(rows_from({"loss_d": values}), "loss_d",
                                                  "bce")] == [(201, 201)]


def test_nulls_and_short_runs_are_skipped():
    columns = clean_columns(400, 3)
    columns["loss_g"][100:110] = np.nan  # non-finite rows (null): not spikes
    assert spikes.find_spikes(rows_from(columns), "loss_g", "bce") == []
    assert spikes.find_spikes(rows_from({"loss_g": np.array([1.0, 50.0, 1.0])}), "loss_g",
                              "bce") == []
    assert spikes.find_spikes([], "loss_g", "bce") == []


def test_critic_losses_work_around_zero():
    rng = np.random.default_rng(4)
    values = rng.normal(-0.2, 0.5, 1000)
    values[600] = 6.0
    found = spikes.find_spikes(rows_from({"loss_d": values}), "loss_d", "wgan-gp")
    assert [f.evidence["peak_step"] for f in found] == [601]
    assert found[0].sentence.startswith("critic loss spiked")
