"""The command line: build, one-line errors with exit code 2, bench."""

from __future__ import annotations

import json
from pathlib import Path

from ganreport.__main__ import main
from tests.ganreport.site_fixture import write_site_src
from tests.run_fixtures import write_all_studies, write_study


def _args(root, *extra):
    return ["build", "--src", str(root / "site_src"), "--runs", str(root / "runs"),
            "--out", str(root / "_site"), "--cache", str(root / "cache"), *extra]


def test_build_command_builds_every_study(tmp_path, capsys):
    write_site_src(tmp_path)
    write_all_studies(tmp_path / "runs", epochs=3)
    assert main(_args(tmp_path, "--baseurl", "/x")) == 0
    assert 'href="/x/studies/abstract/compare/"' in (tmp_path / "_site/index.html").read_text()
    assert "built 18 pages of 3 studies" in capsys.readouterr().out


def test_study_option_limits_the_build(tmp_path, capsys):
    write_site_src(tmp_path)
    (tmp_path / "site_src/index.md").write_text("---\nstudy: critic\n---\n{% loss_plot v1 %}\n")
    write_all_studies(tmp_path / "runs", epochs=2)
    assert main(_args(tmp_path, "--study", "critic", "--study", "squares")) == 0
    out = capsys.readouterr().out
    assert "built 13 pages of 2 studies" in out
    assert not (tmp_path / "_site/studies/abstract").exists()
    assert (tmp_path / "_site/studies/squares/v2/index.html").is_file()
    assert main(_args(tmp_path, "--study", "nope")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--study nope: no runs under" in err


def test_user_errors_are_one_line_and_exit_2(tmp_path, capsys):
    write_site_src(tmp_path)
    (tmp_path / "runs").mkdir()
    assert main(_args(tmp_path, "--allow-empty")) == 2  # the home page names runs that do not exist
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert "index.md:" in err and "no study 'abstract'" in err


def test_bench_without_runs_is_a_one_line_error(tmp_path, capsys):
    assert main(["bench", "--runs", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "make train" in err and "Traceback" not in err


def test_bench_measures_full_and_noop_builds(tmp_path, capsys):
    runs = tmp_path / "runs"
    write_study(runs)
    results = tmp_path / "results"
    src = Path(__file__).resolve().parents[2] / "site_src"
    assert main(["bench", "--src", str(src), "--runs", str(runs), "--repeat", "1",
                 "--results", str(results)]) == 0
    data = json.loads((results / "latest.json").read_text())
    site = data["site"]
    assert site["full_build_s"] > 0 and site["noop_rebuild_s"] > 0
    weight = site["home_page_bytes"]
    assert weight["html"] > 0 and weight["mathjax"] > 0  # the write-up has math
    assert weight["total_without_mathjax"] == weight["html"] + weight["assets"]
    assert weight["no_js_extra"] > 0  # the write-up's progression strips, hidden with JS
    assert "full / no-op" in capsys.readouterr().out
