"""MNIST class coverage: real digits cover 10/10, one repeated digit covers 1/10.

Trains the classifier once for the module (about 30 s of CPU time), into a temporary
cache folder.
"""

from __future__ import annotations

import math
import shutil

import pytest
import torch

from training.metrics import Settings, measure, prepare_reference
from training.metrics import coverage as coverage_metric

from .test_metrics_images import MNIST_DIR, mnist_digits, need_mnist


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    need_mnist()
    cache = tmp_path_factory.mktemp("classifier")
    model, accuracy = coverage_metric.cached_classifier(MNIST_DIR, cache)
    return model, accuracy, cache


def test_the_classifier_is_accurate_and_cached(trained, monkeypatch):
    model, accuracy, cache = trained
    assert accuracy > 0.93  # on the 1000 held-out digits
    files = list(cache.glob("mnist-classifier-*.pt"))
    assert len(files) == 1

    def no_training(*_args, **_kwargs):
        raise AssertionError("trained again although cached")

    monkeypatch.setattr(coverage_metric, "train_classifier", no_training)
    again, cached_accuracy = coverage_metric.cached_classifier(MNIST_DIR, cache)
    assert cached_accuracy == accuracy
    for mine, theirs in zip(model.state_dict().values(), again.state_dict().values(),
                            strict=True):
        assert torch.equal(mine, theirs)


def test_real_digits_cover_every_class(trained):
    model = trained[0]
    digits = mnist_digits()[5000:5512]
    row = coverage_metric.class_coverage(coverage_metric.predict(model, digits))
    assert row["coverage"] == 1.0 and row["class_kl"] < 0.05


def test_one_repeated_digit_covers_one_class(trained):
    model = trained[0]
    copies = mnist_digits()[7:8].expand(512, -1, -1, -1)
    row = coverage_metric.class_coverage(coverage_metric.predict(model, copies))
    assert row["coverage"] == 0.1 and row["class_kl"] == pytest.approx(math.log(10), abs=1e-9)


def test_resized_rgb_digits_are_classified_too(trained):
    model = trained[0]
    digits = mnist_digits()[5000:5256].float()
    rgb32 = torch.nn.functional.interpolate(digits, size=32, mode="bilinear", antialias=True)
    rgb32 = rgb32.round().clamp(0, 255).to(torch.uint8).expand(-1, 3, -1, -1)
    predicted = coverage_metric.predict(model, rgb32)
    original = coverage_metric.predict(model, mnist_digits()[5000:5256])
    assert (predicted == original).float().mean() > 0.9


def test_coverage_counts_classes_above_a_tenth_of_their_share():
    # 500 samples: class 0 has 450, classes 1-4 have 10 each (share 0.02 >= 0.01), class 5 has 4
    # (0.008 < 0.01: a few stray samples are not a mode), 6-9 none
    predicted = torch.tensor([0] * 456 + [1, 2, 3, 4] * 10 + [5] * 4)
    row = coverage_metric.class_coverage(predicted)
    assert row["coverage"] == 0.5
    balanced = coverage_metric.class_coverage(torch.arange(10).repeat(50))
    assert balanced == {"coverage": 1.0, "class_kl": pytest.approx(0.0, abs=1e-12)}


def test_measure_reports_coverage_with_the_cached_classifier(trained):
    cache = trained[2]
    settings = Settings(metrics=("coverage",), samples=256, mnist_dir=str(MNIST_DIR),
                        cache_dir=str(cache))
    reference = prepare_reference(mnist_digits()[:1000], settings)
    assert reference.skipped == {} and reference.states["coverage"]["accuracy"] > 0.93
    row = measure(mnist_digits()[2000:2256], reference)
    assert row["coverage"] == 1.0 and row["class_kl"] < 0.1


def test_without_mnist_coverage_is_skipped():
    reference = prepare_reference(mnist_digits()[:64], Settings(metrics=("coverage",), samples=8))
    assert reference.skipped["coverage"].startswith("class coverage off")


def test_missing_labels_are_a_clear_skip(tmp_path):
    need_mnist()
    shutil.copy(MNIST_DIR / "t10k-images-idx3-ubyte.gz", tmp_path)
    settings = Settings(metrics=("coverage",), samples=8, mnist_dir=str(tmp_path),
                        cache_dir=str(tmp_path / "cache"))
    reference = prepare_reference(mnist_digits()[:64], settings)
    assert "labels-idx1-ubyte" in reference.skipped["coverage"]
