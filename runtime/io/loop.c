/* loop.c — the event loop every waiting primitive of atelier rests on: one thread,
 * one curl multi handle, one timer heap, a FIFO of deferred callbacks and a self-pipe
 * that signal handlers and worker threads use to wake it. The multi handle (and libcurl
 * itself, runtime/lazy/) comes with the first transfer: until then the loop waits in
 * poll(2) on its pipe, so a run that makes no request never starts libcurl or TLS. */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lazy/lazy.h"

typedef struct deferred {
  loop_cb cb;
  void *ud;
} deferred;

/* A growable ring of callbacks. */
typedef struct cbqueue {
  deferred *items;
  size_t cap, head, len;
} cbqueue;

struct loop {
  CURLM *multi; /* NULL until the first transfer */
  loop_timer **heap; /* min-heap on (when, seq) */
  size_t heap_len, heap_cap;
  uint64_t timer_seq;
  cbqueue deferred;
  pthread_mutex_t post_lock; /* guards `posted` */
  cbqueue posted;
  int wake_pipe[2]; /* [0] read end polled by curl_multi_poll, [1] written by wakeup */
  loop_xfer *xfer_list; /* active transfers, so loop_free can detach them */
  size_t xfers;
  size_t refs;
  bool stopping;
  loop_cb wake_cb; /* loop_on_wakeup */
  void *wake_ud;
};

double loop_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- callback queues ---------------------------------------------------- */

static bool cbq_push(cbqueue *q, loop_cb cb, void *ud) {
  if (q->len == q->cap) {
    size_t ncap = q->cap ? q->cap * 2 : 16;
    deferred *n = malloc(ncap * sizeof *n);
    if (!n) return false;
    for (size_t i = 0; i < q->len; i++) n[i] = q->items[(q->head + i) % q->cap];
    free(q->items);
    q->items = n;
    q->cap = ncap;
    q->head = 0;
  }
  q->items[(q->head + q->len) % q->cap] = (deferred){cb, ud};
  q->len++;
  return true;
}

static bool cbq_pop(cbqueue *q, deferred *out) {
  if (!q->len) return false;
  *out = q->items[q->head];
  q->head = (q->head + 1) % q->cap;
  q->len--;
  return true;
}

/* ---- timer heap ---------------------------------------------------------- */

static bool timer_less(const loop_timer *a, const loop_timer *b) {
  return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_set(loop *lp, size_t i, loop_timer *t) {
  lp->heap[i] = t;
  t->heap_idx = i + 1;
}

static void heap_up(loop *lp, size_t i) {
  loop_timer *t = lp->heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!timer_less(t, lp->heap[parent])) break;
    heap_set(lp, i, lp->heap[parent]);
    i = parent;
  }
  heap_set(lp, i, t);
}

static void heap_down(loop *lp, size_t i) {
  loop_timer *t = lp->heap[i];
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    loop_timer *best = t;
    if (l < lp->heap_len && timer_less(lp->heap[l], best)) { m = l; best = lp->heap[l]; }
    if (r < lp->heap_len && timer_less(lp->heap[r], best)) { m = r; }
    if (m == i) break;
    heap_set(lp, i, lp->heap[m]);
    i = m;
  }
  heap_set(lp, i, t);
}

static void heap_remove(loop *lp, loop_timer *t) {
  size_t i = t->heap_idx - 1;
  t->heap_idx = 0;
  lp->heap_len--;
  if (i == lp->heap_len) return;
  loop_timer *last = lp->heap[lp->heap_len];
  heap_set(lp, i, last);
  heap_up(lp, i);
  heap_down(lp, last->heap_idx - 1);
}

void loop_timer_start(loop *lp, loop_timer *t, double delay, loop_cb cb, void *ud) {
  if (loop_timer_armed(t)) heap_remove(lp, t);
  if (lp->heap_len == lp->heap_cap) {
    size_t ncap = lp->heap_cap ? lp->heap_cap * 2 : 64;
    loop_timer **n = realloc(lp->heap, ncap * sizeof *n);
    if (!n) abort(); /* a lost timer would hang a task forever; fail loudly instead */
    lp->heap = n;
    lp->heap_cap = ncap;
  }
  t->when = loop_now() + (delay > 0 ? delay : 0);
  t->seq = lp->timer_seq++;
  t->cb = cb;
  t->ud = ud;
  lp->heap[lp->heap_len] = t;
  t->heap_idx = lp->heap_len + 1;
  lp->heap_len++;
  heap_up(lp, lp->heap_len - 1);
}

void loop_timer_stop(loop *lp, loop_timer *t) {
  if (loop_timer_armed(t)) heap_remove(lp, t);
}

