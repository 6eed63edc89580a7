/* fashn_ref.c — reference image files to data: URIs (see fashn_ref.h), on runtime/image:
 * the header is probed first (limits checked before any pixel exists), a PNG or JPEG
 * within the edge limit goes byte for byte, anything else is decoded straight to the
 * box (quality downsampling) and encoded as JPEG 95. */
#include "fashn_ref.h"

#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "fashn_inputs.h"
#include "image.h"

bool fashn_ref_from_file(const char *path, int max_edge, buf *out, bool *resized, char *err,
                         size_t errlen) {
  *resized = false;
  buf file = BUF_INIT;
  char why[256];
  bool ok = false;
  if (image_read_file(path, FASHN_REF_MAX_FILE, &file, why, sizeof why) != IMAGE_OK) {
    snprintf(err, errlen, "%s", why);
    goto done;
  }
  image_info info;
  if (image_probe(file.data, file.len, NULL, &info, why, sizeof why) != IMAGE_OK) {
    snprintf(err, errlen, "'%s' is not a usable image: %s", path, why);
    goto done;
  }
  bool fits = info.width <= max_edge && info.height <= max_edge;
  bool sendable = info.format == IMAGE_PNG || info.format == IMAGE_JPEG;
  if (fits && sendable && b64_encoded_len(file.len) + 64 <= FASHN_MAX_REFERENCE) {
    ok = data_uri_build(out, image_format_mime(info.format), file.data, file.len);
    if (!ok) snprintf(err, errlen, "out of memory encoding '%s'", path);
    goto done;
  }
  /* Too large, or a format the API may not take: decode to the box, JPEG 95. */
  image im = IMAGE_INIT;
  image_decode_opts dopt = {.box_width = max_edge, .box_height = max_edge};
  if (image_decode(file.data, file.len, &dopt, &im, NULL, why, sizeof why) != IMAGE_OK) {
    snprintf(err, errlen, "cannot decode '%s': %s", path, why);
    goto done;
  }
  buf jpeg = BUF_INIT;
  image_encode_opts eopt = {.format = IMAGE_JPEG, .quality = 95};
  image_status st = image_encode(&im, &eopt, &jpeg, why, sizeof why);
  image_free(&im);
  if (st != IMAGE_OK) {
    snprintf(err, errlen, "cannot re-encode '%s': %s", path, why);
  } else if (b64_encoded_len(jpeg.len) + 64 > FASHN_MAX_REFERENCE) {
    snprintf(err, errlen, "'%s' is still %zu bytes after resizing to %d px, too large to send", path,
             jpeg.len, max_edge);
  } else {
    ok = data_uri_build(out, "image/jpeg", jpeg.data, jpeg.len);
    *resized = true;
    if (!ok) snprintf(err, errlen, "out of memory encoding '%s'", path);
  }
  buf_free(&jpeg);
done:
  buf_free(&file);
  return ok;
}
