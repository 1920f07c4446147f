#include <pybind11/stl.h>

#include <mutex>

#include "pyds/model.hpp"
#include "pyds/stream.hpp"
#include "python/bindings.hpp"
#include "runtime/acoustic_model.hpp"

namespace pyds::python {

namespace {

// Python threads may share one Stream object; the C++ Stream is single-threaded, so calls are serialized here.
// The lock is only ever taken with the GIL released (a thread holding the GIL while it waits for the lock would
// deadlock with the lock's holder waiting for the GIL).
struct PyStream {
  std::unique_ptr<Stream> stream;
  std::mutex mutex;

  // Runs f(stream) under the lock, without the GIL.
  template <typename F>
  auto locked(F&& f) -> decltype(f(*stream)) {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex);
    return f(*stream);
  }
};

std::string best_text(const std::vector<Transcript>& results) {
  return results.empty() ? std::string() : results[0].text;
}

std::vector<Transcript> run_utterance(const Model& model, const SampleView& audio, std::size_t num_results,
                                      std::vector<float>* probabilities = nullptr) {
  auto stream = model.create_stream();
  stream->record_probabilities(probabilities != nullptr);
  stream->feed_audio(audio);
  auto results = stream->finish(num_results);
  if (probabilities) *probabilities = stream->probabilities();
  return results;
}

}  // namespace

