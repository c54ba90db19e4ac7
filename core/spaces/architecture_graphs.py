"""The zoo architectures without torch: their configs, weight shapes and ONNX graphs.

:mod:`core.spaces.architectures` defines the models in torch, for training. Here the same
models are an ONNX graph built from their weights with the ``onnx`` helper API (no torch,
no exporter), which onnxruntime runs: the core install encodes with the zoo without torch.

A graph takes ``x`` of shape (n, n_features) and gives ``latent`` (n, latent_dim), the
encoder's output, then the rest of the model: ``logits`` (classifiers) or
``reconstruction`` (autoencoders). IR 8 / opset 17, so onnxruntime >= 1.17 loads it.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError, LoadError

__all__ = ["ARCHITECTURE_NAMES", "AUTOENCODERS", "IR_VERSION", "OPSET", "architecture_config", "weight_shapes",
           "weight_mismatches", "model_graph", "model_bytes", "input_dim"]

#: Constructor arguments of each architecture and their defaults (``architectures.py``'s).
_DEFAULTS = {
    "mlp": {"in_dim": 64, "hidden": 128, "latent_dim": 64, "n_classes": 10},
    "cnn": {"side": 8, "channels": 16, "latent_dim": 64, "n_classes": 10},
    "ae": {"in_dim": 64, "hidden": 128, "latent_dim": 32},
}
#: The argument every config must give (the input size).
_FIRST = {"mlp": "in_dim", "cnn": "side", "ae": "in_dim"}
#: Architecture names, the manifest's ``arch`` field.
ARCHITECTURE_NAMES = tuple(_DEFAULTS)
#: Architectures trained to reconstruct their input rather than to classify.
AUTOENCODERS = frozenset({"ae"})
#: Readable by onnxruntime >= 1.17 (the dependency's floor); newer exporters write IR 10 / opset 18.
IR_VERSION, OPSET = 8, 17


def architecture_config(arch: str, config) -> dict:
    """The full constructor arguments of an architecture: ``config`` checked, defaults filled in.

    Parameters
    ----------
    arch : {"mlp", "cnn", "ae"}
    config : dict
        Sizes (ints >= 1); the input size (``in_dim``, or ``side`` for ``cnn``) is required.

    Returns
    -------
    dict

    Raises
    ------
    InvalidInputError
        Unknown arch, a missing input size, unknown keys or sizes that are not ints >= 1.
    """
    if not isinstance(arch, str) or arch not in _DEFAULTS:
        raise InvalidInputError(f"arch={arch!r} is not a zoo architecture; choose one of {sorted(_DEFAULTS)}")
    if not isinstance(config, dict):
        raise InvalidInputError(f"config must be a dict of constructor arguments; got {type(config).__name__}")
    first = _FIRST[arch]
    if first not in config:
        raise InvalidInputError(f"config for arch={arch!r} needs {first!r}; got keys {sorted(map(str, config))}")
    unknown = sorted(map(str, set(config) - set(_DEFAULTS[arch])))
    if unknown:
        raise InvalidInputError(f"config for arch={arch!r} is not valid: unknown keys {unknown}; "
                                f"it takes {sorted(_DEFAULTS[arch])}")
    out = {**_DEFAULTS[arch], **config}
    bad = {k: v for k, v in out.items() if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1}
    if bad:
        raise InvalidInputError(f"config for arch={arch!r} is not valid: sizes must be ints >= 1; got {bad}")
    out = {k: int(v) for k, v in out.items()}
    if arch == "cnn" and out["side"] % 2:
        raise InvalidInputError(f"side={out['side']} must be even (one 2x2 max-pool)")
    return out


def input_dim(arch: str, config: dict) -> int:
    """Input features per row: ``in_dim``, or ``side * side`` pixels for ``cnn``."""
    cfg = architecture_config(arch, config)
    return cfg["side"] ** 2 if arch == "cnn" else cfg["in_dim"]


def weight_shapes(arch: str, config: dict) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape of the model's weights (torch's ``state_dict`` names), computed, not allocated."""
    c = architecture_config(arch, config)
    if arch == "cnn":
        ch, flat = c["channels"], 2 * c["channels"] * (c["side"] // 2) ** 2
        layers = {"encoder.0": (ch, 1, 3, 3), "encoder.2": (2 * ch, ch, 3, 3), "encoder.6": (c["latent_dim"], flat),
                  "head": (c["n_classes"], c["latent_dim"])}
    else:
        layers = {"encoder.0": (c["hidden"], c["in_dim"]), "encoder.2": (c["latent_dim"], c["hidden"])}
        if arch in AUTOENCODERS:
            layers.update({"decoder.0": (c["hidden"], c["latent_dim"]), "decoder.2": (c["in_dim"], c["hidden"])})
        else:
            layers["head"] = (c["n_classes"], c["latent_dim"])
    shapes = {}
    for layer, w in layers.items():
        shapes[f"{layer}.weight"], shapes[f"{layer}.bias"] = w, (w[0],)
    return shapes


def weight_mismatches(arch: str, config: dict, shapes: dict) -> list[str]:
    """``"name: file (...) vs arch (...)"`` for every tensor whose shape is not what ``(arch, config)`` needs."""
    want = weight_shapes(arch, config)
    have = {k: tuple(v) for k, v in shapes.items()}
    return [f"{k}: file {have.get(k)} vs {arch} {want.get(k)}" for k in sorted(set(want) | set(have))
            if want.get(k) != have.get(k)]


def model_graph(arch: str, config: dict, weights: dict):
    """The model as an ONNX graph, its weights as initializers.

    Parameters
    ----------
    arch : {"mlp", "cnn", "ae"}
    config : dict
    weights : dict of str -> ndarray
        Shaped as :func:`weight_shapes` says (cast to float32).

    Returns
    -------
    onnx.ModelProto
        Input ``x`` (n, n_features); outputs ``latent`` (n, latent_dim), then ``logits``
        (n, n_classes) or, for ``ae``, ``reconstruction`` (n, in_dim).

    Raises
    ------
    LoadError
        Weights whose names or shapes do not match ``(arch, config)``.
    """
    from onnx import TensorProto, helper, numpy_helper

    cfg = architecture_config(arch, config)
    bad = weight_mismatches(arch, cfg, {k: np.shape(v) for k, v in weights.items()})
    if bad:
        raise LoadError(f"weights do not match arch={arch!r} with config {cfg}: {'; '.join(bad[:5])}")
    inits, nodes = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op, inputs, out, **attrs):
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def linear(x, layer, out):  # torch's Linear: x @ W.T + b
        return node("Gemm", [x, const(f"{layer}.weight", np.asarray(weights[f"{layer}.weight"], np.float32)),
                             const(f"{layer}.bias", np.asarray(weights[f"{layer}.bias"], np.float32))], out, transB=1)

    if arch == "cnn":
        side = cfg["side"]
        h = node("Reshape", ["x", const("image_shape", np.array([-1, 1, side, side], np.int64))], "image")
        for i, layer in enumerate(("encoder.0", "encoder.2")):
            h = node("Conv", [h, const(f"{layer}.weight", np.asarray(weights[f"{layer}.weight"], np.float32)),
                              const(f"{layer}.bias", np.asarray(weights[f"{layer}.bias"], np.float32))],
                     f"conv{i}", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
            h = node("Relu", [h], f"relu{i}")
        h = node("MaxPool", [h], "pool", kernel_shape=[2, 2], strides=[2, 2])
        h = node("Flatten", [h], "flat", axis=1)
        node("Tanh", [linear(h, "encoder.6", "pre_latent")], "latent")
        n_in = side * side
    else:
        h = node("Relu", [linear("x", "encoder.0", "hidden_pre")], "hidden")
        node("Tanh", [linear(h, "encoder.2", "pre_latent")], "latent")
        n_in = cfg["in_dim"]
    if arch in AUTOENCODERS:
        h = node("Relu", [linear("latent", "decoder.0", "decoded_pre")], "decoded")
        node("Sigmoid", [linear(h, "decoder.2", "reconstruction_pre")], "reconstruction")
        second, n_second = "reconstruction", cfg["in_dim"]
    else:
        second, n_second = linear("latent", "head", "logits"), cfg["n_classes"]
    graph = helper.make_graph(
        nodes, f"stitchboard-{arch}", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", n_in])],
        [helper.make_tensor_value_info("latent", TensorProto.FLOAT, ["n", cfg["latent_dim"]]),
         helper.make_tensor_value_info(second, TensorProto.FLOAT, ["n", n_second])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="stitchboard")
    model.ir_version = IR_VERSION
    return model


def model_bytes(arch: str, config: dict, weights: dict) -> bytes:
    """:func:`model_graph`, serialised (the content of a ``.onnx`` file)."""
    return model_graph(arch, config, weights).SerializeToString()
