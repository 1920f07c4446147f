// pyds::Stream — one utterance through the native client's pipeline: audio → MFCC frames (FeatureStream) →
// 19-frame context windows (Windower) → chunks of n_steps timesteps → the acoustic model (AcousticSession, with
// zero-copy LSTM state) → CTC beam search (CtcBeamSearch), exactly as DeepSpeech/Coqui's StreamingState does:
// int16 scaled by 1/32768, 512-sample windows every 320, 9 zero context frames first; at finish the flush
// window of leftover samples, 9 trailing zero frames, and the last chunk zero-filled with only its valid
// timesteps decoded.
//
// Thread safety: one thread at a time per Stream (streams of one Model run in parallel freely).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "pyds/decoder.hpp"
#include "pyds/features.hpp"
#include "pyds/windower.hpp"

namespace pyds {

class Model;
namespace runtime {
class AcousticSession;
}

class Stream {
 public:
  explicit Stream(std::shared_ptr<const Model> model);
  ~Stream();

  // Feeds mono samples at the model's rate (int16 or float32, checked for NaN/Inf first). Runs the acoustic
  // model and the decoder for every completed chunk. InvalidArgument after finish().
  void feed_audio(const SampleView& samples);
  // The best transcripts of what the decoder has seen so far (buffered audio not yet in a chunk is not
  // included, as in DeepSpeech's intermediateDecode). Does not change the stream.
  std::vector<Transcript> intermediate_decode(std::size_t num_results) const;
  // Coqui STT >= 1.2's intermediate decode with flushed buffers (its flushBuffers(false)): one MFCC frame is
  // computed from the buffered partial window (those samples stay buffered) and the pending windows run as a
  // zero-padded partial chunk, so the result covers all audio fed so far except the trailing context. As in
  // Coqui, that extra frame stays in the stream and the LSTM state advances over the padded chunk: calling
  // this often costs accuracy. InvalidArgument after finish().
  std::vector<Transcript> intermediate_decode_flush_buffers(std::size_t num_results);
  // Flushes the buffered audio (final window, trailing context, partial chunk) and returns the final
  // transcripts. The stream is finished afterwards: feed/finish again raise until reset().
  std::vector<Transcript> finish(std::size_t num_results);
  // Starts a new utterance (zero state, empty buffers), keeping the decoder settings of creation.
  void reset();
  bool finished() const { return finished_; }

  // When set, every timestep's class probabilities are kept and returned by probabilities() (for parity
  // tests and tools; off by default).
  void record_probabilities(bool on) { record_ = on; }
  const std::vector<float>& probabilities() const { return recorded_; }
  std::size_t timesteps() const { return timesteps_; }

 private:
  void on_frames(const float* frames, std::size_t n_frames);
  void on_window(const float* window);
  void run_chunk(std::size_t valid_steps);

  std::shared_ptr<const Model> model_;
  FeatureStream features_;
  Windower windower_;
  std::unique_ptr<runtime::AcousticSession> session_;
  CtcBeamSearch decoder_;
  std::vector<float> frames_;  // reused per feed
  std::size_t pending_steps_ = 0;
  std::size_t timesteps_ = 0;
  bool finished_ = false;
  bool record_ = false;
  std::vector<float> recorded_;
};

}  // namespace pyds
