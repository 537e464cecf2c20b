"""manage.py evaluate_markings DIR prints the read rate, wrong reads, not read and time."""

from __future__ import annotations

import csv
import io
import re
import sys

import numpy as np
import pytest
import zxingcpp
from inference_testdata import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import make_markings


def write_set(folder, rows):
    with open(folder / "markings.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "text"])
        w.writerows(rows)


def run(*args) -> list[str]:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("evaluate_markings", *args, stdout=out)
    return out.getvalue().splitlines()


def test_it_prints_the_four_figures(tmp_path):
    rng = np.random.default_rng(8)
    make_markings.label(rng, "AT-123456-7", 22).save(tmp_path / "label.png")
    make_markings.code(rng, "AT-765432-1", zxingcpp.BarcodeFormat.DataMatrix, 4).save(
        tmp_path / "code.png"
    )
    make_markings.finish(rng, make_markings.metal(rng, 200, 120), blur=0.5).save(
        tmp_path / "blank.png"
    )
    make_markings.finish(rng, make_markings.metal(rng, 200, 120), blur=0.5).save(
        tmp_path / "worn.png"
    )
    # worn.png: a number is expected, but the crop has none: it is "not read".
    write_set(
        tmp_path,
        [
            ("label.png", "AT-123456-7"),
            ("code.png", "AT-765432-1"),
            ("blank.png", ""),
            ("worn.png", "AT-111111-1"),
        ],
    )
    lines = run(str(tmp_path))
    assert lines[:3] == ["exact read rate: 0.667", "wrong reads: 0", "not read: 1"]
    assert re.fullmatch(r"ms per crop: median \d+", lines[3])


def test_a_pattern_that_refuses_the_number_makes_it_not_read(tmp_path):
    rng = np.random.default_rng(9)
    make_markings.label(rng, "AT-123456-7", 22).save(tmp_path / "label.png")
    write_set(tmp_path, [("label.png", "AT-123456-7")])
    lines = run(str(tmp_path), "--pattern", r"SCREWDRIVER-\d{4}")
    assert lines[:3] == ["exact read rate: 0.000", "wrong reads: 0", "not read: 1"]


def test_a_folder_without_its_table_is_a_clear_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"markings\.csv"):
        run(str(tmp_path))
