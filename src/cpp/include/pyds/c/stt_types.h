/* pyds C ABI: the types shared by <deepspeech.h> (DS_*) and <coqui-stt.h> (STT_*).
 *
 * The layouts are those of DeepSpeech 0.9.3 and Coqui STT 1.4.0, so binaries built against either original
 * library run against pyds unchanged. Included by both headers; safe to include twice. */
#ifndef PYDS_C_STT_TYPES_H
#define PYDS_C_STT_TYPES_H

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles. A ModelState is a loaded model plus the decoder settings new streams start from; a
 * StreamingState is one utterance in progress. */
typedef struct ModelState ModelState;
typedef struct StreamingState StreamingState;

/* One output token (an alphabet label: a character, or a byte in UTF-8 mode). */
typedef struct TokenMetadata {
  const char* const text;        /* the token's text, NUL-terminated */
  const unsigned int timestep;   /* frame index of the token, in 20 ms units */
  const float start_time;        /* timestep * 0.02: the start of the token's feature window, seconds */
} TokenMetadata;

/* One candidate transcript, best first inside Metadata. */
typedef struct CandidateTranscript {
  const TokenMetadata* const tokens;  /* num_tokens entries */
  const unsigned int num_tokens;
  const double confidence;            /* the beam's natural-log score (acoustic + language model); higher is better */
} CandidateTranscript;

/* Every error code with its number and message, once (DeepSpeech 0.9.3's DS_ERR_* and Coqui STT 1.4.0's
 * STT_ERR_* are the same table): APPLY(<PREFIX><name>, value, message). <deepspeech.h> expands it with the
 * prefix DS_ERR_, <coqui-stt.h> with STT_ERR_; the C ABI's messages and pyds.compat.ERROR_CODES (through
 * pyds._core.C_ERROR_CODES) are generated from it too. */
#define PYDS_FOR_EACH_ERROR(PREFIX, APPLY)                                                               \
  APPLY(PREFIX##OK, 0x0000, "No error.")                                                                 \
  APPLY(PREFIX##NO_MODEL, 0x1000, "Missing model information.")                                          \
  APPLY(PREFIX##INVALID_ALPHABET, 0x2000, "Invalid alphabet embedded in model. (Data corruption?)")      \
  APPLY(PREFIX##INVALID_SHAPE, 0x2001, "Invalid model shape.")                                           \
  APPLY(PREFIX##INVALID_SCORER, 0x2002, "Invalid scorer file.")                                          \
  APPLY(PREFIX##MODEL_INCOMPATIBLE, 0x2003, "Incompatible model.")                                       \
  APPLY(PREFIX##SCORER_NOT_ENABLED, 0x2004, "External scorer is not enabled.")                           \
  APPLY(PREFIX##SCORER_UNREADABLE, 0x2005, "Could not read scorer file.")                                \
  APPLY(PREFIX##SCORER_INVALID_LM, 0x2006, "Could not recognize language model header in scorer.")       \
  APPLY(PREFIX##SCORER_NO_TRIE, 0x2007, "Reached end of scorer file before loading vocabulary trie.")    \
  APPLY(PREFIX##SCORER_INVALID_TRIE, 0x2008, "Invalid magic in trie header.")                            \
  APPLY(PREFIX##SCORER_VERSION_MISMATCH, 0x2009, "Scorer file version does not match expected version.") \
  APPLY(PREFIX##FAIL_INIT_MMAP, 0x3000, "Failed to initialize memory mapped model.")                     \
  APPLY(PREFIX##FAIL_INIT_SESS, 0x3001, "Failed to initialize the session.")                             \
  APPLY(PREFIX##FAIL_INTERPRETER, 0x3002, "Interpreter failed.")                                         \
  APPLY(PREFIX##FAIL_RUN_SESS, 0x3003, "Failed to run the session.")                                     \
  APPLY(PREFIX##FAIL_CREATE_STREAM, 0x3004, "Error creating the stream.")                                \
  APPLY(PREFIX##FAIL_READ_PROTOBUF, 0x3005, "Error reading the proto buffer model file.")                \
  APPLY(PREFIX##FAIL_CREATE_SESS, 0x3006, "Failed to create session.")                                   \
  APPLY(PREFIX##FAIL_CREATE_MODEL, 0x3007, "Could not allocate model state.")                            \
  APPLY(PREFIX##FAIL_INSERT_HOTWORD, 0x3008, "Could not insert hot-word.")                               \
  APPLY(PREFIX##FAIL_CLEAR_HOTWORD, 0x3009, "Could not clear hot-words.")                                \
  APPLY(PREFIX##FAIL_ERASE_HOTWORD, 0x3010, "Could not erase hot-word.")

/* What *_ErrorCodeToErrorMessage returns for a number that is not in the table (the originals' text). */
#define PYDS_UNKNOWN_ERROR_MESSAGE "Unknown error, please make sure you are using the correct error code."

/* The result of a *WithMetadata call. The whole structure (transcripts, tokens, texts) is one allocation
 * owned by the caller: release it with DS_FreeMetadata / STT_FreeMetadata, never with free(). */
typedef struct Metadata {
  const CandidateTranscript* const transcripts;  /* num_transcripts entries */
  const unsigned int num_transcripts;
} Metadata;

#ifdef __cplusplus
}
#endif

#endif /* PYDS_C_STT_TYPES_H */
