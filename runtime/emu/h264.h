/* h264.h — encodes fashn-emu's image-to-video frames as H.264 (Constrained Baseline,
 * yuv420p) with Debian's libopenh264, one sample per frame, ready for mp4.h's 'avc1'
 * track. Every libopenh264 call of the program is in h264.c. */
#ifndef ATELIER_EMU_H264_H
#define ATELIER_EMU_H264_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"

typedef struct emu_h264 emu_h264;

/* An encoder for width x height frames (both even, at least 16) at fps frames a second,
 * with a key frame every fps frames; NULL (err says why) on bad sizes or when libopenh264
 * refuses. */
emu_h264 *emu_h264_open(int width, int height, int fps, char *err, size_t errlen);

/* Encodes one RGBA frame (width x height x 4 bytes, alpha ignored) into *sample: its NAL
 * units, each after its 4-byte big-endian length (the MP4 sample format), without the
 * parameter sets (they belong in the avcC box: emu_h264_sps / _pps). *sync says whether
 * it is an IDR frame a player can start from. False (err says why) on failure. */
bool emu_h264_encode(emu_h264 *enc, const unsigned char *rgba, buf *sample, bool *sync, char *err,
                     size_t errlen);

/* The stream's one sequence and picture parameter set (NAL units without start codes),
 * known after the first emu_h264_encode; empty before. */
const buf *emu_h264_sps(const emu_h264 *enc);
const buf *emu_h264_pps(const emu_h264 *enc);

/* Frees the encoder (NULL is fine). */
void emu_h264_close(emu_h264 *enc);

#endif
