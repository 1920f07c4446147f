// Shared declarations of the pybind11 binding files: one bind_X per public header, plus the argument
// conversions every binding uses. No logic lives in the bindings.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "pyds/features.hpp"
#include "pyds/scorer.hpp"

namespace pyds::python {

namespace py = pybind11;

// What the Python class pyds._core.Scorer holds: the shared, immutable scorer and the weights a decode uses
// (the file's defaults unless set). The decoder binding takes this object to enable LM fusion.
struct ScorerHandle {
  std::shared_ptr<const Scorer> scorer;
  double alpha = 0.0;
  double beta = 0.0;
};

// A stateful C++ object (a beam search, a feature stream) as a Python object that threads may share. Its
// bindings release the GIL while it works, so two threads could otherwise be inside it at once (and crash):
// every call that touches the state goes through locked(), which releases the GIL FIRST and then takes the
// object's own mutex, so no thread ever waits for the mutex while holding the GIL (no deadlock with a thread
// that holds the mutex and needs the GIL). Concurrent calls on one object run one after the other.
template <typename T>
class Locked {
 public:
  template <typename... Args>
  explicit Locked(Args&&... args) : value_(std::forward<Args>(args)...) {}
  Locked(const Locked&) = delete;
  Locked(Locked&&) = delete;
  Locked& operator=(const Locked&) = delete;
  Locked& operator=(Locked&&) = delete;

  // fn(T&) with the GIL released and the lock held. fn must not touch Python objects; its result must be a
  // C++ value (converted to Python after the GIL is back).
  template <typename Fn>
  auto locked(Fn&& fn) {
    py::gil_scoped_release release;
    const std::lock_guard<std::mutex> lock(mutex_);
    return fn(value_);
  }
  // Members fixed at construction (the alphabet, the options), read without the lock.
  const T& fixed() const { return value_; }

 private:
  std::mutex mutex_;
  T value_;
};

void bind_errors(py::module_& m);
void bind_alphabet(py::module_& m);
void bind_features(py::module_& m);
void bind_decoder(py::module_& m);
void bind_scorer(py::module_& m);
void bind_runtime(py::module_& m);
void bind_batch(py::module_& m);
void bind_model_cache(py::module_& m);
void bind_bundle(py::module_& m);

// A 1-D int16 or float32 numpy array as a SampleView over its memory (any stride, no copy). Other dtypes
// raise TypeError, other shapes ValueError. The caller keeps `array` alive while the view is used.
SampleView sample_view(const py::array& array, const char* what = "audio");

// UTF-8 bytes as a Python str, invalid sequences replaced by U+FFFD (bytes-mode models can emit any bytes).
inline py::str utf8_text(const std::string& bytes) {
  PyObject* text = PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()), "replace");
  if (!text) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(text);
}

// A std::vector moved into a numpy array of the given shape: the array owns the vector, nothing is copied.
template <typename T>
py::array_t<T> to_numpy(std::vector<T>&& values, std::vector<py::ssize_t> shape) {
  auto* owner = new std::vector<T>(std::move(values));
  py::capsule free_when_done(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(std::move(shape), owner->data(), free_when_done);
}

}  // namespace pyds::python
