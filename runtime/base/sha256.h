/* sha256.h — SHA-256 (FIPS 180-4) from libcrypto: the journal's job keys and the content
 * addresses of stored outputs. The glue keeps our names, hex forms and file hashing. */
#ifndef ATELIER_SHA256_H
#define ATELIER_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64 /* plus a NUL: char hex[SHA256_HEX_LEN + 1] */

/* A streaming digest. libcrypto's context lives on the heap, so every sha256_init is
 * ended by sha256_final or, on a path that gives up, sha256_discard. */
typedef struct sha256_ctx {
  struct evp_md_ctx_st *md; /* libcrypto's EVP_MD_CTX; NULL when it could not be made */
  bool failed;              /* a step failed (out of memory): final says so */
} sha256_ctx;

void sha256_init(sha256_ctx *c); /* a failure here is remembered and reported by final */
void sha256_update(sha256_ctx *c, const void *data, size_t len);
/* Writes the digest and releases c (re-initialise before reuse). False, with out zeroed,
 * when libcrypto failed at any step: a caller must not use a digest it did not get. */
bool sha256_final(sha256_ctx *c, uint8_t out[SHA256_LEN]);
/* Releases a context given up before sha256_final; harmless after it. */
void sha256_discard(sha256_ctx *c);

/* One-shot digest of a buffer, as bytes or as lowercase hex (NUL-terminated); false (out
 * of memory in libcrypto) leaves no usable digest. */
bool sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
bool sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);
void sha256_to_hex(const uint8_t digest[SHA256_LEN], char hex[SHA256_HEX_LEN + 1]);

/* After a digest failed: "<what>: <why>" in err, why being that libcrypto cannot be
 * loaded (runtime/lazy/) when so, or else that libcrypto ran out of memory. */
void sha256_failed(const char *what, char *err, size_t errlen);

/* True when s is exactly 64 lowercase hex digits (a digest we wrote). */
bool sha256_is_hex(const char *s);

/* Hashes a whole regular file of at most max_bytes bytes. Returns false with errbuf set
 * (naming the path) when it cannot be opened or read, is not a regular file (a FIFO or
 * a device such as /dev/zero would block or never end), or is larger; *size_out
 * (optional) gets the byte count. */
bool sha256_file(const char *path, uint64_t max_bytes, char hex[SHA256_HEX_LEN + 1], uint64_t *size_out,
                 char *errbuf, size_t errlen);

#endif
