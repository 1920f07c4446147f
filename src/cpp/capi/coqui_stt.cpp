// Coqui STT 1.4.0's STT_* entry points: each forwards to the shared implementation in api.cpp.
#include "pyds/c/coqui-stt.h"

#include "capi/capi.hpp"

namespace capi = pyds::capi;

extern "C" {

int STT_CreateModel(const char* aModelPath, ModelState** retval) { return capi::create_model(aModelPath, retval); }
unsigned int STT_GetModelBeamWidth(const ModelState* aCtx) { return capi::get_beam_width(aCtx); }
int STT_SetModelBeamWidth(ModelState* aCtx, unsigned int aBeamWidth) { return capi::set_beam_width(aCtx, aBeamWidth); }
int STT_GetModelSampleRate(const ModelState* aCtx) { return capi::get_sample_rate(aCtx); }
void STT_FreeModel(ModelState* ctx) { capi::free_model(ctx); }
int STT_EnableExternalScorer(ModelState* aCtx, const char* aScorerPath) {
  return capi::enable_scorer(aCtx, aScorerPath);
}
int STT_AddHotWord(ModelState* aCtx, const char* word, float boost) { return capi::add_hot_word(aCtx, word, boost); }
int STT_EraseHotWord(ModelState* aCtx, const char* word) { return capi::erase_hot_word(aCtx, word); }
int STT_ClearHotWords(ModelState* aCtx) { return capi::clear_hot_words(aCtx); }
int STT_DisableExternalScorer(ModelState* aCtx) { return capi::disable_scorer(aCtx); }
int STT_SetScorerAlphaBeta(ModelState* aCtx, float aAlpha, float aBeta) {
  return capi::set_alpha_beta(aCtx, aAlpha, aBeta);
}
char* STT_SpeechToText(ModelState* aCtx, const short* aBuffer, unsigned int aBufferSize) {
  return capi::speech_to_text(aCtx, aBuffer, aBufferSize);
}
Metadata* STT_SpeechToTextWithMetadata(ModelState* aCtx, const short* aBuffer, unsigned int aBufferSize,
                                       unsigned int aNumResults) {
  return capi::speech_to_text_with_metadata(aCtx, aBuffer, aBufferSize, aNumResults);
}
int STT_CreateStream(ModelState* aCtx, StreamingState** retval) { return capi::create_stream(aCtx, retval); }
void STT_FeedAudioContent(StreamingState* aSctx, const short* aBuffer, unsigned int aBufferSize) {
  capi::feed_audio(aSctx, aBuffer, aBufferSize);
}
char* STT_IntermediateDecode(const StreamingState* aSctx) { return capi::intermediate_decode(aSctx); }
Metadata* STT_IntermediateDecodeWithMetadata(const StreamingState* aSctx, unsigned int aNumResults) {
  return capi::intermediate_decode_with_metadata(aSctx, aNumResults);
}
char* STT_FinishStream(StreamingState* aSctx) { return capi::finish_stream(aSctx); }
Metadata* STT_FinishStreamWithMetadata(StreamingState* aSctx, unsigned int aNumResults) {
  return capi::finish_stream_with_metadata(aSctx, aNumResults);
}
void STT_FreeStream(StreamingState* aSctx) { capi::free_stream(aSctx); }
void STT_FreeMetadata(Metadata* m) { capi::free_metadata(m); }
void STT_FreeString(char* str) { capi::free_string(str); }
char* STT_Version(void) { return capi::version("1.4.0"); }
char* STT_ErrorCodeToErrorMessage(int aErrorCode) { return capi::error_message(aErrorCode); }
char* STT_IntermediateDecodeFlushBuffers(StreamingState* aSctx) { return capi::intermediate_decode_flush(aSctx); }
Metadata* STT_IntermediateDecodeWithMetadataFlushBuffers(StreamingState* aSctx, unsigned int aNumResults) {
  return capi::intermediate_decode_flush_with_metadata(aSctx, aNumResults);
}
int STT_CreateModelFromBuffer(const char* aModelBuffer, unsigned int aBufferSize, ModelState** retval) {
  return capi::create_model_from_buffer(aModelBuffer, aBufferSize, retval);
}
int STT_EnableExternalScorerFromBuffer(ModelState* aCtx, const char* aScorerBuffer, unsigned int aBufferSize) {
  return capi::enable_scorer_from_buffer(aCtx, aScorerBuffer, aBufferSize);
}

}  // extern "C"
