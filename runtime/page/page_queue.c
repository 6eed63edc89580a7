/* page_queue.c — adding image files to a lookbook on the shared worker pool (see
 * page_book_queue_file in page.h). Decoding a PNG or JPEG is nearly all the time a
 * lookbook takes, and each image decodes independently, so files are decoded to their
 * cell's size as jobs on the pool the caller hands the book (page_book_use_workers: the
 * one pool whose size is the one setting; none, or one of 0 threads, decodes at once on
 * the caller's thread) while the script goes on; the results are added to the book on
 * the caller's (the loop's) thread, strictly in the order they were queued.
 *
 * A job's run touches only the job (its bytes in, its pixels out) and, under the
 * queue's lock, the job's done flag; the book itself is only touched on the loop
 * thread. A run never waits for anything, so a pool job that waits for the queue cannot
 * hold up the decodes it waits for: callers that wait (page_book_wait) do so on the loop
 * thread or in a pool job only once the queue is empty (bindings wait for it first).
 * When a job comes back to the loop the queue adds what is ready and calls the book's
 * change hook, so a task waiting for the queue can be woken there instead of blocking.
 *
 * There are never more jobs than the pool has threads (nor more than 4, in_flight_max),
 * and a file is read only once there is room for it, so memory holds at most one
 * encoded image per decode in flight (decoding streams: the full-size pixels of a PNG
 * or JPEG never exist) plus the cell-sized results. Some inputs cannot be decoded that
 * way: a progressive JPEG keeps every coefficient of the image (about 3 bytes a pixel),
 * a lossless WebP its full-size pixels, an interlaced PNG reduced less than 4x its
 * full-size pixels too. Large ones of those ("heavy") decode one at a time and alone:
 * nothing is queued after one until it is added, so a book of 4096x4096 such inputs
 * holds one full-size image at most, whatever the number of threads. */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_book.h"

typedef struct page_job {
  worker_job w; /* first: the pool hands this pointer back */
  struct page_queue *q; /* NULL once the queue was freed: the job frees itself when back */
  buf data;   /* the file's bytes (owned) */
  char *path; /* for messages (owned) */
  page_entry item; /* owned copies of caption/meta/source (only those fields used) */
  int box_w, box_h;
  bool cover;
  bool heavy; /* decoding holds about the full-size image: one such at a time */
  bool done;  /* decoded (or never will be); set under the queue's lock */
  bool back;  /* the pool handed it back (loop thread) */
  bool added; /* taken off the queue and added to the book (loop thread) */
  image px;  /* the decoded, cell-sized pixels */
  char err[400];
  struct page_job *next;
} page_job;

struct page_queue {
  page_book *b;
  workers *pool; /* where new jobs go (page_book_use_workers) */
  int nthreads;  /* decodes in flight at most: in_flight_max(the pool) */
  pthread_mutex_t mu;
  pthread_cond_t done;
  page_job *head, *tail; /* every job not yet added, in queue order */
  int njobs;          /* loop thread only */
  int heavy_pending;  /* heavy jobs not yet added to the book (loop thread only) */
  int unfinished;     /* jobs on the pool not yet done, under the lock */
  void (*changed)(void *ud); /* page_book_on_queue_change */
  void *changed_ud;
};

/* Heavy: a decode that holds about the whole image, over 32 MB of it (8 Mpx). */
static bool decode_is_heavy(const image_info *info, int box_w, int box_h) {
  if ((uint64_t)info->width * (uint64_t)info->height * 4 <= ((uint64_t)32 << 20)) return false;
  if (info->format == IMAGE_JPEG) return info->progressive;
  if (info->format == IMAGE_PNG) return info->progressive && (box_h * 4 > info->height || box_w > info->width);
  return info->format == IMAGE_WEBP; /* lossless holds the whole image; lossy is fast either way */
}

/* Marks j done (under the lock: the loop thread may be waiting for it). */
static void mark_done(page_job *j) {
  page_queue *q = j->q;
  pthread_mutex_lock(&q->mu);
  j->done = true;
  q->unfinished--;
  pthread_cond_broadcast(&q->done);
  pthread_mutex_unlock(&q->mu);
}

