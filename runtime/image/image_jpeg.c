/* image_jpeg.c — JPEG through libjpeg-turbo's TurboJPEG API: a hand-written marker walk for
 * the header probe, decoding to RGBA (CMYK/YCCK converted; DCT scaling 1/8..7/8 when a
 * smaller size is asked for, so a thumbnail of a huge JPEG costs a fraction of a full
 * decode) and encoding (quality, progressive) straight into a buf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "image_internal.h"

/* Walks the markers up to the first SOFn and reads the frame header. */
image_status jpeg_probe(const uint8_t *d, size_t n, image_info *info, char *err, size_t errlen) {
  size_t p = 2; /* past SOI */
  for (;;) {
    /* a marker: one or more 0xFF then the code */
    if (p >= n) return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated JPEG: the data ends before the frame header");
    if (d[p] != 0xFF)
      return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt JPEG: expected a marker at byte %zu, found 0x%02x", p, d[p]);
    while (p < n && d[p] == 0xFF) p++;
    if (p >= n) return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated JPEG: the data ends before the frame header");
    uint8_t m = d[p++];
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue; /* standalone markers */
    if (m == 0xD8 || m == 0xD9 || m == 0xDA || m == 0x00)
      return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt JPEG: marker 0x%02x before the frame header", m);
    if (n - p < 2) return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated JPEG: the data ends inside a marker");
    size_t len = (size_t)d[p] << 8 | d[p + 1];
    if (len < 2) return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt JPEG: marker 0x%02x has length %zu", m, len);
    if (len > n - p) return img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated JPEG: the data ends inside marker 0x%02x", m);
    bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof) {
      if (len < 8) return img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt JPEG: short frame header");
      if (m == 0xC3 || m == 0xC7 || m == 0xCB || m == 0xCF)
        return img_fail(err, errlen, IMAGE_EFORMAT, "unsupported JPEG: lossless JPEG (SOF%d)", m - 0xC0);
      int h = d[p + 3] << 8 | d[p + 4], w = d[p + 5] << 8 | d[p + 6], comps = d[p + 7];
      if (w == 0 || h == 0)
        return img_fail(err, errlen, IMAGE_EFORMAT, "unsupported JPEG: size %dx%d (height from a DNL marker)", w, h);
      if (comps != 1 && comps != 3 && comps != 4)
        return img_fail(err, errlen, IMAGE_EFORMAT, "unsupported JPEG: %d colour components", comps);
      info->width = w;
      info->height = h;
      info->progressive = m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE;
      info->has_alpha = false;
      return IMAGE_OK;
    }
    p += len;
  }
}

/* libjpeg-turbo's messages for data that stops early. */
static bool is_truncation(const char *msg) {
  return strstr(msg, "Premature end") != NULL || strstr(msg, "Empty input") != NULL;
}

/* Adobe CMYK JPEGs store inverted ink values: R = C * K / 255 and so on. In place. */
static void cmyk_to_rgba(uint8_t *p, size_t npx) {
  for (size_t i = 0; i < npx; i++, p += 4) {
    unsigned k = p[3];
    p[0] = (uint8_t)((p[0] * k + 127) / 255);
    p[1] = (uint8_t)((p[1] * k + 127) / 255);
    p[2] = (uint8_t)((p[2] * k + 127) / 255);
    p[3] = 255;
  }
}

