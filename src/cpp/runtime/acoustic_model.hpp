// The acoustic model on OpenVINO: a compiled IR shared by every stream (CompiledModel is thread-safe) and,
// per stream, an AcousticSession that owns an InferRequest, the input window batch, the logits buffer and two
// pairs of LSTM state tensors. The pairs are bound to the state inputs and outputs with set_tensor and swapped
// after every call, so OpenVINO writes the new state straight where the next call reads it: no copy.
#pragma once

#include <openvino/openvino.hpp>

#include <map>
#include <string>

#include "runtime/bundle.hpp"

namespace pyds::runtime {

struct CompileSettings {
  std::string device = "CPU";
  std::string cache_dir;   // "" = no compiled-model cache
  int threads = 0;         // 0 = OpenVINO's default
  bool fidelity = true;    // numerics: true = the bundle's exact IR + ov_config, false = its fast IR (numerics.hpp)
};

class AcousticModel {
 public:
  // Reads the IR, checks it against the bundle (names, shapes, class count), fixes batch 1 and compiles.
  // max_batch > 1 compiles a batch dimension of 1..max_batch instead (for the batch engine): the bundle must
  // say "batch": "dynamic" and its logits must be batch-major [B, n_steps, classes].
  AcousticModel(const BundleInfo& bundle, std::size_t n_classes, const CompileSettings& settings,
                std::size_t max_batch = 1);

  std::size_t n_steps() const { return n_steps_; }
  std::size_t window_floats() const { return window_floats_; }
  std::size_t n_cell() const { return n_cell_; }
  std::size_t n_classes() const { return n_classes_; }
  std::size_t max_batch() const { return max_batch_; }
  bool logits_are_probabilities() const { return probabilities_; }
  const std::string& device() const { return device_; }
  std::string property(const std::string& name) const;  // a compiled-model property, as text

 private:
  friend class AcousticSession;
  friend class BatchPipeline;
  ov::Core core_;
  ov::CompiledModel compiled_;
  ov::Output<const ov::Node> features_, state_c_in_, state_h_in_, logits_, state_c_out_, state_h_out_;
  ov::Shape features_shape_, state_shape_, logits_shape_;
  std::size_t n_steps_ = 0, window_floats_ = 0, n_cell_ = 0, n_classes_ = 0, max_batch_ = 1;
  bool probabilities_ = true;
  std::string device_;
};

class AcousticSession {
 public:
  explicit AcousticSession(const AcousticModel& model);

  // The [n_steps][window_floats] input rows, filled by the caller before run().
  float* window_rows() { return features_.data<float>(); }
  // Runs one chunk; returns the [n_steps][n_classes] class probabilities (softmax applied here when the
  // model outputs raw logits). Rows past the caller's valid count are the zero-padding's outputs.
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
