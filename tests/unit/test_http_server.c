/* test_http_server.c: the PXE server's HTTP side on 127.0.0.1 (ephemeral port) with a test resolver, driven by
 * the download client (vib/http_conn.c, requests written by hand): GET, HEAD, ranges, caching headers, refusals, keep-alive, state uploads (good, refused, oversized,
 * damaged), a garbage request on a raw socket, and TLS with a certificate made by the openssl CLI. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "pxe-server/host_state.h"
#include "pxe-server/http_server.h"
#include "vib/fetch.h"
#include "vib/http_conn.h"
#include "state_fixture.h"
#include "unit.h"

#define ART "a/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define TOKEN "good-token"
#define STATE_MAX 4096

static const uint8_t mac_none[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x02 };
static char dir[512], artifact[1000];
static char events[65536];
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- the test resolver and callbacks ---- */

static int t_resolve(void *ctx, const char *path, const char *query, const struct sockaddr *peer,
		     struct pxe_obj *out, struct rh_err *err)
{
	static const char script[] = "#!ipxe\necho hello\n";

	(void)ctx;
	(void)query;
	CHECK(peer && peer->sa_family == AF_INET);
	if (!strcmp(path, ART)) {
		out->kind = PXE_OBJ_FILE;
		snprintf(out->path, sizeof(out->path), "%s/artifact", dir);
		out->size = sizeof(artifact);
		out->immutable = 1;
		out->step = "artifact";
		return 0;
	}
	if (!strcmp(path, "host/52-54-00-12-34-56/boot.ipxe")) {
		out->kind = PXE_OBJ_BYTES;
		out->bytes = malloc(sizeof(script) - 1);
		memcpy(out->bytes, script, sizeof(script) - 1);
		out->size = sizeof(script) - 1;
		out->content_type = "text/plain";
		snprintf(out->mac, sizeof(out->mac), "52:54:00:12:34:56");
		out->step = "script";
		return 0;
	}
	if (!strcmp(path, "secret"))
		return rh_errf(err, -EACCES, "secret: a symlink out of the tree");
	if (!strcmp(path, "query"))
		return rh_errf(err, -EACCES, "query was %s", query ? query : "(none)");
	return rh_errf(err, -ENOENT, "%s: nothing there", path);
}

static void t_event(void *ctx, const uint8_t *mac, const char *step, const char *text)
{
	size_t n;

	(void)ctx;
	pthread_mutex_lock(&ev_lock);
	n = strlen(events);
	if (n < sizeof(events) - 256)
		snprintf(events + n, sizeof(events) - n, "%s %s %s\n", mac ? "M" : "-", step, text);
	pthread_mutex_unlock(&ev_lock);
}

static int t_token(void *ctx, const uint8_t mac[6], const char *token)
{
	(void)ctx;
	return (memcmp(mac, mac_none, 6) && strcmp(token, TOKEN)) ? -EACCES : 0;
}

static int t_state_allowed(void *ctx, const uint8_t mac[6])
{
	(void)ctx;
	return memcmp(mac, mac_none, 6) ? 0 : -EPERM;
}

static const struct pxe_http_ops ops = { NULL, t_resolve, t_event, t_token, t_state_allowed };

/* ---- a client: vib/http_conn.c, with the requests written here by hand ---- */

struct buf {
	char *p;
	size_t n;
};

struct reply {
	long status;
	struct buf body, head;
	int rc;            /* 0, or the client's error */
	char why[1024];
};

static void add(struct buf *b, const void *p, size_t n)
{
	char *q = realloc(b->p, b->n + n + 1);

	if (!q)
		abort();
	memcpy(q + b->n, p, n);
	b->p = q;
	b->n += n;
	b->p[b->n] = '\0';
}

struct upload {
	const uint8_t *data;
	size_t len;
	int endless;   /* a chunked body (no Content-Length): 1 of len bytes, 2 that never ends */
};

static const char *ca_file;   /* the TLS test's certificate, trusted by the client */

/* 20 s for a whole request, as the tests' client always had. */
static int tick20(void *ctx, int connected, uint64_t moved)
{
	time_t *t0 = ctx;

	(void)connected;
	(void)moved;
	return time(NULL) - *t0 > 20;
}

