/* test_vib_fetch.c: vib/fetch.c against tests/fixtures/vib/httpd.py on 127.0.0.1 (two servers: one with a
 * drop and a stall fault, one that ignores Range): a good download, 404, a connection dropped mid-body then
 * resumed with a Range request, a stale or foreign DEST.part, a stalled transfer and a silent server stopped
 * by the stall timeout, the size limit, a refused connection, downloads into a buffer, file:// and plain
 * paths, and fetch_join. A canned server (below: one answer per path, written byte for byte) covers what
 * httpd.py cannot send: chunked bodies, redirects, truncated bodies, malformed heads, interim answers, IPv6,
 * and uploads (PUT, with and without Expect: 100-continue). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "vib/fetch.h"
#include "unit.h"

#define BIG 300000 /* bytes of www/big.bin and www/drop.bin */

static char dir[] = "/tmp/test_vib_fetch.XXXXXX";
static char url[256], url_norange[256];
static pid_t servers[2];
static unsigned char big[BIG];

static const char *path(const char *name)
{
	static char buf[4][512];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", dir, name);
	return buf[n];
}

static int write_file(const char *p, const void *data, size_t len)
{
	FILE *f = fopen(p, "w");
	int rc;

	if (!f)
		return -1;
	rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	return fclose(f) ? -1 : rc;
}

/* 1 when file p holds exactly (data, len). */
static int same(const char *p, const void *data, size_t len)
{
	char *buf = NULL;
	size_t n = 0;
	int ok;

	if (rh_read_file(p, 1u << 24, &buf, &n, NULL))
		return 0;
	ok = n == len && !memcmp(buf, data, len);
	free(buf);
	return ok;
}

static long file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) ? -1 : (long)st.st_size;
}

/* Starts httpd.py over DIR/www with extra arguments; returns its pid and fills base with http://127.0.0.1:PORT. */
static pid_t start_server(const char *portfile, const char *const *extra, char *base, size_t cap)
{
	const char *top = getenv("TOP");
	char script[512], www[512];
	const char *argv[24];
	int i, n = 0;
	pid_t pid;

	snprintf(script, sizeof(script), "%s/tests/fixtures/vib/httpd.py", top ? top : ".");
	snprintf(www, sizeof(www), "%s/www", dir);
	argv[n++] = "python3";
	argv[n++] = script;
	argv[n++] = www;
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	argv[n++] = "--log";
	argv[n++] = path("httpd.log");
	for (i = 0; extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 200; i++) { /* up to 10 s for the port file */
		FILE *f = fopen(portfile, "r");
		int port;

		if (f) {
			int ok = fscanf(f, "%d", &port) == 1;

			fclose(f);
			if (ok) {
				snprintf(base, cap, "http://127.0.0.1:%d", port);
				return pid;
			}
		}
		usleep(50000);
	}
	return -1;
}

static void test_good(void)
{
	struct fetch_opts o = { .resume = 1, .progress = 1 };
	struct rh_err err = { 0 };
	char u[300];
	uint64_t size = 0;

	snprintf(u, sizeof(u), "%s/big.bin", url);
	CHECK(fetch_to_file(u, path("good.bin"), &o, &size, &err) == 0);
	CHECK(size == BIG);
	CHECK(same(path("good.bin"), big, BIG));
	CHECK(file_size(path("good.bin.part")) == -1);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
}

static void test_404(void)
{
	struct fetch_opts o = { .resume = 1 };
	struct rh_err err = { 0 };
	char u[300];

	snprintf(u, sizeof(u), "%s/missing.vib", url);
	CHECK(fetch_to_file(u, path("missing.vib"), &o, NULL, &err) == -ENOENT);
	CHECK(strstr(err.msg, u) && strstr(err.msg, "HTTP status 404"));
	CHECK(file_size(path("missing.vib")) == -1);
	CHECK(file_size(path("missing.vib.part")) == -1);
}

/* The server drops /drop.bin after 100000 bytes, twice (test_drop_no_resume saw the first): the first fetch fails and keeps the part, the second
 * sends "Range: bytes=100000-" and completes it. */
