// The model cache layout (common/model_cache.hpp) for pyds.models, so Python and the C ABI use one definition.
#include "common/model_cache.hpp"
#include "python/bindings.hpp"

namespace pyds::python {

void bind_model_cache(py::module_& m) {
  m.def("model_cache_root", &model_cache::root,
        "$PYDS_CACHE_DIR, else $XDG_CACHE_HOME/pyds, else ~/.cache/pyds (\"\" when no home is known).");
  m.def("model_cache_source_key", &model_cache::source_key, py::arg("sha256_hex"),
        "The cache key of a raw model file: 'sha256-<hex>'.");
  m.def("model_cache_bundle_dir", &model_cache::bundle_dir, py::arg("root"), py::arg("key"),
        "<root>/bundles/<key>: the bundle converted for a source key or registry name.");
  m.def("model_cache_bundle_lock", &model_cache::bundle_lock, py::arg("root"), py::arg("key"),
        "<root>/locks/bundle--<key>.lock: held while that bundle is converted.");
}

}  // namespace pyds::python
