/* page.c — a lookbook (see page.h): creating a book, labels, sections, adding images
 * (each call first waits for the files queued before it; page_add.c scales an image to
 * its cell and spools it), handing files to the decode queue (page_queue.c) or adding them
 * at once where it has no threads, and dispatching a save to the PDF, raster or HTML
 * writer by the path's extension. */
#include <cairo.h>
#include <errno.h>
#include <fcntl.h>
#include <fontconfig/fontconfig.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "page_book.h"
#include "page_text.h"
#include "../base/fontfini.h"
#include "../lazy/lazy.h"

static bool fail(char *err, size_t errlen, const char *msg) {
  snprintf(err, errlen, "%s", msg);
  return false;
}

/* cairo and fontconfig keep process-wide font caches for as long as the process lives;
 * releasing them at exit (after every book is gone: lua_close runs before main returns)
 * keeps leak checkers quiet about memory that is not a leak, so real leaks stand out. */
static void release_font_caches(void) {
  font_fini(); /* when it is safe: runtime/base/fontfini.h */
}

static void register_release(void) { atexit(release_font_caches); }

static char *dup_opt(const char *s) { return s ? strdup(s) : NULL; }

page_book *page_book_new(const page_options *o, const char *title, const char *subtitle, char *err,
                         size_t errlen) {
  if (title && !page_text_ok(title, PAGE_MAX_TEXT, "title", err, errlen)) return NULL;
  if (subtitle && !page_text_ok(subtitle, PAGE_MAX_TEXT, "subtitle", err, errlen)) return NULL;
  if (!lazy_need(LAZY_FOR_PAGE, err, errlen)) return NULL;
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, register_release);
  page_book *b = calloc(1, sizeof *b);
  if (!b) return fail(err, errlen, "out of memory"), NULL;
  b->spool.fd = -1;
  page_options opts = *o;
  opts.has_title = title && *title;
  opts.has_subtitle = subtitle && *subtitle;
  if (!(b->text = page_text_new(o->font, err, errlen))) goto failed;
  page_text_metrics(b->text, &opts.ascent_em, &opts.line_em); /* lines are reserved at this height */
  if (!page_layout_init(&b->l, &opts, err, errlen)) goto failed;
  b->title = dup_opt(title);
  b->subtitle = dup_opt(subtitle);
  if ((title && !b->title) || (subtitle && !b->subtitle)) {
    fail(err, errlen, "out of memory");
    goto failed;
  }
  if (!page_spool_open(&b->spool, err, errlen)) goto failed;
  page_cursor_init(&b->cur);
  return b;
failed:
  page_book_free(b);
  return NULL;
}

static void free_labels(char **v, int n) {
  for (int i = 0; v && i < n; i++) free(v[i]);
  free(v);
}

/* Copies n labels (NULL stays NULL) into *out, checking each as text. */
static bool copy_labels(const char *const *src, int n, const char *what, char ***out, char *err, size_t errlen) {
  *out = NULL;
  if (n <= 0) return true;
  char **v = calloc((size_t)n, sizeof *v);
  if (!v) return fail(err, errlen, "out of memory");
  for (int i = 0; i < n; i++) {
    if (!src || !src[i]) continue;
    bool ok = page_text_ok(src[i], PAGE_MAX_TEXT, what, err, errlen);
    if (ok && !(v[i] = strdup(src[i]))) ok = fail(err, errlen, "out of memory");
    if (!ok) {
      free_labels(v, n);
      return false;
    }
  }
  *out = v;
  return true;
}

