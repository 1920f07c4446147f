#include "python/bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "pyds C++ core (private: use the pyds package)";
  m.attr("__version__") = PYDS_VERSION;
  using namespace pyds::python;
  bind_errors(m);
  bind_alphabet(m);
  bind_features(m);
  bind_scorer(m);  // before the decoder, whose signatures take a Scorer
  bind_decoder(m);
  bind_runtime(m);
  bind_batch(m);
  bind_model_cache(m);
  bind_bundle(m);
}
