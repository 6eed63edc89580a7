/* page.h — a lookbook: images laid out on pages (page_layout.h) and saved as a PDF,
 * one PNG/JPEG/WebP file per page, or a static HTML folder.
 *
 * Memory: an added image is scaled to its cell at the output resolution the moment it
 * arrives and only those cell pixels are kept — in a temporary spool file, not in RAM —
 * so a book of any length holds at most one full-size image (the caller's, while it is
 * being added) plus one page of cells while saving. */
#ifndef ATELIER_PAGE_H
#define ATELIER_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "../image/image.h"
#include "../io/workers.h"
#include "page_layout.h"

#define PAGE_MAX_TEXT 1000   /* bytes of a title, subtitle, caption or section title */
#define PAGE_MAX_META 64     /* key/value pairs of an image's generation parameters */
#define PAGE_MAX_META_TEXT 4000 /* bytes of one meta key or value */
#define PAGE_MAX_IMAGES 100000

typedef struct page_book page_book;

/* Why adding an image failed (the message says more). */
typedef enum {
  PAGE_OK = 0,
  PAGE_EFILE,  /* the file cannot be read (missing, not a file, too large) */
  PAGE_EIMAGE, /* the bytes are not a decodable PNG/JPEG/WebP within the limits */
  PAGE_EINVAL, /* bad text (caption, meta) or too many images */
  PAGE_ESYS,   /* out of memory, the spool could not be written */
} page_status;

/* What goes with an image: up to two caption lines (NULL = none) and the generation
 * parameters shown by the HTML lookbook as (key, value) pairs. All strings are copied;
 * they must be valid UTF-8 (checked). */
typedef struct page_item {
  const char *caption[2];
  const char *const *meta; /* meta[2*i] = key, meta[2*i+1] = value */
  int nmeta;
  const char *source;      /* where the image came from (a file name), for the HTML; may be NULL */
} page_item;

/* A new, empty book. title/subtitle may be NULL; they also decide whether the header band
 * exists (o->has_title/has_subtitle are set from them). NULL with a message naming the
 * option when o is unusable or the spool cannot be created. */
page_book *page_book_new(const page_options *o, const char *title, const char *subtitle, char *err,
                         size_t errlen);
/* Frees everything, including the spool file. NULL is fine. */
void page_book_free(page_book *b);

const page_layout *page_book_layout(const page_book *b);
int page_book_count(page_book *b); /* images added (after waiting for queued ones) */
int page_book_pages(page_book *b); /* pages those images fill */

/* Axis labels of a comparison grid: columns[i] names grid column i and rows[j] grid row
 * j on every page (NULL entries, and entries past n, stay blank). */
typedef struct page_labels {
  const char *const *columns;
  int ncolumns; /* 0: no column-label band */
  const char *const *rows;
  int nrows; /* 0: no row-label band */
} page_labels;

/* Sets the labels (copied, checked as text) and lays the book out again with their bands
 * (page_options.has_col_labels / has_row_labels). Only before the first image. False with
 * a message, leaving the book as it was, when there are more labels than columns or rows,
 * a label is not valid text, or the bands leave no room for cells. */
bool page_book_set_labels(page_book *b, const page_labels *labels, char *err, size_t errlen);

/* Text around the pages (all optional, copied, checked as text). Only before the first
 * image: the footer and header bands it adds change where cells go. */
typedef struct page_texts {
  const char *contact;     /* the footer's left (and the cover's bottom): "Studio · mail" */
  const char *footer;      /* more footer text after the contact: terms, a note */
  const char *header_note; /* a second running-header line: delivery window, cut-off */
  /* line sheets: fields[i] is a meta key shown under every image that has it, in this
   * order, labelled field_labels[i] (NULL: the key) */
  const char *const *fields;
  const char *const *field_labels;
  int nfields; /* at most 16: one line each */
} page_texts;
bool page_book_set_texts(page_book *b, const page_texts *t, char *err, size_t errlen);

/* A cover page before the body pages: the book's title and subtitle set large, with a
 * season and date line, the contact, a logo and a hero image (files; either may be NULL).
 * Only before the first image. False with a message naming the file or option. */
typedef struct page_cover {
  const char *season, *date;
  const char *logo, *hero; /* image files */
} page_cover;
bool page_book_set_cover(page_book *b, const page_cover *c, char *err, size_t errlen);

/* What page_book_inspect reports for each piece of text it sets (boxes in pixels at the
 * output dpi): the box reserved for it, and where its lines and ink landed. For tests
 * that check the layout the way a reader sees it: nothing outside its box. */
typedef struct page_inspect_text {
  int page;         /* 0-based, the cover included */
  const char *what; /* "title", "caption", "field", "footer", ... (static strings) */
  double box[4];    /* x, y, w, h */
  double logical[4], ink[4];
  int lines;
  bool ellipsized;
} page_inspect_text;
/* Lays every page out (without painting images) and reports every text set. The caller
 * frees *out. */
