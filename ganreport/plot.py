"""Figures with matplotlib (Agg), cached by a hash of their inputs.

Every figure is a file in the cache folder named `<name>-<hash>.<ext>`; the hash covers
the data, the colours, the labels and STYLE_VERSION (which includes a hash of this
module's own source, so editing a drawing function redraws), so a rebuild with unchanged runs
draws nothing and a changed run redraws only its own figures. The build copies the
cached files into the site (mtimes kept).

Drawing functions take analysed data, never a run or a reader: `draw_chart` draws any
`charts.Chart`; `draw_web_grid` takes an image file.

Every chart is drawn twice: at its own width for wide screens and at PHONE_WIDTH (shown
under PHONE_MEDIA by a <picture> source), so its text is at least 11 px where it is shown
rather than a 7 in figure shrunk to a phone. Each SVG carries its axes' positions and x
limits (AXES_COMMENT) so the page can map a click to a step and mark a step on it.

Plots are SVGs with a transparent background whose text, axes and grid use
`currentColor`; a small style block in the SVG sets that colour for light and for dark
(`prefers-color-scheme`), and the version colours are mid-tones that read on both.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

from .charts import Chart, Panel  # noqa: E402

# Changes when the drawing code (this file) or matplotlib changes: every figure redraws.
STYLE_VERSION = "-".join([
    hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12], matplotlib.__version__])
INK = "#010203"  # sentinel colour, replaced by currentColor in the SVG
SVG_STYLE = (
    "<style>svg{color:#2b2b2b}"
    "@media (prefers-color-scheme: dark){svg{color:#d6d6d6}}</style>"
)
PHONE_WIDTH = 3.5  # inches = 336 px: a phone's column (343 px at 375) shows it at full size
PHONE_MEDIA = "(max-width: 40em)"  # the CSS breakpoint under which figures fill the column
# Font sizes (pt; 1 pt = 4/3 px at natural size): the smallest is 9 pt, 12 px, when shown
# at the drawn size; the phone drawing is never shrunk below 0.86 of it at 320 px.
FONTS = {"base": 11, "small": 9, "legend": 10}
PHONE_FONTS = {"base": 10.5, "small": 9.5, "legend": 9.5}
AXES_COMMENT = "ganreport-axes"
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


def _save_svg(figure, path: Path, geometry: dict[str, Any] | None = None) -> None:
    """Write the SVG, then make its ink follow the reader's colour scheme."""
    figure.savefig(path, format="svg", transparent=True, metadata={"Date": None})
    plt.close(figure)
    text = path.read_text(encoding="utf-8")
    text = text.replace(INK, "currentColor")
    text = re.sub(r"font-family:\s*'?DejaVu Sans'?[^;\"]*", f"font-family: {FONT_STACK}", text)
    comment = (f"<!--{AXES_COMMENT} {json.dumps(geometry, separators=(',', ':'))}-->"
               if geometry else "")
    text = re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + SVG_STYLE + comment, text, count=1)
    path.write_text(text, encoding="utf-8")


def draw_chart(chart: Chart, path: Path, narrow: bool = False) -> None:
    """Any chart (charts.py): its panels stacked over one x axis, as a themable SVG;
    `narrow` lays it out for a phone (PHONE_WIDTH, one legend column, wrapped title)."""
    fonts = PHONE_FONTS if narrow else FONTS
    width = min(chart.width, PHONE_WIDTH) if narrow else chart.width
    count = len(chart.panels)
    if narrow:
        height = 0.9 + 2.2 * count if count > 1 else 2.9
    else:
        height = 1.1 + 2.3 * count if count > 1 else 3.4
    with plt.rc_context({**RC, "font.size": fonts["base"]}):
        figure, axes = plt.subplots(count, 1, figsize=(width, height), sharex=True,
                                    squeeze=False)
        for axis, panel in zip(axes[:, 0], chart.panels, strict=True):
            _draw_panel(axis, panel, chart.marks, fonts)
        axes[-1, 0].set_xlabel(chart.xlabel)
        if chart.x_range is not None:
            axes[-1, 0].set_xlim(*chart.x_range)
        if narrow:
            axes[-1, 0].xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        if chart.title:
            title = textwrap.fill(chart.title, 44) if narrow else chart.title
            axes[0, 0].set_title(title, loc="left", fontsize=fonts["base"])
        if chart.figure_legend:
            handles, labels = axes[0, 0].get_legend_handles_labels()
            columns = 1 if narrow else 2
            rows = (len(labels) + columns - 1) // columns
            figure.legend(handles, labels, loc="upper left", ncols=columns,
                          fontsize=fonts["legend"])
            figure.tight_layout(rect=(0, 0, 1, 1 - 0.3 * rows / height))
        else:
            figure.tight_layout()
        geometry = _axes_geometry(axes[:, 0])
        _save_svg(figure, path, geometry)


def _axes_geometry(axes) -> dict[str, Any]:
    """Where each axis sits (fractions of the figure, from the top left) and its x limits."""
    boxes = []
    for axis in axes:
        box = axis.get_position()
        low, high = axis.get_xlim()
        boxes.append({"left": round(box.x0, 5), "right": round(box.x1, 5),
                      "top": round(1 - box.y1, 5), "bottom": round(1 - box.y0, 5),
                      "x0": float(low), "x1": float(high)})
    return {"axes": boxes}


def svg_axes(path: Path) -> dict[str, Any] | None:
    """The geometry draw_chart wrote into the SVG, or None (an SVG drawn by older code)."""
    match = re.search(r"<!--" + AXES_COMMENT + r" (\{.*?\})-->",
                      Path(path).read_text(encoding="utf-8")[:4000])
    return json.loads(match.group(1)) if match else None


def _draw_panel(axis, panel: Panel, marks, fonts: dict[str, float] = FONTS) -> None:
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
                          xytext=(3, -3), textcoords="offset points", fontsize=fonts["small"],
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
        axis.legend(loc="best", fontsize=fonts["small"])


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
