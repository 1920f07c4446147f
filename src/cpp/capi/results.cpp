// What the C ABI hands out: error messages, malloc'ed strings and the Metadata block, and the private
// temporary files of the *FromBuffer calls.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "capi/capi.hpp"
#include "pyds/c/deepspeech.h"
#include "pyds/errors.hpp"

namespace pyds::capi {

const char* message_of(int code) {
  switch (code) {
#define PYDS_CAPI_MESSAGE(NAME, VALUE, MESSAGE) \
  case VALUE: return MESSAGE;
    DS_FOR_EACH_ERROR(PYDS_CAPI_MESSAGE)
#undef PYDS_CAPI_MESSAGE
    default: return PYDS_UNKNOWN_ERROR_MESSAGE;
  }
}

void report(const std::string& what) {
  const char* quiet = std::getenv("PYDS_CAPI_QUIET");
  if (quiet != nullptr && *quiet != '\0' && std::strcmp(quiet, "0") != 0) return;
  std::fprintf(stderr, "pyds: %s\n", what.c_str());
}

char* copy_string(const std::string& text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

namespace {
constexpr std::size_t align_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }
}  // namespace

Metadata* make_metadata(const std::vector<Transcript>& transcripts) {
  // Layout of the one block: Metadata | CandidateTranscript[n] | TokenMetadata[total] | token texts.
  std::size_t n_tokens = 0, n_text = 0;
  for (const Transcript& t : transcripts) {
    n_tokens += t.tokens.size();
    for (const Token& token : t.tokens) n_text += token.text.size() + 1;
  }
  const std::size_t at_transcripts = align_up(sizeof(Metadata), alignof(CandidateTranscript));
  const std::size_t at_tokens =
      align_up(at_transcripts + transcripts.size() * sizeof(CandidateTranscript), alignof(TokenMetadata));
  const std::size_t at_text = at_tokens + n_tokens * sizeof(TokenMetadata);
  char* block = static_cast<char*>(std::calloc(1, at_text + n_text + 1));
  if (block == nullptr) throw std::bad_alloc();

  auto* candidates = reinterpret_cast<CandidateTranscript*>(block + at_transcripts);
  auto* tokens = reinterpret_cast<TokenMetadata*>(block + at_tokens);
  char* text = block + at_text;
  for (std::size_t i = 0; i < transcripts.size(); ++i) {
    const Transcript& t = transcripts[i];
    TokenMetadata* first = tokens;
    for (const Token& token : t.tokens) {
      std::memcpy(text, token.text.data(), token.text.size());
      text[token.text.size()] = '\0';
      // The C structs have const members: construct each in place.
      new (tokens++) TokenMetadata{text, token.timestep, static_cast<float>(token.start_time)};
      text += token.text.size() + 1;
    }
    new (candidates + i) CandidateTranscript{first, static_cast<unsigned int>(t.tokens.size()), t.confidence};
  }
  return new (block)
      Metadata{transcripts.empty() ? nullptr : candidates, static_cast<unsigned int>(transcripts.size())};
}

TempFile::TempFile(const char* data, std::size_t size, const char* suffix) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/pyds-buffer-XXXXXX" + suffix;
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = mkstemps(name.data(), static_cast<int>(std::strlen(suffix)));  // created 0600, ours alone
  if (fd < 0)
    throw_error(ErrorKind::Runtime, "cannot create a temporary file in " + pattern.substr(0, pattern.rfind('/')));
  path_ = name.data();
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) {
      ::close(fd);
      ::unlink(path_.c_str());
      throw_error(ErrorKind::Runtime, "cannot write the temporary file " + path_);
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

TempFile::~TempFile() { ::unlink(path_.c_str()); }

}  // namespace pyds::capi
