"""The InfoGAN paper's colour-image nets (Chen et al. 2016, arXiv:1606.03657), for abstract art.

Followed: Appendix C, Table 3 ("The discriminator and generator CNNs used for CelebA dataset";
Table 2, for SVHN, has the same layers), written for 32x32 colour images:
    D: 4x4 conv 64 lReLU stride 2; 4x4 conv 128 lReLU stride 2 BN; 4x4 conv 256 lReLU stride 2
       BN; FC output.
    G: FC 2x2x448 ReLU BN; 4x4 upconv 256 ReLU stride 2 BN; 4x4 upconv 128 ReLU stride 2;
       4x4 upconv 64 ReLU stride 2; 4x4 upconv 3 Tanh stride 2.
Adapted for 64 px (the LSGAN write-up's size) with the fewest changes: G's FC makes a
(S/16)x(S/16) start (4x4 at 64 px, the table's 2x2 at 32) and D flattens its (S/8)x(S/8) map
(8x8x256 at 64 px) into the one output unit, a raw score with no sigmoid (the loss owns it).
InfoGAN's Q head is left out: these studies use the nets as a plain GAN.

Widths scale with the config: 448/256/128/64 = g_features x 7/4/2/1 and 64/128/256 =
d_features x 1/2/4 (the table's at the default 64). D's leaky ReLU slope is the paper's 0.1
(Appendix C: "leaky rate 0.1"); `d_activation: relu` turns it into a ReLU. The table's BN
places map onto `g_norm`/`d_norm` (BatchNorm1d on G's FC output, as the table puts BN there);
a layer the table leaves without BN stays without. Initialisation: DCGAN N(0, 0.02).
"""

from __future__ import annotations

import torch
from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.nets.layers import activation, dropout, latent_vectors, norm1d, norm2d

SIZES = (32, 64, 128)
INFOGAN_SLOPE = 0.1


def _start(image_size: int) -> int:
    if image_size not in SIZES:
        raise ValueError(f"infogan makes {', '.join(map(str, SIZES))} px images, not {image_size}")
    return image_size // 16


class Generator(nn.Module):
    """z (N, z_dim) or (N, z_dim, 1, 1) -> FC -> 4 transposed convs -> (N, C, S, S) in [-1, 1]."""

    def __init__(self, model: ModelConfig, dataset: DatasetConfig) -> None:
        super().__init__()
        start, features = _start(dataset.image_size), model.g_features
        first = 7 * features  # 448 at the default width
        norm = norm1d(model.g_norm, first * start * start)
        self.project = nn.Sequential(
            nn.Linear(model.z_dim, first * start * start, bias=not norm),
            *norm,
            activation(model.g_activation),
            nn.Unflatten(1, (first, start, start)),
        )
        layers: list[nn.Module] = []
        widths = [first, 4 * features, 2 * features, features]
        for index, (previous, width) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            norm = norm2d(model.g_norm, width) if index == 0 else []  # BN on the first only
            layers += [nn.ConvTranspose2d(previous, width, 4, 2, 1, bias=not norm), *norm]
            layers += [activation(model.g_activation)]
        layers += [nn.ConvTranspose2d(features, dataset.channels, 4, 2, 1), nn.Tanh()]
        self.upsample = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.project(latent_vectors(z)))  # (N, C, S, S)


class Discriminator(nn.Module):
    """images (N, C, S, S) -> 3 stride-2 convs -> flatten -> raw scores (N,)."""

    def __init__(self, model: ModelConfig, dataset: DatasetConfig) -> None:
        super().__init__()
        side = _start(dataset.image_size) * 2  # S/8 after three stride-2 convs
        widths = [dataset.channels, model.d_features, 2 * model.d_features, 4 * model.d_features]
        layers: list[nn.Module] = []
        for index, (previous, width) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            norm = norm2d(model.d_norm, width) if index > 0 else []  # none on the input layer
            layers += [nn.Conv2d(previous, width, 4, 2, 1, bias=not norm), *norm]
            layers += [activation(model.d_activation, INFOGAN_SLOPE), *dropout(model.d_dropout)]
        layers += [nn.Flatten(), nn.Linear(widths[-1] * side * side, 1)]
        self.main = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.main(images).reshape(images.shape[0])  # (N,)


def build(model: ModelConfig, dataset: DatasetConfig) -> tuple[nn.Module, nn.Module]:
    """G and D, not yet initialised (build_networks applies dcgan_init)."""
    return Generator(model, dataset), Discriminator(model, dataset)
