"""NumPy reference of the DeepSpeech acoustic network, with TFLite's hybrid int8 FC arithmetic.

A test oracle (not a fast path): ``hybrid_fc`` is TFLite's dynamic-range FULLY_CONNECTED with symmetric
run-time input quantization (``asymmetric_quantize_inputs = false``): per input row, scale = max|x| / 127,
q = round-half-away-from-zero(x * (127 / max|x|)) clamped to [-127, 127], an int32 dot with the int8 weights, then
acc * (scale * weight_scale) + bias. A row of zeros gives zeros (plus bias).
"""

from __future__ import annotations

import numpy as np

from .spec import AcousticWeights

__all__ = ["hybrid_fc", "float_fc", "run_chunk"]


def hybrid_fc(x: np.ndarray, q: np.ndarray, scale: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """TFLite hybrid FC: x [rows, K] f32, q [K, N] int8, scale [] or [N], bias [N] -> [rows, N] f32."""
    x = np.asarray(x, np.float32)
    amax = np.abs(x).max(axis=1, keepdims=True)
    row_scale = (amax / np.float32(127.0)).astype(np.float32)
    # TFLite multiplies by the inverse scale 127/max (not x / scale): the two round differently near .5
    inv = np.where(amax == 0, np.float32(0), np.float32(127.0) / np.where(amax == 0, np.float32(1), amax))
    scaled = (x * inv.astype(np.float32)).astype(np.float32)
    xq = np.clip(np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5)), -127, 127).astype(np.int32)
    acc = xq @ q.astype(np.int32)  # exact: |acc| <= 127*127*K < 2**31
    out = acc.astype(np.float32) * (row_scale * np.asarray(scale, np.float32))
    return (out + np.asarray(bias, np.float32)).astype(np.float32)


def float_fc(x: np.ndarray, w: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Plain float FC: x [rows, K] @ w [K, N] + bias."""
    return (np.asarray(x, np.float32) @ w + bias).astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


def run_chunk(weights: AcousticWeights, features: np.ndarray, state_c: np.ndarray, state_h: np.ndarray,
              numerics: str = "hybrid_int8", relu_clip: float = 20.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One chunk through the network: features [B, T, 2C+1, n_input] -> (probs [B, T, classes], c, h)."""
    b, t = features.shape[:2]

    def fc(x: np.ndarray, key: str, bias: np.ndarray) -> np.ndarray:
        if numerics == "hybrid_int8" and key in weights.int8:
            q, s = weights.int8[key]
            return hybrid_fc(x, q, s, bias)
        return float_fc(x, getattr(weights, key), bias)

    def clip(x: np.ndarray) -> np.ndarray:
        return np.minimum(np.maximum(x, 0), np.float32(relu_clip))

    x = features.reshape(b * t, -1).astype(np.float32)
    x = clip(fc(x, "layer1_w", weights.layer1_b))
    x = clip(fc(x, "layer2_w", weights.layer2_b))
    x = clip(fc(x, "layer3_w", weights.layer3_b)).reshape(b, t, -1)
    c, h = state_c.astype(np.float32), state_h.astype(np.float32)
    hs = []
    for step in range(t):
        z = fc(np.concatenate([x[:, step], h], axis=1), "lstm_w", weights.lstm_b)
        i, j, f, o = np.split(z, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(j)
        h = _sigmoid(o) * np.tanh(c)
        hs.append(h)
    x = np.stack(hs, axis=1).reshape(b * t, -1)
    x = clip(fc(x, "layer5_w", weights.layer5_b))
    x = fc(x, "layer6_w", weights.layer6_b)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    probs = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return probs.reshape(b, t, -1), c, h
