"""Run folders (docs/run-format.md) -> `Run` dataclasses. Reads files only; no torch.

Half-written folders, as a crash or a run still in progress leaves them:
- a torn last line of a JSONL file is skipped (the format allows it), with a warning;
- bad JSON on any other line is a UserError naming the file and line: that is corruption;
- no `config.yaml` or no `summary.json` (training has not started writing yet): the run is
  skipped with a warning, so one unfinished run does not stop a site about the others;
- unreadable `config.yaml`/`env.json`/`summary.json`, or another `format_version`: UserError
  (these are written atomically, so a bad one is not a crash artefact).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import UserError
from .frontmatter import yaml_error_location

FORMAT_VERSION = 1
SAMPLE_NAME = re.compile(r"^epoch_(\d{4,})\.png$")


@dataclass(frozen=True)
class Run:
    """One version of a study, as its run folder describes it."""

    path: Path
    study: str
    version: str
    config: dict[str, Any]
    env: dict[str, Any]
    summary: dict[str, Any]
    metrics: list[dict[str, Any]]
    epochs: list[dict[str, Any]]
    samples: dict[int, Path]  # epoch -> PNG of the fixed-noise grid, sorted by epoch
    warnings: tuple[str, ...] = field(default=())

    @property
    def title(self) -> str:
        return str(self.config.get("title") or self.version)

    @property
    def description(self) -> str:
        return str(self.config.get("description") or "")

    @property
    def order(self) -> int:
        order = self.config.get("order")
        return order if isinstance(order, int) else 10**6

    @property
    def parent(self) -> str | None:
        parent = self.config.get("parent")
        return str(parent) if parent else None

    @property
    def status(self) -> str:
        return str(self.summary.get("status") or "unknown")

    @property
    def sample_epochs(self) -> list[int]:
        return list(self.samples)


@dataclass(frozen=True)
class Study:
    """The runs of one study folder, in study order, plus what was skipped and why."""

    name: str
    runs: list[Run]
    warnings: list[str]

    def by_version(self) -> dict[str, Run]:
        return {run.version: run for run in self.runs}


def list_studies(runs_dir: Path) -> list[str]:
    """Study folders under runs/: those holding at least one folder with a config.yaml."""
    if not runs_dir.is_dir():
        return []
    return sorted(
        child.name
        for child in runs_dir.iterdir()
        if child.is_dir() and any((run / "config.yaml").is_file() for run in _subdirs(child))
    )


def choose_study(runs_dir: Path, requested: str | None) -> str | None:
    """The study the site is about: `study:` from _config.yml, else the only one under runs/."""
    studies = list_studies(runs_dir)
    if requested:
        if requested not in studies:
            found = ", ".join(studies) or "none; train it first: make train"
            raise UserError(
                f"_config.yml: study {requested!r} has no runs under {runs_dir}/ "
                f"(studies found: {found})"
            )
        return requested
    if len(studies) > 1:
        raise UserError(
            f"{runs_dir}/ holds several studies ({', '.join(studies)}): "
            "say which one the site is about with `study: NAME` in site_src/_config.yml"
        )
    return studies[0] if studies else None


def read_study(runs_dir: Path, study: str | None) -> Study:
    """Read every run folder of the study, sorted by `order` then name."""
    if study is None:
        return Study(name="", runs=[], warnings=[f"no runs found under {runs_dir}/"])
    runs, warnings = [], []
    for folder in _subdirs(runs_dir / study):
        run = read_run(folder, warnings)
        if run is not None:
            runs.append(run)
            warnings.extend(run.warnings)
    runs.sort(key=lambda run: (run.order, run.version))
    return Study(name=study, runs=runs, warnings=warnings)


def read_run(folder: Path, warnings: list[str]) -> Run | None:
    """One run folder -> Run, or None (with a warning appended) when it is not ready yet."""
    for required in ("config.yaml", "summary.json"):
        if not (folder / required).is_file():
            warnings.append(f"{folder}: skipped, no {required} yet (run not started or not a run)")
            return None
    config = _read_yaml(folder / "config.yaml")
    env = _read_json(folder / "env.json") if (folder / "env.json").is_file() else {}
    summary = _read_json(folder / "summary.json")
    for name, data in (("env.json", env), ("summary.json", summary)):
        _check_format(folder / name, data)
    run_warnings: list[str] = []
    metrics = read_jsonl(folder / "metrics.jsonl", run_warnings)
    epochs = read_jsonl(folder / "epochs.jsonl", run_warnings)
    return Run(
        path=folder,
        study=folder.parent.name,
        version=folder.name,
        config=config,
        env=env,
        summary=summary,
        metrics=metrics,
        epochs=epochs,
        samples=read_samples(folder / "samples"),
        warnings=tuple(run_warnings),
    )


def read_jsonl(path: Path, warnings: list[str]) -> list[dict[str, Any]]:
    """Rows of a JSONL file; a torn last line is skipped, a bad line elsewhere is an error."""
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
        except ValueError as error:
            if number == len(lines):
                warnings.append(f"{path}:{number}: skipped torn last line")
                break
            raise UserError(
                f"{path}:{number}: bad JSON line in the middle of the file ({error})"
            ) from None
        rows.append(row)
    return rows


def read_samples(folder: Path) -> dict[int, Path]:
    """epoch -> grid PNG for every `epoch_NNNN.png` present (the files, not the summary, decide)."""
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        match = SAMPLE_NAME.match(path.name)
        if match and path.is_file():
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def _subdirs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(child for child in folder.iterdir() if child.is_dir())


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise UserError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object")
    return data


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        line, problem = yaml_error_location(error)
        raise UserError(f"{path}:{line}: not valid YAML ({problem})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of settings")
    return data


def _check_format(path: Path, data: dict[str, Any]) -> None:
    version = data.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise UserError(
            f"{path}: format_version {version!r}, this ganreport reads {FORMAT_VERSION} "
            "(see docs/run-format.md)"
        )
