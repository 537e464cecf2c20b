"""The model contract: what an ONNX file must look like for Toolcrib to run it.

Two forms are in circulation and both are accepted (see ../shared/models/README.md):
the authors' README (input ``input``, uint8 ``p``/``feature``) and the real file
(input ``image``, float32 outputs). The input is found by shape and dtype, the
outputs by name. Anything else is refused with a message that names the problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

SIDE = 112
FEATURE_DIM = 512

_DTYPES = {"tensor(uint8)": np.uint8, "tensor(float)": np.float32}


class ContractError(ValueError):
    """The model file does not follow the Toolcrib model contract."""


@dataclass(frozen=True)
class Contract:
    input_name: str
    feature_dtype: type  # np.uint8 or np.float32
    p_dtype: type | None  # None when the model has no `p` output
    num_classes: int | None
    batch_size: int | None  # None when the batch dimension is dynamic

    @property
    def has_p(self) -> bool:
        return self.p_dtype is not None

    @property
    def output_names(self) -> list[str]:
        return ["p", "feature"] if self.has_p else ["feature"]

    def decode(self, outputs: list[np.ndarray]) -> tuple[np.ndarray | None, np.ndarray]:
        """Session outputs (in `output_names` order) -> float32 (p or None, feature)."""
        if self.has_p:
            p, feature = outputs
            p = p.astype(np.float32) / np.float32(255) if p.dtype == np.uint8 else p
        else:
            p, (feature,) = None, outputs
        # A uint8 feature is used as is (as a float): cosine does not care about scale.
        return p, feature.astype(np.float32, copy=False)


def _describe(arg: ort.NodeArg) -> str:
    return f"'{arg.name}' {arg.type} {_shape(arg.shape)}"


def _shape(shape: Sequence[object]) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _is_dynamic(dim: object) -> bool:
    return not isinstance(dim, int)


def _find_input(inputs: Sequence[ort.NodeArg]) -> tuple[str, int | None]:
    want = f"one uint8 input of shape [N,{SIDE},{SIDE},3] (raw RGB pixels, HWC)"
    if not inputs:
        raise ContractError(f"the model has no inputs; expected {want}")
    if len(inputs) > 1:
        listed = ", ".join(_describe(i) for i in inputs)
        raise ContractError(f"the model has {len(inputs)} inputs ({listed}); expected {want}")
    (arg,) = inputs
    shape = list(arg.shape)
    if len(shape) != 4:
        raise ContractError(f"input {_describe(arg)} has rank {len(shape)}; expected {want}")
    if arg.type != "tensor(uint8)":
        raise ContractError(f"input {_describe(arg)} has dtype {arg.type}; expected {want}")
    if shape[3] != 3 and shape[1] == 3:
        raise ContractError(f"input {_describe(arg)} is channels-first (NCHW); expected {want}")
    for axis, size in ((1, SIDE), (2, SIDE), (3, 3)):
        if not _is_dynamic(shape[axis]) and shape[axis] != size:
            raise ContractError(
                f"input {_describe(arg)} has the wrong spatial size or channels; expected {want}"
            )
    batch = None if _is_dynamic(shape[0]) else shape[0]
    return arg.name, batch


def _check_output(arg: ort.NodeArg, name: str, width: int | None) -> None:
    if arg.type not in _DTYPES:
        raise ContractError(
            f"output {_describe(arg)} has dtype {arg.type}; expected uint8 or float32"
        )
    if len(arg.shape) != 2:
        raise ContractError(
            f"output {_describe(arg)} has rank {len(arg.shape)}; expected [N,{width or 'C'}]"
        )
    if width is not None and arg.shape[1] != width:
        raise ContractError(f"output {_describe(arg)} is not {width}-d; expected [N,{width}]")


def inspect_session(session: ort.InferenceSession) -> Contract:
    """Read the contract off an onnxruntime InferenceSession, or raise ContractError."""
    input_name, batch = _find_input(session.get_inputs())
    outputs = {o.name: o for o in session.get_outputs()}
    if "feature" not in outputs:
        names = ", ".join(_describe(o) for o in outputs.values()) or "none"
        raise ContractError(
            f"the model has no 'feature' output (it has: {names}); expected 'feature' [N,{FEATURE_DIM}]"
        )
    feature = outputs["feature"]
    _check_output(feature, "feature", FEATURE_DIM)
    p = outputs.get("p")
    num_classes = None
    if p is not None:
        _check_output(p, "p", None)
        num_classes = None if _is_dynamic(p.shape[1]) else p.shape[1]
    return Contract(
        input_name=input_name,
        feature_dtype=_DTYPES[feature.type],
        p_dtype=_DTYPES[p.type] if p is not None else None,
        num_classes=num_classes,
        batch_size=batch,
    )
