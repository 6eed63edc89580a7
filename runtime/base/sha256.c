/* sha256.c — SHA-256 through libcrypto's EVP digests (hardware SHA extensions where the
 * CPU has them), plus what libcrypto does not do for us: lowercase hex, the check of a
 * name we wrote, and hashing a whole file within a size limit. */
#include "sha256.h"
#include "../lazy/lazy.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void sha256_init(sha256_ctx *c) {
  char why[400];
  c->md = NULL;
  c->failed = !lazy_need(LAZY_FOR_HASH, why, sizeof why); /* the journal said why already */
  if (c->failed) return;
  c->md = EVP_MD_CTX_new();
  c->failed = !c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1;
}

void sha256_failed(const char *what, char *err, size_t errlen) {
  char why[400];
  if (lazy_need(LAZY_FOR_HASH, why, sizeof why)) snprintf(why, sizeof why, "libcrypto failed (out of memory?)");
  snprintf(err, errlen, "%s: %s", what, why);
}

void sha256_update(sha256_ctx *c, const void *data, size_t len) {
  if (!c->failed && len && EVP_DigestUpdate(c->md, data, len) != 1) c->failed = true;
}

bool sha256_final(sha256_ctx *c, uint8_t out[SHA256_LEN]) {
  unsigned n = 0;
  bool ok = !c->failed && EVP_DigestFinal_ex(c->md, out, &n) == 1 && n == SHA256_LEN;
  if (!ok) memset(out, 0, SHA256_LEN);
  sha256_discard(c);
  return ok;
}

void sha256_discard(sha256_ctx *c) {
  if (c->md) EVP_MD_CTX_free(c->md); /* not without one: libcrypto may be missing (lazy/) */
  c->md = NULL;
  c->failed = true;
}

bool sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]) {
  unsigned n = 0;
  char why[400];
  bool ok = lazy_need(LAZY_FOR_HASH, why, sizeof why) && EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == SHA256_LEN;
  if (!ok) memset(out, 0, SHA256_LEN);
  return ok;
}

void sha256_to_hex(const uint8_t digest[SHA256_LEN], char hex[SHA256_HEX_LEN + 1]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < SHA256_LEN; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 15];
  }
  hex[SHA256_HEX_LEN] = '\0';
}

bool sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]) {
  uint8_t d[SHA256_LEN];
  bool ok = sha256(data, len, d);
  sha256_to_hex(d, hex);
  return ok;
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
      sha256_discard(&c);
      return false;
    }
    if (n == 0) break;
    sha256_update(&c, chunk, (size_t)n);
    total += (uint64_t)n;
    if (total > max_bytes) { /* it grew while we read */
      snprintf(errbuf, errlen, "%s is larger than %llu bytes", path, (unsigned long long)max_bytes);
      close(fd);
      sha256_discard(&c);
      return false;
    }
  }
  close(fd);
  uint8_t d[SHA256_LEN];
  if (!sha256_final(&c, d)) {
    char what[300];
    snprintf(what, sizeof what, "cannot hash %s", path);
    sha256_failed(what, errbuf, errlen);
    return false;
  }
  sha256_to_hex(d, hex);
  if (size_out) *size_out = total;
  return true;
}
