#include "lm/kenlm_binary.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace pyds::lm {

namespace {

const char kMagicPrefix[] = "mmap lm http://kheafield.com/code format version";
const char kMagicIncomplete[] = "mmap lm http://kheafield.com/code incomplete\n";
const char kMagicV5[] = "mmap lm http://kheafield.com/code format version 5\n";  // + 2 NULs, padded to 56
constexpr std::uint64_t kSanitySize = 88;   // magic[56], 3 floats, 3 uint32, uint64
constexpr std::uint64_t kFixedOffset = 88;  // FixedWidthParameters, 20 bytes
constexpr std::uint64_t kCountsOffset = 108;

std::uint64_t align8(std::uint64_t v) { return (v + 7) & ~std::uint64_t(7); }

unsigned required_bits(std::uint64_t max_value) {
  unsigned bits = 0;
  while (max_value != 0) {
    ++bits;
    max_value >>= 1;
  }
  return bits;
}

std::uint64_t mask_of(unsigned bits) { return bits >= 64 ? ~std::uint64_t(0) : (std::uint64_t(1) << bits) - 1; }

// Number of buckets of a KenLM probing hash table for `entries` entries.
std::uint64_t probing_buckets(std::uint64_t entries, float multiplier, const ByteView& v) {
  const float scaled = multiplier * static_cast<float>(entries);
  if (!(scaled < 1.8e19f)) v.fail("probing hash table size overflows");
  return std::max<std::uint64_t>(entries + 1, static_cast<std::uint64_t>(scaled));
}

std::string sanity_bytes() {
  std::string s(kSanitySize, '\0');
  std::memcpy(&s[0], kMagicV5, sizeof(kMagicV5) - 1);
  const float f[3] = {0.0f, 1.0f, -0.5f};
  std::memcpy(&s[56], f, 12);
  const std::uint32_t u[3] = {1u, 0xFFFFFFFFu, 0u};
  std::memcpy(&s[68], u, 12);
  const std::uint64_t one = 1;
  std::memcpy(&s[80], &one, 8);
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Vocabularies

class SortedVocabulary {
 public:
  SortedVocabulary(const ByteView& v, std::uint64_t offset, std::uint64_t unigrams) {
    const std::uint64_t size = checked_add(8, checked_mul(8, unigrams, "vocabulary"), "vocabulary");
    v.require(offset, size, "sorted vocabulary");
    n_ = v.read<std::uint64_t>(offset, "vocabulary size");
    if (n_ > unigrams)
      v.fail("vocabulary holds " + std::to_string(n_) + " words but the LM has " + std::to_string(unigrams) +
             " unigrams");
    view_ = v;
    begin_ = offset + 8;
    size_ = size;
  }
  std::uint64_t size_bytes() const { return size_; }
  std::uint64_t bound() const { return n_ + 1; }
  WordIndex index(std::string_view word) const {
    const std::uint64_t h = vocab_hash(word);
    std::uint64_t lo = 0, hi = n_;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      const std::uint64_t got = view_.at<std::uint64_t>(begin_ + 8 * mid);
      if (got < h) lo = mid + 1;
      else hi = mid;
    }
    if (lo < n_ && view_.at<std::uint64_t>(begin_ + 8 * lo) == h) return static_cast<WordIndex>(lo + 1);
    return 0;
  }

 private:
  ByteView view_;
  std::uint64_t begin_ = 0, n_ = 0, size_ = 0;
};

class ProbingVocabulary {
 public:
  ProbingVocabulary(const ByteView& v, std::uint64_t offset, std::uint64_t unigrams, float multiplier) {
    buckets_ = probing_buckets(unigrams, multiplier, v);
    size_ = checked_add(8, checked_mul(12, buckets_, "vocabulary"), "vocabulary");
    v.require(offset, size_, "probing vocabulary");
    if (v.read<std::uint32_t>(offset, "probing vocabulary version") != 0) v.fail("unknown probing vocabulary version");
    bound_ = v.read<std::uint32_t>(offset + 4, "probing vocabulary bound");
    if (bound_ > unigrams) v.fail("probing vocabulary bound exceeds the unigram count");
    view_ = v;
    table_ = offset + 8;
    unigrams_ = unigrams;
  }
  std::uint64_t size_bytes() const { return size_; }
  std::uint64_t bound() const { return bound_; }
  WordIndex index(std::string_view word) const {
    const std::uint64_t h = vocab_hash(word);
    std::uint64_t at = h % buckets_;
    for (std::uint64_t probes = 0; probes < buckets_; ++probes) {
      const std::uint64_t key = view_.at<std::uint64_t>(table_ + 12 * at);
      if (key == h) {
        const std::uint32_t value = view_.at<std::uint32_t>(table_ + 12 * at + 8);
        if (value > unigrams_) view_.fail("probing vocabulary entry points past the unigrams");
        return value;
      }
      if (key == 0) return 0;
      if (++at == buckets_) at = 0;
    }
    return 0;
  }

