/* mp4.c — writes the H.264 MP4 of mp4.h: ftyp, then moov (one 'vide' track whose sample
 * table points at the frames), then mdat (the samples back to back, one chunk). Box
 * layouts follow ISO/IEC 14496-12; the sample entry is 'avc1' with its 'avcC' (the
 * parameter sets, ISO/IEC 14496-15), as browsers expect. */
#include "mp4.h"

#include <stdint.h>
#include <stdio.h>

static void u8(buf *b, unsigned v) { buf_append_char(b, (char)(v & 0xff)); }
static void u16(buf *b, unsigned v) { u8(b, v >> 8), u8(b, v); }
static void u32(buf *b, uint32_t v) { u16(b, v >> 16), u16(b, v & 0xffff); }
static void zeros(buf *b, size_t n) {
  while (n--) u8(b, 0);
}
static void fourcc(buf *b, const char *c) { buf_append(b, c, 4); }

/* Opens a box: writes a size placeholder and the type; returns where it starts. */
static size_t box_open(buf *b, const char *type) {
  size_t at = b->len;
  u32(b, 0);
  fourcc(b, type);
  return at;
}
/* A full box: version and 24 bits of flags after the type. */
static size_t full_open(buf *b, const char *type, unsigned version, uint32_t flags) {
  size_t at = box_open(b, type);
  u32(b, (uint32_t)version << 24 | (flags & 0xffffff));
  return at;
}
static void box_close(buf *b, size_t at) {
  if (b->oom) return;
  uint32_t size = (uint32_t)(b->len - at);
  unsigned char *p = (unsigned char *)b->data + at;
  p[0] = (unsigned char)(size >> 24), p[1] = (unsigned char)(size >> 16), p[2] = (unsigned char)(size >> 8),
  p[3] = (unsigned char)size;
}

/* The identity transformation matrix of mvhd and tkhd (16.16 and 2.30 fixed point). */
static void matrix(buf *b) {
  static const uint32_t m[9] = {0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};
  for (int i = 0; i < 9; i++) u32(b, m[i]);
}

/* The moov box; *stco_at gets the offset (in b) of the one chunk offset to patch. */
static void write_moov(buf *b, const emu_mp4_track *t, size_t *stco_at) {
  int w = t->width, h = t->height, fps = t->fps, n = t->nframes;
  uint32_t ms = (uint32_t)((uint64_t)n * 1000 / (unsigned)fps);
  size_t moov = box_open(b, "moov");
  size_t mvhd = full_open(b, "mvhd", 0, 0);
  u32(b, 0), u32(b, 0);       /* creation, modification: none (deterministic bytes) */
  u32(b, 1000), u32(b, ms);   /* timescale (ms), duration */
  u32(b, 0x00010000);         /* rate 1.0 */
  u16(b, 0x0100), zeros(b, 10); /* volume 1.0, reserved */
  matrix(b);
  zeros(b, 24);               /* pre_defined */
  u32(b, 2);                  /* next_track_ID */
  box_close(b, mvhd);

  size_t trak = box_open(b, "trak");
  size_t tkhd = full_open(b, "tkhd", 0, 3); /* enabled, in movie */
  u32(b, 0), u32(b, 0), u32(b, 1), u32(b, 0), u32(b, ms); /* times, track_ID 1, reserved, duration */
  zeros(b, 8);
  u16(b, 0), u16(b, 0), u16(b, 0), u16(b, 0); /* layer, alternate group, volume (video: 0), reserved */
  matrix(b);
  u32(b, (uint32_t)w << 16), u32(b, (uint32_t)h << 16);
  box_close(b, tkhd);

  size_t mdia = box_open(b, "mdia");
  size_t mdhd = full_open(b, "mdhd", 0, 0);
  u32(b, 0), u32(b, 0), u32(b, (uint32_t)fps), u32(b, (uint32_t)n); /* one tick per frame */
  u16(b, 0x55c4), u16(b, 0);                                         /* language "und" */
  box_close(b, mdhd);
  size_t hdlr = full_open(b, "hdlr", 0, 0);
  u32(b, 0), fourcc(b, "vide"), zeros(b, 12);
  buf_append(b, "VideoHandler", 13); /* with its NUL */
  box_close(b, hdlr);

  size_t minf = box_open(b, "minf");
  size_t vmhd = full_open(b, "vmhd", 0, 1);
  zeros(b, 8); /* graphicsmode, opcolor */
  box_close(b, vmhd);
  size_t dinf = box_open(b, "dinf");
  size_t dref = full_open(b, "dref", 0, 0);
  u32(b, 1);
  box_close(b, full_open(b, "url ", 0, 1)); /* the data is in this file */
  box_close(b, dref);
  box_close(b, dinf);

  size_t stbl = box_open(b, "stbl");
  size_t stsd = full_open(b, "stsd", 0, 0);
  u32(b, 1);
  size_t entry = box_open(b, "avc1");
  zeros(b, 6), u16(b, 1);             /* reserved, data_reference_index */
  zeros(b, 16);                        /* pre_defined, reserved */
  u16(b, (unsigned)w), u16(b, (unsigned)h);
  u32(b, 0x00480000), u32(b, 0x00480000); /* 72 dpi */
  u32(b, 0), u16(b, 1);                /* reserved, frame_count */
  zeros(b, 32);                        /* compressorname: empty */
  u16(b, 0x0018), u16(b, 0xffff);       /* depth 24, pre_defined -1 */
  size_t avcc = box_open(b, "avcC");
  const unsigned char *sps = (const unsigned char *)t->sps->data;
  u8(b, 1);                            /* configurationVersion */
  u8(b, sps[1]), u8(b, sps[2]), u8(b, sps[3]); /* profile, its constraint flags, level: the SPS's */
  u8(b, 0xfc | 3);                     /* NAL lengths take 4 bytes */
  u8(b, 0xe0 | 1), u16(b, (unsigned)t->sps->len);
  buf_append(b, t->sps->data, t->sps->len);
  u8(b, 1), u16(b, (unsigned)t->pps->len);
  buf_append(b, t->pps->data, t->pps->len);
  box_close(b, avcc);
  box_close(b, entry);
  box_close(b, stsd);
  size_t stts = full_open(b, "stts", 0, 0);
  u32(b, 1), u32(b, (uint32_t)n), u32(b, 1); /* every frame lasts one tick */
  box_close(b, stts);
  size_t stss = full_open(b, "stss", 0, 0); /* the key frames, where a player may start */
  uint32_t nsync = 0;
  for (int i = 0; i < n; i++) nsync += t->sync[i];
  u32(b, nsync);
  for (int i = 0; i < n; i++)
    if (t->sync[i]) u32(b, (uint32_t)i + 1);
  box_close(b, stss);
  size_t stsc = full_open(b, "stsc", 0, 0);
  u32(b, 1), u32(b, 1), u32(b, (uint32_t)n), u32(b, 1); /* one chunk holds them all */
  box_close(b, stsc);
  size_t stsz = full_open(b, "stsz", 0, 0);
  u32(b, 0), u32(b, (uint32_t)n);
  for (int i = 0; i < n; i++) u32(b, (uint32_t)t->samples[i].len);
  box_close(b, stsz);
  size_t stco = full_open(b, "stco", 0, 0);
  u32(b, 1);
  *stco_at = b->len;
  u32(b, 0); /* patched once the moov's size is known */
  box_close(b, stco);
  box_close(b, stbl);
  box_close(b, minf);
  box_close(b, mdia);
  box_close(b, trak);
  box_close(b, moov);
}

