/* pyds C ABI, DeepSpeech 0.9.3 flavour: the DS_* functions, structs and error codes of Mozilla DeepSpeech's
 * libdeepspeech, implemented over pyds::Model / pyds::Stream (OpenVINO).
 *
 * A program written against DeepSpeech 0.9's deepspeech.h compiles against this header unchanged
 * (`-I$(python -c 'import pyds; print(pyds.get_include())')/pyds/c`), and links with `-lpyds` (or
 * `-ldeepspeech`: pyds installs a libdeepspeech.so beside libpyds.so). A binary already built against the
 * original libdeepspeech.so runs with LD_LIBRARY_PATH pointing at pyds.get_lib_dir().
 *
 * Basic usage:
 *   ModelState* model;
 *   if (DS_CreateModel("model.tflite", &model) != DS_ERR_OK) ...   // or a pyds bundle directory
 *   char* text = DS_SpeechToText(model, samples, n);              // 16-bit mono at DS_GetModelSampleRate()
 *   DS_FreeString(text);
 *   DS_FreeModel(model);
 *
 * What differs from DeepSpeech 0.9.3 (see README.md, "Coming from DeepSpeech / Coqui STT"):
 * - DS_CreateModel takes a pyds bundle directory, or a raw .tflite/.pb/.pbmm file that is converted once by
 *   the installed pyds Python package (`python -m pyds.convert.cli`, the interpreter from $PYDS_PYTHON, else
 *   the python3 of the environment pyds is installed in, else python3 on PATH) into the cache
 *   ($PYDS_CACHE_DIR, else $XDG_CACHE_HOME/pyds, else ~/.cache/pyds: bundles/sha256-<hex of the file>/).
 * - Every function is safe on NULL pointers: functions returning int give an error code, those returning a
 *   pointer give NULL, void functions do nothing. A failure inside DS_FeedAudioContent (which cannot return
 *   one) is kept and reported by the next decode call of that stream (NULL).
 * - Thread safety: a ModelState may be shared by streams on any number of threads; its decoder settings
 *   apply to streams created afterwards. A StreamingState is used by one thread at a time.
 */
#ifndef DEEPSPEECH_H
#define DEEPSPEECH_H

#include "stt_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SWIG
#if defined _MSC_VER
#define DEEPSPEECH_EXPORT __declspec(dllexport)
#else
#define DEEPSPEECH_EXPORT __attribute__((visibility("default")))
#endif
#else
#define DEEPSPEECH_EXPORT
#endif

/* Every error code with its message, once: APPLY(name, value, message) (the table is in stt_types.h). */
#define DS_FOR_EACH_ERROR(APPLY) PYDS_FOR_EACH_ERROR(DS_ERR_, APPLY)

enum DeepSpeech_Error_Codes {
#define PYDS_DS_ERROR_ENUM(NAME, VALUE, MESSAGE) NAME = VALUE,
  DS_FOR_EACH_ERROR(PYDS_DS_ERROR_ENUM)
#undef PYDS_DS_ERROR_ENUM
};

/* Loads a model: a pyds bundle directory or a raw DeepSpeech/Coqui .tflite/.pb/.pbmm file (converted once,
 * cached). *retval receives the model on success, NULL otherwise. Returns DS_ERR_OK, or
 * DS_ERR_NO_MODEL (NULL/empty path), DS_ERR_FAIL_INIT_MMAP (no such file), DS_ERR_FAIL_READ_PROTOBUF (the
 * file could not be converted: corrupt, unknown format, or no Python with pyds to convert it; the reason is
 * printed on stderr), DS_ERR_INVALID_ALPHABET, DS_ERR_MODEL_INCOMPATIBLE (a bundle that does not match its
 * network), DS_ERR_FAIL_INIT_SESS (OpenVINO could not compile it), DS_ERR_FAIL_CREATE_MODEL (NULL retval,
 * out of memory). */
DEEPSPEECH_EXPORT int DS_CreateModel(const char* aModelPath, ModelState** retval);

/* Beam width new streams use: the model's default until DS_SetModelBeamWidth. 0 for a NULL model. */
DEEPSPEECH_EXPORT unsigned int DS_GetModelBeamWidth(const ModelState* aCtx);
/* DS_ERR_OK, DS_ERR_NO_MODEL, or DS_ERR_INVALID_SHAPE for a beam width of 0. */
DEEPSPEECH_EXPORT int DS_SetModelBeamWidth(ModelState* aCtx, unsigned int aBeamWidth);
/* The sample rate the model takes (Hz); 0 for a NULL model. */
DEEPSPEECH_EXPORT int DS_GetModelSampleRate(const ModelState* aCtx);
/* Frees the model. Streams still open keep what they need alive until they are finished or freed. */
DEEPSPEECH_EXPORT void DS_FreeModel(ModelState* ctx);

