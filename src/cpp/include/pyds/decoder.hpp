// CTC decoding of acoustic-model posteriors into transcripts: DeepSpeech's prefix beam search (optionally
// fused with an n-gram Scorer and hot-word boosts) and a greedy best-path decoder.
//
// Basic usage:
//   pyds::CtcBeamSearch search(alphabet, options, scorer);   // scorer may be null
//   search.next(probs, n_frames);          // softmax rows [n_frames, alphabet.num_classes()], chunk by chunk
//   auto best = search.decode(1);          // any time: the current best transcripts; the state is unchanged
//   search.reset();                        // start a new utterance with the same settings
//
// The results equal those of DeepSpeech's native decoder (ds_ctcdecoder 0.9/0.10, Coqui STT 1.x) for the
// same probabilities: the same labels and timesteps, the same confidence in float32 arithmetic.
//
// Thread safety: a CtcBeamSearch holds all the mutable state of one utterance; use one per thread (or
// lock: Python's pyds.decoder.CtcBeamSearch does, so Python threads may share one). The Alphabet and the Scorer it was
// built with are immutable and may be shared by any number of searches. The free functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pyds/alphabet.hpp"
#include "pyds/scorer.hpp"

namespace pyds {

struct DecoderOptions {
  std::size_t beam_width = 500;     // prefixes kept per frame (released DeepSpeech/Coqui models use 500)
  double cutoff_prob = 1.0;         // class pruning: keep the most probable classes up to this mass, (0, 1]
  std::size_t cutoff_top_n = 40;    // class pruning: at most this many classes per frame (DeepSpeech: 40)
  std::size_t num_results = 1;      // transcripts decode() returns by default, best first
  std::optional<double> alpha;      // language-model weight; unset = the scorer's default
  std::optional<double> beta;       // word-insertion bonus; unset = the scorer's default
  double frame_step_seconds = 0.02; // audio time between two posterior frames (start_time = timestep * this)

  // Throws InvalidArgument naming the field when a value is out of range.
  void validate() const;
};

// Extra ln-probability (before alpha) for words of the scored n-gram window; only acts with a scorer.
using HotWords = std::unordered_map<std::string, float>;

struct Token {
  unsigned label = 0;       // alphabet label id
  std::string text;         // the label's text (bytes mode: the single byte)
  unsigned timestep = 0;    // frame index (0-based, absolute since the start or the last reset)
  double start_time = 0.0;  // timestep * frame_step_seconds
};

struct Transcript {
  std::string text;           // concatenated token text (bytes mode: raw bytes, possibly invalid UTF-8)
  double confidence = 0.0;    // the beam's final natural-log score (CTC path score + LM terms); not normalised
  std::vector<Token> tokens;  // one per label
};

class CtcBeamSearch {
 public:
  // `scorer` may be null (no language model). Throws InvalidArgument for bad options.
  CtcBeamSearch(const Alphabet& alphabet, DecoderOptions options = {}, std::shared_ptr<const Scorer> scorer = nullptr,
                HotWords hot_words = {});
  ~CtcBeamSearch();
  CtcBeamSearch(CtcBeamSearch&&) noexcept;
  CtcBeamSearch& operator=(CtcBeamSearch&&) noexcept;
  CtcBeamSearch(const CtcBeamSearch&) = delete;
  CtcBeamSearch& operator=(const CtcBeamSearch&) = delete;

  // Feeds `n_frames` softmax rows, row-major [n_frames, alphabet.num_classes()]. Validates the whole chunk
  // (finite, non-negative) before touching the state: a bad chunk throws InvalidArgument and changes nothing.
  void next(const float* probs, std::size_t n_frames);
  // The best `num_results` transcripts so far, best first (fewer when fewer prefixes are alive). With a
  // scorer, each prefix's trailing partial word is LM-scored, as DeepSpeech does for intermediate and final
  // results alike. Does not change the state.
  std::vector<Transcript> decode(std::size_t num_results) const;
  std::vector<Transcript> decode() const;
  // Back to the state before the first frame (same options, scorer and hot words).
  void reset();

  std::size_t frames() const;  // frames fed since construction or reset()
  const DecoderOptions& options() const;
  const Alphabet& alphabet() const;
  double alpha() const;  // the weights in use (float-rounded, as DeepSpeech stores them); 0 without a scorer
  double beta() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// One-shot beam search over probs [n_frames, alphabet.num_classes()] (row-major float32 softmax rows).
std::vector<Transcript> ctc_beam_search(const float* probs, std::size_t n_frames, std::size_t n_classes,
                                        const Alphabet& alphabet, const DecoderOptions& options,
                                        std::shared_ptr<const Scorer> scorer = nullptr, const HotWords& hot_words = {});

// Best-path decoding: the most probable class per frame, repeats merged, blanks removed. A token's
// timestep is the first frame of its run; confidence is the sum of the chosen classes' ln-probabilities.
Transcript ctc_greedy(const float* probs, std::size_t n_frames, std::size_t n_classes, const Alphabet& alphabet,
                      double frame_step_seconds = DecoderOptions{}.frame_step_seconds);

}  // namespace pyds
