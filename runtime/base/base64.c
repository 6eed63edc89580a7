/* base64.c — strict one-pass base64 and data: URIs (see base64.h for the policy).
 *
 * Decoding speed comes from four 256-entry tables that map a character straight to its
 * bits already shifted into place in a little-endian 32-bit word (the modp_b64 trick):
 * one group of 4 characters is 4 loads and 3 ORs, and an invalid character carries bit 24,
 * so a whole run of groups is validated by one test. The fast loop takes 16 characters
 * (12 bytes) per iteration and writes with two 8-byte stores; everything unusual (the last
 * group, padding, whitespace, errors) goes through a small scalar path one group at a time,
 * after which the fast loop resumes. */
#include "base64.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char ENC[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Sextet value of a character, 255 when outside the alphabet (compile-time tables). */
#define SX(c)                                    \
  ((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'        \
   : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26   \
   : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52   \
   : (c) == '+'               ? 62               \
   : (c) == '/'               ? 63               \
                              : 255)
#define BAD 0x01FFFFFFu
#define T0(c) (SX(c) == 255 ? BAD : (uint32_t)SX(c) << 2)
#define T1(c) (SX(c) == 255 ? BAD : ((uint32_t)SX(c) >> 4) | (((uint32_t)SX(c) & 15) << 12))
#define T2(c) (SX(c) == 255 ? BAD : (((uint32_t)SX(c) >> 2) << 8) | (((uint32_t)SX(c) & 3) << 22))
#define T3(c) (SX(c) == 255 ? BAD : (uint32_t)SX(c) << 16)
#define TV(c) ((uint8_t)SX(c))
#define R4(f, n) f(n), f(n + 1), f(n + 2), f(n + 3)
#define R16(f, n) R4(f, n), R4(f, n + 4), R4(f, n + 8), R4(f, n + 12)
#define R64(f, n) R16(f, n), R16(f, n + 16), R16(f, n + 32), R16(f, n + 48)
#define R256(f) R64(f, 0), R64(f, 64), R64(f, 128), R64(f, 192)

static const uint32_t D0[256] = {R256(T0)};
static const uint32_t D1[256] = {R256(T1)};
static const uint32_t D2[256] = {R256(T2)};
static const uint32_t D3[256] = {R256(T3)};
static const uint8_t SEXTET[256] = {R256(TV)};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define B64_FAST 1
#else
#define B64_FAST 0
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define B64_SSSE3 1
#include <cpuid.h>
#include <immintrin.h>

/* SSSE3 decoding, 16 characters -> 12 bytes per step (the Mula/Lemire method as in
 * aklomp/base64): two pshufb lookups on the nibbles classify all 16 characters at once
 * (any invalid one, '=' and whitespace included, makes lo & hi non-zero and stops the
 * loop, leaving that block to the careful path), a third maps each class to the offset
 * that turns the character into its 6-bit value, and two multiply-adds pack the bits.
 * Returns the number of characters consumed (a multiple of 16). x86-64 only guarantees
 * SSE2, so this is compiled for SSSE3 and chosen at run time. */
__attribute__((target("ssse3"))) static size_t dec_ssse3(const uint8_t *s, size_t n, uint8_t *o, size_t cap) {
  const __m128i lut_lo = _mm_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A,
                                       0x1B, 0x1B, 0x1B, 0x1A);
  const __m128i lut_hi = _mm_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10,
                                       0x10, 0x10, 0x10, 0x10);
  const __m128i lut_roll = _mm_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m128i mask_2f = _mm_set1_epi8(0x2f);
  const __m128i pack1 = _mm_set1_epi32(0x01400140), pack2 = _mm_set1_epi32(0x00011000);
  const __m128i order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  size_t i = 0, oi = 0;
  while (n - i >= 16 && cap - oi >= 16) { /* the 16-byte store writes 4 bytes of slack */
    __m128i str = _mm_loadu_si128((const __m128i *)(s + i));
    __m128i hi_nib = _mm_and_si128(_mm_srli_epi32(str, 4), mask_2f);
    __m128i lo_nib = _mm_and_si128(str, mask_2f);
    __m128i hi = _mm_shuffle_epi8(lut_hi, hi_nib), lo = _mm_shuffle_epi8(lut_lo, lo_nib);
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128())) != 0xFFFF) break;
    __m128i roll = _mm_shuffle_epi8(lut_roll, _mm_add_epi8(_mm_cmpeq_epi8(str, mask_2f), hi_nib));
    str = _mm_add_epi8(str, roll);
    __m128i out = _mm_madd_epi16(_mm_maddubs_epi16(str, pack1), pack2);
    _mm_storeu_si128((__m128i *)(o + oi), _mm_shuffle_epi8(out, order));
    i += 16;
    oi += 12;
  }
  return i;
}

