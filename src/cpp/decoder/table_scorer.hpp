// A Scorer over an in-memory n-gram table and word list: the "null LM" that lets the beam search's LM
// fusion be tested without KenLM files (tests build small random ones). Not a KenLM emulation: the score of
// a word is the table entry of the longest listed n-gram that ends the word sequence (with <s> in front
// when `bos`), falling back to `unlisted_log10` for an in-vocabulary word none of whose n-grams is listed.
// The vocabulary trie follows DeepSpeech's layout: each word is its labels (+ the space label in word mode),
// and the state after a whole word is final.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pyds/alphabet.hpp"
#include "pyds/scorer.hpp"

namespace pyds::decoder {

class TableScorer final : public Scorer {
 public:
  // `ngrams`: word sequences (1..order words) → log10 probability. `vocabulary`: the words the LM knows;
  // words containing labels the alphabet lacks are left out of the trie (as DeepSpeech does).
  TableScorer(const Alphabet& alphabet, std::map<std::vector<std::string>, double> ngrams,
              std::vector<std::string> vocabulary, std::size_t order, bool utf8_mode, double default_alpha,
              double default_beta, bool with_trie, double unlisted_log10 = -4.0);

  double default_alpha() const override { return default_alpha_; }
  double default_beta() const override { return default_beta_; }
  bool is_utf8_mode() const override { return utf8_mode_; }
  std::size_t max_order() const override { return order_; }
  double log_cond_prob(const std::vector<std::string>& words, bool bos, bool eos) const override;
  bool has_trie() const override { return with_trie_; }
  TrieState trie_start() const override { return 0; }
  TrieState trie_next(TrieState state, unsigned label) const override;
  bool trie_is_final(TrieState state) const override;

 private:
  std::map<std::vector<std::string>, double> ngrams_;
  std::map<std::string, bool> vocabulary_;
  std::size_t order_;
  bool utf8_mode_;
  double default_alpha_, default_beta_;
  bool with_trie_;
  double unlisted_log10_;
  std::vector<std::map<unsigned, TrieState>> arcs_;
  std::vector<bool> final_;
};

}  // namespace pyds::decoder
