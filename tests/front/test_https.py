"""TOOLCRIB_HTTPS=true behind a TLS proxy: secure cookies, HSTS, plain HTTP redirected, the
proxy's X-Forwarded-Proto trusted; and the README's production settings pass
`manage.py check --deploy` without a warning."""

import json
import os
import re
import secrets
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.db import connection

from tests.conftest import ROOT


def readme_production_env() -> dict:
    """The variables the README's production section exports, with a real secret key for its
    placeholder."""
    readme = (ROOT / "README.md").read_text()
    block = next(
        b for b in re.findall(r"```sh\n(.*?)```", readme, re.S) if "export SECRET_KEY=" in b
    )
    env = {}
    for line in block.splitlines():
        if line.startswith("export "):
            for name, value in re.findall(r"(\w+)=(\S+)", line.split("#")[0]):
                env[name] = value
    assert env["SECRET_KEY"] == "..."  # the placeholder
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def deployed(environ) -> dict:
    # The tests' own switch (tests/conftest.py) is no deployment setting.
    return {k: v for k, v in environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def test_the_readme_s_production_settings_pass_check_deploy(tmp_path):
    env = readme_production_env()
    assert env["TOOLCRIB_HTTPS"] == "true" and env["DATABASE_URL"].startswith("postgres")
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**deployed(os.environ), "TOOLCRIB_VAR": str(tmp_path), **env},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


BEHIND_THE_PROXY = """
import django, json
django.setup()
from django.test import Client
browser = Client()
out = {}
plain = browser.get("/accounts/login/")
out["plain"] = [plain.status_code, plain.get("Location")]
out["health"] = Client().get("/healthz").status_code
https = {"HTTP_X_FORWARDED_PROTO": "https"}
page = browser.get("/accounts/login/", **https)
out["hsts"] = page.get("Strict-Transport-Security")
signed_in = browser.post(
    "/accounts/login/", {"username": "stella", "password": "crib-pass-123"}, **https
)
out["signed_in"] = signed_in.status_code
out["cookies"] = {name: bool(c["secure"]) for name, c in browser.cookies.items()}
print(json.dumps(out))
"""


@pytest.fixture
def fast_passwords():
    """Not here (tests/conftest.py): the storekeeper signs in from a subprocess with the
    settings' own password hashers, so the password is hashed as they hash it."""


@pytest.mark.django_db(transaction=True)
def test_behind_a_tls_proxy_it_redirects_http_and_keeps_cookies_to_https(storekeeper, tmp_path):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "toolcrib.settings",
        # The test database, where the storekeeper is.
        "DATABASE_URL": f"postgresql://{db['USER']}@{quote(db['HOST'], safe='')}:{db['PORT']}/{db['NAME']}",
        "TOOLCRIB_VAR": str(tmp_path),
        "TOOLCRIB_HTTPS": "true",
        "ALLOWED_HOSTS": "testserver",
    }
    done = subprocess.run(
        [sys.executable, "-c", BEHIND_THE_PROXY], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["plain"] == [301, "https://testserver/accounts/login/"]
    assert out["health"] != 301  # a load balancer checks over plain HTTP
    assert out["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert out["signed_in"] == 302
    assert out["cookies"] == {"csrftoken": True, "sessionid": True}
