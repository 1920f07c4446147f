// Read-only memory mapping of a file (RAII) and a bounds-checked view over mapped bytes. Every offset or size
// taken from a file goes through ByteView, so a corrupt or truncated file raises InvalidScorer instead of
// reading out of bounds.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "pyds/errors.hpp"

namespace pyds::lm {

class MappedFile {
 public:
  // Throws ModelNotFound when the path does not exist, InvalidScorer when it cannot be mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Overflow-checked arithmetic on sizes read from files.
std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, const std::string& what);
std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const std::string& what);

// Text from a file, safe to put in an error message: kept as is when it is valid UTF-8 without control
// characters, else with every byte outside printable ASCII shown as \xNN.
std::string printable(std::string_view text);

class ByteView {
 public:
  ByteView() = default;
  ByteView(const std::uint8_t* data, std::uint64_t size, std::string source)
      : data_(data), size_(size), source_(std::move(source)) {}

  const std::uint8_t* data() const { return data_; }
  std::uint64_t size() const { return size_; }
  const std::string& source() const { return source_; }

  // Throws InvalidScorer unless [offset, offset + length) lies inside the view.
  void require(std::uint64_t offset, std::uint64_t length, const char* field) const;
  [[noreturn]] void fail(const std::string& message) const;

  template <typename T>
  T read(std::uint64_t offset, const char* field) const {
    static_assert(std::is_trivially_copyable<T>::value, "plain data only");
    require(offset, sizeof(T), field);
    T value;
    std::memcpy(&value, data_ + offset, sizeof(T));
    return value;
  }
  // Unchecked read for hot paths whose ranges were validated at load time.
  template <typename T>
  T at(std::uint64_t offset) const {
    T value;
    std::memcpy(&value, data_ + offset, sizeof(T));
    return value;
  }
  ByteView sub(std::uint64_t offset, std::uint64_t length, const char* field) const {
    require(offset, length, field);
    return ByteView(data_ + offset, length, source_);
  }

 private:
  const std::uint8_t* data_ = nullptr;
  std::uint64_t size_ = 0;
  std::string source_;
};

}  // namespace pyds::lm
