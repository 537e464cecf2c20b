"""/healthz: a load balancer or a monitoring check learns, without signing in, whether the
database, the photo storage and the model are usable (200), or which is not (503)."""

import json
import os
import socket
import subprocess
import sys

import pytest

from inference import runtime
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


@pytest.mark.model
def test_it_answers_200_when_everything_works(client, settings):
    response = client.get("/healthz")  # nobody signed in
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert {k: v["ok"] for k, v in body.items() if k != "ok"} == {
        "database": True,
        "storage": True,
        "model": True,
    }
    assert body["model"]["message"].startswith("Model clf.onnx loaded")
    assert "no-cache" in response["Cache-Control"]
    assert not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))  # the probe is gone


@pytest.mark.model
def test_it_answers_503_when_photos_cannot_be_stored(client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the photo folder should be")
    settings.MEDIA_ROOT = blocker / "media"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False and body["storage"]["ok"] is False
    assert body["storage"]["message"].startswith("The photo storage is not usable")
    assert body["database"]["ok"] is True and body["model"]["ok"] is True


@pytest.fixture
def no_model(monkeypatch, tmp_path):
    port = free_port()  # nothing listens there: the fetch fails at once
    monkeypatch.setenv("TOOLCRIB_MODEL", str(tmp_path / "absent.onnx"))
    monkeypatch.setenv("TOOLCRIB_MODEL_URL", f"http://127.0.0.1:{port}/clf.onnx")
    runtime.reset_model()
    yield
    runtime.reset_model()


def test_it_answers_503_when_the_model_is_off(client, no_model):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["model"] == {"ok": False, "message": body["model"]["message"]}
    assert body["model"]["message"].startswith("Visual recognition is disabled")
    assert body["database"]["ok"] and body["storage"]["ok"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ASK_HEALTHZ = """
import django, json
django.setup()
from django.test import Client
response = Client().get("/healthz")
print(json.dumps({"status": response.status_code, "body": response.json()}))
"""


def test_it_answers_503_when_the_database_is_away(tmp_path):
    """A server whose PostgreSQL does not answer (nothing listens on its port)."""
    env = {
        **os.environ,
        "TOOLCRIB_MODEL": str(tmp_path / "absent.onnx"),  # not what this test is about
        "TOOLCRIB_MODEL_URL": f"http://127.0.0.1:{free_port()}/clf.onnx",
        "DJANGO_SETTINGS_MODULE": "toolcrib.settings",
        "DATABASE_URL": f"postgresql://crib:crib@127.0.0.1:{free_port()}/crib",
        "TOOLCRIB_VAR": str(tmp_path),
        "ALLOWED_HOSTS": "testserver",
    }
    done = subprocess.run(
        [sys.executable, "-c", ASK_HEALTHZ], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    database = answer["body"]["database"]
    assert database["ok"] is False
    assert database["message"].startswith("The database is not usable")
    assert "refused" in database["message"]
