"""Rotation options: TTA is exactly invariant to 90-degree turns; canonical lays a tool flat."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inference import rotation
from inference.recognise import model_outputs
from inference.similarity import match_percent


def bar(angle: float) -> Image.Image:
    """A long light bar on a dark ground, turned counter-clockwise by `angle` degrees."""
    image = Image.new("RGB", (400, 400), (20, 20, 20))
    ImageDraw.Draw(image).rectangle((60, 180, 340, 220), fill=(220, 200, 180))
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(20, 20, 20))


@pytest.mark.parametrize("angle", [0, 30, 90, 135])
def test_it_finds_the_principal_axis_of_a_tool(angle):
    found = rotation.principal_angle(bar(angle))
    assert min(abs(found - angle) % 180, 180 - abs(found - angle) % 180) < 3


def test_canonicalise_lays_the_tool_horizontal_and_crops_to_it():
    flat = rotation.canonicalise(bar(60))
    w, h = flat.size
    assert 270 < w < 295 and 35 < h < 50  # the 280x40 bar, lying flat, with little else


def test_canonicalise_leaves_a_crop_without_a_tool_alone():
    blank = Image.new("RGB", (100, 60), (50, 50, 50))
    assert rotation.canonicalise(blank) is blank


def test_tta_gives_the_same_result_for_a_crop_turned_by_90_degrees(real_model, photos_dir):
    from inference.preprocess import model_inputs

    crop = model_inputs((photos_dir / "catalog" / "5_safety_pliers.jpg").read_bytes())
    turned = np.rot90(crop, 1, axes=(1, 2)).copy()
    p0, f0 = model_outputs(real_model, crop, "tta")
    p1, f1 = model_outputs(real_model, turned, "tta")
    assert np.allclose(p0, p1, atol=1e-5)
    assert match_percent(f0[0], f1[0]) == pytest.approx(100.0, abs=1e-3)
    # Without TTA the model does see the difference (so the test above can fail).
    _, g0 = model_outputs(real_model, crop, "none")
    _, g1 = model_outputs(real_model, turned, "none")
    assert match_percent(g0[0], g1[0]) < 99.0


def test_it_reads_the_mode_from_the_environment(monkeypatch):
    monkeypatch.setenv("TOOLCRIB_ROTATION", "canonical")
    assert rotation.rotation_mode() == "canonical"
    monkeypatch.setenv("TOOLCRIB_ROTATION", "sideways")
    with pytest.raises(
        ValueError, match="TOOLCRIB_ROTATION='sideways': expected one of none, tta, canonical"
    ):
        rotation.rotation_mode()