/* ---- life cycle ---------------------------------------------------------- */

static bool set_nonblock_cloexec(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return false;
  return fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

static CURLcode curl_init_result = CURLE_FAILED_INIT;
static void curl_init_once(void) { curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); }

bool loop_curl_ready(char *errbuf, size_t errlen) {
  if (!lazy_need(LAZY_FOR_HTTP, errbuf, errlen)) return false;
  static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
  pthread_once(&curl_once, curl_init_once);
  if (curl_init_result != CURLE_OK) {
    snprintf(errbuf, errlen, "cannot start libcurl: %s", curl_easy_strerror(curl_init_result));
    return false;
  }
  return true;
}

loop *loop_new(char *errbuf, size_t errlen) {
  loop *lp = calloc(1, sizeof *lp);
  if (!lp) {
    snprintf(errbuf, errlen, "out of memory creating the event loop");
    return NULL;
  }
  pthread_mutex_init(&lp->post_lock, NULL);
  lp->wake_pipe[0] = lp->wake_pipe[1] = -1;
  if (pipe(lp->wake_pipe) != 0 || !set_nonblock_cloexec(lp->wake_pipe[0]) ||
      !set_nonblock_cloexec(lp->wake_pipe[1])) {
    snprintf(errbuf, errlen, "cannot create the loop's wakeup pipe: %s", strerror(errno));
    loop_free(lp);
    return NULL;
  }
  return lp;
}

/* The multi handle, made by the first transfer. */
static bool multi_ready(loop *lp) {
  if (lp->multi) return true;
  char err[256];
  if (!loop_curl_ready(err, sizeof err)) return false;
  lp->multi = curl_multi_init();
  return lp->multi != NULL;
}

void loop_free(loop *lp) {
  if (!lp) return;
  for (size_t i = 0; i < lp->heap_len; i++) lp->heap[i]->heap_idx = 0;
  free(lp->heap);
  if (lp->multi) {
    while (lp->xfer_list) loop_xfer_cancel(lp, lp->xfer_list);
    curl_multi_cleanup(lp->multi);
  }
  pthread_mutex_destroy(&lp->post_lock);
  free(lp->deferred.items);
  free(lp->posted.items);
  if (lp->wake_pipe[0] >= 0) close(lp->wake_pipe[0]);
  if (lp->wake_pipe[1] >= 0) close(lp->wake_pipe[1]);
  free(lp);
}

bool loop_defer(loop *lp, loop_cb cb, void *ud) { return cbq_push(&lp->deferred, cb, ud); }

bool loop_post(loop *lp, loop_cb cb, void *ud) {
  pthread_mutex_lock(&lp->post_lock);
  bool ok = cbq_push(&lp->posted, cb, ud);
  pthread_mutex_unlock(&lp->post_lock);
  if (ok) loop_wakeup(lp);
  return ok;
}

size_t loop_unpost(loop *lp, loop_cb cb, void *ud) {
  pthread_mutex_lock(&lp->post_lock);
  cbqueue *q = &lp->posted;
  size_t kept = 0, n = q->len;
  for (size_t i = 0; i < n; i++) { /* compact in place: no allocation, order kept */
    deferred d = q->items[(q->head + i) % q->cap];
    if (d.cb != cb || d.ud != ud) q->items[(q->head + kept++) % q->cap] = d;
  }
  q->len = kept;
  pthread_mutex_unlock(&lp->post_lock);
  return n - kept;
}

void loop_wakeup(loop *lp) {
  char c = 1;
  /* A full pipe already means "wake up"; nothing else to do on failure. */
  ssize_t r = write(lp->wake_pipe[1], &c, 1);
  (void)r;
}

void loop_on_wakeup(loop *lp, loop_cb cb, void *ud) {
  lp->wake_cb = cb;
  lp->wake_ud = ud;
}

void loop_ref(loop *lp) { lp->refs++; }
void loop_unref(loop *lp) {
  if (lp->refs) lp->refs--;
}

int loop_xfer_start(loop *lp, loop_xfer *x) {
  if (!multi_ready(lp)) return (int)CURLM_OUT_OF_MEMORY; /* libcurl did not start: no handle */
  curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (char *)x);
  CURLMcode rc = curl_multi_add_handle(lp->multi, x->easy);
  if (rc == CURLM_OK) {
    x->active = true;
    x->prev = NULL;
    x->next = lp->xfer_list;
    if (x->next) x->next->prev = x;
    lp->xfer_list = x;
    lp->xfers++;
  }
  return (int)rc;
}

