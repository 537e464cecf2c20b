"""Paths and builders shared by the inference tests (imported by conftest and test modules)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
PHOTOS = SHARED / "photos"
REAL_MODEL = SHARED / "models" / "clf.onnx"


def shared_photos() -> list[Path]:
    return sorted(PHOTOS.glob("*/*.jpg"))


def jpeg_bytes(image: Image.Image, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92, **kwargs)
    return buf.getvalue()


def build_onnx(
    path: Path,
    *,
    input_name: str = "image",
    input_type: str = "uint8",
    input_shape=("N", 112, 112, 3),
    outputs: dict | None = None,
) -> Path:
    """A tiny ONNX model with the given input and outputs.

    outputs maps name -> (dtype, shape). Each output is the image's mean
    brightness times a fixed weight row, so it runs and has the declared shape;
    `p` goes through a softmax (x255 for uint8) like a real classifier.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    types = {"uint8": TensorProto.UINT8, "float32": TensorProto.FLOAT, "int64": TensorProto.INT64}
    if outputs is None:
        outputs = {"p": ("float32", ("N", 11)), "feature": ("float32", ("N", 512))}
    rank = len(input_shape)
    nodes = [
        helper.make_node("Cast", [input_name], ["x"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMean", ["x"], ["m"], axes=list(range(1, rank)), keepdims=0),
        helper.make_node("Unsqueeze", ["m", "axis1"], ["m1"]),
    ]
    inits = [numpy_helper.from_array(np.array([1], np.int64), "axis1")]
    out_infos = []
    rng = np.random.default_rng(0)
    for name, (dtype, shape) in outputs.items():
        width = shape[1] if isinstance(shape[1], int) else 4
        inits.append(
            numpy_helper.from_array(
                rng.uniform(0.001, 0.01, (1, width)).astype(np.float32), f"w_{name}"
            )
        )
        nodes.append(helper.make_node("MatMul", ["m1", f"w_{name}"], [f"{name}_f"]))
        last = f"{name}_f"
        if name == "p":
            nodes.append(helper.make_node("Softmax", [last], [f"{name}_s"], axis=1))
            last = f"{name}_s"
            if dtype == "uint8":
                inits.append(numpy_helper.from_array(np.array(255, np.float32), "k255"))
                nodes.append(helper.make_node("Mul", [last, "k255"], [f"{name}_x"]))
                last = f"{name}_x"
        if len(shape) != 2:
            inits.append(
                numpy_helper.from_array(
                    np.array([0, -1] + [1] * (len(shape) - 2), np.int64), f"shape_{name}"
                )
            )
            nodes.append(helper.make_node("Reshape", [last, f"shape_{name}"], [f"{name}_r"]))
            last = f"{name}_r"
        nodes.append(helper.make_node("Cast", [last], [name], to=types[dtype]))
        out_infos.append(helper.make_tensor_value_info(name, types[dtype], list(shape)))
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info(input_name, types[input_type], list(input_shape))],
        out_infos,
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path
