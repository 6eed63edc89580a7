/* image_meta.c — generation metadata inside image files (see image.h): PNG iTXt chunks
 * and XMP packets in JPEG APP1 segments and WebP "XMP " chunks, written into freshly
 * encoded images or spliced into existing bytes without touching the pixel data, and read
 * back. Every walk over chunks/segments is bounds-checked: this runs on untrusted files. */
#define _GNU_SOURCE /* memmem */
#include <png.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <webp/mux.h>

#include "image_internal.h"
#include "../base/json.h"
#include "../base/version.h"
#include "../lazy/lazy.h"

static const char PNG_KEY[] = "atelier";
static const char XMP_NS[] = "http://ns.adobe.com/xap/1.0/"; /* + NUL: the APP1 XMP signature */
static const char GEN_OPEN[] = "<atelier:generation>", GEN_CLOSE[] = "</atelier:generation>";

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT; /* fashn-emu encodes on its own thread */

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n) {
  pthread_once(&crc_once, crc_init);
  const uint32_t *table = crc_table;
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

/* Checks that meta is a JSON object of acceptable size. */
image_status img_check_meta(const char *json, size_t n, char *err, size_t errlen) {
  if (!json || n == 0) return img_fail(err, errlen, IMAGE_EARG, "metadata is empty");
  if (n > IMAGE_META_MAX)
    return img_fail(err, errlen, IMAGE_ETOOBIG, "metadata is %zu bytes, more than the %d-byte limit", n, IMAGE_META_MAX);
  char jerr[160];
  json_doc *d = json_parse(json, n, 0, jerr, sizeof jerr);
  if (!d) return img_fail(err, errlen, IMAGE_EARG, "metadata is not valid JSON: %s", jerr);
  bool obj = json_root(d)->type == JSON_OBJECT;
  json_doc_free(d);
  return obj ? IMAGE_OK : img_fail(err, errlen, IMAGE_EARG, "metadata must be a JSON object");
}

/* ---- XMP ---------------------------------------------------------------------------------- */

static void xml_escape(buf *b, const char *s, size_t n, bool attr) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '&') buf_append_str(b, "&amp;");
    else if (c == '<') buf_append_str(b, "&lt;");
    else if (c == '>') buf_append_str(b, "&gt;");
    else if (attr && c == '"') buf_append_str(b, "&quot;");
    else buf_append_char(b, c);
  }
}