bool emu_mp4_h264(buf *out, const emu_mp4_track *t, char *err, size_t errlen) {
  int w = t->width, h = t->height, n = t->nframes;
  if (w <= 0 || h <= 0 || w > 65535 || h > 65535 || t->fps <= 0 || n <= 0 || !t->samples || !t->sync) {
    snprintf(err, errlen, "mp4: bad arguments (%dx%d, %d fps, %d frames)", w, h, t->fps, n);
    return false;
  }
  if (!t->sps || t->sps->len < 4 || t->sps->len > 0xffff || !t->pps || !t->pps->len || t->pps->len > 0xffff) {
    snprintf(err, errlen, "mp4: no usable H.264 parameter sets");
    return false;
  }
  if (!t->sync[0]) { /* a player starts at the first sample */
    snprintf(err, errlen, "mp4: the first frame is not a key frame");
    return false;
  }
  uint64_t total = 0;
  for (int i = 0; i < n; i++) {
    if (t->samples[i].len < 5) {
      snprintf(err, errlen, "mp4: frame %d is empty", i);
      return false;
    }
    total += t->samples[i].len;
  }
  if (total > 0xffff0000u) { /* 32-bit sizes and offsets throughout */
    snprintf(err, errlen, "mp4: %llu bytes of frames is too much", (unsigned long long)total);
    return false;
  }
  size_t start = out->len;
  size_t ftyp = box_open(out, "ftyp");
  fourcc(out, "isom"), u32(out, 0x200);
  fourcc(out, "isom"), fourcc(out, "iso2"), fourcc(out, "avc1"), fourcc(out, "mp41");
  box_close(out, ftyp);
  size_t stco_at;
  write_moov(out, t, &stco_at);
  size_t mdat = box_open(out, "mdat");
  if (!out->oom) { /* the frames start right after mdat's header */
    uint32_t off = (uint32_t)(out->len - start);
    unsigned char *p = (unsigned char *)out->data + stco_at;
    p[0] = (unsigned char)(off >> 24), p[1] = (unsigned char)(off >> 16), p[2] = (unsigned char)(off >> 8),
    p[3] = (unsigned char)off;
  }
  for (int i = 0; i < n; i++) buf_append(out, t->samples[i].data, t->samples[i].len);
  box_close(out, mdat);
  if (out->oom) {
    snprintf(err, errlen, "mp4: out of memory");
    return false;
  }
  return true;
}
