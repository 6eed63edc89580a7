/* lpage.h — what the two halves of the `page` module share: lpage_options.c reads and
 * checks lookbook.new's options, lpage.c holds the book userdata and its methods. */
#ifndef ATELIER_LPAGE_H
#define ATELIER_LPAGE_H

#include <lua.h>

#include "../runtime/page/page.h"

/* Raises an atelier error `name` with a printf-style message (C formats), positioned
 * `level` functions up: 1 = whoever called the C function; 2 for page.new, which only
 * lookbook.new calls, so that errors point at the script's own line. */
int lpage_raise(lua_State *L, int level, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Raises BadOption unless every key of the table at idx is one of `allowed` (NULL-ended);
 * the message lists them. */
void lpage_check_keys(lua_State *L, int idx, const char *const *allowed, const char *where, int level);

/* lookbook.new's options, read from the table at stack index 1. Strings stay owned by
 * that table (and by label tables lpage_read_options leaves on the stack). */
typedef struct lpage_new_args {
  page_options o;
  const char *title, *subtitle, *layout;
  const char *cols[PAGE_MAX_GRID], *rows[PAGE_MAX_GRID];
  page_labels labels;
  page_texts texts; /* contact, footer, header_note, fields */
  bool has_texts;
  const char *fields[16], *field_labels[16];
  page_cover cover; /* logo and hero: paths as given (l_new checks them with the sandbox) */
  bool has_cover;
} lpage_new_args;

void lpage_read_options(lua_State *L, lpage_new_args *a);

#endif
