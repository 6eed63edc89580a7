/* fuzz_base64.c — libFuzzer target: the base64 decoder (every flag combination) and the
 * data: URI parser on arbitrary bytes must never crash or overrun an exactly-sized
 * buffer, and whatever they accept must re-encode to an equivalent text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/base/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  for (unsigned flags = 0; flags < 4; flags++) {
    size_t cap = b64_decoded_max(size);
    uint8_t *out = malloc(cap ? cap : 1);
    size_t len = 0, off = 0;
    b64_status st = b64_decode(s, size, flags, out, cap, &len, &off);
    if (st == B64_OK) {
      if (len > cap) abort();
      /* strict input that decodes must be exactly the canonical encoding */
      size_t elen = b64_encoded_len(len);
      char *e = malloc(elen ? elen : 1);
      b64_encode(out, len, e);
      if (flags == 0 && (elen != size || memcmp(e, s, size) != 0)) abort();
      size_t len2 = 0;
      uint8_t *again = malloc(len ? len : 1);
      if (b64_decode(e, elen, 0, again, len, &len2, &off) != B64_OK || len2 != len || memcmp(again, out, len) != 0)
        abort();
      free(again);
      free(e);
    } else if (off > size) {
      abort();
    }
    free(out);
  }
  buf b = BUF_INIT;
  char mime[DATA_URI_MIME_MAX], err[256];
  if (data_uri_parse(s, size, 0, 1 << 20, mime, &b, err, sizeof err)) {
    if (b.len > (1 << 20) || strlen(mime) >= DATA_URI_MIME_MAX) abort();
  } else if (b.len != 0) {
    abort(); /* failure leaves the output untouched */
  }
  buf_free(&b);
  return 0;
}
