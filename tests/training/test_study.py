"""Study folders: version lists, names, `extends`, and every study in the repo resolving."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.conftest import EXPERIMENTS, write_study
from training.errors import UserError
from training.profiles import PROFILES
from training.study import load_study, locate, resolve

FULL = PROFILES["full"]
STUDIES = sorted(path.parent.name for path in EXPERIMENTS.glob("*/study.yaml"))


def _load_error(folder: Path) -> UserError:
    with pytest.raises(UserError) as caught:
        load_study(folder)
    return caught.value


# --------------------------------------------------------------------------- versions and names


def test_a_version_listed_twice_is_refused_naming_study_yaml(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "s", "s", {"study": "versions: [v1, v2, v1]\n", "v1": "",
                                              "v2": ""})
    error = _load_error(folder)
    assert error.source.endswith("study.yaml") and error.key == "versions"
    assert "lists v1 twice" in error.message


@pytest.mark.parametrize("name", ["../abstract/v1", "sub/v1", "v 1", ".hidden", "v1?", "-v1", ""])
def test_a_version_name_that_is_not_a_safe_folder_name_is_refused(
    tmp_path: Path, name: str
) -> None:
    folder = write_study(tmp_path / "s", "s", {"study": f"versions: [v1, {name!r}]\n", "v1": ""})
    error = _load_error(folder)
    assert error.source.endswith("study.yaml") and error.key == "versions"
    assert "cannot name a version" in error.message and "letters, digits" in error.message


def test_a_version_name_with_letters_digits_dots_dashes_and_underscores_is_fine(
    tmp_path: Path,
) -> None:
    folder = write_study(tmp_path / "s", "s", {"study": "versions: [v1, lr-2e.4_b]\n", "v1": "",
                                              "lr-2e.4_b": "parent: v1\n"})
    assert load_study(folder).versions == ["v1", "lr-2e.4_b"]


def test_a_parent_that_is_a_path_to_another_study_is_refused(tmp_path: Path) -> None:
    write_study(tmp_path / "other", "other", {"study": "versions: [v1]\n", "v1": ""})
    folder = write_study(
        tmp_path / "s", "s", {"study": "versions: [v1]\n", "v1": "parent: ../other/v1\n"}
    )
    with pytest.raises(UserError) as caught:
        resolve(load_study(folder), "v1", FULL, [])
    assert caught.value.source.endswith("v1.yaml") and caught.value.key == "parent"


@pytest.mark.parametrize("name", ["my study", "art&craft", ".study"])
def test_a_study_folder_with_an_odd_name_is_refused(tmp_path: Path, name: str) -> None:
    folder = write_study(tmp_path / name, name, {"study": "versions: [v1]\n", "v1": ""})
    error = _load_error(folder)
    assert error.key == "(folder name)" and "cannot name a study" in error.message


def test_a_study_run_from_inside_its_folder_gets_the_folder_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_study(tmp_path / "mine", "mine", {"study": "versions: [v1]\n", "v1": ""})
    monkeypatch.chdir(folder)
    study, versions = locate(Path("."))
    assert (study.name, versions) == ("mine", ["v1"])


# --------------------------------------------------------------------------- extends


def test_japanese_art_inherits_the_abstract_versions_and_states_only_its_data() -> None:
    assert sorted(p.name for p in (EXPERIMENTS / "japanese-art").iterdir()) == ["study.yaml"]
    study = load_study(EXPERIMENTS / "japanese-art")
    assert study.versions == ["v1", "v2", "v3"]
    for version in study.versions:
        art = resolve(study, version, FULL, []).to_dict()
        abstract = resolve(load_study(EXPERIMENTS / "abstract"), version, FULL, []).to_dict()
        differs = {k for k in art if art[k] != abstract[k]}
        assert differs == {"study", "study_title", "dataset"}
        assert art["dataset"]["kind"] == "folder" and art["dataset"]["count"] is None
        assert art["dataset"]["image_size"] == abstract["dataset"]["image_size"] == 64
        assert (art["study"], art["study_title"]) == ("japanese-art", "Japanese art DCGAN")


def test_an_inherited_setting_names_the_file_that_holds_it() -> None:
    config = resolve(load_study(EXPERIMENTS / "japanese-art"), "v2", FULL, [])
    assert config.sources["optim.lr"].endswith(str(Path("abstract") / "study.yaml"))
    assert config.sources["train.epochs"].endswith(str(Path("abstract") / "v2.yaml"))
    assert config.sources["dataset.kind"].endswith(str(Path("japanese-art") / "study.yaml"))


def test_an_inherited_version_can_be_named_as_a_file_of_the_extending_study() -> None:
    study, versions = locate(EXPERIMENTS / "japanese-art" / "v2.yaml")
    assert (study.name, versions) == ("japanese-art", ["v2"])
    with pytest.raises(UserError, match="not found"):
        locate(EXPERIMENTS / "japanese-art" / "v9.yaml")


BASE = "title: Base\nversions: [v1, v2, v3]\ntrain: {epochs: 30, batch_size: 16}\n"


def _base(tmp_path: Path) -> Path:
    return write_study(
        tmp_path / "base", "base",
        {"study": BASE, "v1": "title: one\n", "v2": "title: two\nparent: v1\ntrain: {epochs: 10}\n",
         "v3": "title: three\nparent: v2\n"},
    )


def test_a_version_file_in_both_studies_takes_the_extending_study_s(tmp_path: Path) -> None:
    """The child's v2.yaml replaces the base's whole (no merge); the inherited v3, whose
    parent is v2, then inherits from the child's v2."""
    _base(tmp_path)
    child = write_study(
        tmp_path / "child", "child",
        {"study": "title: Child\nextends: ../base\n", "v2": "title: mine\nparent: v1\n"},
    )
    study = load_study(child)
    v2, v3 = (resolve(study, v, FULL, []) for v in ("v2", "v3"))
    assert (v2.title, v2.train.epochs, v3.train.epochs) == ("mine", 30, 30)
    assert study.version_file("v2") == child / "v2.yaml"
    assert study.version_file("v3").resolve() == (tmp_path / "base" / "v3.yaml").resolve()
    assert v3.sources["title"] == str(study.version_file("v3"))


