// The batch engine's BatchPipeline (one run of BatchEngine: row assignment, window filling, the two crosswise
// infer requests on the Model's compiled model and the hand-off of probabilities to the DecoderPool).
#pragma once

#include <openvino/openvino.hpp>

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <vector>

#include "pyds/batch.hpp"
#include "pyds/decoder.hpp"
#include "pyds/features.hpp"
#include "runtime/decoder_pool.hpp"

namespace pyds {
class Model;
}

namespace pyds::runtime {

class AcousticModel;

class BatchPipeline {
 public:
  BatchPipeline(const Model& model, std::size_t batch_size, DecoderPool& pool);

  // Runs every utterance; results[i] are input i's best `num_results` transcripts.
  std::vector<std::vector<Transcript>> run(const std::vector<SampleView>& audios, std::size_t num_results);
  const BatchStats& stats() const { return stats_; }

 private:
  struct Row;
  struct Request {
    ov::InferRequest infer;      // bound each step to the busy rows of its buffers
    ov::Tensor windows, logits;  // [B, n_steps, window] and [B, n_steps, classes], this request's own
    std::size_t pending = 0;     // decode tasks still reading `logits` (guarded by done_mutex_)
  };

  void assign(Row& row, std::size_t row_index, std::size_t input, int request);
  void task_done(int q, std::exception_ptr error);
  void wait_decoded(int q);

  const Model& model_;
  const AcousticModel& acoustic_;
  DecoderPool& pool_;
  std::size_t batch_, steps_, window_floats_, n_input_, n_context_, classes_, cell_;
  ov::Tensor state_c_[2], state_h_[2];  // [B, n_cell]; request q reads pair q and writes pair 1 - q
  Request requests_[2];
  const std::vector<SampleView>* audios_ = nullptr;

  std::mutex done_mutex_;
  std::condition_variable done_;
  std::exception_ptr error_;
  BatchStats stats_;
};

}  // namespace pyds::runtime
