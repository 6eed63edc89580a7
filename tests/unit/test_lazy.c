/* test_lazy.c — runtime/lazy/: a library that cannot be opened, or lacks a function, is
 * an error message from lazy_load (not an abort); ATELIER_LAZY_HIDE makes one missing,
 * by soname with or without its version; lazy_present never loads anything; and every
 * lazy library resolves every function it lists. */
#ifdef ATELIER_LAZY
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/lazy/lazy.h"
#include "unit.h"

static const char *const one_name[] = {"atelier_no_such_function"};
static void *one_sym[1];

static lazy_lib missing_lib, missing_fn;
static void init_missing_lib(void) { lazy_load_now(&missing_lib); }
static void init_missing_fn(void) { lazy_load_now(&missing_fn); }
static lazy_lib missing_lib = {.soname = "libatelier-not-there.so.9", .names = one_name, .syms = one_sym, .n = 1,
                               .once = PTHREAD_ONCE_INIT, .init = init_missing_lib};
static lazy_lib missing_fn = {.soname = "libc.so.6", .names = one_name, .syms = one_sym, .n = 1,
                              .once = PTHREAD_ONCE_INIT, .init = init_missing_fn};

TEST(lazy_load_reports_a_library_that_cannot_be_opened) {
  char err[400] = "";
  CHECK(!lazy_present(&missing_lib));
  CHECK(!lazy_load(&missing_lib, err, sizeof err));
  CHECK(strstr(err, "cannot load libatelier-not-there.so.9") != NULL);
  CHECK(!lazy_load(&missing_lib, err, sizeof err)); /* the answer is kept */
}

TEST(lazy_load_reports_a_function_the_library_lacks) {
  char err[400] = "";
  CHECK(!lazy_load(&missing_fn, err, sizeof err));
  CHECK(strstr(err, "libc.so.6 has no function atelier_no_such_function") != NULL);
}

/* libc, which is surely there, hidden by ATELIER_LAZY_HIDE: each lazy_lib loads once. */
#define LIBC_AS(var)                                                                       \
  static lazy_lib var;                                                                     \
  static void init_##var(void) { lazy_load_now(&var); }                                    \
  static void *var##_sym[1];                                                               \
  static const char *const var##_name[] = {"strlen"};                                      \
  static lazy_lib var = {.soname = "libc.so.6", .names = var##_name, .syms = var##_sym, .n = 1, \
                         .once = PTHREAD_ONCE_INIT, .init = init_##var};
LIBC_AS(libc_hidden)
LIBC_AS(libc_unversioned)
LIBC_AS(libc_other_names)

static bool load_with_hidden(lazy_lib *l, const char *hide, char *err, size_t errlen) {
  const char *old = getenv(LAZY_HIDE_ENV);
  char *saved = old ? strdup(old) : NULL;
  setenv(LAZY_HIDE_ENV, hide, 1);
  bool ok = lazy_load(l, err, errlen);
  if (saved) setenv(LAZY_HIDE_ENV, saved, 1);
  else unsetenv(LAZY_HIDE_ENV);
  free(saved);
  return ok;
}

TEST(atelier_lazy_hide_makes_a_library_missing) {
  char err[400] = "";
  CHECK(!load_with_hidden(&libc_hidden, "libfoo.so.1, libc.so.6", err, sizeof err));
  CHECK_STR(err, "cannot load libc.so.6: hidden by ATELIER_LAZY_HIDE");
  CHECK(!load_with_hidden(&libc_unversioned, "libc.so", err, sizeof err));
  CHECK(strstr(err, "hidden by") != NULL);
  /* a name that only starts like it, or a longer one, hides nothing */
  CHECK(load_with_hidden(&libc_other_names, "libc.so.61 libc libc.so.6.1 ibc.so.6", err, sizeof err));
}

/* Every library runtime/lazy/ defines resolves every function its list names: a
 * misspelt name, or one from another library, fails here rather than at a user's first
 * use. */
TEST(lazy_load_resolves_every_function_of_every_lazy_library) {
  lazy_lib *all[] = {&lazy_curl, &lazy_cairo, &lazy_fontconfig, &lazy_sqlite, &lazy_mhd,
                     &lazy_crypto, &lazy_png, &lazy_turbojpeg, &lazy_webp, &lazy_webpmux,
                     &lazy_glib, &lazy_gobject, &lazy_pango, &lazy_pangoft2, &lazy_pangocairo, &lazy_openh264};
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
    char err[400] = "";
    if (!lazy_load(all[k], err, sizeof err)) {
      CHECK_STR(err, "");
      continue;
    }
    CHECK(lazy_present(all[k]));
    for (size_t i = 0; i < all[k]->n; i++) CHECK(all[k]->syms[i] != NULL);
  }
}

/* Threads making their first call at once (the worker pool's codecs, the loop's first
 * transfer): one load, every thread gets the same function, and ThreadSanitizer (the
 * tsan phase runs this test) sees no race on the table. */
LIBC_AS(libc_concurrent)
enum { RACERS = 8 };
static void *race_sym(void *arg) {
  (void)arg;
  return lazy_sym(&libc_concurrent, 0);
}

TEST(lazy_concurrent_first_calls_load_once) {
  pthread_t t[RACERS];
  void *got[RACERS];
  for (int i = 0; i < RACERS; i++) REQUIRE(pthread_create(&t[i], NULL, race_sym, NULL) == 0);
  for (int i = 0; i < RACERS; i++) pthread_join(t[i], &got[i]);
  for (int i = 0; i < RACERS; i++) CHECK(got[i] != NULL && got[i] == got[0]);
  CHECK(libc_concurrent.handle != NULL);
}

/* lazy_need names the library that failed and what it was needed for; with everything
 * present it loads what it is asked for. */
TEST(lazy_need_loads_what_an_entry_point_uses) {
  char err[400] = "";
  CHECK(lazy_need(LAZY_FOR_PNG | LAZY_FOR_WEBP | LAZY_FOR_HASH, err, sizeof err));
  CHECK(lazy_present(&lazy_png) && lazy_present(&lazy_webpmux) && lazy_present(&lazy_crypto));
}
#else
typedef int test_lazy_unused; /* LAZY=0: nothing is loaded lazily */
#endif
