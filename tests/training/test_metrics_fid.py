"""FID/KID: skipped with a how-to line without weights; the whole path with a made-up file."""

from __future__ import annotations

import math
import sys

import pytest
import torch

from training.metrics import Settings, measure, prepare_reference
from training.metrics import fid as fid_metric
from training.metrics.base import MetricUnavailable

from .test_metrics_images import procedural


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """No Inception weights anywhere: an empty TORCH_HOME and an empty home folder."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_without_weights_fid_is_skipped_with_how_to_enable(empty_caches):
    with pytest.raises(MetricUnavailable) as raised:
        fid_metric.find_weights(None)
    line = str(raised.value)
    assert "\n" not in line and line.startswith("FID/KID off")
    for name in fid_metric.WEIGHT_FILES:
        assert name in line
    assert str(empty_caches / "torch" / "hub" / "checkpoints") in line
    assert "quality.inception_weights" in line
    reference = prepare_reference(procedural(16, 16), Settings(metrics=("fid", "swd"), samples=8))
    assert reference.skipped == {"fid": line} and reference.notes() == [line]
    row = measure(procedural(16, 16)[8:], reference)
    assert "fid" not in row and "kid" not in row and "swd" in row


def test_a_configured_path_that_is_missing_is_named(empty_caches):
    missing = empty_caches / "nowhere.pth"
    with pytest.raises(MetricUnavailable, match="quality.inception_weights: .*nowhere.pth"):
        fid_metric.find_weights(str(missing))


def test_cache_files_are_searched_under_torch_home(empty_caches):
    folder = empty_caches / "torch" / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "pt_inception-2015-12-05-6726825d.pth").write_bytes(b"x")
    assert fid_metric.find_weights(None) == folder / "pt_inception-2015-12-05-6726825d.pth"
    (folder / "weights-inception-2015-12-05-6726825d.pth").write_bytes(b"x")
    assert fid_metric.find_weights(None).name == "weights-inception-2015-12-05-6726825d.pth"


def test_without_torch_fidelity_the_line_says_install_it(empty_caches, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch_fidelity", None)  # import fails
    monkeypatch.setitem(sys.modules, "torch_fidelity.feature_extractor_inceptionv3", None)
    with pytest.raises(MetricUnavailable, match="pip install torch-fidelity"):
        fid_metric.load_inception(empty_caches / "any.pth", "cpu")


def test_a_foreign_weights_file_is_skipped_not_a_crash(empty_caches):
    pytest.importorskip("torch_fidelity")
    bad = empty_caches / "bad.pth"
    torch.save({"not": torch.zeros(1)}, bad)
    reference = prepare_reference(procedural(8, 16), Settings(metrics=("fid",), samples=4,
                                                             inception_weights=str(bad)))
    assert "is not an Inception state dict" in reference.skipped["fid"]


def test_frechet_distance_of_gaussians_by_hand():
    # diagonal covariances: FID = |m1 - m2|² + Σ (√a - √b)²
    a, b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 0.0])
    m1, m2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    expected = 1 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + (3 - 0) ** 2
    got = fid_metric.frechet_distance(m1.double(), torch.diag(a).double(), m2.double(),
                                      torch.diag(b).double())
    assert got == pytest.approx(expected, abs=1e-6)  # √ of a zero eigenvalue: 1e-7 slack
    # the same after a rotation shared by both covariances
    rotation, _ = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(0)))
    rotation = rotation.double()
    got = fid_metric.frechet_distance(m1.double(), rotation @ torch.diag(a).double() @ rotation.T,
                                      m2.double(), rotation @ torch.diag(b).double() @ rotation.T)
    assert got == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("count", [5, 40])  # fewer and more samples than dimensions
def test_fid_from_features_agrees_with_the_covariance_form(count):
    generator = torch.Generator().manual_seed(count)
    a = torch.randn(count, 12, generator=generator, dtype=torch.float64)
    b = torch.randn(count + 3, 12, generator=generator, dtype=torch.float64) * 1.5 + 0.3
    expected = fid_metric.frechet_distance(a.mean(0), torch.cov(a.T), b.mean(0), torch.cov(b.T))
    assert fid_metric.fid_from_features(a, b) == pytest.approx(expected, rel=1e-6)
    assert fid_metric.fid_from_features(a, a) == pytest.approx(0.0, abs=1e-9)


def test_kid_unbiased_estimator_by_hand():
    # k(x, y) = (x·y / 2 + 1)³.  Kxx, Kyy off the diagonal: (0 + 1)³ = 1 each, mean 1.
    # Kxy = [[1.5³, 1], [1.5³, 1]]: mean (2 x 3.375 + 2) / 4 = 2.1875.  MMD² = 1 + 1 - 4.375.
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([[1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    assert fid_metric.mmd2_unbiased(x, y) == pytest.approx(-2.375)
    assert fid_metric.kernel_inception_distance(x, y) == pytest.approx(-2.375)
    # Y against itself: Kyy = [[2³, 1], [1, 1]]: off-diagonal mean 1 twice, full mean 11/4
    assert fid_metric.mmd2_unbiased(y, y) == pytest.approx(1 + 1 - 2 * 11 / 4)


def test_kid_subsets_estimate_the_full_value():
    generator = torch.Generator().manual_seed(0)
    real = torch.randn(300, 4, generator=generator, dtype=torch.float64)
    fake = torch.randn(300, 4, generator=generator, dtype=torch.float64) + 0.5
    full = fid_metric.mmd2_unbiased(real, fake)
    subsets = fid_metric.kernel_inception_distance(real, fake, subsets=50, subset_size=100)
    assert full > 0.1 and subsets == pytest.approx(full, rel=0.15)


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    """A random-init Inception state dict saved as pytorch-fid's file in a fresh TORCH_HOME."""
    torchvision = pytest.importorskip("torchvision")
    pytest.importorskip("torch_fidelity")
    home = tmp_path_factory.mktemp("torch")
    folder = home / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        network = torchvision.models.inception_v3(weights=None, aux_logits=False,
                                                  init_weights=True, num_classes=1008)
    torch.save(network.state_dict(), folder / "pt_inception-2015-12-05-6726825d.pth")
    return home


def test_with_weights_the_whole_path_runs(inception_file, monkeypatch):
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    monkeypatch.setenv("TORCH_HOME", str(inception_file))
    # The network is resized from 299 px to its smallest input so the test takes seconds;
    # everything else (finding, loading, features, FID, KID) is the real path.
    monkeypatch.setattr(FeatureExtractorInceptionV3, "INPUT_IMAGE_SIZE", 75)
    images = procedural(12, 16)
    reference = prepare_reference(images, Settings(metrics=("fid",), samples=6))
    assert reference.skipped == {}
    same = measure(reference.real, reference)
    assert set(same) == {"fid", "kid", "samples", "measure_s"}
    darker = measure(reference.real // 2, reference)
    assert darker["fid"] > 0 and same["fid"] < 1e-6 * darker["fid"]
    assert math.isfinite(darker["kid"]) and math.isfinite(same["kid"])
    network = reference.states["fid"]["network"]
    grey = fid_metric.inception_features(network, images[:4, :1])  # grey -> RGB
    assert grey.shape == (4, 2048) and torch.isfinite(grey).all()