static int open_conn(const char *base, time_t *t0, struct http_conn **c, struct rh_err *err)
{
	struct http_conn_opts o = { .connect_s = 5, .ca_file = ca_file, .tick = tick20, .tick_ctx = t0 };
	struct http_url u;
	int rc = http_url_parse(base, &u, err);

	*t0 = time(NULL);
	return rc < 0 ? rc : http_conn_open(&u, &o, c, err);
}

/* Sends the body of up: Content-Length bytes, one chunk and the last, or chunks until the server stops us. */
static int send_body(struct http_conn *c, const struct upload *up, struct rh_err *err)
{
	static char x[16384];
	char line[32];
	int rc, i;

	if (!up->endless)
		return http_conn_write(c, up->data, up->len, err);
	if (up->endless == 1) {
		snprintf(line, sizeof(line), "%zx\r\n", up->len);
		rc = http_conn_write(c, line, strlen(line), err);
		if (rc == 0)
			rc = http_conn_write(c, up->data, up->len, err);
		return rc ? rc : http_conn_write(c, "\r\n0\r\n\r\n", 7, err);
	}
	memset(x, 'x', sizeof(x));
	for (i = 0, rc = 0; rc == 0 && i < 4096; i++) {   /* 64 MiB at most */
		rc = http_conn_write(c, "4000\r\n", 6, err);
		if (rc == 0)
			rc = http_conn_write(c, x, sizeof(x), err);
		if (rc == 0)
			rc = http_conn_write(c, "\r\n", 2, err);
	}
	return rc;
}

/* One request on c (kept open: keep-alive) to path with the extra header line hdr (may be NULL). */
static void request(struct http_conn *c, const char *method, const char *path, const char *hdr,
		    const struct upload *up, struct reply *r)
{
	struct rh_err err = { 0, "" };
	struct http_resp resp;
	const char *head;
	char req[2048], body[4096];
	size_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	snprintf(req, sizeof(req), "%s /%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s\r\n", method, path,
		 hdr ? hdr : "", hdr ? "\r\n" : "",
		 !up ? "" : up->endless ? "Transfer-Encoding: chunked\r\n" : "");
	if (up && !up->endless)
		snprintf(req + strlen(req) - 2, sizeof(req) - strlen(req) + 2, "Content-Length: %zu\r\n\r\n", up->len);
	rc = http_conn_write(c, req, strlen(req), &err);
	if (rc == 0 && up)
		rc = send_body(c, up, &err);
	if (rc == 0 || rc == -EPIPE)   /* a server that refused early has answered */
		rc = http_conn_read_head(c, !strcmp(method, "HEAD"), &resp, &head, &err);
	if (rc == 0) {
		r->status = resp.status;
		add(&r->head, head, resp.head_len);
	}
	while (rc == 0 && (rc = http_conn_read_body(c, body, sizeof(body), &n, &err)) == 0 && n)
		add(&r->body, body, n);
	r->rc = rc;
	snprintf(r->why, sizeof(r->why), "%s", err.msg);
}

static void request_new(const char *base, const char *method, const char *path, const char *hdr,
			const struct upload *up, struct reply *r)
{
	struct rh_err err = { 0, "" };
	struct http_conn *c = NULL;
	time_t t0;
	int rc = open_conn(base, &t0, &c, &err);

	if (rc < 0) {
		memset(r, 0, sizeof(*r));
		r->rc = rc;
		snprintf(r->why, sizeof(r->why), "%s", err.msg);
		return;
	}
	request(c, method, path, hdr, up, r);
	http_conn_close(c);
}

static void reply_free(struct reply *r)
{
	free(r->body.p);
	free(r->head.p);
	memset(r, 0, sizeof(*r));
}

static void get1(const char *base, const char *method, const char *path, const char *hdr, struct reply *r)
{
	request_new(base, method, path, hdr, NULL, r);
}

static int has(const struct buf *b, const char *s)
{
	return b->p && strcasestr(b->p, s);
}

/* ---- server setup ---- */

static struct pxe_http *start(const char *cert, const char *key, char *base, size_t cap)
{
	struct pxe_http_conf conf;
	struct pxe_http *h = NULL;
	struct rh_err err = { 0, "" };
	char sd[600];

