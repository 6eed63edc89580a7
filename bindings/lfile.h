/* lfile.h — file objects: an output that is not an image (image-to-video's MP4) handed to
 * scripts as delivered bytes with a format, saved untouched, never decoded. */
#ifndef ATELIER_LFILE_H
#define ATELIER_LFILE_H

#include <lua.h>
#include <stddef.h>

#define LFILE_MT "atelier.file"

/* Pushes a file object holding a copy of bytes: f.format ("mp4"), f.size, f.source,
 * f:save(path) (atomic, through --sandbox's write check) and f:bytes(). */
void lfile_push(lua_State *L, const void *bytes, size_t len, const char *format, const char *source);

#endif
