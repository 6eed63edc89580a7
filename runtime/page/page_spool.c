/* page_spool.c — where a lookbook keeps its cell pixels between add and save: an
 * anonymous temporary file (created in $TMPDIR or /tmp and unlinked at once, so it
 * vanishes with the process whatever happens), so memory does not grow with the number
 * of images. The kernel's page cache makes it about as fast as memory while it fits. */
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
