/* h264.c — the H.264 encoder of h264.h on libopenh264: converts each RGBA frame to I420
 * (BT.601 limited range, chroma from the average of each 2x2 block), encodes it as one
 * Constrained Baseline slice (CAVLC, no B frames: what every browser decodes), and turns
 * the encoder's Annex-B NAL units into length-prefixed ones, keeping the parameter sets
 * apart for the MP4's avcC box. The only file that calls libopenh264; it uses
 * WelsCreateSVCEncoder, WelsDestroySVCEncoder and the encoder's GetDefaultParams,
 * InitializeExt, SetOption, EncodeFrame and Uninitialize. */
#include "h264.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wels/codec_api.h>

#include "../lazy/lazy.h"

struct emu_h264 {
  ISVCEncoder *enc;
  int width, height, fps;
  long long frame; /* frames encoded so far: the next one's timestamp */
  unsigned char *yuv; /* the I420 planes of the frame being encoded */
  buf sps, pps;
};

/* BT.601 studio-range coefficients in 8.8 fixed point (Y 16..235, Cb/Cr 16..240); the
 * chroma offset (128 << 8) is added before the shift, which keeps it off negative numbers. */
static unsigned char luma(int r, int g, int b) { return (unsigned char)(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16); }
static unsigned char cb(int r, int g, int b) { return (unsigned char)((-38 * r - 74 * g + 112 * b + 32896) >> 8); }
static unsigned char cr(int r, int g, int b) { return (unsigned char)((112 * r - 94 * g - 18 * b + 32896) >> 8); }

static void rgba_to_i420(const unsigned char *px, int w, int h, unsigned char *y, unsigned char *u,
                         unsigned char *v) {
  for (int i = 0; i < w * h; i++) y[i] = luma(px[4 * i], px[4 * i + 1], px[4 * i + 2]);
  for (int cy = 0; cy < h / 2; cy++)
    for (int cx = 0; cx < w / 2; cx++) {
      const unsigned char *p0 = px + ((size_t)(2 * cy) * w + 2 * cx) * 4, *p1 = p0 + (size_t)w * 4;
      int r = (p0[0] + p0[4] + p1[0] + p1[4] + 2) / 4, g = (p0[1] + p0[5] + p1[1] + p1[5] + 2) / 4,
          b = (p0[2] + p0[6] + p1[2] + p1[6] + 2) / 4;
      u[cy * (w / 2) + cx] = cb(r, g, b);
      v[cy * (w / 2) + cx] = cr(r, g, b);
    }
}

emu_h264 *emu_h264_open(int width, int height, int fps, char *err, size_t errlen) {
  if (width < 16 || height < 16 || width > 4096 || height > 4096 || width % 2 || height % 2 || fps <= 0 ||
      fps > 60) {
    snprintf(err, errlen, "h264: bad frame size or rate (%dx%d, %d fps)", width, height, fps);
    return NULL;
  }
  emu_h264 *e = calloc(1, sizeof *e);
  if (e) e->yuv = malloc((size_t)width * height * 3 / 2);
  if (!e || !e->yuv) {
    free(e);
    snprintf(err, errlen, "h264: out of memory");
    return NULL;
  }
  e->width = width, e->height = height, e->fps = fps;
  if (!lazy_need(LAZY_FOR_VIDEO, err, errlen)) { /* a machine without libopenh264: this clip fails */
    free(e->yuv), free(e);
    return NULL;
  }
  if (WelsCreateSVCEncoder(&e->enc) != 0 || !e->enc) {
    snprintf(err, errlen, "h264: libopenh264 could not create an encoder");
    free(e->yuv), free(e);
    return NULL;
  }
  int quiet = WELS_LOG_QUIET; /* its default logging writes to stderr */
  (*e->enc)->SetOption(e->enc, ENCODER_OPTION_TRACE_LEVEL, &quiet);
  SEncParamExt p;
  (*e->enc)->GetDefaultParams(e->enc, &p);
  p.iUsageType = CAMERA_VIDEO_REAL_TIME; /* the usage this build accepts for one spatial layer */
  p.iPicWidth = width, p.iPicHeight = height;
  p.fMaxFrameRate = (float)fps;
  p.iRCMode = RC_OFF_MODE; /* a fixed quantiser: the same picture quality on every frame */
  p.iTargetBitrate = 4000000;
  p.bEnableFrameSkip = false; /* one sample per frame, always */
  p.uiIntraPeriod = (unsigned)fps; /* a key frame a second, so players can seek */
  p.iNumRefFrame = 1;
  p.iEntropyCodingModeFlag = 0; /* CAVLC: Baseline has no CABAC */
  p.iComplexityMode = LOW_COMPLEXITY;
  p.iMultipleThreadIdc = 1; /* the emulator's render workers are the parallelism */
  p.eSpsPpsIdStrategy = CONSTANT_ID; /* one SPS/PPS for the whole clip: the avcC's */
  p.bEnableDenoise = p.bEnableBackgroundDetection = p.bEnableSceneChangeDetect = p.bEnableAdaptiveQuant = false;
  p.iSpatialLayerNum = 1;
  p.iTemporalLayerNum = 1;
  SSpatialLayerConfig *l = &p.sSpatialLayers[0];
  l->iVideoWidth = width, l->iVideoHeight = height;
  l->fFrameRate = (float)fps;
  l->iSpatialBitrate = l->iMaxSpatialBitrate = p.iTargetBitrate;
  l->uiProfileIdc = PRO_BASELINE;
  l->uiLevelIdc = LEVEL_UNKNOWN; /* the encoder picks the level the size needs */
  l->iDLayerQp = 24;
  l->sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
  /* Say which colours these are (BT.601, studio range) so a browser does not guess. */
  l->bVideoSignalTypePresent = true;
  l->uiVideoFormat = 5; /* unspecified */
  l->bFullRange = false;
  l->bColorDescriptionPresent = true;
  l->uiColorPrimaries = 6, l->uiTransferCharacteristics = 6, l->uiColorMatrix = 6; /* smpte170m */
  if ((*e->enc)->InitializeExt(e->enc, &p) != 0) {
    snprintf(err, errlen, "h264: libopenh264 refused a %dx%d, %d fps stream", width, height, fps);
    emu_h264_close(e);
    return NULL;
  }
  int format = videoFormatI420;
  (*e->enc)->SetOption(e->enc, ENCODER_OPTION_DATAFORMAT, &format);
  return e;
}

