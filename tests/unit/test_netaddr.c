/* test_netaddr.c — the one loopback rule: IP literals and localhost only, no lookalikes. */
#include <stdbool.h>

#include "../../runtime/io/http.h"
#include "../../runtime/io/netaddr.h"
#include "unit.h"

TEST(loopback_hosts_are_ip_literals_or_localhost) {
  CHECK(net_host_is_loopback("127.0.0.1"));
  CHECK(net_host_is_loopback("127.255.3.4"));
  CHECK(net_host_is_loopback("localhost"));
  CHECK(net_host_is_loopback("LOCALHOST"));
  CHECK(net_host_is_loopback("LocalHost"));
  CHECK(net_host_is_loopback("[::1]"));
  CHECK(net_host_is_loopback("::1"));
  CHECK(net_host_is_loopback("[0:0:0:0:0:0:0:1]")); /* the same IPv6 literal, long form */
  /* DNS names that only look like loopback */
  CHECK(!net_host_is_loopback("127.evil.example"));
  CHECK(!net_host_is_loopback("127.0.0.1.nip.io"));
  CHECK(!net_host_is_loopback("localhost.evil"));
  CHECK(!net_host_is_loopback("evil.localhost"));
  /* a trailing dot makes localhost a DNS name a resolver may send out: refused */
  CHECK(!net_host_is_loopback("localhost."));
  CHECK(!net_host_is_loopback("127.0.0.1."));
  /* short, hex, octal, integer spellings: parsers disagree, nobody needs them */
  CHECK(!net_host_is_loopback("0x7f.1"));
  CHECK(!net_host_is_loopback("0x7f.0.0.1"));
  CHECK(!net_host_is_loopback("2130706433"));
  CHECK(!net_host_is_loopback("0177.0.0.1"));
  CHECK(!net_host_is_loopback("127.0.0.01"));
  CHECK(!net_host_is_loopback("127.1"));
  CHECK(!net_host_is_loopback("127.0.1"));
  CHECK(!net_host_is_loopback("127.0.0.256"));
  CHECK(!net_host_is_loopback("127.0.0.1.1"));
  CHECK(!net_host_is_loopback("128.0.0.1"));
  CHECK(!net_host_is_loopback("0.0.0.0"));
  /* IPv4-mapped ::ffff:127.0.0.1 reaches loopback only on some OSes (dual-stack sockets):
   * a platform-dependent answer is refused. */
  CHECK(!net_host_is_loopback("[::ffff:127.0.0.1]"));
  CHECK(!net_host_is_loopback("::ffff:127.0.0.1"));
  CHECK(!net_host_is_loopback("[::1%25lo]"));
  CHECK(!net_host_is_loopback("[::1"));
  CHECK(!net_host_is_loopback("[::2]"));
  CHECK(!net_host_is_loopback(""));
  CHECK(!net_host_is_loopback(NULL));
}

TEST(loopback_urls_read_the_host_strictly) {
  CHECK(net_url_is_loopback("http://127.0.0.1/"));
  CHECK(net_url_is_loopback("http://127.0.0.1"));
  CHECK(net_url_is_loopback("http://127.0.0.1:8080/v1"));
  CHECK(net_url_is_loopback("HTTP://LOCALHOST:9/x"));
  CHECK(net_url_is_loopback("https://localhost?x"));
  CHECK(net_url_is_loopback("http://[::1]:9/x"));
  CHECK(net_url_is_loopback("http://[::1]#f"));
  CHECK(net_url_is_loopback("http://user@127.0.0.1:1/"));
  CHECK(net_url_is_loopback("http://user:pw@localhost/"));
  CHECK(!net_url_is_loopback("http://127.0.0.1@evil.example/"));
  CHECK(!net_url_is_loopback("http://127.0.0.1:80@evil.example/"));
  CHECK(!net_url_is_loopback("http://a@127.0.0.1@evil.example/"));
  CHECK(!net_url_is_loopback("http://evil.example@127.0.0.1@x/"));
  CHECK(!net_url_is_loopback("http://127.0.0.1\\@evil.example/"));
  CHECK(!net_url_is_loopback("http://127.evil.example:1/"));
  CHECK(!net_url_is_loopback("http://127.0.0.1.nip.io:1/"));
  CHECK(!net_url_is_loopback("http://0x7f.1/"));
  CHECK(!net_url_is_loopback("http://2130706433:80/"));
  CHECK(!net_url_is_loopback("http://0177.0.0.1/"));
  CHECK(!net_url_is_loopback("http://127.1:8080/"));
  CHECK(!net_url_is_loopback("http://[::ffff:127.0.0.1]:80/"));
  CHECK(!net_url_is_loopback("http://localhost.:80/"));
  CHECK(!net_url_is_loopback("http://localhost.evil:80/"));
  CHECK(!net_url_is_loopback("http://%31%32%37.0.0.1/"));
  CHECK(!net_url_is_loopback("http://127.0.0.1:/"));
  CHECK(!net_url_is_loopback("http://127.0.0.1:80x/"));
  CHECK(!net_url_is_loopback("http://127.0.0.1:123456/"));
  CHECK(!net_url_is_loopback("http://127.0.0.1 .evil/"));
  CHECK(!net_url_is_loopback("http:/127.0.0.1/"));
  CHECK(!net_url_is_loopback("ftp://127.0.0.1/"));
  CHECK(!net_url_is_loopback("//127.0.0.1/"));
  char host[64];
  bool https = false;
  CHECK(net_url_host("HTTPS://u:p@[::1]:443/x", host, sizeof host, &https));
  CHECK_STR(host, "[::1]");
  CHECK(https);
  CHECK(net_url_host("http://Example.COM", host, sizeof host, &https));
  CHECK_STR(host, "Example.COM");
  CHECK(!https);
}

TEST(plain_http_goes_only_to_a_loopback_literal) {
  char why[128];
  const char *refused[] = {"http://127.evil.example/",        "http://127.0.0.1.nip.io:1/",
                           "http://0x7f.1/",                  "http://2130706433/",
                           "http://0177.0.0.1/",              "http://127.1/",
                           "http://[::ffff:127.0.0.1]/",      "http://localhost.evil/",
                           "http://127.0.0.1@evil.example/",  "http://localhost./"};
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    why[0] = '\0';
    if (http_url_allowed(refused[i], why, sizeof why)) unit_fail(__FILE__, __LINE__, "allowed %s", refused[i]);
    CHECK(strstr(why, "loopback") != NULL || strstr(why, "valid") != NULL);
  }
  CHECK(http_url_allowed("http://user@127.0.0.1:9/x", why, sizeof why));
  CHECK(http_url_allowed("http://LOCALHOST:9/x", why, sizeof why));
  CHECK(http_url_allowed("HTTP://127.0.0.1:9/x", why, sizeof why));
  CHECK(http_url_allowed("https://127.evil.example/", why, sizeof why)); /* TLS: fine anywhere */
}
