/* page_render.c — turns a lookbook into a PDF or into one PNG/JPEG/WebP file per page.
 *
 * PDF: each cell is JPEG-encoded once at the book's dpi and handed to cairo as the
 * image's own bytes (CAIRO_MIME_TYPE_JPEG), which cairo copies into the file without
 * decoding or re-compressing. The surface carrying those bytes is a 1x1 stand-in scaled
 * to the cell: a PDF image always fills the unit square of its transform, and cairo's
 * page recorder snapshots the pixels of every surface painted until the page is finished
 * — a full-size stand-in would cost width x height x 4 bytes per cell, the 1x1 one costs
 * nothing. A content hash as CAIRO_MIME_TYPE_UNIQUE_ID makes identical cells embedded
 * once. Pages are finished as they are drawn, so at most one page of cells is in memory.
 *
 * Raster: one page-sized RGB24 surface is reused for every page; cells are copied into
 * it pixel for pixel (they are already at their final size and position), cairo draws
 * the text, and runtime/image/image.h encodes the page. Files are written to a temporary name
 * and renamed, so a failed save never leaves a half-written page behind. */
#include <cairo-pdf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "page_draw.h"
#include "../io/safefile.h"
#include "../io/tempsweep.h"

/* ---- files ---------------------------------------------------------------------------- */

/* A temporary file next to `path` (same directory, so rename is atomic); missing
 * folders on the way are created. */
static FILE *open_temp(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen) {
  char why[300];
  /* 0666 & ~umask: a lookbook is to share */
  int fd = safe_temp_beside(path, SAFE_MKDIRS, tmp, tmplen, why, sizeof why);
  if (fd >= 0) temp_sweep_beside(path); /* what a killed save left beside it (tempsweep.h) */
  FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!f) {
    snprintf(err, errlen, "%s: cannot create: %s", path, fd < 0 ? why : strerror(errno));
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
  }
  return f;
}

/* Closes f and renames tmp to path, or removes tmp. */
static bool close_temp(FILE *f, const char *tmp, const char *path, bool ok, char *err, size_t errlen) {
  if (fflush(f) != 0 && ok) {
    snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    ok = false;
  }
  if (fclose(f) != 0 && ok) {
    snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    ok = false;
  }
  if (ok && rename(tmp, path) != 0) {
    snprintf(err, errlen, "%s: cannot replace: %s", path, strerror(errno));
    ok = false;
  }
  if (!ok) unlink(tmp);
  return ok;
}

bool page_write_file(const char *path, const void *data, size_t n, char *err, size_t errlen) {
  char tmp[4200];
  if (strlen(path) > 4000) {
    snprintf(err, errlen, "path too long");
    return false;
  }
  FILE *f = open_temp(path, tmp, sizeof tmp, err, errlen);
  if (!f) return false;
  bool ok = fwrite(data, 1, n, f) == n;
  if (!ok) snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
  return close_temp(f, tmp, path, ok, err, errlen);
}

/* ---- PDF ------------------------------------------------------------------------------ */

static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int len) {
  return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static uint64_t fnv1a(const void *data, size_t n) {
  const unsigned char *p = data;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static bool pdf_paint(cairo_t *cr, const page_book *b, const page_entry *e, void *ud, char *err, size_t errlen) {
  (void)ud;
  image im = IMAGE_INIT;
  if (!page_entry_load(b, e, &im, err, errlen)) return false;
  buf jpeg = BUF_INIT;
  image_encode_opts eo = {.format = IMAGE_JPEG, .quality = b->l.o.quality};
  image_status st = image_encode(&im, &eo, &jpeg, err, errlen);
  image_free(&im);
  if (st != IMAGE_OK) {
    buf_free(&jpeg);
    return false;
  }
  size_t len;
  unsigned char *data = (unsigned char *)buf_take(&jpeg, &len);
  char *uid = malloc(40);
  cairo_surface_t *proxy = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
  if (!uid || cairo_surface_status(proxy) != CAIRO_STATUS_SUCCESS) {
    free(uid);
    free(data);
    cairo_surface_destroy(proxy);
    snprintf(err, errlen, "out of memory");
    return false;
  }
  snprintf(uid, 40, "atelier-%016llx-%zu", (unsigned long long)fnv1a(data, len), len);
  cairo_surface_set_mime_data(proxy, CAIRO_MIME_TYPE_JPEG, data, len, free, data);
  cairo_surface_set_mime_data(proxy, CAIRO_MIME_TYPE_UNIQUE_ID, (unsigned char *)uid, strlen(uid), free, uid);
  cairo_save(cr);
  cairo_translate(cr, e->dst.x, e->dst.y);
  cairo_scale(cr, e->dst.w, e->dst.h);
  cairo_set_source_surface(cr, proxy, 0, 0);
  cairo_paint(cr);
  cairo_restore(cr);
  cairo_surface_destroy(proxy); /* the page recorder keeps its own reference until the page ends */
  return true;
}

bool page_render_pdf(page_book *b, const char *path, char *err, size_t errlen) {
  char tmp[4200];
  if (strlen(path) > 4000) {
    snprintf(err, errlen, "path too long");
    return false;
  }
  FILE *f = open_temp(path, tmp, sizeof tmp, err, errlen);
  if (!f) return false;
  const page_layout *l = &b->l;
  cairo_surface_t *s = cairo_pdf_surface_create_for_stream(pdf_write, f, l->page_w / l->px_per_pt,
                                                           l->page_h / l->px_per_pt);
  if (b->title) cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, b->title);
  if (b->subtitle) cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_SUBJECT, b->subtitle);
  cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "atelier");
  cairo_t *cr = cairo_create(s);
  bool ok = true;
  int npages = page_book_total_pages(b);
  for (int p = 0; p < npages && ok; p++) {
    cairo_save(cr);
    cairo_scale(cr, 1 / l->px_per_pt, 1 / l->px_per_pt); /* draw in layout pixels */
    ok = page_draw(cr, b, p, npages, pdf_paint, NULL, err, errlen);
    cairo_restore(cr);
    cairo_show_page(cr); /* emits the page and lets go of its images */
  }
  cairo_destroy(cr);
  cairo_surface_finish(s);
  cairo_status_t cs = cairo_surface_status(s);
  cairo_surface_destroy(s);
  if (ok && cs != CAIRO_STATUS_SUCCESS) {
    snprintf(err, errlen, "%s: %s", path, cs == CAIRO_STATUS_WRITE_ERROR ? strerror(errno) : cairo_status_to_string(cs));
    ok = false;
  }
  return close_temp(f, tmp, path, ok, err, errlen);
}

