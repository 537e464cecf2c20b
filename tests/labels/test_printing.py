"""The label PDF renders, and every code on it decodes back to exactly the numbers asked for."""

import subprocess

import pytest

from bench.labels import decode, render_pages
from toolcrib.labels.printing import LAYOUTS, labels_pdf

TOOLS = [(f"AT-{288200 + n}-{n % 10}", "Lockwire pliers") for n in range(70)]


def test_an_a4_sheet_holds_65_labels_whose_codes_read_back_at_150_dpi():
    pages = render_pages(labels_pdf(TOOLS, "a4"), 150)
    assert len(pages) == 2  # 65 + 5
    # Printed at 100 %, the page is A4 to the pixel.
    assert abs(pages[0].shape[0] - 297 / 25.4 * 150) <= 1
    assert abs(pages[0].shape[1] - 210 / 25.4 * 150) <= 1
    first, second = (sorted(decode(p)) for p in pages)
    assert first == sorted(n for n, _ in TOOLS[:65])
    assert second == sorted(n for n, _ in TOOLS[65:])


def test_a_label_printer_gets_one_25_by_12_mm_page_per_label():
    pages = render_pages(labels_pdf(TOOLS[:3], "roll"), 300)
    assert [decode(p) for p in pages] == [[n] for n, _ in TOOLS[:3]]
    assert abs(pages[0].shape[1] - 25 / 25.4 * 300) <= 1
    assert abs(pages[0].shape[0] - 12 / 25.4 * 300) <= 1


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_number_and_tool_type_are_printed_in_text(layout):
    pdf = labels_pdf([("AT-288293-6", "Screwdriver, flat blade 6.5 mm")], layout)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "AT-288293-6" in text
    assert "Screwdriver" in text
