"""The figures as a reader uses them, in headless Chromium: plot text readable on a phone,
each grid shown once, the slider's play control and reduced motion, the lightbox from the
keyboard, and plots linked to the slider (a click on a loss curve, a setbacks citation).

Uses the fixture site and browser of test_browser.py; skipped like it when chromium or
playwright is missing (failed under CI=true).
"""

from __future__ import annotations

import io
import json
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.ganreport.test_browser import (
    Session,
    _version_pages,
    browser,  # noqa: F401  (module fixture)
    expect,
)

pytestmark = pytest.mark.browser

MIN_PLOT_TEXT_PX = 11

# Every plot's smallest text in CSS px as shown: the SVG's font sizes (user units) times the
# rendered width over the viewBox width. Loads each plot first (they are lazy).
PLOT_TEXT_JS = """async () => {
  const out = [];
  for (const img of document.querySelectorAll('figure.plot img')) {
    img.loading = 'eager';
    img.scrollIntoView({block: 'center'});
    await img.decode().catch(() => null);
    const src = img.currentSrc || img.src;
    const text = await (await fetch(src)).text();
    const svg = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
    const viewBox = svg.getAttribute('viewBox').split(/[ ,]+/).map(Number);
    const sizes = [...svg.querySelectorAll('text')].map(t => {
      const m = /font-size:\\s*([\\d.]+)px/.exec(t.getAttribute('style') || '')
             || /font:[^;]*?([\\d.]+)px/.exec(t.getAttribute('style') || '');
      return m ? Number(m[1]) : null;
    }).filter(size => size !== null);
    const shown = img.getBoundingClientRect().width;
    out.push({src: src.split('/').pop(), texts: sizes.length,
              smallest: Math.min(...sizes) * shown / viewBox[2], shown});
  }
  return out;
}"""

VISIBLE_ALTS_JS = """() => [...document.images]
  .filter(img => img.getClientRects().length && getComputedStyle(img).visibility !== 'hidden')
  .map(img => img.alt)"""


def _phone(browser, **options):  # noqa: F811
    return Session(browser, viewport={"width": 375, "height": 740}, is_mobile=True, **options)


def test_plot_text_is_at_least_11px_at_375px(browser, site_crawl):  # noqa: F811
    """Plots are drawn at the size a phone shows them: no axis label or legend under 11 px."""
    session = _phone(browser)
    problems, measured = [], 0
    try:
        for url in sorted(site_crawl.pages):
            page = session.open(url)
            for plot in page.evaluate(PLOT_TEXT_JS):
                assert plot["texts"] > 0, f"{url}: {plot['src']} has no text to measure"
                measured += 1
                if plot["smallest"] < MIN_PLOT_TEXT_PX:
                    problems.append(f"{url}: {plot['src']} shown {plot['shown']:.0f} px wide, "
                                    f"smallest text {plot['smallest']:.1f} px")
            page.close()
    finally:
        session.context.close()
    assert measured >= 10, f"only {measured} plots measured"
    assert not problems, "\n".join(problems)


def test_each_grid_is_shown_once_and_no_two_images_share_an_alt(browser, site_crawl):  # noqa: F811
    session = Session(browser)
    problems = []
    try:
        for url in sorted(site_crawl.pages):
            page = session.open(url)
            alts = page.evaluate(VISIBLE_ALTS_JS)
            repeated = sorted({alt for alt in alts if alts.count(alt) > 1})
            if repeated:
                problems.append(f"{url}: repeated alt texts {repeated}")
            if "progression.webp" in page.content():
                problems.append(f"{url}: still serves the animation as a second image")
            page.close()
    finally:
        session.context.close()
    assert not problems, "\n".join(problems)


def test_slider_opens_on_the_last_epoch_and_is_named_after_its_run(browser, site_crawl):  # noqa: F811
    session = Session(browser)
    try:
        for url in _version_pages(site_crawl):
            page = session.open(url)
            figure = page.locator("figure.progression").first
            frames = json.loads(figure.get_attribute("data-frames"))
            run = figure.get_attribute("data-run")
            slider = page.get_by_role("slider", name=f"{run} samples, epoch")
            expect(slider).to_have_value(str(len(frames) - 1))
            expect(figure.locator(".epoch-label")).to_have_text(f"Epoch {frames[-1]['epoch']}")
            page.close()
    finally:
        session.context.close()


