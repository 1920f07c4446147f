// Streaming frame assembly: the native client's audio buffer without its per-chunk copies. Windows that lie
// wholly inside the incoming chunk are computed straight from the caller's memory; only windows that
// straddle the buffered tail and the chunk are read from a joined copy of at most two windows.
#include <algorithm>

#include "pyds/errors.hpp"
#include "pyds/features.hpp"

namespace pyds {

FeatureStream::FeatureStream(std::shared_ptr<const MfccComputer> computer) : computer_(std::move(computer)) {
  if (!computer_) throw_error(ErrorKind::InvalidArgument, "FeatureStream needs an MfccComputer");
  scratch_ = computer_->make_scratch();
  buffer_.reserve(computer_->window_samples() * 2);
}

std::size_t FeatureStream::accept(const SampleView& chunk, std::vector<float>& frames) {
  chunk.check_finite();
  const std::size_t window = computer_->window_samples();
  const auto step = static_cast<std::size_t>(computer_->options().step_samples());
  const std::size_t k = computer_->coefficients();
  // Positions count from the first buffered sample: the buffer is [0, buffered), the chunk [buffered, total).
  // The buffer always holds fewer samples than one window.
  const std::size_t buffered = buffer_.size();
  const std::size_t total = buffered + chunk.size;
  const std::size_t count = full_window_count(total, computer_->options());
  const std::size_t before = frames.size();
  frames.resize(before + count * k);
  float* out = frames.data() + before;

  std::size_t s = 0;
  if (buffered > 0 && count > 0) {
    const std::size_t joined_chunk = std::min(chunk.size, window);
    for (std::size_t i = 0; i < joined_chunk; ++i) buffer_.push_back(chunk[i]);
    const SampleView joined = SampleView::of(buffer_.data(), buffer_.size());
    for (; s < buffered && s / step < count; s += step) computer_->compute(joined, s, out + (s / step) * k, scratch_);
    buffer_.resize(buffered);
  }
  for (; s / step < count; s += step) computer_->compute(chunk.from(s - buffered), 0, out + (s / step) * k, scratch_);

  // Keep the samples from the next window start on.
  const std::size_t next = count * step;
  if (next <= buffered) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(next));
  } else {
    buffer_.clear();
  }
  for (std::size_t i = std::max(next, buffered); i < total; ++i) buffer_.push_back(chunk[i - buffered]);
  return count;
}

std::size_t FeatureStream::finish(std::vector<float>& frames) {
  const std::size_t before = frames.size();
  frames.resize(before + computer_->coefficients());
  computer_->compute(SampleView::of(buffer_.data(), buffer_.size()), 0, frames.data() + before, scratch_);
  reset();
  return 1;
}

std::size_t FeatureStream::peek(std::vector<float>& frames) {
  const std::size_t before = frames.size();
  frames.resize(before + computer_->coefficients());
  computer_->compute(SampleView::of(buffer_.data(), buffer_.size()), 0, frames.data() + before, scratch_);
  return 1;
}

void FeatureStream::reset() { buffer_.clear(); }

}  // namespace pyds
