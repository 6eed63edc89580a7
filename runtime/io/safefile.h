/* safefile.h — opening and creating the files and folders atelier writes without
 * following a symbolic link someone planted there, and reading inputs only when they are
 * regular files.
 *
 * Two strengths of "safe":
 *  - root == NULL: folders that already exist on the way are the user's and are followed
 *    like the system would; the last component (and any folder created on the way) is
 *    never followed (O_NOFOLLOW), so a planted link cannot redirect the write.
 *  - root != NULL (an absolute path without symbolic links, e.g. from realpath): the path
 *    must name something under root, and every component below root is opened with
 *    O_NOFOLLOW starting from root itself; a symbolic link anywhere, or "..", is refused.
 *    This is what --sandbox uses, instead of comparing resolved path strings.
 * Every function returns -1 / false with a message in err (the caller's buffer) and errno
 * set on failure (EXDEV: outside root or ".."; ELOOP: a symbolic link; EINVAL: not a
 * regular file; EMLINK: other hard links); descriptors are O_CLOEXEC and the caller's to
 * close. */
#ifndef ATELIER_SAFEFILE_H
#define ATELIER_SAFEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* opts bits */
#define SAFE_MKDIRS 1u /* create missing folders on the way (mkdir -p, 0777 & ~umask) */

/* Opens (O_DIRECTORY) the folder that holds path's last component, walking to it as
 * described above, and copies that last component into name (trailing slashes dropped).
 * A path whose last component is "", "." or ".." is refused. */
int safe_open_parent(const char *root, const char *path, unsigned opts, char *name, size_t namelen, char *err,
                     size_t errlen);

/* open(2) of path with flags | O_NOFOLLOW | O_CLOEXEC (and mode when O_CREAT), reached
 * through safe_open_parent. Refused, with a message that says why: a symbolic link at
 * the last component, anything but a regular file (a FIFO never blocks the open), and,
 * when opened for writing, a file with other hard links (one planted there would carry
 * the write to the file it shares). O_TRUNC is applied only after those checks. */
int safe_open(const char *root, const char *path, int flags, mode_t mode, unsigned opts, char *err,
              size_t errlen);

/* Creates the folder path when it is missing and opens it O_DIRECTORY | O_NOFOLLOW: a
 * symbolic link or a file in its place is refused. */
int safe_mkdir(const char *root, const char *path, unsigned opts, char *err, size_t errlen);

/* The same two, one level down from a folder already opened (dirfd, e.g. from
 * safe_mkdir): name is a single component, never followed. `shown` names it in messages
 * (NULL: name itself). */
int safe_open_in(int dirfd, const char *name, int flags, mode_t mode, const char *shown, char *err,
                 size_t errlen);
int safe_mkdir_in(int dirfd, const char *name, const char *shown, char *err, size_t errlen);

/* Creates a new file beside path to be renamed onto it once complete (same folder, so
 * the rename is atomic): named path + ".tmp-" + a suffix unique to this process and
 * call, created O_EXCL and never through a link, mode 0666 & ~umask (unlike mkstemp's
 * 0600: what atelier saves is the user's to share). Its name goes into tmp. With
 * SAFE_MKDIRS in opts, missing folders on the way are created, walked from the write
 * root when one is set (safe_set_write_root). */
int safe_temp_beside(const char *path, unsigned opts, char *tmp, size_t tmplen, char *err, size_t errlen);

/* The root writers that create their folders (SAFE_MKDIRS) walk from: --sandbox sets it
 * to --out, so a folder a writer creates is reached from --out with no link followed,
 * and a path outside it is refused. NULL (the default) walks from "/" or the working
 * directory. The string is copied; set it before any writer runs. */
void safe_set_write_root(const char *root);
const char *safe_write_root(void);

/* For a later write: checks that path names something under root with no symbolic link
 * at any existing component (the last one included) and no "..", and writes its absolute
 * form into out. Missing components are allowed (the write itself will fail or create
 * them). Nothing is created. */
bool safe_check(const char *root, const char *path, char *out, size_t outlen, char *err, size_t errlen);

/* Opens path for reading only when it is a regular file of at most max_bytes (0: no
 * limit): a FIFO, a device, a socket or a folder is refused before anything is read, and
 * the open itself never waits (O_NONBLOCK, cleared afterwards). Symbolic links are
 * followed (an input may live anywhere the user points). *size gets the file's size when
 * size is not NULL. */
int safe_open_regular(const char *path, uint64_t max_bytes, uint64_t *size, char *err, size_t errlen);

#endif
