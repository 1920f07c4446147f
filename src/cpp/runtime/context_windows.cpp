#include "runtime/context_windows.hpp"

#include <algorithm>
#include <cstring>

#include "pyds/errors.hpp"

namespace pyds::runtime {

ContextWindows::ContextWindows(std::size_t n_context, std::size_t n_input, std::size_t n_steps)
    : n_context_(n_context), n_input_(n_input), n_steps_(n_steps) {
  if (n_input == 0 || n_steps == 0)
    throw_error(ErrorKind::InvalidArgument, "context windows need n_input > 0 and n_steps > 0");
  reset();
}

void ContextWindows::reset() {
  frames_.assign(n_context_ * n_input_, 0.0f);
  next_ = 0;
}

void ContextWindows::reserve(std::size_t n_frames) {
  frames_.reserve(frames_.size() + (n_frames + n_context_) * n_input_);
}

void ContextWindows::append(const float* frames, std::size_t n_frames) {
  frames_.insert(frames_.end(), frames, frames + n_frames * n_input_);
}

void ContextWindows::close() { frames_.resize(frames_.size() + n_context_ * n_input_, 0.0f); }

std::size_t ContextWindows::available() const {
  const std::size_t have = frames_.size() / n_input_ - next_;
  const std::size_t span = 2 * n_context_ + 1;
  return have >= span ? have - span + 1 : 0;
}

std::size_t ContextWindows::take_chunk(float* dst) {
  const std::size_t valid = std::min(available(), n_steps_);
  if (valid == 0) return 0;
  const std::size_t width = window_floats();
  for (std::size_t t = 0; t < valid; ++t)
    std::memcpy(dst + t * width, frames_.data() + (next_ + t) * n_input_, width * sizeof(float));
  std::fill(dst + valid * width, dst + n_steps_ * width, 0.0f);
  next_ += valid;
  // Drop the frames no window needs any more once they outnumber the live ones (amortized O(1) per frame).
  if (next_ * 2 * n_input_ >= frames_.size() && next_ >= 4 * n_steps_) {
    frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(next_ * n_input_));
    next_ = 0;
  }
  return valid;
}

}  // namespace pyds::runtime
