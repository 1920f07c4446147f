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
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) throw_error(ErrorKind::ModelNotFound, "file not found: " + path);
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
  // Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF), as Python decodes it.
  bool clean = true;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  for (std::size_t i = 0; i < text.size() && clean;) {
    const unsigned char c = byte(i);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0x20 && c < 0x7F) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    if (len == 0 || i + len > text.size()) {
      clean = false;
      break;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const unsigned char b = byte(i + k);
      if (k == 1 ? (b < lo || b > hi) : (b >> 6) != 0x2) clean = false;
    }
    i += len;
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

void ByteView::fail(const std::string& message) const {
  throw_error(ErrorKind::InvalidScorer, source_ + ": " + message);
}

}  // namespace pyds::lm
