"""The loop: phase schedule, separate random streams, exact means, grids, no per-step syncs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganreport import runformat as rf
from tests.training.conftest import EXPERIMENTS
from tests.training.test_cli import one_thread  # noqa: F401 (autouse)
from training import loop
from training.batches import BatchStream
from training.data import Dataset
from training.meter import ScalarMeter
from training.profiles import PROFILES
from training.rundir import RunWriter
from training.study import load_study, resolve

CPU = torch.device("cpu")


def tiny_config(*overrides: str, version: str = "v1"):
    """A seconds-long config: 16 px, narrow nets, batch 8."""
    base = ["dataset.image_size=16", "dataset.count=32", "train.batch_size=8", "train.epochs=2"]
    return resolve(load_study(EXPERIMENTS / "abstract"), version, PROFILES["smoke"],
                   [*base, *overrides])


def tiny_images(count: int = 32, size: int = 16) -> torch.Tensor:
    return torch.randint(0, 256, (count, 3, size, size), generator=torch.Generator().manual_seed(5),
                         dtype=torch.uint8)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_n_critic_gives_exactly_that_many_d_steps_per_g_step() -> None:
    trainer = loop.make_trainer(tiny_config("loss.name=wgan", "loss.n_critic=3"), CPU,
                                tiny_images())
    calls: list[str] = []
    d_step, g_step = trainer.loss.d_step, trainer.loss.g_step
    trainer.loss.d_step = lambda *a, **k: calls.append("D") or d_step(*a, **k)
    trainer.loss.g_step = lambda *a, **k: calls.append("G") or g_step(*a, **k)
    batches: list[torch.Tensor] = []
    next_batch = trainer.batches.next
    trainer.batches.next = lambda: batches.append(next_batch()) or batches[-1]
    for _ in range(2):
        loop.train_step(trainer)
    assert "".join(calls) == "DDDGDDDG" and trainer.step == 2
    assert len(batches) == 6  # each D step takes the next real batch
    assert trainer.steps_per_epoch == 1  # 4 batches per pass // 3 D steps per step


def test_versions_differing_only_in_labels_see_the_same_z_and_batches(monkeypatch) -> None:
    seen: dict[str, list[torch.Tensor]] = {}
    current = [""]
    draw_z = loop.draw_z
    monkeypatch.setattr(loop, "draw_z", lambda trainer, count: seen[current[0]].append(
        draw_z(trainer, count)) or seen[current[0]][-1])
    for name, overrides in (
        ("hard", ()),
        ("smoothed", ("loss.real_label_range=[0.7, 1.0]", "loss.fake_label_range=[0.0, 0.3]",
                      "loss.flip_prob=0.1")),
    ):
        current[0], seen[name] = name, []
        trainer = loop.make_trainer(tiny_config(*overrides), CPU, tiny_images())
        next_batch = trainer.batches.next
        trainer.batches.next = lambda next_batch=next_batch, name=name: seen[name].append(
            next_batch()) or seen[name][-1]
        for _ in range(3):
            loop.train_step(trainer)
    assert len(seen["hard"]) == len(seen["smoothed"]) == 6  # 3 x (batch, z)
    assert all(torch.equal(a, b) for a, b in zip(seen["hard"], seen["smoothed"], strict=True))


def test_no_host_synchronisation_inside_a_step(monkeypatch) -> None:
    """Reading a tensor's value on the host (item, tolist, bool, float) is a GPU sync.

    The one read allowed is of the optimizers' own step counters, which torch keeps
    on the CPU (a CPU read, no sync; fused Adam on CUDA keeps them on the device).
    """
    for name in ("bce", "lsgan", "wgan", "wgan-gp", "hinge"):
        trainer = loop.make_trainer(tiny_config(f"loss.name={name}", "model.d_norm=none"), CPU,
                                    tiny_images())
        loop.train_step(trainer)  # first step outside the guard: lazy initialisation
        optimizers = (trainer.nets.optimizer_g, trainer.nets.optimizer_d)
        allowed = {id(state["step"]) for opt in optimizers for state in opt.state.values()}
        reads: list[str] = []
        with monkeypatch.context() as patch:
            for method in ("item", "tolist", "__bool__", "__float__", "__int__"):
                original = getattr(torch.Tensor, method)

                def guarded(self, *args, _original=original, _method=method, _allowed=allowed,
                            _reads=reads, **kwargs):
                    if id(self) not in _allowed:
                        _reads.append(_method)
                    return _original(self, *args, **kwargs)

                patch.setattr(torch.Tensor, method, guarded)
            scalars = loop.train_step(trainer)
        assert reads == [], name
        assert set(scalars) <= set(trainer.loss.names), name


def test_meter_means_are_exact_and_counted_per_name() -> None:
    meter = ScalarMeter()
    meter.add({"loss_d": torch.tensor(1.0), "grad_penalty": torch.tensor(4.0)})
    meter.add({"loss_d": torch.tensor(2.0)})
    meter.add({"loss_d": torch.tensor(6.0), "grad_penalty": torch.tensor(8.0)})
    state = meter.state_dict()
    totals, extra = meter.read([torch.tensor(True)])
    assert totals == {"loss_d": (9.0, 3), "grad_penalty": (12.0, 2)} and extra == [1.0]
    assert meter.read() == ({}, [])
    meter.load_state_dict(state, CPU)
    assert meter.read()[0] == totals


def test_rows_hold_exact_means_over_their_steps(tmp_path: Path) -> None:
    """Rows every 2 steps are the means of the same run's per-step rows; epochs likewise."""
    runs = {}
    for every in (1, 2):
        config = tiny_config(f"train.log_every={every}")
        writer = RunWriter(tmp_path / str(every))
        writer.start()
        loop.train_run(config, Dataset(tiny_images()), writer, CPU)
        runs[every] = (_jsonl(writer.folder / rf.METRICS), _jsonl(writer.folder / rf.EPOCHS))
    (single, epochs), (paired, epochs_2) = runs[1], runs[2]
    assert [row["step"] for row in paired] == [2, 4, 6, 8]
    for row in paired:
        pair = [r for r in single if row["step"] - 2 < r["step"] <= row["step"]]
        for key in ("loss_d", "loss_g", "d_x", "d_g_z", "d_g_z_after"):
            assert row[key] == pytest.approx((pair[0][key] + pair[1][key]) / 2, abs=2e-6)
    for epoch in epochs:
        steps = [r for r in single if r["epoch"] == epoch["epoch"]]
        assert epoch["loss_d"] == pytest.approx(sum(r["loss_d"] for r in steps) / 4, abs=2e-6)
    strip = ("wall_time_s", "elapsed_s", "images_per_s")
    assert [{k: v for k, v in r.items() if k not in strip} for r in epochs] == [
        {k: v for k, v in r.items() if k not in strip} for r in epochs_2]


