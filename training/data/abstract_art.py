"""The drawing behind the `procedural` kind: "abstract art" compositions, no download needed.

Each image is drawn by one of six painters (colour fields, grid, orbits,
stripes, brush strokes, shapes) with a palette from one of six colour schemes,
so the set has many distinct modes: a generator that collapses onto one of
them is easy to see in a grid. Image i depends only on (seed, i), so the first
N images are the same whatever count is asked for. Drawing happens at twice
the target size and is reduced with a box filter (cheap anti-aliasing).
"""

from __future__ import annotations

import colorsys
import math
import random

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter

# Bump when the pictures change, so cached tensors made by older code are not reused.
GENERATOR_VERSION = 1
Colour = tuple[int, int, int]


def make_palette(rng: random.Random) -> list[Colour]:
    """Five colours from a random colour scheme (analogous, complementary, ...)."""
    scheme = rng.choice(["analogous", "complementary", "triadic", "mono", "earth", "primary"])
    base = rng.random()
    if scheme == "primary":
        return [(220, 30, 35), (250, 210, 20), (20, 60, 170), (20, 20, 20), (240, 238, 230)]
    if scheme == "earth":
        hues = [rng.uniform(0.02, 0.12) for _ in range(5)]
        sat, val = (0.35, 0.75), (0.25, 0.85)
    else:
        offsets = {
            "analogous": [0, 0.06, -0.06, 0.12, -0.12],
            "complementary": [0, 0.5, 0.02, 0.48, 0.5],
            "triadic": [0, 1 / 3, 2 / 3, 0.02, 0.35],
            "mono": [0, 0, 0, 0.01, -0.01],
        }[scheme]
        hues = [(base + o) % 1.0 for o in offsets]
        sat, val = (0.45, 1.0), (0.35, 1.0)
    colours = []
    for hue in hues:
        r, g, b = colorsys.hsv_to_rgb(hue, rng.uniform(*sat), rng.uniform(*val))
        colours.append((int(r * 255), int(g * 255), int(b * 255)))
    rng.shuffle(colours)
    return colours


