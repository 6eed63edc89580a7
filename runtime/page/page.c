/* page.c — a lookbook's records (see page.h): creating a book, sections, adding images
 * (scaled to their cell on arrival, spooled to disk), and dispatching a save to the
 * PDF, raster or HTML writer by the path's extension. */
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

static bool fail(char *err, size_t errlen, const char *msg) {
  snprintf(err, errlen, "%s", msg);
  return false;
}

/* Valid UTF-8 without control characters other than tab (a caption is one line). */
static bool text_ok(const char *s, size_t max, const char *what, char *err, size_t errlen) {
  size_t n = strlen(s);
  if (n > max) {
    snprintf(err, errlen, "%s: longer than %zu bytes", what, max);
    return false;
  }
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    unsigned c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) goto bad;
    if (len == 1 && (c < 0x20 || c == 0x7f) && c != '\t') {
      snprintf(err, errlen, "%s: contains a control character (byte %zu)", what, i + 1);
      return false;
    }
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xc0) != 0x80) goto bad;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      goto bad;
    i += len;
  }
  return true;
bad:
  snprintf(err, errlen, "%s: not valid UTF-8", what);
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
  if (title && !text_ok(title, PAGE_MAX_TEXT, "title", err, errlen)) return NULL;
  if (subtitle && !text_ok(subtitle, PAGE_MAX_TEXT, "subtitle", err, errlen)) return NULL;
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
    bool ok = text_ok(src[i], PAGE_MAX_TEXT, what, err, errlen);
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

static void entry_free(page_entry *e) {
  free(e->caption[0]);
  free(e->caption[1]);
  for (int i = 0; i < 2 * e->nmeta; i++) free(e->meta[i]);
  free(e->meta);
  free(e->source);
}

