"""An absent model file is fetched, verified and moved into place; failures disable recognition."""

from __future__ import annotations

import functools
import hashlib
import http.server
import socket
import threading

import pytest

from inference import config, runtime
from inference.fetch import FetchError, fetch


@pytest.fixture
def served(tmp_path, tiny_model):
    """A local HTTP server (127.0.0.1 only) serving one tiny model at /clf.onnx."""
    root = tmp_path / "www"
    root.mkdir()
    body = tiny_model().read_bytes()
    (root / "clf.onnx").write_bytes(body)
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hashlib.sha256(body).hexdigest()
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def configured(monkeypatch, tmp_path):
    """Point the app's model settings somewhere, and forget the process-wide model around each test."""

    def configure(url: str, sha: str):
        monkeypatch.setenv("TOOLCRIB_MODEL", str(tmp_path / "models" / "clf.onnx"))
        monkeypatch.setenv("TOOLCRIB_MODEL_URL", url)
        monkeypatch.setenv("TOOLCRIB_MODEL_SHA256", sha)
        return tmp_path / "models" / "clf.onnx"

    runtime.reset_model()
    yield configure
    runtime.reset_model()


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/clf.onnx"  # nothing listens there any more


def test_it_fetches_an_absent_model_and_uses_it(served, configured):
    url, sha = served
    path = configured(f"{url}/clf.onnx", sha)
    status = runtime.model_status()
    assert status.available and status.sha256 == sha
    assert path.is_file() and runtime.get_model().sha256 == sha
    assert [p.name for p in path.parent.iterdir()] == ["clf.onnx"]


def test_it_refuses_a_download_with_the_wrong_checksum(served, configured, caplog):
    url, _ = served
    path = configured(f"{url}/clf.onnx", "0" * 64)
    status = runtime.model_status()
    assert not status.available and runtime.get_model() is None
    assert (
        "Visual recognition is disabled" in status.message
        and "expected " + "0" * 64 in status.message
    )
    assert list(path.parent.iterdir()) == []  # nothing half-written left behind
    assert "Visual recognition is disabled" in caplog.text


@pytest.mark.parametrize("where", ["404", "dead server"])
def test_it_keeps_running_without_recognition_when_the_download_fails(served, configured, where):
    url, sha = served
    configured(f"{url}/missing.onnx" if where == "404" else dead_url(), sha)
    status = runtime.model_status()
    assert not status.available and status.sha256 is None
    assert "could not download the model" in status.message
    assert ("HTTP 404" in status.message) == (where == "404")


def test_it_uses_a_present_model_with_another_checksum_under_its_own(tiny_model, configured):
    path = configured("http://127.0.0.1:9/never-asked", "0" * 64)
    path.parent.mkdir()
    path.write_bytes(tiny_model().read_bytes())
    status = runtime.model_status()
    own = hashlib.sha256(path.read_bytes()).hexdigest()
    assert status.available and status.sha256 == own and "not the pinned model" in status.message


def test_it_reports_a_present_file_that_breaks_the_contract(configured, tmp_path):
    path = configured("http://127.0.0.1:9/never-asked", "0" * 64)
    path.parent.mkdir()
    path.write_text("not a model")
    status = runtime.model_status()
    assert not status.available and "is not a loadable ONNX model" in status.message


def test_fetch_writes_nothing_on_failure(served, tmp_path):
    url, _ = served
    with pytest.raises(FetchError, match="has sha256"):
        fetch(f"{url}/clf.onnx", tmp_path / "m" / "clf.onnx", "f" * 64)
    assert list((tmp_path / "m").iterdir()) == []


def test_it_reads_the_real_model_from_the_settings(real_model_path, configured, monkeypatch):
    configured("http://127.0.0.1:9/never-asked", config.DEFAULT_MODEL_SHA256)
    monkeypatch.setenv("TOOLCRIB_MODEL", str(real_model_path))
    status = runtime.model_status()
    assert status.available and status.sha256 == config.DEFAULT_MODEL_SHA256
    assert "not the pinned model" not in status.message