def test_play_runs_through_the_epochs_and_reduced_motion_stops_it(browser, site_crawl):  # noqa: F811
    url = _version_pages(site_crawl)[0]
    session = Session(browser)
    try:
        page = session.open(url)
        figure = page.locator("figure.progression").first
        frames = json.loads(figure.get_attribute("data-frames"))
        slider = figure.locator("input.epoch-slider")
        play = figure.get_by_role("button", name="Play")
        play.click()
        expect(figure.get_by_role("button", name="Pause")).to_have_attribute("aria-pressed", "true")
        expect(slider).not_to_have_value("0", timeout=3_000)  # it moves on from the first frame
        page.emulate_media(reduced_motion="reduce")  # the reader asks for less motion
        expect(figure.locator("button.play")).to_have_attribute("aria-pressed", "false")
        stopped = slider.input_value()
        page.wait_for_timeout(1_500)  # more than two frames' time
        assert slider.input_value() == stopped, "the animation went on under reduced motion"
        page.close()

        # Opened with reduced motion: the control steps one epoch a press and never runs.
        page = session.context.new_page()
        page.emulate_media(reduced_motion="reduce")
        page.goto(url)
        figure = page.locator("figure.progression").first
        slider = figure.locator("input.epoch-slider")
        slider.focus()
        page.keyboard.press("Home")
        step = figure.get_by_role("button", name="Next epoch")
        step.click()
        expect(slider).to_have_value("1")
        page.wait_for_timeout(1_500)
        assert slider.input_value() == "1" and len(frames) > 2
        expect(figure.locator("button.play")).to_have_attribute("aria-pressed", "false")
        page.close()
    finally:
        session.context.close()


def test_lightbox_from_the_keyboard(browser, site_crawl):  # noqa: F811
    """Tab to a grid, Enter opens it full size; arrows pick a sample by row and column;
    Page Down goes to the next epoch (the slider follows); Escape closes, focus returns."""
    url = _version_pages(site_crawl)[0]
    session = Session(browser)
    try:
        page = session.open(url)
        figure = page.locator("figure.progression").first
        frames = json.loads(figure.get_attribute("data-frames"))
        run = figure.get_attribute("data-run")
        slider = figure.locator("input.epoch-slider")
        slider.focus()
        page.keyboard.press("Home")
        page.keyboard.press("Shift+Tab")  # the play button, then the grid's link
        page.keyboard.press("Shift+Tab")
        opener = figure.locator(".progression-view a.enlarge")
        expect(opener).to_be_focused()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("h2")).to_have_text(f"{run}, epoch {frames[0]['epoch']}")
        image = dialog.locator("img")
        expect(image).to_have_attribute("src", frames[0]["src"])
        assert image.evaluate("i => i.getBoundingClientRect().width") > 300, "not enlarged"
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowRight")
        expect(dialog.locator(".lightbox-sample")).to_have_text(
            f"Row 3, column 2 of {run}, epoch {frames[0]['epoch']}.")
        page.keyboard.press("PageDown")
        expect(image).to_have_attribute("src", frames[1]["src"])
        expect(slider).to_have_value("1")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(opener).to_be_focused()
        page.close()

        # A compare page's grids: a row's epochs are its neighbours.
        compare = next(u for u in sorted(site_crawl.pages) if u.endswith("/compare/"))
        page = session.open(compare)
        cell = page.locator("table.grid-compare tbody tr").nth(1).locator("a.enlarge").first
        cell.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        first = dialog.locator("img").get_attribute("src")
        page.keyboard.press("PageDown")
        expect(dialog.locator("img")).not_to_have_attribute("src", first)
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        page.close()
    finally:
        session.context.close()


def _grid_png(columns: int, rows: int, side: int, padding: int) -> bytes:
    """A grid PNG of that geometry (tiles white on black), as a trainer would draw it."""
    image = Image.new("RGB", (padding + columns * (side + padding),
                              padding + rows * (side + padding)))
    for row in range(rows):
        for column in range(columns):
            left, top = padding + column * (side + padding), padding + row * (side + padding)
            image.paste((255, 255, 255), (left, top, left + side, top + side))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_lightbox_picks_samples_by_the_geometry_on_the_grids_link(browser, site_crawl):  # noqa: F811
    """A grid whose link says 4 columns and 3 px of padding (a run drawn so) is picked
    by that geometry: columns stop at 4, rows at the 3 its height holds, and the pick box
    sits on the tile (not where an 8-column, 2 px grid would put it)."""
    url = _version_pages(site_crawl)[0]
    session = Session(browser)
    try:
        def four_columns(route):
            body = route.fetch().text()
            assert body.count('data-grid-columns="8" data-grid-padding="2"') > 1
            body = body.replace('data-grid-columns="8" data-grid-padding="2"',
                                'data-grid-columns="4" data-grid-padding="3"')
            route.fulfill(body=body, content_type="text/html; charset=utf-8")

        png = _grid_png(columns=4, rows=3, side=10, padding=3)  # 55 x 42 px
        session.context.route(url, four_columns)
        session.context.route("**/assets/runs/**/epoch_*",  # every grid: one drawn so
                              lambda route: route.fulfill(body=png, content_type="image/png"))
        page = session.open(url)
        figure = page.locator("figure.progression").first
        figure.locator(".progression-view a.enlarge").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("img")).to_have_js_property("naturalWidth", 55)
        for _ in range(6):
            page.keyboard.press("ArrowRight")
        for _ in range(5):
            page.keyboard.press("ArrowDown")
        expect(dialog.locator(".lightbox-sample")).to_contain_text("Row 3, column 4 of ")
        left = float(dialog.locator(".lightbox-pick").evaluate("p => parseFloat(p.style.left)"))
        assert left == pytest.approx((3 + 3 * 13) / 55 * 100, abs=0.01)
        page.close()
    finally:
        session.context.close()


