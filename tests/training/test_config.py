"""The v1/v2/v3 ladder, inheritance, profiles, --set and config errors."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from tests.training.conftest import EXPERIMENTS, REQUIRED_KEYS, write_study
from training import config as config_module
from training.config import CROSS_CHECKS, SECTIONS, CrossCheck
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
    assert config.profile.changed["train.epochs"] == [400, 28]
    assert config.profile.changed["dataset.image_size"] == [64, 32]
    assert config.dataset.image_size == 32 and config.train.epochs == 28
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


# --------------------------------------------------------------------------- bad inputs (issue 11)


def _study_error(tmp_path: Path, study: str, overrides=(), profile=FULL) -> UserError:
    """Resolve v1 of a one-version study whose study.yaml is `study`; return the UserError."""
    folder = write_study(tmp_path / "s", "s", {"study": study, "v1": "title: one\n"})
    with pytest.raises(UserError) as caught:
        resolve(load_study(folder), "v1", profile, list(overrides))
    return caught.value


def test_a_key_written_twice_in_a_section_is_refused_naming_file_line_and_key(
    tmp_path: Path,
) -> None:
    study = "versions: [v1]\ntrain:\n  epochs: 30\n  batch_size: 64\n  epochs: 300\n"
    error = _study_error(tmp_path, study)
    assert error.source.endswith("study.yaml") and error.key == "line 5"
    assert "train.epochs is written twice (first on line 3)" in error.message


def test_a_top_level_key_written_twice_in_a_version_file_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, "title: two\nparent: v1\ntitle: deux\n")
    assert error.source.endswith("v2.yaml") and error.key == "line 3"
    assert "title is written twice (first on line 1)" in error.message


def test_a_yaml_merge_key_may_restate_what_it_merges(tmp_path: Path) -> None:
    """`<<: *base` then a key of base is YAML's way to override, not a duplicate."""
    study = (
        "versions: [v1]\nbase: &base {epochs: 3, batch_size: 8}\n"
        "train:\n  <<: *base\n  epochs: 4\n"
    )
    error = _study_error(tmp_path, study)  # `base` itself is an unknown key, nothing else
    assert error.key == "base" and "unknown key" in error.message


def _float_keys() -> list[str]:
    """Every section key whose type holds a float (lr, betas, label ranges, dropout, ...)."""
    keys = []
    for name, cls in SECTIONS.items():
        for key, hint in typing.get_type_hints(cls).items():
            if "float" in str(hint):
                keys.append(f"{name}.{key}")
    return keys


def _yaml_value(key: str, number: str) -> str:
    return f"[{number}, 1.0]" if key.endswith(("_range", "_betas")) else number


@pytest.mark.parametrize("number", [".inf", "-.inf", ".nan", "1e999"])
@pytest.mark.parametrize("key", _float_keys())
def test_an_infinite_or_nan_number_in_a_study_file_is_refused(
    tmp_path: Path, key: str, number: str
) -> None:
    section, leaf = key.split(".")
    value = _yaml_value(key, number)
    error = _study_error(tmp_path, f"versions: [v1]\n{section}:\n  {leaf}: {value}\n")
    assert error.source.endswith("study.yaml") and error.key == key
    assert "expected a finite number" in error.message


@pytest.mark.parametrize("number", [".inf", "-.inf", ".nan"])
@pytest.mark.parametrize("key", ["optim.lr", "loss.real_label_range", "optim.g_betas"])
def test_an_infinite_or_nan_number_given_with_set_is_refused(
    tmp_path: Path, key: str, number: str
) -> None:
    error = _error(tmp_path, "title: two\n", overrides=[f"{key}={_yaml_value(key, number)}"])
    assert (error.source, error.key) == ("--set", key)
    assert "expected a finite number" in error.message


