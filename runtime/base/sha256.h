/* sha256.h — SHA-256 (FIPS 180-4): the journal's job keys and the content addresses of
 * stored outputs. Our own small implementation (see README for why not libcrypto). */
#ifndef ATELIER_SHA256_H
#define ATELIER_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64 /* plus a NUL: char hex[SHA256_HEX_LEN + 1] */

typedef struct sha256_ctx {
  uint32_t h[8];
  uint64_t total; /* bytes hashed so far */
  uint8_t block[64];
  size_t fill; /* bytes waiting in block */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
/* Writes the digest; c must be re-initialised before reuse. */
void sha256_final(sha256_ctx *c, uint8_t out[SHA256_LEN]);

/* One-shot digest of a buffer, as bytes or as lowercase hex (NUL-terminated). */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);
void sha256_to_hex(const uint8_t digest[SHA256_LEN], char hex[SHA256_HEX_LEN + 1]);

/* True when s is exactly 64 lowercase hex digits (a digest we wrote). */
bool sha256_is_hex(const char *s);

/* Hashes a whole regular file of at most max_bytes bytes. Returns false with errbuf set
 * (naming the path) when it cannot be opened or read, is not a regular file (a FIFO or
 * a device such as /dev/zero would block or never end), or is larger; *size_out
 * (optional) gets the byte count. */
bool sha256_file(const char *path, uint64_t max_bytes, char hex[SHA256_HEX_LEN + 1], uint64_t *size_out,
                 char *errbuf, size_t errlen);

#endif