 private:
  ByteView view_;
  std::uint64_t table_ = 0, buckets_ = 1, size_ = 0, bound_ = 0, unigrams_ = 0;
};

// ---------------------------------------------------------------------------------------------------------
// Probing search: a unigram array and one hash table per higher order.

class ProbingSearch {
 public:
  using Node = std::uint64_t;

  ProbingSearch(const ByteView& v, std::uint64_t offset, const KenlmHeader& h) : view_(v) {
    rest_ = h.model_type == 1;
    const std::uint64_t weights = rest_ ? 12 : 8;
    unigram_count_ = h.counts[0] + 1;
    unigrams_ = offset;
    offset = checked_add(offset, checked_mul(unigram_count_, weights, "unigrams"), "unigrams");
    const std::uint64_t middle_entry = rest_ ? 20 : 16;
    for (unsigned n = 2; n < h.order; ++n) {
      Table t{offset, probing_buckets(h.counts[n - 1], h.probing_multiplier, v), middle_entry};
      middles_.push_back(t);
      offset = checked_add(offset, checked_mul(t.buckets, middle_entry, "middle table"), "middle table");
    }
    longest_ = Table{offset, probing_buckets(h.counts.back(), h.probing_multiplier, v), 12};
    offset = checked_add(offset, checked_mul(longest_.buckets, 12, "longest table"), "longest table");
    v.require(unigrams_, offset - unigrams_, "probing search tables");
    end_ = offset;
  }
  std::uint64_t end() const { return end_; }

  void unigram(WordIndex w, Node& node, float& prob, float& backoff, bool& independent_left) const {
    if (w >= unigram_count_) view_.fail("word index past the unigram array");
    const std::uint64_t at = unigrams_ + static_cast<std::uint64_t>(w) * (rest_ ? 12 : 8);
    node = w;
    decode(at, prob, backoff, independent_left);
  }
  bool middle(unsigned order_minus_2, WordIndex w, Node& node, float& prob, float& backoff,
              bool& independent_left) const {
    node = combine_word_hash(node, w);
    std::uint64_t at;
    if (!find(middles_[order_minus_2], node, at)) {
      independent_left = true;
      return false;
    }
    decode(at + 8, prob, backoff, independent_left);
    return true;
  }
  bool longest(WordIndex w, const Node& node, float& prob) const {
    std::uint64_t at;
    if (!find(longest_, combine_word_hash(node, w), at)) return false;
    prob = view_.at<float>(at + 8);
    return true;
  }
  float backoff_of(WordIndex w) const {
    Node n;
    float p, b;
    bool il;
    unigram(w, n, p, b, il);
    return b;
  }

 private:
  struct Table {
    std::uint64_t offset, buckets, entry;
  };
  // The stored prob's sign bit is cleared when a longer n-gram extends this one to the left.
  void decode(std::uint64_t at, float& prob, float& backoff, bool& independent_left) const {
    std::uint32_t bits = view_.at<std::uint32_t>(at);
    independent_left = (bits & 0x80000000u) != 0;
    bits |= 0x80000000u;
    std::memcpy(&prob, &bits, 4);
    backoff = view_.at<float>(at + 4);
  }
  bool find(const Table& t, std::uint64_t key, std::uint64_t& at) const {
    std::uint64_t i = key % t.buckets;
    for (std::uint64_t probes = 0; probes < t.buckets; ++probes) {
      const std::uint64_t got = view_.at<std::uint64_t>(t.offset + i * t.entry);
      if (got == key) {
        at = t.offset + i * t.entry;
        return true;
      }
      if (got == 0) return false;
      if (++i == t.buckets) i = 0;
    }
    return false;
  }

