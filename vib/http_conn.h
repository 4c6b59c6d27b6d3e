/* http_conn.h: one HTTP/1.1 connection of the download client, plain or TLS (OpenSSL), with every wait bounded.
 *
 * The caller writes the request bytes (http_conn_write), reads the response head (http_conn_read_head, parsed
 * by lib/http_resp.c) and then the body (http_conn_read_body: by Content-Length, chunked, or up to the close),
 * and closes. A body cut short (the connection closed before Content-Length bytes or inside a chunk) is an
 * error, never a short body. TLS: TLS 1.2 or newer, the system's trust store (OpenSSL's default paths, so
 * SSL_CERT_FILE and SSL_CERT_DIR apply) or ca_file, the host name (or IP address) checked against the
 * certificate, SNI for names. No proxies.
 *
 * Time: connecting (TCP and the TLS handshake) is bounded by connect_s; every other wait calls tick at least
 * four times a second with the bytes moved so far, and a tick that returns nonzero stops the call with
 * -ETIMEDOUT (the caller knows which of its limits it was). Errors: -ECONNREFUSED cannot connect,
 * -EHOSTUNREACH unknown host, -ETIMEDOUT, -EKEYREJECTED an untrusted certificate, -EBADMSG/-EMSGSIZE/-ENOTSUP a
 * bad head (lib/http_resp.h), -EIO anything else; err says what, without the URL (the caller adds it). */
#ifndef RAMHOST_VIB_HTTP_CONN_H
#define RAMHOST_VIB_HTTP_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "http_resp.h"
#include "http_url.h"

struct http_conn_opts {
	long connect_s;            /* TCP connect and TLS handshake; 0: 15 s */
	const char *ca_file;       /* PEM trust anchors instead of the system's (NULL: the system's) */
	/* called while waiting (connected: the TCP connection is up; moved: bytes sent and received); nonzero
	 * stops the transfer. NULL: no limit but connect_s. */
	int (*tick)(void *ctx, int connected, uint64_t moved);
	void *tick_ctx;
};

struct http_conn;

/* Connects to u's host and port (every address getaddrinfo gives, IPv6 and IPv4, in its order) and, for https,
 * completes the TLS handshake. *ret_conn is set only on success; close it with http_conn_close. */
int http_conn_open(const struct http_url *u, const struct http_conn_opts *o, struct http_conn **ret_conn,
		   struct rh_err *err);

/* Sends buf[0..len) whole. -EPIPE when the peer closed the connection (it may have answered already). */
int http_conn_write(struct http_conn *c, const void *buf, size_t len, struct rh_err *err);

/* 1 when response bytes are waiting or arrive within ms milliseconds, 0 when not (for Expect: 100-continue). */
int http_conn_wait_answer(struct http_conn *c, int ms);

/* Reads and parses the next response head into *ret (its Location points into the connection's buffer, valid
 * until the next call on c); is_head: the request was HEAD (no body follows). */
int http_conn_read_head(struct http_conn *c, int is_head, struct http_resp *ret, const char **ret_head,
			struct rh_err *err);

/* The next bytes of the body into buf[0..cap): *ret_n 0 at the end of the body. */
int http_conn_read_body(struct http_conn *c, void *buf, size_t cap, size_t *ret_n, struct rh_err *err);

/* Bytes of the body received so far. */
uint64_t http_conn_body_bytes(const struct http_conn *c);

/* Closes the connection and frees c (NULL is fine). */
void http_conn_close(struct http_conn *c);

#endif