	memset(&conf, 0, sizeof(conf));
	snprintf(sd, sizeof(sd), "%s/state", dir);
	conf.bind_ip = 0x7f000001;
	conf.state_dir = sd;
	conf.state_max_bytes = STATE_MAX;
	conf.tls_cert = cert;
	conf.tls_key = key;
	if (pxe_http_start(&conf, &ops, &h, &err) < 0) {
		fprintf(stderr, "  cannot start: %s\n", err.msg);
		return NULL;
	}
	snprintf(base, cap, "%s://127.0.0.1:%u", cert ? "https" : "http", pxe_http_port(h));
	return h;
}

static void test_get_head_range(void)
{
	static const struct {
		const char *range;
		long status;
		size_t first, len;
		const char *content_range;
	} cases[] = {
		{ NULL, 200, 0, 1000, NULL },
		{ "Range: bytes=0-99", 206, 0, 100, "Content-Range: bytes 0-99/1000" },
		{ "Range: bytes=900-", 206, 900, 100, "Content-Range: bytes 900-999/1000" },
		{ "Range: bytes=-10", 206, 990, 10, "Content-Range: bytes 990-999/1000" },
		{ "Range: bytes=0-1,5-6", 200, 0, 1000, NULL },
		{ "Range: bytes=5000-", 416, 0, 0, "Content-Range: bytes */1000" },
	};
	char base[128];
	struct pxe_http *h = start(NULL, NULL, base, sizeof(base));
	struct reply r;
	size_t i;

	CHECK(h != NULL);
	if (!h)
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		get1(base, "GET", ART, cases[i].range, &r);
		CHECK(r.rc == 0 && r.status == cases[i].status);
		if (cases[i].status != 416)
			CHECK(r.body.n == cases[i].len && !memcmp(r.body.p, artifact + cases[i].first, cases[i].len));
		if (cases[i].content_range)
			CHECK(has(&r.head, cases[i].content_range));
		CHECK(has(&r.head, "Accept-Ranges: bytes"));
		CHECK(has(&r.head, "Cache-Control: public, max-age=31536000, immutable"));
		CHECK(has(&r.head, "ETag: \""));
		reply_free(&r);
	}
	get1(base, "HEAD", ART, NULL, &r);
	CHECK(r.status == 200 && r.body.n == 0 && has(&r.head, "Content-Length: 1000"));
	reply_free(&r);
	/* generated bytes: no-store, no ETag; a range of them too */
	get1(base, "GET", "host/52-54-00-12-34-56/boot.ipxe", "Range: bytes=0-5", &r);
	CHECK(r.status == 206 && r.body.n == 6 && !memcmp(r.body.p, "#!ipxe", 6));
	CHECK(has(&r.head, "Cache-Control: no-store") && !has(&r.head, "ETag"));
	reply_free(&r);
	CHECK(strstr(events, "M script http GET /host/52-54-00-12-34-56/boot.ipxe 206 6 bytes") != NULL);
	CHECK(strstr(events, "- artifact http HEAD /" ART " 200 1000 bytes") != NULL);
	pxe_http_stop(h);
}

static void test_refusals(void)
{
	char base[128], etag[128] = "If-None-Match: ";
	struct pxe_http *h = start(NULL, NULL, base, sizeof(base));
	struct reply r;
	char *e;

	CHECK(h != NULL);
	if (!h)
		return;
	get1(base, "GET", "nope/file", NULL, &r);
	CHECK(r.status == 404 && has(&r.body, "not found: /nope/file\n") && has(&r.head, "text/plain"));
	reply_free(&r);
	get1(base, "GET", "secret", NULL, &r);
	CHECK(r.status == 403 && has(&r.body, "a symlink out of the tree"));
	reply_free(&r);
	get1(base, "GET", "query?x=1&y=%20", NULL, &r);
	CHECK(r.status == 403 && has(&r.body, "query was x=1&y=%20"));   /* the raw query reaches the resolver */
	reply_free(&r);
	get1(base, "DELETE", ART, NULL, &r);
	CHECK(r.status == 405 && has(&r.head, "Allow: GET, HEAD, PUT"));
	reply_free(&r);
	get1(base, "GET", "a%00b", NULL, &r);
	CHECK(r.status == 400);
	reply_free(&r);
	get1(base, "GET", "a%0ab", NULL, &r);
	CHECK(r.status == 400);
	reply_free(&r);
	/* a revalidation of an immutable object */
	get1(base, "GET", ART, NULL, &r);
	e = strcasestr(r.head.p, "ETag: ");
	CHECK(e != NULL);
	if (e)
		snprintf(etag + strlen(etag), sizeof(etag) - strlen(etag), "%.*s", (int)strcspn(e + 6, "\r\n"), e + 6);
	reply_free(&r);
	get1(base, "GET", ART, etag, &r);
	CHECK(r.status == 304 && r.body.n == 0);
	reply_free(&r);
	pxe_http_stop(h);
}

