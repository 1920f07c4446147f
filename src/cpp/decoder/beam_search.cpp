// DeepSpeech's CTC prefix beam search (native_client/ctcdecode, ds_ctcdecoder 0.9/0.10), reorganised for
// speed with the same float32 arithmetic and the same decisions.
//
// DeepSpeech visits every (class, prefix) pair of a frame, materialises every extension as a tree node and
// then keeps the beam_width best nodes. Here the same scores are computed per *beam slot* (blank, repeat
// and the extension from a parent that is itself in the beam) and per *candidate* (an extension into a
// prefix that is not in the beam, whose score is a single term, so no log-sum-exp). Candidates are
// enumerated best first and dropped as soon as they cannot reach the current beam_width-th score; only
// the survivors become tree nodes. The order-dependent rules of DeepSpeech (the timestep candidate, the
// scorer's beam cut-off, class visiting order) are applied per slot in the order DeepSpeech would meet
// them.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <string>

#include "common/numbers.hpp"
#include "decoder/frame_classes.hpp"
#include "decoder/lm_context.hpp"
#include "decoder/prefix_pool.hpp"
#include "pyds/decoder.hpp"
#include "pyds/errors.hpp"

namespace pyds {

using decoder::FrameClasses;
using decoder::kNoExtra;
using decoder::kNone;
using decoder::kRootLabel;
using decoder::LmContext;
using decoder::NodeId;
using decoder::PrefixNode;
using decoder::PrefixPool;
using decoder::TimestepPool;

namespace {

constexpr float kNegInf = -FLT_MAX;  // DeepSpeech's "-inf"

// DeepSpeech's log_sum_exp<float>: an operand at or below -FLT_MAX counts as -inf.
inline float log_sum_exp(float x, float y) {
  if (x <= kNegInf) return y;
  if (y <= kNegInf) return x;
  const float m = std::max(x, y);
  return std::log(std::exp(x - m) + std::exp(y - m)) + m;
}

// An entry competing for the next beam: an old slot (source >= 0) or a candidate (source < 0).
struct Entry {
  float score;
  unsigned label;
  std::int32_t source;
};

// DeepSpeech's prefix_compare: higher score first, then the lower last label.
inline bool better(const Entry& a, const Entry& b) {
  return a.score > b.score || (a.score == b.score && a.label < b.label);
}

struct Candidate {
  std::int32_t parent_slot;
  unsigned label;
  Scorer::TrieState trie_state;
  float score;
};

}  // namespace

void DecoderOptions::validate() const {
  if (beam_width == 0) throw_error(ErrorKind::InvalidArgument, "beam_width must be at least 1, got 0");
  if (!(cutoff_prob > 0.0 && cutoff_prob <= 1.0))
    throw_error(ErrorKind::InvalidArgument, "cutoff_prob must be in (0, 1], got " + numbers::format(cutoff_prob));
  if (cutoff_top_n == 0) throw_error(ErrorKind::InvalidArgument, "cutoff_top_n must be at least 1, got 0");
  if (num_results == 0) throw_error(ErrorKind::InvalidArgument, "num_results must be at least 1, got 0");
  if (alpha && !std::isfinite(*alpha)) throw_error(ErrorKind::InvalidArgument, "alpha must be finite");
  if (beta && !std::isfinite(*beta)) throw_error(ErrorKind::InvalidArgument, "beta must be finite");
  if (!(frame_step_seconds > 0.0) || !std::isfinite(frame_step_seconds))
    throw_error(ErrorKind::InvalidArgument,
                "frame_step_seconds must be positive, got " + numbers::format(frame_step_seconds));
}

struct CtcBeamSearch::Impl {
  Alphabet alphabet;
  DecoderOptions options;
  std::shared_ptr<const Scorer> scorer;
  HotWords hot_words;
  double alpha = 0.0;
  double beta = 0.0;
  LmContext lm;
  bool use_trie = false;
  Scorer::TrieState trie_start = Scorer::kNoState;
  std::size_t n_classes;
  unsigned blank;
  std::size_t mask_words;

