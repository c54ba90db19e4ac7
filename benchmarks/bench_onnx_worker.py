"""An uploaded ONNX model on the digits table: milliseconds per call in a bounded worker vs in this process.

The model (64 -> 128 -> 32, ReLU, random weights) is run on all 1,797 digits rows, the
way the dashboard runs an uploaded model: ``load_model(("model.onnx", bytes)).encode(X)``,
which runs it in a worker process that serves no other job. Baseline, same run: an
onnxruntime session made and run in this process (what the worker does per call).
Calls come back to back, then with a pause between them (``--gap``, as a user's uploads
do): a worker process of its own is started for the next call while a call runs, and
is ready for it when there is that pause.

    python benchmarks/bench_onnx_worker.py [--calls 20] [--gap 2]
"""

import argparse
import statistics
import time

import numpy as np

# Everything else is imported in main(): a spawned worker imports this script's top level again.


def mlp_model() -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    W1, W2 = rng.normal(size=(64, 128)).astype(np.float32), rng.normal(size=(128, 32)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("MatMul", ["r", "W2"], ["latent"])], "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 64])],
        [helper.make_tensor_value_info("latent", TensorProto.FLOAT, ["n", 32])],
        [numpy_helper.from_array(W1, "W1"), numpy_helper.from_array(W2, "W2")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9).SerializeToString()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--gap", type=float, default=2.0)
    args = ap.parse_args()
    from sklearn.datasets import load_digits

    from core.io.models import load_model
    from core.io.onnx_models import onnx_session

    data = mlp_model()
    X = load_digits().data.astype(np.float32)
    model = load_model(("model.onnx", data))
    for gap in (0.0, args.gap):
        here, there = [], []
        for i in range(args.calls + 2):  # the first two of each warm up (imports, the first worker)
            time.sleep(gap)
            t = time.perf_counter()
            ref = onnx_session(data, name="model.onnx").run(["latent"], {"x": X})[0]
            t_here = time.perf_counter() - t
            t = time.perf_counter()
            out = model.encode(X)
            t_there = time.perf_counter() - t
            if i >= 2:
                here.append(t_here)
                there.append(t_there)
        np.testing.assert_allclose(out, ref, rtol=1e-5)
        mh, mt = statistics.median(here), statistics.median(there)
        print(f"digits 1,797 x 64 through a 64-128-32 ONNX MLP, median of {args.calls} calls {gap:g} s apart: in a "
              f"worker {mt * 1e3:.0f} ms per call (p90 {np.percentile(there, 90) * 1e3:.0f} ms), in this process "
              f"{mh * 1e3:.1f} ms ({mt / mh:.0f}x)", flush=True)


if __name__ == "__main__":
    main()
