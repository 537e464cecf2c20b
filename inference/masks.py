"""Table and tools apart on any table: the salient-object model (u2netp.onnx, optional).

The border-based table model in boxes.py needs a bare border and a plain table; wood grain,
rust, a mat's print or a second surface beyond the table's edge defeat it (docs/kits.md).
U2-Net-p finds "the objects" in a photo whatever the table: it keeps tools and drops wood
grain, rust, a mat's print and soft shadows (../shared/models/README.md). It does not
separate tools that touch: that is left to the proposer's splitting. Optional like the tool
model: fetched by URL + sha256; without it the border-based table model is used.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from . import config
from .fetch import FetchError, fetch, sha256_of

log = logging.getLogger(__name__)

SALIENCY_SIDE = 320  # the file's fixed input; a 4:3 photo is squeezed into it, and back
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


@dataclass(frozen=True)
class MaskModelStatus:
    available: bool
    message: str


class SaliencyModel:
    def __init__(self, session: ort.InferenceSession, sha256: str):
        self.session = session
        self.sha256 = sha256
        self._input = session.get_inputs()[0].name
        self._output = session.get_outputs()[0].name

    def saliency(self, image: Image.Image, size: tuple[int, int]) -> np.ndarray:
        """How much each pixel belongs to an object, 0..1, float32 [size[1], size[0]]."""
        x = np.asarray(
            image.convert("RGB").resize((SALIENCY_SIDE, SALIENCY_SIDE), Image.Resampling.BILINEAR),
            np.float32,
        )
        x = (x / max(1.0, float(x.max())) - _MEAN) / _STD
        out = self.session.run([self._output], {self._input: x.transpose(2, 0, 1)[None]})[0][0, 0]
        out = (out - out.min()) / max(1e-6, float(out.max() - out.min()))
        return np.asarray(
            Image.fromarray(out.astype(np.float32)).resize(size, Image.Resampling.BILINEAR)
        )


def mask_model_settings() -> tuple[Path | None, str, str]:
    """(path or None when switched off with TOOLCRIB_MASK_MODEL=off, url, sha256)."""
    found = config.from_environ()
    return found.mask_model_path, found.mask_model_url, found.mask_model_sha256


_lock = threading.Lock()
_state: tuple[SaliencyModel | None, MaskModelStatus] | None = None


def _load() -> tuple[SaliencyModel | None, MaskModelStatus]:
    from .runtime import session_options

    path, url, sha = mask_model_settings()
    if path is None:
        return None, MaskModelStatus(
            False, "The mask model is switched off (TOOLCRIB_MASK_MODEL=off)."
        )
    try:
        if not path.exists():
            log.info("mask model %s is absent; fetching it from %s", path, url)
            fetch(url, path, sha)
        session = ort.InferenceSession(
            str(path), session_options(), providers=["CPUExecutionProvider"]
        )
    except (FetchError, OSError, Exception) as e:  # onnxruntime raises its own types
        message = f"The mask model is off, tools are found by the table's colour: {e}"
        log.warning(message)
        return None, MaskModelStatus(False, message)
    digest = sha256_of(path)
    note = "" if digest == sha else " (not the pinned file)"
    return SaliencyModel(session, digest), MaskModelStatus(
        True, f"Mask model {path.name} loaded, sha256 {digest[:12]}{note}"
    )


def get_mask_model() -> SaliencyModel | None:
    """The process-wide salient-object model, or None (see mask_model_status())."""
    global _state
    if _state is None:
        with _lock:
            if _state is None:
                _state = _load()
    return _state[0]


def mask_model_status() -> MaskModelStatus:
    get_mask_model()
    assert _state is not None  # set by get_mask_model
    return _state[1]


def reset_mask_model() -> None:
    global _state
    with _lock:
        _state = None