  ByteView view_;
  bool rest_ = false;
  std::uint64_t unigrams_ = 0, unigram_count_ = 0, end_ = 0;
  std::vector<Table> middles_;
  Table longest_{0, 1, 12};
};

// ---------------------------------------------------------------------------------------------------------
// Trie search: n-grams stored in reverse (predicted word first), each order a bit-packed sorted array.

class TrieSearch {
 public:
  struct Node {
    std::uint64_t begin = 0, end = 0;
  };

  TrieSearch(const ByteView& v, std::uint64_t offset, const KenlmHeader& h) : view_(v), order_(h.order) {
    const bool quant = h.model_type == 3 || h.model_type == 5;
    const bool array = h.model_type == 4 || h.model_type == 5;
    unigram_count_ = h.counts[0];
    if (unigram_count_ >= (std::uint64_t(1) << 32)) v.fail("more unigrams than 32-bit word indices allow");
    for (std::uint64_t c : h.counts)
      if (c >= (std::uint64_t(1) << 57)) v.fail("n-gram count too large for the bit-packed trie");
    unsigned middle_quant_bits = 63, longest_quant_bits = 31;
    if (quant) {
      if (v.read<std::uint8_t>(offset, "quantization version") != 2) v.fail("unknown quantization version");
      prob_bits_ = v.read<std::uint8_t>(offset + 1, "quantization prob bits");
      backoff_bits_ = v.read<std::uint8_t>(offset + 2, "quantization backoff bits");
      if (prob_bits_ < 1 || prob_bits_ > 25 || backoff_bits_ < 1 || backoff_bits_ > 25)
        v.fail("quantization bits out of range (1..25)");
      const std::uint64_t pb = std::uint64_t(1) << prob_bits_, bb = std::uint64_t(1) << backoff_bits_;
      quant_tables_ = offset + 8;
      const std::uint64_t size = (order_ - 2) * (pb + bb) * 4 + pb * 4 + 8;
      v.require(offset, size, "quantization tables");
      offset += size;
      middle_quant_bits = prob_bits_ + backoff_bits_;
      longest_quant_bits = prob_bits_;
    }
    quant_ = quant;
    unigrams_ = offset;
    offset = checked_add(offset, checked_mul(unigram_count_ + 2, 16, "unigrams"), "unigrams");
    v.require(unigrams_, offset - unigrams_, "trie unigrams");
    word_bits_ = required_bits(unigram_count_);
    unsigned configured_bhiksha_bits = 0;
    if (array && order_ > 2) {
      if (v.read<std::uint8_t>(offset, "pointer compression version") != 0)
        v.fail("unknown pointer compression version");
      configured_bhiksha_bits = v.read<std::uint8_t>(offset + 1, "pointer compression bits");
    }
    for (unsigned k = 2; k < order_; ++k) {
      Middle m;
      m.entries = h.counts[k - 1];
      m.next_count = h.counts[k];
      const std::uint64_t max_next = h.counts[k];
      const unsigned required = required_bits(max_next);
      if (array) {
        unsigned chop = 0;
        std::int64_t lowest = INT64_MAX;
        const unsigned limit = std::min(required, configured_bhiksha_bits);
        for (unsigned c = 0; c <= limit; ++c) {
          const std::int64_t change = static_cast<std::int64_t>((max_next >> (required - c)) * 64 -
                                                                (m.entries + 1) * static_cast<std::uint64_t>(c));
          if (change < lowest) {
            lowest = change;
            chop = c;
          }
        }
        m.inline_bits = required - chop;
        m.offsets_count = (max_next >> (required - chop)) + 1;
        m.offsets = align8(offset) + 8;
        const std::uint64_t size =
            checked_add(checked_mul(8, checked_add(1, m.offsets_count, "pointers"), "pointers"), 7, "pointers");
        v.require(offset, size, "trie pointer array");
        v.require(m.offsets, 8 * m.offsets_count, "trie pointer array");
        if (v.at<std::uint64_t>(m.offsets) != 0) v.fail("trie pointer array does not start at 0");
        offset += size;
      } else {
        m.inline_bits = required;
      }
      m.quant_bits = middle_quant_bits;
      m.total_bits = word_bits_ + middle_quant_bits + m.inline_bits;
      m.base = offset;
      const std::uint64_t size = (checked_mul(m.entries + 1, m.total_bits, "middle order") + 7) / 8 + 8;
      v.require(offset, size, "trie middle order");
      offset += size;
      middles_.push_back(m);
    }
    longest_entries_ = h.counts.back();
    longest_total_bits_ = word_bits_ + longest_quant_bits;
    longest_ = offset;
    const std::uint64_t size = (checked_mul(longest_entries_ + 1, longest_total_bits_, "longest order") + 7) / 8 + 8;
    v.require(offset, size, "trie longest order");
    end_ = offset + size;
  }
  std::uint64_t end() const { return end_; }

