/* limits.c — the API's rate limits as sliding windows: at most `limit` admitted requests
 * in any `window` seconds, with the wait until the oldest one leaves (for Retry-After). */
#include <stdlib.h>
#include <time.h>

#include "emu_internal.h"

double emu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool emu_window_init(emu_window *w, int limit, double window) {
  w->limit = limit > 0 ? limit : 0;
  w->window = window;
  w->head = w->count = 0;
  w->stamps = NULL;
  if (w->limit) {
    w->stamps = calloc((size_t)w->limit, sizeof *w->stamps);
    if (!w->stamps) return false;
  }
  return true;
}

void emu_window_free(emu_window *w) {
  free(w->stamps);
  w->stamps = NULL;
}

bool emu_window_admit(emu_window *w, double now, double *retry_after) {
  if (!w->limit) return true;
  /* Forget requests that left the window; the ring holds them oldest first. */
  while (w->count && now - w->stamps[w->head] >= w->window) {
    w->head = (w->head + 1) % (size_t)w->limit;
    w->count--;
  }
  if (w->count == (size_t)w->limit) {
    double wait = w->stamps[w->head] + w->window - now;
    *retry_after = wait > 0 ? wait : 0;
    return false;
  }
  w->stamps[(w->head + w->count) % (size_t)w->limit] = now;
  w->count++;
  return true;
}
