"""Reading a photo of a mat: found in perspective and poor light, each slot judged; a photo
that cannot be read says what to do."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from bench import mat_photos
from inference import mats
from inference.recognise import CLASS_NAMES
from inference.runtime import load_model
from tests.conftest import need_model, need_shared_photos

pytestmark = [pytest.mark.photos, pytest.mark.model]


@pytest.fixture(scope="module")
def template():
    need_shared_photos()
    return mat_photos.kit_template(code="TCM1-TEST01-5-2")


@pytest.fixture(scope="module")
def model():
    return load_model(need_model())


def judged(data, template, model, references):
    view = mats.read_mat(data)
    seen = mats.look(view, template)
    present = [s.slot for s in seen.slots if s.present]
    p, features = mats.slot_model_outputs(model, mats.slot_model_inputs(view, present))
    expected = [CLASS_NAMES.index(s.tool_type) for s in template.slots]
    return view, seen, mats.judge(seen.slots, p, features, expected, references)


def test_it_finds_the_empty_slot_the_swapped_tools_and_the_rag(template, model):
    rng = np.random.default_rng(11)
    design = mats.read_mat(mat_photos.design_photo(template, rng))
    _, references = mats.slot_model_outputs(
        model, mats.slot_model_inputs(design, list(template.slots))
    )
    data, truth = mat_photos.return_photo(
        template, rng, missing=[4], wrong=True, foreign=True, tilt=30.0
    )
    view, seen, slots = judged(data, template, model, list(references))
    assert view.code == "TCM1-TEST01-5-2"
    assert len(view.markers_seen) == view.markers_expected - 1  # one is under a thumb
    assert [s.state for s in slots] == truth.states
    assert truth.states.count("wrong") == 2 and truth.states[4] == "empty"
    assert len(seen.foreign) == 1
    # The box of each slot in the photo lies within the 4000x3000 frame, around the slot.
    for s in slots:
        x0, y0, x1, y1 = s.photo_box
        assert 0 <= x0 < x1 <= 4000 and 0 <= y0 < y1 <= 3000


def test_a_phone_photo_stored_sideways_reads_as_displayed(template, model):
    """A phone stores a portrait photo sideways with an EXIF turn: the slots are judged alike
    and their boxes lie in the photo as the storekeeper sees it (3000 wide, 4000 high)."""
    rng = np.random.default_rng(5)
    design = mats.read_mat(mat_photos.design_photo(template, rng))
    _, references = mats.slot_model_outputs(
        model, mats.slot_model_inputs(design, list(template.slots))
    )
    data, truth = mat_photos.return_photo(template, rng, missing=[2], wrong=False, foreign=False)
    upright = np.asarray(Image.open(io.BytesIO(data)))
    portrait = np.ascontiguousarray(np.rot90(upright, -1))  # as the storekeeper sees it
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(portrait, -1)))  # as the phone stores it
    exif = Image.Exif()
    exif[0x0112] = 8  # shown after a 90 degree anticlockwise turn
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=90, exif=exif)
    view, _, slots = judged(buf.getvalue(), template, model, list(references))
    assert view.photo_size == (3000, 4000)
    assert [s.state for s in slots] == truth.states
    for s in slots:
        x0, y0, x1, y1 = s.photo_box
        assert 0 <= x0 < x1 <= 3000 and 0 <= y0 < y1 <= 4000


def _photo(template, rng, **kwargs) -> np.ndarray:
    data, _ = mat_photos.return_photo(template, rng, empty=0, wrong=False, foreign=False, **kwargs)
    return np.asarray(Image.open(io.BytesIO(data)))


def _jpeg(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_it_asks_for_the_corners_when_too_few_markers_show(template):
    rgb = _photo(template, np.random.default_rng(3), tilt=10.0).copy()
    found = mats.find_markers(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    for marker_id in sorted(found)[2:]:  # cover all but two of them
        corners = found[marker_id].astype(np.int32)
        cv2.fillConvexPoly(rgb, cv2.convexHull(corners), (200, 190, 180))
        cv2.polylines(rgb, [corners], True, (200, 190, 180), 30)
    with pytest.raises(
        mats.MatError, match=r"Only 2 of the mat's 20 markers .* show the mat's corners"
    ):
        mats.read_mat(_jpeg(rgb))


def test_it_says_a_blurred_photo_is_blurred(template):
    rgb = _photo(template, np.random.default_rng(4), tilt=10.0)
    with pytest.raises(mats.MatError, match="blurred"):
        mats.read_mat(_jpeg(cv2.GaussianBlur(rgb, (0, 0), 14)))


def test_it_refuses_a_mat_whose_tiles_are_misaligned(template):
    # The right half of the print is taped 8 mm too low: no single view puts the markers so.
    rng = np.random.default_rng(5)
    canvas = mat_photos.lay_tools(template, [None] * len(template.slots), rng)
    p = mat_photos.RENDER_PX_PER_MM
    half = canvas.shape[1] // 2
    canvas[round(8 * p) :, half:] = canvas[: -round(8 * p), half:].copy()
    data = mat_photos.photograph(canvas, rng, tilt=15.0)
    with pytest.raises(mats.MatError, match="wrong scale or its tiles are misaligned"):
        mats.read_mat(data)


def test_it_says_when_a_photo_shows_no_mat(photos_dir):
    data = (photos_dir / "kit" / "DSCN4950.JPG").read_bytes()
    with pytest.raises(mats.MatError, match="No mat markers in this photo"):
        mats.read_mat(data)
    with pytest.raises(mats.MatError, match="could not be read as an image"):
        mats.read_mat(b"not a photo at all")
