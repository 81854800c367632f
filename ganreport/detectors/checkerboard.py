"""Checkerboard artefacts: excess energy at the Nyquist frequencies of the samples.

Strided transposed convolutions leave a period-2 pattern (Odena, Dumoulin and Olah,
"Deconvolution and Checkerboard Artifacts", 2016): power on the spectrum's row and
column at half the sampling rate. Each tile (grey, mean removed, Hann-windowed) gives
the share of its power found there; a grid is flagged when its mean share is FACTOR
times the real grid's (samples/real.png) and above MIN_SHARE, and the Nyquist lines are
a peak (MIN_PEAK times the power per bin two bins lower), so plain noise, whose spectrum
is flat, is not called a checkerboard. Without a real grid nothing is judged: the
baseline differs too much between datasets.
"""

from __future__ import annotations

import numpy as np

from ganreport.detectors.finding import Finding, RunSeries, epoch_steps, epochs_text, true_runs
from ganreport.detectors.grids import grey, split_grid

FACTOR = 3.0
SEVERE_FACTOR = 10.0
MIN_SHARE = 0.005
MIN_PEAK = 2.0  # the Nyquist lines stand out from their neighbours (noise is flat)


def spectra(tiles: np.ndarray) -> np.ndarray:
    """Power spectra of the tiles (grey, mean removed, Hann-windowed), DC zeroed: (count, S, S)."""
    images = grey(tiles)
    side = images.shape[-1]
    images = images - images.mean(axis=(1, 2), keepdims=True)
    window = np.outer(np.hanning(side), np.hanning(side))
    power = np.abs(np.fft.fft2(images * window)) ** 2
    power[:, 0, 0] = 0.0
    return power


def line_power(power: np.ndarray, index: int) -> tuple[np.ndarray, int]:
    """Summed power on row `index` and column `index` of each spectrum, and the bin count."""
    side = power.shape[-1]
    total = power[:, index, :].sum(axis=1) + power[:, :, index].sum(axis=1)
    return total - power[:, index, index], 2 * side - 1


def nyquist_share(tiles: np.ndarray) -> float:
    """Mean share of each tile's spectral power on the Nyquist row and column (flat tiles,
    such as the blank ones of a grid's unfilled last row, are left out)."""
    power = spectra(tiles)
    on_lines, _ = line_power(power, power.shape[-1] // 2)
    total = power.sum(axis=(1, 2))
    return float((on_lines[total > 0] / total[total > 0]).mean()) if (total > 0).any() else 0.0


def nyquist_peak(tiles: np.ndarray) -> float:
    """Power per bin on the Nyquist lines over that on the lines two bins below: about 1
    for noise (a flat spectrum), far above 1 for a period-2 pattern."""
    power = spectra(tiles).sum(axis=0, keepdims=True)  # pooled over tiles
    side = power.shape[-1]
    nyquist, bins = line_power(power, side // 2)
    below = sum(line_power(power, index)[0] for index in (side // 2 - 2, side // 2 + 2))
    return float(nyquist[0] / bins / max(float(below[0]) / (2 * bins), 1e-30))


def find_checkerboard(series: RunSeries) -> list[Finding]:
    """Runs of sampled epochs whose grids carry a checkerboard the real images do not."""
    if series.real_grid is None:
        return []
    real = nyquist_share(split_grid(series.real_grid, *series.grid))
    epochs = sorted(epoch for epoch in series.grids if epoch > 0)
    tiles = [split_grid(series.grids[epoch], *series.grid) for epoch in epochs]
    shares = [nyquist_share(part) for part in tiles]
    peaks = [nyquist_peak(part) for part in tiles]
    flagged = np.array([share > max(FACTOR * real, MIN_SHARE) and peak > MIN_PEAK
                        for share, peak in zip(shares, peaks, strict=True)], dtype=bool)
    findings = []
    for first, last in true_runs(flagged):
        worst = max(range(first, last + 1), key=lambda index: shares[index])
        ratio = shares[worst] / max(real, 1e-12)
        span = (epochs[first], epochs[last])
        findings.append(Finding(
            kind="checkerboard",
            severity="critical" if ratio >= SEVERE_FACTOR else "warning",
            steps=epoch_steps(series, *span), epochs=span,
            evidence={"worst_epoch": epochs[worst], "nyquist_share": shares[worst],
                      "real_nyquist_share": real, "ratio": ratio, "peak": peaks[worst]},
            sentence=(f"Samples in {epochs_text(span)} show checkerboard artefacts: "
                      f"{shares[worst]:.1%} of their spectral power sits at the highest "
                      f"frequencies (epoch {epochs[worst]}), {ratio:.0f} times the real "
                      f"images' {real:.2%}."),
        ))
    return findings


def detect(series: RunSeries) -> list[Finding]:
    return find_checkerboard(series)
