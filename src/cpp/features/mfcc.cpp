// TensorFlow-exact MFCC: see include/pyds/features.hpp for the maths and ../shared/reference for sources.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "features/real_fft.hpp"
#include "pyds/errors.hpp"
#include "pyds/features.hpp"

namespace pyds {

namespace {
double hz_to_mel(double hz) { return 1127.0 * std::log1p(hz / 700.0); }

std::size_t next_power_of_two(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

void validate(const FeatureOptions& o) {
  auto bad = [](const std::string& what) { throw_error(ErrorKind::InvalidArgument, "feature options: " + what); };
  if (o.sample_rate <= 0) bad("sample_rate must be positive");
  if (o.window_samples() < 4) bad("window_length_ms gives fewer than 4 samples per window");
  if (o.step_samples() < 1) bad("window_step_ms gives no samples per step");
  if (o.filterbank_channels < 1) bad("filterbank_channels must be positive");
  if (o.dct_coefficients < 1 || o.dct_coefficients > o.filterbank_channels)
    bad("dct_coefficients must be between 1 and filterbank_channels");
  if (!(o.lower_frequency_hz >= 0) || !(o.upper_frequency_hz > o.lower_frequency_hz))
    bad("frequency limits must satisfy 0 <= lower < upper");
  if (o.upper_frequency_hz > o.sample_rate / 2.0) bad("upper_frequency_hz is above the Nyquist frequency");
}
}  // namespace

void SampleView::check_finite() const {
  if (!f32) return;
  for (std::size_t i = 0; i < size; ++i) {
    if (!std::isfinite(f32[static_cast<std::ptrdiff_t>(i) * stride]))
      throw_error(ErrorKind::InvalidAudio, "audio sample " + std::to_string(i) + " is NaN or infinite");
  }
}

std::size_t full_window_count(std::size_t n_samples, const FeatureOptions& options) {
  const auto window = static_cast<std::size_t>(options.window_samples());
  const auto step = static_cast<std::size_t>(options.step_samples());
  return n_samples < window ? 0 : 1 + (n_samples - window) / step;
}

struct MfccComputer::Tables {
  FeatureOptions options;
  std::size_t window = 0;
  std::size_t bins = 0;  // fft/2 + 1
  features::RealFft fft;
  std::vector<double> hann;  // periodic Hann: 0.5 - 0.5 cos(2 pi i / N)
  // Mel filterbank, TF's MfccMelFilterbank: bins [start, end] each feed channel band[i] with weight w[i] and
  // channel band[i] + 1 with 1 - w[i] (of sqrt(power)); channels outside [0, C) are skipped.
  std::size_t start_bin = 0, end_bin = 0;
  std::vector<int> band;
  std::vector<double> weight;
  std::vector<double> dct;  // [coefficients][channels]: sqrt(2/C) cos(pi k (j + 0.5) / C)

