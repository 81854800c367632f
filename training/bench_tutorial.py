"""The benchmark's reference: the PyTorch DCGAN tutorial's training loop, as the tutorial runs it.

This is what a user would otherwise train with, so `make bench` times
ganreport's trainer against it on the same device and the same data. It is
kept as the tutorial has it, costs included: a torchvision ImageFolder of
JPEG files decoded and resized every epoch (Resize, CenterCrop, ToTensor,
Normalize) by a DataLoader with 2 workers, fp32, the tutorial's G and D with
a Sigmoid at D's end and nn.BCELoss, `.item()` every step, the fixed-noise
grid every 500 iterations. Only the per-step print (every 50 iterations) is
left out, so stdout stays quiet; the numbers it would print are still read.

`write_jpegs` makes the data once: procedural compositions of about 512 px,
saved as JPEGs like the WikiArt images users bring.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data
import torchvision.datasets as dset
import torchvision.transforms as transforms
import torchvision.utils as vutils
from PIL import Image

from training.data import abstract_art, cache_dir
from training.errors import UserError

CLASS_FOLDER = "images"  # ImageFolder wants one subfolder per class; the tutorial has one too
MANIFEST = "manifest.json"  # written last: its presence means every JPEG is there


# --------------------------------------------------------------------------- the JPEG data


def write_jpegs(folder: Path | str, count: int, size: int = 512, seed: int = 0,
                quality: int = 90, processes: int | None = None) -> Path:
    """count procedural JPEGs of size x size under folder; returns the ImageFolder root.

    Each setting gets its own root (folder/jpeg<size>-n<count>-seed<seed>), made
    once: a root whose manifest matches and whose files are all there is reused.
    """
    if count < 1:
        raise UserError(str(folder), "count", f"at least one JPEG, not {count}")
    root = Path(folder) / f"jpeg{size}-n{count}-seed{seed}"
    manifest = {"count": count, "size": size, "seed": seed, "quality": quality,
                "generator": abstract_art.GENERATOR_VERSION}
    files = [root / CLASS_FOLDER / f"{index:06d}.jpg" for index in range(count)]
    if _read_json(root / MANIFEST) == manifest and all(path.is_file() for path in files):
        return root
    files[0].parent.mkdir(parents=True, exist_ok=True)
    jobs = [(str(path), seed, index, size, quality) for index, path in enumerate(files)]
    processes = processes or min(os.cpu_count() or 1, 16)
    if processes > 1 and count >= 4 * processes:
        # fork is quick; once CUDA has started in this process only spawn is safe
        context = get_context("spawn" if torch.cuda.is_initialized() else "fork")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            list(pool.map(_write_jpeg, jobs, chunksize=max(1, count // (8 * processes))))
    else:
        for job in jobs:
            _write_jpeg(job)
    temporary = root / f"{MANIFEST}.tmp{os.getpid()}"
    temporary.write_text(json.dumps(manifest))
    os.replace(temporary, root / MANIFEST)
    return root


def _write_jpeg(job: tuple[str, int, int, int, int]) -> None:
    """Draw composition `index` and save it as a JPEG (atomically: a torn file is never left)."""
    path, seed, index, size, quality = job
    temporary = f"{path}.tmp{os.getpid()}"
    Image.fromarray(abstract_art.render(seed, index, size)).save(temporary, "JPEG",
                                                                  quality=quality)
    os.replace(temporary, path)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------- the tutorial's nets


def weights_init(module: nn.Module) -> None:
    """The tutorial's init: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02), bias 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _middle_layers(image_size: int) -> int:
    """Stride-2 blocks between 4x4 and the image: 3 at 64 px, the tutorial's size."""
    depth = math.log2(image_size) - 3
    if depth < 1 or depth != int(depth):
        raise UserError("--image-size", "image_size", "a power of two from 16 to 256")
    return int(depth)


class Generator(nn.Module):
    """The tutorial's G: z (nz x 1 x 1) -> ConvTranspose/BatchNorm/ReLU blocks -> Tanh image.

    At 64 px these are exactly the tutorial's layers (ngf*8, *4, *2, *1); other
    sizes add or drop a block, as its note on other image sizes suggests.
    """

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3, image_size: int = 64):
        super().__init__()
        middle = _middle_layers(image_size)
        widths = [ngf * 2**k for k in range(middle, -1, -1)]  # 64 px: ngf*8, *4, *2, *1
        layers = [nn.ConvTranspose2d(nz, widths[0], 4, 1, 0, bias=False),  # (ngf*8) x 4 x 4
                  nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for wide, narrow in zip(widths, widths[1:], strict=False):  # each doubles the side
            layers += [nn.ConvTranspose2d(wide, narrow, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(narrow), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)  # (nc) x S x S

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return self.main(input)


class Discriminator(nn.Module):
    """The tutorial's D: Conv/BatchNorm/LeakyReLU(0.2) blocks down to 4x4, Conv to 1, Sigmoid."""

    def __init__(self, ndf: int = 64, nc: int = 3, image_size: int = 64):
        super().__init__()
        middle = _middle_layers(image_size)
        widths = [ndf * 2**k for k in range(middle + 1)]  # 64 px: ndf, *2, *4, *8
        layers = [nn.Conv2d(nc, widths[0], 4, 2, 1, bias=False),  # (ndf) x S/2 x S/2
                  nn.LeakyReLU(0.2, inplace=True)]
        for narrow, wide in zip(widths, widths[1:], strict=False):  # each halves the side
            layers += [nn.Conv2d(narrow, wide, 4, 2, 1, bias=False), nn.BatchNorm2d(wide),
                       nn.LeakyReLU(0.2, inplace=True)]
        layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0, bias=False), nn.Sigmoid()]  # 1 x 1 x 1
        self.main = nn.Sequential(*layers)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return self.main(input)


