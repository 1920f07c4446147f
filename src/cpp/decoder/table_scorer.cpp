#include "decoder/table_scorer.hpp"

#include <algorithm>

#include "pyds/errors.hpp"

namespace pyds::decoder {

TableScorer::TableScorer(const Alphabet& alphabet, std::map<std::vector<std::string>, double> ngrams,
                         std::vector<std::string> vocabulary, std::size_t order, bool utf8_mode, double default_alpha,
                         double default_beta, bool with_trie, double unlisted_log10)
    : ngrams_(std::move(ngrams)), order_(order), utf8_mode_(utf8_mode), default_alpha_(default_alpha),
      default_beta_(default_beta), with_trie_(with_trie), unlisted_log10_(unlisted_log10) {
  if (order == 0) throw_error(ErrorKind::InvalidArgument, "a table scorer needs an order of at least 1");
  if (!utf8_mode && alphabet.space_label() < 0)
    throw_error(ErrorKind::InvalidArgument, "a word-mode scorer needs an alphabet with a space label");
  arcs_.emplace_back();
  final_.push_back(false);
  for (const std::string& word : vocabulary) {
    vocabulary_[word] = true;
    std::vector<unsigned> labels;
    try {
      labels = alphabet.encode(word);
    } catch (const Error&) { continue; }
    if (!utf8_mode) labels.push_back(static_cast<unsigned>(alphabet.space_label()));
    TrieState s = 0;
    for (unsigned l : labels) {
      auto it = arcs_[s].find(l);
      if (it == arcs_[s].end()) {
        const auto next = static_cast<TrieState>(arcs_.size());
        arcs_[s][l] = next;
        arcs_.emplace_back();
        final_.push_back(false);
        s = next;
      } else {
        s = it->second;
      }
    }
    final_[s] = true;
  }
}

double TableScorer::log_cond_prob(const std::vector<std::string>& words, bool bos, bool /*eos*/) const {
  for (const std::string& w : words)
    if (!vocabulary_.count(w)) return kOovScore;
  if (words.empty()) return 0.0;
  std::vector<std::string> seq;
  if (bos) seq.emplace_back("<s>");
  seq.insert(seq.end(), words.begin(), words.end());
  const std::size_t longest = std::min(order_, seq.size());
  for (std::size_t n = longest; n >= 1; --n) {
    const std::vector<std::string> key(seq.end() - static_cast<std::ptrdiff_t>(n), seq.end());
    const auto it = ngrams_.find(key);
    if (it != ngrams_.end()) return it->second / 0.4342944819;
  }
  return unlisted_log10_ / 0.4342944819;
}

Scorer::TrieState TableScorer::trie_next(TrieState state, unsigned label) const {
  if (state < 0 || static_cast<std::size_t>(state) >= arcs_.size()) return kNoState;
  const auto& out = arcs_[static_cast<std::size_t>(state)];
  const auto it = out.find(label);
  return it == out.end() ? kNoState : it->second;
}

bool TableScorer::trie_is_final(TrieState state) const {
  return state >= 0 && static_cast<std::size_t>(state) < final_.size() && final_[static_cast<std::size_t>(state)];
}

}  // namespace pyds::decoder
