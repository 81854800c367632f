"""MNIST class coverage: which digits a generator draws, judged by a small classifier.

The classifier is trained by the project on the MNIST files the user has (here the 10k
test set), in seconds, and cached under the cache folder by a hash of its data and of
this file's code, so a change to either trains it again. It gives two numbers: the share
of the 10 classes covered by the samples, and KL(class histogram ‖ uniform), which is 0
for a balanced sample and log 10 ≈ 2.30 when every sample is the same digit.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import struct
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from training.data import cache_dir, read_idx_images
from training.metrics.base import Metric, MetricUnavailable, Settings, as_uint8, seeded

CLASSES = 10
SIDE = 28
MAX_IMAGES = 10_000  # training images at most (bounds the time on a CPU)
HOLDOUT = 1_000  # of those, kept aside to measure the classifier's accuracy
EPOCHS, BATCH, LEARNING_RATE, SEED = 4, 256, 4e-3, 0
# A class is covered when it holds at least this share of its uniform share of the
# samples (10% of 1/10): a few misclassified samples do not make a mode.
PRESENT_SHARE = 0.1


def read_idx_labels(path: Path) -> np.ndarray:
    """An IDX1 label file (optionally gzip) -> (N,) uint8."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        magic, count = struct.unpack(">II", handle.read(8))
        if magic != 2049:
            raise ValueError(f"{path}: not an IDX label file (magic {magic}, expected 2049)")
        labels = np.frombuffer(handle.read(count), dtype=np.uint8)
    if labels.size != count:
        raise ValueError(f"{path}: truncated IDX label file")
    return labels


def load_mnist(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) and labels (N,) from every images/labels pair in the folder."""
    images, labels = [], []
    for image_file in sorted(folder.glob("*-images-idx3-ubyte*")):
        if image_file.name.endswith(".gz") and image_file.with_suffix("").exists():
            continue  # an unpacked copy beside its .gz counts once
        stem = image_file.name.split("-images-idx3-ubyte")[0]
        label_files = sorted(folder.glob(f"{stem}-labels-idx1-ubyte*"))
        if label_files:
            images.append(read_idx_images(image_file))
            labels.append(read_idx_labels(label_files[0]))
    if not images:
        raise MetricUnavailable(
            f"class coverage off: no MNIST *-images-idx3-ubyte with its *-labels-idx1-ubyte "
            f"in {folder}")
    return np.concatenate(images)[:MAX_IMAGES], np.concatenate(labels)[:MAX_IMAGES]


def classifier() -> nn.Sequential:
    """21k parameters, strided convolutions (no pooling: cheaper backward on a CPU).
    About 95% held-out accuracy after 4 epochs on 9k digits, ~30 s of CPU time."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, stride=2, padding=2), nn.ReLU(),  # (16, 14, 14)
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),  # (32, 7, 7)
        nn.Flatten(), nn.Linear(32 * 7 * 7, CLASSES),
    )


def to_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, S, S) -> float (N, 1, 28, 28) in [0, 1]: grey, resized like the data."""
    grey = images.float().mean(dim=1, keepdim=True) / 255.0
    if grey.shape[-1] != SIDE:
        grey = F.interpolate(grey, size=(SIDE, SIDE), mode="bilinear", antialias=True,
                             align_corners=False)
    return grey


def train_classifier(images: np.ndarray, labels: np.ndarray,
                     device: str = "cpu") -> tuple[nn.Module, float]:
    """Train on all but the last HOLDOUT digits; return the model and held-out accuracy."""
    inputs = to_input(torch.from_numpy(images).unsqueeze(1)).to(device)  # (N, 1, 28, 28)
    targets = torch.from_numpy(labels.astype(np.int64)).to(device)
    train_count = inputs.shape[0] - HOLDOUT
    with torch.random.fork_rng(devices=[]):  # the trainer's random stream stays untouched
        torch.manual_seed(SEED)
        model = classifier().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    generator = seeded(SEED)
    with torch.enable_grad():  # also when called under a caller's no_grad
        for _ in range(EPOCHS):
            order = torch.randperm(train_count, generator=generator).to(device)
            for start in range(0, train_count, BATCH):
                batch = order[start:start + BATCH]
                loss = F.cross_entropy(model(inputs[batch]), targets[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
    model.eval()
    with torch.no_grad():
        predicted = model(inputs[train_count:]).argmax(dim=1)
    return model, float((predicted == targets[train_count:]).float().mean())


def cache_key(images: np.ndarray, labels: np.ndarray) -> str:
    """Hash of the training data and of this file (its code and constants)."""
    digest = hashlib.sha256()
    for part in (images.tobytes(), labels.tobytes(), Path(__file__).read_bytes()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def cached_classifier(folder: Path, cache: Path, device: str = "cpu") -> tuple[nn.Module, float]:
    """The classifier for this data and code: from the cache, or trained and stored."""
    images, labels = load_mnist(folder)
    path = cache / f"mnist-classifier-{cache_key(images, labels)}.pt"
    model = classifier()
    if path.is_file():
        try:
            stored = torch.load(path, weights_only=True, map_location="cpu")
            model.load_state_dict(stored["state_dict"])
            return model.to(device).eval(), float(stored["accuracy"])
        except Exception:  # a torn or foreign cache file is rebuilt, never trusted
            pass
    model, accuracy = train_classifier(images, labels, device)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    state = {name: value.cpu() for name, value in model.state_dict().items()}
    torch.save({"state_dict": state, "accuracy": accuracy}, temporary)
    temporary.replace(path)
    return model, accuracy


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Predicted digit of each uint8 image: (N,) int64."""
    device = next(model.parameters()).device
    return torch.cat([model(to_input(images[start:start + 512].to(device))).argmax(dim=1)
                      for start in range(0, images.shape[0], 512)])


def class_coverage(predicted: torch.Tensor) -> dict[str, float]:
    """{'coverage': share of classes covered, 'class_kl': KL(histogram ‖ uniform)} (nats)."""
    counts = torch.bincount(predicted.cpu(), minlength=CLASSES).double()
    shares = counts / counts.sum()
    covered = int((shares >= PRESENT_SHARE / CLASSES).sum())
    kl = sum(float(p) * math.log(float(p) * CLASSES) for p in shares if p > 0)
    return {"coverage": covered / CLASSES, "class_kl": kl}


def _prepare(real: torch.Tensor, settings: Settings) -> dict:
    if not settings.mnist_dir:
        raise MetricUnavailable("class coverage off: it needs MNIST (the dataset is not MNIST)")
    folder = Path(settings.mnist_dir).expanduser()
    cache = Path(settings.cache_dir) if settings.cache_dir else cache_dir()
    model, accuracy = cached_classifier(folder, cache, settings.device)
    return {"model": model, "accuracy": accuracy}


def _score(fake: torch.Tensor, state: dict, settings: Settings) -> dict[str, float]:
    return class_coverage(predict(state["model"], as_uint8(fake)))


METRIC = Metric("coverage", ("coverage", "class_kl"), _prepare, _score)
