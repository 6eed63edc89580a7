/* base64_bench.c — decode throughput of runtime/base64 against OpenSSL's EVP_DecodeBlock
 * and against memcpy of the same (encoded) bytes, on the same buffer in the same run.
 * Built and run by bench_base64.sh. Prints MB/s of base64 text consumed and the ratios. */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../runtime/base/base64.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile unsigned sink;

/* One measurement: decoding `raw` bytes' worth of base64 `reps` times per round, rounds
 * alternating between the three contenders so machine noise hits them alike; best round
 * wins. Returns false if a decoder produced wrong bytes. */
static bool measure(size_t raw, int reps, int rounds) {
  unsigned char *src = malloc(raw), *out = malloc(raw + 32);
  size_t elen = b64_encoded_len(raw);
  char *enc = malloc(elen + 1), *copy = malloc(elen + 1);
  uint32_t seed = 1;
  for (size_t i = 0; i < raw; i++) src[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
  b64_encode(src, raw, enc);
  memset(out, 0, raw + 32);
  memset(copy, 0, elen + 1);
  double best[3] = {1e9, 1e9, 1e9};
  for (int r = 0; r < rounds; r++) {
    double t = now();
    for (int k = 0; k < reps; k++) {
      size_t got = 0;
      if (b64_decode(enc, elen, 0, out, raw + 32, &got, NULL) != B64_OK || got != raw) return false;
    }
    t = now() - t;
    if (memcmp(out, src, raw)) return false;
    if (t < best[0]) best[0] = t;
    t = now();
    for (int k = 0; k < reps; k++)
      if (EVP_DecodeBlock(out, (const unsigned char *)enc, (int)elen) < (int)raw) return false;
    t = now() - t;
    if (memcmp(out, src, raw)) return false;
    if (t < best[1]) best[1] = t;
    t = now();
    for (int k = 0; k < reps; k++) {
      memcpy(copy, enc, elen);
      sink += (unsigned char)copy[k % elen];
    }
    t = now() - t;
    if (t < best[2]) best[2] = t;
  }
  double mb = elen / 1e6 * reps;
  printf("base64 decode, %.1f MB of text x %d, best of %d rounds:\n", elen / 1e6, reps, rounds);
  printf("  atelier b64_decode      %6.0f MB/s\n", mb / best[0]);
  printf("  OpenSSL EVP_DecodeBlock %6.0f MB/s\n", mb / best[1]);
  printf("  memcpy of the same text %6.0f MB/s\n", mb / best[2]);
  printf("  ratio atelier/OpenSSL = %.2fx (goal >= 1.5x: %s); atelier runs at %.2fx memcpy's speed\n",
         best[1] / best[0], best[1] / best[0] >= 1.5 ? "met" : "NOT MET", best[2] / best[0]);
  free(src);
  free(out);
  free(enc);
  free(copy);
  return true;
}

int main(void) {
  /* in cache (a face reference) and out of cache (a 4k output as a data: URI) */
  if (!measure((size_t)768 << 10, 40, 9) || !measure((size_t)24 << 20, 2, 7)) {
    fprintf(stderr, "a decoder produced wrong bytes\n");
    return 1;
  }
  return 0;
}
