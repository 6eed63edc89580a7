/* tempsweep.c — sweeping the temporaries of writers that were killed (see tempsweep.h). */
#define _GNU_SOURCE /* O_PATH in safefile's walk; fdopendir */
#include "tempsweep.h"
#include "safefile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The folders already swept by this process, as their paths were written (another
 * spelling of one only means a second look; a folder removed and made again under the
 * same name during a run holds nothing from a dead writer). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char **seen;
static size_t nseen, capseen;

/* true the first time a folder is asked about (and remembered), false after */
static int first_visit(const char *folder, size_t len) {
  int first = 1;
  pthread_mutex_lock(&mu);
  for (size_t i = 0; i < nseen && first; i++)
    if (strlen(seen[i]) == len && memcmp(seen[i], folder, len) == 0) first = 0;
  if (first) {
    if (nseen == capseen) {
      size_t cap = capseen ? capseen * 2 : 16;
      char **p = realloc(seen, cap * sizeof *p);
      if (p) {
        seen = p;
        capseen = cap;
      }
    }
    char *copy = nseen < capseen ? strndup(folder, len) : NULL;
    if (copy) seen[nseen++] = copy;
  }
  pthread_mutex_unlock(&mu);
  return first;
}

static const char *digits(const char *s, unsigned long *v, int hex) {
  const char *start = s;
  unsigned long n = 0;
  while (hex ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s)) {
    if (!hex && n > (unsigned long)LONG_MAX / 10) return NULL;
    n = hex ? n : n * 10 + (unsigned long)(*s - '0');
    s++;
  }
  if (s == start || s - start > 20) return NULL;
  *v = n;
  return s;
}

int temp_sweep_parse(const char *name, long *pid) {
  /* the last ".tmp-": a target's own name may hold the text too */
  const char *t = NULL;
  for (const char *p = strstr(name, ".tmp-"); p; p = strstr(p + 1, ".tmp-")) t = p;
  if (!t || t == name) return 0;
  unsigned long p, n, h;
  const char *s = digits(t + 5, &p, 0);
  if (!s || *s != '-' || !(s = digits(s + 1, &n, 0)) || *s != '-' || !(s = digits(s + 1, &h, 1)) || *s)
    return 0;
  if (p == 0 || p > (unsigned long)INT_MAX) return 0;
  *pid = (long)p;
  return 1;
}

/* Gone for good: no process has that pid (one that exists but is not ours, EPERM, is
 * alive). A pid reused since only keeps a stale file a while longer. */
static int process_gone(long pid) { return kill((pid_t)pid, 0) != 0 && errno == ESRCH; }

int temp_sweep_beside(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!first_visit(slash ? path : ".", slash ? (size_t)(slash - path) : 1)) return 0;
  char name[NAME_MAX + 1], err[300];
  int pfd = safe_open_parent(safe_write_root(), path, 0, name, sizeof name, err, sizeof err);
  if (pfd < 0) return 0;
  /* safefile walks with O_PATH descriptors: reading the folder needs one opened for it */
  int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  close(pfd);
  if (dfd < 0) return 0;
  int rfd = dup(dfd);
  DIR *d = rfd >= 0 ? fdopendir(rfd) : NULL; /* owns rfd from here */
  if (!d) {
    if (rfd >= 0) close(rfd);
    close(dfd);
    return 0;
  }
  long self = (long)getpid();
  int removed = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    long pid;
    if (!temp_sweep_parse(e->d_name, &pid) || pid == self || !process_gone(pid)) continue;
    struct stat fst; /* a regular file only, never through a link */
    if (fstatat(dfd, e->d_name, &fst, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(fst.st_mode)) continue;
    if (unlinkat(dfd, e->d_name, 0) == 0) removed++;
  }
  closedir(d);
  close(dfd);
  return removed;
}
