"""Shared fixtures for the training tests: caches and runs always go to tmp dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = REPO_ROOT / "experiments"
MNIST_DIR = Path(__file__).parents[2] / ".." / "shared" / "data" / "mnist"
# Top-level keys of config.yaml that docs/run-format.md promises the site.
REQUIRED_KEYS = (
    "study", "study_title", "version", "title", "description", "order", "parent", "seed",
    "noise_seed", "profile",
)


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never write to the repository's .cache/ from a test."""
    monkeypatch.setenv("GANREPORT_CACHE", str(tmp_path_factory.mktemp("cache")))


def write_study(folder: Path, study: str, versions: dict[str, str]) -> Path:
    """Write a study folder from YAML texts: {'study': ..., 'v1': ...} -> its path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in versions.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder
