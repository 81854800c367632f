"""Figures: drawn once per input hash, SVGs that follow the reader's colour scheme."""

from __future__ import annotations

from ganreport import charts, plot
from ganreport.read_runs import read_run
from tests.run_fixtures import write_run


def test_cache_draws_once_per_input(tmp_path):
    cache = plot.FigureCache(tmp_path)
    drawn = []

    def draw(path):
        drawn.append(path)
        path.write_text("x")

    first = cache.get("fig", {"a": 1}, draw)
    assert cache.get("fig", {"a": 1}, draw) == first
    assert cache.get("fig", {"a": 2}, draw) != first
    assert (cache.redrawn, cache.reused, len(drawn)) == (2, 1, 2)
    assert first.name.startswith("fig-") and first.suffix == ".svg"


def test_chart_svg_is_transparent_uses_current_colour_and_the_labels(tmp_path):
    run = read_run(write_run(tmp_path / "runs", "v1", study="squares", epochs=2), [])
    path = tmp_path / "d.svg"
    plot.draw_chart(charts.discriminator_chart(run, "#3d8bd9", 0.9), path)
    text = path.read_text()
    assert "currentColor" in text and plot.INK not in text
    assert "prefers-color-scheme: dark" in text
    assert "#3d8bd9" in text and "D output (raw)" in text and "D output on real" in text
    assert "target of D output on fake: 0" in text
    assert "fill: #ffffff" not in text
    width, height = plot.svg_size_px(path)
    assert 600 < width < 800 and 300 < height < 600


def test_phone_drawing_is_narrow_with_readable_text_and_carries_its_axes(tmp_path):
    """At 336 px a phone shows the phone drawing at its own size: its smallest text must be
    at least 11 px there (9.5 pt = 12.7 px), and the axes geometry must match the data."""
    import re

    run = read_run(write_run(tmp_path / "runs", "v1", epochs=3), [])
    chart = charts.loss_chart(run, "#3d8bd9", 0.9)
    wide, phone = tmp_path / "wide.svg", tmp_path / "phone.svg"
    plot.draw_chart(chart, wide)
    plot.draw_chart(chart, phone, narrow=True)
    assert plot.svg_size_px(phone)[0] == round(plot.PHONE_WIDTH * 96)
    assert plot.svg_size_px(wide)[0] == round(chart.width * 96)
    sizes = [float(size) for size in re.findall(r"font-size: ([\d.]+)px", phone.read_text())]
    assert sizes and min(sizes) * 4 / 3 >= 11
    steps = [row["step"] for row in run.metrics]
    for path in (wide, phone):
        axes = plot.svg_axes(path)["axes"]
        assert len(axes) == len(chart.panels)
        for axis in axes:
            assert 0 < axis["left"] < axis["right"] < 1 and 0 < axis["top"] < axis["bottom"] < 1
            assert axis["x0"] <= min(steps) and axis["x1"] >= max(steps)
