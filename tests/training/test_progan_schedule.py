"""The progressive schedule: stages, alpha ramps and per-stage batch sizes from images seen."""

from __future__ import annotations

import pytest

from training.config import ProganConfig
from training.progan.schedule import batch_size, position, stage_count, stage_start

CONFIG = ProganConfig(start=4, target=32, fade_images=100, stabilise_images=50,
                      batch_sizes=[16, 8])


def test_stages_run_from_start_to_target_doubling() -> None:
    assert stage_count(CONFIG) == 4
    resolutions = [position(CONFIG, stage_start(CONFIG, s)).resolution for s in range(4)]
    assert resolutions == [4, 8, 16, 32]


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_alpha_goes_0_to_1_over_the_fade_in_and_stays_1_when_stable(stage: int) -> None:
    begin = stage_start(CONFIG, stage)
    fade = [position(CONFIG, begin + i) for i in range(0, CONFIG.fade_images, 10)]
    assert fade[0].alpha == 0.0 and all(p.fading for p in fade)
    alphas = [p.alpha for p in fade]
    assert alphas == sorted(alphas) and len(set(alphas)) == len(alphas)
    assert alphas[-1] == pytest.approx(0.9)
    stable = [position(CONFIG, begin + CONFIG.fade_images + i) for i in range(0, 50, 10)]
    assert all(p.alpha == 1.0 and not p.fading and p.stage == stage for p in stable)


def test_the_first_stage_has_no_fade_and_the_last_runs_on() -> None:
    assert position(CONFIG, 0) == position(CONFIG, 49)
    assert position(CONFIG, 0).alpha == 1.0 and position(CONFIG, 0).resolution == 4
    late = position(CONFIG, 10**9)
    assert (late.stage, late.resolution, late.alpha) == (3, 32, 1.0)


def test_batch_size_per_stage_repeats_the_last_entry() -> None:
    assert [batch_size(CONFIG, s, 64) for s in range(4)] == [16, 8, 8, 8]
    assert batch_size(ProganConfig(), 2, 64) == 64
