/* page_add.c — one image into a lookbook's records, now: checking an item's text,
 * copying it into an entry, the cell's pixels into the spool. No waiting for queued
 * files: page.c waits first, then calls in; page_queue.c calls in as each decoded file's
 * turn comes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_book.h"

static bool fail(char *err, size_t errlen, const char *msg) {
  snprintf(err, errlen, "%s", msg);
  return false;
}

/* Valid UTF-8 without control characters other than tab (a caption is one line). */
bool page_text_ok(const char *s, size_t max, const char *what, char *err, size_t errlen) {
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

void page_entry_free(page_entry *e) {
  free(e->caption[0]);
  free(e->caption[1]);
  for (int i = 0; i < 2 * e->nmeta; i++) free(e->meta[i]);
  free(e->meta);
  free(e->source);
}

page_status page_book_check_item(const page_item *item, char *err, size_t errlen) {
  if (!item) return PAGE_OK;
  for (int i = 0; i < 2; i++)
    if (item->caption[i] && !page_text_ok(item->caption[i], PAGE_MAX_TEXT, "caption", err, errlen)) return PAGE_EINVAL;
  if (item->nmeta < 0 || item->nmeta > PAGE_MAX_META) {
    snprintf(err, errlen, "meta: at most %d entries", PAGE_MAX_META);
    return PAGE_EINVAL;
  }
  for (int i = 0; i < 2 * item->nmeta; i++)
    if (!page_text_ok(item->meta[i] ? item->meta[i] : "", PAGE_MAX_META_TEXT, i % 2 ? "meta value" : "meta key", err,
                 errlen))
      return PAGE_EINVAL;
  return PAGE_OK;
}

/* Copies the item's strings into e, checking them. */
static bool entry_fill(page_entry *e, const page_item *item, char *err, size_t errlen) {
  if (!item) return true;
  for (int i = 0; i < 2; i++) {
    if (!item->caption[i]) continue;
    if (!page_text_ok(item->caption[i], PAGE_MAX_TEXT, "caption", err, errlen)) return false;
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
      if (!page_text_ok(s, PAGE_MAX_META_TEXT, i % 2 ? "meta value" : "meta key", err, errlen)) return false;
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
  page_entry_free(e);
  return status;
}
