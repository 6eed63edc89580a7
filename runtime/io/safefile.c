/* safefile.c — opening and creating files and folders without following planted
 * symbolic links, and reading only regular files (see safefile.h for the two strengths
 * of "safe" and who owns what). */
#define _GNU_SOURCE /* O_PATH */
#include "safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How folders on the way are opened: O_PATH needs only search permission, like a path
 * lookup, where O_RDONLY would also need read permission on every folder. */
#ifdef O_PATH
#define WALK_FLAGS (O_PATH | O_DIRECTORY | O_CLOEXEC)
#else
#define WALK_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC)
#endif

static int fail(char *err, size_t errlen, int e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  errno = e;
  return -1;
}

static const char *kind_of(mode_t m) {
  if (S_ISREG(m)) return "a file";
  if (S_ISDIR(m)) return "a folder";
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISLNK(m)) return "a symbolic link";
  return "something else";
}

/* Says why openat(dfd, name, ...O_NOFOLLOW...) failed with errno e, naming `shown`. */
static int refuse_component(int dfd, const char *name, const char *shown, int e, bool want_dir, char *err,
                            size_t errlen) {
  struct stat st;
  if ((e == ELOOP || e == ENOTDIR || e == EMLINK) && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode))
      return fail(err, errlen, ELOOP, "%s is a symbolic link; atelier does not write through links there",
                  shown);
    if (want_dir && !S_ISDIR(st.st_mode))
      return fail(err, errlen, ENOTDIR, "%s is %s, not a folder", shown, kind_of(st.st_mode));
  }
  return fail(err, errlen, e, "cannot open %s: %s", shown, strerror(e));
}

/* Lexically normalizes path (absolute, or relative to the working directory) into an
 * absolute path without "." or empty components; ".." is refused. */
static bool absolute_clean(const char *path, char *out, size_t outlen, char *err, size_t errlen) {
  char full[PATH_MAX], cwd[PATH_MAX];
  if (path[0] != '/' && !getcwd(cwd, sizeof cwd)) {
    fail(err, errlen, errno, "cannot read the working directory: %s", strerror(errno));
    return false;
  }
  int n0 = path[0] == '/' ? snprintf(full, sizeof full, "%s", path)
                          : snprintf(full, sizeof full, "%s/%s", cwd, path);
  if (n0 < 0 || n0 >= (int)sizeof full) {
    fail(err, errlen, ENAMETOOLONG, "path too long: %.200s", path);
    return false;
  }
  size_t n = 0;
  char *save = NULL;
  for (char *c = strtok_r(full, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0) continue;
    if (strcmp(c, "..") == 0)
      return fail(err, errlen, EXDEV, "%s: \"..\" is not allowed in a confined path", path), false;
    size_t cl = strlen(c);
    if (n + 1 + cl + 1 > outlen) return fail(err, errlen, ENAMETOOLONG, "path too long: %.200s", path), false;
    out[n++] = '/';
    memcpy(out + n, c, cl);
    n += cl;
  }
  if (n == 0) out[n++] = '/';
  out[n] = '\0';
  return true;
}

/* The walk shared by every function: opens the folder holding the last component of
 * path (see safefile.h), copies that component into name. With check set nothing is
 * created, a missing folder ends the walk early (*missing set, -2 returned) and abs gets
 * the absolute path (root mode only). */
