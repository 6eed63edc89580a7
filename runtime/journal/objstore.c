/* objstore.c — content-addressed files under a directory (see objstore.h). The one
 * durability rule: an object's name is only ever bound to complete bytes, because the
 * bytes reach the disk (fsync) under a temporary name before rename() gives them the
 * final one, and the directory is fsynced so the rename itself survives a power cut. */
#include "objstore.h"
#include "../io/safefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *obj_status_name(obj_status s) {
  switch (s) {
    case OBJ_OK: return "ok";
    case OBJ_MISSING: return "missing";
    case OBJ_CORRUPT: return "corrupt";
    default: return "unreadable";
  }
}

bool objstore_path(const char *dir, const char *hex, char *out, size_t outlen) {
  if (!sha256_is_hex(hex)) return false;
  int n = snprintf(out, outlen, "%s/%.2s/%s", dir, hex, hex + 2);
  return n > 0 && (size_t)n < outlen;
}

bool objstore_mkdirs(const char *dir, char *errbuf, size_t errlen) {
  char p[PATH_MAX];
  if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) {
    snprintf(errbuf, errlen, "path too long: %.200s", dir);
    return false;
  }
  for (char *s = p + 1;; s++) {
    if (*s != '/' && *s != '\0') continue;
    char c = *s;
    *s = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      snprintf(errbuf, errlen, "cannot create directory %s: %s", p, strerror(errno));
      return false;
    }
    *s = c;
    if (!c) break;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(errbuf, errlen, "%s is not a directory", dir);
    return false;
  }
  return true;
}

int objstore_sweep_temps(const char *dir) {
  /* Not through links: a planted one would make this delete files elsewhere. */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return 0;
  int removed = 0;
  for (int i = 0; i < 256; i++) {
    char sub[3];
    snprintf(sub, sizeof sub, "%02x", i);
    int sfd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0) continue;
    DIR *d = fdopendir(sfd); /* owns sfd from here */
    if (!d) {
      close(sfd);
      continue;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
      if (strncmp(e->d_name, ".tmp-", 5) != 0) continue;
      if (unlinkat(sfd, e->d_name, 0) == 0) removed++;
    }
    closedir(d);
  }
  close(dfd);
  return removed;
}

/* fsyncs an open folder so renames in it survive a power cut. */
static bool sync_dir_fd(int fd, const char *dir, char *errbuf, size_t errlen) {
  int rc = fsync(fd);
  /* Some file systems refuse fsync on directories (EINVAL); nothing more can be done
   * there, and rename() is still atomic against a process crash. */
  if (rc != 0 && errno != EINVAL) {
    snprintf(errbuf, errlen, "cannot sync directory %s: %s", dir, strerror(errno));
    return false;
  }
  return true;
}

bool objstore_sync_dir(const char *dir, char *errbuf, size_t errlen) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(errbuf, errlen, "cannot open directory %s: %s", dir, strerror(errno));
    return false;
  }
  bool ok = sync_dir_fd(fd, dir, errbuf, errlen);
  close(fd);
  return ok;
}

/* Reads fd to the end, hashing; appends to out when out != NULL. */
static obj_status hash_fd(int fd, const char *path, const char *want, buf *out, char *errbuf, size_t errlen) {
  sha256_ctx c;
  sha256_init(&c);
  size_t start = out ? out->len : 0, total = 0;
  uint8_t chunk[1 << 16];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      snprintf(errbuf, errlen, "cannot read %s: %s", path, strerror(errno));
      goto fail;
    }
    if (n == 0) break;
    total += (size_t)n;
    if (total > OBJSTORE_MAX_BYTES) {
      snprintf(errbuf, errlen, "%s is larger than any stored output can be", path);
      if (out) out->len = start;
      sha256_discard(&c);
      return OBJ_CORRUPT;
    }
    sha256_update(&c, chunk, (size_t)n);
    if (out && !buf_append(out, chunk, (size_t)n)) {
      snprintf(errbuf, errlen, "out of memory reading %s", path);
      goto fail;
    }
  }
  uint8_t d[SHA256_LEN];
  char got[SHA256_HEX_LEN + 1];
  if (!sha256_final(&c, d)) {
    char what[300];
    snprintf(what, sizeof what, "cannot hash %s", path);
    sha256_failed(what, errbuf, errlen);
    goto fail;
  }
  sha256_to_hex(d, got);
  if (strcmp(got, want) != 0) {
    snprintf(errbuf, errlen, "%s is corrupt: its bytes hash to %.12s..., not to its name", path, got);
    if (out) out->len = start;
    return OBJ_CORRUPT;
  }
  return OBJ_OK;
fail:
  sha256_discard(&c); /* harmless after sha256_final */
  if (out) out->len = start;
  return OBJ_ERROR;
}

