""".github/workflows/pages.yml: builds from committed bundles with the Pages base path, then
uploads and deploys; its build command is run here for real, as the runner would run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ganreport.__main__ import main
from tests.run_fixtures import write_study

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github/workflows/pages.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _uses(workflow: dict, action: str) -> dict:
    found = [s for s in _steps(workflow) if str(s.get("uses", "")).startswith(action + "@")]
    assert len(found) == 1, f"{action} used {len(found)} times"
    return found[0]


def _build_step(workflow: dict) -> dict:
    found = [s for s in _steps(workflow) if "ganreport build" in str(s.get("run", ""))]
    assert len(found) == 1, "one step runs ganreport build"
    return found[0]


def test_workflow_runs_on_push_with_pages_permissions(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "push" in triggers
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_workflow_installs_the_site_builder_without_torch(workflow):
    installs = [s["run"] for s in _steps(workflow) if "pip install" in str(s.get("run", ""))]
    assert installs == ["pip install ."], installs
    assert "torch" not in WORKFLOW.read_text().replace("no torch", "")
    _uses(workflow, "actions/setup-python")
    _uses(workflow, "actions/checkout")


def test_base_path_of_configure_pages_feeds_the_baseurl(workflow):
    pages = _uses(workflow, "actions/configure-pages")
    build = _build_step(workflow)
    steps = _steps(workflow)
    assert steps.index(pages) < steps.index(build)
    output = f"steps.{pages['id']}.outputs.base_path"
    command = build["run"]
    via_env = [name for name, value in build.get("env", {}).items() if output in str(value)]
    assert via_env or output in command
    assert any(f'--baseurl "${name}"' in command for name in via_env) or output in command
    assert "--runs bundles" in command and "--out _site" in command


def test_upload_and_deploy_are_wired(workflow):
    build_job = next(name for name, job in workflow["jobs"].items()
                     if _build_step(workflow) in job.get("steps", []))
    steps = workflow["jobs"][build_job]["steps"]
    upload = _uses(workflow, "actions/upload-pages-artifact")
    assert upload in steps and steps.index(upload) > steps.index(_build_step(workflow))
    assert upload["with"]["path"] == "_site"
    deploy_job = next(job for job in workflow["jobs"].values()
                      if any("deploy-pages" in str(s.get("uses")) for s in job["steps"]))
    assert deploy_job["needs"] == build_job
    assert deploy_job["environment"]["name"] == "github-pages"
    deploy = _uses(workflow, "actions/deploy-pages")
    assert deploy["id"] in deploy_job["environment"]["url"]


def test_the_build_command_builds_the_site_from_an_export(workflow, tmp_path):
    """The step's own shell command, with the env GitHub would give it, over a fresh bundle."""
    write_study(tmp_path / "runs", epochs=4)
    shutil.copytree(REPO / "site_src", tmp_path / "checkout/site_src")
    assert main(["export", "abstract", "--runs", str(tmp_path / "runs"),
                 "--out", str(tmp_path / "checkout/bundles/abstract")]) == 0
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_dir / "python").chmod(0o755)  # the venv's python, as `python` on PATH
    build = _build_step(workflow)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(REPO), "BASEURL": "/my-repo"}
    env.update({k: v for k, v in build.get("env", {}).items() if "${{" not in str(v)})
    done = subprocess.run(["bash", "-c", build["run"]], cwd=tmp_path / "checkout", env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    home = (tmp_path / "checkout/_site/index.html").read_text(encoding="utf-8")
    assert 'href="/my-repo/studies/abstract/compare/"' in home
    assert (tmp_path / "checkout/_site/studies/abstract/v3/index.html").is_file()
