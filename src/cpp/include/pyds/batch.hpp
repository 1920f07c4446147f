// pyds::BatchEngine — the throughput path: many utterances decoded in lockstep as the rows of one batched
// inference, with results identical to one-at-a-time Stream runs (same features, windows, chunks, flush and
// zero-filled last chunk, same per-row arithmetic).
//
// Basic usage:
//   auto model = pyds::Model::load("/path/to/bundle");        // the bundle must have a dynamic batch ("batch":
//   pyds::BatchEngine engine(model, {});                      //  "dynamic" in pyds.json)
//   auto results = engine.run(views, 1);                      // one vector<Transcript> per input, in order
//
// How it works: the Model's own compiled model (no second copy of the weights, no re-read of pyds.json), run
// with up to `batch_size` rows per request. Each row holds one utterance at a time; its LSTM state lives in that
// row of two [B, n_cell] state buffers that the engine's two infer requests read and write crosswise (request 0
// reads buffer 0 and writes buffer 1, request 1 the reverse), so no state is copied per step; a row that takes a
// new utterance has its state row zeroed. Utterances are assigned longest first and a row is refilled as soon as
// its utterance ends. In the tail, when rows fall idle, the busy rows are moved down (state row included) and the
// request runs on exactly the busy rows: the batch is dynamic, and rows are computed independently, so every row
// gets bit for bit the arithmetic it gets at batch 1 (see runtime/acoustic_model.hpp).
// Each request has its own window and logits buffers, so decoder threads run the beam search of step k (one
// CtcBeamSearch per row, each row always on the same thread, in order) while step k+1 infers.
//
// Thread safety: run() may be called from several threads; calls on one engine are serialized. Engines of one
// Model are independent.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "pyds/decoder.hpp"
#include "pyds/features.hpp"

namespace pyds {

class Model;
namespace runtime {
class BatchPipeline;
class DecoderPool;
}  // namespace runtime

struct BatchOptions {
  std::size_t batch_size = 16;      // rows per batched inference
  std::size_t decoder_threads = 0;  // beam-search threads (0 = one per hardware thread)
};

// Where the time of one run() went (the profile of the throughput path): the inference thread's seconds in
// inference requests, in feature extraction (MFCC + windows of newly assigned utterances) and waiting for the
// decoder threads; the run's wall time; requests made and rows inferred (rows / requests = the mean batch).
struct BatchStats {
  double inference_s = 0, features_s = 0, waiting_s = 0, total_s = 0;
  std::size_t requests = 0, rows = 0;
};

class BatchEngine {
 public:
  // Runs on the Model's compiled model. InvalidModel when the bundle has a fixed batch of 1 (reconvert it with
  // pyds-convert) and batch_size > 1, InvalidArgument for a zero batch size.
  BatchEngine(std::shared_ptr<const Model> model, const BatchOptions& options = {});
  ~BatchEngine();
  BatchEngine(const BatchEngine&) = delete;
  BatchEngine& operator=(const BatchEngine&) = delete;

  // Transcribes every utterance with the decoder settings the Model has now; returns, per input in input
  // order, its best `num_results` transcripts. Inputs are checked before anything runs: InvalidAudio names
  // the index of the first input holding NaN/Inf.
  std::vector<std::vector<Transcript>> run(const std::vector<SampleView>& audios, std::size_t num_results = 1);

  // The profile of the last completed run().
  BatchStats last_run_stats();

  std::size_t batch_size() const { return options_.batch_size; }
  std::size_t decoder_threads() const { return options_.decoder_threads; }
  const Model& model() const { return *model_; }

 private:
  std::shared_ptr<const Model> model_;
  BatchOptions options_;
  std::unique_ptr<runtime::DecoderPool> pool_;
  std::unique_ptr<runtime::BatchPipeline> pipeline_;
  std::mutex run_mutex_;
};

}  // namespace pyds
