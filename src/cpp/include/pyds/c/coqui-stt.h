/* pyds C ABI, Coqui STT 1.4.0 flavour: the STT_* functions, structs and error codes of Coqui's libstt,
 * implemented over pyds::Model / pyds::Stream (OpenVINO). The functions behave as their DS_* twins in
 * <deepspeech.h> (read the notes there); Coqui's additions are at the end of this file.
 *
 * A program written against Coqui STT 1.4's coqui-stt.h compiles against this header unchanged
 * (`-I$(python -c 'import pyds; print(pyds.get_include())')/pyds/c`) and links with `-lpyds` (or `-lstt`:
 * pyds installs a libstt.so beside libpyds.so). A binary already built against the original libstt.so runs
 * with LD_LIBRARY_PATH pointing at pyds.get_lib_dir().
 *
 * Basic usage:
 *   ModelState* model;
 *   if (STT_CreateModel("model.tflite", &model) != STT_ERR_OK) ...  // or a pyds bundle directory
 *   StreamingState* stream;
 *   STT_CreateStream(model, &stream);
 *   STT_FeedAudioContent(stream, chunk, n);                          // 16-bit mono at STT_GetModelSampleRate()
 *   char* partial = STT_IntermediateDecodeFlushBuffers(stream);      // includes the buffered audio
 *   STT_FreeString(partial);
 *   char* text = STT_FinishStream(stream);                           // frees the stream
 *   STT_FreeString(text);
 *   STT_FreeModel(model);
 */
#ifndef COQUI_STT_H
#define COQUI_STT_H

#include "stt_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SWIG
#if defined _MSC_VER
#define STT_EXPORT __declspec(dllexport)
#else
#define STT_EXPORT __attribute__((visibility("default")))
#endif
#else
#define STT_EXPORT
#endif

/* Every error code with its message, once: APPLY(name, value, message) (the table is in stt_types.h). */
#define STT_FOR_EACH_ERROR(APPLY) PYDS_FOR_EACH_ERROR(STT_ERR_, APPLY)

enum STT_Error_Codes {
#define PYDS_STT_ERROR_ENUM(NAME, VALUE, MESSAGE) NAME = VALUE,
  STT_FOR_EACH_ERROR(PYDS_STT_ERROR_ENUM)
#undef PYDS_STT_ERROR_ENUM
};

/* Loads a model: a pyds bundle directory or a raw DeepSpeech/Coqui .tflite/.pb/.pbmm file (converted once,
 * cached). *retval receives the model on success, NULL otherwise. Returns STT_ERR_OK, or
 * STT_ERR_NO_MODEL (NULL/empty path), STT_ERR_FAIL_INIT_MMAP (no such file), STT_ERR_FAIL_READ_PROTOBUF (the
 * file could not be converted: corrupt, unknown format, or no Python with pyds to convert it; the reason is
 * printed on stderr), STT_ERR_INVALID_ALPHABET, STT_ERR_MODEL_INCOMPATIBLE (a bundle that does not match its
 * network), STT_ERR_FAIL_INIT_SESS (OpenVINO could not compile it), STT_ERR_FAIL_CREATE_MODEL (NULL retval,
 * out of memory). */
STT_EXPORT int STT_CreateModel(const char* aModelPath, ModelState** retval);

/* Beam width new streams use: the model's default until STT_SetModelBeamWidth. 0 for a NULL model. */
STT_EXPORT unsigned int STT_GetModelBeamWidth(const ModelState* aCtx);
/* STT_ERR_OK, STT_ERR_NO_MODEL, or STT_ERR_INVALID_SHAPE for a beam width of 0. */
STT_EXPORT int STT_SetModelBeamWidth(ModelState* aCtx, unsigned int aBeamWidth);
/* The sample rate the model takes (Hz); 0 for a NULL model. */
STT_EXPORT int STT_GetModelSampleRate(const ModelState* aCtx);
/* Frees the model. Streams still open keep what they need alive until they are finished or freed. */
STT_EXPORT void STT_FreeModel(ModelState* ctx);

/* Loads an external scorer (.scorer) for new streams, with its default alpha/beta. Every failure (NULL or
 * missing path, corrupt file, a scorer that does not fit the model's alphabet) is STT_ERR_INVALID_SCORER. */
STT_EXPORT int STT_EnableExternalScorer(ModelState* aCtx, const char* aScorerPath);
/* Hot words (need a scorer: STT_ERR_SCORER_NOT_ENABLED otherwise). Adding a word already there is
 * STT_ERR_FAIL_INSERT_HOTWORD, erasing one that is not there STT_ERR_FAIL_ERASE_HOTWORD. */
