"""Table and tools apart with the optional mask model (u2netp.onnx), and without it."""

import csv
from pathlib import Path

import pytest
from PIL import Image

from inference import masks
from inference.boxes import propose_boxes, table_method
from inference.kit_eval import Truth, _inside, match_boxes


def real_kit(photos: Path):
    with (photos / "kit" / "boxes.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    truths = [
        Truth(r["label"], tuple(int(r[k]) for k in ("x0", "y0", "x1", "y1")), "") for r in rows
    ]
    return Image.open(photos / "kit" / rows[0]["image"]).convert("RGB"), truths


@pytest.fixture
def mask_model():
    masks.reset_mask_model()
    yield masks.get_mask_model()
    masks.reset_mask_model()


def test_it_finds_the_real_kit_laid_side_by_side_without_merging_shadows(shared_photos, mask_model):
    photo, truths = real_kit(shared_photos)

    proposals = propose_boxes(photo, table="saliency")

    # the border model finds 7 of the 11 and puts three pairs in one box each (their shadows join them)
    assert len(match_boxes(truths, proposals)) >= 10
    holding_two = [p for p in proposals if sum(_inside(t.box, p.box) >= 0.6 for t in truths) >= 2]
    assert len(holding_two) <= 1


def test_it_falls_back_to_the_table_colour_without_the_mask_model(
    shared_photos, monkeypatch, tmp_path
):
    monkeypatch.setenv("TOOLCRIB_MASK_MODEL", str(tmp_path / "u2netp.onnx"))
    monkeypatch.setenv("TOOLCRIB_MASK_MODEL_URL", (tmp_path / "nowhere.onnx").as_uri())
    masks.reset_mask_model()
    try:
        assert masks.get_mask_model() is None
        assert "mask model is off" in masks.mask_model_status().message
        assert table_method("saliency") == "border"
        photo, truths = real_kit(shared_photos)
        assert propose_boxes(photo, table="saliency") == propose_boxes(photo, table="border")
        assert list(tmp_path.iterdir()) == []  # no half-fetched file left behind
    finally:
        masks.reset_mask_model()


def test_it_refuses_an_unknown_table_setting(monkeypatch):
    monkeypatch.setenv("TOOLCRIB_TABLE", "velvet")
    with pytest.raises(
        ValueError, match="TOOLCRIB_TABLE='velvet': expected one of border, saliency"
    ):
        table_method()