void bind_runtime(py::module_& m) {
  const ModelOptions defaults;
  // Registered before Model so that create_stream's signature (and the generated stubs) name it.
  py::class_<PyStream> stream(m, "Stream", "One utterance's streaming state (create with Model.create_stream()).");
  py::class_<Model, std::shared_ptr<Model>>(
      m, "Model", "A compiled model bundle (use pyds.Model, which resolves model names and files).")
      .def(py::init([](const std::string& bundle_dir, const std::string& device, const std::string& cache_dir,
                       int threads, const std::string& numerics, std::size_t beam_width, bool batch_streams,
                       std::size_t live_batch_rows, bool bundled_scorer) {
             ModelOptions o;
             o.device = device;
             o.cache_dir = cache_dir;
             o.threads = threads;
             o.numerics = numerics;
             o.beam_width = beam_width;
             o.batch_streams = batch_streams;
             o.live_batch_rows = live_batch_rows;
             o.bundled_scorer = bundled_scorer;
             py::gil_scoped_release release;
             return Model::load(bundle_dir, o);
           }),
           py::arg("bundle_dir"), py::kw_only(), py::arg("device") = defaults.device,
           py::arg("cache_dir") = defaults.cache_dir, py::arg("threads") = defaults.threads,
           py::arg("numerics") = defaults.numerics, py::arg("beam_width") = defaults.beam_width,
           py::arg("batch_streams") = defaults.batch_streams, py::arg("live_batch_rows") = defaults.live_batch_rows,
           py::arg("bundled_scorer") = defaults.bundled_scorer)
      .def_property_readonly("sample_rate", &Model::sample_rate)
      .def_property_readonly("feature_options", &Model::feature_options,
                             "The MFCC front end the streams use (from pyds.json: rate, window, mfcc_upper_hz).")
      .def_property_readonly("alphabet", &Model::alphabet, py::return_value_policy::reference_internal)
      .def_property_readonly("language", &Model::language)
      .def_property_readonly("numerics", &Model::numerics)
      .def_property_readonly("device", &Model::device)
      .def_property_readonly("bundle_dir", &Model::bundle_dir)
      .def_property_readonly("bundled_scorer", &Model::bundled_scorer)
      .def_property_readonly("n_steps", &Model::n_steps)
      .def_property_readonly("n_context", &Model::n_context)
      .def_property_readonly("n_cell", &Model::n_cell)
      .def_property("beam_width", &Model::beam_width, &Model::set_beam_width)
      .def("compiled_property", &Model::compiled_property, py::arg("name"))
      .def_property_readonly("batchable", &Model::batchable,
                             "True when the compiled model takes several rows per request (a dynamic batch).")
      .def_property_readonly("batch_streams", &Model::batches_streams,
                             "True when streams share batched inference (the live scheduler).")
      .def(
          "time_inference",
          [](const Model& model, std::size_t rows, std::size_t requests) {
            py::gil_scoped_release release;
            return model.acoustic().time_requests(rows, requests);
          },
          py::arg("rows") = 1, py::arg("requests") = 20,
          "The raw inference ceiling: mean seconds of one request of `rows` chunks on the compiled model "
          "(no features, no decoder; one warm-up request first).")
      .def_property_readonly("live_rounds", &Model::live_rounds, "Batched requests the live scheduler has run so far.")
      .def_property_readonly("live_rows", &Model::live_rows,
                             "Stream chunks the live scheduler has inferred so far (rows over all rounds).")
      .def(
          "enable_scorer",
          [](Model& model, const ScorerHandle& scorer, std::optional<double> alpha, std::optional<double> beta) {
            // Explicit weights win; else the Scorer object's own (which default to the file's).
            model.enable_scorer(scorer.scorer, alpha ? alpha : std::optional<double>(scorer.alpha),
                                beta ? beta : std::optional<double>(scorer.beta));
          },
          py::arg("scorer"), py::arg("alpha") = py::none(), py::arg("beta") = py::none())
      .def("disable_scorer", &Model::disable_scorer)
      .def_property_readonly("has_scorer", &Model::has_scorer)
      .def("set_scorer_alpha_beta", &Model::set_scorer_alpha_beta, py::arg("alpha"), py::arg("beta"))
      .def("add_hot_word", &Model::add_hot_word, py::arg("word"), py::arg("boost"))
      .def("erase_hot_word", &Model::erase_hot_word, py::arg("word"))
      .def("clear_hot_words", &Model::clear_hot_words)
      .def_property_readonly("hot_words", [](const Model& model) { return model.decoder_settings().hot_words; })
      .def("create_stream",
           [](const Model& model) {
             auto s = std::make_unique<PyStream>();
             py::gil_scoped_release release;
             s->stream = model.create_stream();
             return s;
           })
      .def(
          "stt",
          [](const Model& model, const py::array& audio) {
            const SampleView view = sample_view(audio);
            std::vector<Transcript> results;
            {
              py::gil_scoped_release release;
              results = run_utterance(model, view, 1);
            }
            return utf8_text(best_text(results));
          },
          py::arg("audio"))
      .def(
          "stt_with_metadata",
          [](const Model& model, const py::array& audio, std::size_t num_results) {
            const SampleView view = sample_view(audio);
            py::gil_scoped_release release;
            return run_utterance(model, view, num_results);
          },
          py::arg("audio"), py::arg("num_results") = 1)
      .def(
          "compute_probabilities",
          [](const Model& model, const py::array& audio) {
            const SampleView view = sample_view(audio);
            std::vector<float> probs;
            {
              py::gil_scoped_release release;
              run_utterance(model, view, 1, &probs);
            }
            const auto c = static_cast<py::ssize_t>(model.alphabet().num_classes());
            const auto t = static_cast<py::ssize_t>(probs.size()) / c;
            return to_numpy(std::move(probs), {t, c});
          },
          py::arg("audio"));

  stream
      .def(
          "feed_audio_content",
          [](PyStream& s, const py::array& chunk) {
            const SampleView view = sample_view(chunk);
            s.locked([&](Stream& st) { st.feed_audio(view); });
          },
          py::arg("chunk"))
      .def("intermediate_decode",
           [](PyStream& s) {
             auto results = s.locked([](Stream& st) { return st.intermediate_decode(1); });
             return utf8_text(best_text(results));
           })
      .def(
          "intermediate_decode_with_metadata",
          [](PyStream& s, std::size_t num_results) {
            return s.locked([&](Stream& st) { return st.intermediate_decode(num_results); });
          },
          py::arg("num_results") = 1)
      .def("finish_stream",
           [](PyStream& s) {
             auto results = s.locked([](Stream& st) { return st.finish(1); });
             return utf8_text(best_text(results));
           })
      .def(
          "finish_stream_with_metadata",
          [](PyStream& s, std::size_t num_results) {
            return s.locked([&](Stream& st) { return st.finish(num_results); });
          },
          py::arg("num_results") = 1)
      .def(
          "intermediate_decode_flush_buffers",
          [](PyStream& s, std::size_t num_results) {
            return s.locked([&](Stream& st) { return st.intermediate_decode_flush_buffers(num_results); });
          },
          py::arg("num_results") = 1,
          "Coqui's flushing intermediate decode: runs the buffered audio first (see pyds::Stream).")
      .def("reset", [](PyStream& s) { s.locked([](Stream& st) { st.reset(); }); })
      .def_property_readonly("timesteps",
                             [](PyStream& s) { return s.locked([](Stream& st) { return st.timesteps(); }); })
      .def_property_readonly("finished", [](PyStream& s) { return s.locked([](Stream& st) { return st.finished(); }); })
      .def_property_readonly(
          "batched", [](PyStream& s) { return s.locked([](Stream& st) { return st.batched(); }); },
          "True when this stream's chunks run as rows of the model's live scheduler.");
}

}  // namespace pyds::python
