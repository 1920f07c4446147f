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
