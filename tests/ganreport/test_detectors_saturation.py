"""D saturation: found where D(x) → 1 and D(G(z)) → 0 (BCE only), quiet otherwise.

Tolerance: the stretch's ends lie within WINDOW // 2 + 1 rows of the injected ones
(running medians over 9 rows shift an edge by up to 4).
"""

from __future__ import annotations

import pytest

from ganreport.detectors import saturation

from .test_detectors_synthetic import clean_columns, clean_run, rows_from

TOLERANCE = saturation.WINDOW // 2 + 1


@pytest.mark.parametrize("seed", range(6))
def test_clean_runs_are_not_saturated(seed):
    assert saturation.detect(clean_run(2000, seed)) == []


def test_a_saturated_stretch_and_one_to_the_end():
    columns = clean_columns(2000, 1)
    columns["d_x"][500:700], columns["d_g_z"][500:700] = 0.99, 0.01  # steps 501-700
    columns["d_x"][1600:], columns["d_g_z"][1600:] = 0.995, 0.004  # steps 1601-2000
    first, second = saturation.find_saturation(rows_from(columns), "bce")
    assert abs(first.steps[0] - 501) <= TOLERANCE and abs(first.steps[1] - 700) <= TOLERANCE
    assert first.severity == "warning" and "until step" in first.sentence
    assert abs(second.steps[0] - 1601) <= TOLERANCE and second.steps[1] == 2000
    assert second.severity == "critical" and "until the end of the run" in second.sentence
    assert second.evidence["d_x"] == pytest.approx(0.995, abs=0.01)


def test_brief_touches_and_one_sided_wins_are_not_saturation():
    columns = clean_columns(2000, 2)
    columns["d_x"][800:803], columns["d_g_z"][800:803] = 0.99, 0.01  # 3 rows
    columns["d_x"][1000:1400] = 0.99  # D(x) high but D(G(z)) not low
    assert saturation.find_saturation(rows_from(columns), "bce") == []


def test_only_bce_runs():
    columns = clean_columns(500, 3)
    columns["d_x"][:], columns["d_g_z"][:] = 0.99, 0.01
    assert saturation.find_saturation(rows_from(columns), "lsgan") == []
    assert len(saturation.find_saturation(rows_from(columns), "bce")) == 1