  explicit Tables(const FeatureOptions& o)
      : options(o), window(o.window_samples()), bins(next_power_of_two(window) / 2 + 1),
        fft(next_power_of_two(window)) {
    const double pi = std::acos(-1.0);
    hann.resize(window);
    for (std::size_t i = 0; i < window; ++i) hann[i] = 0.5 - 0.5 * std::cos(2.0 * pi * i / window);

    const int channels = o.filterbank_channels;
    const double mel_low = hz_to_mel(o.lower_frequency_hz);
    const double mel_high = hz_to_mel(o.upper_frequency_hz);
    const double spacing = (mel_high - mel_low) / (channels + 1);
    std::vector<double> centre(channels + 1);
    for (int i = 0; i <= channels; ++i) centre[i] = mel_low + spacing * (i + 1);

    // TF divides by (bins - 1), so at 16 kHz a bin is 31.25 Hz.
    const double hz_per_bin = 0.5 * o.sample_rate / static_cast<double>(bins - 1);
    start_bin = static_cast<std::size_t>(1.5 + o.lower_frequency_hz / hz_per_bin);
    end_bin = static_cast<std::size_t>(o.upper_frequency_hz / hz_per_bin);
    if (end_bin >= bins) throw_error(ErrorKind::InvalidArgument, "feature options: upper frequency past the last bin");
    band.assign(bins, -2);
    weight.assign(bins, 0.0);
    int channel = 0;
    for (std::size_t i = start_bin; i <= end_bin; ++i) {
      const double mel = hz_to_mel(i * hz_per_bin);
      while (channel < channels && centre[channel] < mel) ++channel;
      band[i] = channel - 1;
      weight[i] = band[i] >= 0 ? (centre[band[i] + 1] - mel) / (centre[band[i] + 1] - centre[band[i]])
                               : (centre[0] - mel) / (centre[0] - mel_low);
    }

    const int k_count = o.dct_coefficients;
    dct.resize(static_cast<std::size_t>(k_count) * channels);
    const double scale = std::sqrt(2.0 / channels);
    for (int k = 0; k < k_count; ++k)
      for (int j = 0; j < channels; ++j) dct[k * channels + j] = scale * std::cos(pi * k * (j + 0.5) / channels);
  }
};

MfccComputer::MfccComputer(const FeatureOptions& options) {
  validate(options);
  tables_ = std::make_unique<const Tables>(options);
}
MfccComputer::~MfccComputer() = default;
MfccComputer::MfccComputer(MfccComputer&&) noexcept = default;
MfccComputer& MfccComputer::operator=(MfccComputer&&) noexcept = default;

const FeatureOptions& MfccComputer::options() const { return tables_->options; }
std::size_t MfccComputer::window_samples() const { return tables_->window; }
std::size_t MfccComputer::coefficients() const { return static_cast<std::size_t>(tables_->options.dct_coefficients); }

MfccComputer::Scratch MfccComputer::make_scratch() const {
  Scratch s;
  s.fft.resize(tables_->fft.size() + 2 * tables_->bins);  // fft input, then the power spectrum behind it
  s.mel.resize(static_cast<std::size_t>(tables_->options.filterbank_channels));
  return s;
}

void MfccComputer::compute(const SampleView& samples, std::size_t first, float* out, Scratch& scratch) const {
  const Tables& t = *tables_;
  const std::size_t n_fft = t.fft.size();
  if (scratch.fft.size() < n_fft + 2 * t.bins ||
      scratch.mel.size() < static_cast<std::size_t>(t.options.filterbank_channels))
    scratch = make_scratch();
  std::vector<double>& frame = scratch.fft;
  const std::size_t available = first < samples.size ? std::min(t.window, samples.size - first) : 0;
  for (std::size_t i = 0; i < available; ++i) frame[i] = static_cast<double>(samples[first + i]) * t.hann[i];
  std::fill(frame.begin() + static_cast<std::ptrdiff_t>(available), frame.begin() + static_cast<std::ptrdiff_t>(n_fft),
            0.0);

  double* power = frame.data() + n_fft;
  t.fft.power_spectrum(frame, power);

  const int channels = t.options.filterbank_channels;
  std::fill(scratch.mel.begin(), scratch.mel.end(), 0.0);
  for (std::size_t i = t.start_bin; i <= t.end_bin; ++i) {
    // TF's spectrogram hands the filterbank float32 powers; keep that rounding.
    const double magnitude = std::sqrt(static_cast<double>(static_cast<float>(power[i])));
    const double weighted = magnitude * t.weight[i];
    const int ch = t.band[i];
    if (ch >= 0) scratch.mel[ch] += weighted;
    if (ch + 1 < channels) scratch.mel[ch + 1] += magnitude - weighted;
  }
  for (int j = 0; j < channels; ++j) scratch.mel[j] = std::log(std::max(scratch.mel[j], 1e-12));

  const int k_count = t.options.dct_coefficients;
  for (int k = 0; k < k_count; ++k) {
    const double* row = &t.dct[static_cast<std::size_t>(k) * channels];
    double acc = 0.0;
    for (int j = 0; j < channels; ++j) acc += row[j] * scratch.mel[j];
    out[k] = static_cast<float>(acc);
  }
}

void mfcc(const MfccComputer& computer, const SampleView& samples, float* out) {
  samples.check_finite();
  const FeatureOptions& o = computer.options();
  const std::size_t frames = full_window_count(samples.size, o);
  const std::size_t step = static_cast<std::size_t>(o.step_samples());
  const std::size_t k = computer.coefficients();
  auto scratch = computer.make_scratch();
  for (std::size_t f = 0; f < frames; ++f) computer.compute(samples, f * step, out + f * k, scratch);
}

}  // namespace pyds
