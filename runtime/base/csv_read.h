/* csv_read.h — CSV text (RFC 4180: quoted fields with embedded delimiters, quotes and
 * line breaks; UTF-8 with or without a byte-order mark) parsed with libcsv into rows of
 * fields, each row knowing the line it starts on so errors can name it. */
#ifndef ATELIER_CSV_READ_H
#define ATELIER_CSV_READ_H

#include <stdbool.h>
#include <stddef.h>

#define CSV_MAX_FIELDS 4096     /* per row */
#define CSV_MAX_ROWS 1000000
#define CSV_MAX_FIELD_BYTES (1u << 20)

typedef struct csv_row {
  char **fields; /* NUL-terminated, valid UTF-8 */
  int n;
  int line; /* 1-based line of the file where the row starts */
} csv_row;

typedef struct csv_doc {
  csv_row *rows;
  int nrows, cap;
} csv_doc;

/* Parses len bytes of CSV separated by delim (',' ';' or '\t'). Blank lines are skipped;
 * spaces are part of fields, as RFC 4180 says. False with a message naming the line
 * ("line 7: ...") on a malformed quote, an unterminated quoted field, a NUL byte, text
 * that is not UTF-8, or a limit passed; *d is then empty. Free with csv_doc_free. */
bool csv_doc_parse(const char *data, size_t len, char delim, csv_doc *d, char *err, size_t errlen);
void csv_doc_free(csv_doc *d);

#endif
