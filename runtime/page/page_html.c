/* page_html.c — the web lookbook: a folder holding index.html (one self-contained page,
 * inline CSS, no script, no network), images/ with every cell as a JPEG at the book's
 * resolution (and a wider one for large screens when the source has the pixels), and
 * full/ with each source file as it was, which the picture links to. The grid mirrors
 * the book's columns, cover, sections and merged (hero) cells, from a phone to a wide
 * screen; a print stylesheet lays the cover and each PDF page on a page of its own.
 * Captions and a line sheet's fields are shown; generation parameters only when the
 * book asks (html_parameters), and never internal ids. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "page_book.h"
#include "../io/safefile.h"

static void esc(buf *o, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '&': buf_append_str(o, "&amp;"); break;
    case '<': buf_append_str(o, "&lt;"); break;
    case '>': buf_append_str(o, "&gt;"); break;
    case '"': buf_append_str(o, "&quot;"); break;
    case '\'': buf_append_str(o, "&#39;"); break;
    default: buf_append_char(o, *s);
    }
  }
}

/* Creates the folder (or reuses it) without following a link in its place: a `book`
 * link planted beside book.html would otherwise take every page and image wherever it
 * points. Missing folders above it are created too (from the write root when set). */
static bool make_dir(const char *path, char *err, size_t errlen) {
  int fd = safe_mkdir(safe_write_root(), path, SAFE_MKDIRS, err, errlen);
  if (fd < 0) return false;
  close(fd);
  return true;
}

/* The screen: the grid of the book's columns (2 on a phone, at most 3 on a tablet), every
 * image as wide as its cell; the print sheet (@media print, sized from the layout) puts
 * the cover and each body page of the PDF on a page of its own, in the same order. */
static const char CSS[] =
    "*{box-sizing:border-box}"
    "body{margin:0;padding:clamp(16px,4vw,56px);background:var(--bg);color:var(--fg);"
    "font:16px/1.45 var(--font),'EB Garamond','Noto Serif CJK JP',Georgia,serif}"
    "img{display:block}"
    ".cover{margin:0 0 3em}.cover .logo{max-height:4em;width:auto;max-width:40%;margin-bottom:1.5em}"
    ".cover .hero{width:100%;height:auto;max-height:78vh;object-fit:cover;margin-bottom:1.2em}"
    "h1{font-size:clamp(2em,5vw,3.4em);line-height:1.1;margin:0 0 .2em;font-weight:400}"
    ".subtitle{margin:0;color:var(--fg2);font-size:1.3em;font-style:italic}"
    ".season{margin:.6em 0 0;font-size:.95em;letter-spacing:.04em}"
    "h2{font-size:1.5em;font-weight:400;font-style:italic;margin:1.6em 0 .7em;"
    "border-bottom:1px solid var(--fg2);padding-bottom:.2em}"
    ".running{display:none}"
    ".page{margin-bottom:var(--gap)}"
    ".grid{display:grid;grid-template-columns:repeat(var(--columns),minmax(0,1fr));gap:var(--gap);"
    "grid-auto-flow:row dense}"
    "figure{margin:0;min-width:0}"
    ".frame{display:block;aspect-ratio:var(--cell);width:100%}"
    ".span .frame{aspect-ratio:auto;height:calc(100% - 3.2em)}"
    ".frame img{width:100%;height:100%;object-fit:contain;object-position:top}"
    ".fill .frame img{object-fit:cover;object-position:center}"
    "figcaption{margin-top:.5em;font-size:.9em;overflow-wrap:anywhere}"
    "figcaption .second{display:block;color:var(--fg2)}"
    "dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.05em .8em;margin:.4em 0;"
    "font-size:.85em}"
    "dt{color:var(--fg2);text-transform:uppercase;font-size:.85em;letter-spacing:.03em}"
    "dd{margin:0;overflow-wrap:anywhere;font-variant-numeric:lining-nums tabular-nums}"
    "details{font-size:.8em;color:var(--fg2);margin-top:.3em}summary{cursor:pointer}"
    "details dt{text-transform:none}"
    "footer{margin-top:3em;font-size:.85em;color:var(--fg2)}"
    "@media (max-width:1100px){.grid{grid-template-columns:repeat(min(var(--columns),3),minmax(0,1fr))}"
    ".span{grid-column:span min(var(--span),3)!important}}"
    "@media (max-width:720px){.grid{grid-template-columns:repeat(min(var(--columns),2),minmax(0,1fr))}"
    ".span{grid-column:span 2!important;grid-row:auto!important}}"
    "@media print{body{padding:0;font-size:var(--print-type)}"
    ".cover{height:var(--print-h);margin:0;break-after:page;display:flex;flex-direction:column}"
    ".cover .hero{flex:1 1 auto;min-height:0;object-fit:cover}"
    ".page{height:var(--print-h);break-after:page;margin:0;position:relative;overflow:hidden}"
    ".page:last-of-type{break-after:auto}"
    ".running{display:flex;justify-content:space-between;border-bottom:.5pt solid var(--fg2);"
    "margin-bottom:var(--print-gap);padding-bottom:.2em}"
    ".running .section{font-style:italic}h2{display:none}"
    ".grid{grid-template-columns:repeat(var(--columns),var(--print-cell));gap:var(--print-gutter);"
    "justify-content:center}"
    ".span{grid-column:span var(--span)!important}"
    ".folio{position:absolute;bottom:0;left:0;right:0;display:flex;justify-content:space-between;"
    "font-size:.8em;color:var(--fg2)}details,body>footer{display:none}a{color:inherit}}";

