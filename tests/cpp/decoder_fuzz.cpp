// Random inputs through pyds::CtcBeamSearch, built with ASan/UBSan by tests/test_decoder_sanitizers.py: plain,
// pruned, word-mode and bytes-mode LM (the in-memory TableScorer), streaming == one-shot, bad input.
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <vector>
#include "decoder/table_scorer.hpp"
#include "pyds/decoder.hpp"
#include "pyds/errors.hpp"

int main() {
  std::mt19937 rng(42);
  auto word_alpha = pyds::Alphabet::from_labels({" ", "a", "b", "e", "n", "o", "r", "t"});
  auto utf8 = pyds::Alphabet::utf8();
  std::map<std::vector<std::string>, double> ngrams{
      {{"ab"}, -1.0}, {{"to"}, -0.5}, {{"ab", "to"}, -0.2}, {{"net"}, -2}};
  auto word_lm = std::make_shared<pyds::decoder::TableScorer>(
      word_alpha, ngrams, std::vector<std::string>{"ab", "to", "net", "a", "bet"}, 3, false, 0.8, 1.5, true);
  auto byte_lm = std::make_shared<pyds::decoder::TableScorer>(
      utf8, std::map<std::vector<std::string>, double>{{{"a"}, -1.0}}, std::vector<std::string>{"a", "b", "\xc3\xa9"},
      2, true, 0.9, 1.1, true);
  long total = 0;
  for (int iter = 0; iter < 400; ++iter) {
    const bool bytes = iter % 4 == 3;
    const auto& alpha = bytes ? utf8 : word_alpha;
    const std::size_t C = alpha.num_classes();
    const int T = 1 + rng() % 60;
    std::vector<float> probs(T * C);
    std::normal_distribution<double> noise(0, 1.5);
    for (int t = 0; t < T; ++t) {
      std::vector<double> l(C);
      for (auto& v : l) v = noise(rng);
      l[rng() % C] += 5;
      if (rng() % 2) l[C - 1] += 4;
      if (bytes) {
        l[97 - 1] += 4;
        l[0xC3 - 1] += 3;
        l[0xA9 - 1] += 3;
      }
      double s = 0;
      for (auto& v : l) {
        v = std::exp(v);
        s += v;
      }
      for (std::size_t c = 0; c < C; ++c) probs[t * C + c] = float(l[c] / s);
      if (rng() % 7 == 0)
        for (std::size_t c = 0; c < C; ++c) probs[t * C + c] = c == C - 1 ? 1.0f : 0.0f;
    }
    pyds::DecoderOptions o;
    o.beam_width = 1 + rng() % 64;
    o.cutoff_prob = (rng() % 3 == 0) ? 0.9 : 1.0;
    o.cutoff_top_n = (rng() % 3 == 0) ? 3 : 40;
    o.num_results = 1 + rng() % 8;
    std::shared_ptr<const pyds::Scorer> lm;
    if (rng() % 2)
      lm = bytes ? std::shared_ptr<const pyds::Scorer>(byte_lm) : std::shared_ptr<const pyds::Scorer>(word_lm);
    pyds::HotWords hot{{"ab", 3.0f}, {"to", -2.0f}, {"a", 1.0f}};
    auto whole = pyds::ctc_beam_search(probs.data(), T, C, alpha, o, lm, hot);
    pyds::CtcBeamSearch s(alpha, o, lm, hot);
    for (int f = 0; f < T;) {
      int n = 1 + rng() % 9;
      if (f + n > T) n = T - f;
      s.next(probs.data() + f * C, n);
      s.decode(3);
      f += n;
    }
    auto streamed = s.decode();
    if (streamed.size() != whole.size()) {
      std::printf("size mismatch at %d\n", iter);
      return 1;
    }
    for (std::size_t i = 0; i < whole.size(); ++i) {
      if (streamed[i].text != whole[i].text || streamed[i].confidence != whole[i].confidence) {
        std::printf("mismatch at %d\n", iter);
        return 1;
      }
      if (whole[i].tokens.size() && whole[i].tokens.back().timestep >= unsigned(T)) {
        std::printf("timestep out of range\n");
        return 1;
      }
    }
    s.reset();
    s.next(probs.data(), T);
    total += whole.size();
  }
  // Bad input is an exception, not a crash.
  std::vector<float> bad(8 * 9, 0.1f);
  bad[5] = NAN;
  try {
    pyds::CtcBeamSearch s(word_alpha);
    s.next(bad.data(), 8);
    return 1;
  } catch (const pyds::Error&) {}
  std::printf("ok, %ld results\n", total);
}
