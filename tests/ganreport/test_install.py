"""`pip install` of the project into a fresh virtualenv outside the checkout, then
`ganreport build` there: templates and static assets must ship as package data.

No network: the wheel is built by this venv's pip and setuptools from a copy of the
sources, installed with --no-deps into a new venv, and the dependencies (Jinja2,
matplotlib, ...) are made visible through a .pth file pointing at this venv's
site-packages, added only after the install, so pip never sees another ganreport.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.ganreport.conftest import REPO
from tests.run_fixtures import write_all_studies

pytestmark = pytest.mark.slow
SOURCES = ("pyproject.toml", "README.md", "ganreport", "training")


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done


def _base_python() -> str:
    """The interpreter this venv was made from (a venv's python can't make a clean one)."""
    return str(Path(sys.base_prefix) / "bin" / "python3")


def test_pip_install_then_build_outside_the_checkout(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
          "--no-index", "-w", str(tmp_path / "wheels"), str(source)], cwd=tmp_path)
    (wheel,) = (tmp_path / "wheels").glob("ganreport-*.whl")
    venv = tmp_path / "venv"
    _run([_base_python(), "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
          "--no-index", str(wheel)], cwd=tmp_path)
    target = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                  cwd=tmp_path).stdout.strip()
    Path(target, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    shutil.copytree(REPO / "site_src", tmp_path / "site_src")
    write_all_studies(tmp_path / "runs", epochs=2)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    where = _run([str(python), "-c", "import ganreport; print(ganreport.__file__)"],
                 cwd=tmp_path, env=env).stdout
    assert where.startswith(str(venv)), f"not the installed copy: {where}"
    done = _run([str(venv / "bin" / "ganreport"), "build", "--src", "site_src", "--runs", "runs",
                 "--out", "_site", "--baseurl", "/project"], cwd=tmp_path, env=env)
    assert "built 17 pages of 3 studies" in done.stdout
    site = tmp_path / "_site"
    for path in ("index.html", "studies/critic/v1/index.html", "assets/css/site.css",
                 "assets/js/slider.js", "assets/mathjax/es5/startup.js"):
        assert (site / path).is_file(), path
    assert 'href="/project/assets/css/site.css"' in (site / "index.html").read_text()