static void test_drop_resume(void)
{
	struct fetch_opts o = { .resume = 1, .stall_timeout_s = 5 };
	struct rh_err err = { 0 };
	char u[300], *log = NULL;
	size_t n;
	uint64_t size = 0;
	int rc;

	snprintf(u, sizeof(u), "%s/drop.bin", url);
	rc = fetch_to_file(u, path("drop.bin"), &o, NULL, &err);
	CHECK(rc == -EIO);
	CHECK(strstr(err.msg, u) != NULL);
	CHECK(file_size(path("drop.bin")) == -1);
	CHECK(file_size(path("drop.bin.part")) == 100000);
	rh_err_clear(&err);
	CHECK(fetch_to_file(u, path("drop.bin"), &o, &size, &err) == 0);
	CHECK(size == BIG);
	CHECK(same(path("drop.bin"), big, BIG));
	CHECK(file_size(path("drop.bin.part")) == -1);
	CHECK(rh_read_file(path("httpd.log"), 1u << 20, &log, &n, NULL) == 0);
	CHECK(log && strstr(log, "GET /drop.bin range=bytes=100000- status=206 bytes=200000"));
	free(log);
}

/* Without resume a dropped transfer leaves nothing behind (the first of the two drops of /drop.bin). */
static void test_drop_no_resume(void)
{
	struct fetch_opts o = { .resume = 0 };
	struct rh_err err = { 0 };
	char u[300];

	snprintf(u, sizeof(u), "%s/drop.bin", url);
	CHECK(fetch_to_file(u, path("drop2.bin"), &o, NULL, &err) == -EIO);
	CHECK(file_size(path("drop2.bin.part")) == -1);
	CHECK(file_size(path("drop2.bin")) == -1);
}

/* A DEST.part that cannot be continued: longer than the file (416, restart), or a server without ranges
 * (200, restart): both end with the right bytes. */
static void test_stale_part(void)
{
	struct fetch_opts o = { .resume = 1 };
	struct rh_err err = { 0 };
	static unsigned char junk[BIG + 100];
	char u[300];
	uint64_t size = 0;

	memset(junk, 'j', sizeof(junk));
	CHECK(write_file(path("stale.bin.part"), junk, sizeof(junk)) == 0);
	snprintf(u, sizeof(u), "%s/big.bin", url);
	CHECK(fetch_to_file(u, path("stale.bin"), &o, &size, &err) == 0);
	CHECK(size == BIG && same(path("stale.bin"), big, BIG));
	CHECK(write_file(path("norange.bin.part"), junk, 5000) == 0);
	snprintf(u, sizeof(u), "%s/big.bin", url_norange);
	CHECK(fetch_to_file(u, path("norange.bin"), &o, &size, &err) == 0);
	CHECK(size == BIG && same(path("norange.bin"), big, BIG));
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
}

static void test_stall(void)
{
	struct fetch_opts o = { .resume = 1, .stall_timeout_s = 2 };
	struct rh_err err = { 0 };
	char u[300];
	time_t t0 = time(NULL);

	snprintf(u, sizeof(u), "%s/stall.bin", url);
	CHECK(fetch_to_file(u, path("stall.bin"), &o, NULL, &err) == -ETIMEDOUT);
	CHECK(time(NULL) - t0 < 15);
	CHECK(strstr(err.msg, u) && strstr(err.msg, "timed out"));
	CHECK(file_size(path("stall.bin")) == -1);
	CHECK(file_size(path("stall.bin.part")) == 1000); /* kept for a resume */
}

static void test_max_size(void)
{
	struct fetch_opts o = { .resume = 1, .max_size = 1000 };
	struct rh_err err = { 0 };
	char u[300];
	void *buf = NULL;
	size_t len;

	snprintf(u, sizeof(u), "%s/big.bin", url);
	CHECK(fetch_to_file(u, path("max.bin"), &o, NULL, &err) == -EFBIG);
	CHECK(strstr(err.msg, "limit of 1000") != NULL);
	CHECK(file_size(path("max.bin")) == -1 && file_size(path("max.bin.part")) == -1);
	rh_err_clear(&err);
	CHECK(fetch_to_buf(u, 1000, &buf, &len, &err) == -EFBIG);
	rh_err_clear(&err);
	/* without Content-Length checks (a range server sends it; check the exact boundary too) */
	o.max_size = BIG;
	CHECK(fetch_to_file(u, path("max.bin"), &o, NULL, &err) == 0);
	o.max_size = BIG - 1;
	CHECK(fetch_to_file(u, path("max2.bin"), &o, NULL, &err) == -EFBIG);
}

