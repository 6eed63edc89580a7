/* page_queue.c — adding image files to a lookbook on worker threads (see
 * page_book_queue_file in page.h). Decoding a PNG or JPEG is nearly all the time a
 * lookbook takes, and each image decodes independently, so files are decoded to their
 * cell's size on one thread per CPU (at most 4) while the script goes on; the results
 * are added to the book on the caller's thread, strictly in the order they were queued.
 *
 * Threads touch only their job (its bytes in, its pixels out); the book itself is only
 * touched by the caller's thread. There are never more jobs than threads, and a file is
 * read only once a thread is free for it, so memory holds at most one encoded image per
 * thread (decoding streams: the full-size pixels of a PNG or JPEG never exist) plus the
 * cell-sized results. Some inputs cannot be decoded that way: a progressive JPEG keeps
 * every coefficient of the image (about 3 bytes a pixel), a lossless WebP its full-size
 * pixels, an interlaced PNG reduced less than 4x its full-size pixels too. Large ones of
 * those ("heavy") decode one at a time and alone in the queue, so a book of 4096x4096
 * such inputs holds one full-size image at most, whatever the number of threads. */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "page_book.h"

typedef struct page_job {
  buf data;   /* the file's bytes (owned) */
  char *path; /* for messages (owned) */
  page_entry item; /* owned copies of caption/meta/source (only those fields used) */
  int box_w, box_h;
  bool cover;
  bool heavy; /* decoding holds about the full-size image: one such at a time */
  bool done;  /* set by the worker, under the lock */
  image px;  /* the decoded, cell-sized pixels */
  char err[400];
  struct page_job *next;
} page_job;

struct page_queue {
  pthread_t threads[4];
  int nthreads;
  pthread_mutex_t mu;
  pthread_cond_t work, done;
  page_job *head, *tail; /* every job not yet added, in queue order */
  page_job *todo;        /* the first job no worker has taken */
  int njobs;
  bool heavy_running; /* a heavy job is being decoded */
  int heavy_pending;  /* heavy jobs not yet added to the book (caller's thread only) */
  bool stop;
};

/* Heavy: a decode that holds about the whole image, over 32 MB of it (8 Mpx). */
static bool decode_is_heavy(const image_info *info, int box_w, int box_h) {
  if ((uint64_t)info->width * (uint64_t)info->height * 4 <= ((uint64_t)32 << 20)) return false;
  if (info->format == IMAGE_JPEG) return info->progressive;
  if (info->format == IMAGE_PNG) return info->progressive && (box_h * 4 > info->height || box_w > info->width);
  return info->format == IMAGE_WEBP; /* lossless holds the whole image; lossy is fast either way */
}

static void *worker(void *arg) {
  page_queue *q = arg;
  pthread_mutex_lock(&q->mu);
  for (;;) {
    while (!q->stop && (!q->todo || (q->todo->heavy && q->heavy_running))) pthread_cond_wait(&q->work, &q->mu);
    if (q->stop) break;
    page_job *j = q->todo;
    q->todo = j->next;
    if (j->heavy) q->heavy_running = true;
    pthread_mutex_unlock(&q->mu);
    image_decode_opts o = {.box_width = j->box_w, .box_height = j->box_h, .cover = j->cover};
    if (image_decode(j->data.data, j->data.len, &o, &j->px, NULL, j->err, sizeof j->err) == IMAGE_OK)
      j->err[0] = '\0';
    else if (!j->err[0])
      snprintf(j->err, sizeof j->err, "cannot decode the image");
    buf_free(&j->data); /* the bytes are not needed any more: free them early */
    /* A heavy decode's tens of MB came from this thread's malloc arena, which glibc keeps
     * for its next use: give them back now, or each thread keeps its own copy. */
    if (j->heavy) malloc_trim(0);
    pthread_mutex_lock(&q->mu);
    j->done = true;
    if (j->heavy) {
      q->heavy_running = false;
      pthread_cond_broadcast(&q->work); /* a heavy job may be waiting for its turn */
    }
    pthread_cond_broadcast(&q->done);
  }
  pthread_mutex_unlock(&q->mu);
  return NULL;
}

static void job_free(page_job *j) {
  buf_free(&j->data);
  free(j->path);
  free(j->item.caption[0]);
  free(j->item.caption[1]);
  for (int i = 0; i < 2 * j->item.nmeta; i++) free(j->item.meta[i]);
  free(j->item.meta);
  free(j->item.source);
  image_free(&j->px);
  free(j);
}

/* The queue of b, started on first use; NULL when threads do not pay (one CPU) or
 * cannot be started — callers then add synchronously. */
page_queue *page_queue_of(page_book *b) {
  if (b->q) return b->q;
  if (b->q_unavailable) return NULL;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int n = cpus > 4 ? 4 : (int)cpus;
  page_queue *q = n > 1 ? calloc(1, sizeof *q) : NULL;
  if (!q) {
    b->q_unavailable = true;
    return NULL;
  }
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->work, NULL);
  pthread_cond_init(&q->done, NULL);
  for (int i = 0; i < n; i++) {
    if (pthread_create(&q->threads[q->nthreads], NULL, worker, q) != 0) break;
    q->nthreads++;
  }
  if (q->nthreads == 0) {
    pthread_cond_destroy(&q->work);
    pthread_cond_destroy(&q->done);
    pthread_mutex_destroy(&q->mu);
    free(q);
    b->q_unavailable = true;
    return NULL;
  }
  b->q = q;
  return q;
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
  job_free(j);
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
  pthread_mutex_lock(&q->mu);
  if (q->tail) q->tail->next = j;
  else q->head = j;
  q->tail = j;
  if (!q->todo) q->todo = j;
  q->njobs++;
  if (j->heavy) q->heavy_pending++;
  pthread_cond_signal(&q->work);
  pthread_mutex_unlock(&q->mu);
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

void page_queue_free(page_queue *q) {
  if (!q) return;
  pthread_mutex_lock(&q->mu);
  q->stop = true;
  pthread_cond_broadcast(&q->work);
  pthread_mutex_unlock(&q->mu);
  for (int i = 0; i < q->nthreads; i++) pthread_join(q->threads[i], NULL);
  while (q->head) {
    page_job *j = q->head;
    q->head = j->next;
    job_free(j);
  }
  pthread_cond_destroy(&q->work);
  pthread_cond_destroy(&q->done);
  pthread_mutex_destroy(&q->mu);
  free(q);
}
