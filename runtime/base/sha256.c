/* sha256.c — SHA-256 after FIPS 180-4 section 6.2: a 64-byte block compressor and the
 * usual streaming wrapper. Portable C (no intrinsics); fast enough for keys and for
 * verifying stored images (hundreds of MB/s), which is all the journal needs. */
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static inline uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t S1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = hh + S1 + ch + K[i] + w[i];
    uint32_t S0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + maj;
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

void sha256_init(sha256_ctx *c) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, iv, sizeof iv);
  c->total = 0;
  c->fill = 0;
}

void sha256_update(sha256_ctx *c, const void *data, size_t len) {
  const uint8_t *p = data;
  c->total += len;
  if (c->fill) {
    size_t take = 64 - c->fill < len ? 64 - c->fill : len;
    memcpy(c->block + c->fill, p, take);
    c->fill += take;
    p += take;
    len -= take;
    if (c->fill < 64) return;
    compress(c->h, c->block);
    c->fill = 0;
  }
  for (; len >= 64; p += 64, len -= 64) compress(c->h, p);
  if (len) {
    memcpy(c->block, p, len);
    c->fill = len;
  }
}

void sha256_final(sha256_ctx *c, uint8_t out[SHA256_LEN]) {
  uint64_t bits = c->total * 8;
  uint8_t pad[72] = {0x80};
  /* pad to 56 mod 64, then the 64-bit big-endian length */
  size_t padlen = c->fill < 56 ? 56 - c->fill : 120 - c->fill;
  for (int i = 0; i < 8; i++) pad[padlen + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
  uint64_t keep = c->total;
  sha256_update(c, pad, padlen + 8);
  c->total = keep;
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(c->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)c->h[i];
  }
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]) {
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, data, len);
  sha256_final(&c, out);
}

void sha256_to_hex(const uint8_t digest[SHA256_LEN], char hex[SHA256_HEX_LEN + 1]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < SHA256_LEN; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 15];
  }
  hex[SHA256_HEX_LEN] = '\0';
}

void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]) {
  uint8_t d[SHA256_LEN];
  sha256(data, len, d);
  sha256_to_hex(d, hex);
}

bool sha256_is_hex(const char *s) {
  if (!s) return false;
  for (int i = 0; i < SHA256_HEX_LEN; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  return s[SHA256_HEX_LEN] == '\0';
}

bool sha256_file(const char *path, uint64_t max_bytes, char hex[SHA256_HEX_LEN + 1], uint64_t *size_out,
                 char *errbuf, size_t errlen) {
  /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
    return false;
  }
  struct stat st;
  const char *bad = NULL;
  if (fstat(fd, &st) != 0) bad = strerror(errno);
  else if (!S_ISREG(st.st_mode)) bad = "not a regular file";
  else if ((uint64_t)st.st_size > max_bytes) bad = "larger than the limit";
  if (bad) {
    if (!strcmp(bad, "larger than the limit"))
      snprintf(errbuf, errlen, "%s is larger than %llu bytes", path, (unsigned long long)max_bytes);
    else snprintf(errbuf, errlen, "%s is %s", path, bad);
    close(fd);
    return false;
  }
  sha256_ctx c;
  sha256_init(&c);
  uint8_t chunk[1 << 16];
  uint64_t total = 0;
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      snprintf(errbuf, errlen, "cannot read %s: %s", path, strerror(errno));
      close(fd);
      return false;
    }
    if (n == 0) break;
    sha256_update(&c, chunk, (size_t)n);
    total += (uint64_t)n;
    if (total > max_bytes) { /* it grew while we read */
      snprintf(errbuf, errlen, "%s is larger than %llu bytes", path, (unsigned long long)max_bytes);
      close(fd);
      return false;
    }
  }
  close(fd);
  uint8_t d[SHA256_LEN];
  sha256_final(&c, d);
  sha256_to_hex(d, hex);
  if (size_out) *size_out = total;
  return true;
}
