"""NumPy reference of TFLite's hybrid int8 FULLY_CONNECTED arithmetic.

A test oracle (not a fast path): ``hybrid_fc`` is TFLite's dynamic-range FULLY_CONNECTED with symmetric
run-time input quantization (``asymmetric_quantize_inputs = false``): per input row, scale = max|x| / 127,
q = round-half-away-from-zero(x * (127 / max|x|)) clamped to [-127, 127], an int32 dot with the int8
weights, then
acc * (scale * weight_scale) + bias. A row of zeros gives zeros (plus bias).
"""

from __future__ import annotations

import numpy as np

__all__ = ["hybrid_fc", "float_fc"]


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
