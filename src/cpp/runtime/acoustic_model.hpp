// The acoustic model on OpenVINO: ONE compiled IR per Model, shared by every user of that Model (streams, the
// batch engine, the live-stream scheduler): one ov::Core, one compiled model, one copy of the weights
// (CompiledModel is thread-safe; each user has its own InferRequest).
//
// A batch-dynamic IR is compiled as it is, and every request sets its batch through its tensors: rows are
// quantized and computed on their own, so row r of a batch of B gives bit for bit what the same row gives at
// batch 1 (measured on the Armenian hybrid_int8 graph for every B from 1 to 64: logits and both states equal).
//
// AcousticSession: one batch-1 stream's request, owning the window rows, the logits and two pairs of LSTM state
// tensors bound to the state inputs and outputs and swapped after every call, so OpenVINO writes the new state
// straight where the next call reads it: no copy.
#pragma once

#include <openvino/openvino.hpp>

#include <map>
#include <string>

#include "runtime/bundle.hpp"

namespace pyds {
struct ModelOptions;
}

namespace pyds::runtime {

struct CompileSettings {
  std::string device = "CPU";
  std::string cache_dir;   // "" = no compiled-model cache
  int threads = 0;         // 0 = OpenVINO's default
  bool fidelity = true;    // numerics: true = the bundle's exact IR + ov_config, false = its fast IR (numerics.hpp)

  static CompileSettings from(const ModelOptions& options);  // the one mapping of ModelOptions to compile settings
};

// Class probabilities from the model's output, in place: softmax per timestep row when the IR outputs raw logits
// (logits_are_probabilities false), nothing otherwise. The one softmax every path uses.
void to_probabilities(float* rows, std::size_t n_rows, std::size_t classes, bool logits_are_probabilities);

class AcousticModel {
 public:
  // Reads the IR, checks it against the bundle (names, shapes, class count) and compiles it once.
  AcousticModel(const BundleInfo& bundle, std::size_t n_classes, const CompileSettings& settings);

  std::size_t n_steps() const { return n_steps_; }
  std::size_t window_floats() const { return window_floats_; }
  std::size_t n_cell() const { return n_cell_; }
  std::size_t n_classes() const { return n_classes_; }
  bool logits_are_probabilities() const { return probabilities_; }
  const std::string& device() const { return device_; }
  std::string property(const std::string& name) const;  // a compiled-model property, as text
  // True when requests may hold more than one row: the bundle says "batch": "dynamic" and the logits are
  // batch-major [B, n_steps, classes].
  bool batchable() const { return batchable_; }
  // Throws InvalidModel (naming pyds.json / the IR and the fix) unless batchable().
  void require_batchable() const;

  // Tensor shapes for `rows` rows.
  ov::Shape features_shape(std::size_t rows) const;
  ov::Shape state_shape(std::size_t rows) const { return ov::Shape{rows, n_cell_}; }
  ov::Shape logits_shape(std::size_t rows) const;

  ov::InferRequest create_request() const { return const_cast<ov::CompiledModel&>(compiled_).create_infer_request(); }
  // Binds the six tensors of one call (`rows` rows each) to `request`.
  void bind(ov::InferRequest& request, const ov::Tensor& features, const ov::Tensor& state_c_in,
            const ov::Tensor& state_h_in, const ov::Tensor& logits, const ov::Tensor& state_c_out,
            const ov::Tensor& state_h_out) const;
  // request.infer(), its failure as a Runtime error.
  static void infer(ov::InferRequest& request);
  // The raw inference ceiling: mean seconds of one request of `rows` rows (after one warm-up request), over
  // `requests` requests on fixed pseudo-random windows and states. No features, no decoder.
  double time_requests(std::size_t rows, std::size_t requests) const;

 private:
  ov::Core core_;
  ov::CompiledModel compiled_;
  ov::Output<const ov::Node> features_, state_c_in_, state_h_in_, logits_, state_c_out_, state_h_out_;
  std::size_t n_steps_ = 0, window_frames_ = 0, n_input_ = 0, window_floats_ = 0, n_cell_ = 0, n_classes_ = 0;
  bool probabilities_ = true, batchable_ = false, time_major_ = false, no_batch_axis_ = false;
  std::string device_, why_not_batchable_;
};

// Row `row` of a [B, ...] tensor, as a tensor of `shape` over the same memory (zero-copy).
ov::Tensor row_view(const ov::Tensor& full, std::size_t row, const ov::Shape& shape);
// The first `rows` rows of a [B, ...] tensor, as a [rows, ...] tensor over the same memory (zero-copy).
ov::Tensor rows_view(const ov::Tensor& full, std::size_t rows);

class AcousticSession {
 public:
  explicit AcousticSession(const AcousticModel& model);

  // The [n_steps][window_floats] input rows, filled by the caller before run().
  float* window_rows() { return features_.data<float>(); }
  // Runs one chunk; returns the [n_steps][n_classes] class probabilities. Rows past the caller's valid count
  // are the zero-padding's outputs.
  const float* run();
  // Zero LSTM state, for a new utterance.
  void reset_state();

 private:
  const AcousticModel& model_;
  ov::InferRequest request_;
  ov::Tensor features_, logits_;
  ov::Tensor state_c_[2], state_h_[2];
  int current_ = 0;  // which pair holds the state the next call reads
};

}  // namespace pyds::runtime
