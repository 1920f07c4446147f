#include "python/bindings.hpp"

namespace pyds::python {

void bind_runtime(py::module_& m) { (void)m; }

}  // namespace pyds::python
