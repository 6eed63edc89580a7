/* lazy.h — shared libraries loaded on first use instead of at start: the ones a run may
 * never need (libcurl, cairo, Pango with the GLib and GObject calls made beside it,
 * SQLite, libmicrohttpd, fontconfig, libcrypto, the image codecs libpng, libturbojpeg,
 * libwebp and libwebpmux, and libopenh264 for the emulator's clips) cost more to map and
 * relocate than everything `atelier -e 'print(1)'` does, so they are opened with dlopen
 * the first time one of their functions is called (or an entry point asks for them,
 * lazy_need below).
 *
 * How: the program is linked without -lcurl and friends. Each lazy_<lib>.c defines that
 * library's functions under their own names (checked against the library's header, so a
 * wrong prototype does not compile); each definition calls through a table that
 * lazy_sym() fills on the first call, from the soname the Makefile found at build time.
 * No call site changes, and `make LAZY=0` links everything the ordinary way.
 *
 * Adding a function the program now calls: one line in its library's lazy_<lib>.c. The
 * link fails with "undefined reference" until then and tools/lazy_check.sh (run by the
 * failing link, or `make lazy-check`) names the file; `tools/lazy_stubs.sh "$(pkg-config
 * --cflags LIB)" HEADER.h -- FUNCTION...` prints the lines from the library's header.
 *
 * Adding a library (as libopenh264, pkg-config `openh264`, the emulator's H.264, was added):
 *  1. Makefile: its pkg-config name in PKGS as usual, and pkg-config:-l name:MACRO in
 *     LAZY_LIBS (openh264:openh264:OPENH264). That takes it off the link line and passes
 *     -DLAZY_SO_OPENH264="libopenh264.so.N", the soname the linker would have used.
 *  2. runtime/lazy/lazy_openh264.c, like lazy_webpmux.c: #ifdef ATELIER_LAZY, include its
 *     header (so each line is checked against it: a wrong prototype does not compile),
 *     a default LAZY_SO_OPENH264, LAZY_THIS lazy_openh264, the list ALL(F, V) of the
 *     functions called (tools/lazy_stubs.sh), LAZY_TABLE and ALL(LAZY_DEF_F, LAZY_DEF_V);
 *     cleanup functions that should not load it use LAZY_DEF_CLEANUP.
 *  3. Here: `lazy_openh264` in the extern list, a LAZY_FOR_ bit for what needs it (or
 *     add it to an existing one, e.g. LAZY_FOR_SERVER), and its row in lazy.c's needs[]
 *     (same order as the bits).
 *  4. The entry point (emu_start for the emulator) calls lazy_need with that bit before
 *     its first call, so a machine without it gets a named error.
 *  5. Tests: the library in tests/unit/test_lazy.c's list (every function resolves), in
 *     tests/lua/test_startup.lua's HEAVY (not mapped by print(1)) and MISSING (hidden by
 *     ATELIER_LAZY_HIDE, the error names it); `make lazy-check` passes.
 * A library only ever reached through another one (HarfBuzz, FreeType through Pango)
 * needs none of this unless atelier calls it directly. */
#ifndef ATELIER_LAZY_H
#define ATELIER_LAZY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct lazy_lib {
  const char *soname;       /* e.g. "libcurl.so.4", from the Makefile */
  const char *const *names; /* the functions to look up, in table order */
  void **syms;              /* filled once, by lazy_load */
  size_t n;
  pthread_once_t once;
  void (*init)(void); /* runs lazy_load_now(this library) under `once` */
  void *handle;   /* dlopen's, or NULL when loading failed */
  char err[320];  /* why loading failed */
} lazy_lib;

/* Loads l (once, thread-safe) and resolves all its names; false with the reason in err
 * when the library or one of its functions cannot be found. For callers that have an
 * error path and want to report that before going further. */
bool lazy_load(lazy_lib *l, char *err, size_t errlen);

/* The i-th function of l, loading l first if need be. A library that cannot be loaded
 * here is what the dynamic loader would have refused at start: the reason is printed
 * and the process aborts, since the caller has no error path for it. */
void *lazy_sym(lazy_lib *l, size_t i);

/* True when l's library is in the process already (loaded by us, or as another
 * library's dependency): a cleanup function (FcFini, curl_global_cleanup) is called
 * only then, rather than loading a library just to tell it to release nothing. */
bool lazy_present(lazy_lib *l);

/* What `init` runs: dlopen and dlsym everything (LAZY_TABLE makes the `init`). */
void lazy_load_now(lazy_lib *l);

/* ---- entry points ------------------------------------------------------------------ */

