/* page_spool.c — where a lookbook keeps its cell pixels between add and save: an
 * anonymous temporary file (created in $TMPDIR or /tmp and unlinked at once, so it
 * vanishes with the process whatever happens), so memory does not grow with the number
 * of images. The kernel's page cache makes it about as fast as memory while it fits.
 * Also reading the cells back for the renderers: which entries are on a page, and an
 * entry's pixels as an image. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "page_book.h"

bool page_spool_open(page_spool *s, char *err, size_t errlen) {
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  char path[4096];
  snprintf(path, sizeof path, "%s/atelier-lookbook-XXXXXX", dir);
  int fd = mkstemp(path);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create the lookbook's temporary file in %s: %s", dir, strerror(errno));
    return false;
  }
  unlink(path);
  (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  s->fd = fd;
  s->size = 0;
  return true;
}

bool page_spool_write(page_spool *s, const void *data, size_t n, uint64_t *off, char *err, size_t errlen) {
  const char *p = data;
  uint64_t at = s->size;
  size_t done = 0;
  while (done < n) {
    ssize_t w = pwrite(s->fd, p + done, n - done, (off_t)(at + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      snprintf(err, errlen, "cannot write the lookbook's temporary file: %s", w < 0 ? strerror(errno) : "disk full");
      return false;
    }
    done += (size_t)w;
  }
  s->size += n;
  *off = at;
  return true;
}

bool page_spool_read(const page_spool *s, uint64_t off, void *data, size_t n, char *err, size_t errlen) {
  char *p = data;
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(s->fd, p + done, n - done, (off_t)(off + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      snprintf(err, errlen, "cannot read the lookbook's temporary file: %s", r < 0 ? strerror(errno) : "short read");
      return false;
    }
    done += (size_t)r;
  }
  return true;
}

void page_spool_close(page_spool *s) {
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  s->size = 0;
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
