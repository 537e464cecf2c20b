"""Big JPEGs are decoded at reduced scale without changing the model's input beyond the tolerance."""

from __future__ import annotations

import io

import numpy as np
import pytest
from inference_testdata import jpeg_bytes
from PIL import Image

from inference.preprocess import DRAFT_TOLERANCE, model_inputs, open_photo
from inference.similarity import match_percent

W, H = 4000, 3000
BOXES = [
    (0, 0, W, H),
    (1000, 700, 2900, 2300),
    (1500, 1000, 2300, 1600),
    (1777.4, 1203.6, 2003.2, 1401.1),
]


@pytest.fixture(scope="module")
def big_photo(photos_dir) -> bytes:
    small = Image.open(photos_dir / "single" / "5_safety_pliers__rust.jpg")
    return jpeg_bytes(small.resize((W, H), Image.BICUBIC))


def test_it_decodes_at_the_smallest_scale_that_keeps_each_box_at_least_224_pixels(big_photo):
    assert open_photo(big_photo, [BOXES[0]]).scale == 8  # 4000 / 8 = 500
    assert open_photo(big_photo, [BOXES[2]]).scale == 2  # 800 / 2 = 400, / 4 = 200
    assert open_photo(big_photo, BOXES).scale == 1  # the smallest box decides
    assert open_photo(big_photo, [BOXES[0]], draft=False).scale == 1


def test_it_stays_within_the_stated_tolerance_of_a_full_decode(big_photo):
    for box in BOXES:
        full = model_inputs(big_photo, [box], draft=False)[0].astype(np.int16)
        reduced = model_inputs(big_photo, [box])[0].astype(np.int16)
        assert np.abs(full - reduced).mean() < DRAFT_TOLERANCE, box


def test_it_gives_the_model_the_same_tool_as_a_full_decode(big_photo, real_model):
    box = BOXES[1]
    _, full = real_model.run(model_inputs(big_photo, [box], draft=False))
    _, reduced = real_model.run(model_inputs(big_photo, [box]))
    assert match_percent(full[0], reduced[0]) > 99.0


def test_it_scales_boxes_in_the_oriented_photo(big_photo):
    upright = Image.open(io.BytesIO(big_photo))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned; displayed after a 90 degree clockwise turn
    stored = jpeg_bytes(upright.transpose(Image.Transpose.ROTATE_90), exif=exif)
    box = (1000, 700, 2600, 2300)  # in the displayed photo, which is upright again
    photo = open_photo(stored, [box])
    assert photo.size == (W, H) and photo.scale == 4
    full = model_inputs(stored, [box], draft=False)[0].astype(np.int16)
    assert np.abs(full - model_inputs(stored, [box])[0]).mean() < DRAFT_TOLERANCE


# EXIF orientation -> the transpose that stores an upright photo so that it displays upright again.
STORED_AS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", [3, 6, 7, 8])
def test_it_keeps_the_tolerance_for_mirrored_orientations_of_odd_sized_photos(
    photos_dir, orientation
):
    # 2005x1501 at 1/4 scale leaves 3 spare pixels per axis, which a mirroring
    # orientation moves to the left/top: the boxes must be shifted by them.
    upright = Image.open(photos_dir / "single" / "2_screw_plus__wood.jpg").resize(
        (2005, 1501), Image.BICUBIC
    )
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = jpeg_bytes(upright.transpose(STORED_AS[orientation]), exif=exif)
    box = (500, 350, 1450, 1150)
    photo = open_photo(stored, [box])
    assert photo.size == (2005, 1501) and photo.scale == 4
    full = model_inputs(stored, [box], draft=False)[0].astype(np.int16)
    assert np.abs(full - model_inputs(stored, [box])[0]).mean() < 1.5
