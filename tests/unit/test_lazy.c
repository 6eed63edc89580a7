/* test_lazy.c — runtime/lazy/: a library that cannot be opened, or lacks a function, is
 * an error message from lazy_load (not an abort); lazy_present never loads anything;
 * and a real lazy library resolves every function it lists. */
#ifdef ATELIER_LAZY
#include <dlfcn.h>
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

TEST(lazy_load_resolves_every_function_of_a_real_library) {
  char err[400] = "";
  REQUIRE(lazy_load(&lazy_crypto, err, sizeof err));
  CHECK(lazy_present(&lazy_crypto));
  for (size_t i = 0; i < lazy_crypto.n; i++) CHECK(lazy_crypto.syms[i] != NULL);
}
#else
typedef int test_lazy_unused; /* LAZY=0: nothing is loaded lazily */
#endif