/* The same on AVX2, 32 characters -> 24 bytes per step: pshufb works within each 128-bit
 * lane, so the tables are repeated per lane and a final cross-lane permute joins the two
 * 12-byte halves. */
__attribute__((target("avx2"))) static size_t dec_avx2(const uint8_t *s, size_t n, uint8_t *o, size_t cap) {
  const __m256i lut_lo = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A,
                                          0x1B, 0x1B, 0x1B, 0x1A, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
  const __m256i lut_hi = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 19, 4,
                                            -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i mask_2f = _mm256_set1_epi8(0x2f);
  const __m256i pack1 = _mm256_set1_epi32(0x01400140), pack2 = _mm256_set1_epi32(0x00011000);
  const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4,
                                         10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
  size_t i = 0, oi = 0;
  while (n - i >= 32 && cap - oi >= 32) {
    __m256i str = _mm256_loadu_si256((const __m256i *)(s + i));
    __m256i hi_nib = _mm256_and_si256(_mm256_srli_epi32(str, 4), mask_2f);
    __m256i lo_nib = _mm256_and_si256(str, mask_2f);
    __m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nib), lo = _mm256_shuffle_epi8(lut_lo, lo_nib);
    if (!_mm256_testz_si256(lo, hi)) break;
    __m256i roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(_mm256_cmpeq_epi8(str, mask_2f), hi_nib));
    str = _mm256_add_epi8(str, roll);
    __m256i out = _mm256_madd_epi16(_mm256_maddubs_epi16(str, pack1), pack2);
    out = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(out, order), lanes);
    _mm256_storeu_si256((__m256i *)(o + oi), out);
    i += 32;
    oi += 24;
  }
  return i;
}

/* Asks the CPU itself (cpuid), on the first decode. __builtin_cpu_supports would link
 * libgcc's constructor that runs cpuid at every start of the program, decode or not, and
 * cpuid is slow under a hypervisor, which traps it. AVX2 also needs the OS to save the
 * YMM registers (OSXSAVE, and XCR0's SSE and AVX bits). */
static int cpu_level(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  int level = (c & bit_SSSE3) ? 1 : 0;
  if (level && (c & bit_OSXSAVE)) {
    unsigned xlo, xhi;
    __asm__("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    (void)xhi;
    if ((xlo & 6) == 6 && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX2)) level = 2;
  }
  return level;
}

/* 2 = AVX2, 1 = SSSE3, 0 = neither. Decoders run on several threads (fashn-emu, the
 * lookbook's workers): racing first calls store the same answer, atomically. */
static int simd_level(void) {
  static int cached = -1;
  int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (v < 0) {
    v = cpu_level();
    __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
  }
  return v;
}
#else
#define B64_SSSE3 0
#endif

size_t b64_encoded_len(size_t n) {
  size_t groups = n / 3 + (n % 3 != 0);
  if (groups > SIZE_MAX / 4) return 0;
  return groups * 4;
}

size_t b64_decoded_max(size_t n) { return (n / 4 + (n % 4 != 0)) * 3; }

