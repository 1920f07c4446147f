// The C ABI over pyds::Model / pyds::Stream. Every entry point checks its pointers, runs the C++ core inside
// one try block and maps what it throws onto the documented error code (see the table in <deepspeech.h>):
// no exception, abort or exit ever crosses into the caller.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "capi/capi.hpp"
#include "pyds/errors.hpp"
#include "pyds/scorer.hpp"

namespace pyds::capi {

namespace {

// Runs `body` and turns any exception into the code `map(kind)` gives (a CodedError keeps its own code).
template <typename Body, typename Map>
int guarded(const char* what, Body&& body, Map&& map) {
  try {
    body();
    return kOk;
  } catch (const CodedError& e) {
    report(std::string(what) + ": " + e.what());
    return e.code;
  } catch (const Error& e) {
    report(std::string(what) + ": " + e.what());
    return map(e.kind());
  } catch (const std::bad_alloc&) {
    report(std::string(what) + ": out of memory");
    return map(ErrorKind::Runtime);
  } catch (const std::exception& e) {
    report(std::string(what) + ": " + e.what());
    return map(ErrorKind::Runtime);
  } catch (...) {
    report(std::string(what) + ": unknown failure");
    return map(ErrorKind::Runtime);
  }
}

int model_load_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::ModelNotFound: return kFailInitMmap;       // TFLite's "cannot map the file"
    case ErrorKind::InvalidAlphabet: return kInvalidAlphabet;
    case ErrorKind::InvalidModel: return kModelIncompatible;   // a bundle that does not match its network
    case ErrorKind::Runtime: return kFailInitSess;             // OpenVINO could not read or compile the IR
    default: return kFailCreateModel;
  }
}

// Results: NULL on any failure (reported on stderr).
template <typename Result, typename Body>
Result* guarded_result(const char* what, Body&& body) {
  Result* out = nullptr;
  guarded(what, [&] { out = body(); }, [](ErrorKind) { return kFailRunSess; });
  return out;
}

std::vector<Transcript> best_one(std::vector<Transcript> results) {
  if (results.empty()) results.emplace_back();  // no live prefix: an empty transcript, as DeepSpeech gives
  return results;
}

int load_into(const std::string& bundle_dir, ModelState** retval) {
  auto state = std::make_unique<ModelState>();
  ModelOptions options;
  options.bundled_scorer = false;  // as in DeepSpeech: no scorer until *_EnableExternalScorer
  state->model = Model::load(bundle_dir, options);
  *retval = state.release();
  return kOk;
}

}  // namespace

int create_model(const char* path, ModelState** retval) {
  if (retval == nullptr) return kFailCreateModel;
  *retval = nullptr;
  if (path == nullptr || *path == '\0') {
    report("CreateModel: no model path given");
    return kNoModel;
  }
  return guarded("CreateModel", [&] { load_into(resolve_model_source(path), retval); }, model_load_code);
}

int create_model_from_buffer(const char* buffer, unsigned int size, ModelState** retval) {
  if (retval == nullptr) return kFailCreateModel;
  *retval = nullptr;
  if (buffer == nullptr || size == 0) {
    report("CreateModelFromBuffer: no model bytes given");
    return kNoModel;
  }
  return guarded(
      "CreateModelFromBuffer",
      [&] {
        const TempFile file(buffer, size, ".model");
        load_into(resolve_model_source(file.path()), retval);
      },
      model_load_code);
}

unsigned int get_beam_width(const ModelState* ctx) {
  if (ctx == nullptr) return 0;
  return static_cast<unsigned int>(ctx->model->beam_width());
}

int set_beam_width(ModelState* ctx, unsigned int beam_width) {
  if (ctx == nullptr) return kNoModel;
  return guarded(
      "SetModelBeamWidth", [&] { ctx->model->set_beam_width(beam_width); }, [](ErrorKind) { return kInvalidShape; });
}

int get_sample_rate(const ModelState* ctx) { return ctx == nullptr ? 0 : ctx->model->sample_rate(); }

void free_model(ModelState* ctx) { delete ctx; }

