/* base64_bench.c — decode throughput of runtime/base64 against OpenSSL's EVP_DecodeBlock
 * and against memcpy of the same (encoded) bytes, on the same buffer in the same run.
 * Built and run by bench_base64.sh. Prints MB/s of base64 text consumed and the ratios. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../runtime/base64.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile unsigned sink;

int main(int argc, char **argv) {
  size_t raw = (size_t)(argc > 1 ? atol(argv[1]) : 16) << 20; /* MB of binary data */
  int rounds = argc > 2 ? atoi(argv[2]) : 7;
  unsigned char *src = malloc(raw), *out = malloc(raw + 16);
  size_t elen = b64_encoded_len(raw);
  char *enc = malloc(elen + 1), *copy = malloc(elen + 1);
  uint32_t seed = 1;
  for (size_t i = 0; i < raw; i++) src[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
  b64_encode(src, raw, enc);
  double best[3] = {1e9, 1e9, 1e9};
  for (int r = 0; r < rounds; r++) {
    double t = now();
    size_t got = 0;
    if (b64_decode(enc, elen, 0, out, raw + 16, &got, NULL) != B64_OK || got != raw || memcmp(out, src, raw)) {
      fprintf(stderr, "atelier decode wrong\n");
      return 1;
    }
    t = now() - t;
    if (t < best[0]) best[0] = t;
    t = now();
    int n = EVP_DecodeBlock(out, (const unsigned char *)enc, (int)elen);
    t = now() - t;
    if (n < (int)raw || memcmp(out, src, raw)) {
      fprintf(stderr, "openssl decode wrong\n");
      return 1;
    }
    if (t < best[1]) best[1] = t;
    t = now();
    memcpy(copy, enc, elen);
    t = now() - t;
    sink += (unsigned char)copy[elen / 2];
    if (t < best[2]) best[2] = t;
  }
  double mb = elen / 1e6;
  printf("base64 decode of %.0f MB of text, best of %d:\n", mb, rounds);
  printf("  atelier b64_decode   %8.0f MB/s\n", mb / best[0]);
  printf("  OpenSSL EVP_DecodeBlock %5.0f MB/s\n", mb / best[1]);
  printf("  memcpy (same bytes)  %8.0f MB/s\n", mb / best[2]);
  printf("ratio atelier/OpenSSL = %.2fx (goal >= 1.5x) %s\n", best[1] / best[0], best[1] / best[0] >= 1.5 ? "MET" : "NOT MET");
  printf("ratio atelier/memcpy  = %.2fx of memcpy speed\n", best[2] / best[0]);
  free(src);
  free(out);
  free(enc);
  free(copy);
  return 0;
}
