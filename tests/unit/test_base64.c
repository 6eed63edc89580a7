/* test_base64.c — base64 encode/decode (strict policy, offsets of errors) and data: URIs. */
#include <stdint.h>
#include <stdlib.h>

#include "../../runtime/base/base64.h"
#include "unit.h"

static const char *enc(const char *s) {
  static char out[256];
  size_t n = strlen(s);
  b64_encode(s, n, out);
  out[b64_encoded_len(n)] = '\0';
  return out;
}

/* Decodes s with flags into an exactly-sized heap block (ASan catches any overrun). */
static b64_status dec(const char *s, unsigned flags, char *out, size_t *len, size_t *off) {
  size_t n = strlen(s), cap = b64_decoded_max(n);
  uint8_t *tmp = malloc(cap ? cap : 1);
  b64_status st = b64_decode(s, n, flags, tmp, cap, len, off);
  if (st == B64_OK) {
    memcpy(out, tmp, *len);
    out[*len] = '\0';
  }
  free(tmp);
  return st;
}

TEST(base64_encodes_the_rfc4648_vectors) {
  CHECK_STR(enc(""), "");
  CHECK_STR(enc("f"), "Zg==");
  CHECK_STR(enc("fo"), "Zm8=");
  CHECK_STR(enc("foo"), "Zm9v");
  CHECK_STR(enc("foob"), "Zm9vYg==");
  CHECK_STR(enc("fooba"), "Zm9vYmE=");
  CHECK_STR(enc("foobar"), "Zm9vYmFy");
  CHECK_INT(b64_encoded_len(0), 0);
  CHECK_INT(b64_encoded_len(4), 8);
  CHECK_INT(b64_encoded_len(SIZE_MAX), 0); /* overflow is reported as 0 */
}

TEST(base64_decodes_the_rfc4648_vectors) {
  const char *in[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  const char *want[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
    char out[64];
    size_t len = 99, off = 0;
    REQUIRE_INT(dec(in[i], 0, out, &len, &off), B64_OK);
    CHECK_STR(out, want[i]);
  }
}

TEST(base64_round_trips_every_length_and_byte_with_exact_buffers) {
  uint32_t seed = 12345;
  for (size_t n = 0; n < 700; n++) {
    uint8_t *src = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      src[i] = (uint8_t)(seed >> 16);
    }
    size_t elen = b64_encoded_len(n);
    char *e = malloc(elen + 1);
    b64_encode(src, n, e);
    uint8_t *d = malloc(n ? n : 1); /* exactly the decoded size: the fast path must not overrun */
    size_t got = 0, off = 0;
    b64_status st = b64_decode(e, elen, 0, d, n, &got, &off);
    if (st != B64_OK || got != n || (n && memcmp(d, src, n) != 0))
      unit_fail(__FILE__, __LINE__, "round trip of %zu bytes failed (status %d at %zu)", n, st, off);
    free(src);
    free(e);
    free(d);
  }
}

