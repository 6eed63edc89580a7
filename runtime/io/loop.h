/* loop.h — the single-threaded event loop: a timer heap, libcurl multi transfers,
 * deferred callbacks and a thread/signal-safe wakeup, driven by one thread. */
#ifndef ATELIER_LOOP_H
#define ATELIER_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

typedef struct loop loop;
typedef void (*loop_cb)(void *ud);

/* A timer is owned by the caller (usually embedded in a bigger struct); the loop
 * only keeps a pointer to it while it is armed. Zero-initialise before first use. */
typedef struct loop_timer {
  double when;     /* absolute loop_now() deadline */
  uint64_t seq;    /* tie-breaker: equal deadlines fire in arming order */
  size_t heap_idx; /* position in the heap + 1; 0 = not armed */
  loop_cb cb;
  void *ud;
} loop_timer;

/* A transfer is a curl easy handle the loop drives. The caller owns both the easy
 * handle and this struct (usually embedded in its request); CURLOPT_PRIVATE is set
 * to point at it. `done` runs on the loop thread once the transfer has finished and
 * has been removed from the multi handle, so it may free everything. */
typedef struct loop_xfer {
  CURL *easy;
  void (*done)(struct loop_xfer *x, CURLcode result);
  void *ud;
  bool active;
  struct loop_xfer *prev, *next; /* the loop's list of active transfers */
} loop_xfer;

/* Creates a loop; NULL (with errbuf filled) when its pipe cannot be made. libcurl is
 * not started here but by the first transfer (or loop_curl_ready). */
loop *loop_new(char *errbuf, size_t errlen);

/* Loads and starts libcurl (curl_global_init), once per process, thread-safe; false with
 * the reason in errbuf when it cannot be. Call before the first curl function where an
 * error can still be reported (http_client_new does). */
bool loop_curl_ready(char *errbuf, size_t errlen);
/* Frees the loop. Armed timers are forgotten; active transfers are removed (not
 * completed). The caller frees what it owns. */
void loop_free(loop *lp);

/* Seconds on a monotonic clock; cheap. */
double loop_now(void);

/* Arms t to call cb(ud) after delay seconds (negative = 0). Re-arming an armed timer
 * moves it. */
void loop_timer_start(loop *lp, loop_timer *t, double delay, loop_cb cb, void *ud);
/* Disarms t; a no-op when it is not armed. */
void loop_timer_stop(loop *lp, loop_timer *t);
static inline bool loop_timer_armed(const loop_timer *t) { return t->heap_idx != 0; }

/* Runs cb(ud) on the next turn of the loop, in FIFO order. Returns false only when
 * out of memory. */
bool loop_defer(loop *lp, loop_cb cb, void *ud);

/* Thread-safe: queues cb(ud) to run on the loop thread and wakes the loop. For
 * worker threads handing results back. */
bool loop_post(loop *lp, loop_cb cb, void *ud);

/* Loop thread only: forgets every posted cb(ud) not yet run, so ud may be freed (a
 * worker pool shutting down). Returns how many were forgotten. */
size_t loop_unpost(loop *lp, loop_cb cb, void *ud);

/* Async-signal-safe: makes a blocked loop_run_once return promptly. */
void loop_wakeup(loop *lp);

/* Runs cb(ud) on the loop thread after every wakeup (loop_wakeup or loop_post), once
 * the wake pipe is drained: how a flag set by a signal handler gets acted upon without
 * polling. One hook per loop; cb NULL removes it. The hook does not keep the loop alive. */
void loop_on_wakeup(loop *lp, loop_cb cb, void *ud);

/* Starts driving x->easy. Returns a CURLMcode (0 = ok). */
int loop_xfer_start(loop *lp, loop_xfer *x);
/* Stops an active transfer without calling done. */
void loop_xfer_cancel(loop *lp, loop_xfer *x);

/* Keeps the loop alive while something outside timers/transfers is pending (e.g. a
 * posted result will arrive from a worker). Balanced by loop_unref. */
void loop_ref(loop *lp);
void loop_unref(loop *lp);

/* True while any timer, transfer, deferred callback or ref is pending. */
bool loop_alive(const loop *lp);

/* One turn: waits at most max_wait seconds (or until the next timer) for I/O, then
 * runs finished transfers, due timers, posted and deferred callbacks. */
void loop_run_once(loop *lp, double max_wait);

/* Runs until nothing is pending or loop_stop is called. */
void loop_run(loop *lp);
void loop_stop(loop *lp);

/* Number of transfers currently active (for limits and tests). */
size_t loop_active_xfers(const loop *lp);

#endif
