// The one validation of pyds.json (runtime/bundle.hpp) for pyds.bundle, which reads and writes bundles in
// Python but checks them here, with the rules the runtime and the C ABI apply.
#include <string>

#include "python/bindings.hpp"
#include "runtime/bundle.hpp"

namespace pyds::python {

void bind_bundle(py::module_& m) {
  m.def(
      "check_bundle",
      [](const std::string& directory) {
        py::gil_scoped_release release;
        runtime::read_bundle(directory);
      },
      py::arg("directory"),
      "Validate <directory>/pyds.json (every field, unknown fields are errors) and that its IR files exist. "
      "ModelNotFoundError when the manifest cannot be opened, InvalidModelError naming file and field.");
  m.def(
      "check_bundle_text",
      [](const std::string& text, const std::string& where) { runtime::parse_bundle(text, where, "."); },
      py::arg("text"), py::arg("where"),
      "Validate the text of a pyds.json with the same rules (no file is read); errors name ``where``.");
}

}  // namespace pyds::python
