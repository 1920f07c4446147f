// SHA-256 (FIPS 180-4) of a file, as lowercase hex: the key of the converted-model cache, the same key
// pyds.models uses, so the C ABI and Python share converted bundles.
#pragma once

#include <string>

namespace pyds {
namespace __attribute__((visibility("hidden"))) capi {

  // Throws ModelNotFound when the file cannot be opened, Runtime on a read error.
  std::string sha256_file(const std::string& path);

}  // namespace capi
}  // namespace pyds