static void test_refused(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct fetch_opts o = { .connect_timeout_s = 5 };
	struct rh_err err = { 0 };
	char u[300];
	int s = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	      getsockname(s, (struct sockaddr *)&a, &alen) == 0);
	close(s); /* a port nobody listens on */
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/x.vib", ntohs(a.sin_port));
	CHECK(fetch_to_file(u, path("refused.vib"), &o, NULL, &err) == -ECONNREFUSED);
	CHECK(strstr(err.msg, u) != NULL);
	rh_err_clear(&err);
	CHECK(fetch_to_file("ftp://example.com/x", path("x"), &o, NULL, &err) == -EPROTONOSUPPORT);
}

/* A server that accepts the connection (the kernel's backlog does) and never answers: the stall timeout. */
static void test_silent_server(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct fetch_opts o = { .connect_timeout_s = 5, .stall_timeout_s = 1 };
	struct rh_err err = { 0 };
	char u[300];
	time_t t0 = time(NULL);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(s, 4) == 0 &&
	      getsockname(s, (struct sockaddr *)&a, &alen) == 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/x.vib", ntohs(a.sin_port));
	CHECK(fetch_to_file(u, path("silent.vib"), &o, NULL, &err) == -ETIMEDOUT);
	CHECK(strstr(err.msg, "no data for 1 s after 0 bytes") != NULL);
	CHECK(time(NULL) - t0 < 10);
	close(s);
}

/* ---- the canned server: GET or PUT /c/N is answered with canned[N] and the connection closed ---- */

#define CANNED_MAX 32
static char canned[CANNED_MAX][1024];
static pid_t canned_pid[2];
static char canned_v4[128], canned_v6[128];

/* Reads one request (its head, and a PUT's body into DIR/put.N); answers it. */
static void canned_serve(int c)
{
	static char req[1 << 16];
	char name[64], *body, *cl;
	size_t n = 0;
	ssize_t r;
	long want = 0;
	int idx = -1, fd;

	req[0] = '\0';
	while (n < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		r = read(c, req + n, sizeof(req) - 1 - n);
		if (r <= 0)
			return;
		n += (size_t)r;
		req[n] = '\0';
	}
	if (sscanf(req, "%*s /c/%d", &idx) != 1 || idx < 0 || idx >= CANNED_MAX)
		idx = 0;
	cl = strcasestr(req, "\r\nContent-Length: ");
	if (cl)
		want = atol(cl + 18);
	if (want && strcasestr(req, "\r\nExpect: 100-continue") && write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 25)
		return;
	body = strstr(req, "\r\n\r\n") + 4;
	snprintf(name, sizeof(name), "put.%d", idx);
	fd = want ? open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
	n -= (size_t)(body - req);
	while (fd >= 0) {
		if (n && write(fd, body, n) != (ssize_t)n)
			break;
		want -= (long)n;
		if (want <= 0)
			break;
		body = req;
		r = read(c, req, sizeof(req));
		if (r <= 0)
			break;
		n = (size_t)r;
	}
	if (fd >= 0)
		close(fd);
	if (write(c, canned[idx], strlen(canned[idx])) < 0)
		return;
	if (idx == 22) {   /* a head longer than the client's limit: 20 fields of 1000 bytes, no end */
		char pad[1000];
		int k;

		memset(pad, 'y', sizeof(pad));
		memcpy(pad, "X-Pad: ", 7);
		memcpy(pad + sizeof(pad) - 2, "\r\n", 2);
		for (k = 0; k < 20; k++)
			if (write(c, pad, sizeof(pad)) != (ssize_t)sizeof(pad))
				return;
	}
}

