// Best-path CTC decoding: argmax per frame, runs merged, blanks dropped.
#include <cmath>
#include <string>

#include "pyds/decoder.hpp"
#include "pyds/errors.hpp"

namespace pyds {

Transcript ctc_greedy(const float* probs, std::size_t n_frames, std::size_t n_classes, const Alphabet& alphabet,
                      double frame_step_seconds) {
  if (n_classes != alphabet.num_classes())
    throw_error(ErrorKind::InvalidArgument, "probs has " + std::to_string(n_classes) +
                                                " classes but the alphabet needs " +
                                                std::to_string(alphabet.num_classes()) + " (labels + blank)");
  if (!(frame_step_seconds > 0.0)) throw_error(ErrorKind::InvalidArgument, "frame_step_seconds must be positive");
  const unsigned blank = alphabet.blank();
  const auto& labels = alphabet.labels();
  Transcript out;
  double log_prob = 0.0;
  unsigned previous = blank;
  for (std::size_t t = 0; t < n_frames; ++t) {
    const float* row = probs + t * n_classes;
    unsigned best = 0;
    for (unsigned c = 0; c < n_classes; ++c) {
      const float v = row[c];
      if (!(v >= 0.0f) || !std::isfinite(v))
        throw_error(ErrorKind::InvalidArgument, "probs holds a NaN, infinite or negative value at frame " +
                                                    std::to_string(t) + ", class " + std::to_string(c));
      if (v > row[best]) best = c;
    }
    log_prob += std::log(static_cast<double>(row[best]));
    if (best != blank && best != previous) {
      Token tok;
      tok.label = best;
      tok.text = labels[best];
      tok.timestep = static_cast<unsigned>(t);
      tok.start_time = t * frame_step_seconds;
      out.text += tok.text;
      out.tokens.push_back(std::move(tok));
    }
    previous = best;
  }
  out.confidence = log_prob;
  return out;
}

}  // namespace pyds
