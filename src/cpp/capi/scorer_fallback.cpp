// A weak Scorer::load for builds without the language-model readers (src/cpp/lm): the C ABI then reports
// DS_ERR_INVALID_SCORER instead of failing to link or load. Any real definition (lm/) overrides this one at
// link time, so the file can stay after the readers land.
#include "pyds/errors.hpp"
#include "pyds/scorer.hpp"

namespace pyds {

[[gnu::weak]] std::shared_ptr<const Scorer> Scorer::load(const std::string& path, const Alphabet&, const std::string&) {
  throw_error(ErrorKind::InvalidScorer, path + ": this pyds build has no external-scorer support");
}

}  // namespace pyds
