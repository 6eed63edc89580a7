/* netaddr.h — the one rule for "is this host loopback?", used wherever the program decides
 * that plain http (or a key-less server, or an emulator fetch) is safe.
 *
 * Loopback means an IP literal in 127.0.0.0/8 written as four plain decimal octets, the
 * IPv6 literal ::1, or the name localhost (any case). Everything else is not loopback, on
 * purpose even where a resolver might still land on 127.0.0.1:
 *  - names that merely start with "127." (127.evil.example, 127.0.0.1.nip.io) are DNS
 *    names, answered by whoever owns the domain;
 *  - the short, hex, octal and integer spellings (127.1, 0x7f.1, 0177.0.0.1, 2130706433)
 *    are accepted by some parsers and not others, and nobody needs them;
 *  - "localhost." (trailing dot) is a fully qualified DNS name that a resolver may send to
 *    the network instead of the hosts file;
 *  - [::ffff:127.0.0.1] (IPv4-mapped IPv6) reaches 127.0.0.1 only on dual-stack sockets,
 *    and whether it does depends on the OS (IPV6_V6ONLY, BSDs disable mapped addresses);
 *    a rule that depends on the platform is not a rule, so it is refused;
 *  - IPv6 zone ids ([::1%25lo]) are refused. */
#ifndef ATELIER_NETADDR_H
#define ATELIER_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

/* True when host (a bare host name or address; an IPv6 address with or without its
 * [brackets]; no port) is loopback by the rule above. */
bool net_host_is_loopback(const char *host);

/* Extracts the host of an http or https URL (scheme in any case) into host (IPv6 keeps
 * its brackets), skipping a user@ part and a :port. Strict on purpose: an authority with
 * more than one '@', a backslash, a space, a control or non-ASCII byte, a percent sign, or a
 * port that is not 1-5 digits is refused, so no other URL parser can read a different host
 * out of the same text. *https (may be NULL) tells the scheme. False when refused. */
bool net_url_host(const char *url, char *host, size_t cap, bool *https);

/* True when url is an http(s) URL whose host is loopback (net_url_host + the rule). */
bool net_url_is_loopback(const char *url);

#endif
