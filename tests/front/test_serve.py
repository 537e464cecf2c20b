"""The README's first command: a fresh start serves the login page, and the admin it makes
can log in and see the kit's 11 tool types."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.serving import ROOT, postgres_pid


def test_it_starts_fresh_with_an_admin_who_sees_the_kit(serve, page):
    served = serve(fresh=True)  # a new machine: no database yet
    url, output = served.url, served.output
    password = re.search(r"log in as\s+admin\s+with password\s+(\S+)", output).group(1)

    page.goto(url)
    assert page.locator("h1").inner_text() == "Log in"
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.click("text=Tool types")

    rows = page.locator("#tool-types tbody tr")
    expect(rows).to_have_count(11)  # waits for the new page; count() mid-navigation may read 0
    assert "Lockwire pliers" in page.locator("#tool-types").inner_text()

    # Ctrl-C stops it all at once, not after gunicorn's graceful timeout (20 s): its workers
    # used to hang in Python's own exit until the master killed them.
    page.context.close()  # no keep-alive connection left open
    assert served.stop(signal.SIGINT, timeout=10) == 0
    assert postgres_pid(served.var / "pgdata") is None


def test_it_prints_no_new_password_on_the_next_start(serve):
    first = serve().output
    assert "with password" in first
    second = serve().output
    assert "with password" not in second
    assert "log in with your account" in second


def test_it_says_what_is_wrong_with_a_broken_model_and_serves_anyway(serve, tmp_path):
    broken = tmp_path / "clf.onnx"
    broken.write_bytes(b"not an onnx file")
    served = serve(TOOLCRIB_MODEL=str(broken))
    url, output = served.url, served.output

    assert f"Visual recognition is disabled: {broken} is not a loadable ONNX model" in output
    import urllib.request

    with urllib.request.urlopen(f"{url}/accounts/login/") as response:
        assert response.status == 200


READ_ONE = """
import time
from tests.kit_photos import single_photo
from inference.markings import rules_key
from toolcrib.crib import marking_queue, services
from toolcrib.crib.models import BoxMarking, CribSettings

data, box = single_photo("5_safety_pliers__black")
photo = services.store_photo(data)
marking_queue.queue(photo, [box], rules_key(*CribSettings.current().marking_rules()))
deadline = time.monotonic() + 180
while marking_queue.pending(photo) and time.monotonic() < deadline:
    time.sleep(0.2)
print("read:", BoxMarking.objects.get(photo=photo).reading["numbers"][0]["text"])
"""


def reader_pid(served) -> int:
    return int(re.search(r"The marking reader runs beside it \(pid (\d+)", served.output).group(1))


def gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A child of serve that serve has not reaped yet is gone too.
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return True
        time.sleep(0.1)
    return False


def test_it_runs_the_marking_reader_at_low_priority_beside_gunicorn_and_stops_it(serve, photos_dir):
    served = serve()
    pid = reader_pid(served)
    deadline = time.monotonic() + 60
    while os.getpriority(os.PRIO_PROCESS, pid) != 19 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert os.getpriority(os.PRIO_PROCESS, pid) == 19  # below every web request

    # What a request queues in serve's database, the reader reads (the real OCR).
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", READ_ONE],
        cwd=ROOT,
        env={**os.environ, "TOOLCRIB_VAR": str(served.var)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "read: AT-288293-6" in out.stdout, out.stdout + out.stderr

    assert served.stop() == 0
    assert gone(pid, 10)


def test_a_serve_killed_outright_leaves_no_marking_reader(serve):
    served = serve()
    pid = reader_pid(served)
    served.proc.kill()  # SIGKILL: serve stops nothing itself; the reader sees it gone
    served.proc.wait()
    assert gone(pid, 15)
    # The web server follows too (gunicorn_conf's watcher); the next serve takes over.
    assert "Serving http" in serve().output
