#include "decoder/frame_classes.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace pyds::decoder {

void FrameClasses::configure(std::size_t n_classes, double cutoff_prob, std::size_t cutoff_top_n) {
  n_classes_ = n_classes;
  blank_ = static_cast<unsigned>(n_classes - 1);
  cutoff_prob_ = cutoff_prob;
  cutoff_top_n_ = cutoff_top_n;
  prune_ = cutoff_prob < 1.0 || cutoff_top_n < n_classes;
  visited_.reserve(n_classes);
  position_.assign(n_classes, -1);
  log_prob_.assign(n_classes, -FLT_MAX);
  by_score_.reserve(n_classes);
  order_.resize(n_classes);
}

void FrameClasses::build(const float* probs) {
  visited_.clear();
  std::fill(position_.begin(), position_.end(), -1);
  // DeepSpeech stores log(p + FLT_MIN), computed in double, as float.
  const auto log_of = [](float p) { return static_cast<float>(std::log(static_cast<double>(p) + FLT_MIN)); };
  std::size_t keep = n_classes_;
  for (std::size_t i = 0; i < n_classes_; ++i) order_[i] = static_cast<unsigned>(i);
  if (prune_) {
    std::sort(order_.begin(), order_.end(),
              [probs](unsigned a, unsigned b) { return probs[a] > probs[b] || (probs[a] == probs[b] && a < b); });
    // As in DeepSpeech, the top-n limit only cuts inside the cumulative-probability loop: with
    // cutoff_prob == 1 every class is still visited, in probability order.
    if (cutoff_prob_ < 1.0) {
      double cumulative = 0.0;
      keep = 0;
      for (std::size_t i = 0; i < n_classes_; ++i) {
        cumulative += static_cast<double>(probs[order_[i]]);
        ++keep;
        if (cumulative >= cutoff_prob_ || keep >= cutoff_top_n_) break;
      }
    }
  }
  by_score_.clear();
  for (std::size_t i = 0; i < keep; ++i) {
    const unsigned c = order_[i];
    const float lp = log_of(probs[c]);
    log_prob_[c] = lp;
    position_[c] = static_cast<int>(visited_.size());
    visited_.emplace_back(c, lp);
    if (c != blank_) by_score_.push_back(c);
  }
  if (!prune_) {
    std::sort(by_score_.begin(), by_score_.end(), [this](unsigned a, unsigned b) {
      return log_prob_[a] > log_prob_[b] || (log_prob_[a] == log_prob_[b] && a < b);
    });
  }
}

}  // namespace pyds::decoder
