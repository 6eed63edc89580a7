/* fuzz_jobkey.c — libFuzzer target: job keys of arbitrary bytes as inputs. Bad input
 * is refused, never a crash; what is accepted canonicalises to a fixpoint (the canonical
 * inputs of the canonical inputs are themselves, with the same key), which is what makes
 * "the same job" a stable notion across runs. The first byte picks the model. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/journal/jobkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const char *model = (data[0] & 1) ? "model-create" : "tryon-v1.6";
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  char err[400];
  jobkey a, b;
  if (!jobkey_compute("https://api.fashn.ai", model, text, len, &a, err, sizeof err)) return 0;
  if (!jobkey_compute("https://api.fashn.ai", model, a.canonical.data, a.canonical.len, &b, err, sizeof err))
    abort(); /* we wrote inputs we cannot read back */
  if (a.canonical.len != b.canonical.len || memcmp(a.canonical.data, b.canonical.data, a.canonical.len) != 0 ||
      strcmp(a.hex, b.hex) != 0)
    abort(); /* not a fixpoint: one job would have two keys */
  jobkey_free(&a);
  jobkey_free(&b);
  return 0;
}