def _gradient(size: int, top: Colour, bottom: Colour, angle: float) -> Image.Image:
    """A linear gradient between two colours along a direction (the canvas)."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
    t = (xs - 0.5) * math.cos(angle) + (ys - 0.5) * math.sin(angle) + 0.5
    t = np.clip(t, 0, 1)[..., None]  # (H, W, 1)
    pixels = (1 - t) * np.array(top, np.float32) + t * np.array(bottom, np.float32)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _alpha(colour: Colour, alpha: int) -> tuple[int, int, int, int]:
    return (*colour, alpha)


def paint_fields(rng: random.Random, size: int, palette: list[Colour]) -> Image.Image:
    """Rothko-like: two or three soft-edged colour fields stacked on a ground."""
    image = Image.new("RGB", (size, size), palette[0])
    layer = Image.new("RGB", (size, size), palette[0])
    draw = ImageDraw.Draw(layer)
    bands = rng.choice([2, 2, 3])
    margin = rng.uniform(0.06, 0.14) * size
    edges = [k / bands + rng.uniform(-0.08, 0.08) for k in range(1, bands)]
    bounds = [0.0, *edges, 1.0]  # fractions of the height, each band at least ~17% tall
    usable = size - 2 * margin
    for index in range(bands):
        top = margin + bounds[index] * usable + margin * 0.3
        bottom = margin + bounds[index + 1] * usable - margin * 0.3
        draw.rectangle([margin, top, size - margin, bottom], fill=palette[1 + index])
    blurred = layer.filter(ImageFilter.GaussianBlur(radius=size * rng.uniform(0.01, 0.03)))
    image.paste(blurred)
    return image


def paint_grid(rng: random.Random, size: int, palette: list[Colour]) -> Image.Image:
    """Mondrian-like: a light ground cut by dark lines, a few cells filled with colour."""
    light = max(palette, key=sum)
    image = Image.new("RGB", (size, size), light)
    draw = ImageDraw.Draw(image)
    xs = sorted({0, size, *(int(rng.uniform(0.12, 0.88) * size) for _ in range(rng.randint(1, 3)))})
    ys = sorted({0, size, *(int(rng.uniform(0.12, 0.88) * size) for _ in range(rng.randint(1, 3)))})
    colours = [c for c in palette if c != light]
    for x0, x1 in zip(xs, xs[1:], strict=False):
        for y0, y1 in zip(ys, ys[1:], strict=False):
            if rng.random() < 0.35:
                draw.rectangle([x0, y0, x1, y1], fill=rng.choice(colours))
    width = max(2, int(size * rng.uniform(0.025, 0.05)))
    dark = (20, 20, 24) if rng.random() < 0.8 else min(palette, key=sum)
    for x in xs[1:-1]:
        draw.rectangle([x - width // 2, 0, x + width // 2, size], fill=dark)
    for y in ys[1:-1]:
        draw.rectangle([0, y - width // 2, size, y + width // 2], fill=dark)
    return image


def paint_orbits(rng: random.Random, size: int, palette: list[Colour]) -> Image.Image:
    """Kandinsky-like: circles and rings of many sizes with a few thin lines."""
    ground = palette[0] if rng.random() < 0.5 else (236, 228, 210)
    image = _gradient(size, ground, palette[1], rng.uniform(0, math.tau))
    draw = ImageDraw.Draw(image, "RGBA")
    for _ in range(rng.randint(2, 6)):
        radius = rng.uniform(0.05, 0.3) * size
        cx, cy = rng.uniform(0.15, 0.85) * size, rng.uniform(0.15, 0.85) * size
        box = [cx - radius, cy - radius, cx + radius, cy + radius]
        if rng.random() < 0.6:
            draw.ellipse(box, fill=_alpha(rng.choice(palette[2:]), rng.randint(170, 255)))
        else:
            draw.ellipse(box, outline=rng.choice(palette), width=max(1, int(radius * 0.25)))
    for _ in range(rng.randint(0, 3)):
        points = [(rng.uniform(0, size), rng.uniform(0, size)) for _ in range(2)]
        draw.line(points, fill=(25, 25, 30, 230), width=max(1, size // 48))
    return image


def paint_stripes(rng: random.Random, size: int, palette: list[Colour]) -> Image.Image:
    """Bands of colour of varying width at one angle, sometimes with a disc on top."""
    big = size * 3
    image = Image.new("RGB", (big, big), palette[0])
    draw = ImageDraw.Draw(image)
    x = 0.0
    while x < big:
        width = rng.uniform(0.04, 0.2) * size
        draw.rectangle([x, 0, x + width, big], fill=rng.choice(palette))
        x += width
    angle = rng.choice([0, 90, rng.uniform(0, 180)])
    image = image.rotate(angle, resample=Image.BILINEAR).crop((size, size, 2 * size, 2 * size))
    if rng.random() < 0.4:
        draw = ImageDraw.Draw(image)
        radius = rng.uniform(0.15, 0.3) * size
        cx, cy = rng.uniform(0.3, 0.7) * size, rng.uniform(0.3, 0.7) * size
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=rng.choice(palette))
    return image


def paint_strokes(rng: random.Random, size: int, palette: list[Colour]) -> Image.Image:
    """Gestural: thick curving brush strokes over a gradient ground."""
    image = _gradient(size, palette[0], palette[1], rng.uniform(0, math.tau))
    draw = ImageDraw.Draw(image, "RGBA")
    for _ in range(rng.randint(3, 7)):
        x, y = rng.uniform(0, size), rng.uniform(0, size)
        heading, turn = rng.uniform(0, math.tau), rng.uniform(-0.5, 0.5)
        step, points = size * rng.uniform(0.05, 0.1), []
        for _ in range(rng.randint(4, 9)):
            points.append((x, y))
            heading += turn + rng.uniform(-0.3, 0.3)
            x, y = x + step * math.cos(heading), y + step * math.sin(heading)
        width = max(2, int(size * rng.uniform(0.04, 0.12)))
        colour = _alpha(rng.choice(palette[2:]), rng.randint(190, 255))
        draw.line(points, fill=colour, width=width, joint="curve")
        for px, py in (points[0], points[-1]):  # round the stroke's ends
            draw.ellipse(
                [px - width / 2, py - width / 2, px + width / 2, py + width / 2], fill=colour
            )
    return image


def paint_shapes(rng: random.Random, size: int, palette: list[Colour]) -> Image.Image:
    """Constructivist: overlapping translucent triangles, rectangles and polygons."""
    image = Image.new("RGB", (size, size), palette[0])
    draw = ImageDraw.Draw(image, "RGBA")
    for _ in range(rng.randint(3, 7)):
        colour = _alpha(rng.choice(palette[1:]), rng.randint(150, 255))
        cx, cy, radius = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(0.12, 0.4) * size
        sides = rng.choice([3, 3, 4, 5, 6])
        start = rng.uniform(0, math.tau)
        points = [
            (
                cx + radius * math.cos(start + k * math.tau / sides),
                cy + radius * math.sin(start + k * math.tau / sides),
            )
            for k in range(sides)
        ]
        if sides == 4 and rng.random() < 0.6:  # axis-aligned slab
            draw.rectangle(
                [cx - radius, cy - radius * 0.4, cx + radius, cy + radius * 0.4], fill=colour
            )
        else:
            draw.polygon(points, fill=colour)
    return image


PAINTERS = [paint_fields, paint_grid, paint_orbits, paint_stripes, paint_strokes, paint_shapes]


def render(seed: int, index: int, size: int) -> np.ndarray:
    """Image `index` of the set with this seed: (size, size, 3) uint8."""
    rng = random.Random(seed * 1_000_003 + index)
    painter = PAINTERS[rng.randrange(len(PAINTERS))]
    palette = make_palette(rng)
    image = painter(rng, size * 2, palette)
    if rng.random() < 0.5:
        image = image.transpose(Image.FLIP_LEFT_RIGHT)
    return np.asarray(image.reduce(2), dtype=np.uint8)


def generate(seed: int, count: int, size: int) -> torch.Tensor:
    """`count` compositions as a (count, 3, size, size) uint8 tensor."""
    pixels = np.stack([render(seed, index, size) for index in range(count)])  # (N, H, W, 3)
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous()  # (N, 3, H, W)
