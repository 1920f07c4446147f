// Power spectrum of a real frame via one half-length complex FFT (radix-2, iterative), in double as
// TensorFlow's spectrogram kernel computes it. Private to the front end.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace pyds::features {

class RealFft {
 public:
  explicit RealFft(std::size_t n);  // n: a power of two >= 4
  std::size_t size() const { return n_; }
  // in: n real samples (overwritten as scratch). power: n/2 + 1 bins of re^2 + im^2.
  void power_spectrum(std::vector<double>& in, double* power) const;

 private:
  std::size_t n_;
  std::vector<std::size_t> bit_reverse_;         // for the n/2-point complex FFT
  std::vector<std::complex<double>> twiddle_;    // exp(-2 pi i k / (n/2)), k < n/4
  std::vector<std::complex<double>> split_;      // exp(-2 pi i k / n), k <= n/2: real-FFT untangling
};

}  // namespace pyds::features
