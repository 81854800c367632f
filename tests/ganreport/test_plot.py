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


def test_animation_is_an_animated_webp(tmp_path):
    from PIL import Image

    run = read_run(write_run(tmp_path / "runs", "v1", epochs=3), [])
    path = tmp_path / "p.webp"
    plot.draw_animation([grid.path for grid in run.samples.values()], path)
    with Image.open(path) as image:
        assert image.format == "WEBP" and image.n_frames == 4
