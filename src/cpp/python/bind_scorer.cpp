#include <pybind11/stl.h>

#include "common/numbers.hpp"
#include "pyds/scorer.hpp"
#include "pyds/scorer_package.hpp"
#include "python/bindings.hpp"

namespace pyds::python {

namespace {
std::string fspath(const py::object& path) { return py::str(py::module_::import("os").attr("fspath")(path)); }
}  // namespace

void bind_scorer(py::module_& m) {
  py::class_<ScorerHandle>(m, "Scorer", R"doc(
An external scorer: a KenLM n-gram language model with its vocabulary trie and default weights.

Reads a DeepSpeech/Coqui ``.scorer`` (memory-mapped; nothing is parsed beyond the headers), a bare KenLM
binary or an ARPA file. For the bare LM forms, ``vocabulary`` (a file of whitespace-separated words) builds
the trie; without it, the LM's own words do. ``alpha``/``beta`` default to the scorer's own defaults.
Immutable apart from the weights; the underlying model is shared, never copied.
)doc")
      .def(py::init([](const py::object& path, const Alphabet& alphabet, std::optional<double> alpha,
                       std::optional<double> beta, const py::object& vocabulary) {
             const std::string p = fspath(path);
             const std::string v = vocabulary.is_none() ? std::string() : fspath(vocabulary);
             std::shared_ptr<const Scorer> scorer;
             {
               py::gil_scoped_release release;
               scorer = Scorer::load(p, alphabet, v);
             }
             ScorerHandle h{scorer, alpha.value_or(scorer->default_alpha()), beta.value_or(scorer->default_beta())};
             return h;
           }),
           py::arg("path"), py::arg("alphabet"), py::arg("alpha") = py::none(), py::arg("beta") = py::none(),
           py::arg("vocabulary") = py::none())
      .def_readonly("alpha", &ScorerHandle::alpha, "Language model weight used when decoding.")
      .def_readonly("beta", &ScorerHandle::beta, "Word insertion bonus used when decoding.")
      .def(
          "set_alpha_beta",
          [](ScorerHandle& h, double alpha, double beta) {
            h.alpha = alpha;
            h.beta = beta;
          },
          py::arg("alpha"), py::arg("beta"), "Set the weights used when decoding.")
      .def_property_readonly(
          "default_alpha", [](const ScorerHandle& h) { return h.scorer->default_alpha(); },
          "Alpha stored in the scorer file (DeepSpeech's default for bare LMs).")
      .def_property_readonly(
          "default_beta", [](const ScorerHandle& h) { return h.scorer->default_beta(); },
          "Beta stored in the scorer file (DeepSpeech's default for bare LMs).")
      .def_property_readonly(
          "is_utf8_mode", [](const ScorerHandle& h) { return h.scorer->is_utf8_mode(); },
          "True for a UTF-8 (bytes) scorer, whose words are single codepoints.")
      .def_property_readonly(
          "max_order", [](const ScorerHandle& h) { return h.scorer->max_order(); }, "The LM's n-gram order.")
      .def(
          "log_cond_prob",
          [](const ScorerHandle& h, const std::vector<std::string>& words, bool bos, bool eos) {
            return h.scorer->log_cond_prob(words, bos, eos);
          },
          py::arg("words"), py::arg("bos") = false, py::arg("eos") = false,
          "DeepSpeech's get_log_cond_prob: ln P(last word | the words before it), from the sentence-start\n"
          "state when ``bos`` (else no context); with ``eos`` the ln P of </s> after the words. Any word\n"
          "outside the LM vocabulary gives -1000.")
      .def_property_readonly(
          "trie_start", [](const ScorerHandle& h) { return h.scorer->trie_start(); },
          "Start state of the vocabulary trie.")
      .def(
          "trie_next",
          [](const ScorerHandle& h, std::int64_t state, unsigned label) -> std::optional<std::int64_t> {
            const auto next = h.scorer->trie_next(state, label);
            if (next == Scorer::kNoState) return std::nullopt;
            return next;
          },
          py::arg("state"), py::arg("label"),
          "The trie state after alphabet label ``label``, or None when no vocabulary word continues so.")
      .def(
          "trie_is_final", [](const ScorerHandle& h, std::int64_t state) { return h.scorer->trie_is_final(state); },
          py::arg("state"), "True when ``state`` ends a vocabulary word (after its space in word mode).")
      .def("__repr__", [](const ScorerHandle& h) {
        return "Scorer(order=" + std::to_string(h.scorer->max_order()) + (h.scorer->is_utf8_mode() ? ", utf8" : "") +
               ", alpha=" + numbers::format(h.alpha) + ", beta=" + numbers::format(h.beta) + ")";
      });

  m.def(
      "write_scorer_package",
      [](const py::object& lm, const py::object& output, const Alphabet& alphabet, double default_alpha,
         double default_beta, const py::object& vocabulary) {
        const std::string lm_path = fspath(lm), out = fspath(output);
        const std::string v = vocabulary.is_none() ? std::string() : fspath(vocabulary);
        ScorerPackageOptions options;
        options.default_alpha = default_alpha;
        options.default_beta = default_beta;
        py::gil_scoped_release release;
        write_scorer_package(lm_path, v, alphabet, options, out);
      },
      py::arg("lm"), py::arg("output"), py::arg("alphabet"), py::arg("default_alpha"), py::arg("default_beta"),
      py::arg("vocabulary") = py::none(),
      "Package a KenLM binary or ARPA file and a vocabulary into a DeepSpeech .scorer (written atomically).");
}

}  // namespace pyds::python
