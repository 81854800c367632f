"""Run folders (docs/run-format.md) -> `Run`s, grouped by study. Reads files only; no torch.

Every file name, type and logged quantity comes from `runformat`, the contract that the
writer in `training` uses too. A damaged file never stops the build: it gives one warning
naming the file, what could not be used is left out, and the run is marked damaged so its
pages say so (`ganreport build --strict` turns that into an error). Damage is:
a PNG that does not decode, a bad JSON line, a value of the wrong type in summary.json,
config.yaml, env.json or a JSONL row, an unreadable file, a missing env.json.

Not damage: a torn last JSONL line (a crash mid-append; skipped with a warning), and a
folder without config.yaml or summary.json (training has not started writing it; skipped
with a warning). A `format_version` this reader does not know is a one-line UserError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from PIL import Image

from . import run_checks, runformat
from .errors import UserError
from .run_status import Now, RunStatus, derive_status

SAMPLE_NAME = re.compile(r"^epoch_(\d{4,})\.png$")


@dataclass(frozen=True)
class Grid:
    """A PNG grid of a run folder that decodes, with its size in pixels."""

    path: Path
    width: int
    height: int


@dataclass(frozen=True)
class Run:
    """One version of a study, as its run folder describes it. `key` is 'study/version'."""

    path: Path
    study: str
    version: str
    format_version: int
    config: dict[str, Any]
    env: dict[str, Any]
    summary: dict[str, Any]
    metrics: list[dict[str, Any]]
    epochs: list[dict[str, Any]]
    samples: dict[int, Grid]  # epoch -> fixed-noise grid, sorted by epoch
    status: RunStatus
    quality: list[dict[str, Any]] = field(default_factory=list)  # quality.jsonl rows
    quality_summary: dict[str, Any] = field(default_factory=dict)  # quality.json: floor, best
    real_grid: Grid | None = None  # 64 real training images, when the run has them
    heartbeat: dict[str, Any] | None = None
    damage: tuple[str, ...] = ()  # one line per damaged file: "metrics.jsonl: line 4: ..."
    damaged_epochs: tuple[int, ...] = ()  # epochs whose grid exists but does not decode
    warnings: tuple[str, ...] = field(default=())  # torn lines: not damage
    events: list[dict[str, Any]] = field(default_factory=list)  # events.jsonl rows

    @property
    def key(self) -> str:
        return f"{self.study}/{self.version}"

    @property
    def damaged(self) -> bool:
        return bool(self.damage)

    @property
    def loss(self) -> str | None:
        """The loss it trained with (`bce` when the config predates loss.name); None when
        unknown (an unknown name, or a damaged config that cannot say)."""
        section = self.config.get("loss")
        name = section.get("name") if isinstance(section, dict) else None
        if name is None:
            damaged = any(line.startswith(runformat.CONFIG) for line in self.damage)
            return None if damaged else runformat.DEFAULT_LOSS
        return name if name in runformat.LOSSES else None

    @property
    def title(self) -> str:
        return str(self.config.get("title") or self.version)

    @property
    def study_title(self) -> str:
        return str(self.config.get("study_title") or self.study)

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
    def sample_epochs(self) -> list[int]:
        return list(self.samples)

    @property
    def grid(self) -> tuple[int, int]:
        """(columns, padding) its grids were drawn with: the lightbox and the detectors
        cut them by it (runs from before the record: runformat.UNRECORDED_GRID)."""
        return runformat.grid_geometry(self.summary)


@dataclass(frozen=True)
class Study:
    """The runs of one study folder, in study order, plus what was skipped and why."""

    name: str
    runs: list[Run]
    warnings: list[str]

    @property
    def title(self) -> str:
        return next((run.study_title for run in self.runs if run.config.get("study_title")),
                    self.name)

    def by_version(self) -> dict[str, Run]:
        return {run.version: run for run in self.runs}


@dataclass(frozen=True)
class Catalog:
    """Every study the build shows; `excluded` are studies under runs/ left out by --study."""

    runs_dir: Path
    studies: dict[str, Study]
    excluded: tuple[str, ...] = ()

    @property
    def runs(self) -> list[Run]:
        return [run for study in self.studies.values() for run in study.runs]

    @property
    def warnings(self) -> list[str]:
        return [warning for study in self.studies.values() for warning in study.warnings]

    @property
    def damage(self) -> list[str]:
        return [f"{run.key}: {line}" for run in self.runs for line in run.damage]

    def run_keys(self) -> list[str]:
        return [run.key for run in self.runs]


def list_studies(runs_dir: Path) -> list[str]:
    """Study folders under runs/: those holding at least one folder with a config.yaml."""
    return [child.name for child in _subdirs(Path(runs_dir))
            if any((run / runformat.CONFIG).is_file() for run in _subdirs(child))]


def read_catalog(runs_dir: Path, only: Sequence[str] | None = None,
                 now: Now | None = None) -> Catalog:
    """Read every study under runs/ (or only the named ones: `--study`)."""
    runs_dir = Path(runs_dir)
    found = list_studies(runs_dir)
    wanted = list(dict.fromkeys(only)) if only else found
    missing = [name for name in wanted if name not in found]
    if missing:
        raise UserError(f"--study {missing[0]}: no runs under {runs_dir}/{missing[0]}/ "
                        f"(studies found: {', '.join(found) or 'none; train one: make train'})")
    now = now or Now.real()
    studies = {name: read_study(runs_dir, name, now) for name in sorted(wanted)}
    excluded = tuple(name for name in found if name not in studies)
    return Catalog(runs_dir=runs_dir, studies=studies, excluded=excluded)


def read_study(runs_dir: Path, study: str, now: Now | None = None) -> Study:
    """Read every run folder of the study, sorted by `order` then name."""
    now = now or Now.real()
    runs, warnings = [], []
    for folder in _subdirs(Path(runs_dir) / study):
        if runformat.is_set_aside(folder.name):
            continue  # the previous run, kept until `train --force` completes its replacement
        run = read_run(folder, warnings, now)
        if run is not None:
            runs.append(run)
            warnings.extend(run.warnings)
            warnings.extend(f"{run.path}/{line}; run marked damaged" for line in run.damage)
    runs.sort(key=lambda run: (run.order, run.version))
    return Study(name=study, runs=runs, warnings=warnings)


def read_run(folder: Path, warnings: list[str], now: Now | None = None) -> Run | None:
    """One run folder -> Run, or None (with a warning appended) when it is not started yet."""
    folder = Path(folder)
    for required in (runformat.CONFIG, runformat.SUMMARY):
        if not (folder / required).is_file():
            warnings.append(f"{folder}: skipped, no {required} yet (run not started or not a run)")
            return None
    reading = _Reading(folder)
    summary = reading.mapping(runformat.SUMMARY)
    env = reading.mapping(runformat.ENV, required=True)
    config = reading.mapping(runformat.CONFIG)
    version = _format_version(folder, summary, env)
    loss = _checked_loss(reading, config)
    metrics = reading.rows(runformat.METRICS, loss)
    epochs = reading.rows(runformat.EPOCHS, loss)
    quality = reading.rows(runformat.QUALITY, loss)
    events = reading.rows(runformat.EVENTS, loss)
    quality_summary = reading.mapping(runformat.QUALITY_SUMMARY)
    heartbeat = reading.mapping(runformat.HEARTBEAT) if (folder / runformat.HEARTBEAT).is_file() \
        else None
    samples, real_grid, damaged_epochs = reading.grids()
    status = derive_status(summary.get("status"), _last_step(summary, metrics), heartbeat,
                           now or Now.real(), folder.parent.name, folder.name)
    if status.state == "unknown" and "status" in summary:
        reading.damaged(runformat.SUMMARY, f"status is {run_checks.describe(summary['status'])}, "
                                           f"expected one of {', '.join(runformat.STATUSES)}")
    return Run(path=folder, study=folder.parent.name, version=folder.name,
               format_version=version, config=config, env=env, summary=summary,
               metrics=metrics, epochs=epochs, samples=samples, status=status, quality=quality,
               quality_summary=quality_summary,
               real_grid=real_grid, heartbeat=heartbeat, damage=tuple(reading.damage),
               damaged_epochs=damaged_epochs,
               warnings=tuple(reading.warnings), events=events)


class _Reading:
    """Reads the files of one run folder, collecting one damage line per damaged file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.damage: list[str] = []
        self.warnings: list[str] = []

    def damaged(self, name: str, problem: str) -> None:
        self.damage.append(f"{name}: {problem}")

    def mapping(self, name: str, required: bool = False) -> dict[str, Any]:
        """A JSON/YAML file as a mapping with wrong-typed keys dropped; {} when unusable."""
        path = self.folder / name
        if not path.is_file():
            if required:
                self.damaged(name, "missing")
            return {}
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
            self.damaged(name, f"unreadable ({_first_line(error)})")
            return {}
        if not isinstance(data, dict):
            self.damaged(name, f"expected a mapping, found {type(data).__name__}")
            return {}
        clean, problems = run_checks.check_fields(data, runformat.FIELDS_BY_FILE[name])
        if problems:
            self.damaged(name, run_checks.summarise(problems) + " (left out)")
        return clean

    def rows(self, name: str, loss: str | None) -> list[dict[str, Any]]:
        """Rows of a JSONL file: a torn last line is skipped, bad lines are damage."""
        path = self.folder / name
        if not path.is_file():
            return []
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        except OSError as error:
            self.damaged(name, f"unreadable ({_first_line(error)})")
            return []
        parsed, problems = _parse_lines(lines, path, self.warnings)
        rows, bad_values = run_checks.check_rows(parsed, run_checks.known_names(loss, name))
        problems += bad_values
        if problems:
            self.damaged(name, run_checks.summarise(problems) + " (left out)")
        return rows

    def grids(self) -> tuple[dict[int, Grid], Grid | None, tuple[int, ...]]:
        """The sample grids that decode, by epoch, the real grid if present, and the epochs
        whose grid is there but does not decode."""
        samples, damaged = {}, []
        folder = self.folder / runformat.SAMPLES_DIR
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            match = SAMPLE_NAME.match(path.name)
            if match and path.is_file():
                grid = self._grid(path)
                if grid is not None:
                    samples[int(match.group(1))] = grid
                else:
                    damaged.append(int(match.group(1)))
        real = self.folder / runformat.REAL_GRID
        real_grid = self._grid(real) if real.is_file() else None
        return dict(sorted(samples.items())), real_grid, tuple(sorted(damaged))

    def _grid(self, path: Path) -> Grid | None:
        try:
            with Image.open(path) as image:
                size = image.size
                image.verify()  # reads every chunk and checks its CRC: catches truncation
        except (OSError, SyntaxError, ValueError) as error:
            relative = path.relative_to(self.folder).as_posix()
            self.damaged(relative, f"not a readable PNG ({_first_line(error)}); not shown")
            return None
        return Grid(path, *size)


