/* mp4.c — writes the Motion-JPEG MP4 of mp4.h: ftyp, then moov (one 'vide' track whose
 * sample table points at the frames), then mdat (the JPEG frames back to back, one chunk).
 * Box layouts follow ISO/IEC 14496-12; the sample entry is QuickTime's 'jpeg', which
 * ffmpeg, VLC and mpv map to MJPEG. */
#include "mp4.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
static void write_moov(buf *b, int w, int h, int fps, const buf *frames, int n, size_t *stco_at) {
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
  size_t entry = box_open(b, "jpeg");
  zeros(b, 6), u16(b, 1);             /* reserved, data_reference_index */
  zeros(b, 16);                        /* pre_defined, reserved */
  u16(b, (unsigned)w), u16(b, (unsigned)h);
  u32(b, 0x00480000), u32(b, 0x00480000); /* 72 dpi */
  u32(b, 0), u16(b, 1);                /* reserved, frame_count */
  char name[32] = {0};
  name[0] = 12;
  memcpy(name + 1, "Photo - JPEG", 12); /* compressorname: a Pascal string in 32 bytes */
  buf_append(b, name, 32);
  u16(b, 0x0018), u16(b, 0xffff);       /* depth 24, pre_defined -1 */
  box_close(b, entry);
  box_close(b, stsd);
  size_t stts = full_open(b, "stts", 0, 0);
  u32(b, 1), u32(b, (uint32_t)n), u32(b, 1); /* every frame lasts one tick */
  box_close(b, stts);
  size_t stss = full_open(b, "stss", 0, 0); /* every JPEG frame is a key frame; listing them
                                              all keeps seeking exact in every player */
  u32(b, (uint32_t)n);
  for (int i = 0; i < n; i++) u32(b, (uint32_t)i + 1);
  box_close(b, stss);
  size_t stsc = full_open(b, "stsc", 0, 0);
  u32(b, 1), u32(b, 1), u32(b, (uint32_t)n), u32(b, 1); /* one chunk holds them all */
  box_close(b, stsc);
  size_t stsz = full_open(b, "stsz", 0, 0);
  u32(b, 0), u32(b, (uint32_t)n);
  for (int i = 0; i < n; i++) u32(b, (uint32_t)frames[i].len);
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

bool emu_mp4_mjpeg(buf *out, int width, int height, int fps, const buf *frames, int nframes, char *err,
                   size_t errlen) {
  if (width <= 0 || height <= 0 || width > 65535 || height > 65535 || fps <= 0 || nframes <= 0 || !frames) {
    snprintf(err, errlen, "mp4: bad arguments (%dx%d, %d fps, %d frames)", width, height, fps, nframes);
    return false;
  }
  uint64_t total = 0;
  for (int i = 0; i < nframes; i++) {
    if (frames[i].len < 4 || (unsigned char)frames[i].data[0] != 0xff || (unsigned char)frames[i].data[1] != 0xd8) {
      snprintf(err, errlen, "mp4: frame %d is not a JPEG", i);
      return false;
    }
    total += frames[i].len;
  }
  if (total > 0xffff0000u) { /* 32-bit sizes and offsets throughout */
    snprintf(err, errlen, "mp4: %llu bytes of frames is too much", (unsigned long long)total);
    return false;
  }
  size_t start = out->len;
  size_t ftyp = box_open(out, "ftyp");
  fourcc(out, "isom"), u32(out, 0x200);
  fourcc(out, "isom"), fourcc(out, "iso2"), fourcc(out, "mp41");
  box_close(out, ftyp);
  size_t stco_at;
  write_moov(out, width, height, fps, frames, nframes, &stco_at);
  size_t mdat = box_open(out, "mdat");
  if (!out->oom) { /* the frames start right after mdat's header */
    uint32_t off = (uint32_t)(out->len - start);
    unsigned char *p = (unsigned char *)out->data + stco_at;
    p[0] = (unsigned char)(off >> 24), p[1] = (unsigned char)(off >> 16), p[2] = (unsigned char)(off >> 8),
    p[3] = (unsigned char)off;
  }
  for (int i = 0; i < nframes; i++) buf_append(out, frames[i].data, frames[i].len);
  box_close(out, mdat);
  if (out->oom) {
    snprintf(err, errlen, "mp4: out of memory");
    return false;
  }
  return true;
}
