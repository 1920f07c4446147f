// The model cache's layout, defined once for the C ABI (capi/model_source.cpp) and for Python (pyds.models,
// through pyds._core): a raw model file is converted once into
//   <root>/bundles/sha256-<hex of the file>/     under the lock <root>/locks/bundle--sha256-<hex>.lock
// and a registry model NAME into <root>/bundles/NAME/ (lock bundle--NAME.lock), so C programs and Python share
// conversions. Pure functions of the environment and their arguments; thread-safe.
#pragma once

#include <string>

namespace pyds::model_cache {

// $PYDS_CACHE_DIR (a leading "~" is the home directory), else $XDG_CACHE_HOME/pyds, else <home>/.cache/pyds
// (<home> = $HOME, else the user's passwd entry). "" when none of them is known.
std::string root();
// The key of a raw model file in the cache: "sha256-<hex>" for the file's sha256 in lowercase hex.
std::string source_key(const std::string& sha256_hex);
// <root>/bundles/<key>: where the bundle for `key` (a source key or a registry name) lives.
std::string bundle_dir(const std::string& root, const std::string& key);
// <root>/locks/bundle--<key>.lock: the lock file held while that bundle is converted.
std::string bundle_lock(const std::string& root, const std::string& key);

}  // namespace pyds::model_cache
