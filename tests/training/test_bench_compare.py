"""The side-by-side bench: both loops run on the same JPEGs, the ratio is theirs (not timed)."""

from __future__ import annotations

import json

from tests.training.test_cli import one_thread  # noqa: F401 (autouse)
from training import bench_compare


def test_compare_writes_both_loops_and_their_ratio(tmp_path, capsys):
    results = tmp_path / "results.json"
    code = bench_compare.main(["--folder", str(tmp_path / "data"), "--device", "cpu",
                               "--images", "16", "--steps", "1", "--warmup", "1",
                               "--batch-size", "8", "--image-size", "16", "--jpeg-size", "64",
                               "--results", str(results)])
    assert code == 0
    result = json.loads(results.read_text())
    tutorial, ours = result["tutorial"], result["ganreport"]
    assert tutorial["images_per_s"] > 0 and ours["images_per_s"] > 0
    assert result["speedup_vs_tutorial"] == round(ours["images_per_s"] / tutorial["images_per_s"],
                                                  2)
    assert result["reduced_for_cpu"] and result["torch"] and result["peak_host_mib"] > 0
    out = capsys.readouterr().out
    assert "tutorial" in out and "ganreport v1 trainer" in out and "speedup_vs_tutorial" in out
