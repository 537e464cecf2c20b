"""Build a synthetic set of marking crops, with the text each one should read as.

    uv run python scripts/make_markings.py OUT [--seed N] [--per-kind N]

Kinds (one file name prefix each):
- `etched`: inventory numbers (AT-288293-6 style) etched or engraved into brushed metal, capital
  height 6-24 px, any angle, with blur, glare and sensor noise.
- `label`: numbers printed black on a white label stuck on metal, any angle.
- `datamatrix`, `qr`: codes holding a number, 1.5-6 px per module, any angle, on metal.
- `blank`: metal with no marking; `junk`: a maker's name or a size, no number (text empty: any
  number read from them is a wrong read).

Writes OUT/*.png and OUT/markings.csv (`file,text,kind,height`: `height` is the capital height
in px for text, the module size in px for codes). Deterministic for a given seed. Images are
generated, not committed.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageFont

TEXT_HEIGHTS = (6, 8, 10, 12, 14, 16, 20, 24)
MODULE_SIZES = (1.5, 2.0, 2.5, 3.0, 4.0, 6.0)
JUNK = ("KNIPEX", "MADE IN GERMANY", "CR-V 180mm", "DIN ISO 5746", "Ø 2.5", "ЗУБР 160", "NO. 5")


def number(rng: np.random.Generator) -> str:
    prefix = "AT" if rng.random() < 0.7 else "".join(rng.choice(list("ABCEHKMPTX"), 2))
    return f"{prefix}-{rng.integers(100000, 999999)}-{rng.integers(0, 10)}"


def metal(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Brushed steel: grey level with a slow gradient, streaks along one direction, speckle."""
    base = rng.uniform(90, 190)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    grad = (xx / w - 0.5) * rng.uniform(-40, 40) + (yy / h - 0.5) * rng.uniform(-40, 40)
    streaks = rng.normal(0, 1, (h, 1)).repeat(w, axis=1) * rng.uniform(3, 10)
    speckle = rng.normal(0, 4, (h, w))
    grey = base + grad + streaks + speckle
    tint = np.array([1.0, 1.0, rng.uniform(0.95, 1.08)])
    return np.clip(grey[..., None] * tint, 0, 255).astype(np.float32)


def font_for_height(height: float) -> ImageFont.FreeTypeFont:
    """Pillow's own font (no system fonts needed), sized so that a capital is `height` px."""
    size = max(4, round(height / 0.72))
    font = ImageFont.load_default(size)
    for _ in range(3):  # correct for the font's real cap height
        x0, y0, x1, y1 = font.getbbox("H0")
        size = max(4, round(size * height / max(1, y1 - y0)))
        font = ImageFont.load_default(size)
    return font


def text_mask(text: str, height: float) -> Image.Image:
    font = font_for_height(height)
    x0, y0, x1, y1 = font.getbbox(text)
    pad = int(height)
    mask = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), 0)
    ImageDraw.Draw(mask).text((pad - x0, pad - y0), text, font=font, fill=255)
    return mask


def code_mask(text: str, fmt, module: float) -> Image.Image:
    img = np.asarray(zxingcpp.create_barcode(text, fmt).to_image(scale=1, add_quiet_zones=True))
    h, w = img.shape
    mask = Image.fromarray(255 - img)  # ink = 255
    return mask.resize((round(w * module), round(h * module)), Image.BILINEAR)


def place(rng, mask: Image.Image, angle: float) -> tuple[np.ndarray, int, int]:
    rotated = mask.rotate(angle, resample=Image.BILINEAR, expand=True)
    m = np.asarray(rotated, dtype=np.float32) / 255
    margin = rng.integers(12, 60, 4)
    h, w = m.shape
    W, H = w + margin[0] + margin[1], h + margin[2] + margin[3]
    canvas = np.zeros((H, W), np.float32)
    canvas[margin[2] : margin[2] + h, margin[0] : margin[0] + w] = m
    return canvas, W, H


