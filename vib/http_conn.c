/* http_conn.c: the socket and TLS side of the download client (http_conn.h). Every descriptor is non-blocking
 * and every wait is a poll() of at most a quarter second, so the caller's limits (tick) are checked while a
 * server stays silent. */
#include "http_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define SLICE_MS 250

enum body_mode { BODY_NONE, BODY_LEN, BODY_CHUNKED, BODY_CLOSE };

struct http_conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	struct http_conn_opts o;
	int connected;
	uint64_t moved;                 /* bytes sent and received */
	char buf[HTTP_RESP_HEAD_MAX];   /* received bytes not yet handed out: [pos, have) */
	size_t pos, have;
	enum body_mode mode;
	uint64_t left;                  /* BODY_LEN: bytes still to come */
	uint64_t body;                  /* body bytes handed out */
	struct http_chunked ch;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int tick(struct http_conn *c, struct rh_err *err)
{
	if (c->o.tick && c->o.tick(c->o.tick_ctx, c->connected, c->moved))
		return rh_errf(err, -ETIMEDOUT, "stopped by a time limit");
	return 0;
}

/* Waits until c->fd has events (POLLIN or POLLOUT), checking tick between slices; deadline (ms, -1: none). */
static int wait_fd(struct http_conn *c, short events, int64_t deadline, struct rh_err *err)
{
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = events };
		int64_t left = deadline < 0 ? SLICE_MS : deadline - now_ms();
		int rc;

		if (left <= 0)
			return rh_errf(err, -ETIMEDOUT, "connect timed out after %ld s", c->o.connect_s);
		rc = poll(&p, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
		if (rc < 0 && errno != EINTR)
			return rh_errf(err, -EIO, "poll: %s", strerror(errno));
		if (rc > 0)
			return 0;
		rc = tick(c, err);
		if (rc < 0)
			return rc;
	}
}

/* The reason of the last OpenSSL failure, for messages. */
static const char *tls_why(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown error";
}

/* One TLS step's outcome: 0 to retry after waiting (done inside), 1 at a clean end of stream, else the error. */
static int tls_retry(struct http_conn *c, int r, int64_t deadline, const char *what, struct rh_err *err)
{
	int e = SSL_get_error(c->ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c, POLLIN, deadline, err);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c, POLLOUT, deadline, err);
	if (e == SSL_ERROR_ZERO_RETURN)
		return 1;
	if (e == SSL_ERROR_SYSCALL && errno == EPIPE)
		return rh_errf(err, -EPIPE, "connection closed by the server");
	if (e == SSL_ERROR_SYSCALL && errno)
		return rh_errf(err, -EIO, "TLS %s: %s", what, strerror(errno));
	return rh_errf(err, -EIO, "TLS %s: %s", what, tls_why());
}

/* Reads up to cap bytes into buf; *ret_n 0 at the end of the stream. */
static int raw_read(struct http_conn *c, void *buf, size_t cap, size_t *ret_n, struct rh_err *err)
{
	for (;;) {
		size_t n = 0;
		ssize_t r;
		int rc;

		if (c->ssl) {
			ERR_clear_error();
			r = SSL_read_ex(c->ssl, buf, cap, &n) ? (ssize_t)n : -1;
			if (r < 0) {
				rc = tls_retry(c, 0, -1, "read", err);
				if (rc == 1)
					r = 0;
				else if (rc < 0)
					return rc;
				else
					continue;
			}
		} else {
			r = recv(c->fd, buf, cap, 0);
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
				rc = wait_fd(c, POLLIN, -1, err);
				if (rc < 0)
					return rc;
				continue;
			}
			if (r < 0)
				return rh_errf(err, -EIO, "receive: %s", strerror(errno));
		}
		c->moved += (uint64_t)r;
		*ret_n = (size_t)r;
		return tick(c, err);
	}
}

/* write() with SIGPIPE held off for this thread: a peer that closed gives EPIPE, not a dead process. The
 * signal is taken back only if this write raised it. */
static ssize_t write_nosig(struct http_conn *c, const void *buf, size_t len, size_t *ret_n)
{
	sigset_t pipe_set, old, pending;
	int was_pending, saved;
	ssize_t r;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	if (c->ssl) {
		ERR_clear_error();
		r = SSL_write_ex(c->ssl, buf, len, ret_n) ? 1 : -1;
	} else {
		r = send(c->fd, buf, len, MSG_NOSIGNAL);
		*ret_n = r > 0 ? (size_t)r : 0;
	}
	saved = errno;
	if (!was_pending) {
		struct timespec zero = { 0, 0 };

		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE))
			sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return r;
}

