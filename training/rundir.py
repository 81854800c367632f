"""RunWriter: the only code that writes a run folder, through ganreport/runformat.py.

Whole files go to a temporary file in the same folder and are renamed over the
target, so the site builder never reads half a file; checkpoints are also
fsynced and rotated (last.pt -> previous.pt), so a crash never leaves only a
torn one. JSONL rows are appended one whole line at a time and flushed.
Non-finite numbers become null. Nothing here deletes a run folder.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import torch
import torchvision
import yaml
from torchvision.utils import make_grid

from ganreport import runformat as rf

FORMAT_VERSION = rf.FORMAT_VERSION
GRID_SIZE = 64  # images in a grid (8x8 in the contract's geometry)


def now_iso() -> str:
    """UTC time, ISO 8601 with offset, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def finite_or_none(value: Any) -> Any:
    """Replace NaN/inf (anywhere in a nested structure) with None: JSON has no NaN."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    return value


class _FlowListDumper(yaml.SafeDumper):
    """Writes short lists inline ([0.7, 1.0]) and keeps mappings in block style."""


_FlowListDumper.add_representer(
    list,
    lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True),
)


def dump_yaml(tree: dict[str, Any]) -> str:
    """The config as readable YAML in field order."""
    return yaml.dump(tree, Dumper=_FlowListDumper, sort_keys=False, allow_unicode=True, width=100)


def fsync_folder(folder: Path) -> None:
    """Make renames inside `folder` durable (a no-op where folders cannot be opened)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def atomic_write(path: Path, write: Callable[[IO[bytes]], None], durable: bool = False) -> None:
    """Call write(handle) on a temporary file beside path, then rename it over path.

    durable: fsync the data before the rename and the folder after it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False)
    try:
        with handle:
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)  # temp files are private (0600); run files are not
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    if durable:
        fsync_folder(path.parent)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file; lines that do not parse (a torn last line) are left out."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def grid_pixels(images: torch.Tensor, columns: int = rf.GRID_COLUMNS,
                padding: int = rf.GRID_PADDING) -> Any:
    """(N, C, S, S) in [-1, 1] (or uint8) -> a PIL grid `columns` wide with `padding` px
    (the contract's geometry unless a writer says otherwise; summary.json records it)."""
    from PIL import Image  # local: only grids need PIL here

    if images.dtype == torch.uint8:
        images = images.float().div(127.5).sub(1.0)
    grid = make_grid(
        images.detach().float().cpu(), nrow=columns, padding=padding,
        normalize=True, value_range=(-1, 1),
    )  # (C, H, W) in [0, 1]
    pixels = grid.mul(255).add(0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    return Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)


class RunWriter:
    """Writes one run folder `runs/<study>/<version>/` (file names from runformat)."""

    def __init__(self, folder: Path, columns: int = rf.GRID_COLUMNS,
                 padding: int = rf.GRID_PADDING) -> None:
        self.folder = Path(folder)
        self.columns, self.padding = columns, padding  # of every grid it draws

    @property
    def grid(self) -> dict[str, int]:
        """summary.json's `grid`: the geometry this writer draws with, for the site."""
        return {"columns": self.columns, "padding": self.padding}

    def picture(self, images: torch.Tensor) -> Any:
        """A PIL grid of `images` in this writer's geometry."""
        return grid_pixels(images, self.columns, self.padding)

    def start(self) -> None:
        """Make the folder and its subfolders; never removes anything."""
        (self.folder / rf.SAMPLES_DIR).mkdir(parents=True, exist_ok=True)
        (self.folder / rf.CHECKPOINTS_DIR).mkdir(exist_ok=True)

    def write_text(self, name: str, text: str) -> None:
        atomic_write(self.folder / name, lambda handle: handle.write(text.encode("utf-8")))

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        self.write_text(name, json.dumps(finite_or_none(data), indent=2, allow_nan=False) + "\n")

    def write_config(self, tree: dict[str, Any]) -> None:
        self.write_text(rf.CONFIG, dump_yaml(tree))

    def append_jsonl(self, name: str, row: dict[str, Any]) -> None:
        """Append one whole line and flush, so a crash tears at most the last line."""
        line = json.dumps(finite_or_none(row), allow_nan=False) + "\n"
        with open(self.folder / name, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()

    def trim_jsonl(self, name: str, keep: Callable[[dict[str, Any]], bool]) -> int:
        """Rewrite `name` with only the rows `keep` accepts (torn lines go too); return dropped."""
        path = self.folder / name
        if not path.is_file():
            return 0
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = read_jsonl(path)
        kept = [row for row in rows if keep(row)]
        text = "".join(json.dumps(row, allow_nan=False) + "\n" for row in kept)
        atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))
        return len(lines) - len(kept)

    def write_grid(self, epoch: int, images: torch.Tensor) -> str:
        """Save (64, C, S, S) images in [-1, 1] as a PNG grid; return its relative path."""
        relative = rf.sample_name(epoch)
        picture = self.picture(images)
        atomic_write(self.folder / relative, lambda handle: picture.save(handle, format="PNG"))
        return relative

    def write_real_grid(self, images: torch.Tensor) -> str:
        """Save up to 64 real training images (uint8, or float in [-1, 1]) as samples/real.png."""
        picture = self.picture(images[:GRID_SIZE])
        atomic_write(self.folder / rf.REAL_GRID, lambda handle: picture.save(handle, format="PNG"))
        return rf.REAL_GRID

    def remove_samples_after(self, epoch: int) -> None:
        """Remove fixed-noise grids of epochs after `epoch` (resume and rollback redraw them)."""
        for path in (self.folder / rf.SAMPLES_DIR).glob("epoch_*.png"):
            number = path.stem.removeprefix("epoch_")
            if number.isdigit() and int(number) > epoch:
                path.unlink()

    def write_checkpoint(self, state: dict[str, Any]) -> None:
        """Durably write last.pt, keeping the one before as previous.pt."""
        last, previous = self.folder / rf.LAST_CHECKPOINT, self.folder / rf.PREVIOUS_CHECKPOINT
        temporary = last.with_name(f".{last.name}.new")
        with open(temporary, "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        if last.exists():
            os.replace(last, previous)  # a crash from here on leaves previous.pt whole
        os.replace(temporary, last)
        fsync_folder(last.parent)


def git_state(repo: Path) -> tuple[str | None, bool]:
    """(commit, dirty) of the checkout holding `repo`; (None, False) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, False
    return commit or None, bool(status.strip())


def environment(
    device: torch.device, seed: int, command: str, performance: dict[str, Any] | None = None
) -> dict[str, Any]:
    """env.json: what ran where (and which speed switches were on), so a reader can reproduce it."""
    commit, dirty = git_state(Path(__file__).resolve().parents[1])
    cuda = torch.version.cuda if device.type == "cuda" else None
    if device.type == "cuda":
        device_name = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        device_name = "Apple GPU (mps)"
    else:
        device_name = (
            f"CPU, {platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)"
        )
    return {
        "format_version": FORMAT_VERSION,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "device": device.type,
        "device_name": device_name,
        "cuda": cuda,
        "git_commit": commit,
        "git_dirty": dirty,
        "seed": seed,
        "command": command,
        "platform": platform.platform(),
        "started_at": now_iso(),
        "threads": torch.get_num_threads(),
        "argv": sys.argv,
        "performance": performance,
    }
