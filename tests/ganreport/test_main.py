"""The command line: build, one-line errors with exit code 2, bench placeholder."""

from __future__ import annotations

from ganreport.__main__ import main
from tests.ganreport.site_fixture import write_site_src
from tests.run_fixtures import write_study


def _args(root, *extra):
    return ["build", "--src", str(root / "site_src"), "--runs", str(root / "runs"),
            "--out", str(root / "_site"), "--cache", str(root / "cache"), *extra]


def test_build_command_builds_the_site(tmp_path, capsys):
    write_site_src(tmp_path)
    write_study(tmp_path / "runs", epochs=3)
    assert main(_args(tmp_path, "--baseurl", "/x")) == 0
    assert 'href="/x/compare/"' in (tmp_path / "_site/index.html").read_text()
    assert "built 9 pages" in capsys.readouterr().out


def test_user_errors_are_one_line_and_exit_2(tmp_path, capsys):
    write_site_src(tmp_path)
    assert main(_args(tmp_path)) == 2  # the home page names runs that do not exist
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert "index.md:" in err and "no run 'v1'" in err


def test_bench_is_not_implemented_yet(capsys):
    assert main(["bench"]) == 2
    assert "not implemented" in capsys.readouterr().err
