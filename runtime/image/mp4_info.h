/* mp4_info.h — what an MP4 file is (picture size, length) read from its boxes, for
 * `atelier --info`: the bytes are only walked, never decoded, so a video is described
 * exactly as it was delivered and saved. */
#ifndef ATELIER_MP4_INFO_H
#define ATELIER_MP4_INFO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mp4_info {
  int width, height; /* the first track with a picture (tkhd), 0 when none says */
  double seconds;    /* the movie's duration (mvhd), 0 when unknown */
} mp4_info;

/* True when data starts like an ISO media file (an 'ftyp' box). */
bool mp4_is(const void *data, size_t len);

/* Reads the size and length of an MP4; false (err says why) when its boxes are broken. */
bool mp4_probe(const void *data, size_t len, mp4_info *out, char *err, size_t errlen);

#endif
