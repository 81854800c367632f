"""The v1/v2/v3 ladder, inheritance, profiles, --set and config errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.conftest import EXPERIMENTS, REQUIRED_KEYS, write_study
from training.errors import UserError
from training.profiles import PROFILES, pick_profile
from training.study import load_study, locate, resolve

FULL = PROFILES["full"]


def _resolve(version: str, study: str = "abstract", profile=FULL, overrides=()):
    return resolve(load_study(EXPERIMENTS / study), version, profile, list(overrides))


@pytest.mark.parametrize("study", ["abstract", "japanese-art"])
def test_v1_is_the_dcgan_tutorial_recipe(study: str) -> None:
    config = _resolve("v1", study)
    assert (config.order, config.parent, config.profile.changed) == (1, None, {})
    assert config.model.z_dim == 100 and config.model.g_activation == "relu"
    assert (config.model.g_features, config.model.d_features) == (64, 64)
    assert config.dataset.image_size == 64
    assert config.train.batch_size == 128 and config.train.epochs == 300
    assert (config.optim.lr, config.optim.beta1, config.optim.beta2) == (0.0005, 0.5, 0.999)
    assert config.loss.name == "bce"
    assert config.loss.real_label_range == [1.0, 1.0]
    assert config.loss.fake_label_range == [0.0, 0.0]


@pytest.mark.parametrize("study", ["abstract", "japanese-art"])
def test_v2_smoothing_and_leaky_generator(study: str) -> None:
    config = _resolve("v2", study)
    assert (config.order, config.parent) == (2, "v1")
    assert config.loss.real_label_range == [0.7, 1.0]
    assert config.loss.fake_label_range == [0.0, 0.3]
    assert config.model.g_activation == "leaky_relu"
    assert config.train.epochs == 100
    assert config.optim.lr == 0.0005 and config.train.batch_size == 128  # inherited


@pytest.mark.parametrize("study", ["abstract", "japanese-art"])
def test_v3_smoothing_only(study: str) -> None:
    config = _resolve("v3", study)
    assert (config.order, config.parent) == (3, "v2")
    assert config.loss.real_label_range == [0.7, 1.0]
    assert config.loss.fake_label_range == [0.0, 0.3]
    assert config.model.g_activation == "relu"
    assert config.train.epochs == 400


def test_required_top_level_keys_and_shared_noise_seed() -> None:
    trees = [_resolve(v).to_dict() for v in ("v1", "v2", "v3")]
    for tree in trees:
        for key in REQUIRED_KEYS:
            assert key in tree
        assert tree["title"] and tree["description"] and "sources" not in tree
    assert len({tree["noise_seed"] for tree in trees}) == 1


def test_cpu_profile_records_what_it_changed() -> None:
    config = _resolve("v3", profile=pick_profile("auto", "cpu"))
    assert config.profile.name == "cpu"
    assert config.profile.changed["train.epochs"] == [400, 36]
    assert config.profile.changed["dataset.image_size"] == [64, 32]
    assert config.dataset.image_size == 32 and config.train.epochs == 36
    assert config.loss.real_label_range == [0.7, 1.0]  # the method is never changed
    assert pick_profile("auto", "cuda").name == "full"


def test_set_overrides_are_yaml_typed_and_recorded() -> None:
    config = _resolve(
        "v1",
        overrides=["train.epochs=3", "optim.lr=1e-3", "loss.real_label_range=[0.9, 1]", "seed=7"],
    )
    assert config.train.epochs == 3 and config.optim.lr == 0.001 and config.seed == 7
    assert config.loss.real_label_range == [0.9, 1.0]
    assert config.profile.changed["train.epochs"] == [300, 3]
    assert config.overrides[0] == "train.epochs=3"


def test_locate_a_version_file() -> None:
    study, versions = locate(EXPERIMENTS / "abstract" / "v2.yaml")
    assert (study.name, versions) == ("abstract", ["v2"])


STUDY = "title: T\nversions: [v1, v2]\ndataset: {image_size: 32}\n"


def _error(tmp_path: Path, v2: str, overrides=()) -> UserError:
    folder = write_study(tmp_path / "s", "s", {"study": STUDY, "v1": "title: one\n", "v2": v2})
    with pytest.raises(UserError) as caught:
        resolve(load_study(folder), "v2", FULL, list(overrides))
    return caught.value


def test_mistyped_key_names_file_key_and_close_match(tmp_path: Path) -> None:
    error = _error(tmp_path, "parent: v1\nloss:\n  real_lable_range: [0.7, 1.0]\n")
    assert error.source.endswith("v2.yaml") and error.key == "loss.real_lable_range"
    assert "did you mean loss.real_label_range" in str(error)


def test_key_in_the_wrong_section_suggests_the_right_one(tmp_path: Path) -> None:
    error = _error(tmp_path, "lr: 0.001\n")
    assert error.key == "lr" and "optim.lr" in error.message


def test_wrong_type_names_the_expected_type(tmp_path: Path) -> None:
    error = _error(tmp_path, "train:\n  epochs: ten\n")
    assert error.key == "train.epochs" and "expected an integer" in error.message
    error = _error(tmp_path, "model:\n  g_activation: tanh\n")
    assert "one of relu, leaky_relu" in error.message


def test_out_of_range_value_names_its_source(tmp_path: Path) -> None:
    error = _error(tmp_path, "loss:\n  real_label_range: [1.0, 0.7]\n")
    assert error.source.endswith("v2.yaml") and "lo <= hi" in error.message
    error = _error(tmp_path, "title: two\n", overrides=["train.batch_size=1"])
    assert (error.source, error.key) == ("--set", "train.batch_size")


def test_bad_set_key_and_syntax(tmp_path: Path) -> None:
    error = _error(tmp_path, "title: two\n", overrides=["optim.lrr=0.1"])
    assert error.source == "--set" and "optim.lr" in error.message
    error = _error(tmp_path, "title: two\n", overrides=["train.epochs"])
    assert "key=value" in error.message


def test_noise_seed_belongs_to_the_study(tmp_path: Path) -> None:
    assert "study.yaml" in _error(tmp_path, "noise_seed: 5\n").message


def test_inheritance_loop_and_missing_parent(tmp_path: Path) -> None:
    folder = write_study(
        tmp_path / "s", "s", {"study": STUDY, "v1": "parent: v2\n", "v2": "parent: v1\n"}
    )
    with pytest.raises(UserError, match="loops"):
        resolve(load_study(folder), "v2", FULL, [])
    assert "does not exist" in _error(tmp_path, "parent: v9\n").message


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "title: two\nloss: [unclosed\n")
    assert error.key.startswith("line ")


def test_study_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="study.yaml"):
        locate(tmp_path)
    folder = write_study(tmp_path / "s", "s", {"study": "versions: [v1, v7]\n", "v1": ""})
    with pytest.raises(UserError, match="v7"):
        load_study(folder)