image_status jpeg_decode(const uint8_t *d, size_t n, const image_decode_opts *o, image *out,
                         char *err, size_t errlen) {
  tjhandle tj = tjInitDecompress();
  if (!tj) return img_fail(err, errlen, IMAGE_ENOMEM, "cannot start the JPEG decoder");
  image_status st = IMAGE_OK;
  image full = IMAGE_INIT;
  int w, h, subsamp, cs;
  if (n > (unsigned long)-1 || tjDecompressHeader3(tj, d, (unsigned long)n, &w, &h, &subsamp, &cs) != 0) {
    const char *m = tjGetErrorStr2(tj);
    st = is_truncation(m) ? img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated JPEG: %s", m)
                          : img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt JPEG: %s", m);
    goto done;
  }
  if ((st = img_check_dims("JPEG", w, h, o ? &o->limits : NULL, err, errlen)) != IMAGE_OK) goto done;
  int tw, th;
  img_decode_target(w, h, o, &tw, &th);
  /* The smallest DCT scaling that still gives at least the target size. */
  int sw = w, sh = h;
  if (tw != w || th != h) {
    int nsf = 0;
    tjscalingfactor *sf = tjGetScalingFactors(&nsf);
    for (int i = 0; sf && i < nsf; i++) {
      if (sf[i].num > sf[i].denom) continue;
      int cw = TJSCALED(w, sf[i]), ch = TJSCALED(h, sf[i]);
      if (cw >= tw && ch >= th && (uint64_t)cw * ch < (uint64_t)sw * sh) {
        sw = cw;
        sh = ch;
      }
    }
  }
  if ((st = image_alloc(&full, sw, sh, err, errlen)) != IMAGE_OK) goto done;
  bool cmyk = cs == TJCS_CMYK || cs == TJCS_YCCK;
  int flags = TJFLAG_LIMITSCANS | TJFLAG_ACCURATEDCT;
  if (tjDecompress2(tj, d, (unsigned long)n, full.rgba, sw, 0, sh, cmyk ? TJPF_CMYK : TJPF_RGBA, flags) != 0) {
    const char *m = tjGetErrorStr2(tj);
    if (tjGetErrorCode(tj) == TJERR_FATAL || is_truncation(m)) {
      st = is_truncation(m) ? img_fail(err, errlen, IMAGE_ETRUNCATED, "truncated JPEG: %s", m)
                            : img_fail(err, errlen, IMAGE_ECORRUPT, "corrupt JPEG: %s", m);
      goto done;
    }
    /* other warnings (extraneous bytes before a marker, ...) leave a complete image */
  }
  if (cmyk) cmyk_to_rgba(full.rgba, (size_t)sw * sh);
  if (sw == tw && sh == th) {
    *out = full;
    full = (image)IMAGE_INIT;
  } else {
    st = image_resize(&full, tw, th, out, err, errlen);
  }
done:
  image_free(&full);
  tjDestroy(tj);
  return st;
}

/* Inserts the metadata segment after SOI/APP0 (image_meta.c). */
image_status img_jpeg_insert_meta(buf *out, size_t start, const image_encode_opts *o, char *err, size_t errlen);

image_status jpeg_encode(const image *im, const image_encode_opts *o, buf *out, char *err, size_t errlen) {
  int q = o->quality ? o->quality : 92;
  int subsamp = q >= 90 ? TJSAMP_444 : TJSAMP_420;
  int w = im->width, h = im->height;
  const uint8_t *px = im->rgba;
  uint8_t *flat = NULL;
  if (!image_is_opaque(im)) { /* JPEG has no alpha: composite over white */
    size_t npx = (size_t)w * h;
    if (!(flat = malloc(npx * 4))) return img_fail(err, errlen, IMAGE_ENOMEM, "out of memory encoding JPEG");
    for (size_t i = 0; i < npx * 4; i += 4) {
      unsigned a = px[i + 3], white = 255 * (255 - a);
      flat[i] = (uint8_t)((px[i] * a + white + 127) / 255);
      flat[i + 1] = (uint8_t)((px[i + 1] * a + white + 127) / 255);
      flat[i + 2] = (uint8_t)((px[i + 2] * a + white + 127) / 255);
      flat[i + 3] = 255;
    }
    px = flat;
  }
  image_status st = IMAGE_OK;
  tjhandle tj = tjInitCompress();
  unsigned long cap = tjBufSize(w, h, subsamp);
  size_t start = out->len;
  if (!tj) {
    st = img_fail(err, errlen, IMAGE_ENOMEM, "cannot start the JPEG encoder");
  } else if (cap == (unsigned long)-1 || !buf_reserve(out, cap)) {
    st = img_fail(err, errlen, IMAGE_ENOMEM, "out of memory encoding JPEG");
  } else {
    unsigned char *dst = (unsigned char *)out->data + out->len;
    unsigned long size = cap;
    int flags = TJFLAG_NOREALLOC | TJFLAG_ACCURATEDCT | (o->progressive ? TJFLAG_PROGRESSIVE : 0);
    if (tjCompress2(tj, px, w, 0, h, TJPF_RGBX, &dst, &size, subsamp, q, flags) != 0) {
      st = img_fail(err, errlen, IMAGE_EARG, "cannot encode JPEG: %s", tjGetErrorStr2(tj));
    } else {
      out->len += size;
      out->data[out->len] = '\0';
      if (o->meta_json) st = img_jpeg_insert_meta(out, start, o, err, errlen);
    }
  }
  if (tj) tjDestroy(tj);
  free(flat);
  return st;
}
