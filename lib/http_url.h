/* http_url.h: http:// and https:// URLs as the download client uses them: split into scheme, host, port and
 * request target, and a redirect's Location resolved against the URL it came from (RFC 3986 section 5, without
 * dot-segment removal: the server sees the path as written). Pure, no I/O. */
#ifndef RAMHOST_HTTP_URL_H
#define RAMHOST_HTTP_URL_H

#include <stddef.h>

#include "err.h"

struct http_url {
	int https;
	char host[256];      /* a name or an address; an IPv6 address without its brackets */
	int ipv6;            /* host was written in brackets */
	unsigned port;       /* 80 or 443 unless the URL names one */
	char target[4096];   /* path and query ("/" at least), the fragment dropped */
};

/* Splits url into *ret. -EPROTONOSUPPORT for another scheme, -EINVAL (err says why) for an empty host, a bad
 * port, user information ("user@host"), spaces or control bytes; -ENAMETOOLONG for a host or target too long. */
int http_url_parse(const char *url, struct http_url *ret, struct rh_err *err);

/* The absolute URL a Location value loc[0..len) names, seen from base, into out[0..cap). -ENAMETOOLONG when it
 * does not fit; -EINVAL for a value with spaces or control bytes. */
int http_url_resolve(const char *base, const char *loc, size_t len, char *out, size_t cap, struct rh_err *err);

#endif
