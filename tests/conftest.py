"""Fixtures shared by every test: the crib's users, paths to ../shared, and a real browser."""

import contextlib
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PHOTOS = SHARED / "photos"
# The app finds the model where the tests do (../shared in development), not only under CI.
os.environ.setdefault("TOOLCRIB_MODEL", str(SHARED / "models" / "clf.onnx"))
MODEL = Path(os.environ["TOOLCRIB_MODEL"])
# ... and the optional mask model (table vs tools, used with TOOLCRIB_TABLE=saliency).
os.environ.setdefault("TOOLCRIB_MASK_MODEL", str(SHARED / "models" / "u2netp.onnx"))
MASK_MODEL = Path(os.environ["TOOLCRIB_MASK_MODEL"])

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made from
# tests (fixtures, assertions) are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# What a test may need beyond the project itself: marker -> (is it here?, what to install).
REQUIREMENTS = {
    "photos": (PHOTOS.is_dir, f"the kit photos in {PHOTOS} (../shared is absent)"),
    "model": (MODEL.is_file, f"the tool model at {MODEL} (set TOOLCRIB_MODEL)"),
    "mask_model": (MASK_MODEL.is_file, f"the mask model at {MASK_MODEL} (set TOOLCRIB_MASK_MODEL)"),
    "browser": (
        Path(CHROMIUM).exists,
        f"Debian's chromium at {CHROMIUM} (apt-get install chromium)",
    ),
}
# Fixtures that stand for a requirement: a test using one (directly or through another
# fixture) gets the marker, so `-m "not browser"` and the CI check see it.
FIXTURE_MARKERS = {
    "photos_dir": "photos",
    "shared_photos": "photos",
    "model_path": "model",
    "real_model_path": "model",
    "tool_model": "model",
    "mask_model": "mask_model",
    "playwright_driver": "browser",
}
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(marker):
    """Skip the running test when `marker`'s requirement is absent (a failure under CI=true)."""
    present, what = REQUIREMENTS[marker]
    if not present():
        pytest.skip(f"needs {what}")


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        for fixture in set(item.fixturenames) & FIXTURE_MARKERS.keys():
            item.add_marker(FIXTURE_MARKERS[fixture])


def pytest_runtest_setup(item):
    for marker in REQUIREMENTS:
        if item.get_closest_marker(marker):
            require(marker)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped test fails: a green CI run means every test ran."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"CI=true and the test was skipped: {reason}"


def need_shared_photos():
    require("photos")
    return PHOTOS


def need_model():
    require("model")
    return MODEL


def kit_a_photo(folder: Path, table: str, style: str, seed: int = 0) -> tuple[Path, list]:
    """Kit A's 11 catalogue tools as scripts/make_kits.py lays them on one of its hard tables
    (`table`, `style`: its hard_layouts), 1000 px wide: the photo and its true boxes (Truth)."""
    import sys

    from inference.kit_eval import read_truth

    sys.path.insert(0, str(ROOT / "scripts"))
    import make_kits

    make_kits.make_kits(
        folder,
        seed=seed,
        width=1000,
        kits={"kitA": make_kits.CATALOG},
        hard_layouts=[(table, style)],
    )
    name = f"kitA__h00_{table}_{style}.jpg"
    return folder / name, read_truth(folder)[name][1]


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
        extra.setdefault(
            "tool_type", ToolType.objects.filter(model_class_index=class_index).first()
        )
        return ToolInstance.objects.create(inventory_number=number, **extra)

    return make