/* On a worker thread. */
static void job_run(worker_job *w) {
  page_job *j = (page_job *)w;
  image_decode_opts o = {.box_width = j->box_w, .box_height = j->box_h, .cover = j->cover};
  if (image_decode(j->data.data, j->data.len, &o, &j->px, NULL, j->err, sizeof j->err) == IMAGE_OK)
    j->err[0] = '\0';
  else if (!j->err[0])
    snprintf(j->err, sizeof j->err, "cannot decode the image");
  buf_free(&j->data); /* the bytes are not needed any more: free them early */
  /* A heavy decode's tens of MB came from this thread's malloc arena, which glibc keeps
   * for its next use: give them back now, or each thread keeps its own copy. */
  if (j->heavy) malloc_trim(0);
  mark_done(j); /* the queue outlives every job not yet done (page_queue_free waits) */
}

/* Frees what j holds (its bytes, texts, pixels), not j itself. */
static void job_clear(page_job *j) {
  buf_free(&j->data);
  free(j->path);
  free(j->item.caption[0]);
  free(j->item.caption[1]);
  for (int i = 0; i < 2 * j->item.nmeta; i++) free(j->item.meta[i]);
  free(j->item.meta);
  free(j->item.source);
  image_free(&j->px);
  memset(&j->item, 0, sizeof j->item);
  j->path = NULL;
}

static void job_free(page_job *j) {
  job_clear(j);
  free(j);
}

static void commit_ready(page_book *b, page_queue *q);

/* Loop thread: the pool handed j back. Adds what is ready and tells the book's hook. */
static void job_back(worker_job *w, bool ran) {
  page_job *j = (page_job *)w;
  j->back = true;
  page_queue *q = j->q;
  if (!q) { /* already added, or its queue was freed: nothing waits for it any more */
    job_free(j);
    return;
  }
  if (!ran) {
    snprintf(j->err, sizeof j->err, "the worker pool stopped before the image was decoded");
    buf_free(&j->data);
    mark_done(j);
  }
  page_book *b = q->b;
  commit_ready(b, q);
  if (b->queue_changed) b->queue_changed(b->queue_changed_ud);
}

/* A book's decodes in flight at most: one per pool thread, and never more than 4 — each
 * holds its encoded file (up to tens of MB at 4096x4096) and its decoder's buffers, so
 * a pool sized for a many-core machine would otherwise take the book past its memory
 * bound (under 100 MB for any number of 4096x4096 inputs). */
static int in_flight_max(const workers *pool) {
  int n = workers_count(pool);
  return n > 4 ? 4 : n;
}

/* The queue of b, made on first use; NULL when the book has no pool with threads to
 * use (page_book_use_workers) — callers then add synchronously. */
page_queue *page_queue_of(page_book *b) {
  if (!b->pool || workers_count(b->pool) < 1) return NULL;
  if (b->q) return b->q;
  page_queue *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  q->b = b;
  q->nthreads = in_flight_max(b->pool);
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->done, NULL);
  b->q = q;
  return q;
}

void page_book_use_workers(page_book *b, workers *pool) {
  b->pool = pool;
  if (b->q && pool && workers_count(pool) > 0) b->q->nthreads = in_flight_max(pool);
}

void page_book_on_queue_change(page_book *b, void (*fn)(void *ud), void *ud) {
  b->queue_changed = fn;
  b->queue_changed_ud = ud;
}

/* Remembers the first failure until page_book_take_failure. */
static void note_failure(page_book *b, page_status st, const char *path, const char *msg) {
  if (b->failed != PAGE_OK) return;
  b->failed = st;
  snprintf(b->failed_path, sizeof b->failed_path, "%s", path);
  snprintf(b->failed_msg, sizeof b->failed_msg, "%s: %s", path, msg);
}