bool page_book_inspect(page_book *b, page_inspect_text **out, int *n, char *err, size_t errlen);

/* Pages a save writes: the cover (when there is one) and the body pages. */
int page_book_total_pages(page_book *b);

/* Starts a section: its images begin on a fresh page, which shows its title. */
bool page_book_section(page_book *b, const char *title, char *err, size_t errlen);

/* The image box of the cell the next image will take (pixels at the output dpi). A
 * caller decoding from a file asks for this size so the full image never exists. */
void page_book_next_box(page_book *b, int *w, int *h);

/* Adds an image: scales (fit or fill) the pixels into the next cell, flattens any
 * transparency onto the background and spools the result. im is not modified; the
 * caller may free it right after. On failure nothing is added and err says why. */
page_status page_book_add_image(page_book *b, const image *im, const page_item *item, char *err, size_t errlen);

/* Adds an encoded PNG/JPEG/WebP: decoded straight to the cell's size (JPEG by DCT
 * scaling, PNG row by row), so memory stays near the cell's size. `name` (e.g. the file
 * name) prefixes error messages. */
page_status page_book_add_encoded(page_book *b, const void *data, size_t len, const char *name, const page_item *item,
                           char *err, size_t errlen);

/* Reads and adds an image file; errors name the file. */
page_status page_book_add_file(page_book *b, const char *path, const page_item *item, char *err, size_t errlen);

/* Queues an image file: it is read and its header checked now — a missing file or one
 * that is not a PNG/JPEG/WebP within the limits fails here, naming the file — then it is
 * decoded to its cell's size as a job on the book's worker pool (page_book_use_workers)
 * while the caller goes on, at most one file per pool thread at a time. Queued images
 * are added in the order they were queued, on the loop thread, and every other call on
 * the book first waits for them, so the result is the same as with page_book_add_file.
 * An image whose data turns out corrupt behind a valid header is left out;
 * page_book_take_failure reports it. Is page_book_add_file where the book has no pool,
 * or one of 0 threads. */
page_status page_book_queue_file(page_book *b, const char *path, const page_item *item, char *err,
                                 size_t errlen);
/* page_book_queue_file for encoded bytes in memory (copied; the caller keeps its own). */
page_status page_book_queue_encoded(page_book *b, const void *bytes, size_t len, const char *name,
                                    const page_item *item, char *err, size_t errlen);
/* Images added plus images still queued, without waiting. */
int page_book_count_queued(const page_book *b);
/* Images queued and not yet added, without waiting: > 0 means the calls that wait for
 * the queue (page_book_wait and all that use it) would wait now. */
int page_book_queued(const page_book *b);
/* Whether queuing one more image now (page_book_queue_file / _encoded) would first
 * wait for a decode to finish: every thread busy, or a heavy decode queued. */
bool page_book_queue_full(const page_book *b);
/* Waits until queuing one more image would not wait, adding what has finished. */
void page_book_wait_room(page_book *b);
/* Waits for every queued image and adds them. Blocks: call it on the loop thread, or in
 * a pool job only once the queue is empty (a pool job must never wait for other pool
 * jobs, which may need its thread). */
void page_book_wait(page_book *b);
/* The pool queued files are decoded on from now on (NULL or 0 threads: they are
 * decoded at once by the caller). Set it before each queuing call: the book keeps the
 * pointer, and a pool that is replaced must not be used after. Jobs already queued stay
 * with the pool they went to, which hands them back on the loop thread. */
void page_book_use_workers(page_book *b, workers *pool);
/* fn(ud) runs on the loop thread each time a queued decode is handed back (after what
 * was ready has been added), so a caller can wait for the queue without blocking: when
 * page_book_queued or page_book_queue_full says what it waits for. NULL: no hook. */
void page_book_on_queue_change(page_book *b, void (*fn)(void *ud), void *ud);
/* The first failure of a queued image since the last call, PAGE_OK when none; err says
 * what, naming the file, and path (may be NULL) receives the file's path. */
page_status page_book_take_failure(page_book *b, char *err, size_t errlen, char *path, size_t pathlen);

/* The output a path asks for, by its extension. */
typedef enum { PAGE_OUT_NONE, PAGE_OUT_PDF, PAGE_OUT_PNG, PAGE_OUT_JPEG, PAGE_OUT_WEBP, PAGE_OUT_HTML } page_out;
page_out page_out_from_path(const char *path);

/* Files a save wrote, in order. */
typedef struct page_files {
  char **paths;
  int n, cap;
} page_files;
void page_files_free(page_files *f);

/* Saves the book: .pdf (one document), .png/.jpg/.jpeg/.webp (one file per page, named
 * with a -N suffix: look.png -> look-1.png, look-2.png...), .html (a folder named like the
 * path without .html, holding index.html and images/). Appends what it wrote to *files
 * (which may be NULL). The book stays usable: save again in another format, add more. */
bool page_book_save(page_book *b, const char *path, page_files *files, char *err, size_t errlen);

#endif
