"""Figures with matplotlib (Agg), cached by a hash of their inputs.

Every figure is a file in the cache folder named `<name>-<hash>.<ext>`; the hash covers
the data, the colours, the labels and STYLE_VERSION (which includes a hash of this
module's own source, so editing a drawing function redraws), so a rebuild with unchanged runs
draws nothing and a changed run redraws only its own figures. The build copies the
cached files into the site (mtimes kept).

Plots are SVGs with a transparent background whose text, axes and grid use
`currentColor`; a small style block in the SVG sets that colour for light and for dark
(`prefers-color-scheme`), and the version colours are mid-tones that read on both.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .analyse import ema  # noqa: E402
from .read_runs import Run  # noqa: E402

# Changes when the drawing code (this file) or matplotlib changes: every figure redraws.
STYLE_VERSION = "-".join([
    hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12], matplotlib.__version__])
INK = "#010203"  # sentinel colour, replaced by currentColor in the SVG
SVG_STYLE = (
    "<style>svg{color:#2b2b2b}"
    "@media (prefers-color-scheme: dark){svg{color:#d6d6d6}}</style>"
)
FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "ganreport",
    "font.size": 11,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "text.color": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "lines.solid_capstyle": "round",
}


class FigureCache:
    """Draws a figure only when no file with its input hash exists; counts draws and reuses."""

    def __init__(self, cache_dir: Path, on_draw: Callable[[str], None] | None = None):
        self.cache_dir = Path(cache_dir)
        self.redrawn = 0
        self.reused = 0
        self.on_draw = on_draw

    def get(self, name: str, inputs: Any, draw: Callable[[Path], None], ext: str = "svg") -> Path:
        """Path of the cached figure for these inputs, drawing it first if missing."""
        key = input_hash({"name": name, "style": STYLE_VERSION, "inputs": inputs})
        path = self.cache_dir / f"{name}-{key}.{ext}"
        if path.is_file():
            self.reused += 1
            return path
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        draw(partial)
        partial.replace(path)
        self.redrawn += 1
        if self.on_draw:
            self.on_draw(path.name)
        return path


def input_hash(inputs: Any) -> str:
    """12 hex digits of SHA-256 over the canonical JSON of the inputs."""
    text = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def svg_size_px(path: Path) -> tuple[int, int]:
    """Display size of a matplotlib SVG (its width/height are in pt; 1 pt = 4/3 px)."""
    head = Path(path).read_text(encoding="utf-8")[:2000]
    width = re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', head)
    height = re.search(r'<svg[^>]*\bheight="([\d.]+)pt"', head)
    if not (width and height):
        return (720, 450)
    return (round(float(width.group(1)) * 4 / 3), round(float(height.group(1)) * 4 / 3))


def _series(run: Run, key: str) -> tuple[list[int], list[float | None]]:
    steps, values = [], []
    for index, row in enumerate(run.metrics):
        value = row.get(key)
        steps.append(row.get("step", index + 1))
        values.append(float(value) if isinstance(value, (int, float)) else None)
    return steps, values


def _nan(values: list[float | None]) -> list[float]:
    return [float("nan") if value is None else value for value in values]


def _save_svg(figure, path: Path) -> None:
    """Write the SVG, then make its ink follow the reader's colour scheme."""
    figure.savefig(path, format="svg", transparent=True, metadata={"Date": None})
    plt.close(figure)
    text = path.read_text(encoding="utf-8")
    text = text.replace(INK, "currentColor")
    text = re.sub(r"font-family:\s*'?DejaVu Sans'?[^;\"]*", f"font-family: {FONT_STACK}", text)
    text = re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + SVG_STYLE, text, count=1)
    path.write_text(text, encoding="utf-8")


def _raw_and_smooth(axis, steps, values, colour, smoothing, label=None, dashes=None) -> None:
    """Raw values as a thin faint line, the EMA as a thick line on top."""
    style = {"linestyle": (0, dashes)} if dashes else {}
    axis.plot(steps, _nan(values), color=colour, linewidth=0.8, alpha=0.3, **style)
    axis.plot(steps, _nan(ema(values, smoothing)), color=colour, linewidth=2.2, label=label,
              **style)


def _finish_axis(axis, ylabel: str) -> None:
    axis.set_ylabel(ylabel)
    axis.grid(True, color=INK, alpha=0.12, linewidth=0.8)
    axis.margins(x=0.01)


def loss_inputs(run: Run, colour: str, smoothing: float) -> dict[str, Any]:
    return {"d": _series(run, "loss_d"), "g": _series(run, "loss_g"), "colour": colour,
            "smoothing": smoothing, "version": run.version}


