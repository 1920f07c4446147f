// DeepSpeech's external scorer: a KenLM n-gram language model, a vocabulary trie over the alphabet's labels
// and default alpha/beta, as packed in a `.scorer` file (or given as a bare KenLM binary / ARPA file plus a
// vocabulary). Immutable after load: one Scorer may be shared by every stream and thread. The weights a
// decode uses (alpha, beta) are the decoder's options, defaulting to default_alpha()/default_beta().
//
// This is the narrow interface the beam search (src/cpp/decoder) is written against; the readers that
// implement it live in src/cpp/lm.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pyds/alphabet.hpp"

namespace pyds {

class Scorer {
 public:
  // ln-probability DeepSpeech gives a word outside the LM vocabulary (before alpha).
  static constexpr double kOovScore = -1000.0;

  // A `.scorer` (DeepSpeech >= 0.7 / Coqui layout), a KenLM binary, or an ARPA file. For the bare LM forms a
  // vocabulary file (one word per line) builds the trie; without one the LM's own words do. Throws
  // InvalidScorer for corrupt/truncated/wrong-version files and when the vocabulary does not fit `alphabet`,
  // ModelNotFound when a path does not exist.
  static std::shared_ptr<const Scorer> load(const std::string& path, const Alphabet& alphabet,
                                            const std::string& vocabulary_path = "");
  virtual ~Scorer() = default;

  virtual double default_alpha() const = 0;
  virtual double default_beta() const = 0;
  virtual bool is_utf8_mode() const = 0;
  virtual std::size_t max_order() const = 0;

  // DeepSpeech's get_log_cond_prob: natural-log P(words.back() | the words before it), i.e. KenLM's log10
  // score of the last word divided by 0.4342944819. `bos`: start from the begin-of-sentence state (else the
  // null context); `eos`: also score </s> after the words. Any word outside the LM vocabulary → kOovScore.
  virtual double log_cond_prob(const std::vector<std::string>& words, bool bos, bool eos) const = 0;

  // Vocabulary trie (DeepSpeech's dictionary FST): a deterministic automaton whose arcs carry label + 1.
  using TrieState = std::int64_t;
  static constexpr TrieState kNoState = -1;
  virtual bool has_trie() const = 0;
  virtual TrieState trie_start() const = 0;
  // The state reached from `state` over alphabet label `label`, or kNoState when the trie has no such arc.
  virtual TrieState trie_next(TrieState state, unsigned label) const = 0;
  virtual bool trie_is_final(TrieState state) const = 0;
};

}  // namespace pyds
