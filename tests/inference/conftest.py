"""Fixtures for the inference tests: the shared photos and model, and tiny ONNX models."""

from __future__ import annotations

from pathlib import Path

import pytest
from inference_testdata import PHOTOS, REAL_MODEL, build_onnx


@pytest.fixture(scope="session")
def photos_dir() -> Path:
    if not PHOTOS.is_dir():
        pytest.skip(f"shared photos not found at {PHOTOS}")
    return PHOTOS


@pytest.fixture(scope="session")
def real_model_path() -> Path:
    if not REAL_MODEL.is_file():
        pytest.skip(f"shared model not found at {REAL_MODEL}")
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