int http_conn_write(struct http_conn *c, const void *buf, size_t len, struct rh_err *err)
{
	const char *p = buf;
	int rc;

	while (len) {
		size_t n = 0;
		ssize_t r = write_nosig(c, p, len, &n);

		if (r < 0 && c->ssl) {
			rc = tls_retry(c, (int)r, -1, "write", err);
			if (rc == 1)
				return rh_errf(err, -EPIPE, "connection closed by the server");
			if (rc < 0)
				return rc;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			rc = wait_fd(c, POLLOUT, -1, err);
			if (rc < 0)
				return rc;
			continue;
		}
		if (r < 0)
			return rh_errf(err, errno == EPIPE || errno == ECONNRESET ? -EPIPE : -EIO, "send: %s",
				       strerror(errno));
		p += n;
		len -= n;
		c->moved += n;
		rc = tick(c, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* For TLS, readable is not enough: a TLS 1.3 server sends session tickets after the handshake, which are no
 * answer. SSL_peek consumes them and says whether application bytes came. */
int http_conn_wait_answer(struct http_conn *c, int ms)
{
	int64_t deadline = now_ms() + ms;
	char b;

	if (c->have > c->pos || (c->ssl && SSL_pending(c->ssl)))
		return 1;
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		size_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return 0;
		if (!c->ssl)
			return 1;
		ERR_clear_error();
		if (SSL_peek_ex(c->ssl, &b, 1, &n) || SSL_get_error(c->ssl, 0) != SSL_ERROR_WANT_READ)
			return 1;   /* bytes, or an error that the next read reports */
	}
}

/* A TCP connection to one address, within deadline. Returns the descriptor or a negative errno. */
static int connect_one(struct http_conn *c, const struct addrinfo *ai, int64_t deadline, struct rh_err *err)
{
	socklen_t len = sizeof(int);
	int soerr = 0, rc;

	c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (c->fd < 0)
		return rh_errf(err, -errno, "socket: %s", strerror(errno));
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS) {
		soerr = errno;
	} else {
		rc = wait_fd(c, POLLOUT, deadline, err);
		if (rc < 0)
			goto fail;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			soerr = errno;
	}
	if (!soerr)
		return 0;
	rc = rh_errf(err, -ECONNREFUSED, "%s", strerror(soerr));
fail:
	close(c->fd);
	c->fd = -1;
	return rc;
}

/* Every address of u in turn until one connects; the error of the last one otherwise. */
static int connect_tcp(struct http_conn *c, const struct http_url *u, int64_t deadline, struct rh_err *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	struct rh_err last = { 0, "" };
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", u->port);
	rc = getaddrinfo(u->host, port, &hints, &res);
	if (rc)
		return rh_errf(err, -EHOSTUNREACH, "unknown host: %s: %s", u->host,
			       rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	rc = -ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		rh_err_clear(&last);
		rc = connect_one(c, ai, deadline, &last);
		if (rc == 0 || rc == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (rc == -ETIMEDOUT)
		return rh_errf(err, rc, "%s", last.msg);
	if (rc < 0) /* every failure to connect (refused, unreachable, no IPv6 here) is one answer to the caller */
		return rh_errf(err, -ECONNREFUSED, "cannot connect: %s", last.msg[0] ? last.msg : "no address");
	c->connected = 1;
	return 0;
}

/* The TLS handshake over c->fd: TLS 1.2 or newer, the certificate checked against the trust store and u's
 * host (a name, with SNI, or an IP address). */
static int start_tls(struct http_conn *c, const struct http_url *u, int64_t deadline, struct rh_err *err)
{
	int r, ip = u->ipv6 || strspn(u->host, "0123456789.") == strlen(u->host);
	long v;

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx || !SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION))
		return rh_errf(err, -ENOMEM, "TLS: cannot set up: %s", tls_why());
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF); /* lengths are checked by http_conn_read_body */
	if (c->o.ca_file ? !SSL_CTX_load_verify_locations(c->ctx, c->o.ca_file, NULL) :
			   !SSL_CTX_set_default_verify_paths(c->ctx))
		return rh_errf(err, -EKEYREJECTED, "TLS certificate not trusted: cannot load the trust store %s: %s",
			       c->o.ca_file ? c->o.ca_file : "(system)", tls_why());
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
		return rh_errf(err, -ENOMEM, "TLS: cannot set up: %s", tls_why());
	if (ip ? !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), u->host) :
		 !SSL_set1_host(c->ssl, u->host) || !SSL_set_tlsext_host_name(c->ssl, u->host))
		return rh_errf(err, -EINVAL, "TLS: cannot check the host %s: %s", u->host, tls_why());
	for (;;) {
		ERR_clear_error();
		r = SSL_connect(c->ssl);
		if (r == 1)
			return 0;
		v = SSL_get_verify_result(c->ssl);
		if (v != X509_V_OK)
			return rh_errf(err, -EKEYREJECTED, "TLS certificate not trusted: %s", X509_verify_cert_error_string(v));
		r = tls_retry(c, r, deadline, "handshake", err);
		if (r == 1)
			return rh_errf(err, -EIO, "TLS handshake: connection closed");
		if (r < 0)
			return r;
	}
}

