"""Browser helpers for the page tests: sign in, take a photo (upload), draw boxes."""

import pytest

from tests.conftest import close_settled, new_context


def settle_after_clicks(page):
    """A click on a link or a submit returns once the next page has started loading; wait till
    it has loaded, so what the test reads next is the new page, not the first half of it (a
    busy CI machine once read an empty table this way)."""
    click = page.click

    def click_and_settle(*args, **kwargs):
        click(*args, **kwargs)
        page.wait_for_load_state()

    page.click = click_and_settle
    return page


@pytest.fixture
def page(page):
    return settle_after_clicks(page)


@pytest.fixture(autouse=True)
def marking_reader(request):
    """Beside every live server, the marking reader (tests/conftest.py `reader`)."""
    if "live_server" not in request.fixturenames:
        return None
    request.getfixturevalue("live_server")
    return request.getfixturevalue("reader")


def sign_in(page, live_server, user):
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "crib-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    return page


@pytest.fixture
def signed_in(page, live_server):
    """signed_in(user) -> the page, signed in as that user on the live server."""
    return lambda user: sign_in(page, live_server, user)


PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


@pytest.fixture
def phone(browser, live_server):
    """phone(user) -> a page on a 390 x 844 touch screen, signed in as that user.

    Each user gets a phone of their own: in one shared browser the last user's page, still
    polling, could set a fresh CSRF cookie between the next login form and its post (a 403
    seen once in CI)."""
    contexts = []

    def on_phone(user):
        contexts.append(new_context(browser, **PHONE, device_scale_factor=2))
        return sign_in(settle_after_clicks(contexts[-1].new_page()), live_server, user)

    yield on_phone
    for context in contexts:
        close_settled(context)


@pytest.fixture
def kit_photo(tmp_path, model_path, photos_dir):
    """kit_photo(placements) -> (path of a JPEG of those tools on a table, their boxes)."""
    from tests.kit_photos import compose

    count = iter(range(100))

    def make(placements):
        data, boxes = compose(placements)
        path = tmp_path / f"kit{next(count)}.jpg"
        path.write_bytes(data)
        return path, boxes

    return make


def open_kit_page(page, nav):
    """Open the issue or return page from the nav, once its box editor is ready for clicks."""
    page.click(f"nav >> text={nav}")
    page.wait_for_selector(".kit-photo[data-ready]", state="attached")


def fill_issue_by_number(page, engineer, numbers):
    """On the issue page: the engineer, and each tool added by its number (no photo)."""
    page.fill("input[name=engineer]", engineer)
    for number in numbers:
        page.click("text=Add a tool by number")
        page.locator(".tool-row input").last.fill(number)


def wait_for_recognition(page):
    page.wait_for_function("!document.querySelector('.kit-photo').classList.contains('busy')")


def upload_photo(page, path):
    page.wait_for_selector(
        ".kit-photo[data-ready]", state="attached"
    )  # the editor's script has run
    page.set_input_files("input[data-action=upload]", str(path))
    page.wait_for_selector(".stage img, .photo-error:not([hidden])")
    wait_for_recognition(page)
    error = page.locator(".photo-error")
    assert error.is_hidden(), error.inner_text()


def clear_boxes(page):
    while page.locator(".tool-row .remove").count():
        page.locator(".tool-row .remove").first.click()


def drag(page, start, end, photo_width):
    """Drag on the photo as the user would, from one point to another in photo pixels."""
    image = page.locator(".stage img")
    image.scroll_into_view_if_needed()
    frame = image.bounding_box()
    scale = frame["width"] / photo_width
    page.mouse.move(frame["x"] + start[0] * scale, frame["y"] + start[1] * scale)
    page.mouse.down()
    page.mouse.move(frame["x"] + end[0] * scale, frame["y"] + end[1] * scale, steps=4)
    page.mouse.up()
    wait_for_recognition(page)


def draw_box(page, box, photo_width):
    drag(page, box[:2], box[2:], photo_width)


def row_boxes(page):
    """The box of each tool row, as the page holds it (a turned box's angle is to 0.1°)."""
    return [
        tuple(float(v) if "." in v else int(v) for v in b.split(","))
        for b in page.locator(".tool-row").evaluate_all("rows => rows.map(r => r.dataset.box)")
    ]


def row_of(page, point):
    """The tool row whose box holds this point of the photo."""
    for i, (x0, y0, x1, y1, *_) in enumerate(row_boxes(page)):
        if x0 <= point[0] <= x1 and y0 <= point[1] <= y1:
            return i
    raise AssertionError(f"no box holds {point}: {row_boxes(page)}")