  // Utterance state.
  PrefixPool prefixes;
  TimestepPool timesteps;
  std::size_t frame = 0;
  bool started = false;
  // The beam, one entry per slot (unordered): node, score, blank and non-blank ln-probabilities.
  std::vector<NodeId> beam_node;
  std::vector<float> beam_score, beam_b, beam_nb;

  // Per-frame scratch, kept to avoid allocations.
  FrameClasses classes;
  std::vector<std::int32_t> parent_slot;
  std::vector<std::uint64_t> child_mask;
  std::vector<float> new_b, new_nb, new_score;
  std::vector<char> extended;  // the slot's timestep candidate (extension from its parent) survived
  std::vector<Entry> entries;
  std::vector<Candidate> candidates;
  std::vector<NodeId> next_node, entry_ts;
  std::vector<float> next_score, next_b, next_nb;
  std::vector<char> kept;

  Impl(const Alphabet& a, DecoderOptions o, std::shared_ptr<const Scorer> s, HotWords h)
      : alphabet(a), options(std::move(o)), scorer(std::move(s)), hot_words(std::move(h)) {
    options.validate();
    n_classes = alphabet.num_classes();
    blank = alphabet.blank();
    mask_words = (n_classes + 63) / 64;
    if (scorer) {
      // DeepSpeech keeps alpha and beta as float (Scorer::reset_params), whatever their source.
      alpha = static_cast<float>(options.alpha.value_or(scorer->default_alpha()));
      beta = static_cast<float>(options.beta.value_or(scorer->default_beta()));
      use_trie = scorer->has_trie();
      if (use_trie) trie_start = scorer->trie_start();
    }
    lm = LmContext(alphabet, scorer, alpha, beta, hot_words);
    classes.configure(n_classes, options.cutoff_prob, options.cutoff_top_n);
    // Buffers grow to the beam's real size on first use; reserve a typical amount up front without trusting
    // a huge beam_width to be allocatable.
    const std::size_t k = std::min<std::size_t>(options.beam_width, 1024);
    beam_node.reserve(k);
    beam_score.reserve(k);
    beam_b.reserve(k);
    beam_nb.reserve(k);
    reset();
  }

  void reset() {
    const NodeId root = prefixes.reset(trie_start);
    timesteps.clear();
    frame = 0;
    started = false;
    beam_node.assign(1, root);
    beam_score.assign(1, 0.0f);
    beam_b.assign(1, 0.0f);
    beam_nb.assign(1, kNegInf);
    prefixes[root].slot = 0;
  }

  // The LM term that scores `node` as a completed unit (word mode: the word before a space; bytes mode: a
  // completed codepoint), with hot-word boosts, cached in the node.
  float node_lm_term(NodeId node) {
    float& term = prefixes[node].lm_term;
    if (std::isnan(term)) term = lm.weighted_log_prob(prefixes, node, kNoExtra, true);
    return term;
  }

  bool child_in_beam(std::size_t slot, unsigned label) const {
    return (child_mask[slot * mask_words + label / 64] >> (label % 64)) & 1u;
  }

