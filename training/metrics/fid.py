"""FID and KID on the standard Inception features, only when the user has the weights.

The network is torch-fidelity's `FeatureExtractorInceptionV3` (the TF-2015 Inception the
FID paper used, ported to torch); the weights are never downloaded here. They are looked
for, in order: the path in config (`quality.inception_weights`), then torch-fidelity's and
pytorch-fid's file names in torch's hub cache ($TORCH_HOME/hub/checkpoints, normally
~/.cache/torch/hub/checkpoints). Both files hold the same state dict. Without them (or
without torch-fidelity) the metric is skipped with one line that says how to enable it.

FID: Fréchet distance between Gaussians fitted to the 2048-d pool features. KID: the
unbiased MMD² with the cubic polynomial kernel k(x, y) = (x·y / d + 1)³, averaged over
random subsets, reported x1e3 (Bińkowski et al., 2018).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from training.metrics.base import (
    Metric,
    MetricUnavailable,
    Settings,
    as_uint8,
    check_images,
    seeded,
)

WEIGHT_FILES = {
    "weights-inception-2015-12-05-6726825d.pth": "torch-fidelity",
    "pt_inception-2015-12-05-6726825d.pth": "pytorch-fid",
}
SENTINEL_KEYS = {"Conv2d_1a_3x3.conv.weight", "Mixed_7c.branch_pool.conv.weight", "fc.weight"}
FEATURE = "2048"  # the pool features FID is defined on
BATCH = 64
KID_SUBSETS, KID_SUBSET_SIZE = 100, 1000
KID_SCALE = 1e3
CONFIG_KEY = "quality.inception_weights"


def cache_folders() -> list[Path]:
    """torch's hub checkpoint folder (honours $TORCH_HOME), and the default one."""
    folders = [Path(torch.hub.get_dir()) / "checkpoints",
               Path.home() / ".cache" / "torch" / "hub" / "checkpoints"]
    return list(dict.fromkeys(folders))


def candidate_paths(configured: str | None = None) -> list[Path]:
    """Every place looked at, in order: the configured path, then each cache file name."""
    paths = [Path(configured).expanduser()] if configured else []
    return paths + [folder / name for folder in cache_folders() for name in WEIGHT_FILES]


def how_to_enable() -> str:
    """The one line printed when FID/KID are off for want of weights."""
    names = " or ".join(f"{name} ({owner})" for name, owner in WEIGHT_FILES.items())
    return (f"FID/KID off: no Inception weights; put {names} in {cache_folders()[0]}/, "
            f"or set {CONFIG_KEY} to the file's path")


