/* Test client for the Coqui STT C ABI (tests/test_capi.py compiles it against the installed pyds).
 * Written against coqui-stt.h as a Coqui STT 1.4 program would be.
 *
 *   stt_client MODEL CHUNK BEAM WAV...
 *
 * For each WAV (16-bit mono PCM at the model rate) prints tab-separated lines:
 *   <wav> stt <text>                                    STT_SpeechToText
 *   <wav> meta <text> <confidence> <timesteps>          STT_SpeechToTextWithMetadata(…, 2), best candidate
 *   <wav> partial <text>                                STT_IntermediateDecode after each CHUNK samples
 *   <wav> flush <text>                                  STT_IntermediateDecodeFlushBuffers at the middle
 *   <wav> stream <text> <confidence> <timesteps>        STT_FinishStreamWithMetadata of the streamed audio
 * Exit status 0 when every call succeeded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coqui-stt.h"

static short* read_wav(const char* path, unsigned* n) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char* bytes = malloc((size_t)size);
  if (fread(bytes, 1, (size_t)size, f) != (size_t)size) size = 0;
  fclose(f);
  long at = 12;
  while (at + 8 <= size) { /* walk the RIFF chunks to "data" */
    unsigned len = bytes[at + 4] | bytes[at + 5] << 8 | bytes[at + 6] << 16 | (unsigned)bytes[at + 7] << 24;
    if (memcmp(bytes + at, "data", 4) == 0) {
      if (at + 8 + (long)len > size) len = (unsigned)(size - at - 8);
      *n = len / 2;
      short* samples = malloc(len + 2);
      memcpy(samples, bytes + at + 8, len);
      free(bytes);
      return samples;
    }
    at += 8 + len + (len & 1);
  }
  free(bytes);
  return NULL;
}

static void print_best(const char* wav, const char* what, const Metadata* m) {
  const CandidateTranscript* t = &m->transcripts[0];
  printf("%s\t%s\t", wav, what);
  for (unsigned i = 0; i < t->num_tokens; ++i) fputs(t->tokens[i].text, stdout);
  printf("\t%.4f\t", t->confidence);
  for (unsigned i = 0; i < t->num_tokens; ++i) printf(i ? ",%u" : "%u", t->tokens[i].timestep);
  printf("\n");
}

int main(int argc, char** argv) {
  if (argc < 5) return 2;
  ModelState* model = NULL;
  int status = STT_CreateModel(argv[1], &model);
  if (status != STT_ERR_OK) {
    char* message = STT_ErrorCodeToErrorMessage(status);
    fprintf(stderr, "STT_CreateModel: %s (0x%x)\n", message, status);
    STT_FreeString(message);
    return 1;
  }
  unsigned chunk = (unsigned)atoi(argv[2]);
  if (STT_SetModelBeamWidth(model, (unsigned)atoi(argv[3])) != STT_ERR_OK) return 1;
  int failures = 0;
  for (int a = 4; a < argc; ++a) {
    unsigned n = 0;
    short* samples = read_wav(argv[a], &n);
    if (!samples) {
      fprintf(stderr, "cannot read %s\n", argv[a]);
      return 1;
    }

    char* text = STT_SpeechToText(model, samples, n);
    if (!text) {
      failures++;
      continue;
    }
    printf("%s\tstt\t%s\n", argv[a], text);
    STT_FreeString(text);

    Metadata* meta = STT_SpeechToTextWithMetadata(model, samples, n, 2);
    if (!meta || meta->num_transcripts < 1) {
      failures++;
      continue;
    }
    print_best(argv[a], "meta", meta);
    STT_FreeMetadata(meta);

    StreamingState* stream = NULL;
    if (STT_CreateStream(model, &stream) != STT_ERR_OK) {
      failures++;
      continue;
    }
    for (unsigned at = 0; at < n; at += chunk) {
      STT_FeedAudioContent(stream, samples + at, at + chunk <= n ? chunk : n - at);
      char* partial = STT_IntermediateDecode(stream);
      if (!partial) {
        failures++;
        break;
      }
      printf("%s\tpartial\t%s\n", argv[a], partial);
      STT_FreeString(partial);
      Metadata* pm = STT_IntermediateDecodeWithMetadata(stream, 1);
      if (!pm) {
        failures++;
        break;
      }
      STT_FreeMetadata(pm);
    }
    Metadata* final = STT_FinishStreamWithMetadata(stream, 1); /* frees the stream */
    if (!final) {
      failures++;
      continue;
    }
    print_best(argv[a], "stream", final);
    STT_FreeMetadata(final);

    /* A flushed intermediate decode in the middle of a second stream, then abandon it. */
    if (STT_CreateStream(model, &stream) != STT_ERR_OK) {
      failures++;
      continue;
    }
    STT_FeedAudioContent(stream, samples, n / 2);
    char* flushed = STT_IntermediateDecodeFlushBuffers(stream);
    if (!flushed) {
      failures++;
      continue;
    }
    printf("%s\tflush\t%s\n", argv[a], flushed);
    STT_FreeString(flushed);
    Metadata* fm = STT_IntermediateDecodeWithMetadataFlushBuffers(stream, 1);
    if (!fm) {
      failures++;
      continue;
    }
    STT_FreeMetadata(fm);
    STT_FreeStream(stream);
    free(samples);
  }
  STT_FreeModel(model);
  return failures ? 1 : 0;
}
