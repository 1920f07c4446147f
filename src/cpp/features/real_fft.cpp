#include "features/real_fft.hpp"

#include <cmath>

#include "pyds/errors.hpp"

namespace pyds::features {

RealFft::RealFft(std::size_t n) : n_(n) {
  if (n < 4 || (n & (n - 1)) != 0)
    throw_error(ErrorKind::InvalidArgument, "FFT length " + std::to_string(n) + " is not a power of two >= 4");
  const std::size_t half = n / 2;
  std::size_t bits = 0;
  while ((std::size_t{1} << bits) < half) ++bits;
  bit_reverse_.resize(half);
  for (std::size_t i = 0; i < half; ++i) {
    std::size_t r = 0;
    for (std::size_t b = 0; b < bits; ++b)
      if (i & (std::size_t{1} << b)) r |= std::size_t{1} << (bits - 1 - b);
    bit_reverse_[i] = r;
  }
  const double pi = std::acos(-1.0);
  twiddle_.resize(half / 2 + 1);
  for (std::size_t k = 0; k < twiddle_.size(); ++k) twiddle_[k] = std::polar(1.0, -2.0 * pi * k / half);
  split_.resize(half + 1);
  for (std::size_t k = 0; k <= half; ++k) split_[k] = std::polar(1.0, -2.0 * pi * k / n);
}

void RealFft::power_spectrum(std::vector<double>& in, double* power) const {
  using cd = std::complex<double>;
  // Products are written out in reals: std::complex's operator* goes through __muldc3 (NaN/Inf recovery),
  // which costs more than the butterfly itself.
  auto mul = [](const cd& a, const cd& b) {
    return cd(a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real());
  };
  const std::size_t half = n_ / 2;
  // View the n reals as n/2 complex values z[k] = x[2k] + i x[2k+1], permuted into bit-reversed order.
  auto* z = reinterpret_cast<cd*>(in.data());
  for (std::size_t i = 0; i < half; ++i)
    if (i < bit_reverse_[i]) std::swap(z[i], z[bit_reverse_[i]]);
  for (std::size_t len = 2; len <= half; len <<= 1) {
    const std::size_t step = half / len;
    for (std::size_t start = 0; start < half; start += len) {
      for (std::size_t j = 0; j < len / 2; ++j) {
        const cd t = mul(z[start + j + len / 2], twiddle_[j * step]);
        const cd u = z[start + j];
        z[start + j] = u + t;
        z[start + j + len / 2] = u - t;
      }
    }
  }
  // Untangle the spectra of the even and odd samples: X[k] = E[k] + W^k O[k].
  for (std::size_t k = 0; k <= half; ++k) {
    const cd zk = z[k % half];
    const cd zc = std::conj(z[(half - k) % half]);
    const cd even = 0.5 * (zk + zc);
    const cd diff = zk - zc;
    const cd odd(0.5 * diff.imag(), -0.5 * diff.real());  // -i/2 * diff
    const cd x = even + mul(split_[k], odd);
    power[k] = x.real() * x.real() + x.imag() * x.imag();
  }
}

}  // namespace pyds::features
