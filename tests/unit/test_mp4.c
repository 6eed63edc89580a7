/* test_mp4.c — the H.264 MP4 writer of runtime/emu/mp4.h, fed by the encoder of
 * runtime/emu/h264.h: the box tree a browser reads (ftyp, moov before mdat, one video
 * track with an 'avc1' sample entry and its 'avcC'), the key frames in stss, sample sizes
 * and the chunk offset pointing at the first frame's bytes, length-prefixed NAL units in
 * every sample, and refusals of bad arguments; and what `atelier --info` reads back from
 * such a file (runtime/image/mp4_info.h). Whether real players accept the file is
 * checked with ffprobe, ffmpeg and Chromium in tests/integration/test_emu_models.lua and
 * test_emu_video_browser.lua. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>

#include "../../runtime/emu/h264.h"
#include "../../runtime/emu/mp4.h"
#include "../../runtime/image/mp4_info.h"
#include "unit.h"

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The first box called type inside [p, end), descending into containers; NULL if none. */
static const unsigned char *find_box(const unsigned char *p, const unsigned char *end, const char *type) {
  static const char *const containers[] = {"moov", "trak", "mdia", "minf", "stbl", NULL};
  while (p + 8 <= end) {
    uint32_t size = be32(p);
    if (size < 8 || p + size > end) return NULL;
    if (!memcmp(p + 4, type, 4)) return p;
    for (int i = 0; containers[i]; i++)
      if (!memcmp(p + 4, containers[i], 4)) {
        const unsigned char *in = find_box(p + 8, p + size, type);
        if (in) return in;
      }
    p += size;
  }
  return NULL;
}

#define NFRAMES 14
#define FPS 12

/* A clip of NFRAMES frames of 64x48 (a shade moving across), encoded. */
typedef struct {
  emu_h264 *enc;
  buf samples[NFRAMES];
  bool sync[NFRAMES];
} clip;

static void clip_make(clip *c) {
  memset(c, 0, sizeof *c);
  char err[200] = "";
  c->enc = emu_h264_open(64, 48, FPS, err, sizeof err);
  REQUIRE(c->enc);
  unsigned char *px = malloc(64 * 48 * 4);
  REQUIRE(px);
  for (int f = 0; f < NFRAMES; f++) {
    for (int i = 0; i < 64 * 48; i++) {
      int x = i % 64;
      px[4 * i] = (unsigned char)(x < 4 * f ? 220 : 40), px[4 * i + 1] = 60, px[4 * i + 2] = 200, px[4 * i + 3] = 255;
    }
    REQUIRE(emu_h264_encode(c->enc, px, &c->samples[f], &c->sync[f], err, sizeof err));
  }
  free(px);
}

static void clip_free(clip *c) {
  for (int f = 0; f < NFRAMES; f++) buf_free(&c->samples[f]);
  emu_h264_close(c->enc);
}

TEST(h264_gives_constrained_baseline_parameter_sets_and_length_prefixed_samples) {
  clip c;
  clip_make(&c);
  const buf *sps = emu_h264_sps(c.enc), *pps = emu_h264_pps(c.enc);
  REQUIRE(sps->len >= 4 && pps->len >= 1);
  CHECK_INT(sps->data[0] & 0x1f, 7); /* NAL types: SPS, PPS */
  CHECK_INT(pps->data[0] & 0x1f, 8);
  CHECK_INT((unsigned char)sps->data[1], 66);          /* profile_idc: Baseline */
  CHECK((unsigned char)sps->data[2] & 0x40);            /* constraint_set1: Constrained Baseline */
  CHECK(c.sync[0]);                                     /* a player starts on an IDR frame */
  CHECK(c.sync[FPS] && !c.sync[1] && !c.sync[FPS - 1]); /* then one a second */
  for (int f = 0; f < NFRAMES; f++) {
    /* The sample is NAL units each after its 4-byte length, exactly filling it, none a
     * parameter set or a start code. */
    const unsigned char *p = (const unsigned char *)c.samples[f].data, *end = p + c.samples[f].len;
    int nals = 0;
    while (p + 4 < end) {
      uint32_t n = be32(p);
      REQUIRE(n > 0 && p + 4 + n <= end);
      int type = p[4] & 0x1f;
      CHECK(type != 7 && type != 8);
      if (type == 5 || type == 1) CHECK_INT(type == 5, c.sync[f]); /* IDR slices on key frames only */
      p += 4 + n, nals++;
    }
    CHECK(p == end && nals > 0);
  }
  clip_free(&c);
}