def test_drawing_a_grid_leaves_every_buffer_and_the_rng_as_they_were() -> None:
    trainer = loop.make_trainer(tiny_config(), CPU, tiny_images())
    loop.train_step(trainer)
    generator = trainer.nets.generator
    before = {name: buffer.clone() for name, buffer in generator.named_buffers()}
    assert any("num_batches_tracked" in name for name in before)
    rng = torch.get_rng_state()
    images = loop.sample_fixed(generator, trainer.fixed_noise)
    assert images.shape == (64, 3, 16, 16)
    after = dict(generator.named_buffers())
    assert all(torch.equal(before[name], after[name]) for name in before)
    assert torch.equal(torch.get_rng_state(), rng) and generator.training


def test_the_untrained_generators_grid_is_not_flat() -> None:
    trainer = loop.make_trainer(tiny_config(), CPU, tiny_images())
    images = loop.sample_fixed(trainer.nets.generator, trainer.fixed_noise)  # (64, 3, 16, 16)
    assert images.std().item() > 0.05
    assert images.std(dim=0).mean().item() > 0.01  # the 64 images differ from each other


def test_batches_resume_mid_pass_and_flip_only_horizontally() -> None:
    images = tiny_images(20)
    stream = BatchStream(images, 6, seed=3, flip=True, device=CPU)
    first = [stream.next() for _ in range(2)]
    state = stream.state_dict()
    rest = [stream.next() for _ in range(4)]  # crosses into a second pass (3 batches each)
    again = BatchStream(images, 6, seed=99, flip=True, device=CPU)
    again.load_state_dict(state)
    assert all(torch.equal(a, again.next()) for a in rest)
    pixels = images.float() / 127.5 - 1
    for image in first[0]:
        assert any(torch.equal(image, p) or torch.equal(image, p.flip(2)) for p in pixels)


