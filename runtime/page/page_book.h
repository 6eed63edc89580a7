/* page_book.h — the inside of a lookbook, shared by the files that implement page.h:
 * the book and its public calls (page.c), adding one image now (page_add.c), the decode
 * queue (page_queue.c), the spool of cell pixels and reading them back (page_spool.c),
 * the list of written files (page_files.c), the cairo renderers (page_render.c,
 * page_draw.c) and the HTML writer (page_html.c). Not for use
 * outside runtime/page*.c. */
#ifndef ATELIER_PAGE_BOOK_H
#define ATELIER_PAGE_BOOK_H

#include <stdint.h>

#include "page.h"

/* Cell pixels kept outside memory: an unlinked temporary file, appended to and read
 * back by offset. */
typedef struct page_spool {
  int fd;
  uint64_t size;
} page_spool;

bool page_spool_open(page_spool *s, char *err, size_t errlen);
bool page_spool_write(page_spool *s, const void *data, size_t n, uint64_t *off, char *err, size_t errlen);
bool page_spool_read(const page_spool *s, uint64_t off, void *data, size_t n, char *err, size_t errlen);
void page_spool_close(page_spool *s);

/* One image on a page. Its pixels are RGB (3 bytes per pixel, opaque) in the spool. */
typedef struct page_entry {
  int page, cell;
  int page_in_section; /* picks the page template */
  page_rect dst; /* where the pixels go on the page; dst.w x dst.h is their size */
  uint64_t off;  /* in the spool */
  char *caption[2];
  char **meta; /* 2 * nmeta strings */
  int nmeta;
  char *source;
  int section; /* -1: none */
} page_entry;

typedef struct page_queue page_queue; /* page_queue.c: decoding files on the worker pool */

struct page_book {
  page_layout l;
  char *title, *subtitle;
  page_spool spool;
  page_cursor cur;
  page_entry *entries;
  int n, cap;
  char **sections; /* titles */
  int nsections, capsections;
  page_queue *q;       /* NULL until the first queued file */
  workers *pool;       /* page_book_use_workers: where queued files are decoded */
  void (*queue_changed)(void *ud); /* page_book_on_queue_change */
  void *queue_changed_ud;
  page_status failed;  /* first failure of a queued file not yet taken */
  char failed_path[4096];
  char failed_msg[1200];
  char **col_labels, **row_labels; /* page_book_set_labels; entries may be NULL */
  int ncol_labels, nrow_labels;
  struct page_text *text; /* the font, measured at page_book_new (page_text.h) */
  struct page_extra *extra; /* page_cover.c: footer and header texts, fields, the cover */
};

/* page_cover.c: the text around the pages and the cover. */
typedef struct page_extra {
  char *contact, *footer, *header_note;
  char **fields, **field_labels; /* nfields each */
  int nfields;
  bool cover;
  char *season, *date;
  page_entry logo, hero; /* their pixels in the spool, dst on the cover page */
  bool has_logo, has_hero;
} page_extra;
void page_extra_free(page_extra *x);
/* The value of meta key `key` of e, or NULL. */
const char *page_entry_meta(const page_entry *e, const char *key);

/* page_book_add_image without waiting for the queue (the queue's own commit uses it). */
page_status page_book_add_image_now(page_book *b, const image *im, const page_item *item, char *err, size_t errlen);
/* Checks an item's text (UTF-8, lengths, counts) without copying it. */
page_status page_book_check_item(const page_item *item, char *err, size_t errlen);
/* Valid UTF-8 of at most max bytes without control characters other than tab; else a
 * message naming `what` in err. */
bool page_text_ok(const char *s, size_t max, const char *what, char *err, size_t errlen);
/* Frees what an entry owns (not the entry). */
void page_entry_free(page_entry *e);
/* page_queue.c: the book's queue, made on first use; NULL where the book has no pool
 * with threads (page_book_use_workers), or out of memory: add synchronously then. */
page_queue *page_queue_of(page_book *b);
/* Queues a file or encoded bytes on q (page_book_queue_file / _encoded once q is known;
 * name is not NULL). */
page_status page_queue_file(page_book *b, page_queue *q, const char *path, const page_item *item, char *err,
                            size_t errlen);
page_status page_queue_encoded(page_book *b, page_queue *q, const void *bytes, size_t len, const char *name,
                               const page_item *item, char *err, size_t errlen);
void page_queue_free(page_queue *q);

/* Entries [*first, *first + *count) are on page p (they are stored in page order). */
void page_book_page_entries(const page_book *b, int p, int *first, int *count);
/* The section shown on page p (-1: none). */
int page_book_page_section(const page_book *b, int p);

/* Reads an entry's pixels back as RGBA into *im (which must be empty) (page_spool.c). */
bool page_entry_load(const page_book *b, const page_entry *e, image *im, char *err, size_t errlen);

/* Renderers (page_render.c, page_html.c). */
bool page_render_pdf(page_book *b, const char *path, char *err, size_t errlen);
bool page_render_raster(page_book *b, const char *path, page_out kind, page_files *files, char *err,
                        size_t errlen);
bool page_write_html(page_book *b, const char *path, page_files *files, char *err, size_t errlen);

/* Writes a whole file through a temporary name and a rename. */
bool page_write_file(const char *path, const void *data, size_t n, char *err, size_t errlen);

/* Adds a copy of path to files (ignored when files is NULL). False when out of memory. */
bool page_files_add(page_files *files, const char *path);

#endif
