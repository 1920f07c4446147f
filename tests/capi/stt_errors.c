/* The C ABI's failure paths, for the sanitizer build (tests/test_capi.py): NULL pointers, missing files,
 * non-bundle directories, scorers, streams, messages. It loads no model, so OpenVINO never starts (its TBB
 * loads a library with RTLD_DEEPBIND, which AddressSanitizer refuses).
 *
 *   stt_errors DIR      (DIR: an existing directory that is not a model bundle)
 * Prints "ok" and exits 0 when every call gave the documented result. */
#include <stdio.h>
#include <string.h>

#include "coqui-stt.h"

static int failures = 0;

static void expect(const char* what, int got, int want) {
  if (got != want) {
    fprintf(stderr, "%s: got 0x%x, want 0x%x\n", what, got, want);
    failures++;
  }
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  ModelState* model = (ModelState*)0x1;
  expect("CreateModel(NULL)", STT_CreateModel(NULL, &model), STT_ERR_NO_MODEL);
  expect("model reset", model == NULL, 1);
  expect("CreateModel(\"\")", STT_CreateModel("", &model), STT_ERR_NO_MODEL);
  expect("CreateModel(missing)", STT_CreateModel("/nonexistent/model.tflite", &model), STT_ERR_FAIL_INIT_MMAP);
  expect("CreateModel(dir)", STT_CreateModel(argv[1], &model), STT_ERR_MODEL_INCOMPATIBLE);
  expect("CreateModel(out=NULL)", STT_CreateModel(argv[1], NULL), STT_ERR_FAIL_CREATE_MODEL);
  expect("CreateModelFromBuffer(NULL)", STT_CreateModelFromBuffer(NULL, 10, &model), STT_ERR_NO_MODEL);
  expect("SetModelBeamWidth(NULL)", STT_SetModelBeamWidth(NULL, 5), STT_ERR_NO_MODEL);
  expect("GetModelBeamWidth(NULL)", (int)STT_GetModelBeamWidth(NULL), 0);
  expect("GetModelSampleRate(NULL)", STT_GetModelSampleRate(NULL), 0);
  expect("EnableExternalScorer(NULL)", STT_EnableExternalScorer(NULL, "x"), STT_ERR_NO_MODEL);
  expect("EnableExternalScorerFromBuffer(NULL)", STT_EnableExternalScorerFromBuffer(NULL, "x", 1), STT_ERR_NO_MODEL);
  expect("DisableExternalScorer(NULL)", STT_DisableExternalScorer(NULL), STT_ERR_NO_MODEL);
  expect("SetScorerAlphaBeta(NULL)", STT_SetScorerAlphaBeta(NULL, 1, 1), STT_ERR_NO_MODEL);
  expect("AddHotWord(NULL)", STT_AddHotWord(NULL, "x", 1), STT_ERR_NO_MODEL);
  expect("EraseHotWord(NULL)", STT_EraseHotWord(NULL, "x"), STT_ERR_NO_MODEL);
  expect("ClearHotWords(NULL)", STT_ClearHotWords(NULL), STT_ERR_NO_MODEL);
  StreamingState* stream = (StreamingState*)0x1;
  expect("CreateStream(NULL)", STT_CreateStream(NULL, &stream), STT_ERR_NO_MODEL);
  expect("stream reset", stream == NULL, 1);
  short samples[4] = {0};
  expect("SpeechToText(NULL)", STT_SpeechToText(NULL, samples, 4) == NULL, 1);
  expect("SpeechToTextWithMetadata(NULL)", STT_SpeechToTextWithMetadata(NULL, samples, 4, 1) == NULL, 1);
  STT_FeedAudioContent(NULL, samples, 4);
  expect("IntermediateDecode(NULL)", STT_IntermediateDecode(NULL) == NULL, 1);
  expect("IntermediateDecodeWithMetadata(NULL)", STT_IntermediateDecodeWithMetadata(NULL, 1) == NULL, 1);
  expect("IntermediateDecodeFlushBuffers(NULL)", STT_IntermediateDecodeFlushBuffers(NULL) == NULL, 1);
  expect("FlushBuffersWithMetadata(NULL)", STT_IntermediateDecodeWithMetadataFlushBuffers(NULL, 1) == NULL, 1);
  expect("FinishStream(NULL)", STT_FinishStream(NULL) == NULL, 1);
  expect("FinishStreamWithMetadata(NULL)", STT_FinishStreamWithMetadata(NULL, 1) == NULL, 1);
  STT_FreeStream(NULL);
  STT_FreeMetadata(NULL);
  STT_FreeString(NULL);
  STT_FreeModel(NULL);
  for (int code = -1; code <= 0x3011; ++code) { /* every code, and many that are none */
    char* message = STT_ErrorCodeToErrorMessage(code);
    if (message == NULL || message[0] == '\0') failures++;
    STT_FreeString(message);
  }
  char* version = STT_Version();
  expect("Version", strncmp(version, "1.4.0+pyds.", 11), 0);
  STT_FreeString(version);
  if (failures == 0) printf("ok\n");
  return failures ? 1 : 0;
}
