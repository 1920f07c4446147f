#include "lm/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace pyds::lm {

namespace {
// Closes the descriptor on every path out of the constructor; the mapping outlives it.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

MappedFile::MappedFile(const std::string& path) : path_(path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_error(ErrorKind::ModelNotFound, "scorer file not found: " + path);
  if (S_ISDIR(st.st_mode)) throw_error(ErrorKind::InvalidScorer, path + ": is a directory, not a scorer file");
  FdCloser fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) throw_error(ErrorKind::InvalidScorer, path + ": cannot open (" + std::strerror(errno) + ")");
  if (::fstat(fd.fd, &st) != 0) throw_error(ErrorKind::InvalidScorer, path + ": cannot stat");
  size_ = static_cast<std::size_t>(st.st_size);
  if (size_ == 0) return;  // an empty file maps to nothing; readers report it as truncated
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd.fd, 0);
  if (p == MAP_FAILED) throw_error(ErrorKind::InvalidScorer, path + ": cannot map (" + std::strerror(errno) + ")");
  data_ = static_cast<const std::uint8_t*>(p);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, const std::string& what) {
  std::uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) throw_error(ErrorKind::InvalidScorer, what + ": size overflows");
  return r;
}

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const std::string& what) {
  std::uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) throw_error(ErrorKind::InvalidScorer, what + ": size overflows");
  return r;
}

std::string printable(std::string_view text) {
  bool clean = true;
  for (std::size_t i = 0; i < text.size() && clean;) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > text.size() || (len == 1 && (c < 0x20 || c == 0x7F))) clean = false;
    for (std::size_t k = 1; clean && k < len; ++k)
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) clean = false;
    i += len == 0 ? 1 : len;
  }
  if (clean) return std::string(text);
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

void ByteView::require(std::uint64_t offset, std::uint64_t length, const char* field) const {
  if (offset > size_ || length > size_ - offset) {
    fail(std::string("truncated or corrupt: ") + field + " needs bytes [" + std::to_string(offset) + ", +" +
         std::to_string(length) + ") of " + std::to_string(size_));
  }
}

void ByteView::fail(const std::string& message) const { throw_error(ErrorKind::InvalidScorer, source_ + ": " + message); }

}  // namespace pyds::lm
