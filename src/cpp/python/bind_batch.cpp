#include <pybind11/stl.h>

#include <string>

#include "pyds/batch.hpp"
#include "pyds/model.hpp"
#include "python/bindings.hpp"

namespace pyds::python {

void bind_batch(py::module_& m) {
  const BatchOptions defaults;
  py::class_<BatchEngine>(m, "BatchEngine",
                          "Many utterances as the rows of one batched inference (use pyds.Model.transcribe_batch).")
      .def(py::init([](std::shared_ptr<Model> model, std::size_t batch_size, std::size_t decoder_threads) {
             BatchOptions o;
             o.batch_size = batch_size;
             o.decoder_threads = decoder_threads;
             py::gil_scoped_release release;
             return std::make_unique<BatchEngine>(std::move(model), o);
           }),
           py::arg("model"), py::kw_only(), py::arg("batch_size") = defaults.batch_size,
           py::arg("decoder_threads") = defaults.decoder_threads)
      .def_property_readonly("batch_size", &BatchEngine::batch_size)
      .def_property_readonly("decoder_threads", &BatchEngine::decoder_threads)
      .def(
          "last_run_stats",
          [](BatchEngine& engine) {
            BatchStats s;
            {
              py::gil_scoped_release release;
              s = engine.last_run_stats();
            }
            py::dict d;
            d["inference_s"] = s.inference_s;
            d["features_s"] = s.features_s;
            d["waiting_s"] = s.waiting_s;
            d["total_s"] = s.total_s;
            d["requests"] = s.requests;
            d["rows"] = s.rows;
            return d;
          },
          "The profile of the last run: seconds in inference, features and waiting for the decoders, wall "
          "seconds, requests and rows.")
      .def(
          "run",
          [](BatchEngine& engine, const py::sequence& audios, std::size_t num_results) {
            // The arrays stay referenced by `keep` while the engine reads them without the GIL.
            std::vector<py::array> keep;
            std::vector<SampleView> views;
            keep.reserve(audios.size());
            views.reserve(audios.size());
            for (std::size_t i = 0; i < audios.size(); ++i) {
              const std::string what = "audios[" + std::to_string(i) + "]";
              py::object item = audios[i];
              if (!py::isinstance<py::array>(item))
                throw py::type_error(what + " must be a numpy array of int16 or float32 samples, got " +
                                     py::str(py::type::of(item).attr("__name__")).cast<std::string>());
              keep.push_back(item.cast<py::array>());
              views.push_back(sample_view(keep.back(), what.c_str()));
            }
            py::gil_scoped_release release;
            return engine.run(views, num_results);
          },
          py::arg("audios"), py::arg("num_results") = 1,
          "Per input, in order: its best num_results transcripts (the Model's decoder settings at call time).");
}

}  // namespace pyds::python
