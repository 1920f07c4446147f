#include <pybind11/stl.h>

#include "pyds/alphabet.hpp"
#include "python/bindings.hpp"

namespace pyds::python {

void bind_alphabet(py::module_& m) {
  py::class_<Alphabet>(m, "Alphabet", R"doc(
The label set of an acoustic model. Label i is output class i; the CTC blank is the last class
(index ``len(alphabet)``). Character mode (labels are strings) or UTF-8 bytes mode (255 byte labels).
)doc")
      .def(py::init([](std::vector<std::string> labels) { return Alphabet::from_labels(std::move(labels)); }),
           py::arg("labels"), "An alphabet from its labels in class order (blank excluded).")
      .def_static("from_file", &Alphabet::from_file, py::arg("path"),
                  "Read a DeepSpeech alphabet.txt (one label per line, '#' comments, '\\#' for '#').")
      .def_static(
          "from_bytes", [](const py::bytes& b) { return Alphabet::from_serialized(std::string(b)); },
          py::arg("serialized"), "Parse the serialized form stored in a model's metadata_alphabet.")
      .def_static("utf8", &Alphabet::utf8, "The UTF-8 bytes-mode alphabet (labels are bytes 1..255).")
      .def("__len__", &Alphabet::size)
      .def_property_readonly("labels", &Alphabet::labels, "Labels in class order (str; bytes mode: latin-1 chars).")
      .def_property_readonly("num_classes", &Alphabet::num_classes, "Labels plus the blank.")
      .def_property_readonly("blank", &Alphabet::blank, "Index of the CTC blank class (the last one).")
      .def_property_readonly("is_utf8", &Alphabet::is_utf8, "True in UTF-8 bytes mode.")
      .def_property_readonly("space_label", &Alphabet::space_label, "Index of the ' ' label, or -1.")
      .def(
          "decode", [](const Alphabet& a, const std::vector<unsigned>& labels) { return py::bytes(a.decode(labels)); },
          py::arg("labels"), "The concatenated label bytes of a label sequence.")
      .def(
          "encode", [](const Alphabet& a, const std::string& text) { return a.encode(text); }, py::arg("text"),
          "Split UTF-8 text into labels (bytes mode: one label per byte).")
      .def(
          "serialize", [](const Alphabet& a) { return py::bytes(a.serialize()); },
          "The metadata_alphabet serialization of this alphabet.")
      .def("__eq__", &Alphabet::operator==, py::arg("other"))
      .def("__repr__", [](const Alphabet& a) {
        return std::string("Alphabet(") + (a.is_utf8() ? "utf8" : std::to_string(a.size()) + " labels") + ")";
      });
}

}  // namespace pyds::python
