// The label set of an acoustic model: label i is output class i, the CTC blank is the last class
// (index size()). Two modes, as in DeepSpeech: a character alphabet (labels are UTF-8 strings, one may be
// the space " "), and UTF-8 bytes mode (255 labels, label i is the byte value i+1).
// Immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pyds {

class Alphabet {
 public:
  // A character alphabet from its labels, in class order. Labels must be non-empty and unique.
  static Alphabet from_labels(std::vector<std::string> labels);
  // A DeepSpeech `alphabet.txt`: one label per line, `#` starts a comment line, `\#` is a literal '#',
  // empty lines are skipped, CRLF/CR line ends are accepted.
  static Alphabet from_file(const std::string& path);
  static Alphabet from_text(std::string_view text);
  // The `metadata_alphabet` serialization: uint16 count, then per label uint16 index, uint16 length, bytes
  // (little-endian).
  static Alphabet from_serialized(std::string_view bytes);
  // UTF-8 bytes mode.
  static Alphabet utf8();

  std::size_t size() const { return labels_.size(); }           // labels, blank excluded
  std::size_t num_classes() const { return labels_.size() + 1; }  // labels + blank
  unsigned blank() const { return static_cast<unsigned>(labels_.size()); }
  bool is_utf8() const { return utf8_; }
  // The label that is exactly " ", or -1 when there is none (in bytes mode label 31 = byte 0x20).
  int space_label() const { return space_; }
  bool is_space(unsigned label) const { return space_ >= 0 && label == static_cast<unsigned>(space_); }

  const std::string& label(unsigned index) const;  // throws InvalidArgument when out of range
  const std::vector<std::string>& labels() const { return labels_; }

  // Concatenated label text (bytes mode: the raw bytes, which may be invalid UTF-8).
  std::string decode(const std::vector<unsigned>& labels) const;
  // Splits text into labels: by bytes in bytes mode, else greedily by the longest matching label.
  // Throws InvalidAlphabet for text that has no labelling.
  std::vector<unsigned> encode(std::string_view text) const;
  std::string serialize() const;

  bool operator==(const Alphabet& other) const { return utf8_ == other.utf8_ && labels_ == other.labels_; }

 private:
  Alphabet(std::vector<std::string> labels, bool utf8);
  std::vector<std::string> labels_;
  bool utf8_ = false;
  int space_ = -1;
  std::size_t max_label_bytes_ = 1;
};

}  // namespace pyds
