/* http_url.c: URL splitting and redirect resolution for the download client (http_url.h). */
#include "http_url.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* 1 when s[0..n) has no space, control byte or DEL. */
static int clean(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* host[:port] or [v6][:port] of a[0..n) into r. */
static int parse_authority(const char *url, const char *a, size_t n, struct http_url *r, struct rh_err *err)
{
	const char *h = a, *colon;
	size_t hn;

	if (memchr(a, '@', n))
		return rh_errf(err, -EINVAL, "%s: user names in URLs are not supported", url);
	if (n && a[0] == '[') {
		const char *end = memchr(a, ']', n);

		if (!end)
			return rh_errf(err, -EINVAL, "%s: no ']' after an IPv6 address", url);
		h = a + 1;
		hn = (size_t)(end - h);
		colon = end + 1 < a + n ? end + 1 : NULL;
		if (colon && *colon != ':')
			return rh_errf(err, -EINVAL, "%s: bytes after ']' that are not a port", url);
		r->ipv6 = 1;
	} else {
		colon = memchr(a, ':', n);
		hn = colon ? (size_t)(colon - a) : n;
	}
	if (!hn)
		return rh_errf(err, -EINVAL, "%s: no host name", url);
	if (hn >= sizeof(r->host))
		return rh_errf(err, -ENAMETOOLONG, "%s: host name too long", url);
	memcpy(r->host, h, hn);
	r->host[hn] = '\0';
	if (colon) {
		const char *p = colon + 1;
		unsigned long port = 0;

		if (p == a + n)
			return rh_errf(err, -EINVAL, "%s: empty port", url);
		for (; p < a + n; p++) {
			if (*p < '0' || *p > '9' || (port = port * 10 + (unsigned long)(*p - '0')) > 65535)
				return rh_errf(err, -EINVAL, "%s: bad port", url);
		}
		if (!port)
			return rh_errf(err, -EINVAL, "%s: bad port", url);
		r->port = (unsigned)port;
	}
	return 0;
}

int http_url_parse(const char *url, struct http_url *ret, struct rh_err *err)
{
	struct http_url r;
	const char *a, *t;
	size_t an, tn;
	int rc;

	memset(&r, 0, sizeof(r));
	if (!strncasecmp(url, "http://", 7)) {
		a = url + 7;
		r.port = 80;
	} else if (!strncasecmp(url, "https://", 8)) {
		a = url + 8;
		r.port = 443;
		r.https = 1;
	} else {
		return rh_errf(err, -EPROTONOSUPPORT, "%s: protocol not supported (http or https)", url);
	}
	if (!clean(url, strlen(url)))
		return rh_errf(err, -EINVAL, "%s: spaces or control bytes in the URL", url);
	an = strcspn(a, "/?#");
	rc = parse_authority(url, a, an, &r, err);
	if (rc < 0)
		return rc;
	t = a + an;
	tn = strcspn(t, "#");
	if (tn + 2 > sizeof(r.target))
		return rh_errf(err, -ENAMETOOLONG, "%s: URL too long", url);
	snprintf(r.target, sizeof(r.target), "%s%.*s", *t == '/' ? "" : "/", (int)tn, t);
	*ret = r;
	return 0;
}

/* Length of "scheme://authority" at the start of base (0 when base has none). */
static size_t origin_len(const char *base)
{
	const char *s = strstr(base, "://");

	if (!s)
		return 0;
	return (size_t)(s + 3 - base) + strcspn(s + 3, "/?#");
}

int http_url_resolve(const char *base, const char *loc, size_t len, char *out, size_t cap, struct rh_err *err)
{
	size_t scheme = 0, keep;
	int n;

	while (scheme < len && !strchr(":/?#", loc[scheme]))   /* loc is not NUL-terminated */
		scheme++;
	if (!clean(loc, len))
		return rh_errf(err, -EINVAL, "redirect to a Location with spaces or control bytes");
	if (scheme < len && loc[scheme] == ':' && scheme > 0) {
		keep = 0;                                   /* absolute: "https://other/x" */
	} else if (len >= 2 && loc[0] == '/' && loc[1] == '/') {
		keep = (size_t)(strstr(base, "://") ? strstr(base, "://") + 1 - base : 0); /* "//host/x": base's scheme */
	} else if (len >= 1 && loc[0] == '/') {
		keep = origin_len(base);                    /* "/x": base's scheme and host */
	} else {
		size_t o = origin_len(base), path = o + strcspn(base + o, "?#");

		keep = path;                                /* "x": beside the last segment of base's path */
		while (keep > o && base[keep - 1] != '/')
			keep--;
		if (keep == o) {                            /* base had no path: "http://h" + "x" = "http://h/x" */
			n = snprintf(out, cap, "%.*s/%.*s", (int)o, base, (int)len, loc);
			goto done;
		}
	}
	n = snprintf(out, cap, "%.*s%.*s", (int)keep, base, (int)len, loc);
done:
	if (n < 0 || (size_t)n >= cap)
		return rh_errf(err, -ENAMETOOLONG, "redirect: URL too long");
	return 0;
}
