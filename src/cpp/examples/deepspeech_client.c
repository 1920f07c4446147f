/* A DeepSpeech 0.9 C client, written against the DeepSpeech API only (deepspeech.h): it builds unchanged
 * against DeepSpeech's own library or pyds's (link -lpyds or -ldeepspeech), and an existing binary runs on
 * pyds with LD_LIBRARY_PATH=$(python -c "import pyds; print(pyds.get_lib_dir())").
 *
 *   deepspeech_client --model MODEL --audio FILE.wav [--scorer S] [--beam_width N] [--lm_alpha A --lm_beta B]
 *                     [--hot_words w:boost,...] [--stream SAMPLES] [--extended] [--candidate_transcripts N]
 *
 * MODEL is a .tflite/.pb/.pbmm file or a pyds bundle directory. FILE.wav: 16-bit mono PCM at the model's rate.
 * Prints the partial results in --stream mode, the candidates' token timings with --extended, and the final
 * transcript on the last line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deepspeech.h"

static int fail(const char* what, int code) {
  char* message = DS_ErrorCodeToErrorMessage(code);
  fprintf(stderr, "%s failed: %s (0x%X)\n", what, message, code);
  DS_FreeString(message);
  return 1;
}

/* The samples of a 16-bit PCM WAV file (the "data" chunk), or NULL. */
static short* read_wav(const char* path, unsigned int* count) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  unsigned char header[12];
  short* samples = NULL;
  if (fread(header, 1, 12, f) == 12 && memcmp(header, "RIFF", 4) == 0 && memcmp(header + 8, "WAVE", 4) == 0) {
    unsigned char chunk[8];
    while (fread(chunk, 1, 8, f) == 8) {
      unsigned long size = chunk[4] | chunk[5] << 8 | (unsigned long)chunk[6] << 16 | (unsigned long)chunk[7] << 24;
      if (memcmp(chunk, "data", 4) == 0) {
        samples = malloc(size + 2);
        *count = (unsigned int)(fread(samples, 1, size, f) / 2);
        break;
      }
      fseek(f, (long)(size + (size & 1)), SEEK_CUR);
    }
  }
  fclose(f);
  return samples;
}

static void print_candidates(const Metadata* m) {
  for (unsigned int i = 0; i < m->num_transcripts; ++i) {
    const CandidateTranscript* t = &m->transcripts[i];
    printf("candidate %u (confidence %.3f):", i, t->confidence);
    for (unsigned int j = 0; j < t->num_tokens; ++j) printf(" %s@%.2f", t->tokens[j].text, t->tokens[j].start_time);
    printf("\n");
  }
}

static void print_best(const Metadata* m) {
  const CandidateTranscript* t = &m->transcripts[0];
  for (unsigned int j = 0; j < t->num_tokens; ++j) fputs(t->tokens[j].text, stdout);
  printf("\n");
}

int main(int argc, char** argv) {
  const char *model_path = NULL, *audio = NULL, *scorer = NULL, *hot_words = NULL;
  int beam_width = 0, extended = 0, alpha_beta = 0;
  unsigned int stream_size = 0, candidates = 1;
  float alpha = 0, beta = 0;
  for (int i = 1; i < argc; ++i) {
    const char* value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--extended") == 0) {
      extended = 1;
      continue;
    }
    if (value == NULL) break;
    if (strcmp(argv[i], "--model") == 0) model_path = value;
    else if (strcmp(argv[i], "--audio") == 0) audio = value;
    else if (strcmp(argv[i], "--scorer") == 0) scorer = value;
    else if (strcmp(argv[i], "--beam_width") == 0) beam_width = atoi(value);
    else if (strcmp(argv[i], "--lm_alpha") == 0) {
      alpha = (float)atof(value);
      alpha_beta = 1;
    } else if (strcmp(argv[i], "--lm_beta") == 0) {
      beta = (float)atof(value);
      alpha_beta = 1;
    } else if (strcmp(argv[i], "--hot_words") == 0) hot_words = value;
    else if (strcmp(argv[i], "--stream") == 0) stream_size = (unsigned int)atoi(value);
    else if (strcmp(argv[i], "--candidate_transcripts") == 0) candidates = (unsigned int)atoi(value);
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
    ++i;
  }
  if (model_path == NULL || audio == NULL) {
    fprintf(stderr, "usage: %s --model MODEL --audio FILE.wav [options]\n", argv[0]);
    return 2;
  }

  ModelState* model = NULL;
  int status = DS_CreateModel(model_path, &model);
  if (status != DS_ERR_OK) return fail("DS_CreateModel", status);
  if (beam_width > 0 && (status = DS_SetModelBeamWidth(model, (unsigned int)beam_width)) != DS_ERR_OK)
    return fail("DS_SetModelBeamWidth", status);
  if (scorer != NULL) {
    if ((status = DS_EnableExternalScorer(model, scorer)) != DS_ERR_OK) return fail("DS_EnableExternalScorer", status);
    /* An explicit 0.0 is a weight like any other (DeepSpeech's own client ignored zeros). */
    if (alpha_beta && (status = DS_SetScorerAlphaBeta(model, alpha, beta)) != DS_ERR_OK)
      return fail("DS_SetScorerAlphaBeta", status);
  }
  if (hot_words != NULL) {
    char* list = malloc(strlen(hot_words) + 1);
    strcpy(list, hot_words);
    for (char* item = strtok(list, ","); item != NULL; item = strtok(NULL, ",")) {
      char* colon = strrchr(item, ':');
      if (colon == NULL) continue;
      *colon = '\0';
      if ((status = DS_AddHotWord(model, item, (float)atof(colon + 1))) != DS_ERR_OK)
        return fail("DS_AddHotWord", status);
    }
    free(list);
  }

  unsigned int n = 0;
  short* samples = read_wav(audio, &n);
  if (samples == NULL) {
    fprintf(stderr, "cannot read 16-bit PCM WAV %s\n", audio);
    DS_FreeModel(model);
    return 1;
  }

  Metadata* result = NULL;
  if (stream_size > 0) {
    StreamingState* stream = NULL;
    if ((status = DS_CreateStream(model, &stream)) != DS_ERR_OK) return fail("DS_CreateStream", status);
    for (unsigned int at = 0; at < n; at += stream_size) {
      DS_FeedAudioContent(stream, samples + at, at + stream_size <= n ? stream_size : n - at);
      char* partial = DS_IntermediateDecode(stream);
      if (partial != NULL) printf("partial: %s\n", partial);
      DS_FreeString(partial);
    }
    result = DS_FinishStreamWithMetadata(stream, candidates); /* frees the stream */
  } else {
    result = DS_SpeechToTextWithMetadata(model, samples, n, candidates);
  }
  free(samples);
  if (result == NULL || result->num_transcripts == 0) {
    fprintf(stderr, "recognition failed\n");
    DS_FreeMetadata(result);
    DS_FreeModel(model);
    return 1;
  }
  if (extended) print_candidates(result);
  print_best(result);
  DS_FreeMetadata(result);
  DS_FreeModel(model);
  return 0;
}
