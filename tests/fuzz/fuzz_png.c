/* fuzz_png.c — libFuzzer target: arbitrary bytes, mutated from a corpus of png files,
 * through every image entry point (decode_any.h says what must hold). */
#include "decode_any.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_decode_any(data, size); }