namespace {
int load_scorer(ModelState* ctx, const std::string& path) {
  return guarded(
      "EnableExternalScorer", [&] { ctx->model->enable_scorer(Scorer::load(path, ctx->model->alphabet())); },
      [](ErrorKind) { return kInvalidScorer; });  // DeepSpeech reports every scorer failure so
}
}  // namespace

int enable_scorer(ModelState* ctx, const char* path) {
  if (ctx == nullptr) return kNoModel;
  if (path == nullptr || *path == '\0') {
    report("EnableExternalScorer: no scorer path given");
    return kInvalidScorer;
  }
  return load_scorer(ctx, path);
}

int enable_scorer_from_buffer(ModelState* ctx, const char* buffer, unsigned int size) {
  if (ctx == nullptr) return kNoModel;
  if (buffer == nullptr || size == 0) {
    report("EnableExternalScorerFromBuffer: no scorer bytes given");
    return kInvalidScorer;
  }
  int code = kOk;
  const int made = guarded(
      "EnableExternalScorerFromBuffer",
      [&] {
        const TempFile file(buffer, size, ".scorer");
        code = load_scorer(ctx, file.path());
      },
      [](ErrorKind) { return kInvalidScorer; });
  return made != kOk ? made : code;
}

int disable_scorer(ModelState* ctx) {
  if (ctx == nullptr) return kNoModel;
  if (!ctx->model->has_scorer()) return kScorerNotEnabled;  // as the originals
  ctx->model->disable_scorer();
  return kOk;
}

int set_alpha_beta(ModelState* ctx, float alpha, float beta) {
  if (ctx == nullptr) return kNoModel;
  if (!ctx->model->has_scorer()) return kScorerNotEnabled;
  if (!std::isfinite(alpha) || !std::isfinite(beta)) {
    report("SetScorerAlphaBeta: alpha and beta must be finite");
    return kInvalidScorer;
  }
  return guarded(
      "SetScorerAlphaBeta", [&] { ctx->model->set_scorer_alpha_beta(alpha, beta); },
      [](ErrorKind) { return kScorerNotEnabled; });
}

// Hot words act through the scorer, so (as in DeepSpeech) they need one.
int add_hot_word(ModelState* ctx, const char* word, float boost) {
  if (ctx == nullptr) return kNoModel;
  if (!ctx->model->has_scorer()) return kScorerNotEnabled;
  if (word == nullptr) return kFailInsertHotword;
  return guarded(
      "AddHotWord", [&] { ctx->model->add_hot_word(word, boost); }, [](ErrorKind) { return kFailInsertHotword; });
}

int erase_hot_word(ModelState* ctx, const char* word) {
  if (ctx == nullptr) return kNoModel;
  if (!ctx->model->has_scorer()) return kScorerNotEnabled;
  if (word == nullptr) return kFailEraseHotword;
  return guarded(
      "EraseHotWord", [&] { ctx->model->erase_hot_word(word); }, [](ErrorKind) { return kFailEraseHotword; });
}

int clear_hot_words(ModelState* ctx) {
  if (ctx == nullptr) return kNoModel;
  if (!ctx->model->has_scorer()) return kScorerNotEnabled;
  return guarded("ClearHotWords", [&] { ctx->model->clear_hot_words(); }, [](ErrorKind) { return kFailClearHotword; });
}

namespace {
std::vector<Transcript> run_utterance(ModelState* ctx, const short* buffer, unsigned int size, unsigned int n) {
  auto stream = ctx->model->create_stream();
  if (size > 0) stream->feed_audio(SampleView::of(reinterpret_cast<const std::int16_t*>(buffer), size));
  return best_one(stream->finish(n));
}
bool bad_audio(const short* buffer, unsigned int size) { return buffer == nullptr && size > 0; }
}  // namespace

char* speech_to_text(ModelState* ctx, const short* buffer, unsigned int size) {
  if (ctx == nullptr || bad_audio(buffer, size)) return nullptr;
  return guarded_result<char>("SpeechToText", [&] { return copy_string(run_utterance(ctx, buffer, size, 1)[0].text); });
}

