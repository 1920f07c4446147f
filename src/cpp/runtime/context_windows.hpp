// The native client's context windows and chunks, written once for every path (Stream, the live-stream
// scheduler's streams, the batch engine's rows).
//
// Windowing: MFCC frames are kept behind n_context all-zero frames, so the window of timestep t (the frames of
// timesteps t-n_context .. t+n_context, oldest first, row-major [2*n_context+1][n_input]) is simply the
// 2*n_context+1 frames starting at frame t: contiguous, no copy to form it. close() appends the n_context
// trailing zero frames of the native client's finish so the last real frames get their windows too.
// Chunking: take_chunk() copies the next n_steps windows into a [n_steps][window] buffer; a partial last chunk
// has its unused rows zero-filled, as Coqui >= 1.2 does.
//
// One utterance's state: use from one thread at a time.
#pragma once

#include <cstddef>
#include <vector>

namespace pyds::runtime {

class ContextWindows {
 public:
  ContextWindows(std::size_t n_context, std::size_t n_input, std::size_t n_steps);

  std::size_t n_input() const { return n_input_; }
  std::size_t window_floats() const { return (2 * n_context_ + 1) * n_input_; }
  std::size_t chunk_floats() const { return n_steps_ * window_floats(); }
  std::size_t n_steps() const { return n_steps_; }

  // Appends `n_frames` frames (row-major [n_frames][n_input]).
  void append(const float* frames, std::size_t n_frames);
  // Appends the n_context trailing zero frames (the end of the utterance).
  void close();
  // Reserves room for an utterance of `n_frames` frames (no reallocation while appending them).
  void reserve(std::size_t n_frames);
  // Windows formed and not yet taken.
  std::size_t available() const;
  // True when a whole chunk (n_steps windows) is available.
  bool chunk_ready() const { return available() >= n_steps_; }
  // Copies the next min(available(), n_steps) windows to dst ([n_steps][window_floats]), zero-fills the rows
  // after them and returns how many are valid (0 when none is available: dst untouched).
  std::size_t take_chunk(float* dst);
  // Back to n_context leading zero frames and nothing taken.
  void reset();

 private:
  std::size_t n_context_, n_input_, n_steps_;
  std::vector<float> frames_;  // frames from the first one a future window needs
  std::size_t next_ = 0;       // index (in frames_) of the first frame of the next window
};

}  // namespace pyds::runtime
