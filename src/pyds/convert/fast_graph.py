"""The ``fast`` acoustic graph: DeepSpeech's network built for speed on the CPU plugin, not for TFLite's bits.

Same interface as the canonical graph (``acoustic_graph``: inputs ``input_node`` [B, n_steps, 19, 26],
``previous_state_c/h`` [B, H]; outputs ``logits`` [B, n_steps, C] softmax-ed, ``new_state_c/h``; B dynamic, so
one compiled model serves a stream, the batch engine and batched live streams). What differs:

- every dense weight is an int8 constant with a per-output-channel scale (Convert -> Multiply, the pattern the
  CPU plugin keeps compressed and runs on its int8 kernels with its own dynamic quantization of the inputs, or
  decompresses to bf16): no explicit row quantization, no padding, no true divisions;
- the LSTM's sigmoid and tanh are OpenVINO's own ops (fused by the plugin), not TFLite's Eigen approximations;
- the LSTM is ``split``: x_t·Wx for all n_steps timesteps is one MatMul of B*n_steps rows, and only h·Wh
  (K = H instead of 2H) is left in the sequential per-step chain, which halves the work that cannot be batched
  and keeps the recurrent weights (H x 4H int8) in the last-level cache. ``joint`` (TFLite's one FC on
  [x_t, h_{t-1}] per step) is kept for comparison in benchmarks/bench_numerics.py.

It is compiled with ``fast_ov_config``: the plugin's defaults (bf16 inference precision where the CPU has it,
dynamic int8 quantization of compressed-weight FCs) with one quantization group per FC input row of width H
(TFLite's own granularity; the plugin's default group of 32 was measured 20 % slower at batch 16 and no more
accurate); pyds.json records the IR and the config in ``numerics.fast``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConversionError
from .acoustic_graph import _quantize_per_channel, io_parameters, io_results
from .spec import AcousticWeights

__all__ = ["build_fast_model", "fast_ov_config", "fast_numerics_entry", "LSTM_FORMS", "FAST_IR_NAME"]

#: the LSTM forms ``build_fast_model`` can emit
LSTM_FORMS = ("split", "joint")
#: file name of the fast IR inside a bundle (its .bin beside it)
FAST_IR_NAME = "acoustic_fast.xml"


def _int8_weight(weights: AcousticWeights, key: str, rows: slice | None = None) -> tuple[np.ndarray, np.ndarray]:
    """int8 [K, N] + per-output-channel float scale [N] of a dense weight (optionally some of its rows)."""
    if key in weights.int8:
        q, scale = weights.int8[key]
    else:
        q, scale = _quantize_per_channel(getattr(weights, key))
    scale = np.broadcast_to(np.asarray(scale, np.float32), (q.shape[1],)).copy()
    return (q if rows is None else q[rows]), scale


def _compressed(q: np.ndarray, scale: np.ndarray):
    """Convert(int8 [N, K]) * scale [N, 1]: an int8 weight the plugin keeps compressed (MatMul transpose_b)."""
    import openvino as ov
    from openvino import opset13 as ops

    qt = np.ascontiguousarray(q.T)
    return ops.multiply(ops.convert(ops.constant(qt), ov.Type.f32), ops.constant(scale[:, None]))


def build_fast_model(
    weights: AcousticWeights,
    *,
    n_steps: int = 16,
    n_context: int = 9,
    n_input: int = 26,
    relu_clip: float = 20.0,
    lstm: str = "split",
):
    """Build the fast acoustic ``openvino.Model`` (dynamic batch) from DeepSpeech weights.

    ``lstm``: "split" (default, the fastest measured) or "joint" (see the module docstring).
    """
    import openvino as ov
    from openvino import opset13 as ops

    if lstm not in LSTM_FORMS:
        raise ConversionError(f"unknown LSTM form '{lstm}' (expected one of {', '.join(LSTM_FORMS)})")
    h = weights.n_cell_dim
    n_classes = weights.n_classes
    width = (2 * n_context + 1) * n_input
    if weights.layer1_w.shape[0] != width:
        raise ConversionError(f"layer1_w has {weights.layer1_w.shape[0]} rows, input windows have {width} values")
    n_lstm_in = weights.lstm_w.shape[0] - h

    def i64(values: list[int]):
        return ops.constant(np.array(values, dtype=np.int64))

    def dense(x, key: str, bias: np.ndarray, rows: slice | None = None, with_bias: bool = True):
        y = ops.matmul(x, _compressed(*_int8_weight(weights, key, rows)), False, True)
        return ops.add(y, ops.constant(np.asarray(bias, np.float32))) if with_bias else y

    def clipped_relu(x):
        return ops.clamp(x, 0.0, float(relu_clip))

    features, c_in, h_in = io_parameters(n_steps, n_context, n_input, h)
    x = ops.reshape(features, i64([-1, width]), False)  # rows (b, t)
    x = clipped_relu(dense(x, "layer1_w", weights.layer1_b))
    x = clipped_relu(dense(x, "layer2_w", weights.layer2_b))
    x = clipped_relu(dense(x, "layer3_w", weights.layer3_b))
    c, hs = c_in.output(0), h_in.output(0)
    outs = []
    if lstm == "split":
        # the input half of every step's gates at once: [B*n_steps, n_lstm_in] x [n_lstm_in, 4H] (+ bias)
        xw = dense(x, "lstm_w", weights.lstm_b, slice(0, n_lstm_in))
        xw = ops.reshape(xw, i64([-1, n_steps, 4 * h]), False)
        xw_steps = ops.split(xw, ops.constant(np.int64(1)), n_steps)
        wh = _compressed(*_int8_weight(weights, "lstm_w", slice(n_lstm_in, None)))
    else:
        steps = ops.split(ops.reshape(x, i64([-1, n_steps, n_lstm_in]), False), ops.constant(np.int64(1)), n_steps)
        wj = _compressed(*_int8_weight(weights, "lstm_w"))
        bias = ops.constant(np.asarray(weights.lstm_b, np.float32))
    for t in range(n_steps):
        if lstm == "split":
            z = ops.add(ops.squeeze(xw_steps.output(t), i64([1])), ops.matmul(hs, wh, False, True))
        else:
            x_t = ops.squeeze(steps.output(t), i64([1]))
            z = ops.add(ops.matmul(ops.concat([x_t, hs], 1), wj, False, True), bias)
        gates = ops.split(z, ops.constant(np.int64(1)), 4)  # TF order: i, j (candidate), f, o
        i_s, f_s, o_s = (ops.sigmoid(gates.output(k)) for k in (0, 2, 3))
        c = ops.add(ops.multiply(f_s, c), ops.multiply(i_s, ops.tanh(gates.output(1)))).output(0)
        hs = ops.multiply(o_s, ops.tanh(c)).output(0)
        outs.append(ops.unsqueeze(hs, i64([1])))
    x = ops.reshape(ops.concat(outs, 1), i64([-1, h]), False)
    x = clipped_relu(dense(x, "layer5_w", weights.layer5_b))
    x = dense(x, "layer6_w", weights.layer6_b)
    results = io_results(x, c, hs, n_steps, n_classes)
    return ov.Model(results, [features, c_in, h_in], "deepspeech_acoustic_fast")


def fast_ov_config(weights: AcousticWeights) -> dict[str, str]:
    """Compile properties of the fast graph: the plugin's defaults, dynamic-quantization group = H (see above;
    the measured alternatives are in benchmarks/bench_numerics.py)."""
    return {"DYNAMIC_QUANTIZATION_GROUP_SIZE": str(weights.n_cell_dim)}


def fast_numerics_entry(weights: AcousticWeights) -> dict[str, Any]:
    """The ``numerics.fast`` entry of pyds.json: the fast IR's file and its compile properties."""
    return {"acoustic_model": FAST_IR_NAME, "ov_config": fast_ov_config(weights)}
