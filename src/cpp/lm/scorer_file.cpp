// Scorer::load and the .scorer package writer: recognise the input (a .scorer, a bare KenLM binary, ARPA),
// open the LM in place and attach the vocabulary trie.
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>

#include "lm/arpa_model.hpp"
#include "lm/kenlm_binary.hpp"
#include "lm/mapped_file.hpp"
#include "lm/vocab_trie.hpp"
#include "pyds/scorer.hpp"
#include "pyds/scorer_package.hpp"

namespace pyds {

namespace {

using namespace pyds::lm;

constexpr std::int32_t kScorerMagic = 0x54524945;  // 'TRIE' as a multi-char int32
constexpr std::int32_t kScorerVersion = 6;
constexpr std::uint64_t kScorerHeaderSize = 25;
// DeepSpeech's NUM_FLT_LOGE is a float constant: the division happens in double with the float-rounded value,
// which the golden decoder outputs (confidence to the last digit) depend on.
constexpr double kLog10ToLn = static_cast<double>(0.4342944819f);

struct Loaded {
  std::shared_ptr<const MappedFile> file;
  std::unique_ptr<NgramModel> model;
  std::uint64_t lm_end = 0;            // end of the KenLM binary part (a .scorer's header starts here)
  std::uint64_t end_of_search = 0;
  bool is_binary = false, is_package = false;
};

bool looks_like_arpa(const ByteView& v) {
  std::uint64_t i = 0;
  while (i < v.size() && (v.data()[i] == ' ' || v.data()[i] == '\t' || v.data()[i] == '\n' || v.data()[i] == '\r')) ++i;
  return v.size() - i >= 6 && std::memcmp(v.data() + i, "\\data\\", 6) == 0;
}

Loaded open_lm(const std::string& path) {
  Loaded l;
  auto file = std::make_shared<const MappedFile>(path);
  l.file = file;
  ByteView view(file->data(), file->size(), path);
  if (looks_like_kenlm_binary(view)) {
    l.is_binary = true;
    l.model = open_kenlm_binary(file, view, l.end_of_search, l.lm_end);
    l.is_package = l.lm_end < view.size();
  } else if (looks_like_arpa(view)) {
    l.model = std::make_unique<ArpaModel>(view);
  } else {
    view.fail("not a .scorer, KenLM binary or ARPA file");
  }
  return l;
}

std::vector<std::string> read_vocabulary(const std::string& path) {
  MappedFile file(path);
  std::vector<std::string> words;
  const char* p = reinterpret_cast<const char*>(file.data());
  std::size_t i = 0, n = file.size();
  while (i < n) {
    while (i < n && std::isspace(static_cast<unsigned char>(p[i]))) ++i;
    const std::size_t start = i;
    while (i < n && !std::isspace(static_cast<unsigned char>(p[i]))) ++i;
    if (i > start) words.emplace_back(p + start, i - start);
  }
  if (words.empty()) throw_error(ErrorKind::InvalidScorer, path + ": the vocabulary file holds no words");
  return words;
}

std::vector<std::string> trie_words(const Loaded& l, const std::string& path, const std::string& vocabulary_path) {
  if (!vocabulary_path.empty()) return read_vocabulary(vocabulary_path);
  std::vector<std::string> words = l.model->words();
  if (words.empty())
    throw_error(ErrorKind::InvalidScorer, path +
                                              ": this KenLM binary stores no vocabulary strings; "
                                              "give a vocabulary file (one word per line) to build the trie");
  return words;
}

class PackagedScorer final : public Scorer {
 public:
  PackagedScorer(Loaded l, VocabTrie trie, bool utf8, double alpha, double beta)
      : file_(std::move(l.file)), model_(std::move(l.model)), trie_(std::move(trie)), utf8_(utf8), alpha_(alpha),
        beta_(beta) {}

  double default_alpha() const override { return alpha_; }
  double default_beta() const override { return beta_; }
  bool is_utf8_mode() const override { return utf8_; }
  std::size_t max_order() const override { return model_->order(); }

  double log_cond_prob(const std::vector<std::string>& words, bool bos, bool eos) const override {
    State states[2];
    State* in = &states[0];
    State* out = &states[1];
    *in = bos ? model_->begin_sentence_state() : NgramModel::null_context_state();
    float cond_prob = 0.0f;
    for (const std::string& word : words) {
      const WordIndex index = model_->index(word);
      if (index == 0) return kOovScore;
      cond_prob = model_->score(*in, index, *out);
      std::swap(in, out);
    }
    if (eos) cond_prob = model_->score(*in, model_->end_sentence(), *out);
    return static_cast<double>(cond_prob) / kLog10ToLn;
  }

  bool has_trie() const override { return true; }
  TrieState trie_start() const override { return trie_.start(); }
  TrieState trie_next(TrieState state, unsigned label) const override {
    if (label >= 0x7FFFFFFFu) return kNoState;
    const std::int64_t next = trie_.next(state, label + 1);
    return next < 0 ? kNoState : next;
  }
  bool trie_is_final(TrieState state) const override { return trie_.is_final(state); }