def test_the_float_keys_cover_every_kind_of_float_setting() -> None:
    keys = _float_keys()
    assert {"optim.lr", "optim.g_lr", "optim.d_betas", "loss.fake_label_range"} <= set(keys)
    assert {"model.d_dropout", "loss.clip_value", "loss.gp_weight", "loss.drift"} <= set(keys)
    assert "train.epochs" not in keys


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("model.z_dim", "0", "[1, 2048]"),
        ("model.z_dim", "100000", "[1, 2048]"),
        ("model.g_features", "4096", "[1, 1024]"),
        ("dataset.count", "0", "[1, 1000000]"),
        ("dataset.count", "60000000", "[1, 1000000]"),
        ("dataset.seed", "-1", "[0, 4294967295]"),
        ("train.epochs", "0", "[1, 100000]"),
        ("train.batch_size", "1", "BatchNorm needs two images"),
        ("optim.lr", "5", "(0, 1]"),
        ("optim.d_lr", "0", "(0, 1]"),
        ("loss.n_critic", "0", "[1, 100]"),
        ("loss.flip_prob", "0.5", "[0, 0.5)"),
    ],
)
def test_an_out_of_range_number_is_refused_naming_file_and_range(
    tmp_path: Path, key: str, value: str, expected: str
) -> None:
    section, leaf = key.split(".")
    error = _study_error(tmp_path, f"versions: [v1]\n{section}:\n  {leaf}: {value}\n")
    assert error.source.endswith("study.yaml") and error.key == key
    assert expected in error.message


def test_a_seed_out_of_range_is_refused(tmp_path: Path) -> None:
    error = _study_error(tmp_path, "versions: [v1]\nseed: 4294967296\n")
    assert error.key == "seed" and "[0, 4294967295]" in error.message
    error = _error(tmp_path, "title: two\n", overrides=["seed=-3"])
    assert (error.source, error.key) == ("--set", "seed")


@pytest.mark.parametrize("profile", ["full", "cpu", "smoke"])
def test_an_image_size_only_the_cpu_profile_would_fix_is_refused_whatever_the_profile(
    tmp_path: Path, profile: str
) -> None:
    """48 px is capped to 32 by the cpu profile, but the recipe itself cannot run."""
    error = _study_error(
        tmp_path, "versions: [v1]\ndataset:\n  image_size: 48\n", profile=PROFILES[profile]
    )
    assert error.source.endswith("study.yaml") and error.key == "dataset.image_size"
    assert "got 48" in error.message


def test_a_bad_value_from_set_is_refused_after_the_profile(tmp_path: Path) -> None:
    error = _error(tmp_path, "title: two\n", overrides=["dataset.image_size=48"])
    assert (error.source, error.key) == ("--set", "dataset.image_size")


# --------------------------------------------------------------------------- cross-key checks


@pytest.mark.parametrize("kind", ["folder", "mnist", "svhn", "cifar10"])
def test_a_dataset_kind_that_reads_files_without_a_path_is_refused(
    tmp_path: Path, kind: str
) -> None:
    error = _study_error(tmp_path, f"versions: [v1]\ndataset: {{kind: {kind}}}\n")
    assert error.source.endswith("study.yaml") and error.key == "dataset.path"
    assert f"dataset.kind {kind} reads files" in error.message
    assert "dataset.path null from defaults" in error.message


def test_tf_tutorial_nets_at_64_px_are_refused_and_at_28_accepted(tmp_path: Path) -> None:
    error = _study_error(tmp_path, "versions: [v1]\nmodel: {arch: tf_tutorial}\n")
    assert error.key == "model.arch"
    assert "tf_tutorial makes 28, 32 px images, not 64" in error.message
    folder = write_study(
        tmp_path / "ok", "ok",
        {"study": "versions: [v1]\nmodel: {arch: tf_tutorial}\ndataset: {image_size: 28}\n",
         "v1": ""},
    )
    assert resolve(load_study(folder), "v1", FULL, []).dataset.image_size == 28


def test_wgan_gp_with_a_batchnorm_critic_is_refused(tmp_path: Path) -> None:
    error = _study_error(tmp_path, "versions: [v1]\nloss: {name: wgan-gp}\n")
    assert error.source.endswith("study.yaml") and error.key == "loss.name"
    assert "layer, instance or none" in error.message
    folder = write_study(
        tmp_path / "ok", "ok",
        {"study": "versions: [v1]\nloss: {name: wgan-gp}\nmodel: {d_norm: layer}\n", "v1": ""},
    )
    assert resolve(load_study(folder), "v1", FULL, []).model.d_norm == "layer"


