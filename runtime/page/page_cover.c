/* page_cover.c — what a book carries besides its cells: the footer's contact and terms,
 * the running header's note, the line-sheet fields shown under each image, and the cover
 * page with its logo and hero image (see page.h: page_book_set_texts, page_book_set_cover).
 * Each of them may change where cells go, so they are set before the first image and the
 * book is laid out again with them. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_book.h"

static bool fail(char *err, size_t errlen, const char *msg, const char *what) {
  snprintf(err, errlen, "%s%s%s", what ? what : "", what ? ": " : "", msg);
  return false;
}

static bool text_copy(const char *s, const char *what, char **out, char *err, size_t errlen) {
  *out = NULL;
  if (!s || !*s) return true;
  if (strlen(s) > PAGE_MAX_TEXT) return fail(err, errlen, "text too long", what);
  if (!g_utf8_validate(s, -1, NULL)) return fail(err, errlen, "not valid UTF-8", what);
  if (!(*out = strdup(s))) return fail(err, errlen, "out of memory", NULL);
  return true;
}

static void free_list(char **v, int n) {
  for (int i = 0; v && i < n; i++) free(v[i]);
  free(v);
}

static void entry_clear(page_entry *e) {
  free(e->source);
  memset(e, 0, sizeof *e);
}

void page_extra_free(page_extra *x) {
  if (!x) return;
  free(x->contact);
  free(x->footer);
  free(x->header_note);
  free_list(x->fields, x->nfields);
  free_list(x->field_labels, x->nfields);
  free(x->season);
  free(x->date);
  entry_clear(&x->logo);
  entry_clear(&x->hero);
  free(x);
}

const char *page_entry_meta(const page_entry *e, const char *key) {
  for (int i = 0; i < e->nmeta; i++)
    if (strcmp(e->meta[2 * i], key) == 0) return e->meta[2 * i + 1];
  return NULL;
}

static page_extra *extra_of(page_book *b) {
  if (!b->extra) b->extra = calloc(1, sizeof *b->extra);
  return b->extra;
}

/* Lays the book out again with o; only while it holds no image. */
static bool relayout(page_book *b, const page_options *o, const char *what, char *err, size_t errlen) {
  page_layout l;
  if (!page_layout_init(&l, o, err, errlen)) {
    page_layout_free(&l);
    return false;
  }
  if (b->ncol_labels > l.columns || b->nrow_labels > l.rows) {
    page_layout_free(&l);
    return fail(err, errlen, "leaves fewer columns or rows than there are labels", what);
  }
  page_layout_free(&b->l);
  b->l = l;
  return true;
}

static bool before_images(page_book *b, const char *what, char *err, size_t errlen) {
  page_book_wait(b);
  if (b->n > 0) return fail(err, errlen, "must be set before the first image", what);
  return true;
}

bool page_book_set_texts(page_book *b, const page_texts *t, char *err, size_t errlen) {
  if (!before_images(b, "texts", err, errlen)) return false;
  if (t->nfields < 0 || t->nfields > 16) return fail(err, errlen, "at most 16 fields", "fields");
  page_extra *x = extra_of(b);
  if (!x) return fail(err, errlen, "out of memory", NULL);
  char *contact, *footer, *note;
  if (!text_copy(t->contact, "contact", &contact, err, errlen)) return false;
  if (!text_copy(t->footer, "footer", &footer, err, errlen)) {
    free(contact);
    return false;
  }
  if (!text_copy(t->header_note, "header_note", &note, err, errlen)) {
    free(contact);
    free(footer);
    return false;
  }
  char **fields = t->nfields ? calloc((size_t)t->nfields, sizeof *fields) : NULL;
  char **labels = t->nfields ? calloc((size_t)t->nfields, sizeof *labels) : NULL;
  bool ok = !t->nfields || (fields && labels);
  if (!ok) fail(err, errlen, "out of memory", NULL);
  for (int i = 0; ok && i < t->nfields; i++) {
    ok = text_copy(t->fields[i], "fields", &fields[i], err, errlen) &&
         text_copy(t->field_labels && t->field_labels[i] ? t->field_labels[i] : t->fields[i], "field label",
                   &labels[i], err, errlen);
    if (ok && !fields[i]) ok = fail(err, errlen, "a field name is empty", "fields");
  }
  page_options o = b->l.o;
  o.has_footer_text = contact || footer;
  o.has_header_note = note != NULL;
  o.field_lines = t->nfields;
  if (ok) ok = relayout(b, &o, "texts", err, errlen);
  if (!ok) {
    free(contact), free(footer), free(note);
    free_list(fields, t->nfields);
    free_list(labels, t->nfields);
    return false;
  }
  free(x->contact), free(x->footer), free(x->header_note);
  free_list(x->fields, x->nfields);
  free_list(x->field_labels, x->nfields);
  x->contact = contact, x->footer = footer, x->header_note = note;
  x->fields = fields, x->field_labels = labels, x->nfields = t->nfields;
  return true;
}

