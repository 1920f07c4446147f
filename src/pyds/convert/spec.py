"""What every source-format loader hands to the converter: one ``SourceModel``.

Each loader (``tflite.py``, ``tensorflow.py`` for .pb/.pbmm/checkpoint) reads its file and returns a
``SourceModel``; ``convert_model`` turns that into a bundle (IR + pyds.json) without knowing the format.

Weights are float32 numpy arrays in DeepSpeech's own layout (the layout of the TF checkpoint variables):
``x @ w + b`` for every dense layer, with H = ``n_cell_dim`` and C = number of classes (blank last).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # openvino is imported lazily by the loaders
    import openvino

__all__ = ["AcousticWeights", "SourceModel", "WEIGHT_NAMES"]

#: Names of the dense weights, in network order (also the keys of ``AcousticWeights.int8``).
WEIGHT_NAMES = ("layer1_w", "layer2_w", "layer3_w", "lstm_w", "layer5_w", "layer6_w")


@dataclass
class AcousticWeights:
    """The DeepSpeech acoustic network's parameters (float32, DeepSpeech layout).

    - ``layer1_w`` [(2*n_context+1)*n_input = 494, H]: input index = window_frame*26 + mfcc_coef
      (window_frame 0 is the oldest frame); ``layer1_b`` [H].
    - ``layer2_w``/``layer3_w`` [H, H] with biases [H].
    - ``lstm_w`` [n_input_of_lstm + H, 4H]: rows = concat([x_t, h_{t-1}]) (TF LSTMCell / BlockLSTM layout),
      column blocks in TF gate order (i, j = candidate, f, o); ``lstm_b`` [4H] with the forget bias already
      folded in (DeepSpeech uses forget_bias=0, so nothing to fold for released models).
    - ``layer5_w`` [H, H], ``layer6_w`` [H, C] with biases.
    - ``int8``: optional, name (one of ``WEIGHT_NAMES``) -> (int8 weights in the same [K, N] layout,
      float32 scale of shape [N] (per output channel) or [] (per tensor)); present when the source stores
      int8 weights (a hybrid-quantized .tflite). The float arrays then hold the dequantized values.
    """

    layer1_w: np.ndarray
    layer1_b: np.ndarray
    layer2_w: np.ndarray
    layer2_b: np.ndarray
    layer3_w: np.ndarray
    layer3_b: np.ndarray
    lstm_w: np.ndarray
    lstm_b: np.ndarray
    layer5_w: np.ndarray
    layer5_b: np.ndarray
    layer6_w: np.ndarray
    layer6_b: np.ndarray
    int8: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def n_cell_dim(self) -> int:
        """H, the width of the dense layers and of the LSTM state."""
        return int(self.layer1_w.shape[1])

    @property
    def n_classes(self) -> int:
        """C, the number of output classes (alphabet size + 1 for the blank)."""
        return int(self.layer6_w.shape[1])


@dataclass
class SourceModel:
    """A loaded source model, whatever its file format.

    ``metadata`` keys: sample_rate, feature_win_len_ms, feature_win_step_ms, beam_width, version (the graph
    version), language, alphabet (list[str] of labels, blank implied), utf8_mode, mfcc_upper_hz, n_input,
    n_context, n_steps, n_cell_dim.

    ``frontend_model`` is OpenVINO's own conversion of the source, cut to inputs ``input_node`` [1,16,19,26],
    ``previous_state_c``/``previous_state_h`` [1,H] and outputs ``logits``, ``new_state_c``, ``new_state_h``.

    ``numerics_hint`` is "hybrid_int8" when the weights are int8 with run-time input quantization (TFLite
    dynamic-range quantization), else "f32".
    """

    format: str  # "tflite" | "pb" | "pbmm" | "checkpoint"
    path: Path
    sha256: str
    metadata: dict[str, Any]
    frontend_model: openvino.Model | None
    weights: AcousticWeights | None
    numerics_hint: str = "f32"
