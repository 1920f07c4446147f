// The native client's context windows: a buffer that starts with n_context all-zero MFCC frames and, once it
// holds 2*n_context+1 frames, yields one window (the frames of timesteps t-n_context .. t+n_context, oldest first,
// row-major [2*n_context+1][n_input]) and drops its oldest frame. finish() pushes n_context zero frames so the
// last real frames get their windows too. One timestep per MFCC frame.
// One stream's state: use from one thread at a time.
#pragma once

#include <cstddef>
#include <vector>

namespace pyds {

class Windower {
 public:
  Windower(std::size_t n_context, std::size_t n_input);

  std::size_t window_frames() const { return 2 * n_context_ + 1; }
  std::size_t window_floats() const { return window_frames() * n_input_; }
  std::size_t n_input() const { return n_input_; }

  // Pushes `n_frames` frames (row-major [n_frames][n_input]) and calls sink(const float* window) once per
  // completed window, in order. The pointer is valid only during the call.
  template <typename Sink>
  void push(const float* frames, std::size_t n_frames, Sink&& sink) {
    for (std::size_t f = 0; f < n_frames; ++f) {
      append(frames + f * n_input_);
      if (filled_ == window_frames()) {
        sink(static_cast<const float*>(buffer_.data()));
        drop_oldest();
      }
    }
  }
  // The n_context trailing zero frames of the native client's finish.
  template <typename Sink>
  void finish(Sink&& sink) {
    const std::vector<float> zeros(n_input_, 0.0f);
    for (std::size_t i = 0; i < n_context_; ++i) push(zeros.data(), 1, sink);
  }
  // Back to n_context leading zero frames.
  void reset();

 private:
  void append(const float* frame);
  void drop_oldest();

  std::size_t n_context_;
  std::size_t n_input_;
  std::vector<float> buffer_;  // window_frames() frames; the first filled_ are live
  std::size_t filled_ = 0;
};

}  // namespace pyds
