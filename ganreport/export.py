"""`ganreport export STUDY`: a light copy of a study's run folders, small enough to commit.

The bundle has the shape of a runs folder (`bundles/<study>/<version>/...`), so
`ganreport build --runs bundles` builds the same site as from the full runs. It keeps
what the site reads (config, env, summary, the JSONL logs, the sample grids and the real
grid) and leaves out checkpoints and the heartbeat: a run trained on a GPU box or in Colab
is published by exporting there, copying or committing the bundle, and building here.

Like `build`, it only replaces a folder it made (marker `.ganreport-export`), and writes
into a temporary folder that is swapped in when complete.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import runformat, write
from .errors import UserError

EXPORT_MARKER = ".ganreport-export"
EXPORT_MARKER_TEXT = ("Written by `ganreport export`: the next export of this study replaces "
                      "this folder as a whole.\nRemove this file to stop ganreport from ever "
                      "replacing it.\n")
# Everything a run folder holds that the site may read; not the heartbeat (a live writer's
# pid and clock mean nothing elsewhere) and never the checkpoints.
KEPT_FILES = tuple(name for name in runformat.RUN_FILES if name != runformat.HEARTBEAT)
KEPT_SAMPLES = "*.png"  # samples/epoch_NNNN.png grids and samples/real.png


@dataclass(frozen=True)
class ExportResult:
    """What went into the bundle, and how much was left behind in the runs."""

    out_dir: Path
    versions: list[str]
    files: int
    bytes_kept: int
    bytes_left_out: int


def export(study: str, runs_dir: Path, out_dir: Path, *,
           log: Callable[[str], None] = print) -> ExportResult:
    """Copy the light files of every run of `study` into `out_dir` (replaced as a whole)."""
    runs_dir, out_dir = Path(runs_dir), Path(out_dir)
    versions = _run_folders(runs_dir, study, log)
    write.check_replaceable(out_dir, "--out", EXPORT_MARKER, {"--runs": runs_dir})
    write.remove_stale_temp_dirs(out_dir, EXPORT_MARKER)
    temp = write.make_temp_dir(out_dir, EXPORT_MARKER, EXPORT_MARKER_TEXT)
    try:
        files = sum(_copy_run(folder, temp / folder.name) for folder in versions)
        write.swap_in(temp, out_dir, EXPORT_MARKER)
    except BaseException:
        write.discard(temp)
        raise
    kept = _size(out_dir)
    left_out = sum(_size(folder) for folder in versions) - kept
    result = ExportResult(out_dir, [f.name for f in versions], files, kept, max(left_out, 0))
    log(f"exported {study}: {len(versions)} versions, {files} files, {_human(kept)} into "
        f"{out_dir} (left out: {_human(result.bytes_left_out)} of checkpoints, heartbeat "
        "and other files)")
    log(f"build from it with: ganreport build --runs {out_dir.parent}")
    return result


def _run_folders(runs_dir: Path, study: str, log: Callable[[str], None]) -> list[Path]:
    """The study's run folders (those with a config.yaml), or a one-line error."""
    if not runs_dir.is_dir():
        raise UserError(f"--runs {runs_dir}: not a folder; expected the folder of run folders")
    source = runs_dir / study
    if "/" in study or study in ("", ".", "..") or not source.is_dir():
        found = ", ".join(sorted(p.name for p in runs_dir.iterdir() if p.is_dir())) or "none"
        raise UserError(f"{study}: no study folder {source}; studies found: {found}")
    folders = [p for p in sorted(source.iterdir())
               if p.is_dir() and (p / runformat.CONFIG).is_file()]
    if not folders:
        raise UserError(f"{source}: no run folders (<version>/{runformat.CONFIG}); "
                        "expected a study that has been trained")
    for folder in folders:
        if _status(folder) == "running":
            log(f"warning: {folder}: still running; the bundle holds it as it is now")
    return folders


def _status(folder: Path) -> str:
    try:
        return str(json.loads((folder / runformat.SUMMARY).read_text()).get("status"))
    except (OSError, ValueError, AttributeError):
        return "unknown"


def _copy_run(source: Path, target: Path) -> int:
    """The kept files of one run folder; returns how many were copied."""
    copied = 0
    target.mkdir(parents=True)
    for name in KEPT_FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, target / name)
            copied += 1
    samples = source / runformat.SAMPLES_DIR
    for grid in sorted(samples.glob(KEPT_SAMPLES)) if samples.is_dir() else []:
        if grid.is_file():
            (target / runformat.SAMPLES_DIR).mkdir(exist_ok=True)
            shutil.copy2(grid, target / runformat.SAMPLES_DIR / grid.name)
            copied += 1
    return copied


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def _human(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.2f} GiB"
