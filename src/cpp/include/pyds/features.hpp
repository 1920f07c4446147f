// The MFCC front end of DeepSpeech/Coqui STT: TensorFlow's AudioSpectrogram (periodic Hann window, real FFT
// in double, squared magnitude cast to float) followed by TensorFlow's Mfcc (HTK mel filterbank linear in
// mel over sqrt(power), log floor 1e-12, unnormalized DCT-II), computed per 512-sample window as the
// DeepSpeech native client does.
//
// Thread safety: MfccComputer is immutable after construction and may be shared; compute() takes the
// caller's scratch. FeatureStream is one stream's state: use it from one thread at a time (Python's
// pyds.features.FeatureStream serializes its calls with a lock, so Python threads may share one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "pyds/options.hpp"

namespace pyds {

// A read-only view of mono samples in the caller's memory: float32 (used as is) or int16 (scaled by
// 1/32768, as the native client does), with any element stride. Never owns or copies.
struct SampleView {
  const float* f32 = nullptr;
  const std::int16_t* i16 = nullptr;
  std::size_t size = 0;
  std::ptrdiff_t stride = 1;  // in elements

  static SampleView of(const float* data, std::size_t n, std::ptrdiff_t stride = 1) {
    return {data, nullptr, n, stride};
  }
  static SampleView of(const std::int16_t* data, std::size_t n, std::ptrdiff_t stride = 1) {
    return {nullptr, data, n, stride};
  }
  float operator[](std::size_t i) const {
    const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(i) * stride;
    return f32 ? f32[at] : static_cast<float>(i16[at]) * (1.0f / 32768.0f);
  }
  // The view from element `offset` on.
  SampleView from(std::size_t offset) const {
    const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(offset) * stride;
    return {f32 ? f32 + at : nullptr, i16 ? i16 + at : nullptr, offset < size ? size - offset : 0, stride};
  }
  // Throws InvalidAudio naming the first index holding NaN or +-Inf (int16 input cannot hold either).
  void check_finite() const;
};

// Number of full windows in n samples: 1 + (n - window) / step, or 0 when n < window.
std::size_t full_window_count(std::size_t n_samples, const FeatureOptions& options);

class MfccComputer {
 public:
  explicit MfccComputer(const FeatureOptions& options = {});
  ~MfccComputer();
  MfccComputer(MfccComputer&&) noexcept;
  MfccComputer& operator=(MfccComputer&&) noexcept;

  const FeatureOptions& options() const;
  std::size_t window_samples() const;
  std::size_t coefficients() const;

  // Per-thread scratch (FFT buffers); allocate once, reuse for every frame.
  struct Scratch {
    std::vector<double> fft;
    std::vector<double> mel;
  };
  Scratch make_scratch() const;

  // One MFCC frame of `window_samples()` samples starting at samples[first] (samples past the end of the
  // view count as zeros: that is the native client's flush window) into out[coefficients()].
  void compute(const SampleView& samples, std::size_t first, float* out, Scratch& scratch) const;

 private:
  struct Tables;
  std::unique_ptr<const Tables> tables_;
};

// One-shot MFCC of a whole signal: full windows only (no flush frame), like TF's AudioSpectrogram over the
// signal. `out` must hold full_window_count(samples.size) * dct_coefficients floats. Samples are checked
// for NaN/Inf first.
void mfcc(const MfccComputer& computer, const SampleView& samples, float* out);

// Streaming front end: accepts chunks of any size and produces exactly the frames of the one-shot call;
// finish() adds the native client's final frame (the leftover 0..window-1 samples zero-padded).
class FeatureStream {
 public:
  explicit FeatureStream(std::shared_ptr<const MfccComputer> computer);

  // Appends every frame completed by `chunk` to `frames` (row-major, coefficients() floats per frame) and
  // returns how many were added. Chunk samples are checked for NaN/Inf before anything is buffered.
  std::size_t accept(const SampleView& chunk, std::vector<float>& frames);
  // Appends the final frame (always exactly one) and resets the stream to empty.
  std::size_t finish(std::vector<float>& frames);
  // Appends one frame computed from the buffered samples (zero-padded to a window) WITHOUT consuming them
  // (Coqui's intermediate flush); returns 1.
  std::size_t peek(std::vector<float>& frames);
  // Forgets buffered samples.
  void reset();

  std::size_t buffered_samples() const { return buffer_.size(); }
  std::size_t coefficients() const { return computer_->coefficients(); }
  const MfccComputer& computer() const { return *computer_; }

 private:
  std::shared_ptr<const MfccComputer> computer_;
  MfccComputer::Scratch scratch_;
  std::vector<float> buffer_;  // samples not yet consumed; always < window + chunk
};

}  // namespace pyds
