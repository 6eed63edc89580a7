/* lazy.c — opens a library the first time one of its functions is called (lazy.h says
 * why and how the program is linked for it). */
#ifdef ATELIER_LAZY
#include "lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs once per library, under its pthread_once: a second thread calling in meanwhile
 * waits, and everything written here is visible to every caller once pthread_once
 * returns. */
void lazy_load_now(lazy_lib *l) {
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

bool lazy_present(lazy_lib *l) {
  void *h = dlopen(l->soname, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
  if (!h) return false;
  dlclose(h); /* drops only the reference RTLD_NOLOAD took */
  pthread_once(&l->once, l->init);
  return l->handle != NULL;
}
#else
typedef int lazy_unused; /* LAZY=0: every library is linked the ordinary way */
#endif
