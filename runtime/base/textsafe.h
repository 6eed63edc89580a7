/* textsafe.h — the one escaper for text that came from outside (the API, a file, a
 * script) on its way to a terminal or a log: control bytes and broken UTF-8 become \xNN,
 * so a server cannot retitle the terminal, clear it, move the cursor or forge a line. */
#ifndef ATELIER_TEXTSAFE_H
#define ATELIER_TEXTSAFE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Appends s[0..len) to out with every C0 control byte (tab and newline included), DEL,
 * every byte of a C1 control (U+0080..U+009F) and every byte that is not part of valid
 * UTF-8 written as \xNN (upper-case hex). Printable ASCII and valid UTF-8 for other code
 * points are copied as they are; backslashes too, so escaping is idempotent (escaped text
 * escapes to itself) and every layer that prints may escape again without harm. */
void text_escape(buf *out, const char *s, size_t len);

/* The same for multi-line text (a traceback): newline and tab stay as they are, every
 * other byte follows text_escape (a carriage return is escaped: it could overwrite a
 * line). Server text inside such text was already escaped where it was stored. */
void text_escape_lines(buf *out, const char *s, size_t len);

/* Escapes the NUL-terminated s in place, within cap bytes; what does not fit is cut at a
 * whole escape or character, never in the middle of one. */
void text_escape_inplace(char *s, size_t cap);

/* Length of the longest start of escaped text e (len bytes, made by text_escape) that is
 * at most max bytes and ends between whole escapes and characters: where to cut it. */
size_t text_cut_len(const char *e, size_t len, size_t max);

/* A malloc'd escaped copy of s (NULL when s is NULL or out of memory). */
char *text_escape_dup(const char *s);

/* True when text_escape would leave s[0..len) unchanged. */
bool text_is_safe(const char *s, size_t len);

#endif
