#include "pyds/alphabet.hpp"

#include <fstream>
#include <iterator>
#include <set>

#include "pyds/errors.hpp"

namespace pyds {

Alphabet::Alphabet(std::vector<std::string> labels, bool utf8) : labels_(std::move(labels)), utf8_(utf8) {
  if (labels_.empty()) throw_error(ErrorKind::InvalidAlphabet, "alphabet has no labels");
  if (labels_.size() > 65535) throw_error(ErrorKind::InvalidAlphabet, "alphabet has more than 65535 labels");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    const std::string& l = labels_[i];
    if (l.empty()) throw_error(ErrorKind::InvalidAlphabet, "alphabet label " + std::to_string(i) + " is empty");
    if (!seen.insert(l).second) throw_error(ErrorKind::InvalidAlphabet, "alphabet label '" + l + "' appears twice");
    if (l == " ") space_ = static_cast<int>(i);
    max_label_bytes_ = std::max(max_label_bytes_, l.size());
  }
}

Alphabet Alphabet::from_labels(std::vector<std::string> labels) { return Alphabet(std::move(labels), false); }

Alphabet Alphabet::utf8() {
  std::vector<std::string> labels;
  labels.reserve(255);
  for (int b = 1; b <= 255; ++b) labels.emplace_back(1, static_cast<char>(b));
  return Alphabet(std::move(labels), true);
}

Alphabet Alphabet::from_text(std::string_view text) {
  std::vector<std::string> labels;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    // A line is a comment when it starts with '#'; "\#" escapes a literal '#' label.
    if (!line.empty()) {
      if (line[0] == '#') {
        // comment
      } else if (line.size() >= 2 && line[0] == '\\' && line[1] == '#') {
        labels.emplace_back("#" + std::string(line.substr(2)));
      } else {
        labels.emplace_back(line);
      }
    }
    if (end == text.size()) break;
    pos = end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
  }
  return Alphabet(std::move(labels), false);
}

Alphabet Alphabet::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(ErrorKind::ModelNotFound, "cannot open alphabet file '" + path + "'");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return from_text(text);
  } catch (const Error& e) { throw_error(ErrorKind::InvalidAlphabet, "alphabet file '" + path + "': " + e.what()); }
}

namespace {
std::uint16_t read_u16(std::string_view bytes, std::size_t& pos) {
  if (pos + 2 > bytes.size())
    throw_error(ErrorKind::InvalidAlphabet, "serialized alphabet is truncated at byte " + std::to_string(pos));
  auto v = static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[pos]) |
                                      (static_cast<unsigned char>(bytes[pos + 1]) << 8));
  pos += 2;
  return v;
}
void write_u16(std::string& out, std::size_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}
}  // namespace

Alphabet Alphabet::from_serialized(std::string_view bytes) {
  std::size_t pos = 0;
  const std::size_t count = read_u16(bytes, pos);
  std::vector<std::string> labels(count);
  std::vector<bool> filled(count, false);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t index = read_u16(bytes, pos);
    const std::size_t len = read_u16(bytes, pos);
    if (index >= count || filled[index])
      throw_error(ErrorKind::InvalidAlphabet,
                  "serialized alphabet has a bad or repeated label index " + std::to_string(index));
    if (pos + len > bytes.size())
      throw_error(ErrorKind::InvalidAlphabet, "serialized alphabet is truncated in label " + std::to_string(index));
    labels[index] = std::string(bytes.substr(pos, len));
    filled[index] = true;
    pos += len;
  }
  return Alphabet(std::move(labels), false);
}

std::string Alphabet::serialize() const {
  std::string out;
  write_u16(out, labels_.size());
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    write_u16(out, i);
    write_u16(out, labels_[i].size());
    out += labels_[i];
  }
  return out;
}

const std::string& Alphabet::label(unsigned index) const {
  if (index >= labels_.size())
    throw_error(ErrorKind::InvalidArgument, "label " + std::to_string(index) + " is out of range for an alphabet of " +
                                                std::to_string(labels_.size()) + " labels");
  return labels_[index];
}

std::string Alphabet::decode(const std::vector<unsigned>& labels) const {
  std::string out;
  for (unsigned l : labels) out += label(l);
  return out;
}

std::vector<unsigned> Alphabet::encode(std::string_view text) const {
  std::vector<unsigned> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (utf8_) {
      const auto byte = static_cast<unsigned char>(text[pos]);
      if (byte == 0) throw_error(ErrorKind::InvalidAlphabet, "bytes-mode alphabet cannot encode a NUL byte");
      out.push_back(byte - 1u);
      ++pos;
      continue;
    }
    bool matched = false;
    for (std::size_t len = std::min(max_label_bytes_, text.size() - pos); len > 0 && !matched; --len) {
      std::string_view piece = text.substr(pos, len);
      for (std::size_t i = 0; i < labels_.size(); ++i) {
        if (labels_[i] == piece) {
          out.push_back(static_cast<unsigned>(i));
          pos += len;
          matched = true;
          break;
        }
      }
    }
    if (!matched)
      throw_error(ErrorKind::InvalidAlphabet, "text '" + std::string(text) + "' has a character at byte " +
                                                  std::to_string(pos) + " that is not in the alphabet");
  }
  return out;
}

}  // namespace pyds