/* ---- raster pages --------------------------------------------------------------------- */

/* Copies the cell's pixels straight into the page surface (cairo's RGB24 is one native
 * 32-bit word per pixel, 0x00RRGGBB). */
static bool raster_paint(cairo_t *cr, const page_book *b, const page_entry *e, void *ud, char *err, size_t errlen) {
  (void)ud;
  cairo_surface_t *target = cairo_get_target(cr);
  int W = cairo_image_surface_get_width(target), H = cairo_image_surface_get_height(target);
  if (e->dst.x < 0 || e->dst.y < 0 || e->dst.x + e->dst.w > W || e->dst.y + e->dst.h > H) {
    snprintf(err, errlen, "internal error: a cell lies outside the page");
    return false;
  }
  image im = IMAGE_INIT;
  if (!page_entry_load(b, e, &im, err, errlen)) return false;
  cairo_surface_flush(target);
  unsigned char *data = cairo_image_surface_get_data(target);
  int stride = cairo_image_surface_get_stride(target);
  for (int y = 0; y < e->dst.h; y++) {
    uint32_t *row = (uint32_t *)(data + (size_t)(e->dst.y + y) * (size_t)stride) + e->dst.x;
    const uint8_t *src = im.rgba + (size_t)y * (size_t)e->dst.w * 4;
    for (int x = 0; x < e->dst.w; x++, src += 4)
      row[x] = 0xff000000u | (uint32_t)src[0] << 16 | (uint32_t)src[1] << 8 | src[2];
  }
  cairo_surface_mark_dirty_rectangle(target, e->dst.x, e->dst.y, e->dst.w, e->dst.h);
  image_free(&im);
  return true;
}

/* "dir/look.png" + 3 -> "dir/look-3.png" */
static void page_path(const char *path, int n, char *out, size_t outlen) {
  const char *dot = strrchr(path, '.');
  int stem = (int)(dot - path);
  snprintf(out, outlen, "%.*s-%d%s", stem, path, n, dot);
}

bool page_render_raster(page_book *b, const char *path, page_out kind, page_files *files, char *err,
                        size_t errlen) {
  const page_layout *l = &b->l;
  if (strlen(path) > 4000) {
    snprintf(err, errlen, "path too long");
    return false;
  }
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, l->page_w, l->page_h);
  image page = IMAGE_INIT;
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS ||
      image_alloc(&page, l->page_w, l->page_h, err, errlen) != IMAGE_OK) {
    snprintf(err, errlen, "out of memory for a %d x %d page", l->page_w, l->page_h);
    cairo_surface_destroy(s);
    return false;
  }
  image_encode_opts eo = {.quality = l->o.quality};
  eo.format = kind == PAGE_OUT_PNG ? IMAGE_PNG : kind == PAGE_OUT_JPEG ? IMAGE_JPEG : IMAGE_WEBP;
  if (kind == PAGE_OUT_PNG) eo.effort = 1; /* zlib level 1: 20% faster than 3, files 3% larger */
  bool ok = true;
  int npages = page_book_total_pages(b);
  buf out = BUF_INIT;
  for (int p = 0; p < npages && ok; p++) {
    cairo_t *cr = cairo_create(s);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF); /* same widths as the PDF */
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
    ok = page_draw(cr, b, p, npages, raster_paint, NULL, err, errlen);
    cairo_destroy(cr);
    if (!ok) break;
    cairo_surface_flush(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < l->page_h; y++) {
      const uint32_t *row = (const uint32_t *)(data + (size_t)y * (size_t)stride);
      uint8_t *d = page.rgba + (size_t)y * (size_t)l->page_w * 4;
      for (int x = 0; x < l->page_w; x++, d += 4) {
        uint32_t v = row[x];
        d[0] = (uint8_t)(v >> 16), d[1] = (uint8_t)(v >> 8), d[2] = (uint8_t)v, d[3] = 255;
      }
    }
    buf_reset(&out);
    if (image_encode(&page, &eo, &out, err, errlen) != IMAGE_OK) {
      ok = false;
      break;
    }
    char name[4200];
    page_path(path, p + 1, name, sizeof name);
    ok = page_write_file(name, out.data, out.len, err, errlen);
    if (ok && !page_files_add(files, name)) {
      snprintf(err, errlen, "out of memory");
      ok = false;
    }
  }
  buf_free(&out);
  image_free(&page);
  cairo_surface_destroy(s);
  return ok;
}
