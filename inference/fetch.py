"""Download the model file once, verify it, and move it into place atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

MAX_BYTES = 500 * 1024 * 1024  # the real file is 4 MB; refuse anything absurd
_CHUNK = 1 << 16


class FetchError(RuntimeError):
    """The model could not be downloaded; the message is fit to show to an admin."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, dest: Path, sha256: str, timeout: float = 30.0) -> Path:
    """Download `url` to `dest`, keeping it only if its sha256 is `sha256`.

    The download goes to a temporary file next to `dest` and is renamed into
    place, so a half-written or wrong file is never left where the app looks.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".download-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FetchError(
                        f"download from {url} is larger than {MAX_BYTES} bytes; refused"
                    )
                digest.update(chunk)
                out.write(chunk)
        got = digest.hexdigest()
        if got != sha256.lower():
            raise FetchError(
                f"downloaded file from {url} has sha256 {got}, expected {sha256}; not used"
            )
        os.replace(tmp, dest)
        return dest
    except urllib.error.HTTPError as e:
        raise FetchError(
            f"could not download the model from {url}: HTTP {e.code} {e.reason}"
        ) from e
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise FetchError(f"could not download the model from {url}: {reason}") from e
    finally:
        tmp.unlink(missing_ok=True)
