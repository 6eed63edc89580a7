/* ratelimit.h — a request budget that keeps a server's "N requests per W seconds"
 * limit: a log of recent send times caps any window at `limit`, and an optional token
 * bucket (rate, burst) spreads requests evenly instead of spending the window at once.
 * Pure bookkeeping on times the caller passes in, so it is exact and testable. */
#ifndef ATELIER_RATELIMIT_H
#define ATELIER_RATELIMIT_H

#include <stdbool.h>

typedef struct ratelimit {
  int limit;            /* at most this many sends in any `window` seconds */
  double window;
  double rate;          /* tokens per second; 0 = no bucket, only the window */
  double burst;         /* bucket capacity */
  double tokens, t_tokens;
  double *log;          /* ring of the last `limit` send times */
  int head, len;
  double paused_until;  /* nothing goes before this time (a server said Retry-After) */
  long sent;            /* sends recorded, for statistics */
} ratelimit;

/* Sets r up; false when out of memory or the numbers make no sense (limit < 1,
 * window <= 0). The bucket starts full. */
bool rl_init(ratelimit *r, int limit, double window, double rate, double burst);
void rl_free(ratelimit *r);

/* Seconds from now until one more send is allowed (0 = now). */
double rl_wait(const ratelimit *r, double now);

/* Records a send at now (call only when rl_wait said 0). */
void rl_take(ratelimit *r, double now);

/* Tokens in the bucket at now (the burst when there is no bucket). */
double rl_tokens(const ratelimit *r, double now);

/* Holds every send until `until` (keeps the later of two pauses). */
void rl_pause(ratelimit *r, double until);

#endif
