"""Typed readers for settings that come from environment variables.

They fail loudly: a value that cannot be read stops start-up with a message naming the variable.
"""

import os
from pathlib import Path


class SettingError(Exception):
    pass


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingError(f"{name}={raw!r}: expected true/false")


def _env_number(name, default, cast, what):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r}: expected {what}") from None


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def env_path(name: str, default: Path, base: Path) -> Path:
    """A path from the environment; relative paths are taken from `base` (the project root)."""
    raw = os.environ.get(name)
    path = Path(raw) if raw else default
    return path if path.is_absolute() else (base / path)


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
