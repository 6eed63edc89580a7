/* lazy_mhd.c — libmicrohttpd's functions as the embedded emulator calls them, loading
 * libmicrohttpd (and its TLS library) only when an emulator is started. */
#ifdef ATELIER_LAZY
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "lazy.h"

#ifndef LAZY_SO_MICROHTTPD
#define LAZY_SO_MICROHTTPD "libmicrohttpd.so.12"
#endif
#define LAZY_THIS lazy_mhd

#define PLAIN(F, V)                                                                                            \
  F(enum MHD_Result, MHD_add_response_header, (struct MHD_Response * a0, const char *a1, const char *a2),       \
    (a0, a1, a2))                                                                                              \
  F(struct MHD_Response *, MHD_create_response_from_buffer,                                                    \
    (size_t a0, void *a1, enum MHD_ResponseMemoryMode a2), (a0, a1, a2))                                       \
  F(struct MHD_Response *, MHD_create_response_from_callback,                                                  \
    (uint64_t a0, size_t a1, MHD_ContentReaderCallback a2, void *a3, MHD_ContentReaderFreeCallback a4),        \
    (a0, a1, a2, a3, a4))                                                                                      \
  V(MHD_destroy_response, (struct MHD_Response * a0), (a0))                                                    \
  F(enum MHD_Result, MHD_is_feature_supported, (enum MHD_FEATURE a0), (a0))                                    \
  F(const char *, MHD_lookup_connection_value, (struct MHD_Connection * a0, enum MHD_ValueKind a1,             \
                                                const char *a2),                                               \
    (a0, a1, a2))                                                                                              \
  F(enum MHD_Result, MHD_queue_response, (struct MHD_Connection * a0, unsigned int a1,                         \
                                          struct MHD_Response *a2),                                            \
    (a0, a1, a2))                                                                                              \
  V(MHD_stop_daemon, (struct MHD_Daemon * a0), (a0))
/* MHD_start_daemon's options are variadic; it is defined below over MHD_start_daemon_va. */
#define ALL(F, V) PLAIN(F, V) F(, MHD_start_daemon_va, , )

LAZY_TABLE(LAZY_SO_MICROHTTPD, ALL)
PLAIN(LAZY_DEF_F, LAZY_DEF_V)

struct MHD_Daemon *(MHD_start_daemon)(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                      void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...) {
  va_list ap;
  va_start(ap, dh_cls);
  struct MHD_Daemon *d = LAZY_FN(MHD_start_daemon_va)(flags, port, apc, apc_cls, dh, dh_cls, ap);
  va_end(ap);
  return d;
}
#else
typedef int lazy_mhd_unused; /* LAZY=0: linked with -lmicrohttpd instead */
#endif