Metadata* speech_to_text_with_metadata(ModelState* ctx, const short* buffer, unsigned int size,
                                       unsigned int num_results) {
  if (ctx == nullptr || bad_audio(buffer, size)) return nullptr;
  return guarded_result<Metadata>("SpeechToTextWithMetadata", [&] {
    return make_metadata(run_utterance(ctx, buffer, size, num_results == 0 ? 1 : num_results));
  });
}

int create_stream(ModelState* ctx, StreamingState** retval) {
  if (retval == nullptr) return kFailCreateStream;
  *retval = nullptr;
  if (ctx == nullptr) return kNoModel;
  return guarded(
      "CreateStream",
      [&] {
        auto state = std::make_unique<StreamingState>();
        state->stream = ctx->model->create_stream();
        *retval = state.release();
      },
      [](ErrorKind) { return kFailCreateStream; });
}

void feed_audio(StreamingState* sctx, const short* buffer, unsigned int size) {
  if (sctx == nullptr || size == 0 || sctx->error != kOk) return;
  if (buffer == nullptr) {
    report("FeedAudioContent: NULL buffer");
    sctx->error = kFailRunSess;
    return;
  }
  sctx->error = guarded(
      "FeedAudioContent",
      [&] { sctx->stream->feed_audio(SampleView::of(reinterpret_cast<const std::int16_t*>(buffer), size)); },
      [](ErrorKind) { return kFailRunSess; });
}

namespace {
bool usable(const StreamingState* sctx) { return sctx != nullptr && sctx->error == kOk && !sctx->stream->finished(); }
}  // namespace

char* intermediate_decode(const StreamingState* sctx) {
  if (!usable(sctx)) return nullptr;
  return guarded_result<char>("IntermediateDecode",
                              [&] { return copy_string(best_one(sctx->stream->intermediate_decode(1))[0].text); });
}

Metadata* intermediate_decode_with_metadata(const StreamingState* sctx, unsigned int num_results) {
  if (!usable(sctx)) return nullptr;
  return guarded_result<Metadata>("IntermediateDecodeWithMetadata", [&] {
    return make_metadata(best_one(sctx->stream->intermediate_decode(num_results == 0 ? 1 : num_results)));
  });
}

char* intermediate_decode_flush(StreamingState* sctx) {
  if (!usable(sctx)) return nullptr;
  return guarded_result<char>("IntermediateDecodeFlushBuffers", [&] {
    return copy_string(best_one(sctx->stream->intermediate_decode_flush_buffers(1))[0].text);
  });
}

Metadata* intermediate_decode_flush_with_metadata(StreamingState* sctx, unsigned int num_results) {
  if (!usable(sctx)) return nullptr;
  return guarded_result<Metadata>("IntermediateDecodeWithMetadataFlushBuffers", [&] {
    return make_metadata(best_one(sctx->stream->intermediate_decode_flush_buffers(num_results == 0 ? 1 : num_results)));
  });
}

// Finishing frees the stream whatever happens, as the originals do.
char* finish_stream(StreamingState* sctx) {
  if (sctx == nullptr) return nullptr;
  const std::unique_ptr<StreamingState> owned(sctx);
  if (!usable(sctx)) return nullptr;
  return guarded_result<char>("FinishStream", [&] { return copy_string(best_one(sctx->stream->finish(1))[0].text); });
}

Metadata* finish_stream_with_metadata(StreamingState* sctx, unsigned int num_results) {
  if (sctx == nullptr) return nullptr;
  const std::unique_ptr<StreamingState> owned(sctx);
  if (!usable(sctx)) return nullptr;
  return guarded_result<Metadata>("FinishStreamWithMetadata", [&] {
    return make_metadata(best_one(sctx->stream->finish(num_results == 0 ? 1 : num_results)));
  });
}

void free_stream(StreamingState* sctx) { delete sctx; }

void free_metadata(Metadata* metadata) { std::free(metadata); }

void free_string(char* text) { std::free(text); }

char* version(const char* api_level) { return copy_string(std::string(api_level) + "+pyds." + PYDS_VERSION); }

char* error_message(int code) { return copy_string(message_of(code)); }

}  // namespace pyds::capi
