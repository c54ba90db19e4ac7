"""Small ONNX graphs built in tests: models that misbehave on purpose."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def loop_model(trips: int) -> bytes:
    """An (n, 4) -> (n, 4) model: latent = x after ``trips`` iterations of acc = acc * 1.

    It runs as long as it is told, so a large ``trips`` makes a model that never returns.
    """
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond"], ["cond_out"]), helper.make_node("Mul", ["acc", "one"], ["acc_out"])],
        "body", [helper.make_tensor_value_info("i", TensorProto.INT64, []), cond,
                 helper.make_tensor_value_info("acc", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, None)],
        initializer=[helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])])
    graph = helper.make_graph(
        [helper.make_node("Loop", ["M", "c", "x"], ["latent"], body=body)], "loop",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("latent", TensorProto.FLOAT, None)],
        initializer=[helper.make_tensor("M", TensorProto.INT64, [], [trips]),
                     helper.make_tensor("c", TensorProto.BOOL, [], [True])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9).SerializeToString()


def expand_model() -> bytes:
    """An (n, 4) model that expands its input to (n, 4, 2**28): 4 GiB per row."""
    graph = helper.make_graph(
        [helper.make_node("Unsqueeze", ["x", "ax"], ["x3"]), helper.make_node("Expand", ["x3", "shape"], ["latent"])],
        "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("latent", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(np.array([1, 4, 1 << 28], np.int64), name="shape"),
                     numpy_helper.from_array(np.array([2], np.int64), name="ax")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9).SerializeToString()