  void unigram(WordIndex w, Node& node, float& prob, float& backoff, bool& independent_left) const {
    if (w > unigram_count_) view_.fail("word index past the unigram array");
    const std::uint64_t at = unigrams_ + 16 * static_cast<std::uint64_t>(w);
    prob = view_.at<float>(at);
    backoff = view_.at<float>(at + 4);
    node.begin = view_.at<std::uint64_t>(at + 8);
    node.end = view_.at<std::uint64_t>(at + 24);
    independent_left = node.begin == node.end;
  }
  bool middle(unsigned order_minus_2, WordIndex w, Node& node, float& prob, float& backoff,
              bool& independent_left) const {
    const Middle& m = middles_[order_minus_2];
    std::uint64_t i;
    if (!find(m.base, m.total_bits, m.entries, node, w, i)) {
      independent_left = true;
      return false;
    }
    const std::uint64_t field = i * m.total_bits + word_bits_;
    if (quant_) {
      const std::uint64_t tables =
          quant_tables_ + order_minus_2 * 4 * ((std::uint64_t(1) << prob_bits_) + (std::uint64_t(1) << backoff_bits_));
      const std::uint64_t b = bits(m.base, field, backoff_bits_);
      const std::uint64_t p = bits(m.base, field + backoff_bits_, prob_bits_);
      prob = view_.at<float>(tables + 4 * p);
      backoff = view_.at<float>(tables + 4 * (std::uint64_t(1) << prob_bits_) + 4 * b);
    } else {
      const std::uint32_t p = static_cast<std::uint32_t>(bits(m.base, field, 32)) | 0x80000000u;
      std::memcpy(&prob, &p, 4);
      const std::uint32_t b = static_cast<std::uint32_t>(bits(m.base, field + 31, 32));
      std::memcpy(&backoff, &b, 4);
    }
    const std::uint64_t next_field = field + m.quant_bits;
    if (m.offsets_count != 0) {
      node.begin = (high_bits(m, i) << m.inline_bits) | bits(m.base, next_field, m.inline_bits);
      node.end = (high_bits(m, i + 1) << m.inline_bits) | bits(m.base, next_field + m.total_bits, m.inline_bits);
    } else {
      node.begin = bits(m.base, next_field, m.inline_bits);
      node.end = bits(m.base, next_field + m.total_bits, m.inline_bits);
    }
    independent_left = node.begin == node.end;
    return true;
  }
  bool longest(WordIndex w, const Node& node, float& prob) const {
    std::uint64_t i;
    if (!find(longest_, longest_total_bits_, longest_entries_, node, w, i)) return false;
    const std::uint64_t field = i * longest_total_bits_ + word_bits_;
    if (quant_) {
      const std::uint64_t table =
          quant_tables_ + (order_ - 2) * 4 * ((std::uint64_t(1) << prob_bits_) + (std::uint64_t(1) << backoff_bits_));
      prob = view_.at<float>(table + 4 * bits(longest_, field, prob_bits_));
    } else {
      const std::uint32_t p = static_cast<std::uint32_t>(bits(longest_, field, 32)) | 0x80000000u;
      std::memcpy(&prob, &p, 4);
    }
    return true;
  }
  float backoff_of(WordIndex w) const {
    Node n;
    float p, b;
    bool il;
    unigram(w, n, p, b, il);
    return b;
  }

 private:
  struct Middle {
    std::uint64_t base = 0, entries = 0, next_count = 0, offsets = 0, offsets_count = 0;
    unsigned inline_bits = 0, quant_bits = 0, total_bits = 0;
  };