def _click_at_x(page, figure, x: float) -> None:
    """Click the plot's first axis at data value x (the geometry the SVG carries)."""
    image = figure.locator("img")
    image.scroll_into_view_if_needed()
    image.evaluate("i => i.decode()")
    axes = json.loads(figure.get_attribute("data-axes"))
    src = image.evaluate("i => i.currentSrc")
    axis = (axes["phone"] if "-phone-" in src else axes["wide"])[0]
    box = image.bounding_box()
    fraction = axis["left"] + (x - axis["x0"]) / (axis["x1"] - axis["x0"]) * (
        axis["right"] - axis["left"])
    middle = (axis["top"] + axis["bottom"]) / 2
    image.click(position={"x": fraction * box["width"], "y": middle * box["height"]})


def test_click_on_a_loss_curve_moves_the_slider_and_marks_every_plot(browser, site_crawl):  # noqa: F811
    url = _version_pages(site_crawl)[0]
    for width in (1280, 375):
        session = Session(browser, viewport={"width": width, "height": 900})
        try:
            page = session.open(url)
            progression = page.locator("figure.progression").first
            frames = json.loads(progression.get_attribute("data-frames"))
            target = frames[1]  # the grid after the first epoch: a step inside that epoch
            step = target["step"] - 1
            run = progression.get_attribute("data-run")
            loss = page.locator(f'figure.plot[data-run="{run}"]').first
            _click_at_x(page, loss, step)
            slider = progression.locator("input.epoch-slider")
            expect(slider).to_have_value("1")
            expect(progression.locator(".epoch-label")).to_have_text(f"Epoch {target['epoch']}")
            plots = page.locator('figure.plot[data-x="step"]')
            for index in range(plots.count()):
                marked = plots.nth(index).get_attribute("data-marked") or ""
                assert re.fullmatch(rf"step {step}|step {step - 1}|step {step + 1}", marked), \
                    (width, index, marked)
                expect(plots.nth(index).locator(".plot-mark")).to_have_count(1)

            # The same from the keyboard: focus the plot, move with the arrows, Enter.
            loss.locator(".plot-view").focus()
            for _ in range(25):
                page.keyboard.press("ArrowRight")
            page.keyboard.press("Enter")
            expect(slider).to_have_value(str(len(frames) - 1))
            page.close()
        finally:
            session.context.close()


def test_moving_the_slider_marks_its_step_on_every_plot(browser, site_crawl):  # noqa: F811
    """The link runs both ways: a slider moved to a grid marks that grid's step (its epoch
    on epoch-axis plots) on every plot; the untrained grid (step 0, before the first point
    of any curve) marks nothing."""
    url = _version_pages(site_crawl)[0]
    session = Session(browser, viewport={"width": 1280, "height": 900})
    try:
        page = session.open(url)
        progression = page.locator("figure.progression").first
        frames = json.loads(progression.get_attribute("data-frames"))
        slider = progression.locator("input.epoch-slider")
        plots = page.locator("figure.plot[data-axes]")
        assert plots.count() >= 2
        slider.focus()
        page.keyboard.press("Home")
        expect(progression.locator(".epoch-label")).to_have_text(f"Epoch {frames[0]['epoch']}")
        expect(page.locator(".plot-mark")).to_have_count(0)
        for key, frame in (("ArrowRight", frames[1]), ("End", frames[-1]),
                           ("ArrowLeft", frames[-2])):
            page.keyboard.press(key)
            expect(progression.locator(".epoch-label")).to_have_text(f"Epoch {frame['epoch']}")
            for index in range(plots.count()):
                plot = plots.nth(index)
                unit = plot.get_attribute("data-x")
                want = f"step {frame['step']}" if unit == "step" else f"epoch {frame['epoch']}"
                expect(plot).to_have_attribute("data-marked", want)
                expect(plot.locator(".plot-mark")).to_have_count(1)
        page.close()
    finally:
        session.context.close()


def test_a_setbacks_finding_links_to_its_step_on_the_run_page(browser, site_crawl):  # noqa: F811
    setbacks = next(u for u in site_crawl.pages if urlsplit(u).path.endswith("/setbacks/"))
    session = Session(browser)
    try:
        page = session.open(setbacks)
        cite = page.locator("a.cite-step").filter(has_text="Step 7").first
        expect(cite).to_be_visible()
        assert "?step=7#what-happened" in cite.get_attribute("href")
        cite.click()
        page.wait_for_url(re.compile(r"/studies/abstract/v2/\?step=7#what-happened$"))
        progression = page.locator("figure.progression").first
        frames = json.loads(progression.get_attribute("data-frames"))
        expected = next(i for i, frame in enumerate(frames) if frame.get("step", -1) >= 7)
        expect(progression.locator("input.epoch-slider")).to_have_value(str(expected))
        expect(page.locator('figure.plot[data-marked="step 7"]').first).to_be_attached()
        page.close()
    finally:
        session.context.close()
