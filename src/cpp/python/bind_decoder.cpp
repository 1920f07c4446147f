#include "python/bindings.hpp"

namespace pyds::python {

void bind_decoder(py::module_& m) { (void)m; }

}  // namespace pyds::python
