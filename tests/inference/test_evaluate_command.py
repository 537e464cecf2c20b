"""manage.py evaluate PATH prints the evaluation report."""

from __future__ import annotations

import io
import re

import pytest

from bench.shared_dataset import layout
from inference import config, runtime


@pytest.fixture
def django_with_inference_app():
    import django
    from django.conf import settings

    if not settings.configured:  # run without the project (pytest -p no:django): a bare setup
        settings.configure(INSTALLED_APPS=["inference"])
        django.setup()
    if "inference" not in settings.INSTALLED_APPS:
        pytest.skip("the project's INSTALLED_APPS does not include 'inference'")


def test_it_prints_the_report(
    django_with_inference_app, tmp_path, photos_dir, real_model_path, monkeypatch
):
    from django.core.management import call_command

    monkeypatch.setenv("TOOLCRIB_MODEL", str(real_model_path))
    runtime.reset_model()
    out = io.StringIO()
    try:
        call_command(
            "evaluate",
            str(layout(tmp_path / "dataset", photos_dir)),
            "--rotation",
            "none",
            "--shots",
            "1",
            stdout=out,
        )
    finally:
        runtime.reset_model()
    assert f"model sha256 {config.DEFAULT_MODEL_SHA256}" in out.getvalue()
    assert "top-1 accuracy: 0.500" in out.getvalue()
    assert "suggested raw match floor (FAR 1%): " in out.getvalue()
    # Calibration on pairs of different photos, measured out of sample.
    text = out.getvalue()
    assert "calibration, different photos of one tool (1 perturbed shots per crop" in text
    assert re.search(r"accept rate at FAR 1\.0%: raw match [0-9.]+ .*, calibrated [0-9.]+", text)
    assert re.search(r"accept rate at FAR 0\.1%: raw match", text)
    assert len(re.findall(r"^ +\d+- *\d+%: +[0-9.]+ / +[0-9.]+ / \d+$", text, re.M)) >= 3


def test_it_fails_plainly_without_a_model(django_with_inference_app, tmp_path, monkeypatch):
    from django.core.management import CommandError, call_command

    monkeypatch.setenv("TOOLCRIB_MODEL", str(tmp_path / "absent.onnx"))
    monkeypatch.setenv("TOOLCRIB_MODEL_URL", "http://127.0.0.1:9/absent.onnx")
    runtime.reset_model()
    try:
        with pytest.raises(
            CommandError, match="Visual recognition is disabled: could not download the model"
        ):
            call_command("evaluate", str(tmp_path))
    finally:
        runtime.reset_model()
