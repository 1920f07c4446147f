"""The canonical DeepSpeech acoustic graph, built with OpenVINO's opset API from ``AcousticWeights``.

Interface (the names the bundle's ``io`` map points at):

- inputs ``input_node`` f32 [B, n_steps, 2*n_context+1, n_input] (B dynamic), ``previous_state_c`` and
  ``previous_state_h`` f32 [B, n_cell_dim];
- outputs ``logits`` f32 **[B, n_steps, C]** (batch-major: each stream's chunk is one contiguous block;
  already softmax-ed, as in every DeepSpeech export), ``new_state_c`` and ``new_state_h`` f32 [B, n_cell_dim].

The network (DeepSpeech ``create_model``): three dense layers with ReLU clipped at ``relu_clip``, an LSTM
(TF ``LSTMCell`` with forget_bias 0: one FC on concat([x_t, h_{t-1}]) -> gates i, j, f, o;
c = sigmoid(f)*c + sigmoid(i)*tanh(j); h = sigmoid(o)*tanh(c)) unrolled over the n_steps timesteps like the
TFLite export, a fourth clipped dense layer and the output layer with softmax.

Numerics:

- ``"f32"``: float arithmetic (the weights may still be stored int8 + scale, decompressed by the plugin);
  compile with ``INFERENCE_PRECISION_HINT=f32`` and ``DYNAMIC_QUANTIZATION_GROUP_SIZE=0``.
- ``"hybrid_int8"``: TFLite's arithmetic, bit for bit where it matters. TFLite's dynamic-range ("hybrid")
  FULLY_CONNECTED quantizes each input row at run time (inv = 127 / max|x| by division, q = round half away
  from zero of x * inv), takes the int32 dot product with the int8 weights and computes
  bias + float(acc) * ((max|x| / 127) * weight_scale). The graph does the row quantization itself with
  elementwise ops (OpenVINO's own dynamic quantization rounds ties to even, and ties are common: rows
  clipped at relu_clip have max|x| = 20), then feeds the integer-valued rows to a MatMul on int8 weights
  that the CPU plugin runs with its own dynamic quantization (int8 kernels), arranged so that every
  quantization group holds the value 127 and so gets a scale of exactly 1 (see ``INT8_FORMS``), and rescales
  and adds the bias in TFLite's order. The LSTM's sigmoid and tanh are TFLite's
  (Eigen's) approximations (see below), and every division is kept a division (``true_divide``; the runtime
  re-marks the Divide nodes after loading when pyds.json says ``numerics.exact_divide``). Measured: every FC
  equals the integer arithmetic exactly, and over the 40 public Armenian clips the greedy transcripts of
  tflite-runtime 2.14 are reproduced on 40 of 40 (benchmarks/parity_tflite.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConversionError
from .spec import AcousticWeights

__all__ = [
    "build_acoustic_model",
    "numerics_config",
    "padded_width",
    "io_parameters",
    "io_results",
    "NUMERICS",
    "INT8_FORMS",
]

NUMERICS = ("hybrid_int8", "f32")
#: how a hybrid_int8 graph gets its FCs onto the plugin's dynamic-quantization int8 kernels exactly. The rows
#: are TFLite's quantized rows (integers, max |q| = 127); the plugin quantizes each group of G input values
#: with scale max|group| / 127, which is exactly 1 only for a group that holds a 127. "grouped" (default):
#: G = ``SENTINEL_GROUP``, each group is G - 1 row values and one sentinel 127 whose weight row is zero, so
#: every group's scale is 1 at any K (widths 494 / 2048 / 4096 become 512 / 2304 / 4352: 6-12 % extra MACs).
#: "padded" (the first exact form, kept to measure against): every FC input zero-padded to one width K_pad
#: and one group of K_pad (494 and 2048 become 4096: 40 % extra MACs and 67 MB of weights instead of 48).
#: Measured and dropped: the rows as an i8 tensor (exact, but the plugin then runs f32 GEMMs and reference
#: converts: slower than padded), and a FakeQuantize on them (int8 kernels, but it switches on the plugin's
#: low-precision passes, which reorder float ops elsewhere in the graph: s104 logits drift by 1e-3).
INT8_FORMS = ("grouped", "padded")
#: dynamic-quantization group of the "grouped" form: 255 row values + 1 sentinel. Measured against 64 and 128
#: (more groups per row: slower, most at batch 1) and 512 (more padding) in benchmarks/bench_numerics.py's way.
SENTINEL_GROUP = 256


def padded_width(weights: AcousticWeights) -> int:
    """The common FC input width of hybrid_int8 graphs: the widest K, rounded up to a multiple of 64."""
    k = max(
        getattr(weights, n).shape[0] for n in ("layer1_w", "layer2_w", "layer3_w", "lstm_w", "layer5_w", "layer6_w")
    )
    return -(-k // 64) * 64


def numerics_config(mode: str, weights: AcousticWeights, int8_form: str = "grouped") -> dict[str, Any]:
    """The ``numerics`` entry of pyds.json: the mode and the OpenVINO compile settings it needs."""
    if mode == "hybrid_int8" and int8_form == "padded":
        group = str(padded_width(weights))
    elif mode == "hybrid_int8":
        group = str(SENTINEL_GROUP)
    elif mode == "f32":
        group = "0"
    else:
        raise ConversionError(f"unknown numerics '{mode}' (expected one of {', '.join(NUMERICS)})")
    return {
        "mode": mode,
        "ov_config": {"INFERENCE_PRECISION_HINT": "f32", "DYNAMIC_QUANTIZATION_GROUP_SIZE": group},
        "exact_divide": mode == "hybrid_int8",
    }


# TFLite's float LOGISTIC and TANH kernels (kGenericOptimized) evaluate Eigen's vectorized functions, built
# without FMA: tanh = a [13/6] rational approximation on x clamped to +-7.90531110763549805 (x itself for
# |x| < 0.0004); logistic = e / (1 + e) with e = Eigen's pexp (Cephes: 2^m * p(r), r = x - m ln2 in two
# parts). Rebuilt here from OpenVINO elementwise ops, each rounded to f32 as the non-FMA build does, they
# make the LSTM cell agree with TFLite's to the bit on most elements, where OpenVINO's own Sigmoid/Tanh
# differ by an ulp on about two thirds of them (and each ulp may flip an int8 rounding in the next FC).
_TANH_ALPHA = (
    4.89352455891786e-03,
    6.37261928875436e-04,
    1.48572235717979e-05,
    5.12229709037114e-08,
    -8.60467152213735e-11,
    2.00018790482477e-13,
    -2.76076847742355e-16,
)
_TANH_BETA = (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04, 1.19825839466702e-06)
_EXP_P = (
    1.9875691500e-4,
    1.3981999507e-3,
    8.3334519073e-3,
    4.1665795894e-2,
    1.6666665459e-1,
    5.0000001201e-1,
)

#: rt_info key of OpenVINO's ConvertDivide pass: a Divide carrying it stays a division (see ``true_divide``)
KEEP_DIVIDE = "nonconvertable_divide_0"


def _c(v: float):
    from openvino import opset13 as ops

    return ops.constant(np.float32(v))


def true_divide(a, b):
    """A Divide marked to stay a division.

    OpenVINO rewrites a/b as a * (1/b) (ConvertDivide), which rounds differently from TFLite's division. The
    mark is rt_info, which IR serialization drops: ``prepare_model`` puts it back on every Divide after
    loading, and pyds.json's ``numerics.exact_divide`` tells the runtime to do the same.
    """
    from openvino import opset13 as ops

    node = ops.divide(a, b)
    node.get_rt_info()[KEEP_DIVIDE] = True
    return node


def prepare_model(model, numerics: dict[str, Any]):
    """Apply the load-time part of a bundle's numerics to a read model (returns it)."""
    if numerics.get("exact_divide"):
        for op in model.get_ops():
            if op.get_type_name() == "Divide":
                op.get_rt_info()[KEEP_DIVIDE] = True
    return model