/* Appends one NAL unit (without its start code) to sample, after its 4-byte length;
 * parameter sets go to enc's sps/pps instead (the first of each; CONSTANT_ID repeats
 * the same one before every IDR). */
static void take_nal(emu_h264 *e, const unsigned char *nal, size_t n, buf *sample) {
  int type = nal[0] & 0x1f;
  if (type == 7 || type == 8) {
    buf *ps = type == 7 ? &e->sps : &e->pps;
    if (!ps->len) buf_append(ps, nal, n);
    return;
  }
  unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8),
                          (unsigned char)n};
  buf_append(sample, len, 4);
  buf_append(sample, nal, n);
}

bool emu_h264_encode(emu_h264 *e, const unsigned char *rgba, buf *sample, bool *sync, char *err,
                     size_t errlen) {
  int w = e->width, h = e->height;
  unsigned char *y = e->yuv, *u = y + (size_t)w * h, *v = u + (size_t)(w / 2) * (h / 2);
  rgba_to_i420(rgba, w, h, y, u, v);
  SSourcePicture pic;
  memset(&pic, 0, sizeof pic);
  pic.iColorFormat = videoFormatI420;
  pic.iPicWidth = w, pic.iPicHeight = h;
  pic.iStride[0] = w, pic.iStride[1] = pic.iStride[2] = w / 2;
  pic.pData[0] = y, pic.pData[1] = u, pic.pData[2] = v;
  pic.uiTimeStamp = e->frame * 1000 / e->fps;
  SFrameBSInfo info;
  memset(&info, 0, sizeof info);
  if ((*e->enc)->EncodeFrame(e->enc, &pic, &info) != cmResultSuccess) {
    snprintf(err, errlen, "h264: libopenh264 failed to encode frame %lld", e->frame);
    return false;
  }
  if (info.eFrameType == videoFrameTypeSkip || info.eFrameType == videoFrameTypeInvalid) {
    snprintf(err, errlen, "h264: libopenh264 gave no picture for frame %lld", e->frame);
    return false;
  }
  e->frame++;
  size_t start = sample->len;
  for (int i = 0; i < info.iLayerNum; i++) {
    const SLayerBSInfo *layer = &info.sLayerInfo[i];
    const unsigned char *p = layer->pBsBuf;
    for (int k = 0; k < layer->iNalCount; k++) {
      size_t n = (size_t)layer->pNalLengthInByte[k], skip = 0;
      while (skip < n && p[skip] == 0) skip++; /* the start code: zeros, then a 1 */
      if (skip < 2 || skip >= n || p[skip] != 1 || skip + 1 >= n) {
        snprintf(err, errlen, "h264: libopenh264 gave a NAL unit without a start code");
        return false;
      }
      take_nal(e, p + skip + 1, n - skip - 1, sample);
      p += n;
    }
  }
  if (sample->oom || e->sps.oom || e->pps.oom) {
    snprintf(err, errlen, "h264: out of memory");
    return false;
  }
  if (sample->len == start || !e->sps.len || !e->pps.len) {
    snprintf(err, errlen, "h264: libopenh264 gave an empty frame or no parameter sets");
    return false;
  }
  *sync = info.eFrameType == videoFrameTypeIDR;
  return true;
}

const buf *emu_h264_sps(const emu_h264 *e) { return &e->sps; }
const buf *emu_h264_pps(const emu_h264 *e) { return &e->pps; }

void emu_h264_close(emu_h264 *e) {
  if (!e) return;
  if (e->enc) {
    (*e->enc)->Uninitialize(e->enc);
    WelsDestroySVCEncoder(e->enc);
  }
  buf_free(&e->sps);
  buf_free(&e->pps);
  free(e->yuv);
  free(e);
}
