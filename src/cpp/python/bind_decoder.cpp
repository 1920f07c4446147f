// Bindings of pyds/decoder.hpp: argument conversion only. Probabilities cross as float32 numpy views.
#include <pybind11/stl.h>

#include "decoder/table_scorer.hpp"
#include "pyds/decoder.hpp"
#include "pyds/errors.hpp"
#include "python/bindings.hpp"

namespace pyds::python {

namespace {

// A C-contiguous float32 [frames, classes] view of `probs` (no copy). Wrong dtype → TypeError; wrong
// shape, layout or class count → InvalidArgumentError.
const float* probs_view(const py::array& probs, std::size_t num_classes, std::size_t& n_frames) {
  const py::dtype dt = probs.dtype();
  if (!(dt.kind() == 'f' && dt.itemsize() == 4 && dt.byteorder() != '>'))
    throw py::type_error("probs must be float32, got dtype " + py::str(dt).cast<std::string>() +
                         " (convert with probs.astype(numpy.float32))");
  if (probs.ndim() != 2)
    throw_error(ErrorKind::InvalidArgument,
                "probs must be a 2-D array [frames, classes], got " + std::to_string(probs.ndim()) + " dimensions");
  if (!(probs.flags() & py::array::c_style))
    throw_error(ErrorKind::InvalidArgument, "probs must be C-contiguous (use numpy.ascontiguousarray)");
  const auto classes = static_cast<std::size_t>(probs.shape(1));
  if (classes != num_classes)
    throw_error(ErrorKind::InvalidArgument,
                "probs has " + std::to_string(classes) + " classes but the alphabet needs " +
                    std::to_string(num_classes) +
                    " (labels + blank): the alphabet must be the one the acoustic model was trained with");
  n_frames = static_cast<std::size_t>(probs.shape(0));
  return static_cast<const float*>(probs.data());
}

// A Scorer whose methods are those of a Python object (private: lets tests and experiments plug a Python
// LM, e.g. the kenlm module, into the C++ search). Every call takes the GIL, so it is slow.
class PythonScorer final : public Scorer {
 public:
  explicit PythonScorer(py::object impl) : impl_(std::move(impl)) {
    default_alpha_ = impl_.attr("default_alpha").cast<double>();
    default_beta_ = impl_.attr("default_beta").cast<double>();
    utf8_ = impl_.attr("is_utf8_mode").cast<bool>();
    max_order_ = impl_.attr("max_order").cast<std::size_t>();
    has_trie_ = impl_.attr("has_trie").cast<bool>();
    trie_start_ = has_trie_ ? impl_.attr("trie_start")().cast<TrieState>() : kNoState;
  }
  ~PythonScorer() override {
    py::gil_scoped_acquire gil;
    impl_ = py::object();
  }
  double default_alpha() const override { return default_alpha_; }
  double default_beta() const override { return default_beta_; }
  bool is_utf8_mode() const override { return utf8_; }
  std::size_t max_order() const override { return max_order_; }
  bool has_trie() const override { return has_trie_; }
  TrieState trie_start() const override { return trie_start_; }
  double log_cond_prob(const std::vector<std::string>& words, bool bos, bool eos) const override {
    py::gil_scoped_acquire gil;
    py::list list;
    for (const auto& w : words) list.append(py::bytes(w));
    return impl_.attr("log_cond_prob")(list, bos, eos).cast<double>();
  }
  TrieState trie_next(TrieState state, unsigned label) const override {
    py::gil_scoped_acquire gil;
    return impl_.attr("trie_next")(state, label).cast<TrieState>();
  }
  bool trie_is_final(TrieState state) const override {
    py::gil_scoped_acquire gil;
    return impl_.attr("trie_is_final")(state).cast<bool>();
  }