TEST(base64_rejects_bad_characters_with_their_offset) {
  struct {
    const char *s;
    b64_status st;
    size_t off;
  } cases[] = {
      {"Zm9v!m9v", B64_EBADCHAR, 4},
      {"Zm9vZm9vZm9vZm9vZm9vZm9v-m9v", B64_EBADCHAR, 24}, /* found after the fast path */
      {"Zm9vZm9vZm9v_m9vZm9vZm9vZm9v", B64_EBADCHAR, 12}, /* inside a fast-path block */
      {"Zm9v Zm9v", B64_EBADCHAR, 4},                    /* whitespace is not allowed by default */
      {"Zm9v\nZm9v", B64_EBADCHAR, 4},
      {"Zm\x80v", B64_EBADCHAR, 2},
      {"Zm9", B64_ETRUNCATED, 3},
      {"Z", B64_ETRUNCATED, 1},
      {"Zg=", B64_ETRUNCATED, 3},
      {"=Zm9", B64_EPADDING, 0},
      {"Z===", B64_EPADDING, 1},
      {"Zg==Zm9v", B64_EPADDING, 4}, /* data after padding */
      {"Zm=v", B64_EPADDING, 3},
      {"Zg===", B64_EPADDING, 4},
      {"Zh==", B64_ETRAILINGBITS, 1}, /* 'h' leaves non-zero bits: not the canonical "Zg==" */
      {"Zm9=", B64_ETRAILINGBITS, 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char out[64];
    size_t len = 0, off = 999;
    b64_status st = dec(cases[i].s, 0, out, &len, &off);
    if (st != cases[i].st || off != cases[i].off)
      unit_fail(__FILE__, __LINE__, "\"%s\": status %d at %zu, expected %d at %zu", cases[i].s, st, off,
                cases[i].st, cases[i].off);
  }
}

TEST(base64_whitespace_and_missing_padding_only_when_asked) {
  char out[64];
  size_t len, off;
  REQUIRE_INT(dec(" Zm9v\r\nYmFy\t", B64_WHITESPACE, out, &len, &off), B64_OK);
  CHECK_STR(out, "foobar");
  REQUIRE_INT(dec("Zm9vYg = =\n", B64_WHITESPACE, out, &len, &off), B64_OK);
  CHECK_STR(out, "foob");
  REQUIRE_INT(dec("Zm9vYg", B64_NOPAD, out, &len, &off), B64_OK);
  CHECK_STR(out, "foob");
  REQUIRE_INT(dec("Zm9vYmE", B64_NOPAD, out, &len, &off), B64_OK);
  CHECK_STR(out, "fooba");
  CHECK_INT(dec("Zm9vYmE=", B64_NOPAD, out, &len, &off), B64_OK); /* padding still accepted */
  CHECK_INT(dec("Zm9vY", B64_NOPAD, out, &len, &off), B64_ETRUNCATED); /* 1 char is no byte */
  CHECK_INT(dec("Zm9vYh", B64_NOPAD, out, &len, &off), B64_ETRAILINGBITS);
  CHECK_INT(dec("Zm9vYg", 0, out, &len, &off), B64_ETRUNCATED);
  CHECK_INT(off, 6);
  /* MIME-style wrapping of a long text goes through fast and slow paths alternately */
  const char *wrapped = "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy\nZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy\n";
  REQUIRE_INT(dec(wrapped, B64_WHITESPACE, out, &len, &off), B64_OK);
  REQUIRE_INT(len, 48);
  CHECK(memcmp(out, "foobarfoobar", 12) == 0 && memcmp(out + 36, "foobarfoobar", 12) == 0);
}

TEST(base64_reports_a_too_small_output_buffer) {
  uint8_t small[2];
  size_t len, off;
  CHECK_INT(b64_decode("Zm9v", 4, 0, small, sizeof small, &len, &off), B64_ENOSPACE);
}

TEST(base64_decode_buf_appends_and_explains_errors) {
  buf b = BUF_INIT;
  buf_append_str(&b, "x:");
  char err[160] = "";
  CHECK(b64_decode_buf(&b, "Zm9vYmFy", 8, 0, err, sizeof err));
  CHECK_STR(b.data, "x:foobar");
  CHECK(!b64_decode_buf(&b, "Zm9v%m9v", 8, 0, err, sizeof err));
  CHECK_STR(err, "invalid base64 character '%' (0x25) at offset 4");
  CHECK_STR(b.data, "x:foobar"); /* untouched on failure */
  CHECK(b64_encode_buf(&b, "hi", 2));
  CHECK_STR(b.data, "x:foobaraGk=");
  buf_free(&b);
}

TEST(data_uri_parses_mime_and_payload) {
  buf b = BUF_INIT;
  char mime[DATA_URI_MIME_MAX], err[200] = "";
  const char *u = "DATA:Image/PNG;base64,Zm9vYmFy";
  REQUIRE(data_uri_parse(u, strlen(u), 0, 0, mime, &b, err, sizeof err));
  CHECK_STR(mime, "image/png");
  CHECK_STR(b.data, "foobar");
  buf_reset(&b);
  u = "data:image/jpeg;name=a.jpg;BASE64,Zm8=";
  REQUIRE(data_uri_parse(u, strlen(u), 0, 0, mime, &b, err, sizeof err));
  CHECK_STR(mime, "image/jpeg");
  CHECK_INT(b.len, 2);
  buf_free(&b);
}

TEST(data_uri_rejects_malformed_uris_with_reasons) {
  struct {
    const char *u;
    const char *msg;
  } cases[] = {
      {"http://x/a.png", "not a data: URI (no \"data:\" prefix)"},
      {"data:;base64,Zm9v", "data: URI has no mime type (expected e.g. data:image/png;base64,...)"},
      {"data:image;base64,Zm9v", "data: URI has no mime type (expected e.g. data:image/png;base64,...)"},
      {"data:image/;base64,Zm9v", "data: URI has no mime type (expected e.g. data:image/png;base64,...)"},
      {"data:ima ge/png;base64,Zm9v", "data: URI has a malformed mime type"},
      {"data:image/png,Zm9v", "data: URI is not base64 (\";base64,\" expected before the data)"},
      {"data:image/png;base64", "data: URI has no ',' before its data"},
      {"data:image/png;base64,", "data: URI has no data"},
      {"data:image/png;x;base64,Zm9v", "data: URI has a malformed parameter"},
      {"data:image/png;base64,Zm9vYmFy_expired", "data: URI has expired (the API keeps base64 outputs for 60 minutes)"},
      {"data:image/png;base64,Zm9v*mFy", "invalid base64 character '*' (0x2a) at offset 26"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    buf b = BUF_INIT;
    char mime[DATA_URI_MIME_MAX], err[200] = "";
    if (data_uri_parse(cases[i].u, strlen(cases[i].u), 0, 0, mime, &b, err, sizeof err))
      unit_fail(__FILE__, __LINE__, "accepted %s", cases[i].u);
    else CHECK_STR(err, cases[i].msg);
    CHECK_INT(b.len, 0);
    buf_free(&b);
  }
}

TEST(data_uri_enforces_the_decoded_size_limit_before_decoding) {
  buf b = BUF_INIT;
  char mime[DATA_URI_MIME_MAX], err[200] = "";
  const char *u = "data:image/png;base64,Zm9vYmFyZm9vYmFy"; /* 12 bytes */
  CHECK(!data_uri_parse(u, strlen(u), 0, 8, mime, &b, err, sizeof err));
  CHECK_STR(err, "data: URI decodes to about 12 bytes, more than the 8-byte limit");
  CHECK(data_uri_parse(u, strlen(u), 0, 12, mime, &b, err, sizeof err));
  CHECK_INT(b.len, 12);
  buf_free(&b);
}

TEST(data_uri_build_round_trips) {
  buf b = BUF_INIT, d = BUF_INIT;
  REQUIRE(data_uri_build(&b, "image/webp", "\x00\x01\x02\xff", 4));
  CHECK_STR(b.data, "data:image/webp;base64,AAEC/w==");
  char mime[DATA_URI_MIME_MAX], err[200];
  REQUIRE(data_uri_parse(b.data, b.len, 0, 0, mime, &d, err, sizeof err));
  CHECK_STR(mime, "image/webp");
  CHECK(d.len == 4 && memcmp(d.data, "\x00\x01\x02\xff", 4) == 0);
  buf_free(&b);
  buf_free(&d);
}

TEST(base64_simd_blocks_hand_bad_bytes_padding_and_whitespace_to_the_careful_path) {
  /* 96 characters: errors placed inside 32- and 16-character vector blocks */
  char s[97];
  for (int i = 0; i < 96; i++) s[i] = "Zm9vYmFy"[i % 8];
  s[96] = '\0';
  char out[128];
  size_t len, off;
  for (int at = 0; at < 96; at += 7) {
    char t[97];
    memcpy(t, s, 97);
    t[at] = '.';
    CHECK_INT(dec(t, 0, out, &len, &off), B64_EBADCHAR);
    CHECK_INT(off, at);
    t[at] = '\n';
    CHECK_INT(dec(t, 0, out, &len, &off), B64_EBADCHAR);
    char w[98];
    memcpy(w, s, (size_t)at);
    w[at] = '\n';
    memcpy(w + at + 1, s + at, (size_t)(97 - at));
    REQUIRE_INT(dec(w, B64_WHITESPACE, out, &len, &off), B64_OK);
    CHECK(len == 72 && memcmp(out, "foobarfoobar", 12) == 0 && memcmp(out + 60, "foobarfoobar", 12) == 0);
  }
}
