/* test_mp4.c — the Motion-JPEG MP4 writer of runtime/emu/mp4.h: the box tree a player
 * reads (ftyp, moov before mdat, one video track), sample sizes and the chunk offset
 * pointing at the first frame's bytes, and refusals of bad arguments. Whether real
 * players accept the file is checked with ffprobe in tests/integration/test_emu_models.lua. */
#include <stdint.h>
#include <stdlib.h>

#include "../../runtime/emu/mp4.h"
#include "../../runtime/image/image.h"
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

static void jpeg_frame(buf *out, int w, int h, unsigned char shade) {
  image im = IMAGE_INIT;
  char err[200];
  REQUIRE(image_alloc(&im, w, h, err, sizeof err) == IMAGE_OK);
  memset(im.rgba, shade, (size_t)w * (size_t)h * 4);
  image_encode_opts eo = {.format = IMAGE_JPEG, .quality = 80};
  REQUIRE(image_encode(&im, &eo, out, err, sizeof err) == IMAGE_OK);
  image_free(&im);
}

TEST(mp4_mjpeg_writes_a_track_whose_index_points_at_its_frames) {
  buf frames[3] = {BUF_INIT, BUF_INIT, BUF_INIT};
  for (int i = 0; i < 3; i++) jpeg_frame(&frames[i], 64, 48, (unsigned char)(40 + 80 * i));
  buf out = BUF_INIT;
  buf_append(&out, "xy", 2); /* appended after what out holds: offsets are from the MP4's start */
  char err[200] = "";
  REQUIRE(emu_mp4_mjpeg(&out, 64, 48, 12, frames, 3, err, sizeof err));
  const unsigned char *f = (const unsigned char *)out.data + 2, *end = (const unsigned char *)out.data + out.len;
  CHECK(!memcmp(f + 4, "ftyp", 4) && !memcmp(f + 8, "isom", 4));
  const unsigned char *moov = find_box(f, end, "moov"), *mdat = find_box(f, end, "mdat");
  REQUIRE(moov && mdat);
  CHECK(moov < mdat); /* the index first: playable while it downloads */
  CHECK(mdat + be32(mdat) == end);
  const unsigned char *mvhd = find_box(f, end, "mvhd");
  REQUIRE(mvhd);
  CHECK_INT(be32(mvhd + 20), 1000);
  CHECK_INT(be32(mvhd + 24), 250); /* 3 frames at 12 fps, in ms */
  const unsigned char *tkhd = find_box(f, end, "tkhd");
  REQUIRE(tkhd);
  CHECK_INT(be32(tkhd + 84) >> 16, 64);
  CHECK_INT(be32(tkhd + 88) >> 16, 48);
  const unsigned char *hdlr = find_box(f, end, "hdlr");
  REQUIRE(hdlr);
  CHECK(!memcmp(hdlr + 16, "vide", 4));
  const unsigned char *stsd = find_box(f, end, "stsd");
  REQUIRE(stsd);
  CHECK(!memcmp(stsd + 20, "jpeg", 4));
  CHECK_INT(be32(stsd + 16 + 32) >> 16, 64); /* width, height in the sample entry */
  CHECK_INT(be32(stsd + 16 + 32) & 0xffff, 48);
  const unsigned char *stsz = find_box(f, end, "stsz");
  REQUIRE(stsz);
  CHECK_INT(be32(stsz + 16), 3);
  for (int i = 0; i < 3; i++) CHECK_INT(be32(stsz + 20 + 4 * i), frames[i].len);
  const unsigned char *stco = find_box(f, end, "stco");
  REQUIRE(stco);
  CHECK_INT(be32(stco + 12), 1);
  uint32_t off = be32(stco + 16);
  CHECK_INT(off, (mdat - f) + 8);
  /* Each frame is where the index says, whole. */
  size_t at = off;
  for (int i = 0; i < 3; i++) {
    REQUIRE(f + at + frames[i].len <= end);
    CHECK(!memcmp(f + at, frames[i].data, frames[i].len));
    at += frames[i].len;
  }
  CHECK_INT(f + at - end, 0);
  /* The same frames give the same bytes (no clock in the file). */
  buf again = BUF_INIT;
  buf_append(&again, "xy", 2);
  REQUIRE(emu_mp4_mjpeg(&again, 64, 48, 12, frames, 3, err, sizeof err));
  CHECK(again.len == out.len && !memcmp(again.data, out.data, out.len));
  buf_free(&again);
  buf_free(&out);
  for (int i = 0; i < 3; i++) buf_free(&frames[i]);
}

TEST(mp4_mjpeg_refuses_what_it_cannot_write) {
  buf frame = BUF_INIT, out = BUF_INIT;
  jpeg_frame(&frame, 16, 16, 9);
  char err[200] = "";
  CHECK(!emu_mp4_mjpeg(&out, 0, 16, 12, &frame, 1, err, sizeof err));
  CHECK(!emu_mp4_mjpeg(&out, 16, 16, 0, &frame, 1, err, sizeof err));
  CHECK(!emu_mp4_mjpeg(&out, 16, 16, 12, &frame, 0, err, sizeof err));
  buf png = BUF_INIT;
  buf_append(&png, "\x89PNG\r\n\x1a\n", 8);
  CHECK(!emu_mp4_mjpeg(&out, 16, 16, 12, &png, 1, err, sizeof err));
  CHECK(strstr(err, "not a JPEG") != NULL);
  CHECK_INT(out.len, 0);
  buf_free(&png);
  buf_free(&frame);
  buf_free(&out);
}
