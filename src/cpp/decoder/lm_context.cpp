#include "decoder/lm_context.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pyds::decoder {

namespace {

// The byte a bytes-mode label stands for.
inline unsigned char byte_of(unsigned label) { return static_cast<unsigned char>(label + 1); }
inline bool is_codepoint_start(unsigned char b) { return (b & 0xC0) != 0x80; }

// A position in the label sequence (node labels, then `extra`), walked backwards.
struct Cursor {
  NodeId node;
  long extra;
  bool null() const { return node == kNone && extra == kNoExtra; }
};

inline bool is_root(const PrefixPool& pool, const Cursor& c) {
  return c.extra == kNoExtra && c.node != kNone && pool[c.node].label == kRootLabel;
}
inline unsigned label_at(const PrefixPool& pool, const Cursor& c) {
  return c.extra != kNoExtra ? static_cast<unsigned>(c.extra) : pool[c.node].label;
}
inline Cursor parent_of(const PrefixPool& pool, const Cursor& c) {
  if (c.extra != kNoExtra) return Cursor{c.node, kNoExtra};
  return Cursor{pool[c.node].parent, kNoExtra};
}

}  // namespace

LmContext::LmContext(const Alphabet& alphabet, std::shared_ptr<const Scorer> scorer, double alpha, double beta,
                     const HotWords& hot_words)
    : alphabet_(&alphabet), scorer_(std::move(scorer)), hot_words_(&hot_words), alpha_(alpha), beta_(beta) {
  if (!scorer_) return;
  max_order_ = scorer_->max_order();
  utf8_ = scorer_->is_utf8_mode();
  space_ = alphabet.space_label();
  // ln P <= 0, so a term is at most alpha * (order * largest positive boost) + beta. The margin covers the
  // float roundings of the sums; it only makes the candidate pre-filter a little less eager.
  float max_boost = 0.0f;
  for (const auto& kv : hot_words) max_boost = std::max(max_boost, kv.second);
  if (alpha_ < 0.0) {
    upper_bound_ = std::numeric_limits<float>::infinity();
  } else {
    upper_bound_ =
        static_cast<float>(alpha_ * static_cast<double>(max_order_) * max_boost + std::max(0.0, beta_) + 0.5);
  }
  ngram_.reserve(max_order_);
}

bool LmContext::completes_codepoint(const PrefixPool& pool, NodeId node, long extra) const {
  Cursor c{node, extra};
  if (is_root(pool, c)) return false;
  int distance = 1;
  while (!is_codepoint_start(byte_of(label_at(pool, c)))) {
    const Cursor p = parent_of(pool, c);
    if (p.null() || is_root(pool, p)) return false;  // a continuation byte with no lead byte: never a boundary
    c = p;
    ++distance;
  }
  const unsigned char first = byte_of(label_at(pool, c));
  int needed;
  if ((first >> 3) == 0x1E) needed = 4;
  else if ((first >> 4) == 0x0E) needed = 3;
  else if ((first >> 5) == 0x06) needed = 2;
  else if ((first >> 7) == 0x00) needed = 1;
  else return false;
  return distance == needed;
}

void LmContext::make_ngram(const PrefixPool& pool, NodeId node, long extra) const {
  // Units from the end backwards, up to the LM order; each unit is a word (labels back to a space or the
  // root) or, in bytes mode, a codepoint (bytes back to its lead byte). As in DeepSpeech, a space right at
  // the end yields an empty word.
  std::size_t used = 0;
  Cursor cur{node, extra};
  for (std::size_t order = 0; order < max_order_; ++order) {
    if (cur.null() || is_root(pool, cur)) break;
    unit_.clear();
    Cursor stop = cur;
    if (utf8_) {
      while (true) {
        if (is_root(pool, stop)) break;
        const unsigned l = label_at(pool, stop);
        unit_.push_back(l);
        if (is_codepoint_start(byte_of(l))) break;
        stop = parent_of(pool, stop);
        if (stop.null()) break;
      }
    } else {
      while (!stop.null() && !is_root(pool, stop)) {
        const unsigned l = label_at(pool, stop);
        if (space_ >= 0 && l == static_cast<unsigned>(space_)) break;
        unit_.push_back(l);
        stop = parent_of(pool, stop);
      }
    }
    cur = stop.null() ? stop : parent_of(pool, stop);
    if (ngram_.size() <= used) ngram_.emplace_back();
    std::string& word = ngram_[used++];
    word.clear();
    const auto& labels = alphabet_->labels();
    for (auto it = unit_.rbegin(); it != unit_.rend(); ++it) word += labels[*it];
  }
  ngram_.resize(used);
  std::reverse(ngram_.begin(), ngram_.end());
}

float LmContext::weighted_log_prob(const PrefixPool& pool, NodeId node, long extra, bool with_hot_words) const {
  make_ngram(pool, node, extra);
  float hot_boost = 0.0f;
  if (with_hot_words && !hot_words_->empty()) {
    for (const std::string& w : ngram_) {
      const auto it = hot_words_->find(w);
      if (it != hot_words_->end()) hot_boost += it->second;
    }
  }
  double log_prob = 0.0;  // an empty n-gram scores 0, as KenLM's loop over no words does in DeepSpeech
  if (!ngram_.empty()) log_prob = scorer_->log_cond_prob(ngram_, ngram_.size() < max_order_, false);
  return static_cast<float>((log_prob + static_cast<double>(hot_boost)) * alpha_);
}

}  // namespace pyds::decoder
