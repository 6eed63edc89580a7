/* fashn_ref.h — a local image file made fit to send as face_reference or
 * image_reference, as the contract recommends: longest edge at most max_edge px (2000;
 * 6000 for 4k work), aspect kept, quality downsampling, JPEG quality 95, as a data: URI.
 * A PNG or JPEG already within the limits is sent as it is, byte for byte. */
#ifndef ATELIER_FASHN_REF_H
#define ATELIER_FASHN_REF_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"
#include "../image/image.h"

#define FASHN_REF_MAX_FILE ((size_t)64 << 20) /* bytes of a reference file we agree to read */
#define FASHN_REF_EDGE 2000
#define FASHN_REF_EDGE_4K 6000

/* Appends the data: URI for the image file at path to out. False with err filled
 * (naming the file and the problem) when it cannot be read, is not an image (or its
 * header declares more pixels than image.h's limit), or stays over FASHN_MAX_REFERENCE
 * bytes. *resized tells whether it was re-encoded. */
bool fashn_ref_from_file(const char *path, int max_edge, buf *out, bool *resized, char *err,
                         size_t errlen);

/* The same for encoded bytes already in memory (an image object's); name says what it
 * is in messages ("the image object"). */
bool fashn_ref_from_bytes(const char *name, const void *data, size_t len, int max_edge, buf *out, bool *resized,
                          char *err, size_t errlen);

/* The same for decoded (possibly edited) pixels: always re-encoded, JPEG 95, resized
 * to max_edge when larger. */
bool fashn_ref_from_pixels(const char *name, const image *px, int max_edge, buf *out, char *err, size_t errlen);

#endif
