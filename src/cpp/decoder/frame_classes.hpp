// The classes one frame of the beam search visits, with their log-probabilities, in DeepSpeech's order
// (get_pruned_log_probs): all classes in index order (blank last) unless pruning is on (cutoff_prob < 1 or
// cutoff_top_n < classes), then by descending probability. Buffers are reused from frame to frame.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace pyds::decoder {

class FrameClasses {
 public:
  void configure(std::size_t n_classes, double cutoff_prob, std::size_t cutoff_top_n);
  // Fills the lists for one frame of probabilities (float32, widened to double as DeepSpeech's API does).
  void build(const float* probs);

  // (class, ln(p + FLT_MIN) as float) in visiting order.
  const std::vector<std::pair<unsigned, float>>& visited() const { return visited_; }
  // Position of a class in visited(), or -1 when it is pruned away this frame.
  int position(unsigned c) const { return position_[c]; }
  float log_prob(unsigned c) const { return log_prob_[c]; }
  // Visited non-blank classes by descending log-probability (ties: lower id first).
  const std::vector<unsigned>& by_score() const { return by_score_; }

 private:
  std::size_t n_classes_ = 0;
  unsigned blank_ = 0;
  double cutoff_prob_ = 1.0;
  std::size_t cutoff_top_n_ = 0;
  bool prune_ = false;
  std::vector<std::pair<unsigned, float>> visited_;
  std::vector<int> position_;
  std::vector<float> log_prob_;
  std::vector<unsigned> by_score_;
  std::vector<unsigned> order_;
};

}  // namespace pyds::decoder
