// A small JSON reader for pyds.json (the model bundle manifest): objects, arrays, strings (with \u escapes),
// numbers, booleans and null. Private to the core: parse errors carry the byte offset.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pyds::json {

struct Value;
using Object = std::map<std::string, Value, std::less<>>;
using Array = std::vector<Value>;

struct Value {
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> data;

  bool is_null() const { return std::holds_alternative<std::nullptr_t>(data); }
  bool is_bool() const { return std::holds_alternative<bool>(data); }
  bool is_number() const { return std::holds_alternative<double>(data); }
  bool is_string() const { return std::holds_alternative<std::string>(data); }
  bool is_array() const { return std::holds_alternative<Array>(data); }
  bool is_object() const { return std::holds_alternative<Object>(data); }
  const Object& object() const { return std::get<Object>(data); }
  const Array& array() const { return std::get<Array>(data); }
  const std::string& string() const { return std::get<std::string>(data); }
  double number() const { return std::get<double>(data); }
  bool boolean() const { return std::get<bool>(data); }
};

// Throws std::invalid_argument("... at byte N") on malformed input; callers wrap it in their own error kind.
Value parse(std::string_view text);

}  // namespace pyds::json
