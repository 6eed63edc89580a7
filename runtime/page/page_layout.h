/* page_layout.h — the lookbook page model and its maths: page sizes, lengths, colours
 * and aspect ratios parsed from text; the options of a book; where the header, footer
 * and every cell of a page go, in whole pixels at the output resolution; and which page
 * and cell the next image lands in. Pure arithmetic: no cairo, no pixels, no files. */
#ifndef ATELIER_PAGE_LAYOUT_H
#define ATELIER_PAGE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_MAX_GRID 32       /* columns or rows per page */
#define PAGE_MAX_SPANS 16      /* merged cells per page template */
#define PAGE_MAX_TEMPLATES 8   /* page templates per layout; the last one repeats */
#define PAGE_MAX_SIDE_PX 16384 /* the largest page edge in pixels at the output dpi */
#define PAGE_MIN_DPI 36
#define PAGE_MAX_DPI 1200
#define PAGE_MIN_CELL_PX 8 /* a cell narrower or shorter than this is an error */

typedef enum { PAGE_FIT, PAGE_FILL } page_fit;

/* A merged cell: `cols` x `rows` grid slots whose top-left slot is (col, row), 0-based. */
typedef struct page_span {
  int col, row, cols, rows;
} page_span;

/* Which slots of the grid merge on one page; an empty template is a plain grid. */
typedef struct page_template {
  int nspans;
  page_span spans[PAGE_MAX_SPANS];
} page_template;

/* Everything that decides how pages look. Lengths are in points (1/72 inch). Fill in
 * with page_options_default, then set fields; page_layout_init checks them. */
typedef struct page_options {
  double page_w_pt, page_h_pt; /* after orientation */
  double dpi;                  /* pixels per inch of raster pages and embedded images */
  double margin_pt[4];         /* top, right, bottom, left */
  double gutter_pt;            /* space between cells, both ways */
  int columns, rows;           /* 0 = as many as fit (see page_layout_init) */
  double cell_aspect;          /* width / height of a cell's image area */
  page_fit fit;                /* fit: whole image, letterboxed; fill: cover and crop */
  uint32_t background;         /* 0xRRGGBB */
  uint32_t color;              /* text colour 0xRRGGBB; ignored unless color_set */
  bool color_set;              /* false: dark or light text chosen from the background */
  bool has_title, has_subtitle; /* reserve the header band for them */
  int caption_lines;           /* 0, 1 or 2 lines of caption under each cell */
  bool page_numbers;           /* footer with "n / total" */
  double type_size_pt;         /* the caption size; every other size derives from it */
  int quality;                 /* JPEG/WebP quality of embedded images and pages, 1..100 */
  int ntemplates;              /* 0 = plain grid on every page */
  page_template templates[PAGE_MAX_TEMPLATES];
  /* Axis labels (comparison grids, page_book_set_labels): a band above the grid names
   * each column, one at its left names each row. */
  bool has_col_labels, has_row_labels;
  double row_label_pt;         /* width of the row-label band; 0 = 12 x type_size */
  double cell_w_pt;            /* > 0: cells this wide, and the page is sized to hold exactly
                                  columns x rows of them (both required); page_w/h_pt ignored */
  char font[96];               /* font family by name (fontconfig); "" = page_text.h's default */
  double ascent_em, line_em;   /* the font's ascent and line height per em (page_book_new
                                  measures them); 0 = 0.9 and 1.3 */
  bool has_header_note;        /* a second running-header line (line sheets: delivery, cut-off) */
  bool has_footer_text;        /* contact or terms at the footer's left (up to two lines) */
  int field_lines;             /* line sheets: lines of item fields under the caption, 0..16 */
  bool cover;                  /* a cover page comes before the body pages */
  bool has_logo, has_hero;     /* the cover's logo band and hero image */
  bool html_parameters;        /* the web page shows each image's parameters (meta) */
} page_options;

/* The type scale: sizes in points, each a step of 1.25 from the caption size. */
typedef struct page_type_scale {
  double footer, caption, subtitle, section, title, cover;
} page_type_scale;

typedef struct page_rect {
  int x, y, w, h;
} page_rect;

/* One cell of a page template: the image box and the caption box below it (pixels). */
typedef struct page_cell {
  page_rect image;
  page_rect caption; /* h == 0 when caption_lines == 0 */
} page_cell;

/* The cover page's boxes (pixels); a box with h == 0 is absent. Text boxes hold the
 * number of lines page_draw sets in them. */
typedef struct page_cover_layout {
  page_rect logo;     /* top left: the logo, fitted */
  page_rect hero;     /* the hero image, filling the box */
  page_rect title;    /* 2 lines at type.cover */
  page_rect subtitle; /* 2 lines at type.section */
  page_rect meta;     /* season and date: 1 line at type.subtitle */
  page_rect contact;  /* 2 lines at type.caption, at the bottom */
} page_cover_layout;