/* What an entry point is about to use. Each names the libraries it loads, in order. */
enum {
  LAZY_FOR_HTTP = 1 << 0,    /* libcurl: the first transfer (io/loop.c) */
  LAZY_FOR_PAGE = 1 << 1,    /* cairo, GLib, GObject, Pango (and pangoft2, pangocairo):
                                a new lookbook (page_book_new), the emulator's pictures */
  LAZY_FOR_JOURNAL = 1 << 2, /* SQLite: journal_open, its report and read-only look-ups */
  LAZY_FOR_SERVER = 1 << 3,  /* libmicrohttpd: emu_start */
  LAZY_FOR_HASH = 1 << 4,    /* libcrypto: sha256 (job keys, stored outputs) */
  LAZY_FOR_PNG = 1 << 5,     /* libpng: image_probe/decode/encode of a PNG */
  LAZY_FOR_JPEG = 1 << 6,    /* libturbojpeg: the same for JPEG */
  LAZY_FOR_WEBP = 1 << 7,    /* libwebp and libwebpmux: the same for WebP, and its metadata */
  LAZY_FOR_VIDEO = 1 << 8,   /* libopenh264: the emulator's image-to-video clips (emu_h264_open) */
};

/* Loads every library `what` names; false, with "<library> (needed for <what>) cannot be
 * loaded: <the loader's reason>" in err, at the first that cannot be. Entry points call
 * it before their first call into those libraries, so that a library missing on this
 * machine is an error their callers report (in Lua, a named error table) rather than
 * lazy_sym's abort. Cheap after the first call (one pthread_once per library); true at
 * once with LAZY=0, where the loader has already refused to start without them. */
bool lazy_need(unsigned what, char *err, size_t errlen);

/* Tests only: ATELIER_LAZY_HIDE="libsqlite3.so libcairo.so.2" (sonames, with or without
 * their version, separated by spaces or commas) makes lazy_load treat those libraries as
 * missing, which is how the tests show what a user without them sees. Read at each
 * library's first load; nothing else changes (a library hidden here but brought in by
 * another one is still in the process, just not used by atelier). */
#define LAZY_HIDE_ENV "ATELIER_LAZY_HIDE"

/* The libraries, for lazy_load (defined in the lazy_<lib>.c files). */
extern lazy_lib lazy_curl, lazy_cairo, lazy_fontconfig, lazy_sqlite, lazy_mhd, lazy_crypto, lazy_png,
    lazy_turbojpeg, lazy_webp, lazy_webpmux, lazy_pango, lazy_pangocairo, lazy_pangoft2, lazy_gobject, lazy_glib,
    lazy_openh264;

/* The building blocks of a lazy_<lib>.c. The file defines LAZY_THIS (its lazy_lib) and a
 * list LIST(F, V) of its functions: F(ret, name, params, args) for one returning ret,
 * V(name, params, args) for one returning void. LAZY_TABLE(soname, LIST) makes the
 * library's table; LIST(LAZY_DEF_F, LAZY_DEF_V) defines the functions. The name is in
 * parentheses so a function-like macro of that name (curl's type checks) stays out. */
#define LAZY_ENUM_F(ret, name, params, args) LZ_##name,
#define LAZY_ENUM_V(name, params, args) LZ_##name,
#define LAZY_NAME_F(ret, name, params, args) #name,
#define LAZY_NAME_V(name, params, args) #name,
#define LAZY_FN(name) ((__typeof__(name) *)lazy_sym(&(LAZY_THIS), LZ_##name))
#define LAZY_DEF_F(ret, name, params, args) \
  ret(name) params { return LAZY_FN(name) args; }
#define LAZY_DEF_V(name, params, args) \
  void(name) params { LAZY_FN(name) args; }
/* For cleanup functions: nothing to release when the library was never loaded. */
#define LAZY_DEF_CLEANUP(name, params, args) \
  void(name) params { if (lazy_present(&(LAZY_THIS))) LAZY_FN(name) args; }

#define LAZY_TABLE(soname_, LIST)                                                              \
  enum { LIST(LAZY_ENUM_F, LAZY_ENUM_V) LZ_COUNT };                                            \
  static const char *const lazy_names[] = {LIST(LAZY_NAME_F, LAZY_NAME_V)};                    \
  static void *lazy_syms[LZ_COUNT];                                                            \
  static void lazy_init(void);                                                                 \
  lazy_lib LAZY_THIS = {.soname = soname_, .names = lazy_names, .syms = lazy_syms,             \
                        .n = LZ_COUNT, .once = PTHREAD_ONCE_INIT, .init = lazy_init};          \
  static void lazy_init(void) { lazy_load_now(&(LAZY_THIS)); }

#endif