/* Adds the head job (which must be done) to the book and frees it. */
static void commit_head(page_book *b, page_queue *q) {
  pthread_mutex_lock(&q->mu);
  page_job *j = q->head;
  q->head = j->next;
  if (!q->head) q->tail = NULL;
  q->njobs--;
  if (j->heavy) q->heavy_pending--;
  pthread_mutex_unlock(&q->mu);
  if (j->err[0]) {
    note_failure(b, PAGE_EIMAGE, j->path, j->err);
  } else {
    page_item item = {.caption = {j->item.caption[0], j->item.caption[1]},
                      .meta = (const char *const *)j->item.meta,
                      .nmeta = j->item.nmeta,
                      .source = j->item.source};
    char err[500];
    page_status st = page_book_add_image_now(b, &j->px, &item, err, sizeof err);
    if (st != PAGE_OK) note_failure(b, st, j->path, err);
  }
  /* Its run is over (done): only its hand-back is left, which frees it when it comes. */
  if (j->back) {
    job_free(j);
  } else {
    job_clear(j);
    j->q = NULL;
  }
}

/* Waits until the head job is done. */
static void wait_head(page_queue *q) {
  pthread_mutex_lock(&q->mu);
  while (q->head && !q->head->done) pthread_cond_wait(&q->done, &q->mu);
  pthread_mutex_unlock(&q->mu);
}

void page_book_wait(page_book *b) {
  page_queue *q = b->q;
  if (!q) return;
  while (q->head) {
    wait_head(q);
    commit_head(b, q);
  }
}