void b64_encode(const void *src, size_t n, char *dst) {
  const uint8_t *s = src;
  size_t i = 0;
  char *o = dst;
  for (; n - i >= 3; i += 3, o += 4) {
    uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
    o[0] = ENC[v >> 18];
    o[1] = ENC[(v >> 12) & 63];
    o[2] = ENC[(v >> 6) & 63];
    o[3] = ENC[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)s[i] << 16;
    o[0] = ENC[v >> 18];
    o[1] = ENC[(v >> 12) & 63];
    o[2] = o[3] = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
    o[0] = ENC[v >> 18];
    o[1] = ENC[(v >> 12) & 63];
    o[2] = ENC[(v >> 6) & 63];
    o[3] = '=';
  }
}

bool b64_encode_buf(buf *out, const void *src, size_t n) {
  size_t len = b64_encoded_len(n);
  if (n && !len) {
    out->oom = true;
    return false;
  }
  if (!buf_reserve(out, len)) return false;
  b64_encode(src, n, out->data + out->len);
  out->len += len;
  out->data[out->len] = '\0';
  return true;
}

static bool is_ws(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static b64_status fail(b64_status st, size_t at, size_t *err_offset) {
  if (err_offset) *err_offset = at;
  return st;
}

b64_status b64_decode(const char *src, size_t n, unsigned flags, void *dst, size_t dst_cap,
                      size_t *out_len, size_t *err_offset) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *o = dst;
  size_t i = 0, oi = 0;
  const bool ws = flags & B64_WHITESPACE;
  if (out_len) *out_len = 0;
  for (;;) {
#if B64_SSSE3
    int level = n - i >= 16 ? simd_level() : 0;
    if (level == 2) {
      size_t used = dec_avx2(s + i, n - i, o + oi, dst_cap - oi);
      i += used;
      oi += used / 4 * 3;
    }
    if (level >= 1) { /* also the AVX2 loop's last 16..31 characters */
      size_t used = dec_ssse3(s + i, n - i, o + oi, dst_cap - oi);
      i += used;
      oi += used / 4 * 3;
    }
#endif
#if B64_FAST
    /* 16 characters -> 12 bytes; each 8-byte store writes 2 bytes past its 6, which the
     * next store (or a later group) overwrites, hence the 14-byte room condition. */
    while (n - i >= 16 && dst_cap - oi >= 14) {
      const uint8_t *p = s + i;
      uint32_t x0 = D0[p[0]] | D1[p[1]] | D2[p[2]] | D3[p[3]];
      uint32_t x1 = D0[p[4]] | D1[p[5]] | D2[p[6]] | D3[p[7]];
      uint32_t x2 = D0[p[8]] | D1[p[9]] | D2[p[10]] | D3[p[11]];
      uint32_t x3 = D0[p[12]] | D1[p[13]] | D2[p[14]] | D3[p[15]];
      if ((x0 | x1 | x2 | x3) >> 24) break; /* something unusual: the scalar path decides */
      uint64_t v0 = x0 | (uint64_t)x1 << 24, v1 = x2 | (uint64_t)x3 << 24;
      memcpy(o + oi, &v0, 8);
      memcpy(o + oi + 6, &v1, 8);
      i += 16;
      oi += 12;
    }
#endif
    /* One group the careful way: skip whitespace if allowed, stop at '=' or the end. */
    uint8_t q[4];
    size_t pos[4];
    int k = 0;
    while (k < 4 && i < n) {
      uint8_t c = s[i];
      uint8_t v = SEXTET[c];
      if (v < 64) {
        q[k] = v;
        pos[k++] = i++;
      } else if (ws && is_ws(c)) {
        i++;
      } else if (c == '=') {
        break;
      } else {
        return fail(B64_EBADCHAR, i, err_offset);
      }
    }
    if (k == 4) {
      if (dst_cap - oi < 3) return fail(B64_ENOSPACE, pos[0], err_offset);
      o[oi++] = (uint8_t)(q[0] << 2 | q[1] >> 4);
      o[oi++] = (uint8_t)(q[1] << 4 | q[2] >> 2);
      o[oi++] = (uint8_t)(q[2] << 6 | q[3]);
      continue;
    }
    if (k == 0 && i == n) break; /* clean end */
    if (i < n) {                  /* s[i] == '=': padding must complete the group, then end */
      if (k < 2) return fail(B64_EPADDING, i, err_offset);
      int need = 4 - k;
      while (need && i < n) {
        if (s[i] == '=') need--;
        else if (!(ws && is_ws(s[i]))) return fail(B64_EPADDING, i, err_offset);
        i++;
      }
      if (need) return fail(B64_ETRUNCATED, n, err_offset);
      while (i < n && ws && is_ws(s[i])) i++;
      if (i < n) return fail(B64_EPADDING, i, err_offset);
    } else if (!(flags & B64_NOPAD) || k < 2) {
      return fail(B64_ETRUNCATED, n, err_offset);
    }
    /* A final group of k characters carries k-1 bytes; its unused low bits must be 0. */
    if (k == 2 && (q[1] & 15)) return fail(B64_ETRAILINGBITS, pos[1], err_offset);
    if (k == 3 && (q[2] & 3)) return fail(B64_ETRAILINGBITS, pos[2], err_offset);
    if (dst_cap - oi < (size_t)(k - 1)) return fail(B64_ENOSPACE, pos[0], err_offset);
    o[oi++] = (uint8_t)(q[0] << 2 | q[1] >> 4);
    if (k == 3) o[oi++] = (uint8_t)(q[1] << 4 | q[2] >> 2);
    break;
  }
  if (out_len) *out_len = oi;
  return B64_OK;
}

