"""Progressive growing of GANs (Karras et al. 2018), after G_paper and D_paper in
tkarras/progressive_growing_of_gans networks.py (its non-fused, "linear structure" path).

Both nets are built once for the target resolution: every block exists from the start, so a
checkpoint or an optimiser sees every parameter, and `set_level(resolution, alpha)` only picks
which blocks run. The parts the paper uses:
- equalized learning rate: weights stored N(0, 1), multiplied in forward by gain / sqrt(fan_in)
  (gain sqrt(2), the He constant; 1 for toRGB and the critic's last dense, sqrt(2)/4 for G's
  first dense, as in the reference); biases start at 0 and are not scaled;
- pixelwise feature normalisation after every G conv (and on z);
- minibatch standard deviation: one extra feature map before the critic's 4x4 block;
- leaky ReLU 0.2 everywhere; G's output is linear (no tanh), as in the paper;
- widths nf(stage) = min(max_features, base / 2^stage), stage = log2(resolution) - 1; the
  paper's base 8192 and max 512 are 128 and 8 times `g_features`/`d_features` (64).
Fade-in (alpha from 0 to 1 while the block of `resolution` is new):
- G: alpha * toRGB(new block) + (1 - alpha) * nearest-upsampled toRGB of the previous block.
- critic, the mirror: alpha * new block(fromRGB(x)) + (1 - alpha) * fromRGB_previous(avgpool(x)),
  then the older blocks. At alpha = 0 each equals the previous stage's net exactly.
Not applied here: spectral norm, dropout, the norm and activation options (ProGAN has its own).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from training.config import DatasetConfig, ModelConfig
from training.nets.layers import latent_vectors

SIZES = (16, 32, 64, 128, 256)
FIRST_RESOLUTION = 4
SLOPE = 0.2
HE_GAIN = math.sqrt(2)
MBSTD_GROUP_SIZE = 4  # the reference's default


def feature_width(stage: int, base: int, max_features: int) -> int:
    """nf(stage) of the reference: min(max_features, base / 2^stage), at least 1."""
    return max(1, min(max_features, int(base / 2.0**stage)))


def pixel_norm(x: torch.Tensor, epsilon: float = 1e-8) -> torch.Tensor:
    """Scale each pixel's feature vector (dim 1) to unit root-mean-square."""
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + epsilon)


def upsample_to(images: torch.Tensor, size: int) -> torch.Tensor:
    """Nearest-neighbour upsampling of (N, C, r, r) to (N, C, size, size) (grids at one scale)."""
    factor = size // images.shape[-1]
    if factor * images.shape[-1] != size:
        raise ValueError(f"cannot upsample {images.shape[-1]} px to {size} px by a whole factor")
    return F.interpolate(images, scale_factor=factor, mode="nearest") if factor > 1 else images


def reals_at(images: torch.Tensor, resolution: int, alpha: float) -> torch.Tensor:
    """Real images shown to the critic at a level: average-pooled to `resolution`, and during a
    fade blended with their own previous-level version, as G's output is (the reference's
    process_reals), so that reals and fakes change in the same way."""
    factor = images.shape[-1] // resolution
    x = F.avg_pool2d(images, factor) if factor > 1 else images
    if resolution > FIRST_RESOLUTION and alpha < 1:
        x = torch.lerp(upsample_to(F.avg_pool2d(x, 2), resolution), x, alpha)
    return x


class EqualizedConv2d(nn.Module):
    """Conv (stride 1, same padding) whose weight is scaled at run time by gain / sqrt(fan_in)."""

    def __init__(self, inputs: int, outputs: int, kernel: int, gain: float = HE_GAIN) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(outputs, inputs, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(outputs))
        self.scale = gain / math.sqrt(inputs * kernel * kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padding = self.weight.shape[-1] // 2
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=padding)


class EqualizedLinear(nn.Module):
    """Linear layer whose weight is scaled at run time by gain / sqrt(fan_in)."""

    def __init__(self, inputs: int, outputs: int, gain: float = HE_GAIN, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(outputs, inputs))
        self.bias = nn.Parameter(torch.zeros(outputs)) if bias else None
        self.scale = gain / math.sqrt(inputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)