static void test_keepalive_and_garbage(void)
{
	char base[128];
	struct pxe_http *h = start(NULL, NULL, base, sizeof(base));
	struct sockaddr_in sa;
	struct rh_err err = { 0, "" };
	struct http_conn *c = NULL;
	struct reply r;
	time_t t0;
	int s;

	CHECK(h != NULL);
	if (!h)
		return;
	CHECK(open_conn(base, &t0, &c, &err) == 0);
	if (!c)
		return;
	request(c, "GET", ART, NULL, NULL, &r);
	CHECK(r.rc == 0 && r.status == 200 && r.body.n == 1000);
	reply_free(&r);
	request(c, "GET", "host/52-54-00-12-34-56/boot.ipxe", NULL, NULL, &r);
	CHECK(r.rc == 0 && r.status == 200);   /* the second request on the first connection */
	reply_free(&r);
	http_conn_close(c);
	/* a malformed request line on a raw socket, then a client that is served as usual */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)pxe_http_port(h));
	sa.sin_addr.s_addr = htonl(0x7f000001);
	CHECK(connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(write(s, "\x01\x02 garbage \xff\r\n\r\n", 16) == 16);
	{
		char resp[256];
		ssize_t n = read(s, resp, sizeof(resp) - 1);

		CHECK(n <= 0 || !strncmp(resp, "HTTP/1.1 400", 12));
	}
	close(s);
	get1(base, "GET", ART, NULL, &r);
	CHECK(r.status == 200 && r.body.n == 1000);
	reply_free(&r);
	pxe_http_stop(h);
}

static void put(const char *base, const char *path, const char *hdr, const uint8_t *data, size_t len, int endless,
		struct reply *r)
{
	struct upload up = { data, len, endless };

	request_new(base, "PUT", path, hdr, &up, r);
}

static void test_state_put(void)
{
	static const struct {
		const char *what, *path, *hdr;
		int gen, damage, big, endless;
		long status;
		const char *body;
	} cases[] = {
		{ "good", "host/52-54-00-12-34-56/state", "X-Ramhost-Token: " TOKEN, 1, 0, 0, 0, 201, "generation 1\n" },
		{ "second", "host/52-54-00-12-34-56/state", "X-Ramhost-Token: " TOKEN, 2, 0, 0, 0, 201, "generation 2\n" },
		{ "no token", "host/52-54-00-12-34-56/state", NULL, 3, 0, 0, 0, 401, "header is missing" },
		{ "wrong token", "host/52-54-00-12-34-56/state", "X-Ramhost-Token: bad", 3, 0, 0, 0, 403, "not this host's" },
		{ "state none", "host/52-54-00-00-00-02/state", "X-Ramhost-Token: " TOKEN, 3, 0, 0, 0, 403, "state none" },
		{ "bad mac", "host/52-54-00-12-34-zz/state", "X-Ramhost-Token: " TOKEN, 3, 0, 0, 0, 400, "malformed MAC" },
		{ "not state", "host/52-54-00-12-34-56/boot.cfg", "X-Ramhost-Token: " TOKEN, 3, 0, 0, 0, 405, "only for" },
		{ "damaged", "host/52-54-00-12-34-56/state", "X-Ramhost-Token: " TOKEN, 3, 1, 0, 0, 422, "SHA-256" },
		{ "stale", "host/52-54-00-12-34-56/state", "X-Ramhost-Token: " TOKEN, 2, 0, 0, 0, 409, "not newer" },
		{ "too long", "host/52-54-00-12-34-56/state", "X-Ramhost-Token: " TOKEN, 3, 0, 1, 0, 413, "over the limit" },
		{ "chunked, grows past", "host/52-54-00-12-34-56/state", "X-Ramhost-Token: " TOKEN, 3, 0, 1, 1, 413,
		  "grew past" },
		{ "chunked, endless", "host/52-54-00-12-34-56/state", "X-Ramhost-Token: " TOKEN, 3, 0, 0, 2, 0, NULL },
	};
	char base[128], names[1024], before[1024], hostdir[700];
	struct pxe_http *h = start(NULL, NULL, base, sizeof(base));
	static uint8_t buf[2 * STATE_MAX];
	size_t i;

	CHECK(h != NULL);
	if (!h)
		return;
	snprintf(hostdir, sizeof(hostdir), "%s/state/hosts/52-54-00-12-34-56", dir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = fixture_gen(buf, (uint64_t)cases[i].gen);
		struct reply r;

		fixture_listing(hostdir, before, sizeof(before));
		if (cases[i].damage)
			buf[1] ^= 1;
		if (cases[i].big)
			len = sizeof(buf);
		put(base, cases[i].path, cases[i].hdr, buf, len, cases[i].endless, &r);
		if (cases[i].endless == 2) {   /* cut off: the connection is closed, no answer */
			CHECK(r.rc != 0 && r.status != 201);
			r.status = 0;
		}
		if (r.status != cases[i].status || (cases[i].body && !has(&r.body, cases[i].body)))
			fprintf(stderr, "  case '%s': %ld '%s' (%s)\n", cases[i].what, r.status, r.body.p ? r.body.p : "",
				r.why);
		CHECK(r.status == cases[i].status);
		if (cases[i].body)
			CHECK(has(&r.body, cases[i].body));
		if (cases[i].status != 201) {   /* refused: the store is as it was, no temporary left */
			fixture_listing(hostdir, names, sizeof(names));
			CHECK_STR(names, before);
		}
		reply_free(&r);
	}
	fixture_listing(hostdir, names, sizeof(names));
	CHECK_STR(names, "state-00000001.rhs state-00000002.rhs ");
	CHECK(strstr(events, "M state-save generation 2 stored") != NULL);
	CHECK(strstr(events, "M state-save refused: the body grew past the limit of 4096 bytes") != NULL);
	pxe_http_stop(h);
}

