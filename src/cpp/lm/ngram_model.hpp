// The n-gram language model behind a Scorer: KenLM's back-off semantics over several storage layouts
// (KenLM binary probing / trie, quantized or not, and ARPA text loaded into memory).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace pyds::lm {

using WordIndex = std::uint32_t;
// Highest n-gram order accepted (KenLM's default build supports 6; DeepSpeech scorers use up to 5).
constexpr unsigned kMaxOrder = 16;

// KenLM's right state: the context words, most recent first, with the back-off weights of the n-grams they
// form. `length` only covers context that can still extend, which is what makes the back-off sum exact.
struct State {
  WordIndex words[kMaxOrder - 1] = {};
  float backoff[kMaxOrder - 1] = {};
  unsigned char length = 0;
};

// KenLM marks "this context never extends" by a backoff of exactly -0.0.
inline bool has_extension(float backoff) {
  std::uint32_t bits;
  std::memcpy(&bits, &backoff, sizeof bits);
  return bits != 0x80000000u;
}

inline std::uint64_t murmur_hash64a(const void* key, std::size_t len, std::uint64_t seed = 0) {
  const std::uint64_t m = 0xc6a4a7935bd1e995ULL;
  const int r = 47;
  std::uint64_t h = seed ^ (len * m);
  const auto* data = static_cast<const unsigned char*>(key);
  const std::size_t blocks = len / 8;
  for (std::size_t i = 0; i < blocks; ++i) {
    std::uint64_t k;
    std::memcpy(&k, data + 8 * i, 8);
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const unsigned char* tail = data + 8 * blocks;
  switch (len & 7) {
    case 7: h ^= std::uint64_t(tail[6]) << 48; [[fallthrough]];
    case 6: h ^= std::uint64_t(tail[5]) << 40; [[fallthrough]];
    case 5: h ^= std::uint64_t(tail[4]) << 32; [[fallthrough]];
    case 4: h ^= std::uint64_t(tail[3]) << 24; [[fallthrough]];
    case 3: h ^= std::uint64_t(tail[2]) << 16; [[fallthrough]];
    case 2: h ^= std::uint64_t(tail[1]) << 8; [[fallthrough]];
    case 1: h ^= std::uint64_t(tail[0]); h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

inline std::uint64_t vocab_hash(std::string_view word) { return murmur_hash64a(word.data(), word.size(), 0); }

// KenLM's key of an n-gram in its hash tables: seeded with the predicted word, then each history word from the
// most recent one back.
inline std::uint64_t combine_word_hash(std::uint64_t current, WordIndex next) {
  return (current * 8978948897894561157ULL) ^ (static_cast<std::uint64_t>(1 + next) * 17894857484156487943ULL);
}

class NgramModel {
 public:
  virtual ~NgramModel() = default;
  unsigned order() const { return order_; }
  WordIndex begin_sentence() const { return bos_; }
  WordIndex end_sentence() const { return eos_; }

  // 0 (<unk>) for a word outside the vocabulary.
  virtual WordIndex index(std::string_view word) const = 0;
  // KenLM's FullScore(...).prob: log10 P(word | in), and the state after it.
  virtual float score(const State& in, WordIndex word, State& out) const = 0;
  // The LM's own words when it stores them (ARPA, or a binary built with vocabulary strings); else empty.
  virtual std::vector<std::string> words() const = 0;

  State begin_sentence_state() const {
    State s;
    s.length = 1;
    s.words[0] = bos_;
    s.backoff[0] = unigram_backoff(bos_);
    return s;
  }
  static State null_context_state() { return State(); }

 protected:
  virtual float unigram_backoff(WordIndex word) const = 0;
  unsigned order_ = 0;
  WordIndex bos_ = 0, eos_ = 0;
};

// KenLM's FullScore over a search structure `S` offering, for node type S::Node:
//   void unigram(WordIndex w, Node&, float& prob, float& backoff, bool& independent_left) const
//   bool middle(unsigned order_minus_2, WordIndex w, Node&, float& prob, float& backoff, bool& independent_left)
//   bool longest(WordIndex w, const Node&, float& prob) const
// `independent_left` says no longer n-gram ends with the one just found, so the search can stop.
template <class S>
float full_score(const S& search, unsigned order, const State& in, WordIndex word, State& out) {
  typename S::Node node{};
  bool independent_left = false;
  float prob, backoff;
  search.unigram(word, node, prob, backoff, independent_left);
  out.backoff[0] = backoff;
  out.words[0] = word;
  out.length = has_extension(backoff) ? 1 : 0;
  unsigned ngram_length = 1;
  for (unsigned i = 0; i < in.length && !independent_left; ++i) {
    if (i == order - 2) {
      float p;
      if (search.longest(in.words[i], node, p)) {
        prob = p;
        ngram_length = order;
      }
      break;
    }
    float p, b;
    if (!search.middle(i, in.words[i], node, p, b, independent_left)) break;
    out.backoff[i + 1] = b;
    prob = p;
    ngram_length = i + 2;
    if (has_extension(b)) out.length = static_cast<unsigned char>(ngram_length);
  }
  // The context of the new state: this word, then the part of the old context still needed.
  for (unsigned i = 1; i < out.length; ++i) out.words[i] = in.words[i - 1];
  for (unsigned i = ngram_length - 1; i < in.length; ++i) prob += in.backoff[i];
  return prob;
}

}  // namespace pyds::lm
