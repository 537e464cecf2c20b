"""Fixtures for the inference tests: the shared photos and model, and tiny ONNX models."""

from __future__ import annotations

from pathlib import Path

import pytest
from inference_testdata import PHOTOS, REAL_MODEL, build_onnx

from tests.conftest import require


@pytest.fixture(scope="session")
def photos_dir() -> Path:
    require("photos")
    return PHOTOS


@pytest.fixture(scope="session")
def real_model_path() -> Path:
    require("model")
    return REAL_MODEL


@pytest.fixture(scope="session")
def real_model(real_model_path):
    from inference.runtime import load_model

    return load_model(real_model_path)


@pytest.fixture
def tiny_model(tmp_path):
    """Factory: tiny_model(**build_onnx kwargs) -> path of a freshly built model."""
    counter = iter(range(1000))

    def make(**kwargs) -> Path:
        return build_onnx(tmp_path / f"tiny{next(counter)}.onnx", **kwargs)

    return make
