#include "pyds/windower.hpp"

#include <algorithm>

#include "pyds/errors.hpp"

namespace pyds {

Windower::Windower(std::size_t n_context, std::size_t n_input) : n_context_(n_context), n_input_(n_input) {
  if (n_input == 0) throw_error(ErrorKind::InvalidArgument, "Windower needs n_input > 0");
  buffer_.assign(window_floats(), 0.0f);
  reset();
}

void Windower::reset() {
  std::fill(buffer_.begin(), buffer_.end(), 0.0f);
  filled_ = n_context_;  // the leading zero frames
}

void Windower::append(const float* frame) {
  std::copy(frame, frame + n_input_, buffer_.begin() + static_cast<std::ptrdiff_t>(filled_ * n_input_));
  ++filled_;
}

void Windower::drop_oldest() {
  // 18 frames x 26 floats move per timestep: cheaper than a ring whose windows would not be contiguous.
  std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(n_input_), buffer_.end(), buffer_.begin());
  --filled_;
}

}  // namespace pyds
