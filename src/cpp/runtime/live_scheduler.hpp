// LiveScheduler: batched inference for the live streams of one Model (as sherpa-onnx does for its online
// streams). Every stream that is fed from any thread gets a Slot: its own LSTM state (its row) and a queue of
// ready n_steps chunks. One scheduler thread collects the front chunk of every slot that has one (up to
// max_rows, oldest-ready first), runs them as the rows of ONE request on the Model's compiled model (rows are
// computed independently: each stream's results are bit for bit those of running it alone), writes each row's
// new state back to its slot and hands its probabilities to the decoder pool, on the stream's own lane so that
// its chunks are decoded in order. While one round infers, the next round's chunks accumulate: under load the
// rounds grow by themselves (one batched request per round instead of one batch-1 request per stream).
//
// Feeding is cheap: Slot::submit copies the windows into a chunk buffer and queues it. A slot holds at most
// kMaxInFlight chunks queued or decoding; submit waits for room beyond that (bounded memory when a whole file
// is fed at once). Slot::wait() returns once every submitted chunk is inferred and decoded. A stream that goes
// away calls close(), which does not wait for its chunks: the queued ones are dropped, a round already running
// keeps the slot alive (shared_ptr) and skips its decode.
//
// Thread safety: the scheduler is shared by all streams of its Model; each Slot is used by one stream (one
// thread at a time); the decode callback runs on a decoder-pool thread, never concurrently with itself.
#pragma once

#include <openvino/openvino.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/decoder_pool.hpp"

namespace pyds::runtime {

class AcousticModel;
class ContextWindows;
class LiveScheduler;

class LiveSlot : public std::enable_shared_from_this<LiveSlot> {
 public:
  // Called on a decoder thread with each chunk's class probabilities [n_steps][classes] and its valid rows.
  using Decode = std::function<void(const float* probs, std::size_t valid)>;
  static constexpr std::size_t kMaxInFlight = 8;

  LiveSlot(const LiveSlot&) = delete;
  LiveSlot& operator=(const LiveSlot&) = delete;

  // Takes the next chunk of `windows` (zero-filled when partial) and queues it; returns its valid rows (0: no
  // window was available, nothing queued). Waits only when kMaxInFlight chunks are already in flight.
  std::size_t submit(ContextWindows& windows);
  // Waits until every submitted chunk is inferred and decoded; rethrows the first failure.
  void wait() const;
  // Zero LSTM state for a new utterance (waits first).
  void reset_state();
  // The stream is going away: drops the queued chunks and returns once no decode callback runs or will run
  // (waits at most for one chunk's decode, never for inference). The slot may not be used afterwards.
  void close();

 private:
  friend class LiveScheduler;
  struct Chunk {
    std::vector<float> windows, probs;
    std::size_t valid = 0;
  };
  LiveSlot(LiveScheduler& scheduler, Decode decode, std::size_t lane);

  LiveScheduler& scheduler_;
  Decode decode_;
  std::size_t lane_;
  // Guarded by the scheduler's mutex:
  std::deque<std::unique_ptr<Chunk>> queue_;  // waiting for inference, in order
  std::vector<std::unique_ptr<Chunk>> free_;  // buffers to reuse
  std::size_t in_flight_ = 0;                 // submitted, not yet decoded
  mutable std::exception_ptr error_;
  mutable std::condition_variable idle_;
  std::mutex decode_mutex_;  // held by a decode callback while it runs, and by close()
  bool closed_ = false;      // guarded by decode_mutex_
  // Touched only by the scheduler thread while chunks are in flight (and by reset_state when none is):
  std::vector<float> state_c_, state_h_;
};

class LiveScheduler {
 public:
  // max_rows: rows per batched request; decoder_threads: beam-search threads (0 = one per hardware thread).
  LiveScheduler(const AcousticModel& model, std::size_t max_rows, std::size_t decoder_threads);
  ~LiveScheduler();  // streams (slots) must be gone: the Model owns the scheduler and outlives its streams
  LiveScheduler(const LiveScheduler&) = delete;
  LiveScheduler& operator=(const LiveScheduler&) = delete;

  std::shared_ptr<LiveSlot> open(LiveSlot::Decode decode);
  std::size_t max_rows() const { return max_rows_; }
  // Rounds run and rows inferred so far (for tests and benchmarks).
  std::size_t rounds() const;
  std::size_t rows() const;

 private:
  friend class LiveSlot;
  void loop();
  using Round = std::vector<std::pair<std::shared_ptr<LiveSlot>, LiveSlot::Chunk*>>;
  void run_round(Round& round);
  void chunk_done(LiveSlot& slot, LiveSlot::Chunk* chunk, std::exception_ptr error);

  const AcousticModel& model_;
  std::size_t max_rows_, steps_, window_floats_, classes_, cell_;
  ov::InferRequest request_;
  ov::Tensor windows_, logits_, state_c_in_, state_h_in_, state_c_out_, state_h_out_;  // [max_rows, ...]

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<LiveSlot*> ready_;  // open slots with queued chunks, each once, oldest-ready first
  bool stopping_ = false;
  std::size_t next_lane_ = 0, rounds_ = 0, rows_ = 0;
  DecoderPool pool_;
  std::thread thread_;
};

}  // namespace pyds::runtime