bool page_book_set_labels(page_book *b, const page_labels *lab, char *err, size_t errlen) {
  page_book_wait(b); /* queued files count as added */
  if (b->n > 0) return fail(err, errlen, "labels must be set before the first image");
  int nc = lab ? lab->ncolumns : 0, nr = lab ? lab->nrows : 0;
  if (nc < 0 || nr < 0 || nc > PAGE_MAX_GRID || nr > PAGE_MAX_GRID) {
    snprintf(err, errlen, "labels: at most %d column and %d row labels", PAGE_MAX_GRID, PAGE_MAX_GRID);
    return false;
  }
  page_options o = b->l.o;
  o.has_col_labels = nc > 0;
  o.has_row_labels = nr > 0;
  page_layout l;
  if (!page_layout_init(&l, &o, err, errlen)) {
    page_layout_free(&l);
    return false;
  }
  if (nc > l.columns || nr > l.rows) {
    snprintf(err, errlen, "%s: %d labels for %d %s", nc > l.columns ? "column_labels" : "row_labels",
             nc > l.columns ? nc : nr, nc > l.columns ? l.columns : l.rows, nc > l.columns ? "columns" : "rows");
    page_layout_free(&l);
    return false;
  }
  char **cols, **rows;
  if (!copy_labels(lab ? lab->columns : NULL, nc, "column label", &cols, err, errlen)) {
    page_layout_free(&l);
    return false;
  }
  if (!copy_labels(lab ? lab->rows : NULL, nr, "row label", &rows, err, errlen)) {
    free_labels(cols, nc);
    page_layout_free(&l);
    return false;
  }
  page_layout_free(&b->l);
  b->l = l;
  free_labels(b->col_labels, b->ncol_labels);
  free_labels(b->row_labels, b->nrow_labels);
  b->col_labels = cols, b->ncol_labels = nc;
  b->row_labels = rows, b->nrow_labels = nr;
  return true;
}

void page_book_free(page_book *b) {
  if (!b) return;
  page_queue_free(b->q); /* waits for its decodes still running on the pool */
  for (int i = 0; i < b->n; i++) page_entry_free(&b->entries[i]);
  free(b->entries);
  for (int i = 0; i < b->nsections; i++) free(b->sections[i]);
  free(b->sections);
  free_labels(b->col_labels, b->ncol_labels);
  free_labels(b->row_labels, b->nrow_labels);
  free(b->title);
  free(b->subtitle);
  page_extra_free(b->extra);
  page_text_free(b->text);
  page_spool_close(&b->spool);
  page_layout_free(&b->l);
  free(b);
}

const page_layout *page_book_layout(const page_book *b) { return &b->l; }
int page_book_count(page_book *b) {
  page_book_wait(b);
  return b->n;
}

int page_book_pages(page_book *b) {
  page_book_wait(b);
  return page_cursor_pages(&b->cur);
}

bool page_book_section(page_book *b, const char *title, char *err, size_t errlen) {
  if (!title) title = "";
  if (!page_text_ok(title, PAGE_MAX_TEXT, "section title", err, errlen)) return false;
  page_book_wait(b);
  if (b->nsections == b->capsections) {
    int cap = b->capsections ? b->capsections * 2 : 8;
    char **s = realloc(b->sections, sizeof *s * (size_t)cap);
    if (!s) return fail(err, errlen, "out of memory");
    b->sections = s;
    b->capsections = cap;
  }
  if (!(b->sections[b->nsections] = strdup(title))) return fail(err, errlen, "out of memory");
  page_cursor_section(&b->cur, b->nsections++);
  return true;
}

/* The cell the next image takes, without taking it. */
static const page_cell *next_cell(const page_book *b) {
  page_cursor c = b->cur;
  int page, cell;
  page_cursor_take(&c, &b->l, &page, &cell);
  return &page_layout_plan(&b->l, c.page_in_section)->cells[cell];
}

void page_book_next_box(page_book *b, int *w, int *h) {
  page_book_wait(b);
  const page_cell *c = next_cell(b);
  *w = c->image.w;
  *h = c->image.h;
}

page_status page_book_add_image(page_book *b, const image *im, const page_item *item, char *err, size_t errlen) {
  page_book_wait(b); /* images queued before this one come first */
  return page_book_add_image_now(b, im, item, err, errlen);
}