/* Starts the canned server on loopback of family af; fills base. Returns its pid, or -1 (no IPv6 here). */
static pid_t canned_start(int af, char *base, size_t cap)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = af == AF_INET ? sizeof(*a4) : sizeof(*a6);
	int s = socket(af, SOCK_STREAM, 0), one = 1;
	pid_t pid;

	ss.ss_family = (sa_family_t)af;
	if (af == AF_INET)
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		a6->sin6_addr = in6addr_loopback;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&ss, len) || listen(s, 16) || getsockname(s, (struct sockaddr *)&ss, &len)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	snprintf(base, cap, af == AF_INET ? "http://127.0.0.1:%d" : "http://[::1]:%d",
		 ntohs(af == AF_INET ? a4->sin_port : a6->sin6_port));
	pid = fork();
	if (pid == 0) {
		for (;;) {
			int c = accept(s, NULL, NULL);

			if (c < 0)
				_exit(0);
			canned_serve(c);
			close(c);
		}
	}
	close(s);
	return pid;
}

static void canned_setup(void)
{
	static const char *rows[] = {
		/* 0 */ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nT: 1\r\n\r\n",
		/* 1 */ "HTTP/1.1 302 Found\r\nLocation: /c/0\r\nContent-Length: 0\r\n\r\n",
		/* 2 */ "HTTP/1.1 307 Temporary Redirect\r\nLocation: 1\r\nContent-Length: 0\r\n\r\n",
		/* 3 */ "HTTP/1.1 301 Moved\r\nLocation: /c/3\r\n\r\n",
		/* 4 */ "HTTP/1.1 308 Permanent\r\nLocation: ftp://127.0.0.1/x\r\n\r\n",
		/* 5 */ "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
		/* 6 */ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
		/* 7 */ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
		/* 8 */ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
		/* 9 */ "SSH-2.0-OpenSSH_9.2\r\n\r\n",
		/* 10 */ "HTTP/1.1 200 OK\nContent-Length: 5\n\nhello",
		/* 11 */ "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-4/5\r\nContent-Length: 5\r\n\r\nhello",
		/* 12 */ "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 3-4/5\r\nContent-Length: 2\r\n\r\nlo",
		/* 13 */ "HTTP/1.0 200 OK\r\n\r\nuntil the close",
		/* 14 */ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		/* 15 */ "HTTP/1.1 300 Multiple Choices\r\nContent-Length: 0\r\n\r\n",
		/* 16 */ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		/* 17 */ "HTTP/1.1 201 Created\r\nContent-Length: 24\r\n\r\nstored generation 7\nmore",
		/* 18 */ "HTTP/1.1 403 Forbidden\r\nContent-Length: 14\r\n\r\nwrong token\r\nx",
		/* 19 */ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello and more bytes than said",
		/* 20 */ "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Range: bytes 1-0/3\r\n\r\nabc",
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		snprintf(canned[i], sizeof(canned[i]), "%s", rows[i]);
	/* 21: a redirect to the other server (httpd.py), absolute */
	snprintf(canned[21], sizeof(canned[21]), "HTTP/1.1 303 See Other\r\nLocation: %s/index.xml\r\n\r\n", url);
	/* 22: a head that never ends within the limit (canned_serve adds the fields) */
	snprintf(canned[22], sizeof(canned[22]), "HTTP/1.1 200 OK\r\n");
	canned_pid[0] = canned_start(AF_INET, canned_v4, sizeof(canned_v4));
	canned_pid[1] = canned_start(AF_INET6, canned_v6, sizeof(canned_v6));
}

/* Downloads into a buffer: one row per canned answer. */
static void test_canned_get(void)
{
	static const struct {
		int n, rc;
		const char *body, *msg;
	} rows[] = {
		{ 0, 0, "hello world", NULL },
		{ 1, 0, "hello world", NULL },                  /* 302 to an absolute path */
		{ 2, 0, "hello world", NULL },                  /* 307 to a relative one, then 302 */
		{ 21, 0, "<index/>", NULL },                    /* 303 to another server */
		{ 3, -EIO, NULL, "more than 5 redirects" },
		{ 4, -EPROTONOSUPPORT, NULL, "protocol not supported" },
		{ 5, -EIO, NULL, "connection closed after 5 of 100 bytes" },
		{ 6, -EIO, NULL, "closed inside a chunk" },
		{ 7, -EIO, NULL, "closed inside a chunk" },
		{ 8, -EBADMSG, NULL, "more than one Content-Length" },
		{ 9, -EBADMSG, NULL, "malformed status line" },
		{ 10, -EBADMSG, NULL, "bare LF" },
		{ 13, 0, "until the close", NULL },
		{ 14, 0, "ok", NULL },
		{ 15, -EIO, NULL, "HTTP status 300" },
		{ 16, -ENOTSUP, NULL, "Transfer-Encoding" },
		{ 19, 0, "hello", NULL },                       /* bytes past Content-Length are not the body */
		{ 20, -EBADMSG, NULL, "Content-Range" },
		{ 22, -EMSGSIZE, NULL, "head over 16384 bytes" },
	};
	size_t i;

	CHECK(canned_pid[0] > 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err = { 0, "" };
		char u[300];
		void *buf = NULL;
		size_t len = 0;
		int rc;

		snprintf(u, sizeof(u), "%s/c/%d", canned_v4, rows[i].n);
		rc = fetch_to_buf(u, 1 << 20, &buf, &len, &err);
		if (rc != rows[i].rc || (rows[i].msg && !strstr(err.msg, rows[i].msg)))
			fprintf(stderr, "  canned %d: %d %s\n", rows[i].n, rc, err.msg);
		CHECK(rc == rows[i].rc);
		if (rows[i].body)
			CHECK(rc == 0 && len == strlen(rows[i].body) && !memcmp(buf, rows[i].body, len));
		if (rows[i].msg)
			CHECK(strstr(err.msg, rows[i].msg) && strstr(err.msg, u));
		free(buf);
	}
}

/* A resume answered by the canned server: a 206 at the wrong offset is refused (and the part dropped), one at
 * the right offset completes the file; a truncated body keeps the part for the next resume. */
static void test_canned_resume(void)
{
	struct fetch_opts o = { .resume = 1 };
	struct rh_err err = { 0, "" };
	char u[300];
	uint64_t size = 0;

	CHECK(write_file(path("r.bin.part"), "hel", 3) == 0);
	snprintf(u, sizeof(u), "%s/c/11", canned_v4);
	CHECK(fetch_to_file(u, path("r.bin"), &o, NULL, &err) == -EPROTO);
	CHECK(strstr(err.msg, "from another offset") != NULL);
	CHECK(file_size(path("r.bin.part")) == -1 && file_size(path("r.bin")) == -1);
	CHECK(write_file(path("r.bin.part"), "hel", 3) == 0);
	snprintf(u, sizeof(u), "%s/c/12", canned_v4);
	rh_err_clear(&err);
	CHECK(fetch_to_file(u, path("r.bin"), &o, &size, &err) == 0);
	CHECK(size == 5 && same(path("r.bin"), "hello", 5));
	snprintf(u, sizeof(u), "%s/c/5", canned_v4);
	rh_err_clear(&err);
	CHECK(fetch_to_file(u, path("t.bin"), &o, NULL, &err) == -EIO);
	CHECK(file_size(path("t.bin")) == -1 && file_size(path("t.bin.part")) == 5);
	o.resume = 0;
	rh_err_clear(&err);
	CHECK(fetch_to_file(u, path("t2.bin"), &o, NULL, &err) == -EIO);
	CHECK(file_size(path("t2.bin")) == -1 && file_size(path("t2.bin.part")) == -1);
}

/* The same client over IPv6 when the machine has ::1. */
static void test_canned_ipv6(void)
{
	struct rh_err err = { 0, "" };
	char u[300];
	void *buf = NULL;
	size_t len = 0;

	if (canned_pid[1] <= 0) {
		fprintf(stderr, "  no IPv6 loopback here: skipped\n");
		return;
	}
	snprintf(u, sizeof(u), "%s/c/1", canned_v6);
	CHECK(fetch_to_buf(u, 100, &buf, &len, &err) == 0);
	CHECK(len == 11 && !memcmp(buf, "hello world", 11));
	free(buf);
}

/* Uploads: the body arrives whole (with Expect: 100-continue over 1 MiB), the answer's first line and status
 * come back, a refusal is an error naming both. */
static void test_canned_put(void)
{
	static unsigned char big2[2 * 1024 * 1024 + 7];
	const char *headers[] = { "X-Ramhost-Token: t0k", NULL };
	const char *bad[] = { "X-Evil: a\r\nX-Smuggled: b", NULL };
	struct rh_err err = { 0, "" };
	char u[300], answer[64] = "";
	long status = 0;
	size_t i;

	for (i = 0; i < sizeof(big2); i++)
		big2[i] = (unsigned char)(i * 7 + (i >> 9));
	CHECK(write_file(path("up.bin"), big, 5000) == 0 && write_file(path("up2.bin"), big2, sizeof(big2)) == 0);
	snprintf(u, sizeof(u), "%s/c/17", canned_v4);
	CHECK(fetch_put_file(u, path("up.bin"), headers, &status, answer, sizeof(answer), &err) == 0);
	CHECK(status == 201);
	CHECK_STR(answer, "stored generation 7");
	CHECK(same(path("put.17"), big, 5000));
	snprintf(u, sizeof(u), "%s/c/14", canned_v4);   /* 100 Continue, then 200 */
	CHECK(fetch_put_file(u, path("up2.bin"), headers, &status, answer, sizeof(answer), &err) == 0);
	CHECK(status == 200 && same(path("put.14"), big2, sizeof(big2)));
	snprintf(u, sizeof(u), "%s/c/18", canned_v4);
	CHECK(fetch_put_file(u, path("up.bin"), headers, &status, answer, sizeof(answer), &err) == -EACCES);
	CHECK(status == 403 && strstr(err.msg, "HTTP status 403: wrong token") && strstr(err.msg, u));
	rh_err_clear(&err);
	CHECK(fetch_put_file(u, path("up.bin"), bad, &status, answer, sizeof(answer), &err) == -EINVAL);
	rh_err_clear(&err);
	CHECK(fetch_put_file(u, path("none.bin"), headers, &status, answer, sizeof(answer), &err) == -ENOENT);
}

static void test_buf(void)
{
	struct rh_err err = { 0 };
	char u[300], fu[600];
	void *buf = NULL;
	size_t len = 0;

	snprintf(u, sizeof(u), "%s/index.xml", url);
	CHECK(fetch_to_buf(u, 1 << 20, &buf, &len, &err) == 0);
	CHECK(len == 8 && buf && !memcmp(buf, "<index/>", 8));
	free(buf);
	buf = NULL;
	snprintf(u, sizeof(u), "%s/empty", url);
	CHECK(fetch_to_buf(u, 1 << 20, &buf, &len, &err) == 0);
	CHECK(len == 0 && buf);
	free(buf);
	snprintf(u, sizeof(u), "%s/nope.xml", url);
	CHECK(fetch_to_buf(u, 1 << 20, &buf, &len, &err) == -ENOENT);
	/* file:// and plain paths */
	snprintf(fu, sizeof(fu), "file://%s/www/index.xml", dir);
	rh_err_clear(&err);
	CHECK(fetch_to_buf(fu, 100, &buf, &len, &err) == 0);
	CHECK(len == 8);
	free(buf);
	CHECK(fetch_to_buf(path("www/index.xml"), 100, &buf, &len, &err) == 0);
	free(buf);
	CHECK(fetch_to_buf(path("www/index.xml"), 4, &buf, &len, &err) == -EFBIG);
	snprintf(fu, sizeof(fu), "file://%s/www/big%%2Ebin", dir);
	CHECK(fetch_to_file(fu, path("copy.bin"), NULL, NULL, &err) == 0);
	CHECK(same(path("copy.bin"), big, BIG));
	CHECK(fetch_to_file(path("www/big.bin"), path("copy2.bin"), NULL, NULL, &err) == 0);
	CHECK(same(path("copy2.bin"), big, BIG));
	rh_err_clear(&err);
	CHECK(fetch_to_file(path("www/none"), path("copy3.bin"), NULL, NULL, &err) == -ENOENT);
	CHECK(strstr(err.msg, "www/none") != NULL);
	CHECK(file_size(path("copy3.bin.part")) == -1);
	CHECK(fetch_to_buf("file://otherhost/etc/hostname", 100, &buf, &len, NULL) == -EINVAL);
}

static void test_join(void)
{
	static const struct {
		const char *base, *rel, *out;
		int rc;
	} rows[] = {
		{ "http://h/depot", "vibs/a.vib", "http://h/depot/vibs/a.vib", 0 },
		{ "http://h/depot/", "vibs/a.vib", "http://h/depot/vibs/a.vib", 0 },
		{ "/srv/depot", "a.vib", "/srv/depot/a.vib", 0 },
		{ "/", "a.vib", "/a.vib", 0 },
		{ "", "a.vib", "a.vib", 0 },
		{ "file:///srv/d", "x/y.vib", "file:///srv/d/x/y.vib", 0 },
		{ "/srv/depot", "https://mirror/a.vib", "https://mirror/a.vib", 0 },
		{ "/srv/depot", "../etc/passwd", NULL, -EINVAL },
		{ "/srv/depot", "a/../../b", NULL, -EINVAL },
		{ "/srv/depot", "a/..", NULL, -EINVAL },
		{ "/srv/depot", "a/..b/c", "/srv/depot/a/..b/c", 0 },
		{ "/srv/depot", "/etc/passwd", NULL, -EINVAL },
		{ "http://h/d", "file:///etc/passwd", NULL, -EINVAL },
		{ "/srv/depot", "", NULL, -EINVAL },
	};
	char buf[256], tiny[8];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = fetch_join(buf, sizeof(buf), rows[i].base, rows[i].rel, NULL);

		CHECK(rc == rows[i].rc);
		if (!rc && rows[i].out)
			CHECK_STR(buf, rows[i].out);
	}
	CHECK(fetch_join(tiny, sizeof(tiny), "/srv/depot", "a.vib", NULL) == -ENAMETOOLONG);
}

