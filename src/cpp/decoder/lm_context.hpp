// Language-model fusion pieces of the beam search, as DeepSpeech's Scorer applies them to a prefix:
// where a scored unit ends (a space in word mode, a completed UTF-8 codepoint in bytes mode), the n-gram
// of units that ends a prefix (make_ngram), and the weighted LM term with hot-word boosts.
//
// A prefix is addressed as (node, extra): the labels of `node` followed by `extra` when extra != kNoExtra,
// so a candidate extension is scored before a tree node exists for it.
#pragma once

#include <string>
#include <vector>

#include "decoder/prefix_pool.hpp"
#include "pyds/alphabet.hpp"
#include "pyds/decoder.hpp"
#include "pyds/scorer.hpp"

namespace pyds::decoder {

constexpr long kNoExtra = -1;

class LmContext {
 public:
  LmContext() = default;
  LmContext(const Alphabet& alphabet, std::shared_ptr<const Scorer> scorer, double alpha, double beta,
            const HotWords& hot_words);

  bool active() const { return scorer_ != nullptr; }
  bool utf8() const { return utf8_; }
  double beta() const { return beta_; }
  // An upper bound of the LM term added at a boundary (+inf when it has none, e.g. alpha < 0).
  float term_upper_bound() const { return upper_bound_; }

  // DeepSpeech's is_scoring_boundary in bytes mode: does the prefix end with a complete codepoint?
  bool completes_codepoint(const PrefixPool& pool, NodeId node, long extra) const;
  // alpha * (ln P_LM(last unit | previous units) [+ hot-word boosts]) for the prefix, as float; the caller
  // adds it and then beta, in DeepSpeech's order and precision.
  float weighted_log_prob(const PrefixPool& pool, NodeId node, long extra, bool with_hot_words) const;

 private:
  void make_ngram(const PrefixPool& pool, NodeId node, long extra) const;

  const Alphabet* alphabet_ = nullptr;
  std::shared_ptr<const Scorer> scorer_;
  const HotWords* hot_words_ = nullptr;
  double alpha_ = 0.0;
  double beta_ = 0.0;
  std::size_t max_order_ = 0;
  bool utf8_ = false;
  int space_ = -1;
  float upper_bound_ = 0.0f;
  // Scratch reused across calls (decode() is const, hence mutable; a search is single-threaded).
  mutable std::vector<std::string> ngram_;
  mutable std::vector<unsigned> unit_;
};

}  // namespace pyds::decoder