obj_status objstore_read(const char *dir, const char *hex, buf *out, char *errbuf, size_t errlen) {
  char path[PATH_MAX];
  if (!objstore_path(dir, hex, path, sizeof path)) {
    snprintf(errbuf, errlen, "not an object name: %.80s", hex ? hex : "(null)");
    return OBJ_ERROR;
  }
  /* Only a regular file: a FIFO planted in the store would hang the read; anything but
   * a file there is damage, repaired by storing the object again. */
  int fd = safe_open_regular(path, 0, NULL, errbuf, errlen);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) snprintf(errbuf, errlen, "%s: %s", path, strerror(e));
    return e == ENOENT ? OBJ_MISSING : e == EINVAL || e == EISDIR ? OBJ_CORRUPT : OBJ_ERROR;
  }
  obj_status s = hash_fd(fd, path, hex, out, errbuf, errlen);
  close(fd);
  return s;
}

obj_status objstore_verify(const char *dir, const char *hex, char *errbuf, size_t errlen) {
  return objstore_read(dir, hex, NULL, errbuf, errlen);
}

static bool write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

bool objstore_put(const char *dir, const void *data, size_t len, char hex[SHA256_HEX_LEN + 1], char *errbuf,
                  size_t errlen) {
  static unsigned tmp_counter; /* the loop thread is the only writer */
  if (len > OBJSTORE_MAX_BYTES) {
    snprintf(errbuf, errlen, "refusing to store %zu bytes (more than any image)", len);
    return false;
  }
  if (!sha256_hex(data, len, hex)) {
    char what[100];
    snprintf(what, sizeof what, "cannot hash %zu bytes to store", len);
    sha256_failed(what, errbuf, errlen);
    return false;
  }
  char path[PATH_MAX], sub[PATH_MAX], tmp[PATH_MAX];
  if (!objstore_path(dir, hex, path, sizeof path) ||
      snprintf(sub, sizeof sub, "%s/%.2s", dir, hex) >= (int)sizeof sub ||
      snprintf(tmp, sizeof tmp, "%s/.tmp-%.16s-%ld-%u", sub, hex + 2, (long)getpid(), ++tmp_counter) >=
          (int)sizeof tmp) {
    snprintf(errbuf, errlen, "object path too long under %.200s", dir);
    return false;
  }
  char ignored[256];
  if (objstore_verify(dir, hex, ignored, sizeof ignored) == OBJ_OK) return true;
  /* Every folder and file below is opened relative to its parent, never following a
   * link: an objects folder (or a subfolder, or a temporary) planted as a symbolic link
   * would otherwise send the user's images wherever it points. */
  struct stat st;
  bool new_sub = stat(sub, &st) != 0;
  int dfd = safe_mkdir(NULL, dir, SAFE_MKDIRS, errbuf, errlen);
  if (dfd < 0) return false;
  char sub_name[3], tmp_name[NAME_MAX + 1];
  snprintf(sub_name, sizeof sub_name, "%.2s", hex);
  snprintf(tmp_name, sizeof tmp_name, "%s", strrchr(tmp, '/') + 1);
  int sfd = safe_mkdir_in(dfd, sub_name, sub, errbuf, errlen);
  if (sfd < 0) {
    close(dfd);
    return false;
  }
  /* Not mkstemp: its 0600 would hide the user's images from them; 0666 & umask is what
   * any file they save gets. The name is unique per process and call; O_EXCL makes a
   * leftover from a crashed run with a recycled pid an error we handle by unlinking. */
  int fd = safe_open_in(sfd, tmp_name, O_WRONLY | O_CREAT | O_EXCL, 0666, tmp, errbuf, errlen);
  if (fd < 0 && errno == EEXIST && unlinkat(sfd, tmp_name, 0) == 0)
    fd = safe_open_in(sfd, tmp_name, O_WRONLY | O_CREAT | O_EXCL, 0666, tmp, errbuf, errlen);
  bool ok = fd >= 0;
  if (ok && (!write_all(fd, data, len) || fsync(fd) != 0)) {
    snprintf(errbuf, errlen, "cannot write %s: %s", tmp, strerror(errno));
    ok = false;
  }
  if (fd >= 0 && close(fd) != 0 && ok) {
    snprintf(errbuf, errlen, "cannot write %s: %s", tmp, strerror(errno));
    ok = false;
  }
  if (ok && renameat(sfd, tmp_name, sfd, hex + 2) != 0) {
    snprintf(errbuf, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    ok = false;
  }
  if (!ok && fd >= 0) unlinkat(sfd, tmp_name, 0);
  if (ok) ok = sync_dir_fd(sfd, sub, errbuf, errlen) && (!new_sub || sync_dir_fd(dfd, dir, errbuf, errlen));
  close(sfd);
  close(dfd);
  return ok;
}