int main(void)
{
	const char *faults[] = { "--drop-after", "100000", "--drop-path", "/drop.bin", "--drop-times", "2",
				 "--stall-after", "1000", "--stall-path", "/stall.bin", NULL };
	const char *norange[] = { "--no-range", NULL };
	char cmd[1024];
	size_t i;
	int ok;

	/* the proxy variables would send loopback requests elsewhere */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	for (i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i * 2654435761u >> 13);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/www", dir);
	ok = system(cmd) == 0 && write_file(path("www/big.bin"), big, BIG) == 0 &&
	     write_file(path("www/drop.bin"), big, BIG) == 0 &&
	     write_file(path("www/stall.bin"), big, BIG) == 0 && write_file(path("www/index.xml"), "<index/>", 8) == 0 &&
	     write_file(path("www/empty"), "", 0) == 0;
	servers[0] = ok ? start_server(path("port1"), faults, url, sizeof(url)) : -1;
	servers[1] = ok ? start_server(path("port2"), norange, url_norange, sizeof(url_norange)) : -1;
	if (servers[0] < 0 || servers[1] < 0) {
		printf("FAIL httpd\n");
		return 1;
	}
	canned_setup();
	RUN(test_good);
	RUN(test_404);
	RUN(test_drop_no_resume);
	RUN(test_drop_resume);
	RUN(test_stale_part);
	RUN(test_stall);
	RUN(test_max_size);
	RUN(test_refused);
	RUN(test_silent_server);
	RUN(test_buf);
	RUN(test_join);
	RUN(test_canned_get);
	RUN(test_canned_resume);
	RUN(test_canned_ipv6);
	RUN(test_canned_put);
	for (i = 0; i < 2; i++) {
		kill(servers[i], SIGTERM);
		waitpid(servers[i], NULL, 0);
		if (canned_pid[i] > 0) {
			kill(canned_pid[i], SIGTERM);
			waitpid(canned_pid[i], NULL, 0);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	UNIT_EXIT();
}
