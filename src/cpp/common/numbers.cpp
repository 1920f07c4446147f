#include "common/numbers.hpp"

#include <charconv>
#include <system_error>

namespace pyds::numbers {

namespace {

template <typename T>
bool parse_as(std::string_view text, T& value) {
  // from_chars takes '-' but not '+' (strtod took both, and ARPA writers may emit either).
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) return false;
  }
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  return ec == std::errc() && ptr == end;
}

}  // namespace

bool parse(std::string_view text, double& value) { return parse_as(text, value); }
bool parse(std::string_view text, float& value) {
  if (parse_as(text, value)) return true;
  // strtof's behaviour outside float's range, which ARPA readers relied on: overflow to +-inf, underflow to
  // the nearest subnormal or zero (from_chars<float> reports both as out of range).
  double wide = 0;
  if (!parse_as(text, wide)) return false;
  value = static_cast<float>(wide);
  return true;
}

std::string format(double value) {
  char buf[32];  // the shortest round-trip form of a double needs at most 24 characters
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, ptr) : std::string("?");
}

}  // namespace pyds::numbers