  // `length` bits at bit offset `bit` of the region at `base`, little-endian (regions carry 8 spare bytes).
  std::uint64_t bits(std::uint64_t base, std::uint64_t bit, unsigned length) const {
    const std::uint64_t word = view_.at<std::uint64_t>(base + (bit >> 3));
    return (word >> (bit & 7)) & mask_of(length);
  }
  // Binary search of word `w` among records [node.begin, node.end) sorted by word index.
  bool find(std::uint64_t base, unsigned total_bits, std::uint64_t entries, const Node& node, WordIndex w,
            std::uint64_t& found) const {
    if (node.begin > node.end || node.end > entries) view_.fail("trie child range out of bounds");
    std::uint64_t lo = node.begin, hi = node.end;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      const std::uint64_t got = bits(base, mid * total_bits, word_bits_);
      if (got < w) lo = mid + 1;
      else hi = mid;
    }
    if (lo < node.end && bits(base, lo * total_bits, word_bits_) == w) {
      found = lo;
      return true;
    }
    return false;
  }
  // Bhiksha: the high part of record i's child pointer is the last array slot whose value is <= i.
  std::uint64_t high_bits(const Middle& m, std::uint64_t i) const {
    std::uint64_t lo = 0, hi = m.offsets_count;  // first slot with value > i
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (view_.at<std::uint64_t>(m.offsets + 8 * mid) <= i) lo = mid + 1;
      else hi = mid;
    }
    if (lo == 0) view_.fail("trie pointer array is corrupt");
    return lo - 1;
  }

  ByteView view_;
  unsigned order_;
  bool quant_ = false;
  unsigned prob_bits_ = 0, backoff_bits_ = 0, word_bits_ = 0;
  std::uint64_t quant_tables_ = 0, unigrams_ = 0, unigram_count_ = 0, longest_ = 0, longest_entries_ = 0, end_ = 0;
  unsigned longest_total_bits_ = 0;
  std::vector<Middle> middles_;
};

template <class Vocab, class Search>
class BinaryModel final : public NgramModel {
 public:
  BinaryModel(std::shared_ptr<const MappedFile> file, const ByteView& v, const KenlmHeader& h, Vocab vocab,
              Search search, std::vector<std::string> words)
      : file_(std::move(file)), vocab_(std::move(vocab)), search_(std::move(search)), words_(std::move(words)) {
    order_ = h.order;
    bos_ = vocab_.index("<s>");
    eos_ = vocab_.index("</s>");
    if (bos_ == 0 || eos_ == 0) v.fail("the language model has no <s> or </s>");
  }
  WordIndex index(std::string_view word) const override { return vocab_.index(word); }
  float score(const State& in, WordIndex word, State& out) const override {
    return full_score(search_, order_, in, word, out);
  }
  std::vector<std::string> words() const override { return words_; }

 protected:
  float unigram_backoff(WordIndex word) const override { return search_.backoff_of(word); }

 private:
  std::shared_ptr<const MappedFile> file_;
  Vocab vocab_;
  Search search_;
  std::vector<std::string> words_;
};

// Vocabulary strings after the search region: NUL-terminated, in word-index order from <unk>.
std::vector<std::string> read_words(const ByteView& v, std::uint64_t offset, std::uint64_t count, std::uint64_t& end) {
  std::vector<std::string> words;
  const char* base = reinterpret_cast<const char*>(v.data());
  for (std::uint64_t i = 0; i < count; ++i) {
    if (offset >= v.size()) v.fail("vocabulary strings are truncated");
    const void* nul = std::memchr(base + offset, 0, v.size() - offset);
    if (nul == nullptr) v.fail("vocabulary strings are truncated");
    const std::uint64_t len = static_cast<const char*>(nul) - (base + offset);
    words.emplace_back(base + offset, len);
    offset += len + 1;
  }
  end = offset;
  return words;
}

template <class Vocab, class Search>
std::unique_ptr<NgramModel> make_model(std::shared_ptr<const MappedFile> file, const ByteView& v, const KenlmHeader& h,
                                       Vocab vocab, std::uint64_t& end_of_search, std::uint64_t& end_offset) {
  Search search(v, h.header_size + vocab.size_bytes(), h);
  end_of_search = search.end();
  end_offset = end_of_search;
  std::vector<std::string> words;
  if (h.has_vocabulary) words = read_words(v, end_of_search, vocab.bound(), end_offset);
  return std::make_unique<BinaryModel<Vocab, Search>>(std::move(file), v, h, std::move(vocab), std::move(search),
                                                      std::move(words));
}

}  // namespace