# --------------------------------------------------------------------------- the loop


class TutorialParts(NamedTuple):
    """What one tutorial step uses, under the tutorial's names."""

    netG: nn.Module
    netD: nn.Module
    optimizerG: optim.Optimizer
    optimizerD: optim.Optimizer
    criterion: nn.Module
    nz: int
    device: torch.device


def tutorial_loader(folder: Path | str, image_size: int, batch_size: int, workers: int = 2):
    """ImageFolder + DataLoader as the tutorial builds them: every epoch decodes every JPEG."""
    try:
        dataset = dset.ImageFolder(root=str(folder), transform=transforms.Compose([
            transforms.Resize(image_size),
            transforms.CenterCrop(image_size),
            transforms.ToTensor(),
            transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ]))
    except (FileNotFoundError, OSError) as error:
        raise UserError(str(folder), "", f"no JPEG class folder here ({error}); make one with "
                        "write_jpegs") from error
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True,
                                       num_workers=workers)


def run_reference(folder: Path | str, image_size: int = 64, batch_size: int = 128,
                  steps: int = 50, device: str | torch.device = "cpu", warmup: int = 5,
                  workers: int = 2, seed: int = 999) -> dict:
    """Train the tutorial's DCGAN for warmup + steps iterations; time the last `steps`.

    Returns images_per_s (images of the timed steps over their wall time) with
    what a comparison table needs: the settings, the epochs the loader was
    started, the last step's numbers, and the device's peak memory on CUDA.
    """
    random.seed(seed)  # the tutorial seeds Python and torch with 999
    torch.manual_seed(seed)
    device = torch.device(device)
    dataloader = tutorial_loader(folder, image_size, batch_size, workers)
    nz = 100
    netG, netD = Generator(nz, image_size=image_size).to(device), Discriminator(
        image_size=image_size).to(device)
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCELoss()
    fixed_noise = torch.randn(64, nz, 1, 1, device=device)
    optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
    parts = TutorialParts(netG, netD, optimizerG, optimizerD, criterion, nz, device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    img_list, G_losses, D_losses, stats = [], [], [], {}
    iters, epochs, timed_images = 0, 0, 0
    started = _now(device) if warmup == 0 else 0.0
    while iters < warmup + steps:
        epochs += 1
        for data in dataloader:
            stats = tutorial_step(data, parts)
            G_losses.append(stats["loss_g"])  # the tutorial keeps both curves
            D_losses.append(stats["loss_d"])
            if iters % 500 == 0:  # the tutorial's fixed-noise grid
                with torch.no_grad():
                    fake = netG(fixed_noise).detach().cpu()
                img_list.append(vutils.make_grid(fake, padding=2, normalize=True))
            iters += 1
            if iters == warmup:
                started = _now(device)
            elif iters > warmup:
                timed_images += stats["batch"]
            if iters == warmup + steps:
                break
    seconds = _now(device) - started
    return _report(stats, timed_images, seconds, steps, warmup, batch_size, image_size,
                   workers, device, len(dataloader.dataset), epochs)


def tutorial_step(data, parts: TutorialParts) -> dict:
    """One iteration of the tutorial: D on real then fake, G against the updated D; .item()s."""
    netG, netD, optimizerG, optimizerD, criterion, nz, device = parts
    real_label, fake_label = 1.0, 0.0
    # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
    netD.zero_grad()
    real_cpu = data[0].to(device)  # (B, 3, S, S) in [-1, 1]
    b_size = real_cpu.size(0)
    label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
    output = netD(real_cpu).view(-1)  # (B,) probabilities
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()
    noise = torch.randn(b_size, nz, 1, 1, device=device)
    fake = netG(noise)  # (B, 3, S, S)
    label.fill_(fake_label)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optimizerD.step()
    # (2) Update G network: maximize log(D(G(z)))
    netG.zero_grad()
    label.fill_(real_label)  # fake labels are real for the generator's cost
    output = netD(fake).view(-1)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.mean().item()
    optimizerG.step()
    return {"loss_d": errD.item(), "loss_g": errG.item(), "d_x": D_x, "d_g_z1": D_G_z1,
            "d_g_z2": D_G_z2, "batch": b_size}


def _now(device: torch.device) -> float:
    """Wall clock after the device has finished what was queued."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def _report(stats, images, seconds, steps, warmup, batch_size, image_size, workers, device,
            dataset_images, epochs) -> dict:
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    return {
        "loop": "tutorial",
        "images_per_s": round(images / seconds, 2) if seconds > 0 else None,
        "seconds": round(seconds, 4), "steps": steps, "warmup_steps": warmup, "images": images,
        "batch_size": batch_size, "image_size": image_size, "workers": workers,
        "device": str(device), "dataset_images": dataset_images, "epochs_started": epochs,
        "last_step": {k: v for k, v in stats.items() if k != "batch"},
        "peak_device_mb": None if peak is None else round(peak, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m training.bench_tutorial`: write the JPEGs (once) and time the tutorial loop."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=cache_dir() / "bench-jpegs")
    parser.add_argument("--images", type=int, default=2048, help="JPEGs to write (once)")
    parser.add_argument("--jpeg-size", type=int, default=512)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    try:
        root = write_jpegs(args.folder, args.images, args.jpeg_size)
        result = run_reference(root, args.image_size, args.batch_size, args.steps, args.device,
                               args.warmup, args.workers)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
