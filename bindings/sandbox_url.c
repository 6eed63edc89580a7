/* sandbox_url.c — the sandbox's rule for strings a recipe sends as inputs: anything that
 * looks like a URL must be http(s) on a host the user allowed (--allow-host), since the
 * API would fetch it and a query string can carry a file out (see sandbox.h). */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>

#include "errors.h"
#include "sandbox.h"
#include "sandbox_int.h"

/* ---- URLs sent as inputs ---------------------------------------------------------- */

static bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_';
}

/* Whether a string would be taken for a URL by a lenient parser: after leading spaces
 * and control characters, scheme "://" or http(s): with any number of slashes (a WHATWG
 * parser reads "http:/host" and "http:host" as http://host/). */
static bool looks_like_url(const char *s, size_t len, size_t *skip) {
  size_t i = 0;
  while (i < len && (unsigned char)s[i] <= 32) i++;
  *skip = i;
  if (len - i >= 5 && strncasecmp(s + i, "http:", 5) == 0) return true;
  if (len - i >= 6 && strncasecmp(s + i, "https:", 6) == 0) return true;
  size_t j = i;
  if (j < len && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z'))) {
    while (j < len && (host_char(s[j]) || s[j] == '+') && s[j] != '_') j++;
    if (len - j >= 3 && s[j] == ':' && s[j + 1] == '/' && s[j + 2] == '/') return true;
  }
  return len - i >= 2 && s[i] == '/' && s[i + 1] == '/';
}

void sandbox_check_url(lua_State *L, const char *field, const char *url, size_t len) {
  sandbox *sb = sandbox_state(L);
  size_t skip;
  if (!sb || !looks_like_url(url, len, &skip)) return;
  url += skip; /* " https://x" is still https://x to a server */
  len -= skip;
  const char *p = memchr(url, ':', len);
  if (p && !((p - url == 4 && strncasecmp(url, "http", 4) == 0) || (p - url == 5 && strncasecmp(url, "https", 5) == 0)))
    p = NULL; /* only http and https are ever sent */
  const char *end = url + len;
  char host[256];
  const char *why = NULL;
  if (!p || end - p < 3 || p[1] != '/' || p[2] != '/') {
    why = "it is not an http(s):// URL";
  } else {
    const char *h = p + 3, *e = h;
    while (e < end && *e != '/' && *e != '?' && *e != '#') e++;
    /* The authority: host[:port]. Anything a URL parser might read two ways is refused
     * rather than guessed at (user@host, %-escapes, backslashes, IPv6 brackets). */
    const char *colon = NULL;
    for (const char *c = h; c < e && !why; c++) {
      if (*c == ':' && !colon) colon = c;
      else if (colon && !(*c >= '0' && *c <= '9')) why = "its address part is not a plain host[:port]";
      else if (!colon && !host_char(*c)) why = "its address part is not a plain host[:port]";
    }
    for (const char *c = url; c < end && !why; c++)
      if (*c == '\\' || (unsigned char)*c <= 32 || *c == 127) why = "it contains a backslash, space or control character";
    size_t hl = (size_t)((colon ? colon : e) - h);
    if (!why && (hl == 0 || hl >= sizeof host)) why = "it names no usable host";
    if (!why) {
      memcpy(host, h, hl);
      host[hl] = '\0';
      for (int i = 0; i < sb->nhosts; i++)
        if (strcasecmp(host, sb->hosts[i]) == 0) return;
      lerr_info e = {.name = "SandboxViolation",
                     .message = lua_pushfstring(L,
                                                "%s: the sandbox refuses to send a URL on host %s (its server "
                                                "would be contacted): allow the host with --allow-host %s, or "
                                                "use a local file or an image object",
                                                field, host, host)};
      lerr_push(L, &e, 1);
      lua_pushstring(L, field);
      lua_setfield(L, -2, "field");
      lua_error(L);
    }
  }
  lerr_info e = {.name = "SandboxViolation",
                 .message = lua_pushfstring(L,
                                            "%s: the sandbox refuses to send this URL: %s; only URLs on hosts "
                                            "given with --allow-host HOST are sent",
                                            field, why)};
  lerr_push(L, &e, 1);
  lua_pushstring(L, field);
  lua_setfield(L, -2, "field");
  lua_error(L);
}
