"""A slow answer about an older photo never overwrites the newer photo's boxes."""

from tests.front.conftest import open_kit_page, wait_for_recognition


def test_it_drops_the_late_answer_about_a_replaced_photo(signed_in, storekeeper, tmp_path, jpeg):
    first, second = tmp_path / "first.jpg", tmp_path / "second.jpg"
    first.write_bytes(jpeg(640, 480))
    second.write_bytes(jpeg(800, 600, colour=(90, 90, 90)))
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")

    # The server's answer about the first photo is held back until the second is on screen.
    held = []
    page.route(
        "**/api/recognition/",
        lambda route: held.append(route) if not held else route.continue_(),
    )
    page.set_input_files("input[data-action=upload]", str(first))
    for _ in range(200):  # the request about the first photo has reached the route
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    page.set_input_files("input[data-action=upload]", str(second))
    page.wait_for_selector(".tool-row[data-box='0,0,800,600']")
    held[0].continue_()  # the late answer arrives (the page has stopped waiting for it)
    wait_for_recognition(page)
    page.wait_for_timeout(500)

    assert page.evaluate("document.querySelector('.stage img').naturalWidth") == 800
    boxes = page.locator(".tool-row").evaluate_all("rows => rows.map(r => r.dataset.box)")
    assert boxes == ["0,0,800,600"]
    assert page.locator(".photo-error").is_hidden()
