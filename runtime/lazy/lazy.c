/* lazy.c — opens a library the first time one of its functions is called (lazy.h says
 * why and how the program is linked for it). */
#ifdef ATELIER_LAZY
#include "lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True when ATELIER_LAZY_HIDE names soname, or it without its version ("libpng16.so" for
 * "libpng16.so.16"): lazy.h, how the tests fake a missing library. */
static bool hidden(const char *soname) {
  const char *h = getenv(LAZY_HIDE_ENV);
  size_t n = strlen(soname);
  while (h && *h) {
    h += strspn(h, " ,");
    size_t len = strcspn(h, " ,");
    bool unversioned = len > 3 && len < n && memcmp(h + len - 3, ".so", 3) == 0 && soname[len] == '.';
    if ((len == n || unversioned) && memcmp(h, soname, len) == 0) return true;
    h += len;
  }
  return false;
}

/* Runs once per library, under its pthread_once: a second thread calling in meanwhile
 * waits, and everything written here is visible to every caller once pthread_once
 * returns. */
void lazy_load_now(lazy_lib *l) {
  if (hidden(l->soname)) {
    snprintf(l->err, sizeof l->err, "cannot load %s: hidden by %s", l->soname, LAZY_HIDE_ENV);
    return;
  }
  void *h = dlopen(l->soname, RTLD_LAZY | RTLD_LOCAL);
  if (!h) {
    const char *why = dlerror();
    snprintf(l->err, sizeof l->err, "cannot load %s: %s", l->soname, why ? why : "unknown reason");
    return;
  }
  for (size_t i = 0; i < l->n; i++) {
    l->syms[i] = dlsym(h, l->names[i]);
    if (!l->syms[i]) {
      snprintf(l->err, sizeof l->err, "%s has no function %s (not the version atelier was built with?)",
               l->soname, l->names[i]);
      return; /* the handle stays open: harmless, and dlclose could run its destructors */
    }
  }
  l->handle = h;
}

bool lazy_load(lazy_lib *l, char *err, size_t errlen) {
  pthread_once(&l->once, l->init);
  if (l->handle) return true;
  snprintf(err, errlen, "%s", l->err);
  return false;
}

void *lazy_sym(lazy_lib *l, size_t i) {
  pthread_once(&l->once, l->init); /* after the first call, one atomic load */
  if (!l->handle) {
    fprintf(stderr, "atelier: %s\n", l->err);
    abort();
  }
  return l->syms[i];
}

/* Each bit of lazy_need's `what`, in bit order: the libraries it loads, in order (a
 * library before those that depend on it), and what they are for in the message. */
static const struct need {
  const char *what;
  lazy_lib *libs[6];
  const char *names[6];
} needs[] = {
    {"HTTP requests", {&lazy_curl}, {"libcurl"}},
    {"lookbook pages",
     {&lazy_cairo, &lazy_glib, &lazy_gobject, &lazy_pango, &lazy_pangoft2, &lazy_pangocairo},
     {"cairo", "GLib", "GObject", "Pango", "Pango (pangoft2)", "Pango (pangocairo)"}},
    {"the journal", {&lazy_sqlite}, {"SQLite"}},
    {"the emulator", {&lazy_mhd}, {"libmicrohttpd"}},
    {"SHA-256", {&lazy_crypto}, {"libcrypto"}},
    {"PNG images", {&lazy_png}, {"libpng"}},
    {"JPEG images", {&lazy_turbojpeg}, {"libturbojpeg"}},
    {"WebP images", {&lazy_webp, &lazy_webpmux}, {"libwebp", "libwebpmux"}},
    {"image-to-video clips", {&lazy_openh264}, {"libopenh264"}},
};

bool lazy_need(unsigned what, char *err, size_t errlen) {
  for (size_t b = 0; b < sizeof needs / sizeof needs[0]; b++) {
    if (!(what & (1u << b))) continue;
    for (size_t i = 0; i < 6 && needs[b].libs[i]; i++) {
      char why[sizeof needs[b].libs[i]->err];
      if (!lazy_load(needs[b].libs[i], why, sizeof why)) {
        snprintf(err, errlen, "%s (needed for %s) cannot be loaded: %s", needs[b].names[i], needs[b].what, why);
        return false;
      }
    }
  }
  return true;
}

bool lazy_present(lazy_lib *l) {
  void *h = dlopen(l->soname, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
  if (!h) return false;
  dlclose(h); /* drops only the reference RTLD_NOLOAD took */
  pthread_once(&l->once, l->init);
  return l->handle != NULL;
}
#else
#include "lazy.h"

/* LAZY=0: every library is linked the ordinary way; the loader checked them at start. */
bool lazy_need(unsigned what, char *err, size_t errlen) {
  (void)what;
  (void)err;
  (void)errlen;
  return true;
}
#endif