@pytest.fixture
def two_site_crib(tool_factory, engineer, storekeeper, desk, make_user, crib_admin):
    """Sites RIX and VNO with a tool of each out and in; users limited to RIX (tests/two_sites.py)."""
    from tests.two_sites import two_sites

    return two_sites(
        tool_factory=tool_factory,
        engineer=engineer,
        storekeeper=storekeeper,
        desk=desk,
        make_user=make_user,
        crib_admin=crib_admin,
    )


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright per test run: its sync API cannot be started twice at once."""
    require("browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


_IN_FLIGHT: dict[int, set] = {}  # a browser context's requests not yet answered


def new_context(browser, **options):
    """A browser context whose requests are followed until answered (close_settled)."""
    context = browser.new_context(**options)
    pending = _IN_FLIGHT[id(context)] = set()
    context.on("request", lambda request: pending.add(request))
    context.on("requestfinished", lambda request: pending.discard(request))
    context.on("requestfailed", lambda request: pending.discard(request))
    return context


def close_settled(context) -> None:
    """Close a browser context once its requests have been answered. The live server answers
    in threads: a crop still being served when the test's database was flushed deadlocked the
    flush (an error at teardown, seen once in a full run)."""
    pending = _IN_FLIGHT.pop(id(context), set())
    deadline = time.monotonic() + 10
    while pending and context.pages and time.monotonic() < deadline:
        context.pages[0].wait_for_timeout(50)  # lets Playwright deliver the answers' events
    context.close()


@pytest.fixture
def page(browser):
    context = new_context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    close_settled(context)


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


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Users made in tests get a fast password hash: PBKDF2's million rounds took about a second
    a user made or signed in on a loaded CI machine, in hundreds of tests that are not about the
    hash (the settings keep it; `serve` and other subprocesses use it)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def reader(transactional_db):
    """The marking reader beside the test, as `serve` runs it beside gunicorn: its real loop in
    a thread of this process, with its own database connection (so the test's data must be
    committed: transactional_db)."""
    from toolcrib.crib.marking_reader import ReaderThread

    with ReaderThread() as running:
        yield running


@contextlib.contextmanager
def scratch_pg_folder():
    """A scratch folder for an embedded PostgreSQL. Not under pytest's tmp_path: postgres runs as
    the OS user `pgserver` (when tests run as root) and needs to reach it, while pytest keeps
    its own folders private and prunes them while other test runs may be using them."""
    import shutil
    import tempfile

    (ROOT / "var").mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="test-", dir=ROOT / "var"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def pg_tmp():
    """A scratch folder for an embedded PostgreSQL (scratch_pg_folder), for one test."""
    with scratch_pg_folder() as path:
        yield path


def pytest_configure(config):
    """With workers (`-n`), the embedded PostgreSQL is started once, here in the controller, before
    any worker, and stopped after the last: each worker makes its own test database in it and
    leaves the server alone (embedded_db.running stops only what it started)."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        from django.conf import settings

        from toolcrib.lib import embedded_db

        config.embedded_db = contextlib.ExitStack()
        config.embedded_db.enter_context(embedded_db.running(settings.EMBEDDED_DB_DIR))


def pytest_unconfigure(config):
    if started := getattr(config, "embedded_db", None):
        started.close()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test setup starts the embedded PostgreSQL (settings only describe it) and stops it
    afterwards unless something else had started it."""
    from django.conf import settings

    from toolcrib.lib import embedded_db

    with embedded_db.running(settings.EMBEDDED_DB_DIR):
        yield


@pytest.fixture(scope="session")
def migrated_pgdata():
    """An embedded PostgreSQL data folder with every migration applied (the kit's tool types,
    nothing else), made once per test run and at rest: `copy_migrated` puts a copy of it where
    an installation is tested, instead of migrating again for each (seconds a start)."""
    import subprocess
    import sys

    with scratch_pg_folder() as folder:
        env = {**os.environ, "TOOLCRIB_VAR": str(folder / "var")}
        env.pop("DATABASE_URL", None)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )  # its embedded PostgreSQL stops when the command ends
        yield folder / "var" / "pgdata"


def copy_migrated(template: Path, var: Path) -> None:
    """The migrated data folder under `var` (as var/pgdata); `cp -a` keeps its owner, the OS
    user postgres runs as."""
    import subprocess

    var.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(template), str(var / "pgdata")], check=True)


@pytest.fixture
def serve(pg_tmp, request):
    """Start the real `manage.py serve` (embedded PostgreSQL under pg_tmp unless DATABASE_URL is
    given); every one started is stopped after the test. Its first start finds the database
    migrated already (a copy of `migrated_pgdata`: serve's migrate has nothing to do, as on any
    start after the first) unless told `fresh=True`: then it makes and migrates the database
    itself, as on a new machine."""
    from tests.serving import Served

    started = []

    def start(*args, fresh=False, **extra_env):
        var = pg_tmp / "var"
        if not fresh and not extra_env.get("DATABASE_URL") and not (var / "pgdata").exists():
            copy_migrated(request.getfixturevalue("migrated_pgdata"), var)
        served = Served(var, extra_env, args)
        started.append(served)
        served.wait_for("Serving http")
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 protocol server on 127.0.0.1 (moto's server mode) for the test run."""
    from tests.serving import start_s3_server

    proc, url = start_s3_server()
    yield url
    proc.terminate()
    proc.wait(10)


def new_bucket(s3_server):
    """A new empty bucket on the S3 server; the environment variables that point Toolcrib at
    it, and under "client" a boto3 client for it."""
    import uuid

    import boto3

    env = {
        "TOOLCRIB_S3_BUCKET": f"crib-{uuid.uuid4().hex[:12]}",
        "TOOLCRIB_S3_ENDPOINT_URL": s3_server,
        "TOOLCRIB_S3_REGION": "us-east-1",
        "TOOLCRIB_S3_ACCESS_KEY_ID": "testing",
        "TOOLCRIB_S3_SECRET_ACCESS_KEY": "testing",
    }
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=env["TOOLCRIB_S3_BUCKET"])
    env["client"] = client
    return env


@pytest.fixture
def s3_bucket(s3_server):
    """A new empty bucket; the environment variables that point Toolcrib at it."""
    return new_bucket(s3_server)