static void xfer_unlink(loop *lp, loop_xfer *x) {
  if (x->prev) x->prev->next = x->next;
  else lp->xfer_list = x->next;
  if (x->next) x->next->prev = x->prev;
  x->prev = x->next = NULL;
  x->active = false;
  lp->xfers--;
}

void loop_xfer_cancel(loop *lp, loop_xfer *x) {
  if (!x->active) return;
  curl_multi_remove_handle(lp->multi, x->easy);
  xfer_unlink(lp, x);
}

size_t loop_active_xfers(const loop *lp) { return lp->xfers; }

bool loop_alive(const loop *lp) {
  if (lp->stopping) return false;
  return lp->heap_len || lp->xfers || lp->deferred.len || lp->refs || lp->posted.len;
}

void loop_stop(loop *lp) { lp->stopping = true; }

/* ---- one turn -------------------------------------------------------------- */

static void drain_wake_pipe(loop *lp) {
  char buf[256];
  while (read(lp->wake_pipe[0], buf, sizeof buf) > 0) {
  }
}

static void run_finished_xfers(loop *lp) {
  int left;
  CURLMsg *msg;
  while ((msg = curl_multi_info_read(lp->multi, &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL *easy = msg->easy_handle;
    CURLcode result = msg->data.result;
    loop_xfer *x = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    curl_multi_remove_handle(lp->multi, easy);
    if (!x) continue; /* not ours: cannot happen, every handle comes via loop_xfer_start */
    xfer_unlink(lp, x);
    if (x->done) x->done(x, result);
  }
}

static void run_due_timers(loop *lp) {
  double now = loop_now();
  /* Timers armed by callbacks in this pass get a later seq; cap the pass so a
   * zero-delay timer re-armed in its own callback cannot starve I/O. */
  uint64_t limit = lp->timer_seq;
  while (lp->heap_len && lp->heap[0]->when <= now && lp->heap[0]->seq < limit) {
    loop_timer *t = lp->heap[0];
    heap_remove(lp, t);
    t->cb(t->ud);
  }
}

static void run_posted(loop *lp) {
  pthread_mutex_lock(&lp->post_lock);
  cbqueue batch = lp->posted;
  memset(&lp->posted, 0, sizeof lp->posted);
  pthread_mutex_unlock(&lp->post_lock);
  deferred d;
  while (cbq_pop(&batch, &d)) d.cb(d.ud);
  free(batch.items);
}

static void run_deferred(loop *lp) {
  /* Only what was queued before this pass runs now; the rest waits a turn so I/O
   * and timers are never starved by callbacks that re-queue themselves. */
  size_t n = lp->deferred.len;
  deferred d;
  while (n-- && cbq_pop(&lp->deferred, &d)) d.cb(d.ud);
}

void loop_run_once(loop *lp, double max_wait) {
  int running = 0;
  if (lp->xfers) {
    /* Drive transfers and collect the ones that finished *before* computing how long to
     * sleep: a transfer that completes inside this perform leaves no socket to wake the
     * poll below, and its done callback may arm timers or defer work. */
    curl_multi_perform(lp->multi, &running);
    run_finished_xfers(lp);
  }
  double wait = max_wait;
  /* Nothing left (the last transfer just finished, arming nothing) or a stop asked for:
   * no reason to sleep; a wake-up already in the pipe is still taken below. */
  if (lp->deferred.len || !loop_alive(lp)) wait = 0;
  if (lp->heap_len) {
    double until = lp->heap[0]->when - loop_now();
    if (until < wait) wait = until;
  }
  if (wait < 0) wait = 0;
  int timeout_ms = (int)(wait * 1000.0 + 0.999); /* round up: never wake before a timer */
  bool woken;
  if (lp->multi) {
    struct curl_waitfd extra = {.fd = lp->wake_pipe[0], .events = CURL_WAIT_POLLIN};
    curl_multi_poll(lp->multi, &extra, 1, timeout_ms, NULL);
    woken = extra.revents != 0;
  } else { /* no transfer yet: only the pipe to wait on */
    struct pollfd p = {.fd = lp->wake_pipe[0], .events = POLLIN};
    woken = poll(&p, 1, timeout_ms) > 0 && p.revents;
  }
  if (woken) {
    drain_wake_pipe(lp);
    if (lp->wake_cb) lp->wake_cb(lp->wake_ud);
  }
  if (lp->xfers) {
    curl_multi_perform(lp->multi, &running);
    run_finished_xfers(lp);
  }
  run_due_timers(lp);
  run_posted(lp);
  run_deferred(lp);
}

void loop_run(loop *lp) {
  lp->stopping = false;
  while (loop_alive(lp)) loop_run_once(lp, 60.0);
  lp->stopping = false;
}
