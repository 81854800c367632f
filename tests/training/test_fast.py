"""The performance section: resolved per device, applied, recorded in env.json; CUDA parts skip."""

from __future__ import annotations

import json

import pytest
import torch

from tests.training.conftest import EXPERIMENTS
from tests.training.test_cli import TINY, one_thread  # noqa: F401 (autouse)
from tests.training.test_loop import tiny_config, tiny_images
from training import loop
from training.cli import main
from training.config import PerformanceConfig
from training.fast.settings import cores_available, resolve

CPU = torch.device("cpu")


def test_cpu_resolves_cuda_switches_off_and_threads_to_at_most_the_cores():
    fast = resolve(PerformanceConfig(), CPU, 10**6)
    assert not (fast.autocast_bf16 or fast.fused_adam or fast.cudnn_benchmark or fast.cuda_graphs)
    assert not fast.device_dataset and not fast.channels_last
    assert 1 <= fast.threads <= cores_available()
    assert resolve(PerformanceConfig(threads=3), CPU, 0).threads == 3


def test_auto_on_cuda_turns_the_fast_path_on_and_big_datasets_stay_on_the_host():
    cuda = torch.device("cuda")  # resolve() only reads device.type; nothing is allocated
    fast = resolve(PerformanceConfig(), cuda, 10**6)
    assert fast.device_dataset and fast.autocast_bf16 and fast.channels_last and fast.fused_adam
    assert not resolve(PerformanceConfig(), cuda, 3 * 1024**3).device_dataset
    assert resolve(PerformanceConfig(device_dataset=True), cuda, 3 * 1024**3).device_dataset
    off = resolve(PerformanceConfig(autocast=False, channels_last=False,
                                     fused_adam=False), cuda, 0)
    assert not (off.autocast_bf16 or off.channels_last or off.fused_adam)


def test_channels_last_on_cpu_trains_to_the_same_numbers_as_the_default():
    runs = {}
    for layout in ("false", "true"):
        trainer = loop.make_trainer(tiny_config(f"performance.channels_last={layout}"), CPU,
                                    tiny_images())
        assert trainer.fast.channels_last == (layout == "true")
        scalars = [loop.train_step(trainer) for _ in range(3)]
        runs[layout] = torch.stack([s["loss_d"] for s in scalars])
    torch.testing.assert_close(runs["true"], runs["false"], rtol=1e-4, atol=1e-5)


def test_env_json_records_the_switches_in_effect(tmp_path):
    out = tmp_path / "runs"
    code = main([str(EXPERIMENTS / "abstract" / "v1.yaml"), "--out", str(out), *TINY,
                 "--set", "performance.threads=1"])
    assert code == 0
    (env_path,) = out.rglob("env.json")
    env = json.loads(env_path.read_text())
    assert env["performance"]["threads"] == 1 and env["threads"] == 1
    assert env["performance"]["autocast_bf16"] is False and env["performance"]["compile"] is False


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA fast path: needs a GPU")
def test_cuda_fast_path_step_is_finite():
    trainer = loop.make_trainer(tiny_config(), torch.device("cuda"), tiny_images())
    assert trainer.fast.autocast_bf16 and trainer.batches.images.device.type == "cuda"
    scalars = loop.train_step(trainer)
    assert all(torch.isfinite(v).all() for v in scalars.values())
    assert scalars["loss_d"].dtype == torch.float32  # losses stay fp32 under autocast


def test_asking_for_cuda_graphs_is_refused_not_ignored(tmp_path, capsys):
    argv = [str(EXPERIMENTS / "abstract" / "v1.yaml"), "--out", str(tmp_path), "--profile",
            "smoke", "--device", "cpu", "--no-progress", "--set", "performance.cuda_graphs=true"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "performance.cuda_graphs" in err
    assert "not implemented" in err
    assert not (tmp_path / "abstract").exists()