const char *b64_strerror(b64_status s) {
  switch (s) {
  case B64_OK: return "ok";
  case B64_EBADCHAR: return "invalid base64 character";
  case B64_EPADDING: return "misplaced base64 padding";
  case B64_ETRUNCATED: return "base64 input ends inside a group";
  case B64_ENOSPACE: return "output buffer too small";
  case B64_ETRAILINGBITS: return "non-zero unused bits in the last base64 character";
  }
  return "unknown base64 error";
}

/* Describes a failure of b64_decode at `off` (relative to the base64 text), reporting the
 * offset as off + shift (so a data: URI's errors count from the start of the URI). */
static void describe(char *err, size_t errlen, b64_status st, const char *src, size_t n,
                     size_t off, size_t shift) {
  if (!err || !errlen) return;
  if (st == B64_EBADCHAR && off < n) {
    uint8_t c = (uint8_t)src[off];
    if (c >= 0x20 && c < 0x7f)
      snprintf(err, errlen, "invalid base64 character '%c' (0x%02x) at offset %zu", c, c, off + shift);
    else snprintf(err, errlen, "invalid base64 byte 0x%02x at offset %zu", c, off + shift);
  } else if (st == B64_ETRUNCATED) {
    snprintf(err, errlen, "base64 input ends inside a group at offset %zu (%zu characters, "
             "not a multiple of 4, or padding missing)", off + shift, n);
  } else {
    snprintf(err, errlen, "%s at offset %zu", b64_strerror(st), off + shift);
  }
}

static bool decode_into(buf *out, const char *src, size_t n, unsigned flags, char *err,
                        size_t errlen, size_t shift) {
  size_t max = b64_decoded_max(n);
  if (!buf_reserve(out, max)) {
    if (err && errlen) snprintf(err, errlen, "out of memory decoding %zu base64 characters", n);
    return false;
  }
  size_t got = 0, off = 0;
  b64_status st = b64_decode(src, n, flags, out->data + out->len, max, &got, &off);
  if (st != B64_OK) {
    describe(err, errlen, st, src, n, off, shift);
    out->data[out->len] = '\0';
    return false;
  }
  out->len += got;
  out->data[out->len] = '\0';
  return true;
}

bool b64_decode_buf(buf *out, const char *src, size_t n, unsigned flags, char *err,
                    size_t errlen) {
  return decode_into(out, src, n, flags, err, errlen, 0);
}

