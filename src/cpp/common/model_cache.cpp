#include "common/model_cache.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace pyds::model_cache {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string home() {
  if (!env("HOME").empty()) return env("HOME");
  const passwd* pw = ::getpwuid(::getuid());  // as Python's Path.home() does without $HOME
  return pw != nullptr && pw->pw_dir != nullptr ? pw->pw_dir : "";
}

// "~" and "~/..." as the shell (and Python's expanduser) read them.
std::string expand_user(const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const std::string h = home();
    if (!h.empty()) return h + path.substr(1);
  }
  return path;
}

}  // namespace

std::string root() {
  if (!env("PYDS_CACHE_DIR").empty()) return expand_user(env("PYDS_CACHE_DIR"));
  if (!env("XDG_CACHE_HOME").empty()) return expand_user(env("XDG_CACHE_HOME")) + "/pyds";
  const std::string h = home();
  return h.empty() ? "" : h + "/.cache/pyds";
}

std::string source_key(const std::string& sha256_hex) { return "sha256-" + sha256_hex; }

std::string bundle_dir(const std::string& root, const std::string& key) { return root + "/bundles/" + key; }

std::string bundle_lock(const std::string& root, const std::string& key) {
  return root + "/locks/bundle--" + key + ".lock";
}

}  // namespace pyds::model_cache