def _tanh_tflite(x):
    from openvino import opset13 as ops

    xc = ops.clamp(x, -7.90531110763549805, 7.90531110763549805)
    x2 = ops.multiply(xc, xc)
    p = ops.add(ops.multiply(x2, _c(_TANH_ALPHA[6])), _c(_TANH_ALPHA[5]))
    for a in reversed(_TANH_ALPHA[:5]):
        p = ops.add(ops.multiply(x2, p), _c(a))
    p = ops.multiply(xc, p)
    q = ops.add(ops.multiply(x2, _c(_TANH_BETA[3])), _c(_TANH_BETA[2]))
    for b in reversed(_TANH_BETA[:2]):
        q = ops.add(ops.multiply(x2, q), _c(b))
    tiny = ops.less(ops.abs(x), _c(0.0004))
    return ops.select(tiny, xc, true_divide(p, q))


def _exp_tflite(x):
    import openvino as ov
    from openvino import opset13 as ops

    xc = ops.clamp(x, -88.723, 88.723)
    m = ops.floor(ops.add(ops.multiply(xc, _c(1.44269504088896341)), _c(0.5)))
    r = ops.add(ops.multiply(m, _c(-0.693359375)), xc)
    r = ops.add(ops.multiply(m, _c(2.12194440e-4)), r)
    r2 = ops.multiply(r, r)
    r3 = ops.multiply(r2, r)
    y = ops.add(ops.multiply(_c(_EXP_P[0]), r), _c(_EXP_P[1]))
    y1 = ops.add(ops.multiply(_c(_EXP_P[3]), r), _c(_EXP_P[4]))
    y2 = ops.add(r, _c(1.0))
    y = ops.add(ops.multiply(y, r), _c(_EXP_P[2]))
    y1 = ops.add(ops.multiply(y1, r), _c(_EXP_P[5]))
    y = ops.add(ops.multiply(y, r3), y1)
    y = ops.add(ops.multiply(y, r2), y2)
    # 2^m exactly, from a table (m is in [-128, 128] after the clamp); OpenVINO's Power is not exact. 2^128 is
    # not a float32: m = 128 (x > 88.38) gets 2^127, which only feeds e / (1 + e) = 1.
    table = np.ldexp(1.0, np.minimum(np.arange(-128, 129), 127)).astype(np.float32)
    index = ops.convert(ops.add(m, _c(128.0)), ov.Type.i32)
    scale = ops.gather(ops.constant(table), index, ops.constant(np.int64(0)))
    return ops.maximum(ops.multiply(y, scale), x)


