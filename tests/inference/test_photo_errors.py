"""Unusable uploads and boxes give a PhotoError a user can read."""

from __future__ import annotations

import io
import time

import pytest
from inference_testdata import jpeg_bytes
from PIL import Image

from inference.preprocess import PhotoError, model_inputs, open_photo

SMALL = jpeg_bytes(Image.new("RGB", (200, 100), (90, 120, 30)))


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The upload is empty."),
        (b"%PDF-1.4 this is not a photo", "not an image in a format we can read"),
        (SMALL[: len(SMALL) // 2], "damaged or truncated"),
    ],
    ids=["empty", "not an image", "truncated"],
)
def test_it_refuses_an_unusable_upload(data, message):
    with pytest.raises(PhotoError, match=message):
        model_inputs(data, [(0, 0, 10, 10)])


def test_it_refuses_a_decompression_bomb_without_decoding_it():
    buf = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buf, "PNG")  # 64 MP in a few kB
    start = time.perf_counter()
    with pytest.raises(PhotoError, match="8000x8000 pixels; the limit is 50 megapixels"):
        model_inputs(buf.getvalue())
    assert time.perf_counter() - start < 0.5


def test_it_takes_a_configured_pixel_limit():
    with pytest.raises(PhotoError, match="the limit is 0.01 megapixels"):
        open_photo(SMALL, max_pixels=10_000)


@pytest.mark.parametrize(
    "box, message",
    [
        ((50, 20, 50, 80), "empty or inverted"),
        ((120, 20, 50, 80), "empty or inverted"),
        ((50, 80, 120, 20), "empty or inverted"),
        ((150, 20, 201, 80), r"lies outside the photo \(200x100\)"),
        ((-1, 0, 10, 10), "lies outside the photo"),
        ((300, 200, 400, 300), "lies outside the photo"),
        ((1, 2, 3), "four whole numbers"),
    ],
)
def test_it_refuses_a_box_that_is_empty_inverted_or_outside(box, message):
    with pytest.raises(PhotoError, match=message):
        model_inputs(SMALL, [(0, 0, 200, 100), box])


def test_it_accepts_a_box_touching_the_photos_edges():
    assert model_inputs(SMALL, [(0, 0, 200, 100), (199, 99, 200, 100)]).shape == (2, 112, 112, 3)


def test_photo_error_is_a_value_error():
    assert issubclass(PhotoError, ValueError)
