/* fontfini.h — releases fontconfig's process-wide caches at exit (so leak checkers see
 * only real leaks), unless Pango has used them: Pango keeps a thread of its own that may
 * still hold fontconfig's caches while the process exits, and FcFini then aborts. */
#ifndef ATELIER_FONTFINI_H
#define ATELIER_FONTFINI_H

/* Pango is in use in this process: font_fini must leave fontconfig alone. */
void font_fini_pango_started(void);

/* FcFini(), when that is safe. Idempotent. */
void font_fini(void);

#endif
