"""Find a study on disk and resolve each of its versions into a RunConfig.

`experiments/<study>/study.yaml` holds the study's title, the version order
and the settings every version shares; `<version>.yaml` states what differs
from its `parent` (inheriting the rest). A study that says `extends: ../other`
inherits the other study's settings, versions, version files and profiles,
and states only what differs. See docs/training.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from training import config as cfg
from training.errors import UserError
from training.profiles import PROFILES, Profile, apply_profile, parse_profiles, pick_profile

STUDY_FILE = "study.yaml"
NOT_INHERITED = ("title", "description", "parent")  # each version says these itself
NOT_SETTINGS = ("title", "description", "extends", "versions", "profiles")  # study.yaml only


@dataclass
class Study:
    """A study folder: its shared settings (validated) and its versions in order."""

    name: str
    folder: Path
    title: str
    description: str
    versions: list[str]
    # (study.yaml, the settings it states), the furthest study it extends first
    layers: list[tuple[str, dict[str, Any]]]
    folders: list[Path]  # where version files are looked for: this study's, then those it extends
    profiles: dict[str, Profile]  # the built-in ones, extended or replaced by the study's

    @property
    def shared(self) -> dict[str, Any]:
        """The settings every version shares, merged over the extended studies'."""
        merged: dict[str, Any] = {}
        for _, layer in self.layers:
            merged = cfg.merge(merged, layer)
        return merged

    def version_file(self, version: str) -> Path:
        """This study's `<version>.yaml` if it has one (the child's wins), else the nearest
        extended study's; the study's own path when none has it."""
        for folder in self.folders:
            path = folder / f"{version}.yaml"
            if path.is_file():
                return path
        return self.folder / f"{version}.yaml"

    def profile(self, wanted: Profile | str) -> Profile:
        """The profile a run uses: a name, or a built-in profile, means the study's own of
        that name (which may extend or replace the built-in); any other Profile is kept."""
        if isinstance(wanted, str):
            return pick_profile(wanted, "cpu", self.profiles)
        if PROFILES.get(wanted.name) is wanted:
            return self.profiles.get(wanted.name, wanted)
        return wanted


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping; a syntax error or a key written twice names the file and line."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=cfg.YamlLoader)
    except cfg.DuplicateKeyError as exc:
        raise UserError(
            path,
            f"line {exc.line}",
            f"{exc.dotted} is written twice (first on line {exc.first_line}); YAML would "
            "silently keep the last: keep one",
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(yaml)"
        raise UserError(path, where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    except OSError as exc:
        raise UserError(path, "(file)", f"cannot read: {exc.strerror}") from exc
    return {} if data is None else data


def _study_chain(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """[(study.yaml, its validated keys)], the study itself first, then what it extends."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: list[Path] = []
    current = folder
    while True:
        path = current / STUDY_FILE
        if current.resolve() in seen:
            names = " -> ".join([*(p.name for p in seen), current.resolve().name])
            raise UserError(chain[-1][0], "extends", f"the studies extend in a loop: {names}")
        if not path.is_file():
            if not chain:
                raise UserError(folder, STUDY_FILE, "missing: a study folder needs a study.yaml")
            raise UserError(
                chain[-1][0], "extends", f"{current} is not a study folder: {path} is missing"
            )
        seen.append(current.resolve())
        layer = cfg.check_layer(load_yaml(path), cfg.STUDY_KEYS, str(path))
        chain.append((path, layer))
        if "extends" not in layer:
            return chain
        current = current / layer["extends"]  # relative to the extending study's folder


def _check_versions(versions: list[str], path: Path, folders: list[Path]) -> None:
    """Each version once, named as a folder and URL part may be, with a file somewhere."""
    for index, version in enumerate(versions):
        if not cfg.is_valid_name(version):
            raise UserError(
                path, "versions", f"{version!r} cannot name a version (a folder and URL part): "
                f"use {cfg.NAME_RULE}"
            )
        if version in versions[:index]:
            raise UserError(path, "versions", f"lists {version} twice; list each version once")
        if not any((folder / f"{version}.yaml").is_file() for folder in folders):
            where = " or ".join(str(folder / f"{version}.yaml") for folder in folders)
            raise UserError(path, "versions", f"lists {version} but {where} is missing")


def load_study(folder: Path) -> Study:
    """Load and validate `study.yaml` in a study folder, and the studies it extends."""
    name = folder.resolve().name
    if not cfg.is_valid_name(name):
        raise UserError(
            folder, "(folder name)", f"{name!r} cannot name a study (a folder under runs/ and a "
            f"URL part): use {cfg.NAME_RULE}"
        )
    chain = _study_chain(folder)
    own_path, own = chain[0]
    versions_path, versions = next(
        ((path, layer["versions"]) for path, layer in chain if "versions" in layer), (own_path, [])
    )
    if not versions:
        raise UserError(own_path, "versions", "expected a list of version names, e.g. [v1, v2, v3]")
    folders = [path.parent for path, _ in chain]
    _check_versions(versions, versions_path, folders)
    profiles = dict(PROFILES)
    for path, layer in reversed(chain):
        if "profiles" in layer:
            profiles = parse_profiles(layer["profiles"], str(path), profiles)
    layers = [
        (str(path), {k: v for k, v in layer.items() if k not in NOT_SETTINGS})
        for path, layer in reversed(chain)
    ]
    title, description = own.get("title", name), own.get("description", "")
    return Study(name, folder, title, description, list(versions), layers, folders, profiles)


def locate(path: Path) -> tuple[Study, list[str]]:
    """PATH on the command line -> (study, versions to run): a folder runs all of them.

    A version that an extending study inherits may be named as if its file were there
    (`experiments/japanese-art/v2.yaml`).
    """
    inherited = path.suffix in (".yaml", ".yml") and (path.parent / STUDY_FILE).is_file()
    if not path.exists() and not inherited:
        raise UserError(path, "PATH", "not found: give a study folder or a version .yaml file")
    if path.is_dir():
        study = load_study(path)
        return study, study.versions
    if path.suffix not in (".yaml", ".yml") or path.name == STUDY_FILE:
        raise UserError(path, "PATH", "expected a study folder or a version file such as v1.yaml")
    study = load_study(path.parent)
    if path.stem not in study.versions:
        if not path.exists():
            raise UserError(path, "PATH", "not found: give a study folder or a version .yaml file")
        raise UserError(path.parent / STUDY_FILE, "versions", f"does not list {path.stem}; add it")
    return study, [path.stem]


def _version_chain(study: Study, version: str) -> list[tuple[str, dict[str, Any]]]:
    """[(file, validated layer)] from the oldest ancestor to the version itself."""
    chain: list[tuple[str, dict[str, Any]]] = []
    seen: list[str] = []
    current: str | None = version
    while current is not None:
        path = study.version_file(current)
        if current in seen:
            raise UserError(path, "parent", f"inheritance loops: {' -> '.join([*seen, current])}")
        if not path.is_file():
            child = study.version_file(seen[-1]) if seen else path
            raise UserError(child, "parent", f"names {current} but {path} does not exist")
        seen.append(current)
        layer = cfg.check_layer(load_yaml(path), cfg.VERSION_KEYS, str(path))
        chain.append((str(path), layer))
        current = layer.get("parent")
        if current is not None and not cfg.is_valid_name(current):
            raise UserError(path, "parent", f"expected a version name ({cfg.NAME_RULE})")
    return chain[::-1]


def _layered_tree(study: Study, version: str) -> tuple[dict[str, Any], dict[str, str], list]:
    """Merge defaults < study.yaml files < ancestors < version; track which file set each key.

    Returns the tree, the sources, and the layers' sources in order (for blaming).
    """
    tree = cfg.merge(cfg.defaults_tree(), cfg.STUDY_DEFAULTS)
    sources = dict.fromkeys(cfg.flatten(tree), "defaults")
    order = ["defaults"]
    for source, layer in study.layers:
        tree = cfg.merge(tree, layer)
        sources.update(dict.fromkeys(cfg.flatten(layer), source))
        order.append(source)
    chain = _version_chain(study, version)
    for index, (source, layer) in enumerate(chain):
        own = index == len(chain) - 1
        inherited = {k: v for k, v in layer.items() if own or k not in NOT_INHERITED}
        tree = cfg.merge(tree, inherited)
        sources.update(dict.fromkeys(cfg.flatten(inherited), source))
        order.append(source)
    return tree, sources, order


def _used(
    recipe: dict[str, Any], sources: dict[str, str], profile: Profile, overrides: list[str]
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The values a run uses: the recipe, then the profile, then --set; with their sources."""
    used = apply_profile(recipe, profile)
    sources = dict(sources)
    for key, value in used.items():
        if key not in recipe or recipe[key] != value:
            sources[key] = profile.source_of(key)
    set_layer = cfg.flatten(cfg.check_layer(cfg.parse_overrides(overrides), {"seed": int}, "--set"))
    used.update(set_layer)
    sources.update(dict.fromkeys(set_layer, "--set"))
    layers = sorted(set(profile.origins.values())) + [f"--profile {profile.name}", "--set"]
    return used, sources, layers


def resolve(
    study: Study, version: str, profile: Profile | str, overrides: list[str]
) -> cfg.RunConfig:
    """The RunConfig for one version: recipe, then profile, then --set, all checked.

    The range and cross-key checks run twice: on the recipe (so a recipe that only a
    profile makes valid is refused whatever the profile) and on the values used.
    """
    profile = study.profile(profile)
    tree, sources, order = _layered_tree(study, version)
    header = {k: tree.pop(k) for k in NOT_INHERITED if k in tree}
    recipe = cfg.flatten(tree)
    cfg.check_ranges(recipe, sources, order)
    used, used_sources, later = _used(recipe, sources, profile, overrides)
    cfg.check_ranges(used, used_sources, order + later)
    changed = {k: [recipe[k], v] for k, v in used.items() if recipe.get(k) != v}
    final = cfg.unflatten(used)
    for section in cfg.SECTIONS:  # keep empty-but-present keys (e.g. path: null)
        final[section] = cfg.merge(tree[section], final.get(section, {}))
    return cfg.build_run_config(
        {
            "study": study.name,
            "study_title": study.title,
            "version": version,
            "title": header.get("title") or version,
            "description": header.get("description", ""),
            "order": study.versions.index(version) + 1,
            "parent": header.get("parent"),
            **final,
            "profile": {"name": profile.name, "changed": changed},
            "overrides": list(overrides),
            "sources": used_sources,
        }
    )
