#include <algorithm>
#include <memory>

#include "common/numbers.hpp"
#include "pyds/errors.hpp"
#include "pyds/features.hpp"
#include "python/bindings.hpp"
#include "runtime/context_windows.hpp"

namespace pyds::python {

namespace {
void check_rate(int sample_rate, const FeatureOptions& options) {
  if (sample_rate != options.sample_rate)
    throw_error(ErrorKind::InvalidAudio, "audio is at " + std::to_string(sample_rate) +
                                             " Hz but the features are for " + std::to_string(options.sample_rate) +
                                             " Hz audio; resample it first (pyds.audio.load does)");
}
}  // namespace

void bind_features(py::module_& m) {
  const FeatureOptions defaults;
  py::class_<FeatureOptions>(m, "FeatureOptions", "MFCC front-end parameters (defaults: released models).")
      .def(py::init<>())
      .def_readwrite("sample_rate", &FeatureOptions::sample_rate, "Hz; the only rate the model accepts.")
      .def_readwrite("window_length_ms", &FeatureOptions::window_length_ms, "Feature window (32 ms = 512 samples).")
      .def_readwrite("window_step_ms", &FeatureOptions::window_step_ms, "Hop between windows (20 ms = 320 samples).")
      .def_readwrite("upper_frequency_hz", &FeatureOptions::upper_frequency_hz,
                     "Mfcc upper limit: 8000, or 4000 for DeepSpeech 0.6 graphs.")
      .def_readwrite("lower_frequency_hz", &FeatureOptions::lower_frequency_hz, "Mfcc lower limit (20 Hz).")
      .def_readwrite("filterbank_channels", &FeatureOptions::filterbank_channels, "Mel channels (40).")
      .def_readwrite("dct_coefficients", &FeatureOptions::dct_coefficients, "Coefficients per frame (26).")
      .def_property_readonly("window_samples", &FeatureOptions::window_samples)
      .def_property_readonly("step_samples", &FeatureOptions::step_samples)
      .def("__repr__", [](const FeatureOptions& o) {
        return "FeatureOptions(sample_rate=" + std::to_string(o.sample_rate) +
               ", window_samples=" + std::to_string(o.window_samples()) +
               ", step_samples=" + std::to_string(o.step_samples()) +
               ", upper_frequency_hz=" + numbers::format(o.upper_frequency_hz) + ")";
      });

  m.def(
      "mfcc",
      [](const py::array& samples, int sample_rate, const FeatureOptions& options) {
        check_rate(sample_rate, options);
        const SampleView view = sample_view(samples);
        const MfccComputer computer(options);
        const std::size_t frames = full_window_count(view.size, options);
        py::array_t<float> out({static_cast<py::ssize_t>(frames), static_cast<py::ssize_t>(computer.coefficients())});
        float* dst = out.mutable_data();
        {
          py::gil_scoped_release release;
          mfcc(computer, view, dst);
        }
        return out;
      },
      py::arg("samples"), py::arg("sample_rate") = defaults.sample_rate, py::kw_only(), py::arg("options") = defaults);

  m.def(
      "context_windows",
      [](const py::array_t<float, py::array::c_style>& frames, std::size_t n_context) {
        if (frames.ndim() != 2) throw py::value_error("frames must be a 2-D float32 array [n_frames, n_input]");
        const auto n = static_cast<std::size_t>(frames.shape(0));
        const auto k = static_cast<std::size_t>(frames.shape(1));
        if (k == 0) throw py::value_error("frames must have at least one coefficient");
        // The runtime's own windowing (every stream and batch row uses it), as one chunk of n windows.
        runtime::ContextWindows windows(n_context, k, std::max<std::size_t>(n, 1));
        std::vector<float> out(std::max<std::size_t>(n, 1) * windows.window_floats());
        {
          py::gil_scoped_release release;
          windows.append(frames.data(), n);
          windows.close();
          windows.take_chunk(out.data());
        }
        out.resize(n * windows.window_floats());
        return to_numpy(std::move(out), {static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(2 * n_context + 1),
                                         static_cast<py::ssize_t>(k)});
      },
      py::arg("frames"), py::arg("n_context") = 9, R"doc(
The native client's context windows of MFCC frames: one [2*n_context+1, n_input] window per frame, centred on
it, with n_context zero frames before the first and after the last frame (float32 [n_frames, 2c+1, n_input]).
)doc");

  using LockedStream = Locked<FeatureStream>;
  py::class_<LockedStream>(m, "FeatureStream",
                           "Streaming MFCC: accept() chunks of any size, the frames of the one-shot mfcc() come out. "
                           "Threads may share one: their calls run one at a time, in the order they get the lock.")
      .def(py::init([](int sample_rate, const FeatureOptions& options) {
             check_rate(sample_rate, options);
             return std::make_unique<LockedStream>(std::make_shared<const MfccComputer>(options));
           }),
           py::arg("sample_rate") = defaults.sample_rate, py::kw_only(), py::arg("options") = defaults)
      .def(
          "accept",
          [](LockedStream& self, const py::array& chunk) {
            const SampleView view = sample_view(chunk);
            std::vector<float> frames;
            self.locked([&](FeatureStream& s) { s.accept(view, frames); });
            const auto k = static_cast<py::ssize_t>(self.fixed().coefficients());
            const auto n = static_cast<py::ssize_t>(frames.size()) / k;
            return to_numpy(std::move(frames), {n, k});
          },
          py::arg("chunk"))
      .def("flush",
           [](LockedStream& self) {
             std::vector<float> frames;
             self.locked([&](FeatureStream& s) { s.finish(frames); });
             return to_numpy(std::move(frames), {1, static_cast<py::ssize_t>(self.fixed().coefficients())});
           })
      .def("reset", [](LockedStream& self) { self.locked([](FeatureStream& s) { s.reset(); }); })
      .def_property_readonly("buffered_samples", [](LockedStream& self) {
        return self.locked([](const FeatureStream& s) { return s.buffered_samples(); });
      });
}

}  // namespace pyds::python