  void step(const float* probs);
  void commit();
  std::vector<Transcript> decode(std::size_t num_results) const;
};

// One frame of DeepSpeech's DecoderState::next.
void CtcBeamSearch::Impl::step(const float* probs) {
  ++frame;  // the frame being processed is frame - 1
  // Delayed start: frames before the first one whose blank probability drops below 0.999 are ignored
  // (they still count as timesteps).
  if (!started) {
    if (static_cast<double>(probs[blank]) < 0.999) started = true;
    else return;
  }
  classes.build(probs);
  const std::size_t n = beam_node.size();
  const std::size_t k = options.beam_width;

  // The scorer's beam cut-off: with a full beam, a (class, prefix) pair is skipped when
  // lp + score < worst beam score + ln p(blank) - max(0, beta). Without a scorer nothing is cut.
  bool full_beam = false;
  float min_cutoff = kNegInf;
  if (scorer) {
    const float worst = *std::min_element(beam_score.begin(), beam_score.end());
    min_cutoff = static_cast<float>(static_cast<double>(worst) + std::log(static_cast<double>(probs[blank])) -
                                    std::max(0.0, beta));
    full_beam = n == k;
  }
  const auto cut = [&](float lp, float score) { return full_beam && lp + score < min_cutoff; };

  // Which slots are children of which.
  parent_slot.assign(n, -1);
  child_mask.assign(n * mask_words, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const NodeId parent = prefixes[beam_node[i]].parent;
    if (parent == kNone) continue;
    const std::int32_t p = prefixes[parent].slot;
    if (p < 0) continue;
    parent_slot[i] = p;
    const unsigned l = prefixes[beam_node[i]].label;
    child_mask[p * mask_words + l / 64] |= std::uint64_t{1} << (l % 64);
  }

  // 1. Slots: blank, repeat, and the extension from a parent slot.
  const int blank_pos = classes.position(blank);
  const float lp_blank = classes.log_prob(blank);
  new_b.resize(n);
  new_nb.resize(n);
  new_score.resize(n);
  extended.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const NodeId q = beam_node[i];
    const unsigned x = prefixes[q].label;
    const float score_q = beam_score[i];
    const bool alive = score_q != kNegInf;
    float b = kNegInf, nb = kNegInf;
    bool ext = false;
    const int own_pos = x == kRootLabel ? -1 : classes.position(static_cast<unsigned>(x));

    const auto own_class = [&]() {
      const float lp = classes.log_prob(x);
      if (alive && !cut(lp, score_q)) {  // repeat of the last label collapses into the prefix
        const float lr = lp + beam_nb[i];
        if (nb < lr) ext = false;
        nb = log_sum_exp(nb, lr);
      }
      const std::int32_t p = parent_slot[i];
      if (p >= 0 && beam_score[p] != kNegInf && !cut(lp, beam_score[p])) {
        const NodeId parent = beam_node[p];
        float le;
        if (x == prefixes[parent].label) le = beam_b[p] > kNegInf ? lp + beam_b[p] : kNegInf;
        else le = lp + beam_score[p];
        if (lm.active()) {
          const bool boundary = lm.utf8() ? lm.completes_codepoint(prefixes, q, kNoExtra) : alphabet.is_space(x);
          if (boundary) {
            le += node_lm_term(lm.utf8() ? q : parent);
            le = static_cast<float>(static_cast<double>(le) + beta);
          }
        }
        if (nb < le) ext = true;
        nb = log_sum_exp(nb, le);
      }
    };
    const auto blank_class = [&]() {
      if (!alive || blank_pos < 0 || cut(lp_blank, score_q)) return;
      const float lb = lp_blank + score_q;
      if (nb < lb) ext = false;
      b = log_sum_exp(b, lb);
    };
    if (own_pos >= 0 && (blank_pos < 0 || own_pos < blank_pos)) {
      own_class();
      blank_class();
    } else {
      blank_class();
      if (own_pos >= 0) own_class();
    }
    new_b[i] = b;
    new_nb[i] = nb;
    new_score[i] = log_sum_exp(b, nb);
    extended[i] = ext;
  }

  // 2. The slots compete with the candidates for the k places.
  entries.clear();
  candidates.clear();
  for (std::size_t i = 0; i < n; ++i)
    entries.push_back(Entry{new_score[i], prefixes[beam_node[i]].label, static_cast<std::int32_t>(i)});
  bool have_threshold = false;
  Entry threshold{kNegInf, kRootLabel, 0};
  const auto compact = [&]() {
    std::nth_element(entries.begin(), entries.begin() + (k - 1), entries.end(), better);
    entries.resize(k);
    threshold = entries[k - 1];
    have_threshold = true;
  };
  if (entries.size() >= k) compact();