void page_book_free(page_book *b) {
  if (!b) return;
  page_queue_free(b->q); /* joins the threads first: they may hold jobs */
  for (int i = 0; i < b->n; i++) entry_free(&b->entries[i]);
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
  if (!text_ok(title, PAGE_MAX_TEXT, "section title", err, errlen)) return false;
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

page_status page_book_check_item(const page_item *item, char *err, size_t errlen) {
  if (!item) return PAGE_OK;
  for (int i = 0; i < 2; i++)
    if (item->caption[i] && !text_ok(item->caption[i], PAGE_MAX_TEXT, "caption", err, errlen)) return PAGE_EINVAL;
  if (item->nmeta < 0 || item->nmeta > PAGE_MAX_META) {
    snprintf(err, errlen, "meta: at most %d entries", PAGE_MAX_META);
    return PAGE_EINVAL;
  }
  for (int i = 0; i < 2 * item->nmeta; i++)
    if (!text_ok(item->meta[i] ? item->meta[i] : "", PAGE_MAX_META_TEXT, i % 2 ? "meta value" : "meta key", err,
                 errlen))
      return PAGE_EINVAL;
  return PAGE_OK;
}

/* Copies the item's strings into e, checking them. */
static bool entry_fill(page_entry *e, const page_item *item, char *err, size_t errlen) {
  if (!item) return true;
  for (int i = 0; i < 2; i++) {
    if (!item->caption[i]) continue;
    if (!text_ok(item->caption[i], PAGE_MAX_TEXT, "caption", err, errlen)) return false;
    if (!(e->caption[i] = strdup(item->caption[i]))) return fail(err, errlen, "out of memory");
  }
  if (item->nmeta < 0 || item->nmeta > PAGE_MAX_META) {
    snprintf(err, errlen, "meta: at most %d entries", PAGE_MAX_META);
    return false;
  }
  if (item->nmeta) {
    if (!(e->meta = calloc((size_t)(2 * item->nmeta), sizeof *e->meta))) return fail(err, errlen, "out of memory");
    e->nmeta = item->nmeta;
    for (int i = 0; i < 2 * item->nmeta; i++) {
      const char *s = item->meta[i] ? item->meta[i] : "";
      if (!text_ok(s, PAGE_MAX_META_TEXT, i % 2 ? "meta value" : "meta key", err, errlen)) return false;
      if (!(e->meta[i] = strdup(s))) return fail(err, errlen, "out of memory");
    }
  }
  if (item->source && !(e->source = strdup(item->source))) return fail(err, errlen, "out of memory");
  return true;
}

/* Writes cell pixels (RGBA, already at their final size) to the spool as opaque RGB,
 * blending any transparency over the page background. */
static bool spool_pixels(page_book *b, const image *im, uint64_t *off, char *err, size_t errlen) {
  uint32_t bg = b->l.o.background;
  int br = (int)(bg >> 16 & 255), bgc = (int)(bg >> 8 & 255), bb = (int)(bg & 255);
  size_t row = (size_t)im->width * 3;
  uint8_t *rgb = malloc(row * (size_t)im->height);
  if (!rgb) return fail(err, errlen, "out of memory");
  const uint8_t *s = im->rgba;
  uint8_t *d = rgb;
  for (size_t i = 0, n = (size_t)im->width * (size_t)im->height; i < n; i++, s += 4, d += 3) {
    int a = s[3];
    if (a == 255) {
      d[0] = s[0], d[1] = s[1], d[2] = s[2];
    } else {
      d[0] = (uint8_t)((s[0] * a + br * (255 - a) + 127) / 255);
      d[1] = (uint8_t)((s[1] * a + bgc * (255 - a) + 127) / 255);
      d[2] = (uint8_t)((s[2] * a + bb * (255 - a) + 127) / 255);
    }
  }
  bool ok = page_spool_write(&b->spool, rgb, row * (size_t)im->height, off, err, errlen);
  free(rgb);
  return ok;
}

page_status page_book_add_image(page_book *b, const image *im, const page_item *item, char *err, size_t errlen) {
  page_book_wait(b); /* images queued before this one come first */
  return page_book_add_image_now(b, im, item, err, errlen);
}

page_status page_book_add_image_now(page_book *b, const image *im, const page_item *item, char *err,
                                    size_t errlen) {
  if (!im || !im->rgba || im->width < 1 || im->height < 1) return fail(err, errlen, "the image has no pixels"), PAGE_EIMAGE;
  if (b->n >= PAGE_MAX_IMAGES) {
    snprintf(err, errlen, "a lookbook holds at most %d images", PAGE_MAX_IMAGES);
    return PAGE_EINVAL;
  }
  if (b->n == b->cap) {
    int cap = b->cap ? b->cap * 2 : 64;
    page_entry *e = realloc(b->entries, sizeof *e * (size_t)cap);
    if (!e) return fail(err, errlen, "out of memory"), PAGE_ESYS;
    b->entries = e;
    b->cap = cap;
  }
  page_entry *e = &b->entries[b->n];
  memset(e, 0, sizeof *e);
  page_status status = PAGE_EINVAL;
  if (!entry_fill(e, item, err, errlen)) goto failed;
  status = PAGE_ESYS;

  page_cursor c = b->cur;
  int page, cell;
  page_cursor_take(&c, &b->l, &page, &cell);
  page_rect box = page_layout_plan(&b->l, c.page_in_section)->cells[cell].image;
  page_rect dst, src;
  page_fit_rect(b->l.o.fit, im->width, im->height, box, &dst, &src);
  image scaled = IMAGE_INIT;
  image_status st;
  if (dst.w == im->width && dst.h == im->height) { /* already the cell's size */
    st = IMAGE_OK;
  } else {
    st = image_resize_fit(im, dst.w, dst.h, b->l.o.fit == PAGE_FIT ? IMAGE_FILL : IMAGE_CROP, &scaled, err,
                          errlen);
  }
  if (st != IMAGE_OK) goto failed;
  bool ok = spool_pixels(b, scaled.rgba ? &scaled : im, &e->off, err, errlen);
  image_free(&scaled);
  if (!ok) goto failed;
  e->page = page;
  e->cell = cell;
  e->page_in_section = c.page_in_section;
  e->dst = dst;
  e->section = b->cur.section;
  b->cur = c;
  b->n++;
  return PAGE_OK;
failed:
  entry_free(e);
  return status;
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

void page_book_page_entries(const page_book *b, int p, int *first, int *count) {
  /* entries are in page order: binary search the first on page p */
  int lo = 0, hi = b->n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (b->entries[mid].page < p) lo = mid + 1;
    else hi = mid;
  }
  int end = lo;
  while (end < b->n && b->entries[end].page == p) end++;
  *first = lo;
  *count = end - lo;
}

int page_book_page_section(const page_book *b, int p) {
  int first, count;
  page_book_page_entries(b, p, &first, &count);
  return count ? b->entries[first].section : -1;
}

bool page_entry_load(const page_book *b, const page_entry *e, image *im, char *err, size_t errlen) {
  if (image_alloc(im, e->dst.w, e->dst.h, err, errlen) != IMAGE_OK) return false;
  size_t n = (size_t)e->dst.w * (size_t)e->dst.h;
  /* read RGB into the tail of the RGBA buffer, then spread forward in place */
  uint8_t *rgb = im->rgba + n;
  if (!page_spool_read(&b->spool, e->off, rgb, n * 3, err, errlen)) {
    image_free(im);
    return false;
  }
  uint8_t *d = im->rgba;
  for (size_t i = 0; i < n; i++) {
    d[4 * i] = rgb[3 * i];
    d[4 * i + 1] = rgb[3 * i + 1];
    d[4 * i + 2] = rgb[3 * i + 2];
    d[4 * i + 3] = 255;
  }
  return true;
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
