/* mp4.h — a minimal ISO-BMFF (MP4) writer for fashn-emu's image-to-video clips: one
 * H.264 video track ('avc1' sample entry with its 'avcC') at a fixed rate, no audio, the
 * index ("moov") before the frames so a browser can start playing at once (faststart).
 * The frames come from h264.h; this file only lays out the boxes. */
#ifndef ATELIER_EMU_MP4_H
#define ATELIER_EMU_MP4_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"

/* One video track: nframes samples (each the length-prefixed NAL units of one frame)
 * shown at fps frames a second, sync[i] marking the key frames (the first must be one),
 * and the stream's sequence and picture parameter sets (without start codes). */
typedef struct {
  int width, height, fps, nframes;
  const buf *samples;
  const bool *sync;
  const buf *sps, *pps;
} emu_mp4_track;

/* Appends the MP4 of track t to out. False (err says why) on bad arguments or when out
 * ran out of memory. */
bool emu_mp4_h264(buf *out, const emu_mp4_track *t, char *err, size_t errlen);

#endif
