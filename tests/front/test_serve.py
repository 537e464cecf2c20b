"""The README's first command: a fresh start serves the login page, and the admin it makes
can log in and see the kit's 11 tool types."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve(pg_tmp):
    started = []

    def start(**extra_env):
        port = free_port()
        env = {
            **os.environ,
            "TOOLCRIB_VAR": str(pg_tmp / "var"),
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        env.pop("DATABASE_URL", None)
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        started.append(proc)
        output = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Quit the server" in line:
                return f"http://127.0.0.1:{port}", "".join(output)
        raise AssertionError("serve did not start:\n" + "".join(output))

    yield start
    for proc in started:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(30)


def test_it_starts_fresh_with_an_admin_who_sees_the_kit(serve, page):
    url, output = serve()
    password = re.search(r"log in as\s+admin\s+with password\s+(\S+)", output).group(1)

    page.goto(url)
    assert page.locator("h1").inner_text() == "Log in"
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.click("text=Tool types")

    rows = page.locator("#tool-types tbody tr")
    assert rows.count() == 11
    assert "Lockwire pliers" in page.locator("#tool-types").inner_text()


def test_it_prints_no_new_password_on_the_next_start(serve):
    _, first = serve()
    assert "with password" in first
    _, second = serve()
    assert "with password" not in second
    assert "log in with your account" in second


def test_it_says_what_is_wrong_with_a_broken_model_and_serves_anyway(serve, tmp_path):
    broken = tmp_path / "clf.onnx"
    broken.write_bytes(b"not an onnx file")
    url, output = serve(TOOLCRIB_MODEL=str(broken))

    assert f"Visual recognition is disabled: {broken} is not a loadable ONNX model" in output
    import urllib.request

    with urllib.request.urlopen(f"{url}/accounts/login/") as response:
        assert response.status == 200