class MinibatchStdDev(nn.Module):
    """Append one feature map: the mean (over channels and pixels) of the per-feature standard
    deviation within each group of `group_size` images, the same value over a group's pixels.

    Image i belongs to group i mod (N / group) (the reference's reshape). When N is not a
    multiple of group_size the group is the largest divisor of N below it, so a short last
    batch still works.
    """

    def __init__(self, group_size: int = MBSTD_GROUP_SIZE) -> None:
        super().__init__()
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        group = next(k for k in range(min(self.group_size, n), 0, -1) if n % k == 0)
        y = x.reshape(group, -1, c, h, w)  # (G, M, C, H, W)
        y = (y - y.mean(dim=0, keepdim=True)).square().mean(dim=0)  # (M, C, H, W) variance
        y = (y + 1e-8).sqrt().mean(dim=(1, 2, 3)).reshape(-1, 1, 1, 1)  # (M, 1, 1, 1)
        return torch.cat([x, y.repeat(group, 1, h, w)], dim=1)  # (N, C + 1, H, W)


def _lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, SLOPE)


class _Growing(nn.Module):
    """The level state both nets share; saved in state_dict through extra state."""

    def _init_levels(self, target: int) -> None:
        if target not in SIZES:
            raise ValueError(f"progan makes {', '.join(map(str, SIZES))} px images, not {target}")
        self.target_resolution = target
        self.levels = int(math.log2(target)) - 1  # 4, 8, ..., target
        self.level, self.alpha = self.levels - 1, 1.0  # built showing the full size

    @property
    def resolution(self) -> int:
        return FIRST_RESOLUTION * 2**self.level

    @property
    def fully_grown(self) -> bool:
        """At the target size with its last block faded in: samples comparable with the reals
        at full detail (the quality hook only picks a best epoch from these)."""
        return self.level == self.levels - 1 and self.alpha == 1.0

    def set_level(self, resolution: int, alpha: float) -> None:
        """Run at `resolution` (4, 8, ..., target) with the fade-in weight alpha in [0, 1] of its
        newest block (alpha = 1: fully grown; ignored at 4 px, which has no previous level)."""
        level = int(math.log2(resolution)) - 2 if resolution >= FIRST_RESOLUTION else -1
        if not 0 <= level < self.levels or FIRST_RESOLUTION * 2**level != resolution:
            raise ValueError(
                f"resolution must be a power of two from 4 to "
                f"{self.target_resolution}, got {resolution}"
            )
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self.level, self.alpha = level, float(alpha)

    def get_extra_state(self) -> dict[str, float]:
        return {"resolution": self.resolution, "alpha": self.alpha}

    def set_extra_state(self, state: dict[str, float]) -> None:
        self.set_level(int(state["resolution"]), float(state["alpha"]))

    def _fading(self) -> bool:
        return self.level > 0 and self.alpha < 1.0


class _GInput(nn.Module):
    """z -> pixel norm -> dense to 4x4 -> conv 3x3: (N, z_dim) -> (N, width, 4, 4)."""

    def __init__(self, z_dim: int, width: int) -> None:
        super().__init__()
        self.width = width
        self.dense = EqualizedLinear(z_dim, width * 16, gain=HE_GAIN / 4, bias=False)
        self.bias = nn.Parameter(torch.zeros(width))  # one per channel, as the reference
        self.conv = EqualizedConv2d(width, width, 3)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.dense(pixel_norm(z)).reshape(-1, self.width, 4, 4)
        x = pixel_norm(_lrelu(x + self.bias[None, :, None, None]))
        return pixel_norm(_lrelu(self.conv(x)))


