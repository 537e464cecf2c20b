"""Preprocessing matches the training recipe pixel for pixel (no draft decoding)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from inference_testdata import shared_photos
from PIL import Image, ImageOps

from inference.preprocess import model_inputs


def reference(data: bytes, box=None) -> np.ndarray:
    """The models README's recipe, written the plain way."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    crop = image.crop(box or (0, 0, *image.size))
    w, h = crop.size
    side = max(w, h)
    square = Image.new("RGB", (side, side), 0)
    square.paste(crop, ((side - w) // 2, (side - h) // 2))
    return np.asarray(square.resize((112, 112), Image.BICUBIC))


def png(image: Image.Image, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize("path", shared_photos(), ids=lambda p: p.name)
def test_it_gives_identical_arrays_to_the_reference_on_every_shared_photo(photos_dir, path):
    data = path.read_bytes()
    w, h = Image.open(path).size
    boxes = [(0, 0, w, h), (w // 5, h // 7, w // 2 + 31, h - 5), (10.4, 3.6, 70.5, 200.5)]
    got = model_inputs(data, boxes, draft=False)
    assert got.dtype == np.uint8 and got.shape == (3, 112, 112, 3)
    for crop, box in zip(got, boxes):
        assert np.array_equal(crop, reference(data, box))


def test_it_uses_the_whole_photo_when_no_box_is_given(photos_dir):
    data = (photos_dir / "catalog" / "6_pliers.jpg").read_bytes()
    assert np.array_equal(model_inputs(data, draft=False)[0], reference(data))


def test_it_pads_a_wide_crop_with_black_above_and_below():
    data = png(Image.new("RGB", (200, 100), (255, 255, 255)))
    crop = model_inputs(data)[0]
    assert (crop[:20] == 0).all() and (crop[-20:] == 0).all() and (crop[40:70] == 255).all()


def test_it_applies_the_exif_orientation_before_cropping(photos_dir):
    upright = Image.open(photos_dir / "single" / "5_safety_pliers__black.jpg").convert("RGB")
    # Orientation 6 = "rotate 90 clockwise to display": store the pixels turned the other way.
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = png(upright.transpose(Image.Transpose.ROTATE_90), exif=exif)
    box = (100, 50, 900, 500)  # in the upright photo's coordinates
    assert np.array_equal(model_inputs(stored, [box])[0], model_inputs(png(upright), [box])[0])


def test_it_handles_greyscale_cmyk_rgba_palette_webp_and_16_bit(photos_dir):
    rgb = Image.open(photos_dir / "catalog" / "8_adjustable_wrench.jpg").convert("RGB")
    grey = rgb.convert("L")
    box = (40, 60, 700, 600)
    cases = {
        "greyscale jpeg": grey,
        "cmyk jpeg": rgb.convert("CMYK"),
        "rgba png": rgb.convert("RGBA"),
        "palette png": rgb.convert("P"),
    }
    for name, image in cases.items():
        data = png(image) if image.mode in ("RGBA", "P") else _jpeg(image)
        assert np.array_equal(model_inputs(data, [box], draft=False)[0], reference(data, box)), name
    # WEBP lossless keeps the pixels: same result as the PNG of the same image.
    webp = io.BytesIO()
    rgb.save(webp, "WEBP", lossless=True)
    assert np.array_equal(model_inputs(webp.getvalue(), [box])[0], model_inputs(png(rgb), [box])[0])
    # 16-bit greyscale is scaled to 8 bits (a plain convert would clip it to white).
    sixteen = Image.fromarray(np.asarray(grey).astype(np.uint16) * 257)
    assert np.array_equal(model_inputs(png(sixteen), [box])[0], model_inputs(png(grey), [box])[0])


def _jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=95)
    return buf.getvalue()
