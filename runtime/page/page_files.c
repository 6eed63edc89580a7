/* page_files.c — the list of files a lookbook's save wrote (page_files in page.h), kept
 * by page.c, page_render.c and page_html.c alike. */
#include <stdlib.h>
#include <string.h>

#include "page_book.h"

bool page_files_add(page_files *f, const char *path) {
  if (!f) return true;
  if (f->n == f->cap) {
    int cap = f->cap ? f->cap * 2 : 8;
    char **p = realloc(f->paths, sizeof *p * (size_t)cap);
    if (!p) return false;
    f->paths = p;
    f->cap = cap;
  }
  if (!(f->paths[f->n] = strdup(path))) return false;
  f->n++;
  return true;
}

void page_files_free(page_files *f) {
  for (int i = 0; i < f->n; i++) free(f->paths[i]);
  free(f->paths);
  *f = (page_files){0};
}