def find_weights(configured: str | None = None) -> Path:
    """The weights file to use; MetricUnavailable with the how-to line when there is none."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise MetricUnavailable(f"FID/KID off: {CONFIG_KEY}: {path} is not a file")
        return path
    for path in candidate_paths():
        if path.is_file():
            return path
    raise MetricUnavailable(how_to_enable())


def load_inception(weights: Path, device: str) -> torch.nn.Module:
    """torch-fidelity's FID Inception with the given weights (no download: a path is given)."""
    try:
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    except ImportError as error:
        raise MetricUnavailable(
            "FID/KID off: torch-fidelity is not installed (pip install torch-fidelity; "
            "it provides the FID Inception network)") from error
    try:
        # tensors only (weights_only), checked before torch-fidelity loads it in full
        state = torch.load(weights, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or not SENTINEL_KEYS <= set(state):
            raise ValueError(f"no {' / '.join(sorted(SENTINEL_KEYS))} in it")
        del state
        network = FeatureExtractorInceptionV3("inception-v3-compat", [FEATURE],
                                              feature_extractor_weights_path=str(weights))
    except Exception as error:  # a torn or foreign file: FID is off, training goes on
        raise MetricUnavailable(
            f"FID/KID off: {weights} is not an Inception state dict ({error})") from error
    return network.to(device).eval()


@torch.no_grad()
def inception_features(network: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """(N, 2048) float64 pool features of uint8 images (grey images repeated to RGB)."""
    check_images(images)
    device = next(network.parameters()).device
    chunks = []
    for start in range(0, images.shape[0], BATCH):
        batch = images[start:start + BATCH].to(device)
        batch = batch.expand(-1, 3, -1, -1) if batch.shape[1] == 1 else batch
        (features,) = network(batch.contiguous())
        chunks.append(features.double())
    return torch.cat(chunks)


def psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix (eigenvalues clipped at 0)."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp_min(0).sqrt()) @ vectors.T


def frechet_distance(mean_a: torch.Tensor, cov_a: torch.Tensor, mean_b: torch.Tensor,
                     cov_b: torch.Tensor) -> float:
    """|m_a - m_b|² + tr(C_a + C_b - 2 (C_a C_b)^½), from means and covariances, with
    tr (C_a C_b)^½ = Σ √eig(C_a^½ C_b C_a^½), a symmetric form that stays real."""
    root = psd_sqrt(cov_a)
    middle = root @ cov_b @ root
    trace_root = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0).sqrt().sum()
    value = (mean_a - mean_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * trace_root
    return max(float(value), 0.0)


def centred_factor(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, R) with R^T R the unbiased covariance of (N, D) features; R is min(N, D) x D."""
    mean = features.mean(dim=0)
    scaled = (features - mean) / math.sqrt(features.shape[0] - 1)  # A, with A^T A = C
    return mean, torch.linalg.qr(scaled, mode="r").R


def fid_from_factors(mean_a: torch.Tensor, factor_a: torch.Tensor, mean_b: torch.Tensor,
                     factor_b: torch.Tensor) -> float:
    """FID from centred factors. With C = R^T R, the nonzero eigenvalues of C_a C_b are the
    squared singular values of R_a R_b^T, so tr (C_a C_b)^½ is its nuclear norm: an SVD of
    a (samples x samples) matrix instead of a square root of a 2048 x 2048 one."""
    trace_root = torch.linalg.matrix_norm(factor_a @ factor_b.T, ord="nuc")
    value = ((mean_a - mean_b).square().sum() + factor_a.square().sum()
             + factor_b.square().sum() - 2 * trace_root)
    return max(float(value), 0.0)


def fid_from_features(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """FID between two (N, D) feature sets (float64 advised)."""
    return fid_from_factors(*centred_factor(features_a), *centred_factor(features_b))


def polynomial_kernel(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a @ b.T / a.shape[1] + 1) ** 3


def mmd2_unbiased(a: torch.Tensor, b: torch.Tensor) -> float:
    """Unbiased MMD² of two equal-size feature sets: off-diagonal means within each set,
    minus twice the full mean across them."""
    m = a.shape[0]
    k_aa, k_bb, k_ab = polynomial_kernel(a, a), polynomial_kernel(b, b), polynomial_kernel(a, b)
    within = (k_aa.sum() - k_aa.diagonal().sum() + k_bb.sum() - k_bb.diagonal().sum())
    return float(within / (m * (m - 1)) - 2 * k_ab.mean())


def kernel_inception_distance(real: torch.Tensor, fake: torch.Tensor, seed: int = 0,
                              subsets: int = KID_SUBSETS,
                              subset_size: int = KID_SUBSET_SIZE) -> float:
    """Mean unbiased MMD² over random subsets (one estimate when the subsets are the sets)."""
    size = min(subset_size, real.shape[0], fake.shape[0])
    if size < 2:
        raise ValueError("KID needs at least 2 images per set")
    if size == real.shape[0] == fake.shape[0]:
        return mmd2_unbiased(real, fake)
    generator = seeded(seed)
    values = []
    for _ in range(subsets):
        pick_real = torch.randperm(real.shape[0], generator=generator)[:size].to(real.device)
        pick_fake = torch.randperm(fake.shape[0], generator=generator)[:size].to(fake.device)
        values.append(mmd2_unbiased(real[pick_real], fake[pick_fake]))
    return sum(values) / len(values)


def _prepare(real: torch.Tensor, settings: Settings) -> dict:
    network = load_inception(find_weights(settings.inception_weights), settings.device)
    features = inception_features(network, real)
    mean, factor = centred_factor(features)
    return {"network": network, "features": features, "mean": mean, "factor": factor}


def _score(fake: torch.Tensor, state: dict, settings: Settings) -> dict[str, float]:
    features = inception_features(state["network"], as_uint8(fake))
    fid = fid_from_factors(state["mean"], state["factor"], *centred_factor(features))
    kid = kernel_inception_distance(state["features"], features, settings.seed)
    return {"fid": fid, "kid": KID_SCALE * kid}


METRIC = Metric("fid", ("fid", "kid"), _prepare, _score)
