/* fontfini.h — releases cairo's and fontconfig's process-wide font caches at exit (so
 * leak checkers see only real leaks), when that is safe: cairo's only once no object
 * that holds fonts is alive (a lookbook still open when a script calls os.exit), and
 * fontconfig's only if Pango never ran — Pango keeps a thread of its own that may still
 * hold fontconfig's caches while the process exits, and FcFini then aborts. */
#ifndef ATELIER_FONTFINI_H
#define ATELIER_FONTFINI_H

/* Pango is in use in this process: fontconfig is left alone at exit. */
void font_fini_pango_started(void);

/* An object holding cairo fonts is created / destroyed (counted). */
void font_fini_hold(void);
void font_fini_unhold(void);

/* The release itself, for atexit. Idempotent. */
void font_fini(void);

#endif