TEST(h264_refuses_sizes_it_cannot_encode) {
  char err[200] = "";
  CHECK(!emu_h264_open(63, 48, 12, err, sizeof err)); /* I420 needs even sizes */
  CHECK(strstr(err, "63x48") != NULL);
  CHECK(!emu_h264_open(64, 47, 12, err, sizeof err));
  CHECK(!emu_h264_open(0, 48, 12, err, sizeof err));
  CHECK(!emu_h264_open(64, 48, 0, err, sizeof err));
  emu_h264_close(NULL);
}

TEST(mp4_h264_writes_a_track_whose_index_points_at_its_frames) {
  clip c;
  clip_make(&c);
  emu_mp4_track t = {.width = 64, .height = 48, .fps = FPS, .nframes = NFRAMES, .samples = c.samples,
                     .sync = c.sync, .sps = emu_h264_sps(c.enc), .pps = emu_h264_pps(c.enc)};
  buf out = BUF_INIT;
  buf_append(&out, "xy", 2); /* appended after what out holds: offsets are from the MP4's start */
  char err[200] = "";
  REQUIRE(emu_mp4_h264(&out, &t, err, sizeof err));
  const unsigned char *f = (const unsigned char *)out.data + 2, *end = (const unsigned char *)out.data + out.len;
  CHECK(!memcmp(f + 4, "ftyp", 4) && !memcmp(f + 8, "isom", 4));
  CHECK(memmem(f + 16, be32(f) - 16, "avc1", 4) != NULL); /* a compatible brand */
  const unsigned char *moov = find_box(f, end, "moov"), *mdat = find_box(f, end, "mdat");
  REQUIRE(moov && mdat);
  CHECK(moov < mdat); /* the index first (faststart): playable while it downloads */
  CHECK(mdat + be32(mdat) == end);
  const unsigned char *mvhd = find_box(f, end, "mvhd");
  REQUIRE(mvhd);
  CHECK_INT(be32(mvhd + 20), 1000);
  CHECK_INT(be32(mvhd + 24), NFRAMES * 1000 / FPS); /* in ms */
  const unsigned char *tkhd = find_box(f, end, "tkhd");
  REQUIRE(tkhd);
  CHECK_INT(be32(tkhd + 84) >> 16, 64);
  CHECK_INT(be32(tkhd + 88) >> 16, 48);
  const unsigned char *hdlr = find_box(f, end, "hdlr");
  REQUIRE(hdlr);
  CHECK(!memcmp(hdlr + 16, "vide", 4));
  const unsigned char *stsd = find_box(f, end, "stsd");
  REQUIRE(stsd);
  const unsigned char *entry = stsd + 16;
  CHECK(!memcmp(entry + 4, "avc1", 4));
  CHECK_INT(be32(entry + 32) >> 16, 64); /* width, height in the sample entry */
  CHECK_INT(be32(entry + 32) & 0xffff, 48);
  /* The avcC after the 86-byte visual sample entry: the SPS's profile and level, 4-byte
   * NAL lengths, one SPS and one PPS, byte for byte. */
  const unsigned char *avcc = entry + 86;
  REQUIRE(avcc + 8 <= end);
  CHECK(!memcmp(avcc + 4, "avcC", 4));
  CHECK_INT(be32(entry), 86 + be32(avcc));
  const buf *sps = emu_h264_sps(c.enc), *pps = emu_h264_pps(c.enc);
  const unsigned char *a = avcc + 8;
  CHECK_INT(a[0], 1);
  CHECK(!memcmp(a + 1, sps->data + 1, 3));
  CHECK_INT(a[4], 0xff);
  CHECK_INT(a[5], 0xe1);
  CHECK_INT(a[6] << 8 | a[7], sps->len);
  CHECK(!memcmp(a + 8, sps->data, sps->len));
  a += 8 + sps->len;
  CHECK_INT(a[0], 1);
  CHECK_INT(a[1] << 8 | a[2], pps->len);
  CHECK(!memcmp(a + 3, pps->data, pps->len));
  CHECK_INT(be32(avcc), 8 + 8 + sps->len + 3 + pps->len);
  /* The key frames, 1-based: the first and the one a second later. */
  const unsigned char *stss = find_box(f, end, "stss");
  REQUIRE(stss);
  CHECK_INT(be32(stss + 12), 2);
  CHECK_INT(be32(stss + 16), 1);
  CHECK_INT(be32(stss + 20), FPS + 1);
  const unsigned char *stsz = find_box(f, end, "stsz");
  REQUIRE(stsz);
  CHECK_INT(be32(stsz + 16), NFRAMES);
  for (int i = 0; i < NFRAMES; i++) CHECK_INT(be32(stsz + 20 + 4 * i), c.samples[i].len);
  const unsigned char *stco = find_box(f, end, "stco");
  REQUIRE(stco);
  CHECK_INT(be32(stco + 12), 1);
  uint32_t off = be32(stco + 16);
  CHECK_INT(off, (mdat - f) + 8);
  /* Each frame is where the index says, whole. */
  size_t at = off;
  for (int i = 0; i < NFRAMES; i++) {
    REQUIRE(f + at + c.samples[i].len <= end);
    CHECK(!memcmp(f + at, c.samples[i].data, c.samples[i].len));
    at += c.samples[i].len;
  }
  CHECK_INT(f + at - end, 0);
  /* The same frames give the same bytes (no clock in the file). */
  buf again = BUF_INIT;
  buf_append(&again, "xy", 2);
  REQUIRE(emu_mp4_h264(&again, &t, err, sizeof err));
  CHECK(again.len == out.len && !memcmp(again.data, out.data, out.len));
  buf_free(&again);
  buf_free(&out);
  clip_free(&c);
}

