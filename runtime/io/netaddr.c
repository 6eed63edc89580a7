/* netaddr.c — deciding whether a host or URL is loopback, strictly (see netaddr.h). */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* Four decimal octets, each 0-255 without leading zeros: the only IPv4 spelling every
 * parser reads the same way. inet_pton must agree as well. */
static bool strict_ipv4_loopback(const char *s) {
  const char *p = s;
  unsigned first = 0;
  for (int part = 0; part < 4; part++) {
    if (part > 0 && *p++ != '.') return false;
    if (*p < '0' || *p > '9') return false;
    if (p[0] == '0' && p[1] >= '0' && p[1] <= '9') return false; /* leading zero (octal?) */
    unsigned v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
      v = v * 10 + (unsigned)(*p++ - '0');
      if (++digits > 3) return false;
    }
    if (v > 255) return false;
    if (part == 0) first = v;
  }
  if (*p) return false;
  struct in_addr a;
  return first == 127 && inet_pton(AF_INET, s, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static bool ipv6_loopback(const char *s, size_t n) {
  char tmp[64];
  if (n == 0 || n >= sizeof tmp) return false;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  /* inet_pton takes no zone id ("%lo") and no embedded dotted quad changes the answer:
   * ::ffff:127.0.0.1 parses but is not ::1, and so is refused (see netaddr.h). */
  struct in6_addr a;
  if (inet_pton(AF_INET6, tmp, &a) != 1) return false;
  return memcmp(&a, &in6addr_loopback, sizeof a) == 0;
}

bool net_host_is_loopback(const char *host) {
  if (!host || !*host) return false;
  size_t n = strlen(host);
  if (n == 9 && strncasecmp(host, "localhost", 9) == 0) return true;
  if (host[0] == '[') return n > 2 && host[n - 1] == ']' && ipv6_loopback(host + 1, n - 2);
  if (strchr(host, ':')) return ipv6_loopback(host, n);
  return strict_ipv4_loopback(host);
}

bool net_url_host(const char *url, char *host, size_t cap, bool *https) {
  if (!url || !host || cap == 0) return false;
  host[0] = '\0';
  const char *p;
  if (strncasecmp(url, "http://", 7) == 0) {
    p = url + 7;
    if (https) *https = false;
  } else if (strncasecmp(url, "https://", 8) == 0) {
    p = url + 8;
    if (https) *https = true;
  } else {
    return false;
  }
  size_t alen = strcspn(p, "/?#");
  const char *at = NULL;
  for (size_t i = 0; i < alen; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '%') return false;
    if (c == '@') {
      if (at) return false; /* user@a@b: parsers disagree about which is the host */
      at = p + i;
    }
  }
  const char *h = at ? at + 1 : p;
  const char *end = p + alen;
  const char *hend;
  if (h < end && *h == '[') {
    hend = memchr(h, ']', (size_t)(end - h));
    if (!hend) return false;
    hend++;
  } else {
    hend = h;
    while (hend < end && *hend != ':') hend++;
  }
  if (hend == h) return false;
  if (hend < end) { /* a port: ':' and 1-5 digits, nothing else */
    if (*hend != ':' || end - hend < 2 || end - hend > 6) return false;
    for (const char *q = hend + 1; q < end; q++)
      if (*q < '0' || *q > '9') return false;
  }
  size_t hn = (size_t)(hend - h);
  if (hn >= cap) return false;
  memcpy(host, h, hn);
  host[hn] = '\0';
  return true;
}

bool net_url_is_loopback(const char *url) {
  char host[256];
  return net_url_host(url, host, sizeof host, NULL) && net_host_is_loopback(host);
}
