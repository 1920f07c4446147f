// An ARPA back-off language model loaded into memory, scored with KenLM's semantics (the same hashed layout
// KenLM's probing model uses, so a model read from ARPA and from a probing binary built from it agree), and
// written out as a KenLM binary (probing data structure, format v5).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "lm/mapped_file.hpp"
#include "lm/ngram_model.hpp"

namespace pyds::lm {

class ArpaModel final : public NgramModel {
 public:
  // Parses ARPA text; `source` names the file in errors.
  ArpaModel(const ByteView& text);

  WordIndex index(std::string_view word) const override;
  float score(const State& in, WordIndex word, State& out) const override;
  std::vector<std::string> words() const override { return words_; }

  // The KenLM probing binary (v5, no vocabulary strings) of this model.
  std::string to_kenlm_probing() const;

  // Search interface for full_score.
  using Node = std::uint64_t;
  void unigram(WordIndex w, Node& node, float& prob, float& backoff, bool& independent_left) const;
  bool middle(unsigned order_minus_2, WordIndex w, Node& node, float& prob, float& backoff,
              bool& independent_left) const;
  bool longest(WordIndex w, const Node& node, float& prob) const;

 protected:
  float unigram_backoff(WordIndex word) const override { return unigrams_[word].backoff; }

 private:
  struct Weights {
    float prob;  // sign bit cleared when a longer n-gram extends this one to the left (KenLM's convention)
    float backoff;
  };
  static void set_extension(float& backoff);
  void extend_suffixes(const std::vector<WordIndex>& rev, const std::vector<std::uint64_t>& keys,
                       std::vector<Weights*>& between);

  std::vector<std::string> words_;  // index order, words_[0] = <unk>
  std::unordered_map<std::string, WordIndex> index_;
  std::vector<Weights> unigrams_;
  std::vector<std::unordered_map<std::uint64_t, Weights>> middles_;  // orders 2..N-1
  std::unordered_map<std::uint64_t, float> longest_;
  std::vector<std::uint64_t> counts_;
};

}  // namespace pyds::lm