def draw_losses(run: Run, colour: str, smoothing: float, path: Path) -> None:
    """D loss above, G loss below, per iteration; raw thin, smoothed thick, version colour."""
    with plt.rc_context(RC):
        figure, (top, bottom) = plt.subplots(2, 1, figsize=(7.2, 5.0), sharex=True)
        for axis, key, label in ((top, "loss_d", "D loss"), (bottom, "loss_g", "G loss")):
            steps, values = _series(run, key)
            _raw_and_smooth(axis, steps, values, colour, smoothing)
            _finish_axis(axis, label)
        bottom.set_xlabel("Iteration (optimizer step)")
        top.set_title(f"{run.version}: losses (thin: raw, thick: smoothed)", loc="left",
                      fontsize=11)
        figure.tight_layout()
        _save_svg(figure, path)


def draw_d_outputs(run: Run, colour: str, smoothing: float, path: Path) -> None:
    """D(x) solid and D(G(z)) dashed on one 0..1 axis: who is winning, step by step."""
    with plt.rc_context(RC):
        figure, axis = plt.subplots(figsize=(7.2, 3.4))
        for key, label, dashes in (("d_x", "D(x), real", None), ("d_g_z", "D(G(z)), fake", (4, 3))):
            steps, values = _series(run, key)
            _raw_and_smooth(axis, steps, values, colour, smoothing, label=label, dashes=dashes)
        axis.set_ylim(0, 1)
        axis.axhline(0.5, color=INK, alpha=0.35, linewidth=0.8, linestyle=":")
        _finish_axis(axis, "D's probability")
        axis.set_xlabel("Iteration (optimizer step)")
        # D(x) lives near the top and D(G(z)) near the bottom: the middle is the free band
        axis.legend(loc="center right", ncols=2)
        axis.set_title(f"{run.version}: D on real and on generated images", loc="left",
                       fontsize=11)
        figure.tight_layout()
        _save_svg(figure, path)


def d_outputs_inputs(run: Run, colour: str, smoothing: float) -> dict[str, Any]:
    return {"dx": _series(run, "d_x"), "dgz": _series(run, "d_g_z"), "colour": colour,
            "smoothing": smoothing, "version": run.version}


def compare_inputs(runs: list[Run], colours: dict[str, str], smoothing: float) -> dict[str, Any]:
    return {"runs": [(run.version, run.title, colours[run.version], _series(run, "loss_d"),
                      _series(run, "loss_g")) for run in runs], "smoothing": smoothing}


def draw_compare(runs: list[Run], colours: dict[str, str], smoothing: float, path: Path) -> None:
    """Smoothed D and G losses of several versions overlaid, one colour per version."""
    with plt.rc_context(RC):
        figure, (top, bottom) = plt.subplots(2, 1, figsize=(8.4, 5.6), sharex=True)
        smoothed: dict[Any, list[float]] = {top: [], bottom: []}
        for run in runs:
            colour = colours[run.version]
            for axis, key in ((top, "loss_d"), (bottom, "loss_g")):
                steps, values = _series(run, key)
                line = ema(values, smoothing)
                smoothed[axis] += [value for value in line if value is not None]
                axis.plot(steps, _nan(values), color=colour, linewidth=0.6, alpha=0.15)
                axis.plot(steps, _nan(line), color=colour, linewidth=2.2,
                          label=f"{run.version}: {run.title}")
        for axis, values in smoothed.items():
            _limit_to(axis, values)  # the smoothed lines decide the scale, not raw spikes
        _finish_axis(top, "D loss (smoothed)")
        _finish_axis(bottom, "G loss (smoothed)")
        bottom.set_xlabel("Iteration (optimizer step)")
        rows = (len(runs) + 1) // 2
        handles, labels = top.get_legend_handles_labels()
        figure.legend(handles, labels, loc="upper left", ncols=2, fontsize=10)
        figure.tight_layout(rect=(0, 0, 1, 1 - 0.055 * rows))
        _save_svg(figure, path)


def _limit_to(axis, values: list[float]) -> None:
    if values:
        low, high = min(values), max(values)
        pad = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
        axis.set_ylim(low - pad, high + pad)


def draw_web_grid(source: Path, path: Path) -> None:
    """A sample grid as lossy WebP (quality 90): ~30 KB instead of a ~150 KB noisy PNG."""
    from PIL import Image

    with Image.open(source) as image:
        image.convert("RGB").save(path, format="WEBP", quality=90, method=4)


def draw_animation(frames: list[Path], path: Path, frame_ms: int = 450) -> None:
    """Animated WebP of the fixed-noise grids, holding the last frame longer.

    Lossy WebP at quality 90: about a third of a GIF's size, and several times faster
    to encode than GIF's per-frame palette quantization (which dominated build time).
    """
    from PIL import Image

    images = [Image.open(frame).convert("RGB") for frame in frames]
    durations = [frame_ms] * len(images)
    durations[-1] = frame_ms * 4
    first, rest = images[0], images[1:]
    first.save(path, format="WEBP", save_all=True, append_images=rest, duration=durations,
               loop=0, quality=90, method=4)
