"""Profiles: scales keep the recipes' ratios, and each study may size its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.conftest import EXPERIMENTS, write_study
from training.errors import UserError
from training.profiles import PROFILES, Profile, apply_profile, pick_profile
from training.study import load_study, resolve

CPU = pick_profile("auto", "cpu")  # what the CLI passes on a machine without CUDA


def _steps(config) -> int:
    """Update steps of a run: whole batches per epoch (the remainder is dropped) x epochs."""
    return config.train.epochs * (config.dataset.count // config.train.batch_size)


# --------------------------------------------------------------------------- scales


@pytest.mark.parametrize("study", ["abstract", "japanese-art"])
def test_the_cpu_profile_keeps_the_recipes_epoch_ratio(study: str) -> None:
    loaded = load_study(EXPERIMENTS / study)
    full = [resolve(loaded, v, PROFILES["full"], []).train.epochs for v in loaded.versions]
    cpu = [resolve(loaded, v, CPU, []) for v in loaded.versions]
    assert full == [300, 100, 400]
    assert [c.train.epochs for c in cpu] == [21, 7, 28]  # 3:1:4, as the recipes
    assert cpu[2].profile.changed["train.epochs"] == [400, 28]


def test_the_cpu_profile_trains_the_default_study_as_docs_training_md_says() -> None:
    """21/7/28 epochs of 64 steps at half width: the setting measured to fit `make train`'s
    8 minutes on 2 cores with the best SWD (docs/training.md, How the cpu profile was
    chosen); the networks are twice as wide, so fewer steps than the earlier 36/12/48."""
    loaded = load_study(EXPERIMENTS / "abstract")
    configs = [resolve(loaded, v, CPU, []) for v in loaded.versions]
    assert [_steps(c) for c in configs] == [21 * 64, 7 * 64, 28 * 64]
    assert {(c.model.g_features, c.model.d_features, c.quality.samples) for c in configs} \
        == {(32, 32, 256)}


@pytest.mark.parametrize(
    ("value", "factor", "used"),
    [(300, 0.12, 36), (5, 0.5, 3), (7, 0.5, 4), (3, 0.1, 1), (1, 0.01, 1), (10, 2.0, 20)],
)
def test_a_scale_multiplies_an_integer_rounds_half_up_and_keeps_at_least_one(
    value: int, factor: float, used: int
) -> None:
    profile = Profile("p", "", scales={"train.epochs": factor})
    assert apply_profile({"train.epochs": value}, profile)["train.epochs"] == used


def test_a_scale_multiplies_a_float_and_leaves_null_alone() -> None:
    profile = Profile("p", "", scales={"optim.lr": 0.5, "dataset.count": 0.5})
    used = apply_profile({"optim.lr": 0.0002, "dataset.count": None}, profile)
    assert used == {"optim.lr": 0.0001, "dataset.count": None}


def test_scales_apply_before_caps_and_sets_last() -> None:
    profile = Profile(
        "p", "", caps={"train.epochs": 40}, scales={"train.epochs": 0.5},
        sets={"train.log_every": 3},
    )
    used = apply_profile({"train.epochs": 100, "train.log_every": 10}, profile)
    assert used == {"train.epochs": 40, "train.log_every": 3}


# --------------------------------------------------------------------------- per-study profiles


BASE = "title: T\nversions: [v1, v2]\ntrain: {epochs: 300}\n"
VERSIONS = {"v1": "title: one\n", "v2": "title: two\nparent: v1\ntrain: {epochs: 100}\n"}


def _study(tmp_path: Path, profiles: str, name: str = "s") -> Path:
    return write_study(tmp_path / name, name, {"study": BASE + profiles, **VERSIONS})


def _load_error(tmp_path: Path, profiles: str) -> UserError:
    with pytest.raises(UserError) as caught:
        load_study(_study(tmp_path, profiles))
    return caught.value


def test_a_study_s_cpu_profile_extends_the_built_in_one(tmp_path: Path) -> None:
    folder = _study(
        tmp_path,
        "profiles:\n  cpu:\n    description: quicker\n    scales: {train.epochs: 0.05}\n"
        "    caps: {train.batch_size: 16}\n",
    )
    study = load_study(folder)
    v1, v2 = (resolve(study, v, CPU, []) for v in ("v1", "v2"))
    assert (v1.train.epochs, v2.train.epochs) == (15, 5)
    assert v1.train.batch_size == 16 and v1.dataset.image_size == 32  # the built-in cap stays
    assert v1.profile.name == "cpu" and study.profiles["cpu"].description == "quicker"
    assert v1.profile.changed["train.epochs"] == [300, 15]
    assert v1.profile.changed["train.batch_size"] == [128, 16]
    assert v1.sources["train.epochs"] == f"{folder / 'study.yaml'} (profiles.cpu)"
    assert v1.sources["dataset.image_size"] == "--profile cpu"
    assert PROFILES["cpu"].caps["train.batch_size"] == 32  # the built-in is untouched


def test_a_key_the_study_mentions_drops_the_built_in_rules_on_it(tmp_path: Path) -> None:
    """A cap on epochs in the study replaces the built-in scale on epochs."""
    study = load_study(_study(tmp_path, "profiles:\n  cpu:\n    caps: {train.epochs: 20}\n"))
    assert "train.epochs" not in study.profiles["cpu"].scales
    assert resolve(study, "v2", "cpu", []).train.epochs == 20


def test_replace_true_starts_the_profile_from_nothing(tmp_path: Path) -> None:
    study = load_study(
        _study(tmp_path, "profiles:\n  cpu:\n    replace: true\n    sets: {train.epochs: 2}\n")
    )
    config = resolve(study, "v1", CPU, [])
    assert config.profile.changed == {"train.epochs": [300, 2]}
    assert config.dataset.image_size == 64


def test_a_study_may_add_a_profile_of_its_own_name(tmp_path: Path) -> None:
    study = load_study(
        _study(tmp_path, "profiles:\n  tiny:\n    description: d\n    caps: {dataset.count: 256}\n")
    )
    config = resolve(study, "v1", "tiny", [])
    assert (config.profile.name, config.dataset.count) == ("tiny", 256)
    assert pick_profile("tiny", "cpu", study.profiles) is study.profiles["tiny"]
    with pytest.raises(UserError, match="unknown profile; expected one of auto, full, cpu"):
        resolve(load_study(EXPERIMENTS / "abstract"), "v1", "tiny", [])


def test_an_extending_study_inherits_and_may_extend_the_profiles(tmp_path: Path) -> None:
    _study(tmp_path, "profiles:\n  cpu:\n    scales: {train.epochs: 0.1}\n", name="base")
    child = write_study(
        tmp_path / "child", "child",
        {"study": "extends: ../base\nprofiles:\n  cpu:\n    caps: {train.batch_size: 8}\n"},
    )
    config = resolve(load_study(child), "v1", CPU, [])
    assert (config.train.epochs, config.train.batch_size) == (30, 8)


def test_a_scale_that_leaves_a_value_out_of_range_names_the_study_profile(
    tmp_path: Path,
) -> None:
    folder = _study(tmp_path, "profiles:\n  cpu:\n    scales: {train.batch_size: 0.01}\n")
    with pytest.raises(UserError) as caught:
        resolve(load_study(folder), "v1", CPU, [])
    assert caught.value.source == f"{folder / 'study.yaml'} (profiles.cpu)"
    assert caught.value.key == "train.batch_size" and "got 1" in caught.value.message


@pytest.mark.parametrize(
    ("profiles", "key", "message"),
    [
        ("  cpu:\n    caps: {train.epoch: 3}\n", "profiles.cpu.caps.train.epoch",
         "did you mean train.epochs"),
        ("  cpu:\n    caps: {dataset.image_size: 48}\n", "profiles.cpu.caps.dataset.image_size",
         "got 48"),
        ("  cpu:\n    caps: {model.g_activation: relu}\n",
         "profiles.cpu.caps.model.g_activation", "numbers only"),
        ("  cpu:\n    caps: {dataset.count: null}\n", "profiles.cpu.caps.dataset.count",
         "expected a number"),
        ("  cpu:\n    scales: {train.epochs: 0}\n", "profiles.cpu.scales.train.epochs",
         "positive finite factor"),
        ("  cpu:\n    scales: {train.epochs: .inf}\n", "profiles.cpu.scales.train.epochs",
         "positive finite factor"),
        ("  cpu:\n    sets: {optim.lr: .nan}\n", "profiles.cpu.sets.optim.lr", "finite"),
        ("  cpu:\n    sets: {train.batch_size: 1}\n", "profiles.cpu.sets.train.batch_size",
         "BatchNorm"),
        ("  cpu:\n    limits: {}\n", "profiles.cpu.limits", "unknown key"),
        ("  cpu: 3\n", "profiles.cpu", "expected a mapping"),
        ("  full:\n    caps: {train.epochs: 3}\n", "profiles.full", "the recipe itself"),
        ("  auto: {}\n", "profiles.auto", "by device"),
        ("  my/cpu: {}\n", "profiles.my/cpu", "letters, digits"),
        ("  cpu:\n    replace: yes please\n", "profiles.cpu.replace", "true or false"),
    ],
)
def test_a_bad_profile_in_study_yaml_is_refused_naming_its_key(
    tmp_path: Path, profiles: str, key: str, message: str
) -> None:
    error = _load_error(tmp_path, "profiles:\n" + profiles)
    assert error.source.endswith("study.yaml") and error.key == key
    assert message in error.message