  // Early exits use upper bounds of a candidate's score: lp + prefix score, plus an LM term's bound for the
  // classes that can end a scored unit (word mode: only the space; bytes mode: any byte).
  const auto& by_score = classes.by_score();
  const float lm_bound = lm.active() ? lm.term_upper_bound() : 0.0f;
  const bool word_lm = lm.active() && !lm.utf8();
  const int space = alphabet.space_label();
  std::size_t space_rank = by_score.size();  // position of the space in by_score (word mode)
  if (word_lm)
    for (std::size_t j = 0; j < by_score.size(); ++j)
      if (static_cast<int>(by_score[j]) == space) space_rank = j;
  float best_bound = by_score.empty() ? kNegInf : classes.log_prob(by_score.front()) + (lm.utf8() ? lm_bound : 0.0f);
  if (space_rank < by_score.size())
    best_bound = std::max(best_bound, classes.log_prob(by_score[space_rank]) + lm_bound);
  for (std::size_t i = 0; i < n && !by_score.empty(); ++i) {
    const float score_p = beam_score[i];
    if (score_p == kNegInf) continue;
    if (have_threshold && best_bound + score_p < threshold.score) continue;
    const NodeId p = beam_node[i];
    const unsigned last = prefixes[p].label;
    for (std::size_t j = 0; j < by_score.size(); ++j) {
      const unsigned c = by_score[j];
      const float lp = classes.log_prob(c);
      if (cut(lp, score_p)) break;  // lp only decreases along by_score
      const float base = lp + score_p;
      if (have_threshold && base < threshold.score) {
        // No plain class can enter any more; only an LM-boosted one still might.
        if (lm.utf8()) {
          if (base + lm_bound < threshold.score) break;
        } else if (j < space_rank) {
          j = space_rank - 1;  // jump to the space
          continue;
        } else if (j > space_rank || base + lm_bound < threshold.score) {
          break;
        }
      }
      if (child_in_beam(i, c)) continue;
      const bool boundary_possible = lm.active() && (lm.utf8() || static_cast<int>(c) == space);
      if (have_threshold && base + (boundary_possible ? lm_bound : 0.0f) < threshold.score) continue;
      Scorer::TrieState state = Scorer::kNoState;
      if (use_trie) {
        const Scorer::TrieState next = scorer->trie_next(prefixes[p].trie_state, c);
        if (next == Scorer::kNoState) continue;  // the vocabulary forbids this extension
        state = scorer->trie_is_final(next) ? trie_start : next;
      }
      float value;
      if (c == last) value = beam_b[i] > kNegInf ? lp + beam_b[i] : kNegInf;
      else value = base;
      if (boundary_possible) {
        const bool boundary = word_lm || lm.completes_codepoint(prefixes, p, static_cast<long>(c));
        if (boundary) {
          value += word_lm ? node_lm_term(p) : lm.weighted_log_prob(prefixes, p, static_cast<long>(c), true);
          value = static_cast<float>(static_cast<double>(value) + beta);
        }
      }
      const Entry e{value, c, -1 - static_cast<std::int32_t>(candidates.size())};
      if (have_threshold && !better(e, threshold)) continue;
      candidates.push_back(Candidate{static_cast<std::int32_t>(i), c, state, value});
      entries.push_back(e);
      if (entries.size() >= (have_threshold ? 2 * k : k)) compact();
    }
  }
  if (entries.size() > k) compact();
  commit();
}

