// pyds error catalogue: every failure in the C++ core is one of these, thrown as a pyds::Error.
// The Python bindings translate each kind onto a class in pyds.errors; the C ABI maps them onto the
// DeepSpeech/Coqui error codes. Nothing in the core exits or aborts the process.
#pragma once

#include <stdexcept>
#include <string>

namespace pyds {

enum class ErrorKind {
  InvalidArgument,  // a parameter out of range, a wrong dtype/shape (Python: ValueError/TypeError)
  InvalidAudio,     // samples the front end cannot take: NaN/Inf, wrong rate
  InvalidModel,     // a model bundle or IR that is missing, inconsistent or unreadable
  InvalidScorer,    // a .scorer / KenLM / ARPA / vocabulary file that is corrupt or does not fit the model
  InvalidAlphabet,  // an alphabet file or serialized alphabet that cannot be parsed
  ModelNotFound,    // a file or directory that does not exist
  Runtime,          // an inference or internal failure
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// Shorthands so call sites read as what went wrong.
[[noreturn]] inline void throw_error(ErrorKind kind, const std::string& message) { throw Error(kind, message); }

}  // namespace pyds
