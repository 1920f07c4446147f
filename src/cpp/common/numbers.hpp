// Locale-independent number text: every number the core reads (pyds.json, ARPA files) or writes (messages,
// reprs) goes through here. The C library's strtod/strtof/atof/printf("%f") and iostreams follow LC_NUMERIC, so
// in a process that called setlocale(LC_ALL, "") under a decimal-comma locale (de_DE, fr_FR, ...) they read
// "-0.5" as -0 followed by junk and write 0.5 as "0,5". std::from_chars/std::to_chars never consult the
// locale. Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

namespace pyds::numbers {

// Parses the whole of `text` as a decimal or exponent floating-point number with '.' as the decimal point
// (an optional leading '+' or '-'; "inf"/"nan" as std::from_chars spells them). False when `text` is empty,
// has anything after the number, or is out of range; `value` is then unspecified.
bool parse(std::string_view text, double& value);
bool parse(std::string_view text, float& value);

// The shortest text that reads back to exactly `value` ("0.75", "1e-05", "-inf"), whatever the locale.
std::string format(double value);

}  // namespace pyds::numbers
