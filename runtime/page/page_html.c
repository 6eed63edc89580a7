/* page_html.c — the web lookbook: a folder holding index.html (one self-contained page,
 * inline CSS, no script, no network) and images/ with every cell as a JPEG at the book's
 * resolution. The grid mirrors the book's columns, sections and merged (hero) cells;
 * each image shows its caption and, in a details box, its generation parameters. */
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

static const char CSS[] =
    "*{box-sizing:border-box}"
    "body{margin:0;padding:clamp(16px,4vw,48px);background:var(--bg);color:var(--fg);"
    "font:15px/1.45 'DejaVu Sans',system-ui,sans-serif}"
    "header{margin-bottom:2em}h1{font-size:2.2em;margin:0 0 .15em;font-weight:700}"
    ".subtitle{margin:0;color:var(--fg2);font-size:1.2em}"
    "h2{font-size:1.4em;margin:2em 0 .8em}"
    ".grid{display:grid;grid-template-columns:repeat(var(--columns),minmax(0,1fr));gap:var(--gap);"
    "grid-auto-flow:row dense}"
    "figure{margin:0;min-width:0}"
    ".frame{aspect-ratio:var(--cell);display:flex;align-items:center;justify-content:center}"
    ".span .frame{aspect-ratio:auto;height:calc(100% - 3.2em)}"
    "img{display:block;max-width:100%;max-height:100%;width:auto;height:auto}"
    ".fill img{width:100%;height:100%;object-fit:cover}"
    "figcaption{margin-top:.5em;font-size:.85em;overflow-wrap:anywhere}"
    "figcaption .second{display:block;color:var(--fg2)}"
    "details{font-size:.75em;color:var(--fg2);margin-top:.3em}summary{cursor:pointer}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.1em .8em;margin:.4em 0}"
    "dt{font-weight:700}dd{margin:0;overflow-wrap:anywhere}"
    "footer{margin-top:3em;font-size:.8em;color:var(--fg2)}"
    "@media (max-width:720px){.grid{grid-template-columns:repeat(2,minmax(0,1fr))}"
    ".span{grid-column:span 2!important;grid-row:auto!important}}";

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

static void write_figure(buf *o, const page_book *b, int i, const char *img) {
  const page_entry *e = &b->entries[i];
  int cols, rows;
  entry_span(&b->l, e, &cols, &rows);
  buf_printf(o, "<figure id=\"image-%d\"", i + 1);
  if (cols > 1 || rows > 1)
    buf_printf(o, " class=\"span\" style=\"grid-column:span %d;grid-row:span %d\"", cols, rows);
  buf_append_str(o, "><div class=\"frame\"><img src=\"");
  esc(o, img);
  buf_printf(o, "\" width=\"%d\" height=\"%d\" alt=\"", e->dst.w, e->dst.h);
  if (e->caption[0]) esc(o, e->caption[0]);
  else if (e->source) esc(o, base_name(e->source));
  else buf_printf(o, "image %d", i + 1);
  buf_append_str(o, "\"></div>");
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
  if (e->nmeta || e->source) {
    buf_append_str(o, "<details><summary>parameters</summary><dl>");
    for (int k = 0; k < e->nmeta; k++) {
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

  uint32_t bg = l->o.background;
  double lum = (0.2126 * (bg >> 16 & 255) + 0.7152 * (bg >> 8 & 255) + 0.0722 * (bg & 255)) / 255;
  uint32_t fg = l->o.color_set ? l->o.color : lum > 0.55 ? 0x1c1c1c : 0xf2f2f2;
  buf o = BUF_INIT;
  buf_append_str(&o, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<meta name=\"generator\" content=\"atelier\">\n<title>");
  esc(&o, b->title && *b->title ? b->title : "Lookbook");
  buf_append_str(&o, "</title>\n<style>");
  buf_printf(&o, ":root{--bg:#%06x;--fg:#%06x;--fg2:color-mix(in srgb,var(--fg) 58%%,var(--bg));"
                 "--columns:%d;--gap:%.2fvw;--cell:%.4f}",
             (unsigned)bg, (unsigned)fg, l->columns, 100.0 * l->gutter / l->page_w, l->o.cell_aspect);
  buf_append_str(&o, CSS);
  buf_append_str(&o, "</style>\n</head>\n<body>\n");
  if (b->title || b->subtitle) {
    buf_append_str(&o, "<header>");
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
    buf_append_str(&o, "</header>\n");
  }
  buf_printf(&o, "<main class=\"%s\">\n", l->o.fit == PAGE_FILL ? "fill" : "fit");

  bool ok = true;
  int digits = 3;
  for (int n = b->n; n >= 1000; n /= 10) digits++;
  buf jpeg = BUF_INIT;
  int open_section = -2;
  for (int i = 0; i < b->n && ok; i++) {
    const page_entry *e = &b->entries[i];
    if (e->section != open_section) {
      if (open_section != -2) buf_append_str(&o, "</div></section>\n");
      buf_append_str(&o, "<section>");
      if (e->section >= 0 && *b->sections[e->section]) {
        buf_append_str(&o, "<h2>");
        esc(&o, b->sections[e->section]);
        buf_append_str(&o, "</h2>");
      }
      buf_append_str(&o, "<div class=\"grid\">\n");
      open_section = e->section;
    }
    char rel[64];
    snprintf(rel, sizeof rel, "images/%0*d.jpg", digits < 6 ? digits : 6, i + 1);
    snprintf(file, sizeof file, "%s/%s", dir, rel);
    image im = IMAGE_INIT;
    image_encode_opts eo = {.format = IMAGE_JPEG, .quality = l->o.quality};
    buf_reset(&jpeg);
    ok = page_entry_load(b, e, &im, err, errlen) && image_encode(&im, &eo, &jpeg, err, errlen) == IMAGE_OK &&
         page_write_file(file, jpeg.data, jpeg.len, err, errlen);
    image_free(&im);
    if (ok) write_figure(&o, b, i, rel);
  }
  buf_free(&jpeg);
  if (ok) {
    if (open_section != -2) buf_append_str(&o, "</div></section>\n");
    buf_printf(&o, "</main>\n<footer>%d image%s \xc2\xb7 made with atelier</footer>\n</body>\n</html>\n", b->n,
               b->n == 1 ? "" : "s");
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