def test_an_extending_study_may_list_its_own_versions_and_override_settings(
    tmp_path: Path,
) -> None:
    _base(tmp_path)
    child = write_study(
        tmp_path / "child", "child",
        {"study": "extends: ../base\nversions: [v1, v3, v4]\ntrain: {batch_size: 8}\nseed: 5\n",
         "v4": "parent: v3\noptim: {lr: 0.001}\n"},
    )
    study = load_study(child)
    assert (study.title, study.versions) == ("child", ["v1", "v3", "v4"])
    v4 = resolve(study, "v4", FULL, [])
    assert (v4.order, v4.train.epochs, v4.train.batch_size, v4.seed) == (3, 10, 8, 5)
    assert v4.optim.lr == 0.001 and v4.title == "v4"  # titles are never inherited


def test_studies_that_extend_each_other_in_a_loop_are_refused(tmp_path: Path) -> None:
    write_study(tmp_path / "a", "a", {"study": "extends: ../b\n"})
    write_study(tmp_path / "b", "b", {"study": "extends: ../c\nversions: [v1]\n", "v1": ""})
    write_study(tmp_path / "c", "c", {"study": "extends: ../a\n"})
    error = _load_error(tmp_path / "a")
    assert error.source.endswith(str(Path("c") / "study.yaml")) and error.key == "extends"
    assert "loop: a -> b -> c -> a" in error.message


def test_a_study_that_extends_itself_is_refused(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "a", "a", {"study": "extends: .\nversions: [v1]\n", "v1": ""})
    assert "loop: a -> a" in _load_error(folder).message


def test_extends_naming_a_missing_folder_is_refused(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "a", "a", {"study": "extends: ../abstrakt\n"})
    error = _load_error(folder)
    assert error.source.endswith("study.yaml") and error.key == "extends"
    assert "is not a study folder" in error.message and "abstrakt" in error.message


def test_an_extending_study_s_version_list_needs_each_file_somewhere(tmp_path: Path) -> None:
    _base(tmp_path)
    child = write_study(tmp_path / "child", "child", {"study": "extends: ../base\n"
                                                               "versions: [v1, v5]\n"})
    error = _load_error(child)
    assert error.key == "versions" and "lists v5 but" in error.message
    assert "child" in error.message and "base" in error.message


def test_extends_chains_over_several_studies(tmp_path: Path) -> None:
    _base(tmp_path)
    write_study(tmp_path / "mid", "mid", {"study": "extends: ../base\ntrain: {batch_size: 4}\n"})
    leaf = write_study(tmp_path / "leaf", "leaf", {"study": "extends: ../mid\n"
                                                            "dataset: {count: 64}\n"})
    config = resolve(load_study(leaf), "v2", FULL, [])
    assert (config.train.batch_size, config.train.epochs, config.dataset.count) == (4, 10, 64)


# --------------------------------------------------------------------------- the repo's studies


@pytest.mark.parametrize("profile", ["full", "cpu", "smoke"])
@pytest.mark.parametrize("study", STUDIES)
def test_every_version_of_every_study_resolves_under_every_profile(
    study: str, profile: str
) -> None:
    loaded = load_study(EXPERIMENTS / study)
    for version in loaded.versions:
        config = resolve(loaded, version, profile, [])
        assert config.profile.name == profile and config.study == study