TEST(mp4_h264_refuses_what_it_cannot_write) {
  clip c;
  clip_make(&c);
  emu_mp4_track good = {.width = 64, .height = 48, .fps = FPS, .nframes = NFRAMES, .samples = c.samples,
                        .sync = c.sync, .sps = emu_h264_sps(c.enc), .pps = emu_h264_pps(c.enc)};
  buf out = BUF_INIT, none = BUF_INIT;
  char err[200] = "";
  emu_mp4_track t = good;
  t.width = 0;
  CHECK(!emu_mp4_h264(&out, &t, err, sizeof err));
  t = good, t.fps = 0;
  CHECK(!emu_mp4_h264(&out, &t, err, sizeof err));
  t = good, t.nframes = 0;
  CHECK(!emu_mp4_h264(&out, &t, err, sizeof err));
  t = good, t.sps = &none;
  CHECK(!emu_mp4_h264(&out, &t, err, sizeof err));
  CHECK(strstr(err, "parameter sets") != NULL);
  t = good, t.samples = c.samples + 1, t.sync = c.sync + 1, t.nframes = 2; /* starts on a P frame */
  CHECK(!emu_mp4_h264(&out, &t, err, sizeof err));
  CHECK(strstr(err, "key frame") != NULL);
  CHECK_INT(out.len, 0);
  clip_free(&c);
}

TEST(mp4_info_reads_a_clips_size_and_length_from_its_boxes) {
  clip c;
  clip_make(&c);
  emu_mp4_track t = {.width = 64, .height = 48, .fps = FPS, .nframes = NFRAMES, .samples = c.samples,
                     .sync = c.sync, .sps = emu_h264_sps(c.enc), .pps = emu_h264_pps(c.enc)};
  buf out = BUF_INIT;
  char err[200] = "";
  REQUIRE(emu_mp4_h264(&out, &t, err, sizeof err));
  mp4_info mi;
  CHECK(mp4_is(out.data, out.len));
  REQUIRE(mp4_probe(out.data, out.len, &mi, err, sizeof err));
  CHECK_INT(mi.width, 64);
  CHECK_INT(mi.height, 48);
  CHECK(mi.seconds > (double)NFRAMES / FPS - 0.01 && mi.seconds < (double)NFRAMES / FPS + 0.01);
  /* cut short: a box runs past the end */
  CHECK(!mp4_probe(out.data, out.len - 10, &mi, err, sizeof err));
  CHECK(strstr(err, "past the end") != NULL);
  /* not an MP4 at all */
  CHECK(!mp4_is("\x89PNG\r\n\x1a\n0123456789", 18));
  CHECK(!mp4_probe("\x89PNG\r\n\x1a\n0123456789", 18, &mi, err, sizeof err));
  buf_free(&out);
  clip_free(&c);
}
