"""One onnxruntime session per process, checked against the contract at load."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from . import config
from .contract import SIDE, Contract, ContractError, inspect_session
from .fetch import FetchError, fetch, sha256_of

log = logging.getLogger(__name__)


class Model:
    """The loaded model: `run` takes uint8 crops [N,112,112,3] and returns float32 (p, feature)."""

    def __init__(self, session: ort.InferenceSession, path: Path, sha256: str):
        self.session = session
        self.path = path
        self.sha256 = sha256
        self.contract: Contract = inspect_session(session)
        self._feed = self.contract.input_name
        self._outputs = self.contract.output_names

    def run(self, batch: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[1:] != (SIDE, SIDE, 3):
            raise ValueError(
                f"expected uint8 [N,{SIDE},{SIDE},3], got {batch.dtype} {list(batch.shape)}"
            )
        fixed = self.contract.batch_size
        if fixed is not None and len(batch) != fixed:
            return self._run_in_chunks(batch, fixed)
        return self.contract.decode(self.session.run(self._outputs, {self._feed: batch}))

    def _run_in_chunks(self, batch: np.ndarray, size: int) -> tuple[np.ndarray | None, np.ndarray]:
        # A model exported with a fixed batch size: feed it that many at a time.
        n = len(batch)
        pad = (-n) % size
        if pad:
            batch = np.concatenate([batch, np.zeros((pad, *batch.shape[1:]), np.uint8)])
        parts = [
            self.contract.decode(self.session.run(self._outputs, {self._feed: batch[i : i + size]}))
            for i in range(0, len(batch), size)
        ]
        p = np.concatenate([q for q, _ in parts])[:n] if self.contract.has_p else None
        return p, np.concatenate([f for _, f in parts])[:n]


def session_options(threads: int | None = None) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    # Requests are served one at a time per process: spend the machine's cores inside each op.
    opts.intra_op_num_threads = threads or os.cpu_count() or 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle worker threads would spin after each run and slow the photo decoding that
    # follows (measured: 12 MP photo -> result 11 ms without spinning, 20-24 ms with).
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts


def load_model(path: str | os.PathLike, threads: int | None = None) -> Model:
    """Open an ONNX file and check it against the contract (ContractError if it breaks it)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        session = ort.InferenceSession(
            str(path), session_options(threads), providers=["CPUExecutionProvider"]
        )
    except Exception as e:  # onnxruntime raises its own exception types for unreadable files
        raise ContractError(
            f"{path} is not a loadable ONNX model: {str(e).strip().splitlines()[0]}"
        ) from e
    return Model(session, path, sha256_of(path))


@dataclass(frozen=True)
class ModelStatus:
    available: bool
    message: str
    sha256: str | None = None


def model_settings() -> tuple[Path, str, str]:
    found = config.from_environ()
    return found.model_path, found.model_url, found.model_sha256


_lock = threading.Lock()
_state: tuple[Model | None, ModelStatus] | None = None


def _load_configured() -> tuple[Model | None, ModelStatus]:
    path, url, sha = model_settings()
    try:
        if not path.exists():
            log.info("model file %s is absent; fetching it from %s", path, url)
            fetch(url, path, sha)
        model = load_model(path)
    except (FetchError, ContractError, OSError) as e:
        message = f"Visual recognition is disabled: {e}"
        log.error(message)
        return None, ModelStatus(False, message)
    note = (
        ""
        if model.sha256 == sha
        else " (not the pinned model; embeddings are recorded under its own sha256)"
    )
    if note:
        log.warning("model %s has sha256 %s, pinned is %s", path, model.sha256, sha)
    return model, ModelStatus(
        True, f"Model {path.name} loaded, sha256 {model.sha256[:12]}{note}", model.sha256
    )


def _state_once() -> tuple[Model | None, ModelStatus]:
    # Loaded (or failed) once per process: a failed fetch is not retried on every request.
    global _state
    if _state is None:
        with _lock:
            if _state is None:
                _state = _load_configured()
    return _state


def get_model() -> Model | None:
    """The process-wide model, or None when recognition is disabled (see model_status())."""
    return _state_once()[0]


def model_status() -> ModelStatus:
    return _state_once()[1]


def reset_model() -> None:
    """Forget the loaded model so the next call reads the settings again (tests, admin retry)."""
    global _state
    with _lock:
        _state = None
