/* lazy_crypto.c — the libcrypto digests atelier calls (SHA-256 for job keys and stored
 * images), loading libcrypto on the first call. */
#ifdef ATELIER_LAZY
#include <openssl/evp.h>

#include "lazy.h"

#ifndef LAZY_SO_CRYPTO
#define LAZY_SO_CRYPTO "libcrypto.so.3"
#endif
#define LAZY_THIS lazy_crypto

#define ALL(F, V)                                                                                              \
  F(int, EVP_Digest, (const void *a0, size_t a1, unsigned char *a2, unsigned int *a3, const EVP_MD *a4,        \
                      ENGINE *a5),                                                                             \
    (a0, a1, a2, a3, a4, a5))                                                                                  \
  F(int, EVP_DigestFinal_ex, (EVP_MD_CTX * a0, unsigned char *a1, unsigned int *a2), (a0, a1, a2))             \
  F(int, EVP_DigestInit_ex, (EVP_MD_CTX * a0, const EVP_MD *a1, ENGINE *a2), (a0, a1, a2))                     \
  F(int, EVP_DigestUpdate, (EVP_MD_CTX * a0, const void *a1, size_t a2), (a0, a1, a2))                         \
  V(EVP_MD_CTX_free, (EVP_MD_CTX * a0), (a0))                                                                  \
  F(EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())                                                                  \
  F(const EVP_MD *, EVP_sha256, (void), ())

LAZY_TABLE(LAZY_SO_CRYPTO, ALL)
ALL(LAZY_DEF_F, LAZY_DEF_V)
#else
typedef int lazy_crypto_unused; /* LAZY=0: linked with -lcrypto instead */
#endif