static int walk(const char *root, const char *path, unsigned opts, bool check, bool *missing, char *name,
                size_t namelen, char *abs, size_t abslen, char *err, size_t errlen) {
  if (!path || !*path) return fail(err, errlen, EINVAL, "empty path");
  char work[PATH_MAX], clean[PATH_MAX];
  const char *rel;
  int dfd;
  if (root) {
    if (!absolute_clean(path, clean, sizeof clean, err, errlen)) return -1;
    size_t rn = strcmp(root, "/") == 0 ? 0 : strlen(root);
    if (rn && (strncmp(clean, root, rn) != 0 || (clean[rn] != '/' && clean[rn] != '\0')))
      return fail(err, errlen, EXDEV, "%s is outside %s", path, root);
    if (abs && snprintf(abs, abslen, "%s", clean) >= (int)abslen)
      return fail(err, errlen, ENAMETOOLONG, "path too long: %.200s", path);
    rel = clean + rn;
    dfd = open(root, WALK_FLAGS);
    if (dfd < 0) return fail(err, errlen, errno, "cannot open %s: %s", root, strerror(errno));
  } else {
    if (abs && snprintf(abs, abslen, "%s", path) >= (int)abslen)
      return fail(err, errlen, ENAMETOOLONG, "path too long: %.200s", path);
    rel = path;
    dfd = open(path[0] == '/' ? "/" : ".", WALK_FLAGS);
    if (dfd < 0) return fail(err, errlen, errno, "cannot open the working directory: %s", strerror(errno));
  }
  if (snprintf(work, sizeof work, "%s", rel) >= (int)sizeof work) {
    close(dfd);
    return fail(err, errlen, ENAMETOOLONG, "path too long: %.200s", path);
  }
  size_t len = strlen(work);
  while (len > 0 && work[len - 1] == '/') work[--len] = '\0';
  char *last = strrchr(work, '/');
  last = last ? last + 1 : work;
  if (!*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
    close(dfd);
    return fail(err, errlen, EISDIR, "%s does not name a file", path);
  }
  if (strlen(last) >= namelen) {
    close(dfd);
    return fail(err, errlen, ENAMETOOLONG, "name too long: %.200s", last);
  }
  strcpy(name, last);
  if (last > work) last[-1] = '\0'; /* work now holds the folders only */
  else work[0] = '\0';
  /* `shown` is the path up to the component being opened, for messages. */
  char shown[PATH_MAX];
  size_t sn = 0;
  if (root) sn = (size_t)snprintf(shown, sizeof shown, "%s", strcmp(root, "/") == 0 ? "" : root);
  else if (path[0] == '/') shown[0] = '\0';
  else sn = (size_t)snprintf(shown, sizeof shown, ".");
  char *save = NULL;
  for (char *c = strtok_r(work, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0) continue;
    if (sn < sizeof shown) sn += (size_t)snprintf(shown + sn, sizeof shown - sn, "/%s", c);
    int nofollow = root ? O_NOFOLLOW : 0;
    int nfd = openat(dfd, c, WALK_FLAGS | nofollow);
    if (nfd < 0 && errno == ENOENT) {
      if (check) {
        close(dfd);
        *missing = true;
        return -2;
      }
      if (opts & SAFE_MKDIRS) {
        if (mkdirat(dfd, c, 0777) != 0 && errno != EEXIST) {
          int e = errno;
          close(dfd);
          return fail(err, errlen, e, "cannot create the folder %s: %s", shown, strerror(e));
        }
        nfd = openat(dfd, c, WALK_FLAGS | O_NOFOLLOW); /* ours: never followed */
      }
    }
    if (nfd < 0) {
      refuse_component(dfd, c, shown, errno, true, err, errlen);
      int e = errno;
      close(dfd);
      errno = e;
      return -1;
    }
    close(dfd);
    dfd = nfd;
  }
  return dfd;
}

int safe_open_parent(const char *root, const char *path, unsigned opts, char *name, size_t namelen, char *err,
                     size_t errlen) {
  return walk(root, path, opts, false, NULL, name, namelen, NULL, 0, err, errlen);
}