/* Starts a server in a child process; returns its pid and port. */
static pid_t start_child(unsigned *port)
{
	int pfd[2];
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char base[128];
		struct pxe_http *h = start(NULL, NULL, base, sizeof(base));
		unsigned p = h ? pxe_http_port(h) : 0;

		if (write(pfd[1], &p, sizeof(p)) != (ssize_t)sizeof(p))
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], port, sizeof(*port)) != (ssize_t)sizeof(*port) || !*port) {
		close(pfd[0]);
		return -1;
	}
	close(pfd[0]);
	return pid;
}

/* kill -9 of the server in the middle of an upload: the stored generations are as they were, and the next
 * start removes the cut-off upload. */
static void test_kill9_during_upload(void)
{
	static const char head[] = "PUT /host/52-54-00-12-34-56/state HTTP/1.1\r\nHost: t\r\n"
				   "X-Ramhost-Token: " TOKEN "\r\nContent-Length: 300\r\n\r\n";
	char hostdir[700], before[1024], after[1024], base[128];
	struct sockaddr_in sa;
	struct pxe_http *h;
	unsigned port = 0;
	uint8_t buf[300];
	int s, i;
	pid_t pid;

	snprintf(hostdir, sizeof(hostdir), "%s/state/hosts/52-54-00-12-34-56", dir);
	fixture_listing(hostdir, before, sizeof(before));
	pid = start_child(&port);
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(0x7f000001);
	CHECK(connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(write(s, head, sizeof(head) - 1) == (ssize_t)(sizeof(head) - 1));
	CHECK(write(s, buf, fixture_gen(buf, 7) - 20) > 0);   /* most of a generation, not all */
	for (i = 0; i < 500; i++) {   /* until the upload's temporary exists (at most 5 s) */
		fixture_listing(hostdir, after, sizeof(after));
		if (strstr(after, "upload.tmp-"))
			break;
		usleep(10000);
	}
	CHECK(strstr(after, "upload.tmp-") != NULL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(s);
	fixture_listing(hostdir, after, sizeof(after));
	CHECK(!strncmp(after, before, strlen(before)) && strstr(after, "upload.tmp-"));
	h = start(NULL, NULL, base, sizeof(base));   /* the restart sweeps the cut-off upload */
	CHECK(h != NULL);
	fixture_listing(hostdir, after, sizeof(after));
	CHECK_STR(after, before);
	pxe_http_stop(h);
}

/* fetch.c over TLS: the system's trust store (SSL_CERT_FILE names it here), the certificate's address
 * checked, a download and an upload. */
static void test_tls_fetch(const char *base, const char *cert)
{
	const char *headers[] = { "X-Ramhost-Token: " TOKEN, NULL };
	struct rh_err err = { 0, "" };
	char u[700], gen[700], answer[128] = "";
	static uint8_t buf[STATE_MAX];
	unsigned port = 0;
	void *body = NULL;
	size_t len = 0;
	long status = 0;

	unsetenv("SSL_CERT_DIR");
	setenv("SSL_CERT_FILE", "/nonexistent", 1);
	snprintf(u, sizeof(u), "%s/%s", base, ART);
	CHECK(fetch_to_buf(u, 4096, &body, &len, &err) == -EKEYREJECTED);
	CHECK(strstr(err.msg, "TLS certificate not trusted") != NULL);
	setenv("SSL_CERT_FILE", cert, 1);
	rh_err_clear(&err);
	CHECK(fetch_to_buf(u, 4096, &body, &len, &err) == 0);
	CHECK(len == 1000 && !memcmp(body, artifact, 1000));
	free(body);
	/* the same server by a name the certificate does not hold (localhost: ::1 refused first, then 127.0.0.1) */
	CHECK(sscanf(base, "https://127.0.0.1:%u", &port) == 1);
	snprintf(u, sizeof(u), "https://localhost:%u/%s", port, ART);
	rh_err_clear(&err);
	CHECK(fetch_to_buf(u, 4096, &body, &len, &err) == -EKEYREJECTED);
	/* an upload of generation 3 */
	snprintf(gen, sizeof(gen), "%s/gen3", dir);
	CHECK(fs_write_file(gen, buf, fixture_gen(buf, 3), 0644, &err) == 0);
	snprintf(u, sizeof(u), "%s/host/52-54-00-12-34-56/state", base);
	rh_err_clear(&err);
	CHECK(fetch_put_file(u, gen, headers, &status, answer, sizeof(answer), &err) == 0);
	CHECK(status == 201 && strstr(answer, "generation 3"));
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	unsetenv("SSL_CERT_FILE");
}

static void test_tls(void)
{
	char key[600], cert[600], base[128];
	struct rh_err err = { 0, "" };
	struct pxe_http *h;
	struct reply r;

	snprintf(key, sizeof(key), "%s/tls.key", dir);
	snprintf(cert, sizeof(cert), "%s/tls.crt", dir);
	{
		char *argv[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
				 cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
				 NULL };

		CHECK(fs_run(argv, 0, &err) == 0);
	}
	h = start(cert, key, base, sizeof(base));
	CHECK(h != NULL);
	if (!h)
		return;
	ca_file = cert;
	get1(base, "GET", ART, "Range: bytes=10-19", &r);
	CHECK(r.rc == 0 && r.status == 206 && r.body.n == 10 && !memcmp(r.body.p, artifact + 10, 10));
	reply_free(&r);
	ca_file = NULL;
	test_tls_fetch(base, cert);
	pxe_http_stop(h);
	/* a key that is not one: a clear start-up error */
	{
		struct pxe_http_conf conf;

		memset(&conf, 0, sizeof(conf));
		conf.bind_ip = 0x7f000001;
		conf.tls_cert = cert;
		conf.tls_key = cert;
		rh_err_clear(&err);
		h = NULL;
		CHECK(pxe_http_start(&conf, &ops, &h, &err) < 0 && h == NULL && err.msg[0]);
	}
}

int main(void)
{
	struct rh_err err = { 0, "" };
	char path[600];
	size_t i;

	if (fs_work_dir(NULL, "test_http_server", dir, sizeof(dir), &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	for (i = 0; i < sizeof(artifact); i++)
		artifact[i] = (char)('a' + i % 26 + (i / 26) % 3);
	snprintf(path, sizeof(path), "%s/artifact", dir);
	if (fs_write_file(path, artifact, sizeof(artifact), 0644, &err) < 0)
		return 1;
	RUN(test_get_head_range);
	RUN(test_refusals);
	RUN(test_keepalive_and_garbage);
	RUN(test_state_put);
	RUN(test_kill9_during_upload);
	RUN(test_tls);
	fs_rm_rf(dir, &err);
	UNIT_EXIT();
}