def _sigmoid_tflite(x):
    from openvino import opset13 as ops

    e = _exp_tflite(x)
    return true_divide(e, ops.add(_c(1.0), e))


def _quantize_per_channel(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-channel int8 of float weights [K, N] (for --precision int8 of float sources)."""
    scale = np.abs(w).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def io_parameters(n_steps: int, n_context: int, n_input: int, n_cell: int) -> tuple[Any, Any, Any]:
    """The graph's inputs (features, state c, state h) with the bundle's io names and a dynamic batch."""
    import openvino as ov
    from openvino import opset13 as ops

    features = ops.parameter([-1, n_steps, 2 * n_context + 1, n_input], ov.Type.f32, name="input_node")
    c_in = ops.parameter([-1, n_cell], ov.Type.f32, name="previous_state_c")
    h_in = ops.parameter([-1, n_cell], ov.Type.f32, name="previous_state_h")
    for p, name in ((features, "input_node"), (c_in, "previous_state_c"), (h_in, "previous_state_h")):
        p.output(0).get_tensor().set_names({name})
    return features, c_in, h_in


def io_results(logits, c, h, n_steps: int, n_classes: int) -> list[Any]:
    """The graph's outputs: softmax of the last layer's [B*n_steps, C] as ``logits`` [B, n_steps, C], and the
    new state, with the bundle's io names."""
    from openvino import opset13 as ops

    shape = ops.constant(np.array([-1, n_steps, n_classes], dtype=np.int64))
    probs = ops.reshape(ops.softmax(logits, -1), shape, False)
    results = []
    for node, name in ((probs, "logits"), (c, "new_state_c"), (h, "new_state_h")):
        r = ops.result(node)
        r.output(0).get_tensor().set_names({name})
        r.input_value(0).get_tensor().set_names({name})
        results.append(r)
    return results


def build_acoustic_model(
    weights: AcousticWeights,
    *,
    n_steps: int = 16,
    n_context: int = 9,
    n_input: int = 26,
    numerics: str = "f32",
    relu_clip: float = 20.0,
    int8_weights: bool | None = None,
    debug_outputs: bool = False,
    tflite_activations: bool | None = None,
    int8_form: str = "grouped",
):
    """Build the acoustic ``openvino.Model`` (dynamic batch) from DeepSpeech weights.

    ``int8_weights``: store the dense weights as int8 constants + per-channel scale (default: when the source
    had int8 weights; forced by hybrid_int8; float weights are then quantized per channel).
    ``tflite_activations`` (default: with hybrid_int8) computes the LSTM's sigmoid and tanh as TFLite's
    kernels
    do instead of with OpenVINO's Sigmoid/Tanh.
    ``debug_outputs`` adds, for every FC, outputs ``fc_in:<name>`` (its unpadded input) and ``fc_out:<name>``
    (its output incl. bias), names layer1, layer2, layer3, lstm_00..lstm_15, layer5, layer6: the hooks a test
    uses to check each FC against the hybrid integer arithmetic.
    ``int8_form`` (hybrid_int8 only): see ``INT8_FORMS``.
    """
    import openvino as ov
    from openvino import opset13 as ops

    if numerics not in NUMERICS:
        raise ConversionError(f"unknown numerics '{numerics}' (expected one of {', '.join(NUMERICS)})")
    hybrid = numerics == "hybrid_int8"
    if int8_form not in INT8_FORMS:
        raise ConversionError(f"unknown int8 form '{int8_form}' (expected one of {', '.join(INT8_FORMS)})")
    padded = hybrid and int8_form == "padded"
    grouped = hybrid and int8_form == "grouped"
    per_group = SENTINEL_GROUP - 1
    if tflite_activations is None:
        tflite_activations = hybrid
    sigmoid = _sigmoid_tflite if tflite_activations else ops.sigmoid
    tanh = _tanh_tflite if tflite_activations else ops.tanh
    if int8_weights is None:
        int8_weights = bool(weights.int8) or hybrid
    if hybrid and not int8_weights:
        raise ConversionError("numerics 'hybrid_int8' needs int8 weights")
    h = weights.n_cell_dim
    n_classes = weights.n_classes
    width = (2 * n_context + 1) * n_input
    if weights.layer1_w.shape[0] != width:
        raise ConversionError(f"layer1_w has {weights.layer1_w.shape[0]} rows, input windows have {width} values")
    k_pad = padded_width(weights)
    debug: list[Any] = []

    def i64(values: list[int]):
        return ops.constant(np.array(values, dtype=np.int64))

    shared: dict[str, Any] = {}  # one weight (and bias) node per layer: the 16 LSTM steps share theirs

    def weight_node(key: str):
        if key in shared:
            return shared[key]
        w = getattr(weights, key)
        k = w.shape[0]
        if int8_weights:
            if key in weights.int8:
                q, scale = weights.int8[key]
            else:
                q, scale = _quantize_per_channel(w)
            n = q.shape[1]
            scale_n = np.broadcast_to(np.asarray(scale, np.float32), (n,)).copy()
            pad = k_pad - k if padded else 0
            qt = np.zeros((n, k + pad), np.int8)  # [N, K]: the layout OpenVINO's weight compression expects
            qt[:, :k] = q.T
            if grouped:  # groups of G - 1 weight rows + a zero row for the sentinel (see INT8_FORMS)
                groups = -(-k // per_group)
                rows = np.zeros((n, groups * per_group), np.int8)
                rows[:, :k] = q.T
                qt = np.zeros((n, groups, SENTINEL_GROUP), np.int8)
                qt[:, :, :per_group] = rows.reshape(n, groups, per_group)
                qt = qt.reshape(n, groups * SENTINEL_GROUP)
                pad = groups * per_group - k
            # a per-channel [N, 1] scale: the pattern the CPU plugin recognises as compressed weights
            # (Convert -> Multiply) and runs on its int8 kernels. In hybrid mode the scale there is 1 and the
            # weight scale is applied after the MatMul, in TFLite's order (see fc).
            wscale = np.ones((n, 1), np.float32) if hybrid else scale_n[:, None]
            node = ops.multiply(ops.convert(ops.constant(qt), ov.Type.f32), ops.constant(wscale))
            shared[key] = (node, pad, True)
            shared[key + ":scale"] = ops.constant(np.asarray(scale, np.float32).reshape(-1))
        else:
            shared[key] = (ops.constant(np.ascontiguousarray(w, np.float32)), 0, False)
        return shared[key]

    def fc(x, name: str, key: str, bias: np.ndarray):
        """x [rows, K] -> x @ W + b, as int8 hybrid (padded) or float."""
        w, pad, transposed = weight_node(key)
        bkey = key + ":bias"
        if bkey not in shared:
            shared[bkey] = ops.constant(np.asarray(bias, np.float32))
        if hybrid:
            # TFLite's row quantization, done explicitly so that its rounding (half away from zero) is the
            # one used: OpenVINO's own dynamic quantization rounds half to even, and exact ties are common
            # (inputs clipped at relu_clip make max|x| = 20 and x*127/20 lands on .5). The rows are then
            # integers with max |q| = 127, fed to the plugin's dynamic quantization so that every group holds
            # a 127 (INT8_FORMS): its scale is then exactly 1, its int8 kernel returns the int32 dot product.
            amax = ops.reduce_max(ops.abs(x), i64([1]), True)
            inv = true_divide(ops.constant(np.float32(127.0)), ops.maximum(amax, ops.constant(np.float32(1e-30))))
            q = ops.round(ops.multiply(x, inv), "half_away_from_zero")
            qin = ops.pad(q, i64([0, 0]), i64([0, pad]), "constant") if pad else q
            if grouped:
                groups = (int(q.get_output_partial_shape(0)[1].get_length()) + pad) // per_group
                qin = ops.reshape(qin, i64([-1, groups, per_group]), False)
                sentinel = ops.constant(np.float32(127.0))
                qin = ops.pad(qin, i64([0, 0, 0]), i64([0, 0, 1]), "constant", sentinel)
                qin = ops.reshape(qin, i64([-1, groups * SENTINEL_GROUP]), False)
            acc = ops.matmul(qin, w, False, transposed)
            # TFLite: scaling = (max|x| / 127) * weight_scale; out = bias + float(acc) * scaling
            row_scale = ops.multiply(true_divide(amax, ops.constant(np.float32(127.0))), shared[key + ":scale"])
            y = ops.add(ops.multiply(acc, row_scale), shared[bkey])
        else:
            xin = ops.pad(x, i64([0, 0]), i64([0, pad]), "constant") if pad else x
            y = ops.add(ops.matmul(xin, w, False, transposed), shared[bkey])
        if debug_outputs:
            debug.append((f"fc_in:{name}", x))
            debug.append((f"fc_out:{name}", y))
        return y

    def clipped_relu(x):
        return ops.minimum(ops.relu(x), ops.constant(np.float32(relu_clip)))

    features, c_in, h_in = io_parameters(n_steps, n_context, n_input, h)
    x = ops.reshape(features, i64([-1, width]), False)  # rows (b, t), columns window_frame*26 + coef
    x = clipped_relu(fc(x, "layer1", "layer1_w", weights.layer1_b))
    x = clipped_relu(fc(x, "layer2", "layer2_w", weights.layer2_b))
    x = clipped_relu(fc(x, "layer3", "layer3_w", weights.layer3_b))
    x = ops.reshape(x, i64([-1, n_steps, h]), False)
    steps = ops.split(x, ops.constant(np.int64(1)), n_steps)
    c, hs = c_in.output(0), h_in.output(0)
    outs = []
    for t in range(n_steps):
        x_t = ops.squeeze(steps.output(t), i64([1]))
        z = fc(ops.concat([x_t, hs], 1), f"lstm_{t:02d}", "lstm_w", weights.lstm_b)
        gates = ops.split(z, ops.constant(np.int64(1)), 4)  # TF order: i, j (candidate), f, o
        j_g = gates.output(1)
        if tflite_activations:
            # one elementwise chain over all 4H gate values (j's sigmoid is unused) instead of three: the
            # emulated sigmoid is ~25 small ops, and at batch 1 their count, not their size, is the cost
            sig = ops.split(sigmoid(z), ops.constant(np.int64(1)), 4)
            i_s, f_s, o_s = sig.output(0), sig.output(2), sig.output(3)
        else:
            i_s, f_s, o_s = (sigmoid(gates.output(k)) for k in (0, 2, 3))
        c = ops.add(ops.multiply(f_s, c), ops.multiply(i_s, tanh(j_g))).output(0)
        hs = ops.multiply(o_s, tanh(c)).output(0)
        outs.append(ops.unsqueeze(hs, i64([1])))
    x = ops.reshape(ops.concat(outs, 1), i64([-1, h]), False)
    x = clipped_relu(fc(x, "layer5", "layer5_w", weights.layer5_b))
    x = fc(x, "layer6", "layer6_w", weights.layer6_b)
    results = io_results(x, c, hs, n_steps, n_classes)
    for name, node in debug:
        r = ops.result(node)
        r.input_value(0).get_tensor().add_names({name})
        results.append(r)
    model = ov.Model(results, [features, c_in, h_in], "deepspeech_acoustic")
    return model
