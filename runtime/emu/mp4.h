/* mp4.h — a minimal ISO-BMFF (MP4) writer for fashn-emu's image-to-video placeholders:
 * one video track of Motion-JPEG frames at a fixed rate, no audio, the index ("moov")
 * before the frames so players can start at once. ffprobe and ffmpeg read it as
 * codec "mjpeg"; it needs no encoder beyond the JPEG one the emulator already has. */
#ifndef ATELIER_EMU_MP4_H
#define ATELIER_EMU_MP4_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"

/* Appends an MP4 of nframes JPEG frames (each frames[i] one baseline JPEG of width x
 * height) shown at fps frames a second. False (err says why) on bad arguments or
 * when out ran out of memory. */
bool emu_mp4_mjpeg(buf *out, int width, int height, int fps, const buf *frames, int nframes, char *err,
                   size_t errlen);

#endif
