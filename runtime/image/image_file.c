/* image_file.c — reading image files whole (with a size limit checked before reading)
 * and writing them atomically (temporary file + rename), so an interrupted run never
 * leaves a truncated image where a finished one is expected. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_internal.h"
#include "../io/safefile.h"
#include "../io/tempsweep.h"

image_status image_read_file(const char *path, size_t max_bytes, buf *out, char *err, size_t errlen) {
  if (!max_bytes) max_bytes = IMAGE_DEFAULT_MAX_BYTES;
  /* A FIFO would hang the read and /dev/zero fill memory up to the limit: only regular
   * files are read, and the open itself never waits for a writer. */
  uint64_t size = 0;
  int fd = safe_open_regular(path, max_bytes, &size, err, errlen);
  if (fd < 0) return errno == EFBIG ? IMAGE_ETOOBIG : IMAGE_EIO;
  image_status rc = IMAGE_OK;
  size_t before = out->len;
  if (size > 0) buf_reserve(out, (size_t)size + 1); /* no regrowth */
  for (;;) {
    if (out->cap - out->len < 4097 && !buf_reserve(out, 65536)) {
      rc = img_fail(err, errlen, IMAGE_ENOMEM, "out of memory reading %s", path);
      break;
    }
    ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      rc = img_fail(err, errlen, IMAGE_EIO, "cannot read %s: %s", path, strerror(errno));
      break;
    }
    if (n == 0) break;
    out->len += (size_t)n;
    if (out->len - before > max_bytes) { /* a file that grew while we read */
      rc = img_fail(err, errlen, IMAGE_ETOOBIG, "%s is more than the %zu-byte limit", path, max_bytes);
      break;
    }
  }
  if (rc != IMAGE_OK) out->len = before;
  if (out->data) out->data[out->len] = '\0';
  close(fd);
  return rc;
}

image_status image_write_file(const char *path, const void *data, size_t len, char *err, size_t errlen) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 64);
  if (!tmp) return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory writing %s", path);
  /* the temporary sits beside the target so that rename() is atomic; rename replaces a
   * link planted at path rather than writing through it. Missing folders on the way are
   * created here, at write time, so a recipe never needs a shell for `mkdir -p`. */
  char why[300];
  int fd = safe_temp_beside(path, SAFE_MKDIRS, tmp, plen + 64, why, sizeof why);
  if (fd < 0) {
    image_status rc = img_fail(err, errlen, IMAGE_EIO, "cannot write %s: %s", path, why);
    free(tmp);
    return rc;
  }
  temp_sweep_beside(path); /* what a killed save left beside it (tempsweep.h) */
  const char *p = data;
  size_t left = len;
  int saved = 0;
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      saved = n < 0 ? errno : EIO;
      break;
    }
    p += n;
    left -= (size_t)n;
  }
  /* No fsync: rename() already makes the write atomic for readers and for a run that is
   * killed (what resume is about); fsync would cost milliseconds per image to also cover
   * power loss, which the journal detects anyway (stored images are verified by hash). */
  if (close(fd) != 0 && !saved) saved = errno;
  if (!saved && rename(tmp, path) != 0) saved = errno;
  if (saved) {
    unlink(tmp);
    free(tmp);
    return img_fail(err, errlen, IMAGE_EIO, "cannot write %s: %s", path, strerror(saved));
  }
  free(tmp);
  return IMAGE_OK;
}
