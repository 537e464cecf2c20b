"""The printed mat: its PDF renders, and what a camera needs is in the rendered page."""

import subprocess

import cv2
import numpy as np
import pytest

from inference import mats
from toolcrib.mats.printing import mat_pdf, tiled_pdf

SLOTS = (
    mats.Slot("1", "1_screw_flat", mats.rectangle(150, 120, 180, 30, 0), 0, "AT-288293-6"),
    mats.Slot("2", "6_pliers", mats.rectangle(260, 190, 170, 60, 20), 20),
)


def render(pdf: bytes, tmp_path, dpi=100) -> list[np.ndarray]:
    path = tmp_path / "mat.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(path), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page*.png"))
    return [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in pages]


@pytest.mark.parametrize("paper", ["A3", "A2"])
def test_it_prints_a_mat_whose_markers_and_code_a_camera_reads(paper, tmp_path):
    template = mats.Template("Wheel kit", 3, paper, SLOTS, mats.code_text("ab12cd", 7, 3))
    [page] = render(mat_pdf(template), tmp_path, dpi=60)
    w, h = mats.PAPERS[paper]
    # Actual size: the page is the paper's size (to the pixel).
    assert abs(page.shape[0] - h / 25.4 * 60) <= 1 and abs(page.shape[1] - w / 25.4 * 60) <= 1
    found = mats.find_markers(page)
    assert sorted(found) == [m.id for m in mats.markers(paper)]
    ok, png = cv2.imencode(".png", page)
    view = mats.read_mat(png.tobytes())
    assert view.paper == paper
    assert view.code == "TCM1-AB12CD-7-3"
    assert mats.parse_code(view.code) == mats.MatCode("AB12CD", 7, 3)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=mat_pdf(template), capture_output=True, check=True
    ).stdout.decode()
    for words in ("Wheel kit", "version 3", "1_screw_flat", "AT-288293-6", "6_pliers", "100 mm"):
        assert words in text


def test_it_tiles_the_mat_onto_a4_pages_that_taped_together_make_the_mat(tmp_path):
    template = mats.Template("Wheel kit", 1, "A3", SLOTS, mats.code_text("ab12cd", 7, 1))
    pages = render(tiled_pdf(template), tmp_path, dpi=127)  # 5 px per mm
    assert len(pages) == 4  # A3 on A4 sideways: 2 x 2
    # Trim each page at its 10 mm margin and butt the tiles edge to edge, as the page says.
    mat = np.full((297 * 5, 420 * 5), 255, np.uint8)
    for n, page in enumerate(pages):
        r, c = divmod(n, 2)
        assert abs(page.shape[0] - 210 * 5) <= 1 and abs(page.shape[1] - 297 * 5) <= 1
        tile = page[50 : 50 + 190 * 5, 50 : 50 + 277 * 5]
        y, x = r * 190 * 5, c * 277 * 5
        part = mat[y : y + 190 * 5, x : x + 277 * 5]
        part[:] = tile[: part.shape[0], : part.shape[1]]
    assert sorted(mats.find_markers(mat)) == [m.id for m in mats.markers("A3")]
    view = mats.read_mat(cv2.imencode(".png", mat)[1].tobytes())
    assert view.code == "TCM1-AB12CD-7-1"
    assert view.residual_mm < 0.5
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=tiled_pdf(template), capture_output=True, check=True
    ).stdout.decode()
    assert "tile row 2 column 2 of 2 x 2" in text


def test_it_says_which_slots_do_not_fit_the_paper():
    inside = mats.Slot("1", "6_pliers", mats.rectangle(200, 150, 100, 40, 0))
    outside = mats.Slot("2", "6_pliers", mats.rectangle(400, 150, 100, 40, 0))
    assert mats.check_slots(mats.Template("k", 1, "A3", (inside,))) == []
    [problem] = mats.check_slots(mats.Template("k", 1, "A3", (inside, outside)))
    assert problem.startswith("Slot 2 reaches outside the mat's free area")