/* A page template resolved into pixels. */
typedef struct page_plan {
  int ncells;
  page_cell *cells; /* in reading order of their top-left slot */
} page_plan;

/* The resolved geometry shared by every page of a book. */
typedef struct page_layout {
  page_options o;
  page_type_scale type;
  int page_w, page_h;   /* pixels */
  double px_per_pt;     /* dpi / 72 */
  page_rect header;     /* the running header: one line of title and section (+ the note) */
  page_rect footer;     /* h == 0 when page numbers are off and there is no footer text */
  page_rect grid;       /* the cells: right under the header (and column labels), centred
                           across; what is left of the height stays at the bottom */
  page_cover_layout cover; /* all zero without o.cover */
  double line_em, ascent_em; /* resolved from o (never 0) */
  page_rect col_labels; /* the band above the grid (h == 0 without column labels) */
  page_rect row_labels; /* the band left of the grid (w == 0 without row labels) */
  int columns, rows;    /* resolved (never 0) */
  int cell_w, image_h;  /* one slot: image width and height; */
  int caption_h, gutter; /* caption band under each image; space between slots */
  int nplans;           /* max(1, ntemplates) */
  page_plan plans[PAGE_MAX_TEMPLATES];
} page_layout;

/* ---- parsing (each returns false and writes a message into err) ------------------- */

/* "A4", "A3", "A5", "Letter", "Legal", "Tabloid" (11x17 in), "square" (210 mm), or custom "210x297mm",
 * "8.5x11in", "1080x1350px", "595x842pt". px needs the dpi to become points. */
bool page_size_parse(const char *s, double dpi, double *w_pt, double *h_pt, char *err, size_t errlen);
/* A length: a number with unit mm, cm, in, pt or px ("12mm", "0.5in"); a bare number
 * is millimetres. */
bool page_length_parse(const char *s, double dpi, double *pt, char *err, size_t errlen);
/* "#rgb", "#rrggbb", or white, black, ivory, grey/gray, charcoal, sand. */
bool page_color_parse(const char *s, uint32_t *rgb, char *err, size_t errlen);
/* "W:H" with positive numbers, e.g. "3:4", "1:1", "1.91:1". */
bool page_aspect_parse(const char *s, double *aspect, char *err, size_t errlen);

/* The height in pixels of n lines of text of size_pt points. */
int page_layout_lines_px(const page_layout *l, double size_pt, int n);

/* Sensible defaults: A4 portrait, 150 dpi, 12 mm margins, 4 mm gutter, 4 columns of
 * 3:4 cells, fit, white, one caption line, page numbers, 8 pt captions, quality 90. */
void page_options_default(page_options *o);

/* ---- geometry ----------------------------------------------------------------------- */

/* Resolves o into pixels: header/footer bands, the label bands, the grid (automatic
 * columns/rows, or the page grown around cells of o->cell_w_pt), every template's
 * cells. False with a message naming the option when the result is unusable (cells too
 * small, a span outside the grid or overlapping another). Free with page_layout_free,
 * also after a failure. */
bool page_layout_init(page_layout *l, const page_options *o, char *err, size_t errlen);
void page_layout_free(page_layout *l);

/* The plan used by the n-th page (0-based) of a section. */
const page_plan *page_layout_plan(const page_layout *l, int page_in_section);

/* Where an image of w x h pixels goes inside a box of bw x bh: for fit, the largest
 * box of the image's aspect inside (centred; *src the whole image); for fill, the whole
 * box and *src the centred part of the image with the box's aspect. */
void page_fit_rect(page_fit fit, int w, int h, page_rect box, page_rect *dst, page_rect *src);

/* ---- pagination --------------------------------------------------------------------- */

/* Where images land as they are added: pages fill in order, a section starts a new
 * page (unless the current one is still empty) and restarts the templates. */
typedef struct page_cursor {
  int page;            /* page index of the next image (0-based) */
  int page_in_section; /* that page's index within its section */
  int cell;            /* cell index within the page */
  int section;         /* current section (-1 before the first) */
  bool page_open;      /* the current page holds at least one image */
} page_cursor;

void page_cursor_init(page_cursor *c);
/* Starts a section: moves to a fresh page unless the current one is still empty. */
void page_cursor_section(page_cursor *c, int section);
/* The page and cell the next image takes; advances the cursor past it. */
void page_cursor_take(page_cursor *c, const page_layout *l, int *page, int *cell);
/* Pages used so far (the page of the last image + 1; 0 before any image). */
int page_cursor_pages(const page_cursor *c);

/* How many pages n images fill with no sections: for tests and progress. */
int page_layout_count_pages(const page_layout *l, int n);

#endif