class _GUp(nn.Module):
    """Nearest 2x upsampling, then two 3x3 convs with leaky ReLU and pixel norm."""

    def __init__(self, inputs: int, width: int) -> None:
        super().__init__()
        self.conv0, self.conv1 = EqualizedConv2d(inputs, width, 3), EqualizedConv2d(width, width, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = pixel_norm(_lrelu(self.conv0(x)))
        return pixel_norm(_lrelu(self.conv1(x)))


class Generator(_Growing):
    """z (N, z_dim) or (N, z_dim, 1, 1) -> images (N, C, r, r) at the active resolution r."""

    def __init__(self, z_dim: int, channels: int, resolution: int, base: int, max_features: int):
        super().__init__()
        self._init_levels(resolution)
        widths = [feature_width(level + 1, base, max_features) for level in range(self.levels)]
        self.blocks = nn.ModuleList([_GInput(z_dim, widths[0])])
        self.blocks.extend(_GUp(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True))
        self.to_rgb = nn.ModuleList(EqualizedConv2d(w, channels, 1, gain=1.0) for w in widths)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.blocks[0](latent_vectors(z))  # (N, nf(1), 4, 4)
        for block in self.blocks[1 : self.level]:
            x = block(x)  # up to the previous level
        if self.level == 0:
            return self.to_rgb[0](x)
        new = self.to_rgb[self.level](self.blocks[self.level](x))  # (N, C, r, r)
        if not self._fading():
            return new
        old = upsample_to(self.to_rgb[self.level - 1](x), self.resolution)
        return torch.lerp(old, new, self.alpha)


class _DDown(nn.Module):
    """Two 3x3 convs with leaky ReLU, then 2x average pooling."""

    def __init__(self, width: int, outputs: int) -> None:
        super().__init__()
        self.conv0, self.conv1 = (
            EqualizedConv2d(width, width, 3),
            EqualizedConv2d(width, outputs, 3),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(_lrelu(self.conv1(_lrelu(self.conv0(x)))), 2)


class _DHead(nn.Module):
    """The 4x4 end: minibatch stddev, conv 3x3, dense, dense to one raw score (N,)."""

    def __init__(self, width: int, hidden: int, group_size: int) -> None:
        super().__init__()
        self.stddev = MinibatchStdDev(group_size)
        self.conv = EqualizedConv2d(width + 1, width, 3)
        self.dense = EqualizedLinear(width * 16, hidden)
        self.score = EqualizedLinear(hidden, 1, gain=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _lrelu(self.conv(self.stddev(x))).flatten(1)
        return self.score(_lrelu(self.dense(x))).reshape(x.shape[0])


class Critic(_Growing):
    """images (N, C, r, r) at the active resolution r -> raw scores (N,)."""

    def __init__(
        self,
        channels: int,
        resolution: int,
        base: int,
        max_features: int,
        mbstd_group_size: int = MBSTD_GROUP_SIZE,
    ) -> None:
        super().__init__()
        self._init_levels(resolution)
        widths = [feature_width(level + 1, base, max_features) for level in range(self.levels)]
        self.from_rgb = nn.ModuleList(EqualizedConv2d(channels, w, 1) for w in widths)
        self.blocks = nn.ModuleList([nn.Identity()])  # level 0 has no block: the head takes 4x4
        self.blocks.extend(_DDown(b, a) for a, b in zip(widths[:-1], widths[1:], strict=True))
        hidden = feature_width(0, base, max_features)
        self.head = _DHead(widths[0], hidden, mbstd_group_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[-1] != self.resolution:
            raise ValueError(f"critic is at {self.resolution} px, got {images.shape[-1]} px images")
        x = _lrelu(self.from_rgb[self.level](images))
        if self.level > 0:
            x = self.blocks[self.level](x)  # (N, nf, r/2, r/2)
            if self._fading():
                old = _lrelu(self.from_rgb[self.level - 1](F.avg_pool2d(images, 2)))
                x = torch.lerp(old, x, self.alpha)
        for level in range(self.level - 1, 0, -1):
            x = self.blocks[level](x)
        return self.head(x)  # (N,)


def build(model: ModelConfig, dataset: DatasetConfig) -> tuple[nn.Module, nn.Module]:
    """G and critic for dataset.image_size, initialised (N(0, 1) weights, zero biases)."""
    size, channels = dataset.image_size, dataset.channels
    generator = Generator(model.z_dim, channels, size, 128 * model.g_features, 8 * model.g_features)
    critic = Critic(channels, size, 128 * model.d_features, 8 * model.d_features)
    return generator, critic
