/* objstore.h — the journal's content-addressed store of output images: each file is
 * named by the SHA-256 of its bytes (DIR/ab/cdef...), written atomically and verified
 * by hash whenever it is read back, so a finished image survives any crash and a
 * damaged one is noticed instead of served. */
#ifndef ATELIER_OBJSTORE_H
#define ATELIER_OBJSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"
#include "../base/sha256.h"

/* Largest object accepted (a 4k PNG is ~50 MB; anything far beyond is not an image). */
#define OBJSTORE_MAX_BYTES ((size_t)512 << 20)

typedef enum {
  OBJ_OK,      /* present and its bytes hash to its name */
  OBJ_MISSING, /* no such file */
  OBJ_CORRUPT, /* present but the bytes do not match the name (truncated, edited, ...) */
  OBJ_ERROR    /* could not be checked (permissions, I/O error, bad name) */
} obj_status;

/* Human words for a status ("ok", "missing", "corrupt", "unreadable"). */
const char *obj_status_name(obj_status s);

/* Stores len bytes under dir (created if needed), writing their hex digest to hex.
 * Durable when it returns true: temp file + fsync + rename + fsync of the directory,
 * so after a crash the object is either absent or complete, never partial. An object
 * already present with the right bytes is left alone; a damaged one is replaced. */
bool objstore_put(const char *dir, const void *data, size_t len, char hex[SHA256_HEX_LEN + 1], char *errbuf,
                  size_t errlen);

/* Writes the path of object hex into out ("DIR/ab/cdef..."). False when hex is not a
 * digest or the path does not fit. */
bool objstore_path(const char *dir, const char *hex, char *out, size_t outlen);

/* Checks that object hex exists and hashes to its name. */
obj_status objstore_verify(const char *dir, const char *hex, char *errbuf, size_t errlen);

/* Reads object hex into out (appending), verifying its hash in the same pass; on any
 * status but OBJ_OK out is left as it was and errbuf says what is wrong. */
obj_status objstore_read(const char *dir, const char *hex, buf *out, char *errbuf, size_t errlen);

/* Removes the temporary files a crashed put left behind (never named as objects, so
 * never read); returns how many. Only while no other process writes to dir (the
 * journal's lock guarantees that). */
int objstore_sweep_temps(const char *dir);

/* Creates dir and its missing parents (like mkdir -p). */
bool objstore_mkdirs(const char *dir, char *errbuf, size_t errlen);

/* fsyncs a directory so a rename or create inside it is on disk. */
bool objstore_sync_dir(const char *dir, char *errbuf, size_t errlen);

#endif
