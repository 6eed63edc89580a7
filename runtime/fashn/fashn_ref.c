/* fashn_ref.c — reference image files to data: URIs (see fashn_ref.h), on runtime/image:
 * the header is probed first (limits checked before any pixel exists), a PNG or JPEG
 * within the edge limit goes byte for byte, anything else is decoded straight to the
 * box (quality downsampling) and encoded as JPEG 95. */
#include "fashn_ref.h"

#include <stdio.h>
#include <string.h>

#include "../base/base64.h"
#include "../api/fashn_inputs.h"
#include "../image/image.h"

/* Encodes decoded pixels as the API's recommended JPEG 95 data: URI. */
static bool jpeg_uri(const image *im, const char *name, int max_edge, buf *out, char *err, size_t errlen) {
  char why[256];
  buf jpeg = BUF_INIT;
  image_encode_opts eopt = {.format = IMAGE_JPEG, .quality = 95};
  bool ok = false;
  if (image_encode(im, &eopt, &jpeg, why, sizeof why) != IMAGE_OK) {
    snprintf(err, errlen, "cannot re-encode %s: %s", name, why);
  } else if (b64_encoded_len(jpeg.len) + 64 > FASHN_MAX_REFERENCE) {
    snprintf(err, errlen, "%s is still %zu bytes after resizing to %d px, too large to send", name, jpeg.len,
             max_edge);
  } else {
    ok = data_uri_build(out, "image/jpeg", jpeg.data, jpeg.len);
    if (!ok) snprintf(err, errlen, "out of memory encoding %s", name);
  }
  buf_free(&jpeg);
  return ok;
}

bool fashn_ref_from_bytes(const char *name, const void *data, size_t len, int max_edge, buf *out, bool *resized,
                          char *err, size_t errlen) {
  *resized = false;
  char why[256];
  image_info info;
  if (image_probe(data, len, NULL, &info, why, sizeof why) != IMAGE_OK) {
    snprintf(err, errlen, "%s is not a usable image: %s", name, why);
    return false;
  }
  bool fits = info.width <= max_edge && info.height <= max_edge;
  bool sendable = info.format == IMAGE_PNG || info.format == IMAGE_JPEG;
  if (fits && sendable && b64_encoded_len(len) + 64 <= FASHN_MAX_REFERENCE) {
    if (!data_uri_build(out, image_format_mime(info.format), data, len)) {
      snprintf(err, errlen, "out of memory encoding %s", name);
      return false;
    }
    return true;
  }
  /* Too large, or a format the API may not take: decode to the box, JPEG 95. */
  image im = IMAGE_INIT;
  image_decode_opts dopt = {.box_width = max_edge, .box_height = max_edge};
  if (image_decode(data, len, &dopt, &im, NULL, why, sizeof why) != IMAGE_OK) {
    snprintf(err, errlen, "cannot decode %s: %s", name, why);
    return false;
  }
  bool ok = jpeg_uri(&im, name, max_edge, out, err, errlen);
  image_free(&im);
  *resized = ok;
  return ok;
}

bool fashn_ref_from_pixels(const char *name, const image *px, int max_edge, buf *out, char *err, size_t errlen) {
  char why[256];
  if (px->width <= max_edge && px->height <= max_edge) return jpeg_uri(px, name, max_edge, out, err, errlen);
  image small = IMAGE_INIT;
  if (image_resize_fit(px, max_edge, max_edge, IMAGE_FIT, &small, why, sizeof why) != IMAGE_OK) {
    snprintf(err, errlen, "cannot resize %s: %s", name, why);
    return false;
  }
  bool ok = jpeg_uri(&small, name, max_edge, out, err, errlen);
  image_free(&small);
  return ok;
}

bool fashn_ref_from_file(const char *path, int max_edge, buf *out, bool *resized, char *err,
                         size_t errlen) {
  *resized = false;
  buf file = BUF_INIT;
  char why[256], name[300];
  if (image_read_file(path, FASHN_REF_MAX_FILE, &file, why, sizeof why) != IMAGE_OK) {
    snprintf(err, errlen, "%s", why);
    buf_free(&file);
    return false;
  }
  snprintf(name, sizeof name, "'%s'", path);
  bool ok = fashn_ref_from_bytes(name, file.data, file.len, max_edge, out, resized, err, errlen);
  buf_free(&file);
  return ok;
}
