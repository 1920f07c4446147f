"""A NumPy + pyFFTW reference of the DeepSpeech MFCC front end: a test oracle, not the hot path (pyFFTW comes
with the ``test`` and ``bench`` extras only).

Written independently of the C++ core from the maths of TensorFlow's kernels (``AudioSpectrogram`` and ``Mfcc``):

1. frames of 512 samples every 320 (full windows only), times a periodic Hann window ``0.5 - 0.5 cos(2 pi n / N)``;
2. the squared magnitude of the real FFT, in float64, rounded to float32 (the spectrogram op's output type);
3. a 40-channel mel filterbank between 20 Hz and 8000 Hz on ``sqrt(power)``: HTK mel ``1127 ln(1 + f/700)``,
   41 centres evenly spaced in mel, bins ``int(1.5 + lower/hz_per_bin) .. int(upper/hz_per_bin)`` with
   ``hz_per_bin = (sr/2) / 256``, each bin split between two neighbouring channels by its position in mel;
4. ``ln(max(energy, 1e-12))``;
5. an unnormalized DCT-II scaled by ``sqrt(2/40)`` (no 1/sqrt(2) on coefficient 0), first 26 coefficients.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mfcc", "mel_weights"]


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)


def mel_weights(
    n_bins: int = 257,
    sample_rate: int = 16000,
    lower_hz: float = 20.0,
    upper_hz: float = 8000.0,
    channels: int = 40,
) -> np.ndarray:
    """The filterbank as a dense float64 matrix [channels, n_bins] applied to ``sqrt(power)``."""
    mel_low, mel_high = _hz_to_mel(lower_hz), _hz_to_mel(upper_hz)
    centres = mel_low + (mel_high - mel_low) / (channels + 1) * np.arange(1, channels + 2)
    hz_per_bin = 0.5 * sample_rate / (n_bins - 1)
    start = int(1.5 + lower_hz / hz_per_bin)
    end = int(upper_hz / hz_per_bin)
    weights = np.zeros((channels, n_bins))
    for i in range(start, end + 1):
        mel = _hz_to_mel(i * hz_per_bin)
        # The channel whose upper centre is the first centre at or above this bin's mel value.
        upper = int(np.searchsorted(centres[:channels], mel, side="left"))
        lower = upper - 1
        lower_centre = centres[lower] if lower >= 0 else mel_low
        falling = (centres[upper] - mel) / (centres[upper] - lower_centre)
        if lower >= 0:
            weights[lower, i] += falling
        if upper < channels:
            weights[upper, i] += 1.0 - falling
    return weights


def _dct_matrix(coefficients: int, channels: int) -> np.ndarray:
    k = np.arange(coefficients)[:, None]
    j = np.arange(channels)[None, :]
    return np.sqrt(2.0 / channels) * np.cos(np.pi * k * (j + 0.5) / channels)


def _as_float(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise ValueError(f"samples must be 1-D mono audio, got shape {samples.shape}")
    if samples.dtype == np.int16:
        return samples.astype(np.float32) * np.float32(1.0 / 32768.0)
    if samples.dtype == np.float32:
        return samples
    raise TypeError(f"samples must be int16 or float32, got {samples.dtype}")


def mfcc(
    samples: np.ndarray,
    sample_rate: int = 16000,
    *,
    window: int = 512,
    step: int = 320,
    upper_hz: float = 8000.0,
    lower_hz: float = 20.0,
    channels: int = 40,
    coefficients: int = 26,
) -> np.ndarray:
    """MFCC frames [n_frames, coefficients] (float32) of full windows, computed with NumPy and pyFFTW.

    pyFFTW is a test dependency (its wheels bundle the GPL FFTW), not one of pyds's: ImportError saying how to
    install it when it is absent.
    """
    try:
        import pyfftw.interfaces.numpy_fft as fftw
    except ImportError as exc:
        raise ImportError(
            "pyds.reference needs pyFFTW, a test-only dependency of pyds (the reference oracle is not used by the "
            "library): pip install 'pyds[test]' or pip install pyfftw"
        ) from exc

    x = _as_float(samples).astype(np.float64)
    n_frames = 0 if len(x) < window else 1 + (len(x) - window) // step
    if n_frames == 0:
        return np.zeros((0, coefficients), np.float32)
    n_fft = 1 << (window - 1).bit_length()
    hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(window) / window)
    idx = np.arange(window)[None, :] + step * np.arange(n_frames)[:, None]
    spectrum = fftw.rfft(x[idx] * hann, n=n_fft, axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32).astype(np.float64)
    energies = np.sqrt(power) @ mel_weights(n_fft // 2 + 1, sample_rate, lower_hz, upper_hz, channels).T
    log_mel = np.log(np.maximum(energies, 1e-12))
    return (log_mel @ _dct_matrix(coefficients, channels).T).astype(np.float32)
