#include "lm/arpa_model.hpp"

#include "common/numbers.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace pyds::lm {

namespace {

constexpr std::uint32_t kSign = 0x80000000u;

std::uint32_t float_bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float bits_float(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// Line-by-line reader over mapped ARPA text.
class Lines {
 public:
  explicit Lines(const ByteView& v) : v_(v) {}
  bool next(std::string_view& line) {
    const char* base = reinterpret_cast<const char*>(v_.data());
    if (pos_ >= v_.size()) return false;
    const void* nl = std::memchr(base + pos_, '\n', v_.size() - pos_);
    const std::uint64_t end = nl ? static_cast<const char*>(nl) - base : v_.size();
    line = std::string_view(base + pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = end + 1;
    ++number_;
    return true;
  }
  // Next line that is not blank.
  bool next_content(std::string_view& line) {
    while (next(line)) {
      if (line.find_first_not_of(" \t") != std::string_view::npos) return true;
    }
    return false;
  }
  [[noreturn]] void fail(const std::string& message) const {
    v_.fail("ARPA line " + std::to_string(number_) + ": " + message);
  }

 private:
  const ByteView& v_;
  std::uint64_t pos_ = 0, number_ = 0;
};

void split(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
}

bool parse_count(std::string_view token, std::uint64_t& value) {
  if (token.empty() || token.size() > 18) return false;
  value = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

std::uint64_t probing_buckets(std::uint64_t entries) {
  return std::max<std::uint64_t>(entries + 1, static_cast<std::uint64_t>(1.5f * static_cast<float>(entries)));
}

template <typename T>
void put(std::string& out, std::uint64_t offset, const T& value) {
  std::memcpy(&out[offset], &value, sizeof(T));
}

}  // namespace

ArpaModel::ArpaModel(const ByteView& text) {
  Lines lines(text);
  std::string_view line;
  if (!lines.next_content(line) || line.substr(0, 6) != "\\data\\") lines.fail("expected \\data\\ (not an ARPA file)");
  std::vector<std::string_view> fields;
  while (lines.next(line)) {
    split(line, fields);
    if (fields.empty()) {
      if (counts_.empty()) continue;
      break;
    }
    if (fields.size() != 2 || fields[0] != "ngram") lines.fail("expected 'ngram N=count'");
    const std::size_t eq = fields[1].find('=');
    std::uint64_t n, count;
    if (eq == std::string_view::npos || !parse_count(fields[1].substr(0, eq), n) ||
        !parse_count(fields[1].substr(eq + 1), count) || n != counts_.size() + 1)
      lines.fail("malformed n-gram count line");
    counts_.push_back(count);
  }
  if (counts_.size() < 2 || counts_.size() > kMaxOrder)
    lines.fail("n-gram order " + std::to_string(counts_.size()) + " is not supported (2.." + std::to_string(kMaxOrder) +
               ")");
  if (counts_[0] == 0) lines.fail("no unigrams");
  for (std::uint64_t c : counts_)
    if (c > text.size()) lines.fail("n-gram count larger than the file");
  order_ = static_cast<unsigned>(counts_.size());
  middles_.resize(order_ - 2);

  // Unigrams: <unk> is always index 0; the others are numbered in file order.
  words_.emplace_back("<unk>");
  unigrams_.push_back(Weights{-100.0f, 0.0f});  // KenLM's value when the ARPA lacks <unk>
  bool saw_unk = false;
  std::vector<WordIndex> rev;         // an n-gram's word ids, predicted word first
  std::vector<std::uint64_t> keys;    // keys[h]: hash key of the suffix of length h + 2
  std::vector<Weights*> between;      // the suffix entries an n-gram extends to the left
  for (unsigned n = 1; n <= order_; ++n) {
    if (!lines.next_content(line) || line.find("\\" + std::to_string(n) + "-grams:") != 0)
      lines.fail("expected \\" + std::to_string(n) + "-grams:");
    for (std::uint64_t k = 0; k < counts_[n - 1]; ++k) {
      if (!lines.next(line)) lines.fail("file ends inside the " + std::to_string(n) + "-grams");
      split(line, fields);
      if (fields.size() != n + 1 && !(n < order_ && fields.size() == n + 2))
        lines.fail("expected a " + std::to_string(n) + "-gram line (prob, words, optional backoff)");
      Weights w{0.0f, 0.0f};
      if (!numbers::parse(fields[0], w.prob)) lines.fail("bad probability '" + printable(fields[0]) + "'");
      if (w.prob > 0.0f) lines.fail("positive log probability");
      if (fields.size() == n + 2 && !numbers::parse(fields[n + 1], w.backoff))
        lines.fail("bad backoff '" + printable(fields[n + 1]) + "'");
      if (w.backoff == 0.0f) w.backoff = -0.0f;  // "never extends" until a longer n-gram uses it as context
      w.prob = bits_float(float_bits(w.prob) | kSign);  // independent left until a longer n-gram says otherwise
      if (n == 1) {
        const std::string word(fields[1]);
        if (word == "<unk>") {
          if (saw_unk) lines.fail("duplicate <unk>");
          saw_unk = true;
          unigrams_[0] = w;
          continue;
        }
        if (!index_.emplace(word, static_cast<WordIndex>(words_.size())).second)
          lines.fail("duplicate unigram '" + printable(word) + "'");
        words_.push_back(word);
        unigrams_.push_back(w);
        continue;
      }
      rev.assign(n, 0);
      for (unsigned j = 1; j <= n; ++j) {
        const WordIndex id = index(fields[j]);
        if (id == 0 && fields[j] != "<unk>")
          lines.fail("word '" + printable(fields[j]) + "' of a " + std::to_string(n) + "-gram is not a unigram");
        rev[n - j] = id;
      }
      keys.assign(n - 1, 0);
      keys[0] = combine_word_hash(rev[0], rev[1]);
      for (unsigned h = 1; h + 1 < n; ++h) keys[h] = combine_word_hash(keys[h - 1], rev[h + 1]);
      if (n == order_) {
        if (!longest_.emplace(keys[n - 2], w.prob).second) lines.fail("duplicate n-gram");
      } else if (!middles_[n - 2].emplace(keys[n - 2], w).second) {
        lines.fail("duplicate n-gram");
      }
      extend_suffixes(rev, keys, between);
      // The context (all words but the predicted one) must be an n-gram itself, and now extends.
      if (n == 2) {
        set_extension(unigrams_[rev[1]].backoff);
      } else {
        std::uint64_t context = rev[1];
        for (unsigned j = 2; j < n; ++j) context = combine_word_hash(context, rev[j]);
        auto it = middles_[n - 3].find(context);
        if (it == middles_[n - 3].end())
          lines.fail("the context of every " + std::to_string(n) + "-gram must appear as a " + std::to_string(n - 1) +
                     "-gram");
        set_extension(it->second.backoff);
      }
    }
  }
  if (!lines.next_content(line) || line.substr(0, 5) != "\\end\\") lines.fail("expected \\end\\");
  counts_[0] = words_.size();

  bos_ = index("<s>");
  eos_ = index("</s>");
  if (bos_ == 0 || eos_ == 0) text.fail("the ARPA model has no <s> or </s> unigram");
}

WordIndex ArpaModel::index(std::string_view word) const {
  auto it = index_.find(std::string(word));
  return it == index_.end() ? 0 : it->second;
}

void ArpaModel::set_extension(float& backoff) {
  if (!has_extension(backoff)) backoff = 0.0f;
}

// A new n-gram extends its longest stored suffix to the left. Suffixes missing from the ARPA (SRILM pruning)
// are inserted as KenLM does: blank entries whose probability is the backed-off estimate from the longest
// suffix that exists, with "never extends" backoffs.
void ArpaModel::extend_suffixes(const std::vector<WordIndex>& rev, const std::vector<std::uint64_t>& keys,
                                std::vector<Weights*>& between) {
  const unsigned n = static_cast<unsigned>(rev.size());
  between.clear();
  for (int lower = static_cast<int>(n) - 3;; --lower) {
    if (lower < 0) {
      between.push_back(&unigrams_[rev[0]]);
      break;
    }
    auto inserted = middles_[lower].emplace(keys[lower], Weights{0.0f, -0.0f});
    between.push_back(&inserted.first->second);
    if (!inserted.second) break;
  }
  if (between.size() > 1) {
    float prob = -std::fabs(between.back()->prob);
    unsigned basis = n - static_cast<unsigned>(between.size());  // order of the longest suffix that exists
    std::size_t change = between.size() - 2;
    if (basis == 1) {
      float& backoff = unigrams_[rev[1]].backoff;
      set_extension(backoff);
      prob += backoff;
      between[change]->prob = prob;
      basis = 2;
      --change;
    }
    std::uint64_t context = rev[1];
    for (unsigned i = 2; i <= basis; ++i) context = combine_word_hash(context, rev[i]);
    for (; basis < n - 1; ++basis, --change) {
      auto it = middles_[basis - 2].find(context);
      if (it != middles_[basis - 2].end()) {
        set_extension(it->second.backoff);
        prob += it->second.backoff;
      }
      between[change]->prob = prob;
      context = combine_word_hash(context, rev[basis + 1]);
    }
  }
  for (Weights* w : between) w->prob = bits_float(float_bits(w->prob) & ~kSign);
}

float ArpaModel::score(const State& in, WordIndex word, State& out) const {
  return full_score(*this, order_, in, word, out);
}

void ArpaModel::unigram(WordIndex w, Node& node, float& prob, float& backoff, bool& independent_left) const {
  const Weights& u = unigrams_.at(w);
  node = w;
  const std::uint32_t bits = float_bits(u.prob);
  independent_left = (bits & kSign) != 0;
  prob = bits_float(bits | kSign);
  backoff = u.backoff;
}

bool ArpaModel::middle(unsigned order_minus_2, WordIndex w, Node& node, float& prob, float& backoff,
                       bool& independent_left) const {
  node = combine_word_hash(node, w);
  const auto& table = middles_[order_minus_2];
  auto it = table.find(node);
  if (it == table.end()) {
    independent_left = true;
    return false;
  }
  const std::uint32_t bits = float_bits(it->second.prob);
  independent_left = (bits & kSign) != 0;
  prob = bits_float(bits | kSign);
  backoff = it->second.backoff;
  return true;
}

bool ArpaModel::longest(WordIndex w, const Node& node, float& prob) const {
  auto it = longest_.find(combine_word_hash(node, w));
  if (it == longest_.end()) return false;
  prob = it->second;
  return true;
}

std::string ArpaModel::to_kenlm_probing() const {
  const std::uint64_t header = (108 + 8 * order_ + 7) & ~std::uint64_t(7);
  const std::uint64_t vocab_buckets = probing_buckets(counts_[0]);
  const std::uint64_t vocab_size = 8 + 12 * vocab_buckets;
  std::uint64_t size = header + vocab_size + 8 * (counts_[0] + 1);
  std::vector<std::uint64_t> buckets;
  for (unsigned n = 2; n <= order_; ++n) {
    const std::uint64_t entries = n == order_ ? longest_.size() : middles_[n - 2].size();
    buckets.push_back(probing_buckets(entries));
    size += buckets.back() * (n == order_ ? 12 : 16);
  }
  std::string out(size, '\0');
  // Header: sanity block, fixed-width parameters, counts.
  const char magic[] = "mmap lm http://kheafield.com/code format version 5\n";
  std::memcpy(&out[0], magic, sizeof(magic) - 1);
  put(out, 56, 0.0f);
  put(out, 60, 1.0f);
  put(out, 64, -0.5f);
  put(out, 68, std::uint32_t(1));
  put(out, 72, std::uint32_t(0xFFFFFFFFu));
  put(out, 80, std::uint64_t(1));
  put(out, 88, std::uint8_t(order_));
  put(out, 92, 1.5f);
  put(out, 96, std::int32_t(0));  // PROBING
  put(out, 100, std::uint8_t(0));  // no vocabulary strings: a .scorer's trie follows the search directly
  put(out, 104, std::uint32_t(0));
  for (unsigned n = 1; n <= order_; ++n) {
    const std::uint64_t c = n == 1 ? counts_[0] : (n == order_ ? longest_.size() : middles_[n - 2].size());
    put(out, 108 + 8 * (n - 1), c);
  }
  // Vocabulary: header {version 0, bound}, then a linear-probing table of (hash, index), 12 bytes each.
  std::uint64_t at = header;
  put(out, at, std::uint32_t(0));
  put(out, at + 4, static_cast<std::uint32_t>(words_.size()));
  const std::uint64_t table = at + 8;
  for (WordIndex i = 1; i < words_.size(); ++i) {
    const std::uint64_t key = vocab_hash(words_[i]);
    std::uint64_t b = key % vocab_buckets;
    while (true) {
      std::uint64_t got;
      std::memcpy(&got, &out[table + 12 * b], 8);
      if (got == 0) break;
      if (++b == vocab_buckets) b = 0;
    }
    put(out, table + 12 * b, key);
    put(out, table + 12 * b + 8, i);
  }
  at += vocab_size;
  for (const Weights& w : unigrams_) {
    put(out, at, w.prob);
    put(out, at + 4, w.backoff);
    at += 8;
  }
  at += 8;  // KenLM's spare unigram slot
  auto insert = [&](std::uint64_t base, std::uint64_t nb, std::uint64_t entry, std::uint64_t key) {
    std::uint64_t b = key % nb;
    while (true) {
      std::uint64_t got;
      std::memcpy(&got, &out[base + entry * b], 8);
      if (got == 0) break;
      if (++b == nb) b = 0;
    }
    return base + entry * b;
  };
  for (unsigned n = 2; n < order_; ++n) {
    const std::uint64_t nb = buckets[n - 2];
    for (const auto& kv : middles_[n - 2]) {
      const std::uint64_t e = insert(at, nb, 16, kv.first);
      put(out, e, kv.first);
      put(out, e + 8, kv.second.prob);
      put(out, e + 12, kv.second.backoff);
    }
    at += nb * 16;
  }
  const std::uint64_t nb = buckets.back();
  for (const auto& kv : longest_) {
    const std::uint64_t e = insert(at, nb, 12, kv.first);
    put(out, e, kv.first);
    put(out, e + 8, kv.second);
  }
  return out;
}

}  // namespace pyds::lm
