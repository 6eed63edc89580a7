/* limage.h — the Lua `image` module and the C API other bindings use to hand images to
 * scripts as the SAME objects image.load returns (userdata "atelier.image"). An image
 * object keeps the encoded bytes it came from and their format, reads its size from the
 * header, and decodes pixels only when an operation needs them; saving in the original
 * format (with no encoding option) writes the original bytes, plus metadata. */
#ifndef ATELIER_LIMAGE_H
#define ATELIER_LIMAGE_H

#include <lauxlib.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "../runtime/base/buf.h"
#include "../runtime/image/image.h"

#define LIMAGE_MT "atelier.image"

/* require "image" */
int luaopen_image(lua_State *L);

/* Pushes a new image object holding a copy of bytes (len bytes). The format is sniffed
 * and the size read from the header, without decoding pixels. source_name (copied; may
 * be NULL) names the image in messages and tostring, e.g. a URL or "job abc output 1".
 * Raises an ImageDecodeError (an atelier error table) naming source_name when the bytes
 * are not a PNG, JPEG or WebP with a sane header within the default limits. */
void limage_push_encoded(lua_State *L, const void *bytes, size_t len, const char *source_name);

/* The same, without raising: returns false (pushing nothing) with a message in err. */
bool limage_try_push_encoded(lua_State *L, const void *bytes, size_t len,
                             const char *source_name, char *err, size_t errlen);

/* Attaches generation metadata to the image at idx: the Lua table at tidx (converted to
 * JSON now: strings, numbers, booleans, nested tables; data: URIs are summarised, not
 * copied; images become their source name). img:save/img:encode then embed it, and
 * img:meta() returns it. Raises on a table that cannot be stored (a function inside,
 * too deep, more than IMAGE_META_MAX bytes of JSON). */
void limage_set_meta(lua_State *L, int idx, int tidx);

/* True when the value at idx is an image object. Inline, so limage_json.c (which
 * limage.c calls) asks it without calling back into limage.c. */
static inline bool limage_is(lua_State *L, int idx) { return luaL_testudata(L, idx, LIMAGE_MT) != NULL; }

/* A read-only look at the image at idx for other bindings (lpage adds it to a lookbook):
 * its decoded pixels when it has them (*pixels; possibly changed since loading), else its
 * original encoded bytes (*bytes, *len) so the caller can decode straight to the size it
 * needs without the full-size pixels ever existing. *source names it for messages (may
 * be NULL). The pointers stay valid while the object lives and is not changed. False
 * when idx is not an image. */
bool limage_peek(lua_State *L, int idx, const image **pixels, const void **bytes, size_t *len,
                 const char **source);

/* Appends to out a data: URI for the image at idx — its original bytes when the pixels
 * were not changed, else a PNG (alpha) or JPEG q95 encoding (opaque), the API's
 * recommendation for inputs. Raises on a decode/encode failure. */
void limage_data_uri(lua_State *L, int idx, buf *out);

/* Marks the image at idx as output index (1-based) of prediction id, served at url (NULL
 * for base64 outputs) until expires (Unix time). Sent again as an input while unchanged,
 * it goes as that URL while it lives (nothing re-uploaded), and the journal keys it by
 * the prediction and index, whatever the URL. */
void limage_set_origin(lua_State *L, int idx, const char *url, const char *id, int index, double expires);

/* The URL of an unchanged output whose URL is still alive, else NULL. */
const char *limage_live_url(lua_State *L, int idx);

/* The prediction id and output index of an unchanged output; false for any other image. */
bool limage_origin(lua_State *L, int idx, const char **id, int *index);

#endif
