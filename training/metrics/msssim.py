"""MS-SSIM (Wang, Simoncelli and Bovik, 2003) and the pairwise diversity built on it.

Mean MS-SSIM over random pairs of generated images (Odena et al., AC-GAN, 2017) is a
mode-collapse signal: copies score 1, unrelated images near 0. The same statistic on
real pairs is the diversity to aim for. Standard settings: Gaussian window 11,
sigma 1.5, K1 0.01, K2 0.03, the five scale weights below, 2x2 average pooling between
scales, 'valid' filtering.

Small images get fewer scales: each scale halves the side and the 11 px window must fit
inside the coarsest one, so the number of scales is the largest k <= 5 with
side / 2^(k-1) >= 11. 256 px -> 5, 128 -> 4, 64 -> 3, 32 and 28 -> 2 (32 -> 16 px; a third
scale at 8 px is smaller than the window), 16 -> 1 (plain SSIM). The first k weights are
renormalised to sum to 1, so values stay in [0, 1] and MS-SSIM(x, x) = 1 at every size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from training.metrics.base import Metric, Settings, as_uint8, check_images, seeded

WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
WINDOW, SIGMA = 11, 1.5
K1, K2 = 0.01, 0.03
DATA_RANGE = 255.0
CHUNK = 256  # pairs per batch of work


def scales_for(side: int) -> int:
    """How many scales fit an image side (see the module docstring)."""
    if side < WINDOW:
        raise ValueError(f"MS-SSIM needs images of at least {WINDOW} px, got {side}")
    scales = 1
    while scales < len(WEIGHTS) and side // 2**scales >= WINDOW:
        scales += 1
    return scales


def gaussian_window(device: torch.device | str = "cpu") -> torch.Tensor:
    """(1, 1, 11, 11) normalised Gaussian, sigma 1.5."""
    taps = torch.arange(WINDOW, dtype=torch.float64, device=device) - (WINDOW - 1) / 2
    line = torch.exp(-(taps**2) / (2 * SIGMA**2))
    line = line / line.sum()
    return torch.outer(line, line).float()[None, None]


def _ssim_terms(x: torch.Tensor, y: torch.Tensor, window: torch.Tensor):
    """Per image and channel: the mean contrast-structure term and the mean SSIM, (N, C)."""
    channels = x.shape[1]
    weight = window.expand(channels, 1, WINDOW, WINDOW)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, weight, groups=channels)  # 'valid': no padding

    c1, c2 = (K1 * DATA_RANGE) ** 2, (K2 * DATA_RANGE) ** 2
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    contrast_structure = (2 * cov + c2) / (var_x + var_y + c2)
    luminance = (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
    return contrast_structure.mean(dim=(2, 3)), (luminance * contrast_structure).mean(dim=(2, 3))


def msssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """MS-SSIM of each pair (x[i], y[i]) of uint8 images: (N,), averaged over channels."""
    check_images(x, "x")
    if x.shape != y.shape:
        raise ValueError(f"msssim needs equal shapes, got {tuple(x.shape)} and {tuple(y.shape)}")
    scales = scales_for(x.shape[-1])
    weights = torch.tensor(WEIGHTS[:scales], dtype=torch.float64)
    weights = (weights / weights.sum()).tolist()
    window = gaussian_window(x.device)
    # float32 is enough (the variances' rounding error is far below K2's constant) and
    # many times faster than float64 convolutions on a CPU
    x, y = x.float(), y.float()
    value = torch.ones(x.shape[:2], device=x.device)  # (N, C)
    for scale in range(scales):
        contrast_structure, ssim = _ssim_terms(x, y, window)
        term = ssim if scale == scales - 1 else contrast_structure
        value = value * term.clamp_min(0) ** weights[scale]
        if scale < scales - 1:
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    return value.mean(dim=1)


def random_pairs(count: int, pairs: int, generator: torch.Generator):
    """`pairs` index pairs (i, j) with i != j, drawn uniformly."""
    if count < 2:
        raise ValueError("diversity needs at least 2 images")
    first = torch.randint(count, (pairs,), generator=generator)
    second = (first + torch.randint(1, count, (pairs,), generator=generator)) % count
    return first, second


def diversity(images: torch.Tensor, pairs: int, generator: torch.Generator) -> float:
    """Mean MS-SSIM over random pairs of a uint8 batch: high = alike (collapse)."""
    first, second = random_pairs(images.shape[0], pairs, generator)
    total = 0.0
    for start in range(0, pairs, CHUNK):
        a = images[first[start:start + CHUNK].to(images.device)]
        b = images[second[start:start + CHUNK].to(images.device)]
        total += float(msssim(a, b).sum())
    return total / pairs


def _prepare(real: torch.Tensor, settings: Settings) -> float:
    return diversity(real.to(settings.device), settings.pairs, seeded(settings.seed))


def _score(fake: torch.Tensor, real_value: float, settings: Settings) -> dict[str, float]:
    fake = as_uint8(fake).to(settings.device)
    value = diversity(fake, settings.pairs, seeded(settings.seed + 1))
    return {"msssim_fake": value, "msssim_real": real_value}


METRIC = Metric("msssim", ("msssim_fake", "msssim_real"), _prepare, _score)