def test_a_batch_larger_than_the_dataset_is_an_error() -> None:
    with pytest.raises(Exception, match="train.batch_size: 8 is more than the 5 images"):
        loop.make_trainer(tiny_config(), CPU, tiny_images(5))


def test_optimizers_follow_the_per_network_settings() -> None:
    trainer = loop.make_trainer(tiny_config("optim.g_lr=0.0008", "optim.d_name=rmsprop",
                                            "optim.d_lr=0.00005", "optim.g_betas=[0.0, 0.9]"),
                                CPU, tiny_images())
    g_group = trainer.nets.optimizer_g.param_groups[0]
    assert isinstance(trainer.nets.optimizer_g, torch.optim.Adam)
    assert g_group["lr"] == 0.0008 and g_group["betas"] == (0.0, 0.9)
    assert isinstance(trainer.nets.optimizer_d, torch.optim.RMSprop)
    assert trainer.nets.optimizer_d.param_groups[0]["lr"] == 0.00005


def test_without_a_terminal_training_prints_one_line_per_epoch(tmp_path: Path, capsys) -> None:
    from training.cli import main

    argv = [str(EXPERIMENTS / "abstract" / "v1.yaml"), "--out", str(tmp_path), "--profile",
            "smoke", "--device", "cpu", "--set", "train.epochs=3", "--set", "dataset.count=32"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "\r" not in err  # no bar redraws
    lines = [line for line in err.splitlines() if line.startswith("abstract/v1 epoch ")]
    assert [line.split()[2] for line in lines] == ["1/3", "2/3", "3/3"]
    assert "loss_d" in lines[0] and "d_x" in lines[0] and "img/s" in lines[0]


def test_trimming_after_a_checkpoint_keeps_only_what_it_covers(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path)
    writer.start()
    for step in range(1, 7):
        writer.append_jsonl(rf.METRICS, {"step": step, "epoch": (step + 2) // 3})
        writer.append_jsonl(rf.EVENTS, {"kind": "x", "step": step})
    for epoch in (1, 2):
        writer.append_jsonl(rf.EPOCHS, {"epoch": epoch, "step": 3 * epoch})
        writer.append_jsonl(rf.QUALITY, {"epoch": epoch, "swd": 1.0})  # quality rows: no step
        writer.write_grid(epoch, torch.zeros(4, 3, 4, 4))
    assert loop.trim_after(writer, step=4, epochs_done=1, events=False) == 2 + 1 + 1
    assert [r["step"] for r in _jsonl(tmp_path / rf.METRICS)] == [1, 2, 3, 4]
    assert [r["epoch"] for r in _jsonl(tmp_path / rf.EPOCHS)] == [1]
    assert [r["epoch"] for r in _jsonl(tmp_path / rf.QUALITY)] == [1]
    assert len(_jsonl(tmp_path / rf.EVENTS)) == 6  # a rollback keeps the record of what happened
    assert not (tmp_path / rf.sample_name(2)).exists() and (tmp_path / rf.sample_name(1)).exists()
