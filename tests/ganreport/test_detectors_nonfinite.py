"""NaN/inf: the step where it started (exact), which keys, the last finite values."""

from __future__ import annotations

import math

import numpy as np

from ganreport.detectors import nonfinite

from .test_detectors_synthetic import clean_columns, clean_run, rows_from


def test_clean_runs_are_finite():
    assert nonfinite.detect(clean_run(1000, 0)) == []


def test_the_first_non_finite_step_and_the_last_finite_values():
    columns = clean_columns(1000, 1)
    columns["loss_g"][640] = 1e4  # an explosion first
    columns["loss_g"][641:] = np.nan  # then null from step 642 to the end
    columns["loss_d"][643:] = np.inf
    (found,) = nonfinite.find_non_finite(rows_from(columns), "bce")
    assert found.steps == (642, 1000) and found.epochs == (7, 10)
    assert found.evidence["keys"] == ["loss_d", "loss_g"]
    assert found.evidence["last_finite"] == {"loss_g": 1e4}
    assert found.severity == "critical" and not found.evidence["recovered"]
    assert "step 642" in found.sentence and "did not recover" in found.sentence


def test_a_stretch_that_recovers_and_nan_floats():
    rows = rows_from(clean_columns(300, 2))
    rows[100]["d_x"] = math.nan  # a reader that kept NaN instead of null
    rows[101]["d_x"] = None
    (found,) = nonfinite.find_non_finite(rows, "bce")
    assert found.steps == (101, 102) and found.evidence["recovered"]


def test_missing_keys_and_bookkeeping_are_not_non_finite():
    rows = [{"step": 1, "epoch": 1, "loss_d": 0.5, "loss_g": 1.0, "elapsed_s": None},
            {"step": 2, "epoch": 1, "loss_d": 0.5},  # loss_g not logged in this row
            {"step": 3, "epoch": None, "loss_d": 0.4, "loss_g": 1.1, "alpha": None}]
    assert nonfinite.find_non_finite(rows, "bce") == []
    rows[1]["wasserstein"] = None  # a critic key: only wgan-style runs log it
    assert nonfinite.find_non_finite(rows, "bce") == []
    assert [f.steps for f in nonfinite.find_non_finite(rows, "wgan")] == [(2, 2)]
