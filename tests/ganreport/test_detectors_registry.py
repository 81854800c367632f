"""All detectors over one run: events in order, JSON-ready findings, clean runs quiet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from ganreport.detectors import DETECTORS, SEVERITIES, RunSeries, detect

from .test_detectors_synthetic import (
    STEPS_PER_EPOCH,
    clean_columns,
    make_grid,
    rows_from,
    smooth_images,
)

REPO = Path(__file__).resolve().parents[2]


def clean_series(seed: int = 0) -> RunSeries:
    """A 20-epoch healthy run: metrics, improving quality, varied grids, a real grid."""
    rng = np.random.default_rng(seed)
    quality = [{"epoch": epoch, "swd": 20 + 60 * np.exp(-epoch / 3) + rng.normal(0, 1),
                "msssim_fake": 0.1 + 0.8 * np.exp(-2 * epoch) + rng.normal(0, 0.01),
                "msssim_real": 0.08} for epoch in range(0, 21)]
    grids = {epoch: make_grid(smooth_images(64, 32, epoch)) for epoch in (0, 5, 10, 15, 20)}
    return RunSeries("bce", metrics=rows_from(clean_columns(20 * STEPS_PER_EPOCH, seed)),
                     quality=quality, floor={"swd": 18.0}, grids=grids,
                     real_grid=make_grid(smooth_images(64, 32, 99)))


def test_every_detector_is_quiet_on_a_clean_run():
    for seed in range(3):
        assert detect(clean_series(seed)) == []


def test_events_are_listed_in_the_order_they_happened():
    series = clean_series(1)
    columns = clean_columns(20 * STEPS_PER_EPOCH, 1)
    columns["loss_g"][449] += 12  # a spike at step 450
    columns["loss_g"][1800:] = np.nan  # non-finite from step 1801
    quality = [dict(row) for row in series.quality]
    for row in quality[12:]:
        row["swd"] += 3 * (row["epoch"] - 11)  # worse after epoch 11
    series = RunSeries("bce", metrics=rows_from(columns), quality=quality, floor=series.floor,
                       grids=series.grids, real_grid=series.real_grid)
    found = detect(series)
    assert [f.kind for f in found] == ["loss_spike", "quality_regression", "non_finite"]
    assert found[0].steps == (450, 450) and found[2].steps[0] == 1801
    assert all(f.severity in SEVERITIES for f in found)
    text = json.dumps([f.as_dict() for f in found])  # JSON-ready evidence
    assert "quality_regression" in text
    assert [f.kind for f in detect(series, ("non_finite",))] == ["non_finite"]


def test_the_registry_names_each_kind_it_reports():
    assert set(DETECTORS) == {"non_finite", "loss_spike", "divergence", "d_saturation",
                              "mode_collapse", "quality_regression", "checkerboard"}


def test_detectors_never_import_torch():
    code = ("import sys, ganreport.detectors; "
            "assert 'torch' not in sys.modules and 'training' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
