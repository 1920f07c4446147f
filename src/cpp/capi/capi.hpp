// The C ABI's shared implementation: DS_* (deepspeech.cpp) and STT_* (coqui_stt.cpp) are one-line forwards
// onto these functions, which own every rule (NULL checks, error-code mapping, result allocation) once.
// Nothing here throws: each function catches every exception and turns it into a code or a NULL.
//
// Only the extern "C" DS_*/STT_* names are exported from the libraries; everything in pyds::capi is hidden.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "pyds/c/deepspeech.h"
#include "pyds/c/stt_types.h"
#include "pyds/decoder.hpp"
#include "pyds/model.hpp"
#include "pyds/stream.hpp"

// The C headers' opaque handles, completed here (global namespace, as the C headers declare them).
struct ModelState {
  std::shared_ptr<pyds::Model> model;
};

struct StreamingState {
  std::unique_ptr<pyds::Stream> stream;
  int error = 0;  // a failure in FeedAudioContent (which returns nothing), reported by the next decode
};

namespace pyds {
namespace [[gnu::visibility("hidden")]] capi {

// The error codes, named for this layer; the numbers come from the one table (stt_types.h).
enum Code : int {
  kOk = DS_ERR_OK,
  kNoModel = DS_ERR_NO_MODEL,
  kInvalidAlphabet = DS_ERR_INVALID_ALPHABET,
  kInvalidShape = DS_ERR_INVALID_SHAPE,
  kInvalidScorer = DS_ERR_INVALID_SCORER,
  kModelIncompatible = DS_ERR_MODEL_INCOMPATIBLE,
  kScorerNotEnabled = DS_ERR_SCORER_NOT_ENABLED,
  kScorerUnreadable = DS_ERR_SCORER_UNREADABLE,
  kScorerInvalidLm = DS_ERR_SCORER_INVALID_LM,
  kScorerNoTrie = DS_ERR_SCORER_NO_TRIE,
  kScorerInvalidTrie = DS_ERR_SCORER_INVALID_TRIE,
  kScorerVersionMismatch = DS_ERR_SCORER_VERSION_MISMATCH,
  kFailInitMmap = DS_ERR_FAIL_INIT_MMAP,
  kFailInitSess = DS_ERR_FAIL_INIT_SESS,
  kFailInterpreter = DS_ERR_FAIL_INTERPRETER,
  kFailRunSess = DS_ERR_FAIL_RUN_SESS,
  kFailCreateStream = DS_ERR_FAIL_CREATE_STREAM,
  kFailReadProtobuf = DS_ERR_FAIL_READ_PROTOBUF,
  kFailCreateSess = DS_ERR_FAIL_CREATE_SESS,
  kFailCreateModel = DS_ERR_FAIL_CREATE_MODEL,
  kFailInsertHotword = DS_ERR_FAIL_INSERT_HOTWORD,
  kFailClearHotword = DS_ERR_FAIL_CLEAR_HOTWORD,
  kFailEraseHotword = DS_ERR_FAIL_ERASE_HOTWORD,
};

// The message of a code, or the unknown-code message. Never NULL.
const char* message_of(int code);

// A failure that already knows its C code (thrown inside this layer only).
struct CodedError : std::runtime_error {
  CodedError(int c, const std::string& message) : std::runtime_error(message), code(c) {}
  int code;
};

// Writes "pyds: <what>" on stderr, as the original libraries explain failures there. PYDS_CAPI_QUIET=1
// silences it.
void report(const std::string& what);

// A malloc'ed copy the caller frees with *_FreeString (free()).
char* copy_string(const std::string& text);
// One malloc'ed block holding the Metadata, its transcripts, tokens and token texts (*_FreeMetadata).
Metadata* make_metadata(const std::vector<Transcript>& transcripts);

// Model sources: a bundle directory as is; a raw model file converted once into the cache (model_source.cpp).
std::string resolve_model_source(const std::string& path);
// A private temporary file holding `size` bytes; removed when the object goes.
class TempFile {
 public:
  TempFile(const char* data, std::size_t size, const char* suffix);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The operations, shared by both ABIs (api.cpp).
int create_model(const char* path, ModelState** retval);
int create_model_from_buffer(const char* buffer, unsigned int size, ModelState** retval);
unsigned int get_beam_width(const ModelState* ctx);
int set_beam_width(ModelState* ctx, unsigned int beam_width);
int get_sample_rate(const ModelState* ctx);
void free_model(ModelState* ctx);
int enable_scorer(ModelState* ctx, const char* path);
int enable_scorer_from_buffer(ModelState* ctx, const char* buffer, unsigned int size);
int disable_scorer(ModelState* ctx);
int set_alpha_beta(ModelState* ctx, float alpha, float beta);
int add_hot_word(ModelState* ctx, const char* word, float boost);
int erase_hot_word(ModelState* ctx, const char* word);
int clear_hot_words(ModelState* ctx);
char* speech_to_text(ModelState* ctx, const short* buffer, unsigned int size);
Metadata* speech_to_text_with_metadata(ModelState* ctx, const short* buffer, unsigned int size,
                                       unsigned int num_results);
int create_stream(ModelState* ctx, StreamingState** retval);
void feed_audio(StreamingState* sctx, const short* buffer, unsigned int size);
char* intermediate_decode(const StreamingState* sctx);
Metadata* intermediate_decode_with_metadata(const StreamingState* sctx, unsigned int num_results);
char* intermediate_decode_flush(StreamingState* sctx);
Metadata* intermediate_decode_flush_with_metadata(StreamingState* sctx, unsigned int num_results);
char* finish_stream(StreamingState* sctx);
Metadata* finish_stream_with_metadata(StreamingState* sctx, unsigned int num_results);
void free_stream(StreamingState* sctx);
void free_metadata(Metadata* metadata);
void free_string(char* text);
char* version(const char* api_level);
char* error_message(int code);

}  // namespace capi
}  // namespace pyds