/* Loads an external scorer (.scorer) for new streams, with its default alpha/beta. Every failure (NULL or
 * missing path, corrupt file, a scorer that does not fit the model's alphabet) is DS_ERR_INVALID_SCORER. */
DEEPSPEECH_EXPORT int DS_EnableExternalScorer(ModelState* aCtx, const char* aScorerPath);
/* Hot words (need a scorer: DS_ERR_SCORER_NOT_ENABLED otherwise). Adding a word already there is
 * DS_ERR_FAIL_INSERT_HOTWORD, erasing one that is not there DS_ERR_FAIL_ERASE_HOTWORD. */
DEEPSPEECH_EXPORT int DS_AddHotWord(ModelState* aCtx, const char* word, float boost);
DEEPSPEECH_EXPORT int DS_EraseHotWord(ModelState* aCtx, const char* word);
DEEPSPEECH_EXPORT int DS_ClearHotWords(ModelState* aCtx);
/* DS_ERR_SCORER_NOT_ENABLED when there is no scorer to disable. */
DEEPSPEECH_EXPORT int DS_DisableExternalScorer(ModelState* aCtx);
/* Language-model weight and word-insertion bonus for new streams. DS_ERR_SCORER_NOT_ENABLED without a
 * scorer; DS_ERR_INVALID_SCORER for a NaN or infinite value. 0.0 is a value like any other. */
DEEPSPEECH_EXPORT int DS_SetScorerAlphaBeta(ModelState* aCtx, float aAlpha, float aBeta);

/* One-shot recognition of aBufferSize 16-bit mono samples at the model's rate. The string is the caller's:
 * release it with DS_FreeString. NULL on error. */
DEEPSPEECH_EXPORT char* DS_SpeechToText(ModelState* aCtx, const short* aBuffer, unsigned int aBufferSize);
/* The aNumResults best transcripts with per-token timing (fewer when fewer exist). Release with
 * DS_FreeMetadata. NULL on error. */
DEEPSPEECH_EXPORT Metadata* DS_SpeechToTextWithMetadata(ModelState* aCtx, const short* aBuffer,
                                                        unsigned int aBufferSize, unsigned int aNumResults);

/* Starts a stream with a snapshot of the model's decoder settings (beam width, scorer, alpha/beta, hot
 * words). DS_ERR_NO_MODEL for a NULL model, DS_ERR_FAIL_CREATE_STREAM otherwise on failure. */
DEEPSPEECH_EXPORT int DS_CreateStream(ModelState* aCtx, StreamingState** retval);
/* Feeds samples; the acoustic model runs on every completed 320 ms chunk. */
DEEPSPEECH_EXPORT void DS_FeedAudioContent(StreamingState* aSctx, const short* aBuffer, unsigned int aBufferSize);
/* The current best transcript; audio not yet in a complete chunk is not included (as in DeepSpeech). The
 * stream is unchanged. Release with DS_FreeString; NULL on error. */
DEEPSPEECH_EXPORT char* DS_IntermediateDecode(const StreamingState* aSctx);
DEEPSPEECH_EXPORT Metadata* DS_IntermediateDecodeWithMetadata(const StreamingState* aSctx, unsigned int aNumResults);
/* Flushes the buffered audio, decodes, and FREES the stream (whatever the outcome): do not use aSctx after. */
DEEPSPEECH_EXPORT char* DS_FinishStream(StreamingState* aSctx);
DEEPSPEECH_EXPORT Metadata* DS_FinishStreamWithMetadata(StreamingState* aSctx, unsigned int aNumResults);
/* Abandons a stream without decoding. */
DEEPSPEECH_EXPORT void DS_FreeStream(StreamingState* aSctx);

DEEPSPEECH_EXPORT void DS_FreeMetadata(Metadata* m);
DEEPSPEECH_EXPORT void DS_FreeString(char* str);

/* "0.9.3+pyds.<pyds version>": the DeepSpeech API level, with pyds's version as SemVer build metadata.
 * Release with DS_FreeString. */
DEEPSPEECH_EXPORT char* DS_Version(void);
/* The message of an error code ("Unknown error, please make sure you are using the correct error code." for
 * a value that is none). Release with DS_FreeString. */
DEEPSPEECH_EXPORT char* DS_ErrorCodeToErrorMessage(int aErrorCode);

#ifdef __cplusplus
}
#endif

#endif /* DEEPSPEECH_H */
