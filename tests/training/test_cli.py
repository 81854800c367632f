"""End to end: `ganreport train` on tiny runs writes every file of the run folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from PIL import Image

from ganreport import runformat as rf
from tests.training.conftest import EXPERIMENTS, MNIST_DIR, REQUIRED_KEYS, write_study
from training.cli import main


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: on 2 cores shared with other jobs, 2 threads spin-wait 10-25x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TINY = [
    "--profile",
    "smoke",
    "--device",
    "cpu",
    "--no-progress",
    "--set",
    "dataset.count=40",
    "--set",
    "train.epochs=2",
]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _check_run(run: Path, epochs: int) -> None:
    """Every file of docs/run-format.md is there, parses, and holds finite numbers."""
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert all(key in config for key in REQUIRED_KEYS)
    assert config["dataset"]["image_size"] == 32 and config["train"]["epochs"] == epochs
    env = json.loads((run / "env.json").read_text())
    assert env["format_version"] == rf.FORMAT_VERSION and env["device"] == "cpu"
    assert env["command"].startswith("ganreport train ")
    metrics = _jsonl(run / "metrics.jsonl")
    steps = [row["step"] for row in metrics]
    assert steps == sorted(set(steps)) and steps[0] >= 1
    for row in metrics:
        for key in ("loss_d", "loss_g", "d_x", "d_g_z", "elapsed_s"):
            assert isinstance(row[key], float) and row[key] == row[key]  # finite, not null
    epochs_rows = _jsonl(run / "epochs.jsonl")
    assert [row["epoch"] for row in epochs_rows] == list(range(1, epochs + 1))
    for row in epochs_rows:
        assert (run / row["sample"]).is_file() and row["images_per_s"] > 0
    assert (run / rf.sample_name(0)).is_file() and (run / rf.REAL_GRID).is_file()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "complete" and summary["epochs_completed"] == epochs
    assert summary["sample_epochs"] == list(range(0, epochs + 1))
    assert summary["grid"] == {"columns": rf.GRID_COLUMNS, "padding": rf.GRID_PADDING}
    with Image.open(run / rf.sample_name(0)) as image:  # the record is what was drawn
        assert image.width == rf.GRID_COLUMNS * (32 + rf.GRID_PADDING) + rf.GRID_PADDING
    assert summary["final"] == {k: v for k, v in epochs_rows[-1].items() if k in metrics[0]
                                and k not in ("step", "epoch", "elapsed_s")}
    checkpoint = torch.load(run / rf.LAST_CHECKPOINT, weights_only=True)
    assert checkpoint["epoch"] == epochs and checkpoint["step"] == summary["steps"]
    assert {"generator", "discriminator", "optimizer_g", "optimizer_d", "rng"} <= set(checkpoint)
    assert set(checkpoint["rng"]) >= {"python", "numpy", "torch", "z", "loss"}
    heartbeat = json.loads((run / rf.HEARTBEAT).read_text())
    assert heartbeat["state"] == "complete" and heartbeat["step"] == summary["steps"]
    assert not list(run.rglob(".*"))  # no temporary files left behind


def test_tiny_study_end_to_end(tmp_path: Path) -> None:
    assert main([str(EXPERIMENTS / "abstract"), "--out", str(tmp_path), *TINY]) == 0
    for version in ("v1", "v2", "v3"):
        _check_run(tmp_path / "abstract" / version, epochs=2)
    grids = [
        (tmp_path / "abstract" / v / "samples" / "epoch_0000.png").read_bytes()
        for v in ("v1", "v2", "v3")
    ]
    assert grids[0] == grids[2]  # same seed, same init, same fixed noise: same untrained G


def _metrics_without_time(run: Path) -> list[dict]:
    return [
        {k: v for k, v in row.items() if k != "elapsed_s"} for row in _jsonl(run / "metrics.jsonl")
    ]


def test_same_seed_same_metrics(tmp_path: Path) -> None:
    version = str(EXPERIMENTS / "abstract" / "v2.yaml")  # v2: label smoothing draws too
    assert main([version, "--out", str(tmp_path / "a"), *TINY]) == 0
    assert main([version, "--out", str(tmp_path / "b"), *TINY]) == 0
    first = _metrics_without_time(tmp_path / "a" / "abstract" / "v2")
    assert first == _metrics_without_time(tmp_path / "b" / "abstract" / "v2")
    assert len(first) >= 4


def test_short_run_on_real_mnist(tmp_path: Path) -> None:
    if not MNIST_DIR.is_dir():
        pytest.skip(f"the shared MNIST test set is not at {MNIST_DIR.resolve()}")
    study = write_study(
        tmp_path / "mnist",
        "mnist",
        {
            "study": "title: MNIST\nversions: [v1]\ndataset:\n  name: mnist\n  kind: mnist\n"
            f"  path: {MNIST_DIR.resolve()}\n  channels: 1\n",
            "v1": "title: Baseline\n",
        },
    )
    assert (
        main([str(study), "--out", str(tmp_path / "runs"), *TINY, "--set", "dataset.count=64"]) == 0
    )
    run = tmp_path / "runs" / "mnist" / "v1"
    _check_run(run, epochs=2)
    assert yaml.safe_load((run / "config.yaml").read_text())["dataset"]["channels"] == 1


def _run_error(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "Traceback" not in err and len(err.splitlines()) == 1
    return err


def test_user_errors_exit_2_with_one_line(tmp_path: Path, capsys) -> None:
    study = write_study(
        tmp_path / "s", "s", {"study": "versions: [v1]\n", "v1": "optim:\n  betas1: 0.5\n"}
    )
    err = _run_error([str(study), "--out", str(tmp_path)], capsys)
    assert "v1.yaml: optim.betas1: unknown key; did you mean optim.beta1" in err
    err = _run_error([str(EXPERIMENTS / "abstract"), "--set", "train.epochs=many"], capsys)
    assert "--set: train.epochs: expected an integer" in err
    err = _run_error([str(tmp_path / "nowhere")], capsys)
    assert "not found" in err
    err = _run_error([str(EXPERIMENTS / "abstract"), "--set", "noise_seed=3"], capsys)
    assert "--set: noise_seed: set it in study.yaml" in err
    assert not (tmp_path / "s").joinpath("runs").exists()


def test_missing_image_folder(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "japanese-art"
    err = _run_error(
        [
            str(EXPERIMENTS / "japanese-art"),
            "--out",
            str(tmp_path),
            "--profile",
            "smoke",
            "--set",
            f"dataset.path={missing}",
        ],
        capsys,
    )
    assert "dataset.path: folder not found" in err and "put your images there" in err
    assert not (tmp_path / "japanese-art").exists()  # nothing written before data is found


def test_folder_with_a_corrupt_image_trains(tmp_path: Path, capsys) -> None:
    from PIL import Image

    images = tmp_path / "images"
    images.mkdir()
    for index in range(20):
        Image.new("RGB", (48, 40), (index * 12, 80, 200 - index * 9)).save(images / f"{index}.png")
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    argv = [
        str(EXPERIMENTS / "japanese-art" / "v1.yaml"),
        "--out",
        str(tmp_path / "runs"),
        *TINY,
        "--set",
        f"dataset.path={images}",
        "--set",
        "train.batch_size=8",
    ]
    assert main(argv) == 0
    summary = json.loads((tmp_path / "runs" / "japanese-art" / "v1" / "summary.json").read_text())
    assert summary["dataset_images"] == 20 and summary["dataset_skipped"] == 1
    assert "skipped 1 unreadable image" in capsys.readouterr().err


def test_an_abrupt_interrupt_marks_the_run_and_keeps_the_checkpoint(
    tmp_path: Path, monkeypatch
) -> None:
    """A KeyboardInterrupt mid-step (a second Ctrl-C) keeps the last whole checkpoint."""
    import training.loop

    def interrupt(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training.loop, "train_step", interrupt)
    argv = [str(EXPERIMENTS / "abstract" / "v1.yaml"), "--out", str(tmp_path), *TINY]
    assert main(argv) == 130
    run = tmp_path / "abstract" / "v1"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["epochs_completed"] == 0
    assert (run / rf.sample_name(0)).is_file()
    assert torch.load(run / rf.LAST_CHECKPOINT, weights_only=True)["step"] == 0
    assert _jsonl(run / rf.EVENTS)[-1]["kind"] == "interrupted"


def test_non_finite_loss_stops_the_run_as_diverged(tmp_path: Path, monkeypatch) -> None:
    import training.loop

    real_step = training.loop.train_step

    def nan_at_step_3(trainer, *args):
        scalars = real_step(trainer, *args)
        if trainer.step == 3:
            trainer.meter.add({"loss_g": torch.tensor(float("nan"))})
        return scalars

    monkeypatch.setattr(training.loop, "train_step", nan_at_step_3)
    argv = [str(EXPERIMENTS / "abstract" / "v1.yaml"), "--out", str(tmp_path), *TINY]
    assert main(argv) == 0
    run = tmp_path / "abstract" / "v1"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "diverged" and summary["diverged"] is True
    assert summary["steps"] == 3 and summary["epochs_completed"] == 1
    first_epoch = _jsonl(run / "epochs.jsonl")[0]
    assert summary["final"] == {k: first_epoch[k] for k in summary["final"]}  # the last whole one
    last = _jsonl(run / "metrics.jsonl")[-1]
    assert last["step"] == 3 and last["loss_g"] is None and last["loss_d"] is not None
    assert _jsonl(run / "epochs.jsonl")[-1]["sample"] == "samples/epoch_0002.png"  # 2 steps/epoch
    kinds = [(row["kind"], row["step"]) for row in _jsonl(run / rf.EVENTS)]
    assert kinds == [("nonfinite", 3), ("diverged", 3)]
    assert torch.load(run / rf.LAST_CHECKPOINT, weights_only=True)["step"] == 2  # last good one


def test_each_version_trains_with_its_own_label_ranges(tmp_path: Path, monkeypatch) -> None:
    """The ladder's point: v1 uses hard labels, v2 and v3 the smoothed ranges, every batch."""
    import training.losses.labels

    drawn: list[tuple[str, tuple[float, ...]]] = []
    real_draw = training.losses.labels.draw_labels

    def recording_draw(label_range, count, device, generator):
        drawn.append((current[0], tuple(label_range)))
        return real_draw(label_range, count, device, generator)

    monkeypatch.setattr(training.losses.labels, "draw_labels", recording_draw)
    current = [""]
    for version in ("v1", "v2", "v3"):
        current[0] = version
        path = str(EXPERIMENTS / "abstract" / f"{version}.yaml")
        assert main([path, "--out", str(tmp_path), *TINY]) == 0
    ranges = {version: {r for v, r in drawn if v == version} for version in ("v1", "v2", "v3")}
    assert ranges["v1"] == {(1.0, 1.0), (0.0, 0.0)}
    assert ranges["v2"] == ranges["v3"] == {(0.7, 1.0), (0.0, 0.3)}


def test_a_study_s_own_profile_is_found_by_profile_name(tmp_path: Path) -> None:
    """`--profile quick` names a profile that only this study's study.yaml defines."""
    folder = write_study(tmp_path / "tiny", "tiny", {
        "study": "versions: [v1]\ndataset: {count: 48, image_size: 32}\n"
                 "model: {g_features: 8, d_features: 8}\n"
                 "train: {epochs: 50, batch_size: 16}\n"
                 "profiles:\n  quick:\n    caps: {train.epochs: 1}\n",
        "v1": "title: Baseline\n",
    })
    assert main([str(folder), "--out", str(tmp_path / "runs"), "--profile", "quick",
                 "--no-progress"]) == 0
    config = yaml.safe_load((tmp_path / "runs/tiny/v1" / rf.CONFIG).read_text())
    assert config["profile"]["name"] == "quick" and config["train"]["epochs"] == 1