bool looks_like_kenlm_binary(const ByteView& bytes) {
  const std::size_t n = sizeof(kMagicIncomplete) - 1;
  const std::size_t m = sizeof(kMagicPrefix) - 1;
  return (bytes.size() >= n && std::memcmp(bytes.data(), kMagicIncomplete, n) == 0) ||
         (bytes.size() >= m && std::memcmp(bytes.data(), kMagicPrefix, m) == 0);
}

KenlmHeader read_kenlm_header(const ByteView& v) {
  const std::size_t n = sizeof(kMagicIncomplete) - 1;
  if (v.size() >= n && std::memcmp(v.data(), kMagicIncomplete, n) == 0)
    v.fail("KenLM binary did not finish building (build_binary was interrupted)");
  const std::size_t m = sizeof(kMagicPrefix) - 1;
  v.require(0, kSanitySize, "KenLM header");
  if (std::memcmp(v.data(), kMagicPrefix, m) != 0) v.fail("not a KenLM binary");
  if (v.data()[m] != ' ' || v.data()[m + 1] != '5' || v.data()[m + 2] != '\n') {
    std::string version;
    for (std::size_t i = m + 1; i < m + 8 && v.data()[i] >= '0' && v.data()[i] <= '9'; ++i)
      version += char(v.data()[i]);
    v.fail("KenLM binary format version " + (version.empty() ? std::string("?") : version) +
           " is not supported (expected 5)");
  }
  static const std::string sanity = sanity_bytes();
  if (std::memcmp(v.data(), sanity.data(), kSanitySize) != 0)
    v.fail("KenLM header sanity check failed (corrupt file or a different architecture)");
  KenlmHeader h;
  h.order = v.read<std::uint8_t>(kFixedOffset, "order");
  h.probing_multiplier = v.read<float>(kFixedOffset + 4, "probing multiplier");
  h.model_type = v.read<std::int32_t>(kFixedOffset + 8, "model type");
  h.has_vocabulary = v.read<std::uint8_t>(kFixedOffset + 12, "has vocabulary") != 0;
  h.search_version = v.read<std::uint32_t>(kFixedOffset + 16, "search version");
  if (h.order < 2 || h.order > kMaxOrder)
    v.fail("n-gram order " + std::to_string(h.order) + " is not supported (2.." + std::to_string(kMaxOrder) + ")");
  if (h.model_type < 0 || h.model_type > 5) v.fail("unknown KenLM model type " + std::to_string(h.model_type));
  const std::uint32_t expected_search = h.model_type <= 1 ? 0 : 1;
  if (h.search_version != expected_search) v.fail("KenLM search version does not match the model type");
  if (h.model_type <= 1 && !(h.probing_multiplier >= 1.0f && h.probing_multiplier < 1e6f))
    v.fail("probing multiplier out of range");
  for (unsigned i = 0; i < h.order; ++i)
    h.counts.push_back(v.read<std::uint64_t>(kCountsOffset + 8 * i, "n-gram counts"));
  if (h.counts[0] == 0) v.fail("the language model has no unigrams");
  for (std::uint64_t c : h.counts)
    if (c / 8 > v.size()) v.fail("n-gram count larger than the file");  // every n-gram takes at least a bit
  h.header_size = align8(kCountsOffset + 8 * h.order);
  return h;
}

std::unique_ptr<NgramModel> open_kenlm_binary(std::shared_ptr<const MappedFile> file, const ByteView& v,
                                              std::uint64_t& end_of_search, std::uint64_t& end_offset) {
  const KenlmHeader h = read_kenlm_header(v);
  if (h.model_type <= 1) {
    ProbingVocabulary vocab(v, h.header_size, h.counts[0], h.probing_multiplier);
    return make_model<ProbingVocabulary, ProbingSearch>(std::move(file), v, h, std::move(vocab), end_of_search,
                                                        end_offset);
  }
  SortedVocabulary vocab(v, h.header_size, h.counts[0]);
  return make_model<SortedVocabulary, TrieSearch>(std::move(file), v, h, std::move(vocab), end_of_search, end_offset);
}

}  // namespace pyds::lm
