/* fuzz_emu_run.c — fashn-emu's POST /v1/run body validation, for every model, on arbitrary
 * bytes: it must accept or refuse with a message, never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "../../runtime/emu/emu_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  emu_inputs in;
  char msg[300];
  if (emu_parse_run((const char *)data, size, &in, msg, sizeof msg)) {
    /* The most a job can cost: quality 4k with a face reference, four images (8 x 4). */
    if (emu_credit_cost(&in) < 1 || emu_credit_cost(&in) > 32) __builtin_trap();
    if (in.num_images < 1 || in.num_images > EMU_MAX_IMAGES || in.nimages > EMU_MAX_INPUT_IMAGES) __builtin_trap();
    emu_inputs_free(&in);
  } else if (!msg[0]) {
    __builtin_trap(); /* a refusal always says why */
  }
  return 0;
}
