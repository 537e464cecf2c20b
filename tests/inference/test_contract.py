"""The model contract: both published forms run; anything else is refused with a reason."""

from __future__ import annotations

import numpy as np
import pytest

from inference.contract import ContractError
from inference.runtime import load_model

BATCH = np.random.default_rng(1).integers(0, 256, (3, 112, 112, 3), dtype=np.uint8)


def test_it_runs_the_authors_readme_form_with_uint8_outputs(tiny_model):
    path = tiny_model(
        input_name="input", outputs={"p": ("uint8", ("bs", 11)), "feature": ("uint8", ("bs", 512))}
    )
    p, feature = load_model(path).run(BATCH)
    assert p.dtype == np.float32 and feature.dtype == np.float32
    assert p.shape == (3, 11) and feature.shape == (3, 512)
    # p/255 gives back probabilities: each row sums to about 1 (uint8 rounding aside).
    assert np.allclose(p.sum(axis=1), 1.0, atol=11 / 255)


def test_it_dequantises_p_to_the_same_probabilities_as_a_float_model(tiny_model):
    as_uint8 = load_model(
        tiny_model(outputs={"p": ("uint8", ("N", 11)), "feature": ("float32", ("N", 512))})
    )
    as_float = load_model(
        tiny_model(outputs={"p": ("float32", ("N", 11)), "feature": ("float32", ("N", 512))})
    )
    assert np.allclose(as_uint8.run(BATCH)[0], as_float.run(BATCH)[0], atol=1 / 255 + 1e-6)


def test_it_runs_the_real_files_form_with_float_outputs(tiny_model):
    contract = load_model(tiny_model(input_name="image")).contract
    assert contract.input_name == "image" and contract.has_p and contract.num_classes == 11


def test_it_runs_a_model_without_p(tiny_model):
    model = load_model(tiny_model(outputs={"feature": ("float32", ("N", 512))}))
    p, feature = model.run(BATCH)
    assert p is None and feature.shape == (3, 512)


def test_it_finds_the_input_by_shape_whatever_its_name(tiny_model):
    model = load_model(tiny_model(input_name="pixels"))
    assert model.contract.input_name == "pixels"
    assert model.run(BATCH)[1].shape == (3, 512)


def test_it_feeds_a_fixed_batch_model_in_chunks(tiny_model):
    model = load_model(
        tiny_model(
            input_shape=(1, 112, 112, 3),
            outputs={"p": ("float32", (1, 11)), "feature": ("float32", (1, 512))},
        )
    )
    p, feature = model.run(BATCH)
    assert p.shape == (3, 11) and feature.shape == (3, 512)


def test_it_accepts_the_real_model_file(real_model):
    c = real_model.contract
    assert (c.input_name, c.feature_dtype, c.p_dtype, c.num_classes) == (
        "image",
        np.float32,
        np.float32,
        11,
    )


BROKEN = {
    "float input": (
        {"input_type": "float32"},
        "has dtype tensor(float); expected one uint8 input",
    ),
    "channels first": ({"input_shape": ("N", 3, 112, 112)}, "is channels-first (NCHW)"),
    "wrong spatial size": ({"input_shape": ("N", 224, 224, 3)}, "wrong spatial size"),
    "rank 3 input": ({"input_shape": (112, 112, 3)}, "has rank 3"),
    "no feature output": (
        {"outputs": {"p": ("float32", ("N", 11)), "embedding": ("float32", ("N", 512))}},
        "no 'feature' output (it has: 'p'",
    ),
    "feature not 512-d": ({"outputs": {"feature": ("float32", ("N", 256))}}, "is not 512-d"),
    "feature wrong dtype": (
        {"outputs": {"feature": ("int64", ("N", 512))}},
        "has dtype tensor(int64); expected uint8 or float32",
    ),
    "p wrong rank": (
        {"outputs": {"p": ("float32", ("N", 11, 1)), "feature": ("float32", ("N", 512))}},
        "output 'p' tensor(float) [N,11,1] has rank 3",
    ),
}


@pytest.mark.parametrize("name", BROKEN)
def test_it_refuses_a_model_that_breaks_the_contract_and_says_why(tiny_model, name):
    kwargs, reason = BROKEN[name]
    with pytest.raises(ContractError) as e:
        load_model(tiny_model(**kwargs))
    assert reason in str(e.value)


def test_it_refuses_a_file_that_is_not_onnx(tmp_path):
    path = tmp_path / "clf.onnx"
    path.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(ContractError, match="is not a loadable ONNX model"):
        load_model(path)


def test_it_refuses_a_model_with_two_inputs(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    def uint8_image(name):
        return helper.make_tensor_value_info(name, TensorProto.UINT8, ["N", 112, 112, 3])

    graph = helper.make_graph(
        [
            helper.make_node("Add", ["a", "b"], ["s"]),
            helper.make_node("Cast", ["s"], ["f"], to=TensorProto.FLOAT),
            helper.make_node("ReduceMean", ["f"], ["feature"], axes=[1, 2], keepdims=0),
        ],
        "two",
        [uint8_image("a"), uint8_image("b")],
        [helper.make_tensor_value_info("feature", TensorProto.FLOAT, ["N", 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "two.onnx")
    with pytest.raises(ContractError, match="the model has 2 inputs"):
        load_model(tmp_path / "two.onnx")
