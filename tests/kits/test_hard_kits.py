"""The hard tier of the synthetic kit set, its figures per tier and table, and the real kit photo."""

import csv
import re

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from inference.kit_eval import evaluate_kits


def test_it_lays_hard_kits_on_textured_tables_without_a_bare_border(hard_kit_folder):
    with (hard_kit_folder / "boxes.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))

    photos = {(r["tier"], r["table"], r["layout"]) for r in rows}
    assert photos == {
        ("easy", "paper", "spaced"),
        ("hard", "wood", "side"),
        ("hard", "rust", "apart"),
    }
    assert all(r["kit"] == "kitA" and r["tool"] for r in rows)
    assert len(rows) == 3 * 11

    def border_texture(table):
        """How much the border band varies from pixel to pixel (not the light's slow gradient)."""
        name = next(r["image"] for r in rows if r["table"] == table)
        grey = np.asarray(Image.open(hard_kit_folder / name).convert("L"), np.float32)
        detail = np.abs(grey - ndimage.gaussian_filter(grey, 4))
        return np.concatenate(
            [detail[:20].ravel(), detail[-20:].ravel(), detail[:, :20].ravel()]
        ).mean()

    # wood grain runs across the whole frame, border included; the easy paper's border is bare
    assert border_texture("wood") > 2 * border_texture("paper")


def test_it_reports_each_tier_and_table_and_the_real_kit_photo(hard_kit_folder, tool_model):
    text = evaluate_kits(hard_kit_folder)

    assert text.startswith("photos 3, tools 33")
    for name in ("easy", "hard", "hard, not piled", "easy paper", "hard wood", "hard rust"):
        assert re.search(rf"^  {re.escape(name)} +[0-9.]+ / [0-9.]+ / \d+ / ", text, re.M), name
    # the real, unretouched photo of the kit is measured on its own line, whatever the folder
    line = re.search(r"^real kit photo DSCN4950.JPG: found (\d+) of 11 tools", text, re.M)
    assert line and int(line.group(1)) >= 5


def test_it_lays_a_kit_on_a_sheet_with_the_table_in_view_only_when_asked(tmp_path, capsys):
    """`--tables sheet`: the kit on a sheet of paper lying on the table, the table in view all
    round it; only when asked (the default hard tables stay as measured), and an unknown table
    is refused."""
    import make_kits

    args = [str(tmp_path), "--tiers", "hard", "--tables", "sheet", "--width", "640"]
    assert make_kits.main(args) == 0
    with (tmp_path / "boxes.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert {(r["table"], r["layout"]) for r in rows} == {
        ("sheet", style) for style in make_kits.HARD_STYLES
    }
    photo = np.asarray(Image.open(tmp_path / rows[0]["image"]).convert("L"), dtype=float)
    h, w = photo.shape
    # the table shows on every side of the frame, and every tool lies on the sheet
    for side in (photo[:12], photo[-12:], photo[:, :12], photo[:, -12:]):
        assert abs(np.median(side) - np.median(photo[h // 3 : -h // 3, w // 3 : -w // 3])) > 20
    assert all(
        int(r["x0"]) > 0.05 * w and int(r["x1"]) < 0.95 * w for r in rows if r["tier"] == "hard"
    )
    assert "sheet" not in make_kits.HARD_TABLES

    with pytest.raises(SystemExit):
        make_kits.main([str(tmp_path / "no"), "--tables", "velvet"])
    assert "--tables takes wood, edge, rust, colour, dark, sheet; got 'velvet'" in (
        capsys.readouterr().err
    )
