// DeepSpeech 0.9.3's DS_* entry points: each forwards to the shared implementation in api.cpp.
#include "pyds/c/deepspeech.h"

#include "capi/capi.hpp"

namespace capi = pyds::capi;

extern "C" {

int DS_CreateModel(const char* aModelPath, ModelState** retval) { return capi::create_model(aModelPath, retval); }
unsigned int DS_GetModelBeamWidth(const ModelState* aCtx) { return capi::get_beam_width(aCtx); }
int DS_SetModelBeamWidth(ModelState* aCtx, unsigned int aBeamWidth) { return capi::set_beam_width(aCtx, aBeamWidth); }
int DS_GetModelSampleRate(const ModelState* aCtx) { return capi::get_sample_rate(aCtx); }
void DS_FreeModel(ModelState* ctx) { capi::free_model(ctx); }
int DS_EnableExternalScorer(ModelState* aCtx, const char* aScorerPath) {
  return capi::enable_scorer(aCtx, aScorerPath);
}
int DS_AddHotWord(ModelState* aCtx, const char* word, float boost) { return capi::add_hot_word(aCtx, word, boost); }
int DS_EraseHotWord(ModelState* aCtx, const char* word) { return capi::erase_hot_word(aCtx, word); }
int DS_ClearHotWords(ModelState* aCtx) { return capi::clear_hot_words(aCtx); }
int DS_DisableExternalScorer(ModelState* aCtx) { return capi::disable_scorer(aCtx); }
int DS_SetScorerAlphaBeta(ModelState* aCtx, float aAlpha, float aBeta) {
  return capi::set_alpha_beta(aCtx, aAlpha, aBeta);
}
char* DS_SpeechToText(ModelState* aCtx, const short* aBuffer, unsigned int aBufferSize) {
  return capi::speech_to_text(aCtx, aBuffer, aBufferSize);
}
Metadata* DS_SpeechToTextWithMetadata(ModelState* aCtx, const short* aBuffer, unsigned int aBufferSize,
                                      unsigned int aNumResults) {
  return capi::speech_to_text_with_metadata(aCtx, aBuffer, aBufferSize, aNumResults);
}
int DS_CreateStream(ModelState* aCtx, StreamingState** retval) { return capi::create_stream(aCtx, retval); }
void DS_FeedAudioContent(StreamingState* aSctx, const short* aBuffer, unsigned int aBufferSize) {
  capi::feed_audio(aSctx, aBuffer, aBufferSize);
}
char* DS_IntermediateDecode(const StreamingState* aSctx) { return capi::intermediate_decode(aSctx); }
Metadata* DS_IntermediateDecodeWithMetadata(const StreamingState* aSctx, unsigned int aNumResults) {
  return capi::intermediate_decode_with_metadata(aSctx, aNumResults);
}
char* DS_FinishStream(StreamingState* aSctx) { return capi::finish_stream(aSctx); }
Metadata* DS_FinishStreamWithMetadata(StreamingState* aSctx, unsigned int aNumResults) {
  return capi::finish_stream_with_metadata(aSctx, aNumResults);
}
void DS_FreeStream(StreamingState* aSctx) { capi::free_stream(aSctx); }
void DS_FreeMetadata(Metadata* m) { capi::free_metadata(m); }
void DS_FreeString(char* str) { capi::free_string(str); }
char* DS_Version(void) { return capi::version("0.9.3"); }
char* DS_ErrorCodeToErrorMessage(int aErrorCode) { return capi::error_message(aErrorCode); }

}  // extern "C"
