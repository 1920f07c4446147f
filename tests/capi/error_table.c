/* Prints the error tables of the installed <deepspeech.h> and <coqui-stt.h> as the preprocessor and the
 * compiler see them (tests/test_capi.py compares them with pyds.compat and the library's messages):
 *   <name> TAB <value in the table> TAB <value of the enum constant> TAB <message> */
#include <stdio.h>

#include "coqui-stt.h"
#include "deepspeech.h"

#define PRINT_ROW(NAME, VALUE, MESSAGE) printf("%s\t%d\t%d\t%s\n", #NAME, (int)(VALUE), (int)(NAME), MESSAGE);

int main(void) {
  DS_FOR_EACH_ERROR(PRINT_ROW)
  STT_FOR_EACH_ERROR(PRINT_ROW)
  return 0;
}
