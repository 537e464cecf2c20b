"""The return page offers a close-up for a line the photo did not settle; its marking decides."""

from tests.crib.test_close_up import close_up, waiting_line  # noqa: F401 (fixtures)
from toolcrib.crib.models import ToolInstance


def test_the_desk_takes_a_close_up_and_the_etched_number_accepts_the_tool(
    signed_in, desk, waiting_line, close_up, tmp_path  # noqa: F811
):
    line = waiting_line("AT-288293-6")
    picture = tmp_path / "close-up.jpg"
    picture.write_bytes(close_up())
    page = signed_in(desk)
    page.goto(page.url.rstrip("/") + line.tool_return.get_absolute_url())
    card = page.locator(".return-line", has_text="AT-288293-6")
    assert "a close-up of its number or label decides this line" in card.inner_text()

    # A close-up of nothing: said, and the line waits as before.
    blank = tmp_path / "blank.jpg"
    from PIL import Image

    Image.new("RGB", (400, 300), (200, 200, 190)).save(blank)
    card.locator("input[name=close_up]").set_input_files(str(blank))
    with page.expect_navigation():
        card.locator("text=Read the close-up").click()
    assert "decides nothing" in page.locator(".msg-error").inner_text()
    assert "recount required" in card.inner_text()

    card.locator("input[name=close_up]").set_input_files(str(picture))
    with page.expect_navigation():
        card.locator("text=Read the close-up").click()
    assert "back in the crib" in page.locator(".msg-success").inner_text()
    text = card.inner_text()
    assert "accepted" in text and "Marking read: AT-288293-6" in text
    assert "marking confirms it (verified by marking" in text and "on a close-up" in text
    assert card.locator("a", has_text="Close-up").count() == 1
    assert card.locator("form.close-up").count() == 0
    assert ToolInstance.objects.get(inventory_number="AT-288293-6").status == "in_crib"
