/* The C ABI in a process that switched its locale, as a GUI app does with setlocale(LC_ALL, ""): under a
 * decimal-comma locale the C library reads "0.75" as 0 followed by junk, and pyds must not care.
 * tests/test_locale.py compiles it against the installed pyds.
 *
 *   locale_client LOCALE BUNDLE LM PCM
 *
 * Switches to LOCALE, loads BUNDLE (whose pyds.json holds fractional numbers), enables the language model LM
 * (an ARPA file: fractional log-probabilities), sets alpha/beta, and transcribes PCM (raw 16-bit little-endian
 * mono at the model rate). Prints tab-separated lines:
 *   decimal_point <the locale's decimal point>
 *   text <transcript>
 * Exit status 0 when every call succeeded, 3 when the locale cannot be set. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "coqui-stt.h"

static int fail(const char* what, int code) {
  char* message = STT_ErrorCodeToErrorMessage(code);
  fprintf(stderr, "%s failed: %s (0x%X)\n", what, message ? message : "?", code);
  STT_FreeString(message);
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s LOCALE BUNDLE LM PCM\n", argv[0]);
    return 2;
  }
  if (setlocale(LC_ALL, argv[1]) == NULL) {
    fprintf(stderr, "setlocale(LC_ALL, \"%s\") failed\n", argv[1]);
    return 3;
  }
  printf("decimal_point\t%s\n", localeconv()->decimal_point);

  FILE* f = fopen(argv[4], "rb");
  if (!f) return 2;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  short* samples = malloc((size_t)size + 2);
  if (fread(samples, 1, (size_t)size, f) != (size_t)size) size = 0;
  fclose(f);

  ModelState* model = NULL;
  int status = STT_CreateModel(argv[2], &model);
  if (status != STT_ERR_OK) return fail("STT_CreateModel", status);
  if ((status = STT_EnableExternalScorer(model, argv[3])) != STT_ERR_OK)
    return fail("STT_EnableExternalScorer", status);
  if ((status = STT_SetScorerAlphaBeta(model, 0.75f, 1.25f)) != STT_ERR_OK)
    return fail("STT_SetScorerAlphaBeta", status);
  char* text = STT_SpeechToText(model, samples, (unsigned int)(size / 2));
  if (text == NULL) return fail("STT_SpeechToText", -1);
  printf("text\t%s\n", text);
  STT_FreeString(text);
  STT_FreeModel(model);
  free(samples);
  return 0;
}