/* --- data: URIs ------------------------------------------------------------------------ */

static bool is_token_char(uint8_t c) { /* RFC 2045 token, minus '/' handled by the caller */
  return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

static bool prefix_ci(const char *s, size_t n, const char *p) {
  size_t m = strlen(p);
  if (n < m) return false;
  for (size_t i = 0; i < m; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != p[i]) return false;
  }
  return true;
}

static bool errf(char *err, size_t errlen, const char *msg) {
  if (err && errlen) snprintf(err, errlen, "%s", msg);
  return false;
}

bool data_uri_parse(const char *uri, size_t n, unsigned flags, size_t max_decoded,
                    char mime[DATA_URI_MIME_MAX], buf *out, char *err, size_t errlen) {
  mime[0] = '\0';
  if (!prefix_ci(uri, n, "data:")) return errf(err, errlen, "not a data: URI (no \"data:\" prefix)");
  size_t i = 5;
  /* type "/" subtype, both tokens */
  size_t start = i, slash = 0;
  while (i < n && uri[i] != ';' && uri[i] != ',') {
    uint8_t c = (uint8_t)uri[i];
    if (c == '/' && !slash && i > start) slash = i;
    else if (!is_token_char(c)) return errf(err, errlen, "data: URI has a malformed mime type");
    i++;
  }
  if (!slash || slash + 1 == i) return errf(err, errlen, "data: URI has no mime type (expected e.g. data:image/png;base64,...)");
  if (i - start >= DATA_URI_MIME_MAX) return errf(err, errlen, "data: URI mime type is too long");
  for (size_t k = start; k < i; k++) {
    char c = uri[k];
    mime[k - start] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  mime[i - start] = '\0';
  /* parameters; the last one must be "base64" */
  bool is_b64 = false;
  while (i < n && uri[i] == ';') {
    size_t p = ++i;
    while (i < n && uri[i] != ';' && uri[i] != ',') i++;
    is_b64 = (i - p == 6 && prefix_ci(uri + p, 6, "base64"));
    if (!is_b64) {
      const char *eq = memchr(uri + p, '=', i - p);
      if (!eq || eq == uri + p) return errf(err, errlen, "data: URI has a malformed parameter");
    }
  }
  if (i >= n) return errf(err, errlen, "data: URI has no ',' before its data");
  if (!is_b64) return errf(err, errlen, "data: URI is not base64 (\";base64,\" expected before the data)");
  i++; /* past ',' */
  const char *payload = uri + i;
  size_t plen = n - i;
  static const char expired[] = "_expired";
  if (plen >= sizeof expired - 1 && memcmp(payload + plen - (sizeof expired - 1), expired, sizeof expired - 1) == 0)
    return errf(err, errlen, "data: URI has expired (the API keeps base64 outputs for 60 minutes)");
  if (plen == 0) return errf(err, errlen, "data: URI has no data");
  /* Whitespace only shrinks the output, so the bound on characters is a bound on bytes. */
  if (max_decoded && plen / 4 * 3 > max_decoded + 2) {
    if (err && errlen)
      snprintf(err, errlen, "data: URI decodes to about %zu bytes, more than the %zu-byte limit",
               plen / 4 * 3, max_decoded);
    return false;
  }
  size_t before = out->len;
  if (!decode_into(out, payload, plen, flags, err, errlen, i)) return false;
  if (max_decoded && out->len - before > max_decoded) {
    if (err && errlen)
      snprintf(err, errlen, "data: URI decodes to %zu bytes, more than the %zu-byte limit",
               out->len - before, max_decoded);
    out->len = before;
    out->data[before] = '\0';
    return false;
  }
  return true;
}

bool data_uri_build(buf *out, const char *mime, const void *data, size_t n) {
  if (!buf_append_str(out, "data:") || !buf_append_str(out, mime) || !buf_append_str(out, ";base64,"))
    return false;
  return b64_encode_buf(out, data, n);
}
