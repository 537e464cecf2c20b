"""Without the model, every page says so in a banner, and the crib keeps working."""

import pytest
from django.urls import reverse

from inference import runtime


@pytest.fixture
def no_model(monkeypatch, tmp_path):
    monkeypatch.setenv("TOOLCRIB_MODEL", str(tmp_path / "absent.onnx"))
    monkeypatch.setenv("TOOLCRIB_MODEL_URL", "http://127.0.0.1:9/clf.onnx")  # nothing listens there
    runtime.reset_model()
    yield
    monkeypatch.undo()
    runtime.reset_model()


def test_it_shows_a_banner_on_every_page_when_recognition_is_off(no_model, client, storekeeper):
    client.force_login(storekeeper)
    for name in ["home", "issue-new", "tools", "engineers"]:
        page = client.get(reverse(name)).content.decode()
        assert "Recognition is unavailable" in page, name
        assert "pick tools by number" in page


def test_it_shows_no_banner_when_the_model_works(client, storekeeper, model_path):
    runtime.reset_model()
    client.force_login(storekeeper)
    assert "Recognition is unavailable" not in client.get(reverse("home")).content.decode()
