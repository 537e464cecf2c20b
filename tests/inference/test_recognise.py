"""recognise(): per-box class candidates and features, all boxes of a photo at once."""

from __future__ import annotations

import numpy as np
import pytest
from inference_testdata import jpeg_bytes
from PIL import Image

from inference.preprocess import PhotoError
from inference.recognise import CLASS_NAMES, recognise
from inference.similarity import match_percent


@pytest.fixture(scope="module")
def two_tool_photo(photos_dir) -> tuple[bytes, list]:
    """Two catalogue pictures side by side on one table: kolovorot left, safety pliers right."""
    left = Image.open(photos_dir / "catalog" / "4_kolovorot.jpg").convert("RGB")
    right = Image.open(photos_dir / "catalog" / "5_safety_pliers.jpg").convert("RGB")
    table = Image.new("RGB", (left.width + right.width, max(left.height, right.height)))
    table.paste(left, (0, 0))
    table.paste(right, (left.width, 0))
    boxes = [(0, 0, left.width, left.height), (left.width, 0, table.width, right.height)]
    return jpeg_bytes(table), boxes


def test_it_names_each_tool_in_a_kit_photo(two_tool_photo, real_model):
    data, boxes = two_tool_photo
    results = recognise(data, boxes, real_model, "none")
    assert [r.candidates[0].class_name for r in results] == ["4_kolovorot", "5_safety_pliers"]
    assert [r.box for r in results] == boxes
    for r in results:
        assert len(r.candidates) == 3
        probabilities = [c.probability for c in r.candidates]
        assert (
            probabilities == sorted(probabilities, reverse=True)
            and 0 < sum(probabilities) <= 1.0001
        )
        assert r.feature.dtype == np.float32 and r.feature.shape == (512,)
        assert np.linalg.norm(r.feature) == pytest.approx(1.0, abs=1e-5)


def test_it_tells_the_same_tool_from_another_by_match_percent(
    two_tool_photo, photos_dir, real_model
):
    data, boxes = two_tool_photo
    kolovorot, pliers = recognise(data, boxes, real_model, "none")
    alone = recognise(
        (photos_dir / "catalog" / "5_safety_pliers.jpg").read_bytes(), None, real_model, "none"
    )[0]
    assert match_percent(alone.feature, pliers.feature) > 95
    assert (
        match_percent(alone.feature, kolovorot.feature)
        < match_percent(alone.feature, pliers.feature) - 10
    )


def test_it_uses_the_whole_photo_without_boxes(photos_dir, real_model):
    photo = Image.open(photos_dir / "catalog" / "9_can_opener.jpg")
    (result,) = recognise(
        (photos_dir / "catalog" / "9_can_opener.jpg").read_bytes(), [], real_model, "tta"
    )
    assert result.box == (0, 0, *photo.size) and result.candidates[0].class_name == "9_can_opener"


def test_it_gives_features_but_no_candidates_for_a_model_without_p(tiny_model, two_tool_photo):
    from inference.runtime import load_model

    model = load_model(tiny_model(outputs={"feature": ("float32", ("N", 512))}))
    results = recognise(two_tool_photo[0], two_tool_photo[1], model, "tta")
    assert [r.candidates for r in results] == [[], []] and results[0].feature.shape == (512,)


def test_it_refuses_a_box_outside_the_photo(two_tool_photo, real_model):
    with pytest.raises(PhotoError, match="lies outside the photo"):
        recognise(two_tool_photo[0], [(0, 0, 5000, 10)], real_model)


def test_class_names_follow_the_training_folders():
    assert len(CLASS_NAMES) == 11
    assert CLASS_NAMES[0] == "1_screw_flat" and CLASS_NAMES[9] == "10_open_end_wrench_3_4"