 private:
  py::object impl_;
  double default_alpha_ = 0, default_beta_ = 0;
  bool utf8_ = false, has_trie_ = false;
  std::size_t max_order_ = 0;
  TrieState trie_start_ = kNoState;
};

std::shared_ptr<const Scorer> scorer_of(const py::object& scorer) {
  if (scorer.is_none()) return nullptr;
  if (py::isinstance<decoder::TableScorer>(scorer)) return scorer.cast<std::shared_ptr<decoder::TableScorer>>();
  if (py::isinstance<PythonScorer>(scorer)) return scorer.cast<std::shared_ptr<PythonScorer>>();
  if (py::isinstance<ScorerHandle>(scorer)) return scorer.cast<const ScorerHandle&>().scorer;
  try {
    return scorer.cast<std::shared_ptr<Scorer>>();
  } catch (const py::cast_error&) {
    throw py::type_error("scorer must be a pyds.decoder.Scorer or None, got " +
                         py::str(py::type::of(scorer)).cast<std::string>());
  }
}

DecoderOptions make_options(std::size_t beam_width, double cutoff_prob, std::size_t cutoff_top_n,
                            std::size_t num_results, std::optional<double> alpha, std::optional<double> beta,
                            double frame_step_seconds) {
  DecoderOptions o;
  o.beam_width = beam_width;
  o.cutoff_prob = cutoff_prob;
  o.cutoff_top_n = cutoff_top_n;
  o.num_results = num_results;
  o.alpha = alpha;
  o.beta = beta;
  o.frame_step_seconds = frame_step_seconds;
  o.validate();
  return o;
}

// Python ints can be negative; size_t parameters would turn -1 into a TypeError with an unhelpful message.
std::size_t count_arg(long long value, const char* name) {
  if (value < 1)
    throw_error(ErrorKind::InvalidArgument, std::string(name) + " must be at least 1, got " + std::to_string(value));
  return static_cast<std::size_t>(value);
}

}  // namespace

void bind_decoder(py::module_& m) {
  const DecoderOptions defaults;

  py::class_<DecoderOptions>(m, "DecoderOptions", "Beam-search settings (defaults: DeepSpeech's).")
      .def(py::init<>())
      .def_readwrite("beam_width", &DecoderOptions::beam_width, "Prefixes kept per frame.")
      .def_readwrite("cutoff_prob", &DecoderOptions::cutoff_prob, "Class pruning by cumulative probability, (0, 1].")
      .def_readwrite("cutoff_top_n", &DecoderOptions::cutoff_top_n, "Class pruning: at most this many classes.")
      .def_readwrite("num_results", &DecoderOptions::num_results, "Transcripts returned by default.")
      .def_readwrite("alpha", &DecoderOptions::alpha, "LM weight; None = the scorer's default.")
      .def_readwrite("beta", &DecoderOptions::beta, "Word insertion bonus; None = the scorer's default.")
      .def_readwrite("frame_step_seconds", &DecoderOptions::frame_step_seconds, "Seconds between two frames.");

  py::class_<Token>(m, "Token", "One decoded label (C++ result; pyds.decoder.Token is the public form).")
      .def_readonly("label", &Token::label)
      .def_property_readonly("text_bytes", [](const Token& t) { return py::bytes(t.text); })
      .def_readonly("timestep", &Token::timestep)
      .def_readonly("start_time", &Token::start_time);

  py::class_<Transcript>(m, "Transcript", "One decoded beam (C++ result; pyds.decoder.Transcript is the public form).")
      .def_property_readonly("text_bytes", [](const Transcript& t) { return py::bytes(t.text); })
      .def_readonly("confidence", &Transcript::confidence)
      .def_readonly("tokens", &Transcript::tokens);

  m.def(
      "ctc_beam_search",
      [](const py::array& probs, const Alphabet& alphabet, long long beam_width, double cutoff_prob,
         long long cutoff_top_n, const py::object& scorer, const HotWords& hot_words, long long num_results,
         std::optional<double> alpha, std::optional<double> beta, double frame_step_seconds) {
        const DecoderOptions options =
            make_options(count_arg(beam_width, "beam_width"), cutoff_prob, count_arg(cutoff_top_n, "cutoff_top_n"),
                         count_arg(num_results, "num_results"), alpha, beta, frame_step_seconds);
        std::size_t n_frames = 0;
        const float* data = probs_view(probs, alphabet.num_classes(), n_frames);
        auto lm = scorer_of(scorer);
        py::gil_scoped_release release;
        return ctc_beam_search(data, n_frames, alphabet.num_classes(), alphabet, options, std::move(lm), hot_words);
      },
      py::arg("probs"), py::arg("alphabet"), py::arg("beam_width"), py::kw_only(),
      py::arg("cutoff_prob") = defaults.cutoff_prob, py::arg("cutoff_top_n") = defaults.cutoff_top_n,
      py::arg("scorer") = py::none(), py::arg("hot_words") = HotWords{}, py::arg("num_results") = defaults.num_results,
      py::arg("alpha") = py::none(), py::arg("beta") = py::none(),
      py::arg("frame_step_seconds") = defaults.frame_step_seconds,
      "DeepSpeech's CTC prefix beam search over float32 softmax rows [frames, classes]; best first.");

  m.def(
      "ctc_greedy",
      [](const py::array& probs, const Alphabet& alphabet, double frame_step_seconds) {
        std::size_t n_frames = 0;
        const float* data = probs_view(probs, alphabet.num_classes(), n_frames);
        py::gil_scoped_release release;
        return ctc_greedy(data, n_frames, alphabet.num_classes(), alphabet, frame_step_seconds);
      },
      py::arg("probs"), py::arg("alphabet"), py::kw_only(), py::arg("frame_step_seconds") = defaults.frame_step_seconds,
      "Best-path decoding: argmax per frame, repeats merged, blanks removed.");

  // A small in-memory LM for testing the LM fusion without KenLM files (private: tests only).
  py::class_<decoder::TableScorer, std::shared_ptr<decoder::TableScorer>>(
      m, "_TableScorer", "In-memory n-gram table + vocabulary trie implementing the Scorer interface (tests).")
      .def(py::init([](const Alphabet& alphabet, std::map<std::vector<std::string>, double> ngrams,
                       std::vector<std::string> vocabulary, std::size_t order, bool utf8_mode, double alpha,
                       double beta, bool with_trie, double unlisted_log10) {
             return std::make_shared<decoder::TableScorer>(alphabet, std::move(ngrams), std::move(vocabulary), order,
                                                           utf8_mode, alpha, beta, with_trie, unlisted_log10);
           }),
           py::arg("alphabet"), py::arg("ngrams"), py::arg("vocabulary"), py::arg("order"), py::arg("utf8_mode"),
           py::arg("alpha"), py::arg("beta"), py::arg("with_trie") = true, py::arg("unlisted_log10") = -4.0)
      .def("log_cond_prob", &decoder::TableScorer::log_cond_prob, py::arg("words"), py::arg("bos"),
           py::arg("eos") = false)
      .def_property_readonly("max_order", &decoder::TableScorer::max_order)
      .def_property_readonly("is_utf8_mode", &decoder::TableScorer::is_utf8_mode)
      .def_property_readonly("default_alpha", &decoder::TableScorer::default_alpha)
      .def_property_readonly("default_beta", &decoder::TableScorer::default_beta)
      .def_property_readonly("has_trie", &decoder::TableScorer::has_trie)
      .def("trie_start", &decoder::TableScorer::trie_start)
      .def("trie_next", &decoder::TableScorer::trie_next, py::arg("state"), py::arg("label"))
      .def("trie_is_final", &decoder::TableScorer::trie_is_final, py::arg("state"));

  py::class_<PythonScorer, std::shared_ptr<PythonScorer>>(
      m, "_PythonScorer",
      "Wraps a Python object with the Scorer methods (default_alpha, default_beta, is_utf8_mode, max_order, "
      "has_trie, trie_start(), trie_next(state, label), trie_is_final(state), log_cond_prob(words: list[bytes], "
      "bos, eos)) for the C++ search (private; slow: every call takes the GIL).")
      .def(py::init<py::object>(), py::arg("impl"));

  using LockedSearch = Locked<CtcBeamSearch>;
  py::class_<LockedSearch>(m, "CtcBeamSearch",
                           "Streaming CTC beam search: feed chunks with next(), decode() any time. Threads may share "
                           "one: their calls run one at a time (each waits for the other's, with the GIL released).")
      .def(py::init([](const Alphabet& alphabet, long long beam_width, double cutoff_prob, long long cutoff_top_n,
                       const py::object& scorer, const HotWords& hot_words, long long num_results,
                       std::optional<double> alpha, std::optional<double> beta, double frame_step_seconds) {
             return std::make_unique<LockedSearch>(
                 alphabet,
                 make_options(count_arg(beam_width, "beam_width"), cutoff_prob, count_arg(cutoff_top_n, "cutoff_top_n"),
                              count_arg(num_results, "num_results"), alpha, beta, frame_step_seconds),
                 scorer_of(scorer), hot_words);
           }),
           py::arg("alphabet"), py::arg("beam_width") = defaults.beam_width, py::kw_only(),
           py::arg("cutoff_prob") = defaults.cutoff_prob, py::arg("cutoff_top_n") = defaults.cutoff_top_n,
           py::arg("scorer") = py::none(), py::arg("hot_words") = HotWords{},
           py::arg("num_results") = defaults.num_results, py::arg("alpha") = py::none(), py::arg("beta") = py::none(),
           py::arg("frame_step_seconds") = defaults.frame_step_seconds)
      .def(
          "next",
          [](LockedSearch& self, const py::array& probs) {
            std::size_t n_frames = 0;
            const float* data = probs_view(probs, self.fixed().alphabet().num_classes(), n_frames);
            self.locked([&](CtcBeamSearch& search) { search.next(data, n_frames); });
          },
          py::arg("probs"), "Feed float32 softmax rows [frames, classes].")
      .def(
          "decode",
          [](LockedSearch& self, std::optional<long long> num_results) {
            const std::size_t n =
                num_results ? count_arg(*num_results, "num_results") : self.fixed().options().num_results;
            return self.locked([&](const CtcBeamSearch& search) { return search.decode(n); });
          },
          py::arg("num_results") = py::none(), "The best transcripts so far (the state is unchanged).")
      .def(
          "reset", [](LockedSearch& self) { self.locked([](CtcBeamSearch& search) { search.reset(); }); },
          "Start a new utterance with the same settings.")
      .def_property_readonly(
          "frames", [](LockedSearch& self) { return self.locked([](const CtcBeamSearch& s) { return s.frames(); }); },
          "Frames fed since construction or reset().")
      .def_property_readonly(
          "alpha", [](const LockedSearch& self) { return self.fixed().alpha(); },
          "LM weight in use (0 without a scorer).")
      .def_property_readonly(
          "beta", [](const LockedSearch& self) { return self.fixed().beta(); },
          "Word bonus in use (0 without a scorer).")
      .def_property_readonly(
          "options", [](const LockedSearch& self) { return self.fixed().options(); }, "The settings.");
}

}  // namespace pyds::python
