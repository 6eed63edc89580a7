/* test_sha256.c — SHA-256 against the FIPS 180-2 vectors, block-boundary lengths
 * (checked with Python's hashlib), streaming in pieces, and files. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runtime/base/sha256.h"
#include "unit.h"

static const char *hex_of(const void *p, size_t n) {
  static char hex[SHA256_HEX_LEN + 1];
  sha256_hex(p, n, hex);
  return hex;
}

TEST(sha256_matches_the_fips_180_vectors) {
  CHECK_STR(hex_of("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_STR(hex_of("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK_STR(hex_of(m448, strlen(m448)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const char *m896 =
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqr"
      "stn"
      "opqrstu";
  CHECK_STR(hex_of(m896, strlen(m896)), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  /* one million 'a', fed in uneven pieces */
  sha256_ctx c;
  sha256_init(&c);
  char a[1000];
  memset(a, 'a', sizeof a);
  size_t left = 1000000, piece = 1;
  while (left) {
    size_t n = piece < left ? piece : left;
    sha256_update(&c, a, n);
    left -= n;
    piece = piece % 977 + 13; /* stays below sizeof a */
  }
  uint8_t d[SHA256_LEN];
  char hex[SHA256_HEX_LEN + 1];
  CHECK(sha256_final(&c, d));
  sha256_to_hex(d, hex);
  CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(sha256_pads_correctly_at_every_block_boundary) {
  uint8_t data[1000];
  for (int i = 0; i < 1000; i++) data[i] = (uint8_t)((i * 7 + 3) & 255);
  static const struct {
    size_t n;
    const char *hex;
  } v[] = {{55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
           {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
           {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
           {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
           {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
           {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
           {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
           {1000, "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371"}};
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
    CHECK_STR(hex_of(data, v[i].n), v[i].hex);
    /* the same bytes split at every point give the same digest */
    for (size_t cut = 0; cut <= v[i].n; cut += 7) {
      sha256_ctx c;
      sha256_init(&c);
      sha256_update(&c, data, cut);
      sha256_update(&c, data + cut, v[i].n - cut);
      uint8_t d[SHA256_LEN];
      char hex[SHA256_HEX_LEN + 1];
      CHECK(sha256_final(&c, d));
      sha256_to_hex(d, hex);
      if (strcmp(hex, v[i].hex) != 0)
        unit_fail(__FILE__, __LINE__, "length %zu cut at %zu differs", v[i].n, cut);
    }
  }
}

TEST(sha256_hashes_files_and_names_what_it_cannot_read) {
  char path[] = "/tmp/atelier-sha-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  CHECK(write(fd, "abc", 3) == 3);
  close(fd);
  char hex[SHA256_HEX_LEN + 1], err[200];
  uint64_t size = 0;
  REQUIRE(sha256_file(path, 100, hex, &size, err, sizeof err));
  CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_INT(size, 3);
  CHECK(!sha256_file(path, 2, hex, &size, err, sizeof err)); /* over the bound */
  CHECK(strstr(err, "larger than 2 bytes") != NULL);
  unlink(path);
  CHECK(!sha256_file(path, 100, hex, &size, err, sizeof err));
  CHECK(strstr(err, path) != NULL);
  CHECK(!sha256_file("/dev/zero", 100, hex, &size, err, sizeof err)); /* would never end */
  CHECK(strstr(err, "not a regular file") != NULL);
  CHECK(mkfifo(path, 0600) == 0);
  CHECK(!sha256_file(path, 100, hex, &size, err, sizeof err)); /* would wait for a writer */
  CHECK(strstr(err, "not a regular file") != NULL);
  unlink(path);
}

TEST(sha256_is_hex_accepts_only_our_lowercase_digests) {
  CHECK(sha256_is_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  CHECK(!sha256_is_hex("BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  CHECK(!sha256_is_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"));
  CHECK(!sha256_is_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0"));
  CHECK(!sha256_is_hex("../../etc/passwd"));
  CHECK(!sha256_is_hex(NULL));
}

/* libcrypto's context is on the heap: a context given up is released (the ASan and
 * valgrind runs of this test report a leak otherwise) and yields no digest. */
TEST(sha256_discard_releases_a_context_and_final_then_refuses) {
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, "abc", 3);
  sha256_discard(&c);
  sha256_discard(&c); /* twice is harmless */
  uint8_t d[SHA256_LEN];
  memset(d, 0xAA, sizeof d);
  CHECK(!sha256_final(&c, d));
  CHECK(d[0] == 0 && d[SHA256_LEN - 1] == 0);
  sha256_init(&c); /* and it can be used again */
  sha256_update(&c, "abc", 3);
  CHECK(sha256_final(&c, d));
  char hex[SHA256_HEX_LEN + 1];
  sha256_to_hex(d, hex);
  CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