/* Adds every job at the head that is already done, without waiting. */
static void commit_ready(page_book *b, page_queue *q) {
  for (;;) {
    pthread_mutex_lock(&q->mu);
    bool ready = q->head && q->head->done;
    pthread_mutex_unlock(&q->mu);
    if (!ready) return;
    commit_head(b, q);
  }
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Waits until a thread is free for one more job (committing the oldest), so that no more
 * encoded images are in memory than there are threads: callers wait before they read.
 * While a heavy job is queued, nothing else is: the next file is not even read until
 * it is done, so a heavy decode shares memory with no other input's bytes. */
static void wait_for_room(page_book *b, page_queue *q) {
  commit_ready(b, q);
  while (q->njobs >= q->nthreads || (q->heavy_pending > 0 && q->njobs > 0)) {
    wait_head(q);
    commit_head(b, q);
  }
}

/* Queues the bytes in *data (taken over: *data is left empty) named `name` for messages. */
static page_status queue_bytes(page_book *b, page_queue *q, buf *data, const char *name, const page_item *item,
                               char *err, size_t errlen) {
  page_status st = page_book_check_item(item, err, errlen);
  if (st != PAGE_OK) {
    buf_free(data);
    return st;
  }
  image_info info;
  char why[400];
  if (image_probe(data->data, data->len, NULL, &info, why, sizeof why) != IMAGE_OK) {
    snprintf(err, errlen, "%s: %s", name, why);
    buf_free(data);
    return PAGE_EIMAGE;
  }
  page_job *j = calloc(1, sizeof *j);
  if (!j) {
    buf_free(data);
    return snprintf(err, errlen, "out of memory"), PAGE_ESYS;
  }
  j->data = *data;
  *data = (buf)BUF_INIT;
  const char *source = item && item->source ? item->source : name;
  bool oom = !(j->path = strdup(name)) || !(j->item.source = strdup(source));
  if (item) {
    for (int i = 0; i < 2; i++)
      if (item->caption[i] && !(j->item.caption[i] = strdup(item->caption[i]))) oom = true;
    if (item->nmeta > 0) {
      j->item.meta = calloc((size_t)(2 * item->nmeta), sizeof *j->item.meta);
      if (!j->item.meta) oom = true;
      else j->item.nmeta = item->nmeta;
      for (int i = 0; !oom && i < 2 * item->nmeta; i++)
        if (!(j->item.meta[i] = dup_or_null(item->meta[i] ? item->meta[i] : ""))) oom = true;
    }
  }
  if (oom) {
    job_free(j);
    return snprintf(err, errlen, "out of memory"), PAGE_ESYS;
  }
  /* The cell this image will take: the one after every image still in the queue. */
  page_cursor c = b->cur;
  int page, cell;
  for (int i = 0; i <= q->njobs; i++) page_cursor_take(&c, &b->l, &page, &cell);
  page_rect box = page_layout_plan(&b->l, c.page_in_section)->cells[cell].image;
  j->box_w = box.w;
  j->box_h = box.h;
  j->cover = b->l.o.fit == PAGE_FILL;
  j->heavy = decode_is_heavy(&info, box.w, box.h);
  j->q = q;
  j->w.run = job_run;
  j->w.done = job_back;
  pthread_mutex_lock(&q->mu);
  if (q->tail) q->tail->next = j;
  else q->head = j;
  q->tail = j;
  q->unfinished++;
  pthread_mutex_unlock(&q->mu);
  q->njobs++;
  if (j->heavy) q->heavy_pending++;
  if (!workers_submit(b->pool, &j->w)) { /* out of memory: it is left out, said by the next call */
    snprintf(j->err, sizeof j->err, "out of memory");
    buf_free(&j->data);
    j->back = true;
    mark_done(j);
  }
  return PAGE_OK;
}

page_status page_queue_file(page_book *b, page_queue *q, const char *path, const page_item *item, char *err,
                            size_t errlen) {
  wait_for_room(b, q);
  buf data = BUF_INIT;
  if (image_read_file(path, 0, &data, err, errlen) != IMAGE_OK) { /* names the path */
    buf_free(&data);
    return PAGE_EFILE;
  }
  page_item it = item ? *item : (page_item){0};
  if (!it.source) it.source = path;
  return queue_bytes(b, q, &data, path, &it, err, errlen);
}

page_status page_queue_encoded(page_book *b, page_queue *q, const void *bytes, size_t len, const char *name,
                               const page_item *item, char *err, size_t errlen) {
  wait_for_room(b, q);
  buf data = BUF_INIT;
  if (len > IMAGE_DEFAULT_MAX_BYTES) {
    snprintf(err, errlen, "%s: %zu bytes, more than the %zu-byte limit", name, len, (size_t)IMAGE_DEFAULT_MAX_BYTES);
    return PAGE_EIMAGE;
  }
  if (!buf_append(&data, bytes, len)) {
    buf_free(&data);
    return snprintf(err, errlen, "out of memory"), PAGE_ESYS;
  }
  return queue_bytes(b, q, &data, name, item, err, errlen);
}

int page_book_count_queued(const page_book *b) { return b->n + (b->q ? b->q->njobs : 0); }
int page_book_queued(const page_book *b) { return b->q ? b->q->njobs : 0; }

/* The condition wait_for_room waits on (njobs and heavy_pending change on the caller's
 * thread only, so no lock). */
bool page_book_queue_full(const page_book *b) {
  const page_queue *q = b->q;
  return q && (q->njobs >= q->nthreads || (q->heavy_pending > 0 && q->njobs > 0));
}

void page_book_wait_room(page_book *b) {
  if (b->q) wait_for_room(b, b->q);
}

page_status page_book_take_failure(page_book *b, char *err, size_t errlen, char *path, size_t pathlen) {
  page_status st = b->failed;
  if (st != PAGE_OK) {
    snprintf(err, errlen, "%s", b->failed_msg);
    if (path) snprintf(path, pathlen, "%s", b->failed_path);
    b->failed = PAGE_OK;
  }
  return st;
}

/* Loop thread. Waits for the book's decodes still running (a run touches the queue's
 * lock last); those not yet handed back free themselves when they are. */
void page_queue_free(page_queue *q) {
  if (!q) return;
  pthread_mutex_lock(&q->mu);
  while (q->unfinished > 0) pthread_cond_wait(&q->done, &q->mu);
  pthread_mutex_unlock(&q->mu);
  while (q->head) {
    page_job *j = q->head;
    q->head = j->next;
    if (j->back) {
      job_free(j);
    } else {
      job_clear(j);
      j->q = NULL;
    }
  }
  pthread_cond_destroy(&q->done);
  pthread_mutex_destroy(&q->mu);
  free(q);
}