/* The prompt for dc:description: top-level "prompt", else inputs.prompt. */
static void xmp_build(buf *b, const char *json, size_t n) {
  buf_append_str(b, "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
                    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
                    " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
                    "  <rdf:Description rdf:about=\"\"\n"
                    "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n"
                    "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
                    "    xmlns:atelier=\"urn:atelier:generation:1\"\n"
                    "    xmp:CreatorTool=\"atelier " ATELIER_VERSION "\">\n   ");
  buf_append_str(b, GEN_OPEN);
  xml_escape(b, json, n, false);
  buf_append_str(b, GEN_CLOSE);
  buf_append_char(b, '\n');
  json_doc *d = json_parse(json, n, 0, NULL, 0);
  const json_value *root = d ? json_root(d) : NULL;
  const json_value *p = json_get(root, "prompt");
  if (!json_str(p)) p = json_get(json_get(root, "inputs"), "prompt");
  if (json_str(p)) {
    buf_append_str(b, "   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">");
    xml_escape(b, p->u.str.s, p->u.str.len, false);
    buf_append_str(b, "</rdf:li></rdf:Alt></dc:description>\n");
  }
  json_doc_free(d);
  buf_append_str(b, "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>");
}

/* Finds <atelier:generation>...</atelier:generation> in an XMP packet and appends the
 * unescaped text. False when absent or malformed. */
static bool xmp_extract(const char *x, size_t n, buf *out) {
  const char *a = memmem(x, n, GEN_OPEN, sizeof GEN_OPEN - 1);
  if (!a) return false;
  a += sizeof GEN_OPEN - 1;
  const char *e = memmem(a, n - (size_t)(a - x), GEN_CLOSE, sizeof GEN_CLOSE - 1);
  if (!e) return false;
  size_t before = out->len;
  for (const char *p = a; p < e; p++) {
    if (*p != '&') {
      buf_append_char(out, *p);
      continue;
    }
    static const struct {
      const char *ent;
      char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t i;
    for (i = 0; i < sizeof ents / sizeof *ents; i++) {
      size_t l = strlen(ents[i].ent);
      if ((size_t)(e - p) >= l && memcmp(p, ents[i].ent, l) == 0) {
        buf_append_char(out, ents[i].c);
        p += l - 1;
        break;
      }
    }
    if (i == sizeof ents / sizeof *ents) { /* numeric references are not ours: refuse */
      out->len = before;
      return false;
    }
  }
  return !out->oom;
}

/* ---- PNG ---------------------------------------------------------------------------------- */

/* Used by png_encode: the iTXt chunk to write (0 or 1 entries). */
int img_png_text_chunks(const image_encode_opts *o, png_text *text, int max) {
  if (!o->meta_json || max < 1) return 0;
  memset(text, 0, sizeof *text);
  text->compression = PNG_ITXT_COMPRESSION_NONE;
  text->key = (char *)PNG_KEY;
  text->text = (char *)o->meta_json;
  text->itxt_length = o->meta_len;
  text->lang = (char *)"";
  text->lang_key = (char *)"";
  return 1;
}

/* Calls fn for each chunk after the signature; stops at IEND. Returns IMAGE_OK when the
 * chunk structure is sound up to IEND. */
typedef bool (*png_chunk_fn)(const uint8_t *chunk, uint32_t len, void *ud); /* false = stop */

static image_status png_walk(const uint8_t *d, size_t n, png_chunk_fn fn, void *ud, char *err, size_t errlen) {
  size_t p = 8;
  for (;;) {
    if (n - p < 12) return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated PNG: the data ends inside a chunk at byte %zu", p);
    uint32_t len = be32(d + p);
    if (len > 0x7fffffffu || len > n - p - 12)
      return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated PNG: chunk at byte %zu claims %u bytes", p, len);
    if (!fn(d + p, len, ud)) return IMAGE_OK;
    if (memcmp(d + p + 4, "IEND", 4) == 0) return IMAGE_OK;
    p += 12 + (size_t)len;
  }
}

/* Is this chunk a tEXt/iTXt with our keyword? */
static bool png_is_ours(const uint8_t *c, uint32_t len) {
  if (memcmp(c + 4, "tEXt", 4) != 0 && memcmp(c + 4, "iTXt", 4) != 0) return false;
  return len > sizeof PNG_KEY - 1 && memcmp(c + 8, PNG_KEY, sizeof PNG_KEY) == 0;
}

typedef struct png_copy {
  buf *out;
  const char *json;
  size_t json_len;
} png_copy;

static void png_put_chunk(buf *out, const char *type, const uint8_t *data, size_t len, const uint8_t *data2, size_t len2) {
  uint8_t hdr[8];
  put_be32(hdr, (uint32_t)(len + len2));
  memcpy(hdr + 4, type, 4);
  uint32_t crc = crc32_update(0, hdr + 4, 4);
  crc = crc32_update(crc, data, len);
  crc = crc32_update(crc, data2, len2);
  uint8_t tail[4];
  put_be32(tail, crc);
  buf_append(out, hdr, 8);
  buf_append(out, data, len);
  buf_append(out, data2, len2);
  buf_append(out, tail, 4);
}

static bool png_copy_chunk(const uint8_t *c, uint32_t len, void *ud) {
  png_copy *pc = ud;
  if (png_is_ours(c, len)) return true; /* replaced */
  buf_append(pc->out, c, 12 + (size_t)len);
  if (memcmp(c + 4, "IHDR", 4) == 0) {
    /* keyword NUL, compression flag 0, method 0, empty language NUL, empty translation NUL */
    uint8_t head[sizeof PNG_KEY + 4];
    memcpy(head, PNG_KEY, sizeof PNG_KEY);
    memset(head + sizeof PNG_KEY, 0, 4);
    png_put_chunk(pc->out, "iTXt", head, sizeof head, (const uint8_t *)pc->json, pc->json_len);
  }
  return true;
}

typedef struct png_find {
  buf *out;
  bool found;
} png_find;

static bool png_find_chunk(const uint8_t *c, uint32_t len, void *ud) {
  png_find *pf = ud;
  if (!png_is_ours(c, len)) return true;
  const uint8_t *p = c + 8 + sizeof PNG_KEY, *end = c + 8 + len;
  if (memcmp(c + 4, "iTXt", 4) == 0) {
    if (end - p < 2 || p[0] != 0) return true; /* compressed iTXt: not written by us */
    p += 2;
    const uint8_t *z = memchr(p, 0, (size_t)(end - p)); /* language */
    if (!z) return true;
    p = z + 1;
    z = memchr(p, 0, (size_t)(end - p)); /* translated keyword */
    if (!z) return true;
    p = z + 1;
  }
  buf_append(pf->out, p, (size_t)(end - p));
  pf->found = true;
  return false;
}

/* ---- JPEG --------------------------------------------------------------------------------- */

/* Walks JPEG segments up to SOS. For each: its marker, offset of the 0xFF and total length
 * (2 + segment length). fn returns false to stop. */
typedef bool (*jpeg_seg_fn)(uint8_t marker, size_t off, size_t total, const uint8_t *d, void *ud);

static image_status jpeg_walk(const uint8_t *d, size_t n, jpeg_seg_fn fn, void *ud, size_t *sos, char *err,
                              size_t errlen) {
  size_t p = 2;
  for (;;) {
    if (n - p < 4) return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated JPEG: the data ends before the image data");
    if (d[p] != 0xFF) return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt JPEG: expected a marker at byte %zu", p);
    uint8_t m = d[p + 1];
    if (m == 0xFF) { /* fill byte */
      p++;
      continue;
    }
    if (m == 0xDA) {
      *sos = p;
      return IMAGE_OK;
    }
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
      p += 2;
      continue;
    }
    if (m == 0xD8 || m == 0xD9 || m == 0x00) return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt JPEG: marker 0x%02x before the image data", m);
    size_t len = (size_t)d[p + 2] << 8 | d[p + 3];
    if (len < 2 || len > n - p - 2) return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated JPEG: segment 0x%02x at byte %zu", m, p);
    if (!fn(m, p, len + 2, d, ud)) {
      *sos = 0;
      return IMAGE_OK;
    }
    p += len + 2;
  }
}

static bool jpeg_is_xmp(uint8_t m, size_t off, size_t total, const uint8_t *d) {
  return m == 0xE1 && total >= 4 + sizeof XMP_NS && memcmp(d + off + 4, XMP_NS, sizeof XMP_NS) == 0;
}

typedef struct jpeg_scan {
  size_t insert_at; /* after SOI and leading APP0/APP1(Exif) segments */
  bool leading;
  size_t xmp_off[16], xmp_len[16];
  int nxmp;
} jpeg_scan;

static bool jpeg_scan_seg(uint8_t m, size_t off, size_t total, const uint8_t *d, void *ud) {
  jpeg_scan *s = ud;
  bool xmp = jpeg_is_xmp(m, off, total, d);
  if (s->leading && (m == 0xE0 || (m == 0xE1 && !xmp))) s->insert_at = off + total;
  else s->leading = false;
  if (xmp) {
    if (s->nxmp == 16) return false; /* absurd file */
    s->xmp_off[s->nxmp] = off;
    s->xmp_len[s->nxmp++] = total;
  }
  return true;
}

/* Writes d with our XMP segment at insert_at and other XMP segments dropped. */
static image_status jpeg_splice(const uint8_t *d, size_t n, const char *json, size_t jn, buf *out, char *err,
                                size_t errlen) {
  jpeg_scan s = {.insert_at = 2, .leading = true};
  size_t sos = 0;
  image_status st = jpeg_walk(d, n, jpeg_scan_seg, &s, &sos, err, errlen);
  if (st != IMAGE_OK) return st;
  if (!sos) return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt JPEG: too many XMP segments");
  buf x = BUF_INIT;
  xmp_build(&x, json, jn);
  size_t seg = 2 + 2 + sizeof XMP_NS + x.len;
  if (x.oom || seg - 2 > 0xFFFF) {
    buf_free(&x);
    return img_fail(err, errlen, IMAGE_ETOOBIG, "metadata does not fit in one JPEG XMP segment (%zu bytes)", seg);
  }
  size_t p = 0;
  for (int i = 0; i <= s.nxmp; i++) {
    size_t stop = i < s.nxmp ? s.xmp_off[i] : n;
    if (s.insert_at >= p && s.insert_at <= stop) { /* our segment goes here */
      buf_append(out, d + p, s.insert_at - p);
      uint8_t hdr[4] = {0xFF, 0xE1, (uint8_t)((seg - 2) >> 8), (uint8_t)(seg - 2)};
      buf_append(out, hdr, 4);
      buf_append(out, XMP_NS, sizeof XMP_NS);
      buf_append(out, x.data, x.len);
      p = s.insert_at;
      s.insert_at = (size_t)-1;
    }
    buf_append(out, d + p, stop - p);
    if (i < s.nxmp) p = s.xmp_off[i] + s.xmp_len[i];
  }
  buf_free(&x);
  return IMAGE_OK;
}

typedef struct jpeg_find {
  buf *out;
  bool found;
} jpeg_find;

static bool jpeg_find_seg(uint8_t m, size_t off, size_t total, const uint8_t *d, void *ud) {
  jpeg_find *f = ud;
  if (!jpeg_is_xmp(m, off, total, d)) return true;
  size_t skip = 4 + sizeof XMP_NS;
  if (xmp_extract((const char *)d + off + skip, total - skip, f->out)) {
    f->found = true;
    return false;
  }
  return true;
}

/* ---- WebP ----------------------------------------------------------------------------------- */

static image_status webp_splice(const uint8_t *d, size_t n, const char *json, size_t jn, buf *out, char *err,
                                size_t errlen) {
  if (!lazy_need(LAZY_FOR_WEBP, err, errlen)) return IMAGE_ENOLIB;
  WebPData in = {d, n}, res = {NULL, 0};
  WebPMux *mux = WebPMuxCreate(&in, 0);
  if (!mux) return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt WebP: cannot read its chunks");
  buf x = BUF_INIT;
  xmp_build(&x, json, jn);
  WebPData xd = {(const uint8_t *)x.data, x.len};
  image_status st = IMAGE_OK;
  if (x.oom || WebPMuxSetChunk(mux, "XMP ", &xd, 0) != WEBP_MUX_OK || WebPMuxAssemble(mux, &res) != WEBP_MUX_OK)
    st = img_fail(err, errlen, IMAGE_ECORRUPT, "cannot add metadata to this WebP");
  else buf_append(out, res.bytes, res.size);
  WebPDataClear(&res);
  WebPMuxDelete(mux);
  buf_free(&x);
  return st;
}

static image_status webp_find(const uint8_t *d, size_t n, buf *out, char *err, size_t errlen) {
  if (!lazy_need(LAZY_FOR_WEBP, err, errlen)) return IMAGE_ENOLIB;
  WebPData in = {d, n}, chunk;
  WebPMux *mux = WebPMuxCreate(&in, 0);
  if (!mux) return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt WebP: cannot read its chunks");
  image_status st = IMAGE_ENOMETA;
  if (WebPMuxGetChunk(mux, "XMP ", &chunk) == WEBP_MUX_OK && xmp_extract((const char *)chunk.bytes, chunk.size, out))
    st = IMAGE_OK;
  WebPMuxDelete(mux);
  return st == IMAGE_OK ? st : img_fail(err, errlen, st, "the WebP carries no atelier metadata");
}

/* ---- public -------------------------------------------------------------------------------- */

image_status image_meta_embed(const void *data, size_t len, const char *meta_json, size_t meta_len, buf *out,
                              char *err, size_t errlen) {
  image_status st = img_check_meta(meta_json, meta_len, err, errlen);
  if (st != IMAGE_OK) return st;
  const uint8_t *d = data;
  size_t before = out->len;
  switch (image_sniff(data, len)) {
  case IMAGE_PNG: {
    if (len < 33 || memcmp(d + 12, "IHDR", 4) != 0) return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt PNG: no IHDR");
    png_copy pc = {out, meta_json, meta_len};
    buf_append(out, d, 8);
    st = png_walk(d, len, png_copy_chunk, &pc, err, errlen);
    break;
  }
  case IMAGE_JPEG: st = jpeg_splice(d, len, meta_json, meta_len, out, err, errlen); break;
  case IMAGE_WEBP: st = webp_splice(d, len, meta_json, meta_len, out, err, errlen); break;
  default: return img_fail(err, errlen, IMAGE_EFORMAT, "not a PNG, JPEG or WebP image");
  }
  if (st == IMAGE_OK && out->oom) st = img_fail(err, errlen, IMAGE_ENOMEM, "out of memory adding metadata");
  if (st != IMAGE_OK && !out->oom) {
    out->len = before;
    if (out->data) out->data[before] = '\0';
  }
  return st;
}

image_status image_meta_read(const void *data, size_t len, buf *out, char *err, size_t errlen) {
  const uint8_t *d = data;
  size_t before = out->len;
  image_status st;
  image_format f = image_sniff(data, len);
  switch (f) {
  case IMAGE_PNG: {
    png_find pf = {out, false};
    st = png_walk(d, len, png_find_chunk, &pf, err, errlen);
    if (st == IMAGE_OK && !pf.found) st = img_fail(err, errlen, IMAGE_ENOMETA, "the PNG carries no atelier metadata");
    break;
  }
  case IMAGE_JPEG: {
    jpeg_find jf = {out, false};
    size_t sos;
    st = jpeg_walk(d, len, jpeg_find_seg, &jf, &sos, err, errlen);
    if (st == IMAGE_OK && !jf.found) st = img_fail(err, errlen, IMAGE_ENOMETA, "the JPEG carries no atelier metadata");
    break;
  }
  case IMAGE_WEBP: st = webp_find(d, len, out, err, errlen); break;
  default: return img_fail(err, errlen, IMAGE_EFORMAT, "not a PNG, JPEG or WebP image");
  }
  if (st == IMAGE_OK && (out->oom || out->len == before)) {
    st = img_fail(err, errlen, out->oom ? IMAGE_ENOMEM : IMAGE_ECORRUPT, "corrupt %s metadata: empty",
                  image_format_name(f));
  } else if (st == IMAGE_OK) {
    char jerr[160];
    json_doc *j = json_parse(out->data + before, out->len - before, 0, jerr, sizeof jerr);
    if (!j || json_root(j)->type != JSON_OBJECT)
      st = img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt %s metadata: %s", image_format_name(f),
                    j ? "not a JSON object" : jerr);
    json_doc_free(j);
  }
  if (st != IMAGE_OK && out->data) {
    out->len = before;
    out->data[before] = '\0';
  }
  return st;
}

/* ---- used by the encoders ------------------------------------------------------------------ */

/* Replaces out[start..] (a freshly encoded image) by the same image with metadata. */
static image_status reembed(buf *out, size_t start, const image_encode_opts *o, char *err, size_t errlen) {
  buf tmp = BUF_INIT;
  image_status st = image_meta_embed(out->data + start, out->len - start, o->meta_json, o->meta_len, &tmp, err, errlen);
  if (st == IMAGE_OK) {
    out->len = start;
    buf_append(out, tmp.data, tmp.len);
  }
  buf_free(&tmp);
  return st;
}

image_status img_jpeg_insert_meta(buf *out, size_t start, const image_encode_opts *o, char *err, size_t errlen) {
  return reembed(out, start, o, err, errlen);
}

image_status img_webp_insert_meta(buf *out, size_t start, const image_encode_opts *o, char *err, size_t errlen) {
  return reembed(out, start, o, err, errlen);
}