 private:
  std::shared_ptr<const MappedFile> file_;  // the LM and the trie are read in place from this mapping
  std::unique_ptr<NgramModel> model_;
  VocabTrie trie_;
  bool utf8_;
  double alpha_, beta_;
};

struct ScorerHeader {
  bool utf8 = false;
  double alpha = 0.0, beta = 0.0;
};

ScorerHeader read_scorer_header(const ByteView& v, std::uint64_t at) {
  const std::int32_t magic = v.read<std::int32_t>(at, "scorer header magic");
  if (magic != kScorerMagic) v.fail("no scorer header after the KenLM binary (not a .scorer, or corrupt)");
  const std::int32_t version = v.read<std::int32_t>(at + 4, "scorer version");
  if (version != kScorerVersion)
    v.fail("scorer file version " + std::to_string(version) + " is not supported (expected " +
           std::to_string(kScorerVersion) + "; rebuild it with generate_scorer_package or pyds-build-scorer)");
  ScorerHeader h;
  const std::uint8_t utf8 = v.read<std::uint8_t>(at + 8, "scorer UTF-8 flag");
  if (utf8 > 1) v.fail("scorer UTF-8 flag is not a boolean");
  h.utf8 = utf8 != 0;
  h.alpha = v.read<double>(at + 9, "scorer default alpha");
  h.beta = v.read<double>(at + 17, "scorer default beta");
  if (!std::isfinite(h.alpha) || !std::isfinite(h.beta)) v.fail("scorer default alpha/beta are not finite");
  return h;
}

}  // namespace

std::shared_ptr<const Scorer> Scorer::load(const std::string& path, const Alphabet& alphabet,
                                           const std::string& vocabulary_path) {
  Loaded l = open_lm(path);
  const unsigned max_label = static_cast<unsigned>(alphabet.size());
  if (l.is_package) {
    if (!vocabulary_path.empty())
      throw_error(ErrorKind::InvalidArgument,
                  path +
                      " is a .scorer, which carries its own vocabulary: a vocabulary file only goes with a "
                      "bare KenLM binary or ARPA file");
    ByteView view(l.file->data(), l.file->size(), path);
    const ScorerHeader h = read_scorer_header(view, l.lm_end);
    if (h.utf8 != alphabet.is_utf8())
      throw_error(ErrorKind::InvalidScorer,
                  path + (h.utf8 ? ": a UTF-8 (bytes) scorer cannot be used with a character-alphabet model"
                                 : ": a character-alphabet scorer cannot be used with a UTF-8 (bytes) model"));
    VocabTrie trie = VocabTrie::read(view, l.lm_end + kScorerHeaderSize, max_label);
    return std::make_shared<PackagedScorer>(std::move(l), std::move(trie), h.utf8, h.alpha, h.beta);
  }
  const std::vector<std::string> words = trie_words(l, path, vocabulary_path);
  VocabTrie trie = VocabTrie::build(words, alphabet, alphabet.is_utf8());
  const ScorerPackageOptions defaults;
  return std::make_shared<PackagedScorer>(std::move(l), std::move(trie), alphabet.is_utf8(), defaults.default_alpha,
                                          defaults.default_beta);
}

void write_scorer_package(const std::string& lm_path, const std::string& vocabulary_path, const Alphabet& alphabet,
                          const ScorerPackageOptions& options, const std::string& output_path) {
  if (!std::isfinite(options.default_alpha) || !std::isfinite(options.default_beta))
    throw_error(ErrorKind::InvalidArgument, "default alpha and beta must be finite");
  Loaded l = open_lm(lm_path);
  if (l.is_package)
    throw_error(ErrorKind::InvalidArgument, lm_path + " is already a .scorer package; give a KenLM binary or ARPA");
  const std::vector<std::string> words = trie_words(l, lm_path, vocabulary_path);
  const VocabTrie trie = VocabTrie::build(words, alphabet, alphabet.is_utf8());

  std::string out;
  if (l.is_binary) {
    // The KenLM binary as-is, minus its vocabulary strings: DeepSpeech finds the trie right after the search.
    out.assign(reinterpret_cast<const char*>(l.file->data()), l.end_of_search);
    out[100] = '\0';  // has_vocabulary
  } else {
    out = static_cast<const ArpaModel&>(*l.model).to_kenlm_probing();
  }
  auto append = [&out](const auto& value) { out.append(reinterpret_cast<const char*>(&value), sizeof(value)); };
  append(kScorerMagic);
  append(kScorerVersion);
  append(static_cast<std::uint8_t>(alphabet.is_utf8() ? 1 : 0));
  append(options.default_alpha);
  append(options.default_beta);
  trie.write(out);

  std::random_device rd;
  const std::string tmp = output_path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      throw_error(ErrorKind::InvalidArgument, "cannot write " + output_path);
    }
  }
  if (std::rename(tmp.c_str(), output_path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw_error(ErrorKind::InvalidArgument, "cannot write " + output_path);
  }
}

}  // namespace pyds