page_status page_book_add_encoded(page_book *b, const void *data, size_t len, const char *name,
                                  const page_item *item, char *err, size_t errlen) {
  int bw, bh;
  page_book_next_box(b, &bw, &bh);
  image_decode_opts opts = {.box_width = bw, .box_height = bh, .cover = b->l.o.fit == PAGE_FILL};
  image im = IMAGE_INIT;
  char why[400];
  if (image_decode(data, len, &opts, &im, NULL, why, sizeof why) != IMAGE_OK) {
    snprintf(err, errlen, "%s: %s", name ? name : "image", why);
    return PAGE_EIMAGE;
  }
  page_status st = page_book_add_image(b, &im, item, why, sizeof why);
  image_free(&im);
  if (st != PAGE_OK) snprintf(err, errlen, "%s: %s", name ? name : "image", why);
  return st;
}

page_status page_book_add_file(page_book *b, const char *path, const page_item *item, char *err, size_t errlen) {
  buf data = BUF_INIT;
  if (image_read_file(path, 0, &data, err, errlen) != IMAGE_OK) { /* the message names the path */
    buf_free(&data);
    return PAGE_EFILE;
  }
  page_item it = item ? *item : (page_item){0};
  if (!it.source) it.source = path;
  page_status st = page_book_add_encoded(b, data.data, data.len, path, &it, err, errlen);
  buf_free(&data);
  return st;
}

/* To the book's worker pool, or added here and now where it has none (workers = 1). */
page_status page_book_queue_file(page_book *b, const char *path, const page_item *item, char *err, size_t errlen) {
  page_queue *q = page_queue_of(b);
  if (!q) return page_book_add_file(b, path, item, err, errlen);
  return page_queue_file(b, q, path, item, err, errlen);
}

page_status page_book_queue_encoded(page_book *b, const void *bytes, size_t len, const char *name,
                                    const page_item *item, char *err, size_t errlen) {
  page_queue *q = page_queue_of(b);
  if (!name) name = "image";
  if (!q) return page_book_add_encoded(b, bytes, len, name, item, err, errlen);
  return page_queue_encoded(b, q, bytes, len, name, item, err, errlen);
}

page_out page_out_from_path(const char *path) {
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash)) return PAGE_OUT_NONE;
  dot++;
  if (strcasecmp(dot, "pdf") == 0) return PAGE_OUT_PDF;
  if (strcasecmp(dot, "png") == 0) return PAGE_OUT_PNG;
  if (strcasecmp(dot, "jpg") == 0 || strcasecmp(dot, "jpeg") == 0) return PAGE_OUT_JPEG;
  if (strcasecmp(dot, "webp") == 0) return PAGE_OUT_WEBP;
  if (strcasecmp(dot, "html") == 0 || strcasecmp(dot, "htm") == 0) return PAGE_OUT_HTML;
  return PAGE_OUT_NONE;
}

bool page_book_save(page_book *b, const char *path, page_files *files, char *err, size_t errlen) {
  page_book_wait(b);
  if (b->n == 0) return fail(err, errlen, "the lookbook is empty: add images before saving");
  page_out kind = page_out_from_path(path);
  switch (kind) {
  case PAGE_OUT_PDF:
    if (!page_render_pdf(b, path, err, errlen)) return false;
    if (!page_files_add(files, path)) return fail(err, errlen, "out of memory");
    return true;
  case PAGE_OUT_PNG:
  case PAGE_OUT_JPEG:
  case PAGE_OUT_WEBP:
    return page_render_raster(b, path, kind, files, err, errlen);
  case PAGE_OUT_HTML:
    return page_write_html(b, path, files, err, errlen);
  default:
    snprintf(err, errlen, "%s: unknown output format (use .pdf, .png, .jpg, .webp or .html)", path);
    return false;
  }
}
