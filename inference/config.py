"""Every environment variable inference/ reads, read and checked in this one place.

inference/ has no Django, so it cannot take Django settings; instead `from_environ()` reads the
variables and checks them all at once. toolcrib/settings.py calls it at start-up, so a bad value
stops the app there with a message naming the variable; the modules here call it when they need
a value, so a test or a bench that changes the environment is followed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_MODEL_PATH = "models/clf.onnx"
DEFAULT_MODEL_URL = (
    "https://github.com/glebzadorozhnyi/lct_aeroflot_2025/raw/"
    "26dedb3c0a99bf11b270c6108465d6b09c803434/models/clf.onnx"
)
DEFAULT_MODEL_SHA256 = "e58c98f79b4b8e22f4e890b8eac3fe3684d57b5283bd69cb6fb8346e0aacb2c6"
DEFAULT_MASK_MODEL_PATH = "models/u2netp.onnx"
DEFAULT_MASK_MODEL_URL = "https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2netp.onnx"
DEFAULT_MASK_MODEL_SHA256 = "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8"
ROTATION_MODES = ("none", "tta", "canonical")
# Best same-tool separation with drawn boxes on ../shared/photos (docs/inference.md).
DEFAULT_ROTATION = "tta"
TABLE_METHODS = ("border", "saliency")
DEFAULT_MAX_PHOTO_PIXELS = 50_000_000


class ConfigError(ValueError):
    """A variable has a value inference/ cannot use; the message names it."""


@dataclass(frozen=True)
class Config:
    model_path: Path
    model_url: str
    model_sha256: str
    mask_model_path: Path | None  # None: switched off with TOOLCRIB_MASK_MODEL=off
    mask_model_url: str
    mask_model_sha256: str
    rotation: str  # how crops are turned before the model (inference/rotation.py)
    table: str  # how the table is told from the tools (inference/boxes.py)
    max_photo_pixels: int


def _get(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else REPO_ROOT / path


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = _get(name, default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def _sha256(name: str, default: str) -> str:
    value = _get(name, default)
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ConfigError(f"{name}={value!r}: expected 64 hex digits")
    return value


def _whole_number(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number") from None


def from_environ() -> Config:
    """The configuration as the environment gives it now; ConfigError on the first bad value."""
    mask = _get("TOOLCRIB_MASK_MODEL", DEFAULT_MASK_MODEL_PATH)
    return Config(
        model_path=_path(_get("TOOLCRIB_MODEL", DEFAULT_MODEL_PATH)),
        model_url=_get("TOOLCRIB_MODEL_URL", DEFAULT_MODEL_URL),
        model_sha256=_sha256("TOOLCRIB_MODEL_SHA256", DEFAULT_MODEL_SHA256),
        mask_model_path=None if mask.strip().lower() == "off" else _path(mask),
        mask_model_url=_get("TOOLCRIB_MASK_MODEL_URL", DEFAULT_MASK_MODEL_URL),
        mask_model_sha256=_sha256("TOOLCRIB_MASK_MODEL_SHA256", DEFAULT_MASK_MODEL_SHA256),
        rotation=_choice("TOOLCRIB_ROTATION", ROTATION_MODES, DEFAULT_ROTATION),
        table=_choice("TOOLCRIB_TABLE", TABLE_METHODS, "border"),
        max_photo_pixels=_whole_number("TOOLCRIB_MAX_PHOTO_PIXELS", DEFAULT_MAX_PHOTO_PIXELS),
    )
