"""The MFCC front end of DeepSpeech/Coqui STT, computed by the C++ core.

``mfcc`` and ``FeatureStream`` reproduce TensorFlow's ``AudioSpectrogram(window_size=512, stride=320,
magnitude_squared=True)`` followed by ``Mfcc(upper_frequency_limit=8000, lower_frequency_limit=20,
filterbank_channel_count=40, dct_coefficient_count=26)`` on each 512-sample window, as the DeepSpeech
native client computes them. int16 samples are scaled by 1/32768; float32 samples are used as they are.
"""

from __future__ import annotations

from ._core import FeatureOptions, FeatureStream, context_windows, mfcc

__all__ = ["FRAME_SECONDS", "FeatureOptions", "FeatureStream", "context_windows", "mfcc"]

#: Seconds between two feature frames (= acoustic-model timesteps) of the default front end: 20 ms, the C++
#: default ``FeatureOptions.window_step_ms``. Where a model is at hand its own step wins: ``Model`` results carry it
#: as ``Transcript.frame_step_seconds`` (from the bundle's ``feature_win_step_ms``).
FRAME_SECONDS: float = FeatureOptions().window_step_ms / 1000.0