int http_conn_open(const struct http_url *u, const struct http_conn_opts *o, struct http_conn **ret_conn,
		   struct rh_err *err)
{
	struct http_conn *c = calloc(1, sizeof(*c));
	int64_t deadline;
	int rc;

	if (!c)
		return rh_errf(err, -ENOMEM, "out of memory");
	c->fd = -1;
	c->o = *o;
	if (c->o.connect_s <= 0)
		c->o.connect_s = 15;
	deadline = now_ms() + c->o.connect_s * 1000;
	rc = connect_tcp(c, u, deadline, err);
	if (rc == 0 && u->https)
		rc = start_tls(c, u, deadline, err);
	if (rc < 0) {
		http_conn_close(c);
		return rc;
	}
	*ret_conn = c;
	return 0;
}

/* Moves unread bytes to the front of buf and reads more after them. */
static int fill(struct http_conn *c, size_t *ret_n, struct rh_err *err)
{
	if (c->pos) {
		memmove(c->buf, c->buf + c->pos, c->have - c->pos);
		c->have -= c->pos;
		c->pos = 0;
	}
	return raw_read(c, c->buf + c->have, sizeof(c->buf) - c->have, ret_n, err);
}

int http_conn_read_head(struct http_conn *c, int is_head, struct http_resp *ret, const char **ret_head,
			struct rh_err *err)
{
	struct http_resp r;
	size_t n;
	int rc;

	for (;;) {
		rc = http_resp_parse(c->buf + c->pos, c->have - c->pos, &r, err);
		if (rc != -EAGAIN)
			break;
		if (c->have == sizeof(c->buf) && c->pos == 0)
			return rh_errf(err, -EMSGSIZE, "HTTP response: head over %d bytes", HTTP_RESP_HEAD_MAX);
		rc = fill(c, &n, err);
		if (rc < 0)
			return rc;
		if (!n)
			return rh_errf(err, -EIO, c->have ? "connection closed inside the response head" :
						   "connection closed without a response");
		c->have += n;
	}
	if (rc < 0)
		return rc;
	*ret_head = c->buf + c->pos;
	c->pos += r.head_len;
	c->body = 0;
	memset(&c->ch, 0, sizeof(c->ch));
	c->left = r.content_length >= 0 ? (uint64_t)r.content_length : 0;
	c->mode = http_resp_no_body(&r, is_head) ? BODY_NONE : r.chunked ? BODY_CHUNKED :
		  r.content_length >= 0 ? BODY_LEN : BODY_CLOSE;
	*ret = r;
	return 0;
}

/* The next bytes of a chunked body: framing is consumed in place, data copied out. */
static int read_chunked(struct http_conn *c, char *buf, size_t cap, size_t *ret_n, struct rh_err *err)
{
	size_t used, off, len, n;
	int rc;

	for (;;) {
		if (http_chunked_done(&c->ch)) {
			*ret_n = 0;
			return 0;
		}
		if (c->pos < c->have) {
			size_t avail = c->have - c->pos;

			rc = http_chunked_feed(&c->ch, (const uint8_t *)c->buf + c->pos, avail < cap ? avail : cap, &used,
					       &off, &len, err);
			if (rc < 0)
				return rc;
			if (len)
				memmove(buf, c->buf + c->pos + off, len);
			c->pos += used;
			if (len) {
				*ret_n = len;
				return 0;
			}
			continue;
		}
		c->pos = c->have = 0;
		rc = fill(c, &n, err);
		if (rc < 0)
			return rc;
		if (!n)
			return rh_errf(err, -EIO, "connection closed inside a chunk (%llu bytes of the body received)",
				       (unsigned long long)c->body);
		c->have = n;
	}
}

int http_conn_read_body(struct http_conn *c, void *buf, size_t cap, size_t *ret_n, struct rh_err *err)
{
	size_t n = 0;
	int rc = 0;

	if (c->mode == BODY_NONE || (c->mode == BODY_LEN && !c->left)) {
		*ret_n = 0;
		return 0;
	}
	if (c->mode == BODY_LEN && cap > c->left)
		cap = (size_t)c->left;
	if (c->mode == BODY_CHUNKED) {
		rc = read_chunked(c, buf, cap, &n, err);
	} else if (c->pos < c->have) {
		n = c->have - c->pos < cap ? c->have - c->pos : cap;
		memcpy(buf, c->buf + c->pos, n);
		c->pos += n;
	} else {
		rc = raw_read(c, buf, cap, &n, err);
		if (rc == 0 && !n && c->mode == BODY_LEN)
			rc = rh_errf(err, -EIO, "connection closed after %llu of %llu bytes of the body",
				     (unsigned long long)c->body, (unsigned long long)(c->body + c->left));
	}
	if (rc < 0)
		return rc;
	c->body += n;
	if (c->mode == BODY_LEN)
		c->left -= n;
	*ret_n = n;
	return 0;
}

uint64_t http_conn_body_bytes(const struct http_conn *c)
{
	return c->body;
}

void http_conn_close(struct http_conn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
