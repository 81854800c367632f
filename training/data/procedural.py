"""The `procedural` kind: the embedded abstract-art set, generated in seconds and cached."""

from __future__ import annotations

from training.config import DatasetConfig
from training.data import abstract_art
from training.data.common import Dataset, cached, to_gray

DEFAULT_COUNT = 6000


def load(config: DatasetConfig, source: str = "config") -> Dataset:
    """`count` compositions for `seed` at image_size; grayscale from the cached RGB tensor."""
    count = config.count or DEFAULT_COUNT
    key = {
        "kind": "procedural",
        "version": abstract_art.GENERATOR_VERSION,
        "seed": config.seed,
        "count": count,
        "size": config.image_size,
    }

    def build():
        return abstract_art.generate(config.seed, count, config.image_size), 0

    images, _ = cached("procedural", key, build)
    if config.channels == 1:
        images = to_gray(images)
    return Dataset(images, 0, f"{count} procedural compositions (seed {config.seed})")