/* How many grid slots the entry's cell spans (hero cells span several). */
static void entry_span(const page_layout *l, const page_entry *e, int *cols, int *rows) {
  const page_plan *plan = page_layout_plan(l, e->page_in_section);
  page_rect r = plan->cells[e->cell].image;
  int slot_h = l->image_h + l->caption_h;
  *cols = (r.w + l->gutter) / (l->cell_w + l->gutter);
  *rows = (r.h + l->caption_h + l->gutter) / (slot_h + l->gutter);
  if (*cols < 1) *cols = 1;
  if (*rows < 1) *rows = 1;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* Parameters a client never sees: internal ids (prediction, job, *_id). */
static bool internal_key(const char *k) {
  size_t n = strlen(k);
  return strcmp(k, "id") == 0 || strcmp(k, "prediction") == 0 || strcmp(k, "job") == 0 ||
         (n > 3 && strcmp(k + n - 3, "_id") == 0);
}

/* One image: the right-sized picture (srcset: the cell's pixels and, when the source is
 * larger, a wider one) linking to the full-resolution file, its caption, a line sheet's
 * fields, and its parameters when the book asks for them. */
static void write_figure(buf *o, const page_book *b, int i, const char *img, const char *large, int large_w,
                         const char *full) {
  const page_entry *e = &b->entries[i];
  const page_extra *x = b->extra;
  int cols, rows;
  entry_span(&b->l, e, &cols, &rows);
  buf_printf(o, "<figure id=\"image-%d\"", i + 1);
  if (cols > 1 || rows > 1)
    buf_printf(o, " class=\"span\" style=\"grid-column:span %d;grid-row:span %d;--span:%d\"", cols, rows, cols);
  buf_append_str(o, ">");
  if (full) {
    buf_append_str(o, "<a class=\"frame\" href=\"");
    esc(o, full);
    buf_append_str(o, "\">");
  } else {
    buf_append_str(o, "<div class=\"frame\">");
  }
  buf_append_str(o, "<img src=\"");
  esc(o, img);
  if (large) {
    buf_printf(o, "\" srcset=\"");
    esc(o, img);
    buf_printf(o, " %dw, ", e->dst.w);
    esc(o, large);
    buf_printf(o, " %dw\" sizes=\"(max-width:720px) 50vw, %dvw", large_w, 100 * cols / (b->l.columns ? b->l.columns : 1));
  }
  buf_printf(o, "\" width=\"%d\" height=\"%d\" loading=\"lazy\" alt=\"", e->dst.w, e->dst.h);
  if (e->caption[0]) esc(o, e->caption[0]);
  else if (e->source) esc(o, base_name(e->source));
  else buf_printf(o, "image %d", i + 1);
  buf_append_str(o, full ? "\"></a>" : "\"></div>");
  if (e->caption[0] || e->caption[1]) {
    buf_append_str(o, "<figcaption>");
    if (e->caption[0]) esc(o, e->caption[0]);
    if (e->caption[1]) {
      buf_append_str(o, "<span class=\"second\">");
      esc(o, e->caption[1]);
      buf_append_str(o, "</span>");
    }
    buf_append_str(o, "</figcaption>");
  }
  if (x && x->nfields) { /* a line sheet's table: every field, a dash where one is missing */
    buf_append_str(o, "<dl class=\"fields\">");
    for (int k = 0; k < x->nfields; k++) {
      const char *v = page_entry_meta(e, x->fields[k]);
      buf_append_str(o, "<dt>");
      esc(o, x->field_labels[k]);
      buf_append_str(o, "</dt><dd>");
      esc(o, v && *v ? v : "\xe2\x80\x94");
      buf_append_str(o, "</dd>");
    }
    buf_append_str(o, "</dl>");
  }
  if (b->l.o.html_parameters && (e->nmeta || e->source)) {
    buf_append_str(o, "<details><summary>parameters</summary><dl>");
    for (int k = 0; k < e->nmeta; k++) {
      if (internal_key(e->meta[2 * k])) continue;
      buf_append_str(o, "<dt>");
      esc(o, e->meta[2 * k]);
      buf_append_str(o, "</dt><dd>");
      esc(o, e->meta[2 * k + 1]);
      buf_append_str(o, "</dd>");
    }
    if (e->source) {
      buf_append_str(o, "<dt>file</dt><dd>");
      esc(o, base_name(e->source));
      buf_append_str(o, "</dd>");
    }
    buf_append_str(o, "</dl></details>");
  }
  buf_append_str(o, "</figure>\n");
}

/* Writes an entry's pixels (a cell, or the cover's logo or hero) as a JPEG. */
static bool write_entry_jpeg(const page_book *b, const page_entry *e, const char *file, buf *jpeg, char *err,
                             size_t errlen) {
  image im = IMAGE_INIT;
  image_encode_opts eo = {.format = IMAGE_JPEG, .quality = b->l.o.quality};
  buf_reset(jpeg);
  bool ok = page_entry_load(b, e, &im, err, errlen) && image_encode(&im, &eo, jpeg, err, errlen) == IMAGE_OK &&
            page_write_file(file, jpeg->data, jpeg->len, err, errlen);
  image_free(&im);
  return ok;
}

#define HTML_LARGE_PX 960 /* the wider picture for large screens, when the source has it */

/* From the entry's source file: a copy at full resolution in full/ (what the picture
 * links to) and, when the source is wider than the cell, a HTML_LARGE_PX-wide JPEG in
 * images/. A source that cannot be read again (moved since) just gets neither. */
static void write_source_copies(const page_book *b, const page_entry *e, const char *dir, const char *stem,
                                char *large, size_t largelen, int *large_w, char *full, size_t fulllen, buf *jpeg) {
  large[0] = full[0] = '\0';
  if (!e->source) return;
  buf data = BUF_INIT;
  char err[300], file[4300];
  if (image_read_file(e->source, 0, &data, err, sizeof err) != IMAGE_OK) {
    buf_free(&data);
    return;
  }
  const char *ext = strrchr(base_name(e->source), '.');
  if (!ext || strlen(ext) > 6 || strchr(ext, '"')) ext = "";
  snprintf(full, fulllen, "full/%s%s", stem, ext);
  snprintf(file, sizeof file, "%s/%s", dir, full);
  if (!page_write_file(file, data.data, data.len, err, sizeof err)) full[0] = '\0';
  image_decode_opts opts = {.box_width = HTML_LARGE_PX};
  image im = IMAGE_INIT;
  image_info info;
  if (image_decode(data.data, data.len, &opts, &im, &info, err, sizeof err) == IMAGE_OK && im.width > e->dst.w * 5 / 4) {
    image scaled = IMAGE_INIT;
    const image *use = &im;
    if (im.width > HTML_LARGE_PX &&
        image_resize_fit(&im, HTML_LARGE_PX, (int)((long)im.height * HTML_LARGE_PX / im.width), IMAGE_FILL, &scaled,
                         err, sizeof err) == IMAGE_OK)
      use = &scaled;
    image_encode_opts eo = {.format = IMAGE_JPEG, .quality = b->l.o.quality};
    buf_reset(jpeg);
    snprintf(large, largelen, "images/%s-%d.jpg", stem, use->width);
    snprintf(file, sizeof file, "%s/%s", dir, large);
    if (image_encode(use, &eo, jpeg, err, sizeof err) == IMAGE_OK &&
        page_write_file(file, jpeg->data, jpeg->len, err, sizeof err))
      *large_w = use->width;
    else
      large[0] = '\0';
    image_free(&scaled);
  }
  image_free(&im);
  buf_free(&data);
}

static double px_mm(const page_layout *l, double px) { return px / l->px_per_pt * 25.4 / 72; }

/* The running header and folio a printed page carries (hidden on screen). */
static void write_running(buf *o, const page_book *b, int section) {
  buf_append_str(o, "<div class=\"running\"><span>");
  if (b->title) esc(o, b->title);
  buf_append_str(o, "</span><span class=\"section\">");
  if (section >= 0) esc(o, b->sections[section]);
  buf_append_str(o, "</span></div>\n");
}

static void write_folio(buf *o, const page_book *b, int number, int total) {
  buf_append_str(o, "<div class=\"folio\"><span>");
  const page_extra *x = b->extra;
  if (x && x->contact) esc(o, x->contact);
  if (x && x->contact && x->footer) buf_append_str(o, " \xc2\xb7 ");
  if (x && x->footer) esc(o, x->footer);
  buf_printf(o, "</span><span>%d / %d</span></div>\n", number, total);
}

bool page_write_html(page_book *b, const char *path, page_files *files, char *err, size_t errlen) {
  const page_layout *l = &b->l;
  const char *dot = strrchr(path, '.');
  size_t stem = (size_t)(dot - path);
  if (stem == 0 || path[stem - 1] == '/' || stem > 3900) {
    snprintf(err, errlen, "%s: name the lookbook, e.g. out/resort.html (it becomes the folder out/resort/)", path);
    return false;
  }
  char dir[4096], sub[4200], file[4300];
  snprintf(dir, sizeof dir, "%.*s", (int)stem, path);
  snprintf(sub, sizeof sub, "%s/images", dir);
  if (!make_dir(dir, err, errlen) || !make_dir(sub, err, errlen)) return false;

  char fulldir[4200];
  snprintf(fulldir, sizeof fulldir, "%s/full", dir);
  if (!make_dir(fulldir, err, errlen)) return false;
  uint32_t bg = l->o.background;
  double lum = (0.2126 * (bg >> 16 & 255) + 0.7152 * (bg >> 8 & 255) + 0.0722 * (bg & 255)) / 255;
  uint32_t fg = l->o.color_set ? l->o.color : lum > 0.55 ? 0x1c1c1c : 0xf2f2f2;
  const page_extra *x = b->extra;
  bool cover = x && x->cover;
  buf o = BUF_INIT;
  buf_append_str(&o, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<meta name=\"generator\" content=\"atelier\">\n<title>");
  esc(&o, b->title && *b->title ? b->title : "Lookbook");
  buf_append_str(&o, "</title>\n<style>");
  buf_printf(&o, ":root{--bg:#%06x;--fg:#%06x;--fg2:color-mix(in srgb,var(--fg) 58%%,var(--bg));"
                 "--columns:%d;--gap:clamp(10px,%.2fvw,40px);--cell:%.4f;--font:'",
             (unsigned)bg, (unsigned)fg, l->columns, 100.0 * l->gutter / l->page_w, l->o.cell_aspect);
  for (const char *f = l->o.font; *f; f++)
    if ((unsigned char)*f >= 0x20 && *f != '\'' && *f != '\\' && *f != '<' && *f != '>') buf_append_char(&o, *f);
  buf_printf(&o, "';--print-h:%.1fmm;--print-cell:%.2fmm;--print-gutter:%.2fmm;--print-gap:%.2fmm;"
                 "--print-type:%.1fpt}",
             px_mm(l, l->page_h - (int)(l->o.margin_pt[0] * l->px_per_pt) - (int)(l->o.margin_pt[2] * l->px_per_pt)) - 1,
             px_mm(l, l->cell_w), px_mm(l, l->gutter), px_mm(l, l->type.caption * 1.5 * l->px_per_pt),
             l->type.caption * 1.15);
  buf_printf(&o, "@page{size:%.1fmm %.1fmm;margin:%.1fmm %.1fmm %.1fmm %.1fmm}", px_mm(l, l->page_w),
             px_mm(l, l->page_h), l->o.margin_pt[0] * 25.4 / 72, l->o.margin_pt[1] * 25.4 / 72,
             l->o.margin_pt[2] * 25.4 / 72, l->o.margin_pt[3] * 25.4 / 72);
  buf_append_str(&o, CSS);
  buf_append_str(&o, "</style>\n</head>\n<body>\n");
  buf jpeg = BUF_INIT;
  bool ok = true;
  if (b->title || b->subtitle || cover) {
    buf_append_str(&o, cover ? "<header class=\"cover\">" : "<header>");
    if (cover && x->has_logo) {
      snprintf(file, sizeof file, "%s/images/cover-logo.jpg", dir);
      ok = write_entry_jpeg(b, &x->logo, file, &jpeg, err, errlen);
      buf_printf(&o, "<img class=\"logo\" src=\"images/cover-logo.jpg\" width=\"%d\" height=\"%d\" alt=\"logo\">",
                 x->logo.dst.w, x->logo.dst.h);
    }
    if (ok && cover && x->has_hero) {
      snprintf(file, sizeof file, "%s/images/cover-hero.jpg", dir);
      ok = write_entry_jpeg(b, &x->hero, file, &jpeg, err, errlen);
      buf_printf(&o, "<img class=\"hero\" src=\"images/cover-hero.jpg\" width=\"%d\" height=\"%d\" alt=\"\">",
                 x->hero.dst.w, x->hero.dst.h);
    }
    if (b->title) {
      buf_append_str(&o, "<h1>");
      esc(&o, b->title);
      buf_append_str(&o, "</h1>");
    }
    if (b->subtitle) {
      buf_append_str(&o, "<p class=\"subtitle\">");
      esc(&o, b->subtitle);
      buf_append_str(&o, "</p>");
    }
    if (cover && (x->season || x->date)) {
      buf_append_str(&o, "<p class=\"season\">");
      if (x->season) esc(&o, x->season);
      if (x->season && x->date) buf_append_str(&o, " \xc2\xb7 ");
      if (x->date) esc(&o, x->date);
      buf_append_str(&o, "</p>");
    }
    if (x && x->header_note) {
      buf_append_str(&o, "<p class=\"season\">");
      esc(&o, x->header_note);
      buf_append_str(&o, "</p>");
    }
    buf_append_str(&o, "</header>\n");
  }
  buf_printf(&o, "<main class=\"%s\">\n", l->o.fit == PAGE_FILL ? "fill" : "fit");
  int digits = 3;
  for (int n = b->n; n >= 1000; n /= 10) digits++;
  int total = page_cursor_pages(&b->cur) + (cover ? 1 : 0);
  int open_page = -1, open_section = -2;
  for (int i = 0; i < b->n && ok; i++) {
    const page_entry *e = &b->entries[i];
    if (e->page != open_page) { /* a page of the PDF: a grid of its own, a printed page */
      if (open_page >= 0) {
        buf_append_str(&o, "</div>");
        write_folio(&o, b, open_page + 1 + (cover ? 1 : 0), total);
        buf_append_str(&o, "</div>\n");
      }
      buf_append_str(&o, "<div class=\"page\">");
      write_running(&o, b, e->section);
      if (e->section != open_section && e->section >= 0 && *b->sections[e->section]) {
        buf_append_str(&o, "<h2>");
        esc(&o, b->sections[e->section]);
        buf_append_str(&o, "</h2>");
      }
      open_section = e->section;
      buf_append_str(&o, "<div class=\"grid\">\n");
      open_page = e->page;
    }
    char stem[32], rel[64], large[96], full[96];
    int large_w = 0;
    snprintf(stem, sizeof stem, "%0*d", digits < 6 ? digits : 6, i + 1);
    snprintf(rel, sizeof rel, "images/%s.jpg", stem);
    snprintf(file, sizeof file, "%s/%s", dir, rel);
    ok = write_entry_jpeg(b, e, file, &jpeg, err, errlen);
    if (ok) {
      write_source_copies(b, e, dir, stem, large, sizeof large, &large_w, full, sizeof full, &jpeg);
      write_figure(&o, b, i, rel, large[0] ? large : NULL, large_w, full[0] ? full : NULL);
    }
  }
  if (ok && open_page >= 0) {
    buf_append_str(&o, "</div>");
    write_folio(&o, b, open_page + 1 + (cover ? 1 : 0), total);
    buf_append_str(&o, "</div>\n");
  }
  buf_free(&jpeg);
  if (ok) {
    buf_append_str(&o, "</main>\n<footer>");
    if (x && (x->contact || x->footer)) { /* the book's own footer: contact, terms */
      if (x->contact) esc(&o, x->contact);
      if (x->contact && x->footer) buf_append_str(&o, " \xc2\xb7 ");
      if (x->footer) esc(&o, x->footer);
    } else {
      buf_printf(&o, "%d image%s", b->n, b->n == 1 ? "" : "s");
    }
    buf_append_str(&o, "</footer>\n</body>\n</html>\n");
    snprintf(file, sizeof file, "%s/index.html", dir);
    if (o.oom) {
      snprintf(err, errlen, "out of memory writing %s", file);
      ok = false;
    } else {
      ok = page_write_file(file, o.data, o.len, err, errlen);
    }
    if (ok && !page_files_add(files, file)) {
      snprintf(err, errlen, "out of memory");
      ok = false;
    }
  }
  buf_free(&o);
  return ok;
}
