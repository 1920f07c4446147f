// pyds::Error kinds → pyds.errors classes. The classes live in Python (pyds/errors.py) so that they can
// also derive from ValueError/OSError. They are looked up per error (a sys.modules hit) rather than held in a
// static py::object, whose destructor would run after the interpreter is gone.
#include "pyds/c/stt_types.h"
#include "pyds/errors.hpp"
#include "python/bindings.hpp"

namespace pyds::python {

namespace {
const char* class_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return "InvalidArgumentError";
    case ErrorKind::InvalidAudio: return "InvalidAudioError";
    case ErrorKind::InvalidModel: return "InvalidModelError";
    case ErrorKind::InvalidScorer: return "InvalidScorerError";
    case ErrorKind::InvalidAlphabet: return "InvalidAlphabetError";
    case ErrorKind::ModelNotFound: return "ModelNotFoundError";
    case ErrorKind::Runtime: return "PydsRuntimeError";
  }
  return "PydsError";
}
}  // namespace

void bind_errors(py::module_& m) {
  m.attr("_errors") = py::module_::import("pyds.errors");

  // The C ABI's error table (stt_types.h), for pyds.compat: (name without DS_/STT_, value, message).
  py::list codes;
#define PYDS_PY_ERROR_CODE(NAME, VALUE, MESSAGE) codes.append(py::make_tuple(#NAME, VALUE, MESSAGE));
  PYDS_FOR_EACH_ERROR(ERR_, PYDS_PY_ERROR_CODE)
#undef PYDS_PY_ERROR_CODE
  m.attr("C_ERROR_CODES") = py::tuple(codes);
  m.attr("C_UNKNOWN_ERROR_MESSAGE") = PYDS_UNKNOWN_ERROR_MESSAGE;

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      py::object cls = py::module_::import("pyds.errors").attr(class_name(e.kind()));
      PyErr_SetString(cls.ptr(), e.what());
    }
  });
}

SampleView sample_view(const py::array& array, const char* what) {
  if (array.ndim() != 1)
    throw py::value_error(std::string(what) + " must be a 1-D array of mono samples, got " +
                          std::to_string(array.ndim()) + " dimensions");
  const auto itemsize = array.itemsize();
  const auto stride_bytes = array.strides(0);
  if (stride_bytes % itemsize != 0)
    throw py::value_error(std::string(what) + " has a stride that is not whole samples");
  const std::ptrdiff_t stride = stride_bytes / itemsize;
  const auto n = static_cast<std::size_t>(array.shape(0));
  const py::dtype dt = array.dtype();
  const bool native = dt.byteorder() != '>';  // '=' native, '|' not applicable, '<' little (this machine)
  if (native && dt.kind() == 'f' && dt.itemsize() == 4)
    return SampleView::of(static_cast<const float*>(array.data()), n, stride);
  if (native && dt.kind() == 'i' && dt.itemsize() == 2)
    return SampleView::of(static_cast<const std::int16_t*>(array.data()), n, stride);
  throw py::type_error(std::string(what) + " must be int16 or float32 samples, got dtype " +
                       py::str(array.dtype()).cast<std::string>() +
                       " (convert with array.astype(numpy.float32) or numpy.int16)");
}

}  // namespace pyds::python