// Turns the winning entries into the new beam: tree nodes for the candidates, timestep lists, references.
void CtcBeamSearch::Impl::commit() {
  const unsigned t = static_cast<unsigned>(frame - 1);
  const std::size_t n = beam_node.size();
  const std::size_t m = entries.size();
  // New timestep lists first, while every prefix still has its previous-frame list.
  entry_ts.assign(m, kNone);
  kept.assign(n, 0);
  for (std::size_t j = 0; j < m; ++j) {
    const Entry& e = entries[j];
    if (e.source >= 0) {
      kept[e.source] = 1;
      if (extended[e.source]) {
        const NodeId parent = prefixes[beam_node[e.source]].parent;
        entry_ts[j] = timesteps.push(prefixes[parent].timesteps, t);
      }
    } else {
      const Candidate& c = candidates[-1 - e.source];
      // (DeepSpeech leaves a prefix first reached with probability 0 without timesteps; it gets them here
      // too, so that every token has one.)
      entry_ts[j] = timesteps.push(prefixes[beam_node[c.parent_slot]].timesteps, t);
    }
  }
  next_node.resize(m);
  next_score.resize(m);
  next_b.resize(m);
  next_nb.resize(m);
  for (std::size_t j = 0; j < m; ++j) {
    const Entry& e = entries[j];
    NodeId node;
    if (e.source >= 0) {
      node = beam_node[e.source];
      next_b[j] = new_b[e.source];
      next_nb[j] = new_nb[e.source];
    } else {
      const Candidate& c = candidates[-1 - e.source];
      const NodeId parent = beam_node[c.parent_slot];
      node = prefixes.find_child(parent, c.label);
      if (node == kNone) node = prefixes.add_child(parent, c.label, use_trie ? c.trie_state : Scorer::kNoState);
      ++prefixes[node].refs;  // held by the beam
      next_b[j] = kNegInf;
      next_nb[j] = c.score;
    }
    if (entry_ts[j] != kNone) {
      timesteps.release(prefixes[node].timesteps);
      prefixes[node].timesteps = entry_ts[j];
    }
    next_node[j] = node;
    next_score[j] = e.score;
  }
  for (std::size_t i = 0; i < n; ++i) prefixes[beam_node[i]].slot = -1;
  for (std::size_t i = 0; i < n; ++i)
    if (!kept[i]) prefixes.release(beam_node[i], timesteps);
  beam_node.swap(next_node);
  beam_score.swap(next_score);
  beam_b.swap(next_b);
  beam_nb.swap(next_nb);
  for (std::size_t j = 0; j < m; ++j) prefixes[beam_node[j]].slot = static_cast<std::int32_t>(j);
}

std::vector<Transcript> CtcBeamSearch::Impl::decode(std::size_t num_results) const {
  const std::size_t n = beam_node.size();
  std::vector<Entry> ranked(n);
  for (std::size_t i = 0; i < n; ++i) {
    const NodeId node = beam_node[i];
    float score = beam_score[i];
    if (lm.active()) {
      // The trailing unit that was never scored: a partial word (word mode: unless the prefix ends in a
      // space or is empty), or an incomplete codepoint (bytes mode; the empty prefix counts as one).
      const PrefixNode& pn = prefixes[node];
      bool partial;
      if (lm.utf8()) partial = !lm.completes_codepoint(prefixes, node, kNoExtra);
      else partial = pn.parent != kNone && !alphabet.is_space(pn.label);
      if (partial) {
        float term = lm.weighted_log_prob(prefixes, node, kNoExtra, false);
        term = static_cast<float>(static_cast<double>(term) + beta);
        score += term;
      }
    }
    ranked[i] = Entry{score, prefixes[node].label, static_cast<std::int32_t>(i)};
  }
  const std::size_t count = std::min(num_results, n);
  std::partial_sort(ranked.begin(), ranked.begin() + count, ranked.end(), better);

  std::vector<Transcript> out;
  out.reserve(count);
  const auto& labels = alphabet.labels();
  std::vector<unsigned> path, frames;
  for (std::size_t r = 0; r < count; ++r) {
    const NodeId node = beam_node[ranked[r].source];
    path.clear();
    frames.clear();
    for (NodeId x = node; prefixes[x].parent != kNone; x = prefixes[x].parent) path.push_back(prefixes[x].label);
    for (NodeId s = prefixes[node].timesteps; s != kNone; s = timesteps[s].parent) frames.push_back(timesteps[s].frame);
    std::reverse(path.begin(), path.end());
    std::reverse(frames.begin(), frames.end());
    // A prefix only ever reached with probability 0 has no timesteps in DeepSpeech either; give its tokens
    // the frames it has, aligned to the end, and 0 before.
    Transcript tr;
    tr.confidence = ranked[r].score;
    tr.tokens.resize(path.size());
    const std::size_t missing = path.size() > frames.size() ? path.size() - frames.size() : 0;
    for (std::size_t j = 0; j < path.size(); ++j) {
      Token& tok = tr.tokens[j];
      tok.label = path[j];
      tok.text = labels[path[j]];
      tok.timestep = j >= missing ? frames[j - missing] : 0;
      tok.start_time = tok.timestep * options.frame_step_seconds;
      tr.text += tok.text;
    }
    out.push_back(std::move(tr));
  }
  return out;
}

