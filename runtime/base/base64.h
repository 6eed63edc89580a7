/* base64.h — strict, fast base64 (RFC 4648 standard alphabet) and data: URIs (RFC 2397,
 * base64 form only). One pass, table-driven, decoding straight into the caller's memory.
 *
 * Decoding policy (the default, flags = 0, is the strictest):
 *  - only A-Z a-z 0-9 + / and '=' padding; the length must be a multiple of 4;
 *  - '=' only as the last one or two characters of the input; the unused low bits of the
 *    last character must be zero (so every byte string has exactly one accepted encoding);
 *  - B64_WHITESPACE skips ASCII whitespace (space, \t, \r, \n, \f, \v) anywhere, for
 *    MIME-wrapped text; B64_NOPAD also accepts input whose final group lacks its padding.
 *    Padding, when present, must still be correct.
 * Errors give the byte offset of the first offending character (or the input length when
 * the input ends too soon). */
#ifndef ATELIER_BASE64_H
#define ATELIER_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum {
  B64_WHITESPACE = 1u << 0, /* skip ASCII whitespace anywhere */
  B64_NOPAD = 1u << 1,      /* accept a final group without '=' padding */
};

typedef enum {
  B64_OK = 0,
  B64_EBADCHAR = -1,   /* a byte outside the alphabet */
  B64_EPADDING = -2,   /* '=' misplaced, wrong amount, data after it, or non-zero unused bits */
  B64_ETRUNCATED = -3, /* the input ends inside a group */
  B64_ENOSPACE = -4,   /* the output buffer is too small (see b64_decoded_max) */
  B64_ETRAILINGBITS = -5, /* the last character's unused low bits are not zero */
} b64_status;

/* Exact encoded length of n bytes (always padded): 4 * ceil(n / 3). 0 on overflow. */
size_t b64_encoded_len(size_t n);

/* An upper bound on the decoded size of n input characters: 3 * ceil(n / 4). */
size_t b64_decoded_max(size_t n);

/* Writes exactly b64_encoded_len(n) characters to dst (no NUL). */
void b64_encode(const void *src, size_t n, char *dst);

/* Appends the encoding of src to out. False on OOM (out->oom is set). */
bool b64_encode_buf(buf *out, const void *src, size_t n);

/* Decodes n characters of src into dst (dst_cap bytes available; b64_decoded_max(n) is
 * always enough). On success *out_len is the number of bytes written. On failure
 * *err_offset (when not NULL) is the offset in src of the first offending character;
 * bytes in dst are unspecified. */
b64_status b64_decode(const char *src, size_t n, unsigned flags, void *dst, size_t dst_cap,
                      size_t *out_len, size_t *err_offset);

/* Appends the decoding of src to out (reserving b64_decoded_max(n) first, no copy).
 * On failure out is left as it was and err (errlen bytes, may be NULL) says what is wrong
 * and where, e.g. "invalid base64 character '%' (0x25) at offset 17". */
bool b64_decode_buf(buf *out, const char *src, size_t n, unsigned flags, char *err,
                    size_t errlen);

/* A short English description of a status ("invalid character", ...). */
const char *b64_strerror(b64_status s);

/* --- data: URIs ------------------------------------------------------------------------ */

#define DATA_URI_MIME_MAX 128

/* Parses "data:<mime>[;param=value]*;base64,<payload>" (scheme and the "base64" token
 * case-insensitive; the mime type is lowercased into mime[DATA_URI_MIME_MAX]) and appends
 * the decoded payload to out. The payload is decoded with `flags` (see above). Refused,
 * with a message in err: no "data:" prefix, a malformed or missing mime type, no ";base64"
 * (percent-encoded data: URIs are not images), a payload that would decode to more than
 * max_decoded bytes (checked before decoding; 0 = no limit), invalid base64 (the offset
 * reported is counted from the start of the URI), and the API's expired-output marker
 * "<base64>_expired". On failure out's length and bytes are as they were, though its
 * capacity may have grown: the caller frees out on every path, as with any buf. */
bool data_uri_parse(const char *uri, size_t n, unsigned flags, size_t max_decoded,
                    char mime[DATA_URI_MIME_MAX], buf *out, char *err, size_t errlen);

/* Appends "data:<mime>;base64,<payload>" to out. False on OOM. */
bool data_uri_build(buf *out, const char *mime, const void *data, size_t n);

#endif
