"""Every experiment in the repo resolves under every profile, and the new studies' data errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.training.conftest import EXPERIMENTS, MNIST_DIR
from training.cli import main
from training.study import load_study, resolve

STUDIES = sorted(path.parent.name for path in EXPERIMENTS.glob("*/study.yaml"))


@pytest.mark.parametrize("name", STUDIES)
@pytest.mark.parametrize("profile", ["full", "cpu", "smoke"])
def test_every_version_of_every_study_resolves_under_every_profile(name: str, profile: str) -> None:
    study = load_study(EXPERIMENTS / name)
    for version in study.versions:
        resolve(study, version, profile, [])


@pytest.mark.parametrize("name", ["abstract-lsgan", "mnist", "svhn", "best-artworks"])
def test_the_cpu_profile_records_what_it_changed(name: str) -> None:
    study = load_study(EXPERIMENTS / name)
    config = resolve(study, study.versions[0], "cpu", []).to_dict()
    assert config["profile"]["changed"], config["profile"]


# Two steps per version: 8 images, batch 4, one epoch. SVHN and best-artworks use the
# procedural stand-in, asked for explicitly as a user would.
STAND_IN = {"svhn": ["dataset.kind=procedural"], "best-artworks": ["dataset.kind=procedural"],
            "mnist": [f"dataset.path={MNIST_DIR}"]}
TWO_STEPS = ["dataset.count=8", "train.batch_size=4", "train.epochs=1",
             "model.g_features=8", "model.d_features=8"]


@pytest.mark.parametrize("name", ["abstract-lsgan", "mnist", "svhn", "best-artworks"])
def test_every_version_trains_two_steps_without_nan(name: str, tmp_path: Path) -> None:
    sets = [f"--set={item}" for item in TWO_STEPS + STAND_IN.get(name, [])]
    argv = [str(EXPERIMENTS / name), "--out", str(tmp_path), "--profile", "smoke",
            "--device", "cpu", "--no-progress", *sets]
    assert main(argv) == 0
    for version in load_study(EXPERIMENTS / name).versions:
        lines = (tmp_path / name / version / "metrics.jsonl").read_text().splitlines()
        rows = [json.loads(line) for line in lines]
        assert rows and rows[-1]["step"] >= 1  # 2 batches: 2 G steps, or 1 with n_critic > 1
        for row in rows:
            assert all(math.isfinite(v) for v in row.values() if isinstance(v, float)), row


@pytest.mark.parametrize(("name", "expected"), [("svhn", "train_32x32.mat"),
                                                ("best-artworks", "put your images there")])
def test_absent_data_is_one_line_naming_the_files_and_never_a_silent_stand_in(
    name: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [str(EXPERIMENTS / name), "--out", str(tmp_path / "runs"), "--profile", "cpu",
            "--device", "cpu", "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err
    assert not (tmp_path / "runs" / name).exists() or not any((tmp_path / "runs" / name).iterdir())