STT_EXPORT int STT_AddHotWord(ModelState* aCtx, const char* word, float boost);
STT_EXPORT int STT_EraseHotWord(ModelState* aCtx, const char* word);
STT_EXPORT int STT_ClearHotWords(ModelState* aCtx);
/* STT_ERR_SCORER_NOT_ENABLED when there is no scorer to disable. */
STT_EXPORT int STT_DisableExternalScorer(ModelState* aCtx);
/* Language-model weight and word-insertion bonus for new streams. STT_ERR_SCORER_NOT_ENABLED without a
 * scorer; STT_ERR_INVALID_SCORER for a NaN or infinite value. 0.0 is a value like any other. */
STT_EXPORT int STT_SetScorerAlphaBeta(ModelState* aCtx, float aAlpha, float aBeta);

/* One-shot recognition of aBufferSize 16-bit mono samples at the model's rate. The string is the caller's:
 * release it with STT_FreeString. NULL on error. */
STT_EXPORT char* STT_SpeechToText(ModelState* aCtx, const short* aBuffer, unsigned int aBufferSize);
/* The aNumResults best transcripts with per-token timing (fewer when fewer exist). Release with
 * STT_FreeMetadata. NULL on error. */
STT_EXPORT Metadata* STT_SpeechToTextWithMetadata(ModelState* aCtx, const short* aBuffer, unsigned int aBufferSize,
                                                  unsigned int aNumResults);

/* Starts a stream with a snapshot of the model's decoder settings (beam width, scorer, alpha/beta, hot
 * words). STT_ERR_NO_MODEL for a NULL model, STT_ERR_FAIL_CREATE_STREAM otherwise on failure. */
STT_EXPORT int STT_CreateStream(ModelState* aCtx, StreamingState** retval);
/* Feeds samples; the acoustic model runs on every completed 320 ms chunk. */
STT_EXPORT void STT_FeedAudioContent(StreamingState* aSctx, const short* aBuffer, unsigned int aBufferSize);
/* The current best transcript; audio not yet in a complete chunk is not included (as in DeepSpeech). The
 * stream is unchanged. Release with STT_FreeString; NULL on error. */
STT_EXPORT char* STT_IntermediateDecode(const StreamingState* aSctx);
STT_EXPORT Metadata* STT_IntermediateDecodeWithMetadata(const StreamingState* aSctx, unsigned int aNumResults);
/* Flushes the buffered audio, decodes, and FREES the stream (whatever the outcome): do not use aSctx after. */
STT_EXPORT char* STT_FinishStream(StreamingState* aSctx);
STT_EXPORT Metadata* STT_FinishStreamWithMetadata(StreamingState* aSctx, unsigned int aNumResults);
/* Abandons a stream without decoding. */
STT_EXPORT void STT_FreeStream(StreamingState* aSctx);

STT_EXPORT void STT_FreeMetadata(Metadata* m);
STT_EXPORT void STT_FreeString(char* str);

/* "1.4.0+pyds.<pyds version>": the Coqui STT API level, with pyds's version as SemVer build metadata.
 * Release with STT_FreeString. */
STT_EXPORT char* STT_Version(void);
/* The message of an error code ("Unknown error, please make sure you are using the correct error code." for
 * a value that is none). Release with STT_FreeString. */
STT_EXPORT char* STT_ErrorCodeToErrorMessage(int aErrorCode);

/* --- Coqui STT 1.2 / 1.3 additions ----------------------------------------------------------------------- */

/* Like STT_IntermediateDecode, but first runs the audio still buffered through the acoustic model so that
 * everything fed so far is included: one feature frame is computed from the partial window (its samples
 * stay buffered) and the partial chunk is run, zero-padded. As in Coqui, each call adds that extra frame to
 * the stream for good and advances the LSTM state, so calling it often costs accuracy. The stream stays
 * open (it is NOT freed). Release with STT_FreeString; NULL on error. */
STT_EXPORT char* STT_IntermediateDecodeFlushBuffers(StreamingState* aSctx);
STT_EXPORT Metadata* STT_IntermediateDecodeWithMetadataFlushBuffers(StreamingState* aSctx, unsigned int aNumResults);

/* STT_CreateModel from a .tflite (or .pb/.pbmm) image in memory. pyds writes the bytes to a private
 * temporary file (mode 0600 in $TMPDIR), converts it like STT_CreateModel (cached by sha256), and removes the
 * file before returning. A pyds bundle cannot be given as a buffer. */
STT_EXPORT int STT_CreateModelFromBuffer(const char* aModelBuffer, unsigned int aBufferSize, ModelState** retval);
/* STT_EnableExternalScorer from a .scorer image in memory (through a private temporary file, removed before
 * returning; the scorer keeps its own copy of what it needs). */
STT_EXPORT int STT_EnableExternalScorerFromBuffer(ModelState* aCtx, const char* aScorerBuffer,
                                                  unsigned int aBufferSize);

#ifdef __cplusplus
}
#endif

#endif /* COQUI_STT_H */