def _parse_lines(lines: list[str], path: Path, warnings: list[str]
                 ) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """(line number, object) of each JSON line; the last line may be torn (a warning)."""
    while lines and not lines[-1].strip():
        lines.pop()
    parsed, problems = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError(f"a JSON {type(row).__name__}, not an object")
        except ValueError as error:
            if number == len(lines):
                warnings.append(f"{path}:{number}: skipped torn last line")
            else:
                problems.append(f"line {number}: bad JSON ({_first_line(error)})")
            continue
        parsed.append((number, row))
    return parsed, problems


def _checked_loss(reading: _Reading, config: dict[str, Any]) -> str | None:
    """The loss the rows were written under; None when the config cannot say (damaged)."""
    section = config.get("loss")
    name = section.get("name") if isinstance(section, dict) else None
    if name is None and any(line.startswith(runformat.CONFIG) for line in reading.damage):
        return None
    if name is not None and name not in runformat.LOSSES:
        reading.damaged(runformat.CONFIG, f"loss.name is {run_checks.describe(name)}, expected "
                                          f"one of {', '.join(runformat.LOSSES)}")
        return None
    return name or runformat.DEFAULT_LOSS


def _format_version(folder: Path, *files: dict[str, Any]) -> int:
    """The folder's format version (1 when unrecorded); another one is a UserError."""
    for name, data in zip((runformat.SUMMARY, runformat.ENV), files, strict=True):
        version = data.get("format_version", 1)
        if version not in runformat.READABLE_VERSIONS:
            readable = " and ".join(str(v) for v in runformat.READABLE_VERSIONS)
            raise UserError(
                f"{folder / name}: format_version {version!r}; this ganreport reads format "
                f"versions {readable} (docs/run-format.md): update ganreport or retrain the run")
    return int(files[0].get("format_version") or files[1].get("format_version") or 1)


def _last_step(summary: dict[str, Any], metrics: list[dict[str, Any]]) -> int | None:
    steps = summary.get("steps")
    if isinstance(steps, int) and not isinstance(steps, bool):
        return steps
    return metrics[-1].get("step") if metrics else None


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _subdirs(folder: Path) -> list[Path]:
    """Child folders, without hidden or underscore ones (.cache, _drafts)."""
    if not folder.is_dir():
        return []
    return sorted(child for child in folder.iterdir()
                  if child.is_dir() and not child.name.startswith((".", "_")))
