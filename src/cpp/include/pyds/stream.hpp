// pyds::Stream — one utterance through the native client's pipeline: audio → MFCC frames (FeatureStream) →
// 19-frame context windows → chunks of n_steps timesteps → the acoustic model → CTC beam search
// (CtcBeamSearch), exactly as DeepSpeech/Coqui's StreamingState does: int16 scaled by 1/32768, 512-sample
// windows every 320, 9 zero context frames first; at finish the flush window of leftover samples, 9 trailing
// zero frames, and the last chunk zero-filled with only its valid timesteps decoded.
//
// Two ways to run the acoustic model, with identical results:
// - batched (the default, ModelOptions::batch_streams): each completed chunk is queued for the Model's live
//   scheduler, which runs the ready chunks of all the Model's streams as the rows of one request, and the
//   stream's beam search runs on a decoder thread. feed_audio returns once its chunks are queued (it waits
//   only when a stream already has 8 chunks in flight); intermediate_decode, finish, timesteps() and
//   probabilities() first wait until all audio fed so far is inferred and decoded.
// - alone (batch_streams false, or a bundle with a fixed batch of 1): the stream has its own batch-1 request
//   and feed_audio runs the model and the decoder on the caller's thread.
//
// Thread safety: one thread at a time per Stream (streams of one Model run in parallel freely). A Stream keeps
// its Model alive.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "pyds/decoder.hpp"
#include "pyds/features.hpp"

namespace pyds {

class Model;
namespace runtime {
class AcousticSession;
class ContextWindows;
class LiveSlot;
}  // namespace runtime

class Stream {
 public:
  explicit Stream(std::shared_ptr<const Model> model);
  ~Stream();  // does not wait for inference: queued chunks are dropped

  // Feeds mono samples at the model's rate (int16 or float32, checked for NaN/Inf first). Every completed
  // chunk goes to the acoustic model and the decoder (queued, when batched). InvalidArgument after finish().
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
  // True when this stream's chunks run as rows of the Model's live scheduler.
  bool batched() const { return slot_ != nullptr; }

  // When set, every timestep's class probabilities are kept and returned by probabilities() (for parity
  // tests and tools; off by default).
  void record_probabilities(bool on) { record_ = on; }
  const std::vector<float>& probabilities() const;
  // Timesteps decoded so far.
  std::size_t timesteps() const;

 private:
  void push_frames(std::size_t n_frames);
  void run_chunks(bool partial);
  void decode(const float* probs, std::size_t valid);
  void drain() const;

  std::shared_ptr<const Model> model_;
  FeatureStream features_;
  std::unique_ptr<runtime::ContextWindows> windows_;
  std::unique_ptr<runtime::AcousticSession> session_;  // alone: this stream's own request
  CtcBeamSearch decoder_;
  std::vector<float> frames_;  // reused per feed
  std::size_t timesteps_ = 0;
  bool finished_ = false;
  bool record_ = false;
  std::vector<float> recorded_;
  std::shared_ptr<runtime::LiveSlot> slot_;  // batched: this stream's row (closed by ~Stream)
};

}  // namespace pyds
