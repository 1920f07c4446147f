"""The MFCC front end of DeepSpeech/Coqui STT, computed by the C++ core.

``mfcc`` and ``FeatureStream`` reproduce TensorFlow's ``AudioSpectrogram(window_size=512, stride=320,
magnitude_squared=True)`` followed by ``Mfcc(upper_frequency_limit=8000, lower_frequency_limit=20,
filterbank_channel_count=40, dct_coefficient_count=26)`` on each 512-sample window, as the DeepSpeech
native client computes them. int16 samples are scaled by 1/32768; float32 samples are used as they are.
"""

from __future__ import annotations

from ._core import FeatureOptions, FeatureStream, context_windows, mfcc

__all__ = ["FeatureOptions", "FeatureStream", "context_windows", "mfcc"]