namespace {

void check_probs(const float* probs, std::size_t n_frames, std::size_t n_classes) {
  if (n_frames > 0 && probs == nullptr) throw_error(ErrorKind::InvalidArgument, "probs is null");
  const std::size_t total = n_frames * n_classes;
  for (std::size_t i = 0; i < total; ++i) {
    const float v = probs[i];
    if (!(v >= 0.0f) || !std::isfinite(v)) {
      const std::string what = std::isnan(v) ? "NaN" : (std::isinf(v) ? "infinite" : "negative");
      throw_error(ErrorKind::InvalidArgument,
                  "probs holds a " + what + " value at frame " + std::to_string(i / n_classes) + ", class " +
                      std::to_string(i % n_classes) + " (expected softmax probabilities in [0, 1])");
    }
  }
}

}  // namespace

CtcBeamSearch::CtcBeamSearch(const Alphabet& alphabet, DecoderOptions options, std::shared_ptr<const Scorer> scorer,
                             HotWords hot_words)
    : impl_(std::make_unique<Impl>(alphabet, std::move(options), std::move(scorer), std::move(hot_words))) {}
CtcBeamSearch::~CtcBeamSearch() = default;
CtcBeamSearch::CtcBeamSearch(CtcBeamSearch&&) noexcept = default;
CtcBeamSearch& CtcBeamSearch::operator=(CtcBeamSearch&&) noexcept = default;

void CtcBeamSearch::next(const float* probs, std::size_t n_frames) {
  const std::size_t c = impl_->n_classes;
  check_probs(probs, n_frames, c);
  for (std::size_t f = 0; f < n_frames; ++f) impl_->step(probs + f * c);
}

std::vector<Transcript> CtcBeamSearch::decode(std::size_t num_results) const {
  if (num_results == 0) throw_error(ErrorKind::InvalidArgument, "num_results must be at least 1, got 0");
  return impl_->decode(num_results);
}
std::vector<Transcript> CtcBeamSearch::decode() const { return impl_->decode(impl_->options.num_results); }
void CtcBeamSearch::reset() { impl_->reset(); }
std::size_t CtcBeamSearch::frames() const { return impl_->frame; }
const DecoderOptions& CtcBeamSearch::options() const { return impl_->options; }
const Alphabet& CtcBeamSearch::alphabet() const { return impl_->alphabet; }
double CtcBeamSearch::alpha() const { return impl_->alpha; }
double CtcBeamSearch::beta() const { return impl_->beta; }

std::vector<Transcript> ctc_beam_search(const float* probs, std::size_t n_frames, std::size_t n_classes,
                                        const Alphabet& alphabet, const DecoderOptions& options,
                                        std::shared_ptr<const Scorer> scorer, const HotWords& hot_words) {
  if (n_classes != alphabet.num_classes())
    throw_error(ErrorKind::InvalidArgument,
                "probs has " + std::to_string(n_classes) + " classes but the alphabet needs " +
                    std::to_string(alphabet.num_classes()) + " (" + std::to_string(alphabet.size()) +
                    " labels + blank): the alphabet must be the one the acoustic model was trained with");
  CtcBeamSearch search(alphabet, options, std::move(scorer), hot_words);
  search.next(probs, n_frames);
  return search.decode(options.num_results);
}

}  // namespace pyds
