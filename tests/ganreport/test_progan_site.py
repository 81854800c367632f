"""A progressive run on the site: stage starts marked on its plots, grids labelled, a strip
of the final grid of every stage (fixture runs written by the real RunWriter)."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from ganreport import charts, runformat, stages
from ganreport.__main__ import main as ganreport_main
from ganreport.read_runs import read_run
from tests.run_fixtures import config_for, write_run
from training.rundir import RunWriter


def _run(rows: list[dict]) -> SimpleNamespace:
    return SimpleNamespace(metrics=rows, config={})


ROWS = [
    {"step": 2, "epoch": 1, "resolution": 4, "alpha": 1.0, "stage": 0},
    {"step": 4, "epoch": 1, "resolution": 8, "alpha": 0.25, "stage": 1},
    {"step": 6, "epoch": 2, "resolution": 8, "alpha": 1.0, "stage": 1},
    {"step": 8, "epoch": 2, "resolution": 16, "alpha": 0.0, "stage": 2},
]


def test_stage_starts_are_marked_where_the_stage_changes() -> None:
    marks = charts.stage_marks(_run(ROWS))
    assert [(m.x, m.label) for m in marks] == [(2.0, "8 px"), (6.0, "16 px")]


def test_a_run_without_stages_gets_no_marks_or_labels() -> None:
    plain = _run([{"step": 1, "epoch": 1, "loss_d": 0.3}])
    assert charts.stage_marks(plain) == ()
    assert charts.schedule_label(plain, 1) == ""


def test_each_grid_is_labelled_with_the_resolution_and_alpha_of_its_epoch() -> None:
    assert charts.schedule_label(_run(ROWS), 1) == "8 px, α 0.25"
    assert charts.schedule_label(_run(ROWS), 2) == "16 px, α 0"
    assert charts.schedule_label(_run(ROWS), 0) == ""


# -- the version page of a progressive run written by the real RunWriter ------------------

# stage -> (first step, resolution); 4 steps an epoch, a row every 2 steps. Stage 1 starts
# and ends inside epoch 2, so no grid is drawn while it runs.
STAGES = {0: (1, 4), 1: (5, 8), 2: (7, 16), 3: (13, 32)}
FADE_STEPS = 4
EPOCHS, STEPS_PER_EPOCH, SIZE = 6, 4, 32


def _schedule(step: int) -> tuple[int, int, float]:
    """(stage, resolution, alpha) of a step of the fixture run."""
    stage = max(s for s, (first, _) in STAGES.items() if step >= first)
    first, resolution = STAGES[stage]
    alpha = 1.0 if stage == 0 else min(1.0, (step - first) / FADE_STEPS)
    return stage, resolution, alpha


def _grid(resolution: int, epoch: int) -> torch.Tensor:
    """(64, 3, SIZE, SIZE): random images at `resolution`, nearest-upsampled as the loop does."""
    noise = torch.Generator().manual_seed(epoch)
    images = torch.rand(64, 3, resolution, resolution, generator=noise) * 2 - 1
    return torch.nn.functional.interpolate(images, scale_factor=SIZE // resolution)


def write_progan_run(runs: Path, log_every: int = 2) -> Path:
    """A finished 4 -> 32 px progan run: config, metrics with the schedule, stage events
    at each boundary, a grid per epoch at the resolution of the epoch's last step."""
    config = config_for("growth", "progan", 1, None, {
        "title": "ProGAN", "description": "Progressive growing.",
        "dataset": {"image_size": SIZE}, "model": {"arch": "progan"},
        "loss": {"name": "wgan-gp", "n_critic": 1, "gp_weight": 10.0, "drift": 0.001},
        "train": {"epochs": EPOCHS, "batch_size": 8, "log_every": log_every},
        "progan": {"start": 4, "target": None, "fade_images": 32, "stabilise_images": 32},
    })
    with torch.inference_mode():
        writer = RunWriter(runs / "growth" / "progan")
        writer.start()
        writer.write_config(config)
        writer.write_json(runformat.ENV, {
            "format_version": runformat.FORMAT_VERSION, "python": "3.11.7", "torch": "2.14.1",
            "torchvision": "0.29.1", "device": "cpu", "device_name": "cpu", "cuda": None,
            "git_commit": None, "git_dirty": False, "seed": 1, "platform": "Linux",
            "command": "ganreport train experiments/growth/progan.yaml --profile cpu",
            "started_at": "2026-12-03T11:00:00+00:00"})
        writer.write_grid(0, _grid(4, 0))
        row: dict = {}
        for step in range(1, EPOCHS * STEPS_PER_EPOCH + 1):
            epoch = -(-step // STEPS_PER_EPOCH)
            stage, resolution, alpha = _schedule(step)
            if STAGES[stage][0] == step:
                writer.append_jsonl(runformat.EVENTS, {
                    "kind": "stage", "step": step, "epoch": epoch, "time": "2026-12-03T11:00:00",
                    "detail": f"stage {stage} of 3: {resolution} px, batch 8"})
            if step % log_every == 0:
                row = {"step": step, "epoch": epoch, "loss_d": -1.0 + 0.01 * step,
                       "loss_g": 0.5, "critic_real": 1.0, "critic_fake": -0.5,
                       "wasserstein": 1.5, "grad_penalty": 0.05, "drift": 0.01,
                       "resolution": resolution, "alpha": alpha, "stage": stage,
                       "elapsed_s": 0.5 * step}
                writer.append_jsonl(runformat.METRICS, row)
            if step % STEPS_PER_EPOCH == 0:
                sample = writer.write_grid(epoch, _grid(resolution, epoch))
                writer.append_jsonl(runformat.EPOCHS, {
                    "epoch": epoch, "step": step, "wall_time_s": 2.0, "elapsed_s": 0.5 * step,
                    "images_per_s": 16.0, "loss_d": row["loss_d"], "sample": sample})
        writer.write_json(runformat.SUMMARY, {
            "format_version": runformat.FORMAT_VERSION, "study": "growth", "version": "progan",
            "status": "complete", "epochs_planned": EPOCHS, "epochs_completed": EPOCHS,
            "steps": EPOCHS * STEPS_PER_EPOCH, "wall_time_s": 12.0, "images_per_s": 16.0,
            "diverged": False, "final": row, "sample_epochs": list(range(EPOCHS + 1)),
            "device": "cpu", "profile": "cpu", "started_at": "2026-12-03T11:00:00+00:00",
            "finished_at": "2026-12-03T11:00:12+00:00"})
    return writer.folder


@pytest.fixture(scope="module")
def progan_site(tmp_path_factory) -> tuple[Path, Path]:
    """(run folder, version page HTML path) of the fixture run built into a site."""
    root = tmp_path_factory.mktemp("progan-site")
    folder = write_progan_run(root / "runs")
    src = root / "src"
    src.mkdir()
    (src / "index.md").write_text("---\ntitle: Home\n---\nHello.\n")
    assert ganreport_main(["build", "--src", str(src), "--runs", str(root / "runs"),
                           "--out", str(root / "_site"), "--cache", str(root / "cache"),
                           "--strict"]) == 0
    return folder, root / "_site" / "studies/growth/progan/index.html"


def test_stages_come_from_the_stage_events_metrics_and_grids(progan_site) -> None:
    folder, _ = progan_site
    run = read_run(folder, [])
    found = [(s.index, s.resolution, s.start_step, s.start_epoch, s.epoch, s.seconds)
             for s in stages.stages(run)]
    assert found == [(0, 4, 1, 1, 1, 2.0), (1, 8, 5, 2, None, 1.0),
                     (2, 16, 7, 2, 3, 3.0), (3, 32, 13, 4, 6, 6.0)]
    assert [s.alpha for s in stages.stages(run)] == [1.0, None, 1.0, 1.0]


def test_a_stage_without_a_metrics_row_of_its_own_still_has_its_place(tmp_path) -> None:
    run = read_run(write_progan_run(tmp_path / "runs", log_every=4), [])  # stage 1: steps 5-6
    found = [(s.index, s.resolution, s.start_step, s.epoch) for s in stages.stages(run)]
    assert found == [(0, 4, 1, 1), (1, 8, 5, None), (2, 16, 7, 3), (3, 32, 13, 6)]


def test_version_page_shows_a_strip_of_the_final_grid_of_every_stage(progan_site) -> None:
    _, page = progan_site
    html = page.read_text()
    strip = html.split('<figure class="stage-strip">')[1].split("</figure>")[0]
    frames = re.findall(r'<li class="strip-frame stage-frame" data-stage="(\d)" '
                        r'data-resolution="(\d+)">(.*?)</li>', strip, re.S)
    assert [(int(s), int(r)) for s, r, _ in frames] == [(0, 4), (1, 8), (2, 16), (3, 32)]
    grids = [re.findall(r'src="([^"]+)"', body) for _, _, body in frames]
    assert grids == [["/assets/runs/growth/progan/epoch_0001.webp"], [],
                     ["/assets/runs/growth/progan/epoch_0003.webp"],
                     ["/assets/runs/growth/progan/epoch_0006.webp"]]
    assert "no grid: the stage ended inside epoch 2" in frames[1][2]
    assert "stage 3, from step 13 (epoch 4), 6 s; grid of epoch 6" in frames[3][2]
    for source in (g[0] for g in grids if g):
        assert (page.parents[3] / source.lstrip("/")).is_file()


def test_slider_frames_are_labelled_with_resolution_and_alpha(progan_site) -> None:
    _, page = progan_site
    html = page.read_text()
    frames = json.loads(unescape(re.search(r"data-frames='([^']*)'", html).group(1)))
    labels = {frame["epoch"]: frame["label"] for frame in frames}
    assert labels[0] == "Epoch 0 (4 px)"  # the untrained G, drawn at progan.start
    assert labels[2] == "Epoch 2 (16 px, α 0.25)"  # step 8: 1 step into a 4-step fade
    assert labels[6] == "Epoch 6 (32 px, α 1)"
    assert '<output class="epoch-label">Epoch 6 (32 px, α 1)</output>' in html


def test_loss_plot_marks_the_stage_starts(progan_site) -> None:
    _, page = progan_site
    html = page.read_text()
    plot = re.search(r'src="(/assets/plots/loss-[^"]*\.svg)"', html).group(1)
    svg = (page.parents[3] / plot.lstrip("/")).read_text()
    assert all(f"{px} px" in svg for px in (8, 16, 32))


def test_a_run_without_stage_events_has_no_strip(tmp_path) -> None:
    folder = write_run(tmp_path / "runs", "v1")
    assert stages.stages(read_run(folder, [])) == []
