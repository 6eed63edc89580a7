/* lazy_curl.c — libcurl's functions as atelier calls them, loading libcurl (and with it
 * TLS, HTTP/2, LDAP, Kerberos...) on the first call: a run that makes no request never
 * maps it. */
#ifdef ATELIER_LAZY
#define CURL_DISABLE_TYPECHECK /* its checks are for callers; these are the functions */
#include <curl/curl.h>
#include <stdarg.h>

#include "lazy.h"

#ifndef LAZY_SO_CURL
#define LAZY_SO_CURL "libcurl.so.4"
#endif
#define LAZY_THIS lazy_curl

#define PLAIN(F, V)                                                                                      \
  V(curl_easy_cleanup, (CURL * a0), (a0))                                                                \
  F(CURL *, curl_easy_init, (void), ())                                                                  \
  F(CURLcode, curl_easy_perform, (CURL * a0), (a0))                                                      \
  V(curl_easy_reset, (CURL * a0), (a0))                                                                  \
  F(const char *, curl_easy_strerror, (CURLcode a0), (a0))                                               \
  V(curl_free, (void *a0), (a0))                                                                         \
  F(CURLcode, curl_global_init, (long a0), (a0))                                                         \
  F(CURLMcode, curl_multi_add_handle, (CURLM * a0, CURL *a1), (a0, a1))                                  \
  F(CURLMcode, curl_multi_cleanup, (CURLM * a0), (a0))                                                   \
  F(CURLMsg *, curl_multi_info_read, (CURLM * a0, int *a1), (a0, a1))                                    \
  F(CURLM *, curl_multi_init, (void), ())                                                                \
  F(CURLMcode, curl_multi_perform, (CURLM * a0, int *a1), (a0, a1))                                      \
  F(CURLMcode, curl_multi_poll, (CURLM * a0, struct curl_waitfd a1[], unsigned int a2, int a3, int *a4), \
    (a0, a1, a2, a3, a4))                                                                                \
  F(CURLMcode, curl_multi_remove_handle, (CURLM * a0, CURL *a1), (a0, a1))                               \
  F(const char *, curl_multi_strerror, (CURLMcode a0), (a0))                                             \
  F(struct curl_slist *, curl_slist_append, (struct curl_slist * a0, const char *a1), (a0, a1))          \
  V(curl_slist_free_all, (struct curl_slist * a0), (a0))                                                 \
  F(CURLU *, curl_url, (void), ())                                                                       \
  V(curl_url_cleanup, (CURLU * a0), (a0))                                                                \
  F(CURLUcode, curl_url_get, (CURLU * a0, CURLUPart a1, char **a2, unsigned int a3), (a0, a1, a2, a3))   \
  F(CURLUcode, curl_url_set, (CURLU * a0, CURLUPart a1, const char *a2, unsigned int a3), (a0, a1, a2, a3))
/* Written out below: the variadic two, and a cleanup that loads nothing. */
#define SPECIAL(F, V) F(, curl_easy_setopt, , ) F(, curl_easy_getinfo, , ) V(curl_global_cleanup, , )
#define ALL(F, V) PLAIN(F, V) SPECIAL(F, V)

LAZY_TABLE(LAZY_SO_CURL, ALL)
PLAIN(LAZY_DEF_F, LAZY_DEF_V)
LAZY_DEF_CLEANUP(curl_global_cleanup, (void), ())

/* The option's number says its argument's type (curl.h, CURLOPTTYPE_*), which is how
 * libcurl itself reads it: the value is taken with that type and passed on as one. */
CURLcode(curl_easy_setopt)(CURL *h, CURLoption opt, ...) {
  va_list ap;
  va_start(ap, opt);
  CURLcode rc;
  if (opt < CURLOPTTYPE_OBJECTPOINT) rc = LAZY_FN(curl_easy_setopt)(h, opt, va_arg(ap, long));
  else if (opt < CURLOPTTYPE_FUNCTIONPOINT) rc = LAZY_FN(curl_easy_setopt)(h, opt, va_arg(ap, void *));
  else if (opt < CURLOPTTYPE_OFF_T) rc = LAZY_FN(curl_easy_setopt)(h, opt, va_arg(ap, void (*)(void)));
  else if (opt < CURLOPTTYPE_BLOB) rc = LAZY_FN(curl_easy_setopt)(h, opt, va_arg(ap, curl_off_t));
  else rc = LAZY_FN(curl_easy_setopt)(h, opt, va_arg(ap, void *));
  va_end(ap);
  return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode(curl_easy_getinfo)(CURL *h, CURLINFO info, ...) {
  va_list ap;
  va_start(ap, info);
  CURLcode rc = LAZY_FN(curl_easy_getinfo)(h, info, va_arg(ap, void *));
  va_end(ap);
  return rc;
}
#else
typedef int lazy_curl_unused; /* LAZY=0: linked with -lcurl instead */
#endif
