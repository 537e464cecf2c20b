"""Fixtures shared by every test: the crib's users, paths to ../shared, and a real browser."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PHOTOS = SHARED / "photos"
MODEL = Path(os.environ.get("TOOLCRIB_MODEL", SHARED / "models" / "clf.onnx"))

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made from
# tests (fixtures, assertions) are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def need_shared_photos():
    if not PHOTOS.is_dir():
        pytest.skip(f"needs the kit photos in {PHOTOS} (../shared is absent)")
    return PHOTOS


def need_model():
    if not MODEL.is_file():
        pytest.skip(f"needs the tool model at {MODEL} (set TOOLCRIB_MODEL)")
    return MODEL


@pytest.fixture
def photos_dir():
    return need_shared_photos()


@pytest.fixture
def model_path():
    return need_model()


@pytest.fixture
def make_user(db):
    from django.contrib.auth.models import Group, User

    def make(username, *roles, password="crib-pass-123", **extra):
        user = User.objects.create_user(username, password=password, **extra)
        for role in roles:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def storekeeper(make_user):
    return make_user("stella", "storekeeper")


@pytest.fixture
def desk(make_user):
    return make_user("rita", "return desk")


@pytest.fixture
def crib_admin(make_user):
    return make_user("adam", "admin", is_staff=True)


@pytest.fixture
def qa(make_user):
    return make_user("quinn", "QA")


@pytest.fixture
def engineer(db):
    from toolcrib.crib.models import Engineer

    return Engineer.objects.create(badge_number="E1001", name="Ivan Petrov")


@pytest.fixture
def tool_factory(db):
    from toolcrib.crib.models import ToolInstance, ToolType

    def make(number, class_index=4, **extra):
        extra.setdefault("tool_type", ToolType.objects.filter(model_class_index=class_index).first())
        return ToolInstance.objects.create(inventory_number=number, **extra)

    return make


@pytest.fixture(scope="session")
def browser():
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def jpeg():
    """JPEG bytes of a plain picture, optionally with an EXIF orientation tag."""
    import io

    from PIL import Image

    def make(width, height, orientation=None, colour=(200, 200, 190)):
        image = Image.new("RGB", (width, height), colour)
        buf = io.BytesIO()
        exif = Image.Exif()
        if orientation:
            exif[0x0112] = orientation
        image.save(buf, "JPEG", exif=exif.tobytes())
        return buf.getvalue()

    return make


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path_factory):
    """Photos that tests store go to a temporary folder, not the developer's var/media."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