/* Reads an image file into box (fit: whole, centred; fill: covering, cropped) and spools
 * its pixels, flattened onto the background. */
static bool load_cover_image(page_book *b, const char *path, page_rect box, page_fit fit, page_entry *e,
                             const char *what, char *err, size_t errlen) {
  buf data = BUF_INIT;
  char why[600];
  if (image_read_file(path, 0, &data, why, sizeof why) != IMAGE_OK) {
    buf_free(&data);
    return fail(err, errlen, why, what);
  }
  image_decode_opts opts = {.box_width = box.w, .box_height = box.h, .cover = fit == PAGE_FILL};
  image im = IMAGE_INIT, scaled = IMAGE_INIT;
  image_status st = image_decode(data.data, data.len, &opts, &im, NULL, why, sizeof why);
  buf_free(&data);
  page_rect dst, src;
  if (st == IMAGE_OK) {
    page_fit_rect(fit, im.width, im.height, box, &dst, &src);
    if (dst.w != im.width || dst.h != im.height)
      st = image_resize_fit(&im, dst.w, dst.h, fit == PAGE_FIT ? IMAGE_FILL : IMAGE_CROP, &scaled, why, sizeof why);
  }
  if (st != IMAGE_OK) {
    image_free(&im);
    snprintf(err, errlen, "%s: %s: %s", what, path, why);
    return false;
  }
  const image *px = scaled.rgba ? &scaled : &im;
  uint32_t bg = b->l.o.background;
  int bc[3] = {(int)(bg >> 16 & 255), (int)(bg >> 8 & 255), (int)(bg & 255)};
  size_t n = (size_t)px->width * (size_t)px->height;
  uint8_t *rgb = malloc(n * 3);
  bool ok = rgb != NULL;
  if (!ok) fail(err, errlen, "out of memory", NULL);
  for (size_t i = 0; ok && i < n; i++) {
    int a = px->rgba[4 * i + 3];
    for (int k = 0; k < 3; k++) rgb[3 * i + k] = (uint8_t)((px->rgba[4 * i + k] * a + bc[k] * (255 - a) + 127) / 255);
  }
  entry_clear(e);
  if (ok) ok = page_spool_write(&b->spool, rgb, n * 3, &e->off, err, errlen);
  free(rgb);
  image_free(&im);
  image_free(&scaled);
  if (!ok) return false;
  if (fit == PAGE_FIT) dst.x = box.x; /* a logo sits at the left of its band */
  e->dst = dst;
  e->page = -1;
  e->section = -1;
  if (!(e->source = strdup(path))) return fail(err, errlen, "out of memory", NULL);
  return true;
}

bool page_book_set_cover(page_book *b, const page_cover *c, char *err, size_t errlen) {
  if (!before_images(b, "cover", err, errlen)) return false;
  page_extra *x = extra_of(b);
  if (!x) return fail(err, errlen, "out of memory", NULL);
  page_options old = b->l.o, o = old;
  o.cover = true;
  o.has_logo = c->logo && *c->logo;
  o.has_hero = c->hero && *c->hero;
  char *season, *date;
  if (!text_copy(c->season, "season", &season, err, errlen)) return false;
  if (!text_copy(c->date, "date", &date, err, errlen)) {
    free(season);
    return false;
  }
  bool ok = relayout(b, &o, "cover", err, errlen);
  x->has_logo = x->has_hero = false;
  if (ok && o.has_logo) ok = x->has_logo = load_cover_image(b, c->logo, b->l.cover.logo, PAGE_FIT, &x->logo, "logo", err, errlen);
  if (ok && o.has_hero && b->l.cover.hero.h > 0)
    ok = x->has_hero = load_cover_image(b, c->hero, b->l.cover.hero, PAGE_FILL, &x->hero, "hero", err, errlen);
  if (!ok) { /* the book as it was: no cover */
    char ignored[200];
    if (b->l.o.cover) relayout(b, &old, "cover", ignored, sizeof ignored);
    x->has_logo = x->has_hero = false;
    free(season);
    free(date);
    return false;
  }
  free(x->season), free(x->date);
  x->season = season, x->date = date;
  x->cover = true;
  return true;
}

int page_book_total_pages(page_book *b) {
  int body = page_book_pages(b);
  return body + (b->extra && b->extra->cover ? 1 : 0);
}