int safe_open_in(int dirfd, const char *name, int flags, mode_t mode, const char *shown, char *err,
                 size_t errlen) {
  if (!shown) shown = name;
  /* O_NONBLOCK: a FIFO planted where a file is written must not hang the open; it is
   * refused just below, and the flag cleared for a regular file. O_TRUNC waits until
   * the file is known to be one we may empty. */
  int fd = openat(dirfd, name, (flags & ~O_TRUNC) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
  if (fd < 0) return refuse_component(dirfd, name, shown, errno, false, err, errlen);
  struct stat st;
  const char *bad = NULL;
  int e = EINVAL;
  if (fstat(fd, &st) != 0) {
    e = errno;
    bad = strerror(e);
  } else if (!S_ISREG(st.st_mode)) {
    bad = kind_of(st.st_mode);
  } else if ((flags & O_ACCMODE) != O_RDONLY && st.st_nlink > 1) {
    /* a hard link planted here would carry the write to the file it shares */
    bad = "a file with other hard links";
    e = EMLINK;
  }
  if (!bad && (flags & O_TRUNC) && ftruncate(fd, 0) != 0) {
    e = errno;
    bad = strerror(e);
  }
  if (bad) {
    close(fd);
    if (e == EINVAL || e == EMLINK)
      return fail(err, errlen, e, "%s is %s; atelier writes only to a plain file with no other hard links",
                  shown, bad);
    return fail(err, errlen, e, "cannot open %s: %s", shown, bad);
  }
  if (!(flags & O_NONBLOCK)) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  return fd;
}

int safe_mkdir_in(int dirfd, const char *name, const char *shown, char *err, size_t errlen) {
  if (!shown) shown = name;
  if (mkdirat(dirfd, name, 0777) != 0 && errno != EEXIST)
    return fail(err, errlen, errno, "cannot create the folder %s: %s", shown, strerror(errno));
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return refuse_component(dirfd, name, shown, errno, true, err, errlen);
  return fd;
}

int safe_open(const char *root, const char *path, int flags, mode_t mode, unsigned opts, char *err,
              size_t errlen) {
  char name[NAME_MAX + 1];
  int dfd = safe_open_parent(root, path, opts, name, sizeof name, err, errlen);
  if (dfd < 0) return -1;
  int fd = safe_open_in(dfd, name, flags, mode, path, err, errlen);
  int e = errno;
  close(dfd);
  errno = e;
  return fd;
}

int safe_mkdir(const char *root, const char *path, unsigned opts, char *err, size_t errlen) {
  char name[NAME_MAX + 1];
  int dfd = safe_open_parent(root, path, opts, name, sizeof name, err, errlen);
  if (dfd < 0) return -1;
  int fd = safe_mkdir_in(dfd, name, path, err, errlen);
  int e = errno;
  close(dfd);
  errno = e;
  return fd;
}

/* One per process, like the working directory the sandbox also sets. */
static char write_root[PATH_MAX];

void safe_set_write_root(const char *root) {
  snprintf(write_root, sizeof write_root, "%s", root ? root : "");
}

const char *safe_write_root(void) { return write_root[0] ? write_root : NULL; }

int safe_temp_beside(const char *path, unsigned opts, char *tmp, size_t tmplen, char *err, size_t errlen) {
  const char *root = (opts & SAFE_MKDIRS) ? safe_write_root() : NULL;
  static _Atomic unsigned counter;
  for (int attempt = 0; attempt < 100; attempt++) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned n = ++counter;
    if (snprintf(tmp, tmplen, "%s.tmp-%ld-%u-%06lx", path, (long)getpid(), n,
                 (unsigned long)(ts.tv_nsec ^ (n * 2654435761u)) & 0xffffff) >= (int)tmplen)
      return fail(err, errlen, ENAMETOOLONG, "path too long: %.200s", path);
    int fd = safe_open(root, tmp, O_WRONLY | O_CREAT | O_EXCL, 0666, opts & SAFE_MKDIRS, err, errlen);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return fail(err, errlen, EEXIST, "cannot create a temporary file beside %s", path);
}

bool safe_check(const char *root, const char *path, char *out, size_t outlen, char *err, size_t errlen) {
  char name[NAME_MAX + 1];
  bool missing = false;
  int dfd = walk(root, path, 0, true, &missing, name, sizeof name, out, outlen, err, errlen);
  if (dfd == -2 && missing) return true; /* a missing folder: nothing there to follow */
  if (dfd < 0) return false;
  struct stat st;
  bool link = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
  close(dfd);
  if (link) {
    fail(err, errlen, ELOOP, "%s is a symbolic link; atelier does not write through links there", path);
    return false;
  }
  return true;
}

int safe_open_regular(const char *path, uint64_t max_bytes, uint64_t *size, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail(err, errlen, errno, "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return fail(err, errlen, e, "cannot read %s: %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return fail(err, errlen, S_ISDIR(st.st_mode) ? EISDIR : EINVAL,
                "cannot read %s: it is %s, not a regular file", path, kind_of(st.st_mode));
  }
  if (max_bytes && (uint64_t)st.st_size > max_bytes) {
    close(fd);
    return fail(err, errlen, EFBIG, "%s is %lld bytes, more than the %llu-byte limit", path,
                (long long)st.st_size, (unsigned long long)max_bytes);
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  if (size) *size = (uint64_t)st.st_size;
  return fd;
}
