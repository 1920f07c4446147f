// *_CreateModel's model argument: a pyds bundle directory is used as it is; a raw DeepSpeech/Coqui model
// file (.tflite, .pb, .pbmm) is converted once into the cache that pyds.models uses as well (the layout and
// its lock files are defined once, in common/model_cache.hpp), so C programs and Python share conversions. The
// converter is Python (pyds.convert): it runs as `<python> -m pyds.convert.cli SRC -o DIR`, which writes the bundle
// atomically. <python> is $PYDS_PYTHON, else the python3 of the environment libpyds is installed in
// (<prefix>/bin/python3 for <prefix>/lib/pythonX.Y/site-packages/pyds/libpyds.so), else python3 from PATH.
#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "capi/capi.hpp"
#include "capi/sha256.hpp"
#include "common/model_cache.hpp"
#include "pyds/errors.hpp"

extern char** environ;

namespace pyds::capi {

namespace {

bool is_dir(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool is_file(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
bool is_executable(const std::string& p) { return is_file(p) && ::access(p.c_str(), X_OK) == 0; }
bool is_bundle(const std::string& dir) { return is_file(dir + "/pyds.json"); }

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string parent(const std::string& p) {
  const auto at = p.find_last_of('/');
  return at == std::string::npos ? "." : (at == 0 ? "/" : p.substr(0, at));
}

void make_dirs(const std::string& dir) {
  if (dir.empty() || is_dir(dir)) return;
  make_dirs(parent(dir));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw CodedError(kFailReadProtobuf, "cannot create the cache directory " + dir + ": " + std::strerror(errno));
}

std::string cache_root() {
  const std::string root = model_cache::root();
  if (root.empty()) throw CodedError(kFailReadProtobuf, "no cache directory for converted models: set PYDS_CACHE_DIR");
  return root;
}

// The directory this library was loaded from (dladdr of one of its own functions).
std::string library_dir() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&library_dir), &info) == 0 || info.dli_fname == nullptr) return "";
  char* real = ::realpath(info.dli_fname, nullptr);
  if (real == nullptr) return parent(info.dli_fname);
  std::string dir = parent(real);
  std::free(real);
  return dir;
}

std::string python_interpreter() {
  if (!env("PYDS_PYTHON").empty()) return env("PYDS_PYTHON");
  // <prefix>/lib/pythonX.Y/site-packages/pyds -> <prefix>/bin/python3
  const std::string prefix = parent(parent(parent(parent(library_dir()))));
  for (const char* name : {"/bin/python3", "/bin/python"})
    if (is_executable(prefix + name)) return prefix + name;
  return "python3";  // from PATH (posix_spawnp)
}

// Runs argv; returns the exit status and appends the child's stderr (its stdout is discarded).
int run(const std::vector<std::string>& args, std::string& errors) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw CodedError(kFailReadProtobuf, "cannot create a pipe for the converter");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    throw CodedError(kFailReadProtobuf, "cannot run the model converter '" + args[0] + "': " + std::strerror(spawned) +
                                            " (set PYDS_PYTHON to a Python that has pyds installed)");
  }
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) errors.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// An exclusive flock held for the object's life (released if the process dies).
class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0)
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {}
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const auto at = text.find_last_of('\n');
  return at == std::string::npos ? text : text.substr(at + 1);
}

std::string convert_cached(const std::string& source) {
  const std::string key = model_cache::source_key(sha256_file(source));
  const std::string root = cache_root();
  const std::string bundle = model_cache::bundle_dir(root, key);
  if (is_bundle(bundle)) return bundle;
  const std::string lock_path = model_cache::bundle_lock(root, key);
  make_dirs(parent(bundle));
  make_dirs(parent(lock_path));
  const FileLock lock(lock_path);
  if (is_bundle(bundle)) return bundle;  // converted by another process while this one waited

  const std::string python = python_interpreter();
  std::vector<std::string> args = {python, "-m", "pyds.convert.cli", source, "-o", bundle};
  if (is_dir(bundle)) args.emplace_back("--force");  // a stale directory without a manifest
  std::string errors;
  const int status = run(args, errors);
  if (status != 0 || !is_bundle(bundle))
    throw CodedError(kFailReadProtobuf, source + ": conversion to a pyds bundle failed (" + python +
                                            " -m pyds.convert.cli, exit status " + std::to_string(status) +
                                            "): " + last_line(errors));
  return bundle;
}

}  // namespace

std::string resolve_model_source(const std::string& path) {
  if (is_dir(path)) {
    if (is_bundle(path)) return path;
    throw_error(ErrorKind::InvalidModel, path +
                                             ": a directory without pyds.json is not a pyds model bundle "
                                             "(convert a checkpoint with pyds-convert first)");
  }
  if (!is_file(path)) throw_error(ErrorKind::ModelNotFound, path + ": no such model file or directory");
  return convert_cached(path);
}

}  // namespace pyds::capi
