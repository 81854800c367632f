"""Figures with matplotlib (Agg), cached by a hash of their inputs.

Every figure is a file in the cache folder named `<name>-<hash>.<ext>`; the hash covers
the data, the colours, the labels and STYLE_VERSION (which includes a hash of this
module's own source, so editing a drawing function redraws), so a rebuild with unchanged runs
draws nothing and a changed run redraws only its own figures. The build copies the
cached files into the site (mtimes kept).

Drawing functions take analysed data, never a run or a reader: `draw_chart` draws any
`charts.Chart`; `draw_web_grid` and `draw_animation` take image files.

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

from .charts import Chart, Panel  # noqa: E402

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


def _nan(values) -> list[float]:
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


def draw_chart(chart: Chart, path: Path) -> None:
    """Any chart (charts.py): its panels stacked over one x axis, as a themable SVG."""
    with plt.rc_context(RC):
        height = 1.1 + 2.3 * len(chart.panels) if len(chart.panels) > 1 else 3.4
        figure, axes = plt.subplots(len(chart.panels), 1, figsize=(chart.width, height),
                                    sharex=True, squeeze=False)
        for axis, panel in zip(axes[:, 0], chart.panels, strict=True):
            _draw_panel(axis, panel, chart.marks)
        axes[-1, 0].set_xlabel(chart.xlabel)
        if chart.x_range is not None:
            axes[-1, 0].set_xlim(*chart.x_range)
        if chart.title:
            axes[0, 0].set_title(chart.title, loc="left", fontsize=11)
        if chart.figure_legend:
            handles, labels = axes[0, 0].get_legend_handles_labels()
            rows = (len(labels) + 1) // 2
            figure.legend(handles, labels, loc="upper left", ncols=2, fontsize=10)
            figure.tight_layout(rect=(0, 0, 1, 1 - 0.3 * rows / height))
        else:
            figure.tight_layout()
        _save_svg(figure, path)


def _draw_panel(axis, panel: Panel, marks) -> None:
    for band in panel.bands:  # a point target is a line, a range of targets a shaded band
        if band.low == band.high:
            axis.axhline(band.low, color=band.colour, alpha=0.7, linewidth=1.4,
                         linestyle="-.", label=band.label)
        else:
            axis.axhspan(band.low, band.high, color=band.colour, alpha=0.16, linewidth=0,
                         label=band.label)
    for reference in panel.references:
        axis.axhline(reference.value, color=INK, alpha=0.4, linewidth=0.8, linestyle=":",
                     label=reference.label)
    for series in panel.series:
        style = {"linestyle": (0, series.dashes)} if series.dashes else {}
        if series.raw:
            axis.plot(series.steps, _nan(series.raw), color=series.colour, linewidth=0.8,
                      alpha=0.15 if panel.scale_to_smoothed else 0.3, **style)
        if series.smoothed:
            axis.plot(series.steps, _nan(series.smoothed), color=series.colour, linewidth=2.2,
                      label=series.label, **style)
    for mark in marks:
        axis.axvline(mark.x, color=INK, alpha=0.35, linewidth=0.9, linestyle="--")
        if mark.label and axis.get_subplotspec().is_first_row():
            axis.annotate(mark.label, (mark.x, 1), xycoords=("data", "axes fraction"),
                          xytext=(3, -3), textcoords="offset points", fontsize=8,
                          va="top", color=INK, alpha=0.8)
    low, high = panel.limits
    if low is not None and high is not None:
        axis.set_ylim(low, high)
    elif panel.scale_to_smoothed:
        _limit_to(axis, [v for s in panel.series for v in s.smoothed if v is not None])
    axis.set_ylabel(panel.ylabel)
    axis.grid(True, color=INK, alpha=0.12, linewidth=0.8)
    axis.margins(x=0.01)
    if panel.legend or panel.bands:
        axis.legend(loc="best", fontsize=9)


def _limit_to(axis, values: list[float]) -> None:
    """Scale the axis to these values (smoothed lines), not to the raw spikes."""
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
