/* state_net.c: the server-side state store of a diskless host, seen from the host (see state_net.h). */
#include "state_net.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "fileio.h"
#include "sysroot.h"
#include "vib/fetch.h"

#define SHOWN_MAX 80   /* a bad word is quoted up to this many bytes */

static int url_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static int token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("._~+/=-", c));
}

/* Checks the URL v[0..vlen) of word w and copies it into url (STATE_NET_URL_MAX bytes), and its HOST:PORT into
 * server when that is not NULL. */
static int take_url(char *url, char *server, const char *w, size_t wlen, const char *v, size_t vlen,
		    struct rh_err *err)
{
	size_t i, skip = vlen >= 7 && !strncmp(v, "http://", 7) ? 7 : vlen >= 8 && !strncmp(v, "https://", 8) ? 8 : 0;
	const char *slash = memchr(v + skip, '/', vlen - skip);   /* v is not NUL-terminated */
	size_t host = slash ? (size_t)(slash - (v + skip)) : vlen - skip;

	for (i = 0; i < vlen && url_char((unsigned char)v[i]); i++)
		;
	if (!skip || i < vlen || vlen >= STATE_NET_URL_MAX || host == 0)
		return rh_errf(err, -EINVAL, "kernel command line: '%.*s' is not an http://SERVER:PORT/PATH URL",
			       (int)(wlen > SHOWN_MAX ? SHOWN_MAX : wlen), w);
	memcpy(url, v, vlen);
	url[vlen] = '\0';
	if (server)
		snprintf(server, STATE_NET_URL_MAX, "%.*s", (int)host, v + skip);
	return 0;
}

int state_net_parse(const char *buf, size_t len, struct state_net *ret, struct rh_err *err)
{
	struct state_net n;
	const char *w, *v;
	size_t pos = 0, wlen, vlen, i;
	int rc;

	memset(&n, 0, sizeof(n));
	while (cmdline_next_word(buf, len, &pos, &w, &wlen)) {
		if ((v = cmdline_value(w, wlen, "ramhost.state.url=", &vlen))) {
			rc = take_url(n.url, n.server, w, wlen, v, vlen, err);
			if (rc < 0)
				return rc;
			n.on = 1;
		} else if ((v = cmdline_value(w, wlen, "ramhost.ready.url=", &vlen))) {
			rc = take_url(n.ready_url, NULL, w, wlen, v, vlen, err);
			if (rc < 0)
				return rc;
		} else if ((v = cmdline_value(w, wlen, "ramhost.state.token=", &vlen))) {
			for (i = 0; i < vlen && token_char((unsigned char)v[i]); i++)
				;
			if (!vlen || i < vlen || vlen >= sizeof(n.token))
				return rh_errf(err, -EINVAL, "kernel command line: ramhost.state.token= is not 1-%zu "
					       "characters of [A-Za-z0-9._~+/=-]", sizeof(n.token) - 1);
			memcpy(n.token, v, vlen);
			n.token[vlen] = '\0';
		}
	}
	if (n.on && !n.token[0])
		return rh_errf(err, -EINVAL, "kernel command line: ramhost.state.url= without ramhost.state.token=");
	*ret = n;
	return 0;
}

int state_net_read(struct state_net *ret, struct rh_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (rh_read_file(sysroot_proc_cmdline(), SYSROOT_MAX_FILE, &buf, &len, NULL) < 0) {
		memset(ret, 0, sizeof(*ret));
		return 0;
	}
	rc = state_net_parse(buf, len, ret, err);
	free(buf);
	return rc;
}

void state_net_store(const char *root, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s", strcmp(root, "/") ? root : "", STATE_NET_DIR);
}

/* The commit step of a net save: PUT the finished temporary generation to the server; only 201 keeps it. */
static int upload(void *ctx, const char *tmp, uint64_t gen, struct rh_err *err)
{
	const struct state_net *n = ctx;
	char hdr[STATE_NET_TOKEN_MAX + 32], answer[256] = "";
	const char *headers[] = { hdr, "Content-Type: application/octet-stream", NULL };
	long status = 0;
	int rc;

	snprintf(hdr, sizeof(hdr), STATE_NET_TOKEN_HEADER ": %s", n->token);
	rc = fetch_put_file(n->url, tmp, headers, &status, answer, sizeof(answer), err);
	if (rc == 0 && status != 201)
		rc = rh_errf(err, -EPROTO, "%s: HTTP status %ld%s%s (expected 201 Created)", n->url, status,
			     answer[0] ? ": " : "", answer);
	if (rc < 0)
		return rh_err_prefix(err, rc, "generation %" PRIu64 " not saved on server %s", gen, n->server);
	return 0;
}

int state_net_save(const struct state_save_opts *o, const struct state_net *n, struct state_save_result *ret,
		   struct rh_err *err)
{
	struct state_save_opts so = *o;
	char store[4096];
	int rc;

	state_net_store(o->root, store, sizeof(store));
	rc = rh_mkdir_p(store, 0700, err);
	if (rc < 0)
		return rc;
	so.store = store;
	so.keep = 1;
	so.commit = upload;
	so.commit_ctx = (void *)n;
	rc = state_save(&so, ret, err);
	if (rc == 0 && ret->written)
		snprintf(ret->path, sizeof(ret->path), "%s", n->url);
	return rc;
}