def test_a_cross_key_error_names_the_layer_that_set_a_value_last(tmp_path: Path) -> None:
    """wgan-gp in study.yaml, BatchNorm put back by v2.yaml: the error points at v2.yaml."""
    folder = write_study(
        tmp_path / "s", "s",
        {"study": "versions: [v1, v2]\nloss: {name: wgan-gp}\nmodel: {d_norm: none}\n",
         "v1": "", "v2": "parent: v1\nmodel: {d_norm: batch}\n"},
    )
    with pytest.raises(UserError) as caught:
        resolve(load_study(folder), "v2", FULL, [])
    assert caught.value.source.endswith("v2.yaml") and caught.value.key == "model.d_norm"
    assert "loss.name 'wgan-gp' from" in caught.value.message
    error = _error(tmp_path, "title: two\n", overrides=["loss.name=wgan-gp"])
    assert (error.source, error.key) == ("--set", "loss.name")


@pytest.mark.parametrize("betas", ["[0.5]", "[0.5, 0.9, 0.99]", "0.5"])
def test_optimizer_betas_that_are_not_a_pair_are_refused(tmp_path: Path, betas: str) -> None:
    error = _study_error(tmp_path, f"versions: [v1]\noptim:\n  g_betas: {betas}\n")
    assert error.key == "optim.g_betas"
    assert "a pair of numbers [beta1, beta2] or null" in error.message


def test_betas_for_an_rmsprop_network_are_refused(tmp_path: Path) -> None:
    error = _study_error(
        tmp_path, "versions: [v1]\noptim: {d_name: rmsprop, d_betas: [0.5, 0.9]}\n"
    )
    assert error.key == "optim.d_betas" and "rmsprop has no betas" in error.message


def test_a_dataset_smaller_than_one_batch_is_refused(tmp_path: Path) -> None:
    error = _study_error(tmp_path, "versions: [v1]\ndataset: {count: 100}\n")
    assert error.key in ("dataset.count", "train.batch_size")
    assert "dataset.count 100" in error.message and "train.batch_size 128" in error.message
    # after the profile, the values used count: the smoke profile's 48 images, a batch of 64
    folder = write_study(tmp_path / "ok", "ok", {"study": "versions: [v1]\n", "v1": ""})
    with pytest.raises(UserError) as caught:
        resolve(load_study(folder), "v1", PROFILES["smoke"], ["train.batch_size=64"])
    assert (caught.value.source, caught.value.key) == ("--set", "train.batch_size")
    assert "dataset.count 48 from --profile smoke" in caught.value.message


def test_a_new_cross_key_check_is_one_entry_and_runs_on_recipe_and_used_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook the networks' size rule will use: one CrossCheck appended to the list."""
    rule = CrossCheck(
        ("model.arch", "dataset.image_size"),
        lambda arch, size: arch != "dcgan" or size != 16,
        lambda arch, size: f"{arch} cannot make {size} px images",
    )
    monkeypatch.setattr(config_module, "CROSS_CHECKS", [*CROSS_CHECKS, rule])
    error = _study_error(tmp_path, "versions: [v1]\ndataset: {image_size: 16}\n")
    assert error.source.endswith("study.yaml") and error.key == "dataset.image_size"
    assert error.message.startswith("dcgan cannot make 16 px images (here model.arch 'dcgan'")
    error = _error(tmp_path, "title: two\n", overrides=["dataset.image_size=16"])
    assert (error.source, error.key) == ("--set", "dataset.image_size")


def test_an_arch_that_cannot_make_the_recipe_size_is_refused_whatever_the_profile(
    tmp_path: Path,
) -> None:
    """linear nets stop at 64 px: a 128 px recipe fails even where the cpu profile caps to 32."""
    folder = write_study(
        tmp_path / "s", "s",
        {"study": "versions: [v1]\nmodel: {arch: linear}\ndataset: {image_size: 128}\n",
         "v1": ""},
    )
    for profile in (FULL, pick_profile("cpu", "cpu")):
        with pytest.raises(UserError, match="linear makes 16, 28, 32, 64 px images, not 128"):
            resolve(load_study(folder), "v1", profile, [])
