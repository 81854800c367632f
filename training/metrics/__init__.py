"""Sample-quality metrics for quality.jsonl: SWD, MS-SSIM diversity, FID/KID, MNIST coverage.

    reference = prepare_reference(dataset_images, Settings(device="cuda"))  # once per run
    row = measure(generated_images, reference)                             # each epoch
    floor = real_floor(dataset_images, reference)                          # once per study
"""

from training.metrics.base import DEFAULT_METRICS, Metric, MetricUnavailable, Settings
from training.metrics.measure import Reference, measure, prepare_reference, real_floor
from training.metrics.registry import METRICS

__all__ = [
    "DEFAULT_METRICS", "METRICS", "Metric", "MetricUnavailable", "Reference", "Settings",
    "measure", "prepare_reference", "real_floor",
]
