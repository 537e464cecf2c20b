"""The desk's camera: live picture, one tap takes the photo and it is stored like an upload."""

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.front.conftest import open_kit_page, wait_for_recognition
from toolcrib.crib.models import Photo


@pytest.fixture
def camera_page(playwright_driver, live_server):
    """A browser with a (fake) camera that the page may use without asking."""
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
        ],
    )
    yield browser.new_page(viewport={"width": 768, "height": 1024})
    browser.close()


def test_it_takes_the_photo_with_the_camera(camera_page, live_server, storekeeper):
    page = camera_page
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", storekeeper.username)
    page.fill("input[name=password]", "crib-pass-123")
    page.click("button[type=submit]")
    open_kit_page(page, "Issue")

    page.click("text=Use camera")
    page.wait_for_function("document.querySelector('.camera video').videoWidth > 0")
    page.click("text=Take photo")
    page.wait_for_selector(".stage img")
    wait_for_recognition(page)

    assert page.locator(".camera").is_hidden()
    photo = Photo.objects.get()
    assert (photo.width, photo.height) == tuple(
        page.evaluate(
            "[document.querySelector('.stage img').naturalWidth, document.querySelector('.stage img').naturalHeight]"
        )
    )
