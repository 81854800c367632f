"""Find a study on disk and resolve each of its versions into a RunConfig.

`experiments/<study>/study.yaml` holds the study's title, the version order
and the settings every version shares; `<version>.yaml` states what differs
from its `parent` (inheriting the rest). See docs/training.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from training import config as cfg
from training.errors import UserError
from training.profiles import Profile, apply_profile

STUDY_FILE = "study.yaml"
NOT_INHERITED = ("title", "description", "parent")  # each version says these itself


@dataclass
class Study:
    """A study folder: its shared settings (validated) and its versions in order."""

    name: str
    folder: Path
    title: str
    description: str
    versions: list[str]
    shared: dict[str, Any]  # the validated study.yaml minus title/description/versions

    def version_file(self, version: str) -> Path:
        return self.folder / f"{version}.yaml"


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping; a syntax error names the file and line."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=cfg.YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(yaml)"
        raise UserError(path, where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    except OSError as exc:
        raise UserError(path, "(file)", f"cannot read: {exc.strerror}") from exc
    return {} if data is None else data


def load_study(folder: Path) -> Study:
    """Load and validate `study.yaml` in a study folder."""
    path = folder / STUDY_FILE
    if not path.is_file():
        raise UserError(folder, STUDY_FILE, "missing: a study folder needs a study.yaml")
    shared = cfg.check_layer(load_yaml(path), cfg.STUDY_KEYS, str(path))
    versions = shared.pop("versions", None)
    if not versions:
        raise UserError(path, "versions", "expected a list of version names, e.g. [v1, v2, v3]")
    for version in versions:
        if not (folder / f"{version}.yaml").is_file():
            raise UserError(
                path, "versions", f"lists {version} but {folder / version}.yaml is missing"
            )
    title = shared.pop("title", folder.name)
    description = shared.pop("description", "")
    return Study(folder.name, folder, title, description, list(versions), shared)


def locate(path: Path) -> tuple[Study, list[str]]:
    """PATH on the command line -> (study, versions to run): a folder runs all of them."""
    if not path.exists():
        raise UserError(path, "PATH", "not found: give a study folder or a version .yaml file")
    if path.is_dir():
        study = load_study(path)
        return study, study.versions
    if path.suffix not in (".yaml", ".yml") or path.name == STUDY_FILE:
        raise UserError(path, "PATH", "expected a study folder or a version file such as v1.yaml")
    study = load_study(path.parent)
    if path.stem not in study.versions:
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
    return chain[::-1]


def _layered_tree(study: Study, version: str) -> tuple[dict[str, Any], dict[str, str], dict]:
    """Merge defaults < study.yaml < ancestors < version; track which file set each key."""
    study_file = str(study.folder / STUDY_FILE)
    tree = cfg.merge(cfg.defaults_tree(), cfg.STUDY_DEFAULTS)
    sources = dict.fromkeys(cfg.flatten(tree), "defaults")
    tree = cfg.merge(tree, study.shared)
    sources.update(dict.fromkeys(cfg.flatten(study.shared), study_file))
    chain = _version_chain(study, version)
    for index, (source, layer) in enumerate(chain):
        own = index == len(chain) - 1
        inherited = {k: v for k, v in layer.items() if own or k not in NOT_INHERITED}
        tree = cfg.merge(tree, inherited)
        sources.update(dict.fromkeys(cfg.flatten(inherited), source))
    return tree, sources, chain[-1][1]


def resolve(study: Study, version: str, profile: Profile, overrides: list[str]) -> cfg.RunConfig:
    """The RunConfig for one version: recipe, then profile, then --set, all checked."""
    tree, sources, own = _layered_tree(study, version)
    header = {k: tree.pop(k) for k in NOT_INHERITED if k in tree}
    recipe = cfg.flatten(tree)
    used = apply_profile(recipe, profile)
    by_profile = [key for key, value in used.items() if key not in recipe or recipe[key] != value]
    sources.update(dict.fromkeys(by_profile, f"--profile {profile.name}"))
    set_layer = cfg.check_layer(cfg.parse_overrides(overrides), {"seed": int}, "--set")
    used.update(cfg.flatten(set_layer))
    sources.update(dict.fromkeys(cfg.flatten(set_layer), "--set"))
    cfg.check_ranges(used, sources)
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
            "parent": own.get("parent"),
            **final,
            "profile": {"name": profile.name, "changed": changed},
            "overrides": list(overrides),
            "sources": sources,
        }
    )
