/* ratelimit.c — the window log + token bucket of ratelimit.h. */
#include "ratelimit.h"

#include <stdlib.h>
#include <string.h>

bool rl_init(ratelimit *r, int limit, double window, double rate, double burst) {
  memset(r, 0, sizeof *r);
  if (limit < 1 || !(window > 0) || rate < 0) return false;
  r->log = calloc((size_t)limit, sizeof *r->log);
  if (!r->log) return false;
  r->limit = limit;
  r->window = window;
  r->rate = rate;
  r->burst = burst < 1 ? 1 : burst;
  r->tokens = r->burst;
  r->t_tokens = -1; /* set on first use */
  return true;
}

void rl_free(ratelimit *r) {
  free(r->log);
  r->log = NULL;
}

static double tokens_at(const ratelimit *r, double now) {
  if (r->t_tokens < 0) return r->tokens;
  double t = r->tokens + (now - r->t_tokens) * r->rate;
  return t > r->burst ? r->burst : t;
}

double rl_wait(const ratelimit *r, double now) {
  double wait = 0;
  if (r->paused_until > now) wait = r->paused_until - now;
  if (r->len == r->limit) { /* full: the oldest send must leave the window first */
    double w = r->log[r->head] + r->window - now;
    if (w > wait) wait = w;
  }
  if (r->rate > 0) {
    double t = tokens_at(r, now);
    if (t < 1 - 1e-9) { /* (a hair under 1 is rounding, not a missing token) */
      double w = (1 - t) / r->rate;
      if (w > wait) wait = w;
    }
  }
  return wait > 0 ? wait : 0;
}

void rl_take(ratelimit *r, double now) {
  if (r->rate > 0) {
    r->tokens = tokens_at(r, now) - 1;
    r->t_tokens = now;
  }
  if (r->len == r->limit) {
    r->log[r->head] = now;
    r->head = (r->head + 1) % r->limit;
  } else {
    r->log[(r->head + r->len) % r->limit] = now;
    r->len++;
  }
  r->sent++;
}

double rl_tokens(const ratelimit *r, double now) { return r->rate > 0 ? tokens_at(r, now) : r->burst; }

void rl_pause(ratelimit *r, double until) {
  if (until > r->paused_until) r->paused_until = until;
}