def etched(rng, text: str, height: float) -> Image.Image:
    mask, w, h = place(rng, text_mask(text, height), rng.uniform(0, 360))
    img = metal(rng, w, h)
    # Etched: darker strokes; engraved: a dark cut with a bright lit edge.
    depth = rng.uniform(35, 80)
    if rng.random() < 0.5:
        img -= mask[..., None] * depth
    else:
        edge = np.roll(mask, 1, axis=0) - mask
        img += (edge.clip(0) * depth * 0.8 - mask * depth * 0.7)[..., None]
    return finish(rng, img, blur=rng.uniform(0, 0.8 if height < 10 else 1.4))


def label(rng, text: str, height: float) -> Image.Image:
    m = text_mask(text, height)
    paper = Image.new("L", m.size, 255)
    paper.paste(0, mask=m)
    mask, w, h = place(rng, Image.new("L", m.size, 255), angle := rng.uniform(0, 360))
    ink, _, _ = place_same(paper, angle, w, h, mask)
    img = metal(rng, w, h)
    img = img * (1 - mask[..., None]) + ink[..., None] * mask[..., None] * rng.uniform(0.85, 1)
    return finish(rng, img, blur=rng.uniform(0, 1.0))


def place_same(paper: Image.Image, angle: float, w: int, h: int, where: np.ndarray):
    """The label's pixels rotated like its outline, put where the outline went."""
    rotated = np.asarray(paper.rotate(angle, resample=Image.BILINEAR, expand=True, fillcolor=255))
    ys, xs = np.nonzero(where > 0.5)
    out = np.full((h, w), 255, np.float32)
    y0, x0 = ys.min(), xs.min()
    rh, rw = rotated.shape
    out[y0 : y0 + rh, x0 : x0 + rw] = rotated[: h - y0, : w - x0]
    return out, w, h


def code(rng, text: str, fmt, module: float, angle: float | None = None) -> Image.Image:
    """A code on metal; at a random angle unless given (linear barcodes are read level or at
    a quarter turn only: zxing scans rows)."""
    m = code_mask(text, fmt, module)
    mask, w, h = place(rng, m, rng.uniform(0, 360) if angle is None else angle)
    img = metal(rng, w, h)
    # A printed or laser-marked label: dark modules on a light, still metal-grained patch.
    img = img * 0.3 + 170 - mask[..., None] * rng.uniform(110, 150)
    return finish(rng, img, blur=rng.uniform(0, 0.5))


def finish(rng, img: np.ndarray, *, blur: float) -> Image.Image:
    h, w = img.shape[:2]
    if rng.random() < 0.5:  # glare: a soft bright spot
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        r = rng.uniform(0.2, 0.6) * max(w, h)
        yy, xx = np.mgrid[0:h, 0:w]
        img = (
            img
            + (rng.uniform(30, 80) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / r**2))[..., None]
        )
    img = img + rng.normal(0, rng.uniform(2, 8), img.shape)
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    if blur > 0.05:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--per-kind", type=int, default=4, help="crops per height / module size")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []

    def save(name: str, image: Image.Image, text: str, kind: str, height):
        image.convert("RGB").save(args.out / f"{name}.png")
        rows.append({"file": f"{name}.png", "text": text, "kind": kind, "height": height})

    n = args.per_kind
    for height in TEXT_HEIGHTS:
        for i in range(n):
            t = number(rng)
            save(f"etched_{height:02d}px_{i}", etched(rng, t, height), t, "etched", height)
            t = number(rng)
            save(f"label_{height:02d}px_{i}", label(rng, t, height), t, "label", height)
    F = zxingcpp.BarcodeFormat
    for module in MODULE_SIZES:
        for i in range(n):
            for kind, fmt in (("datamatrix", F.DataMatrix), ("qr", F.QRCode)):
                t = number(rng)
                save(f"{kind}_{module:.1f}px_{i}", code(rng, t, fmt, module), t, kind, module)
    for i in range(n * 2):
        w, h = rng.integers(120, 400, 2)
        save(f"blank_{i}", finish(rng, metal(rng, w, h), blur=0.5), "", "blank", "")
        junk = JUNK[i % len(JUNK)]
        save(f"junk_{i}", etched(rng, junk, rng.choice(TEXT_HEIGHTS[3:])), "", "junk", "")
    with open(args.out / "markings.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["file", "text", "kind", "height"])
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} crops in {args.out}")


if __name__ == "__main__":
    main()
