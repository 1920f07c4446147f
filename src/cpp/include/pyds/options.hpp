// Front-end parameters of DeepSpeech/Coqui acoustic models. Defaults are the released models' values
// (DeepSpeech >= 0.7 and every Coqui STT 1.x model); a model bundle overrides them from pyds.json.
#pragma once

#include <cstddef>

namespace pyds {

struct FeatureOptions {
  int sample_rate = 16000;           // Hz; the only rate the model accepts (audio is resampled before)
  int window_length_ms = 32;         // feature window: 512 samples at 16 kHz
  int window_step_ms = 20;           // hop between windows: 320 samples at 16 kHz
  double upper_frequency_hz = 8000;  // Mfcc upper_frequency_limit; 4000 for DeepSpeech 0.6 graphs (version 5)
  double lower_frequency_hz = 20;    // Mfcc lower_frequency_limit (TensorFlow's default, never changed)
  int filterbank_channels = 40;      // Mfcc filterbank_channel_count
  int dct_coefficients = 26;         // Mfcc dct_coefficient_count = the model's n_input

  int window_samples() const { return sample_rate * window_length_ms / 1000; }
  int step_samples() const { return sample_rate * window_step_ms / 1000; }
};

}  // namespace pyds
