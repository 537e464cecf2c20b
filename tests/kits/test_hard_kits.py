"""The hard tier of the synthetic kit set, its figures per tier and table, and the real kit photo."""

import csv
import re

import numpy as np
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
