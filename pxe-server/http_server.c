/* http_server.c: the libmicrohttpd daemon of `ramhost pxe serve`, GET and HEAD (http_server.h). PUT of state
 * uploads is http_put.c. */
#include "http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "host_state.h"
#include "http_range.h"
#include "mac.h"
#include "sha256.h"

#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define TLS_PEM_MAX (1u << 20)
#define PATH_TEXT_MAX 1024   /* longer request paths are refused (400) */

void http_event(struct pxe_http *h, const uint8_t *mac, const char *step, const char *fmt, ...)
{
	char text[1536];
	va_list ap;

	if (!h->ops.event)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	h->ops.event(h->ops.ctx, mac, step, text);
}

enum MHD_Result http_text(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
	char text[1536];
	struct MHD_Response *resp;
	enum MHD_Result ret;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(text) - 2)
		n = (int)sizeof(text) - 2;
	text[n++] = '\n';
	resp = MHD_create_response_from_buffer((size_t)n, text, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, PUT");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, PXE_HTTP_TOKEN_HEADER);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

int http_path_mac(const char *path, uint8_t mac[6])
{
	char m[MAC_TEXT];
	const char *slash;

	if (strncmp(path, "host/", 5))
		return 0;
	slash = strchr(path + 5, '/');
	if (!slash || slash - (path + 5) != MAC_TEXT - 1)
		return 0;
	memcpy(m, path + 5, MAC_TEXT - 1);
	m[MAC_TEXT - 1] = '\0';
	return mac_parse(m, mac) == 0;
}

/* 0 when the request target is a path the resolver may see: starts with '/', no NUL smuggled in as %00, no
 * control characters after decoding, not absurdly long. */
static int path_ok(const char *raw, const char *url)
{
	const char *p;
	size_t n;

	if (!url || url[0] != '/' || (n = strlen(url)) > PATH_TEXT_MAX)
		return -EINVAL;
	for (p = url; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	for (p = raw; p && *p && *p != '?'; p++)
		if (p[0] == '%' && p[1] == '0' && p[2] == '0')
			return -EINVAL;
	return 0;
}

/* The raw query of the request (after '?'), or NULL. */
static const char *raw_query(const struct http_req *r)
{
	const char *q = r && r->uri ? strchr(r->uri, '?') : NULL;

	return q ? q + 1 : NULL;
}

/* What a GET or HEAD will send: the whole object or one range of it. */
struct plan {
	uint64_t size, first, len;
	unsigned status;
	char etag[80];
};

/* Decides 200 / 206 / 304 / 416 from Range, If-Range and If-None-Match. */
static void plan_request(struct MHD_Connection *c, const struct pxe_obj *o, uint64_t size, struct plan *p)
{
	const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	const char *if_range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_RANGE);
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	uint64_t first = 0, last = 0;

	p->size = size;
	p->first = 0;
	p->len = size;
	p->status = MHD_HTTP_OK;
	if (o->immutable && p->etag[0] && inm && (!strcmp(inm, p->etag) || !strcmp(inm, "*"))) {
		p->status = MHD_HTTP_NOT_MODIFIED;
		p->len = 0;
		return;
	}
	if (!range || (if_range && (!p->etag[0] || strcmp(if_range, p->etag))))
		return;   /* no range, or the client's copy is another version: the whole object */
	switch (http_range_parse(range, strlen(range), size, &first, &last)) {
	case HTTP_RANGE_PARTIAL:
		p->status = MHD_HTTP_PARTIAL_CONTENT;
		p->first = first;
		p->len = last - first + 1;
		break;
	case HTTP_RANGE_UNSATISFIABLE:
		p->status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
		p->len = 0;
		break;
	default:
		break;
	}
}

/* The ETag of an immutable object: its content hash for bytes, file identity (as nginx does) for files. */
static void make_etag(const struct pxe_obj *o, const struct stat *st, char *out, size_t cap)
{
	uint8_t d[SHA256_DIGEST_LEN];
	size_t i;

	out[0] = '\0';
	if (!o->immutable)
		return;
	if (o->kind == PXE_OBJ_FILE) {
		snprintf(out, cap, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st->st_mtime,
			 (uint64_t)st->st_size, (uint64_t)st->st_ino);
		return;
	}
	sha256_buf(o->bytes, (size_t)o->size, d);
	out[0] = '"';
	for (i = 0; i < 16; i++)
		snprintf(out + 1 + 2 * i, cap - 1 - 2 * i, "%02x", d[i]);
	snprintf(out + 33, cap - 33, "\"");
}

static void free_bytes(void *cls)
{
	free(cls);
}

/* The body of the plan: the file from p->first (MHD closes fd; sendfile on plain HTTP) or the bytes (taken
 * from o). NULL on failure (fd closed, bytes still o's). */
static struct MHD_Response *body_response(struct pxe_obj *o, int *fd, const struct plan *p)
{
	struct MHD_Response *resp;

	if (p->status == MHD_HTTP_NOT_MODIFIED || p->status == MHD_HTTP_RANGE_NOT_SATISFIABLE)
		return MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (o->kind == PXE_OBJ_FILE) {
		resp = MHD_create_response_from_fd_at_offset64(p->len, *fd, p->first);
		if (resp)
			*fd = -1;   /* MHD's now */
		return resp;
	}
	resp = MHD_create_response_from_buffer_with_free_callback_cls((size_t)p->len, o->bytes + p->first, free_bytes,
								      o->bytes);
	if (resp)
		o->bytes = NULL;
	return resp;
}

/* Adds the headers of a successful answer and queues it. */
static enum MHD_Result send_plan(struct MHD_Connection *c, struct pxe_obj *o, int *fd, const struct plan *p)
{
	struct MHD_Response *resp = body_response(o, fd, p);
	enum MHD_Result ret;
	char cr[96];

	if (!resp)
		return http_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				o->content_type ? o->content_type : "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, o->immutable ? CACHE_IMMUTABLE : "no-store");
	if (p->etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, p->etag);
	if (p->status == MHD_HTTP_PARTIAL_CONTENT) {
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, p->first, p->first + p->len - 1,
			 p->size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	} else if (p->status == MHD_HTTP_RANGE_NOT_SATISFIABLE) {
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, p->size);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	}
	ret = MHD_queue_response(c, p->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Opens a FILE object for sending: a regular file, never through a symlink; *st gets its size now. */
static int open_obj(const struct pxe_obj *o, int *ret_fd, struct stat *st, struct rh_err *err)
{
	int fd = open(o->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return rh_errf(err, errno == ENOENT ? -ENOENT : -EACCES, "%s: cannot open: %s", o->path,
			       strerror(errno));
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return rh_errf(err, -EACCES, "%s: not a regular file", o->path);
	}
	*ret_fd = fd;
	return 0;
}

/* Answers a resolver refusal: 404, 403 or 500, with an event. */
static enum MHD_Result refuse(struct pxe_http *h, struct MHD_Connection *c, const char *method, const char *path,
			     int rc, const struct rh_err *err)
{
	uint8_t mac[6];
	const uint8_t *m = http_path_mac(path, mac) ? mac : NULL;

	if (rc == -ENOENT) {
		http_event(h, m, "http", "%s /%s: 404 not found", method, path);
		return http_text(c, MHD_HTTP_NOT_FOUND, "not found: /%s", path);
	}
	http_event(h, m, "http", "%s /%s: %d %s", method, path, rc == -EACCES ? 403 : 500, err->msg);
	if (rc == -EACCES)
		return http_text(c, MHD_HTTP_FORBIDDEN, "refused: /%s: %s", path, err->msg);
	return http_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "error: /%s: %s", path, err->msg);
}

static enum MHD_Result serve_get(struct pxe_http *h, struct MHD_Connection *c, struct http_req *r,
				 const char *method, const char *path)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct rh_err err = { 0, "" };
	struct pxe_obj o;
	struct plan p;
	struct stat st;
	uint8_t mac[6];
	enum MHD_Result ret;
	int fd = -1, rc;

	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	memset(&st, 0, sizeof(st));
	rc = h->ops.resolve(h->ops.ctx, path, raw_query(r), ci ? ci->client_addr : NULL, &o, &err);
	if (rc == 0 && o.kind == PXE_OBJ_FILE)
		rc = open_obj(&o, &fd, &st, &err);
	else if (rc == 0 && o.kind != PXE_OBJ_BYTES)
		rc = rh_errf(&err, -EINVAL, "resolver gave no object");
	if (rc < 0) {
		ret = refuse(h, c, method, path, rc, &err);
		goto out;
	}
	make_etag(&o, &st, p.etag, sizeof(p.etag));
	plan_request(c, &o, o.kind == PXE_OBJ_FILE ? (uint64_t)st.st_size : o.size, &p);
	ret = send_plan(c, &o, &fd, &p);
	http_event(h, (o.mac[0] && mac_parse(o.mac, mac) == 0) ? mac : NULL, o.step ? o.step : "http",
		   "http %s /%s %u %" PRIu64 " bytes", method, path, p.status, p.len);
out:
	if (fd >= 0)
		close(fd);
	free(o.bytes);
	return ret;
}

/* MHD calls this after the headers, for each piece of a body, and once the request is complete. GET and HEAD
 * are answered on the last call: an answer queued before the request is complete makes MHD close the
 * connection, and keep-alive is what iPXE and the loaders fetching many modules live on. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct pxe_http *h = cls;
	struct http_req *r = *con_cls;
	int bad;

	(void)version;
	if (!r)
		return MHD_NO;   /* the URI callback could not allocate: drop the connection */
	bad = path_ok(r->uri, url) < 0;
	if (!strcmp(method, MHD_HTTP_METHOD_PUT) && (!bad || r->stage))
		return http_put(h, c, r, url + 1, upload_data, upload_size);
	if (r->stage == 0 && !bad) {
		r->stage = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;   /* a body on GET or an unknown method: not kept */
		return MHD_YES;
	}
	if (bad) {
		http_event(h, NULL, "http", "%.16s: 400 malformed path", method);
		return http_text(c, MHD_HTTP_BAD_REQUEST, "malformed path");
	}
	if (!strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD))
		return serve_get(h, c, r, method, url + 1);
	http_event(h, NULL, "http", "%.16s /%s: 405 method not allowed", method, url + 1);
	return http_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: %.32s", method);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_req *r = calloc(1, sizeof(*r));

	(void)cls;
	(void)c;
	if (!r)
		return NULL;
	r->fd = -1;
	r->uri = strdup(uri ? uri : "");
	if (!r->uri) {
		free(r);
		return NULL;
	}
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!r)
		return;
	http_put_done(r);
	free(r->uri);
	free(r);
	*con_cls = NULL;
}

/* MHD's own messages (a client that sent garbage, a failed TLS handshake) become events. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct pxe_http *h = cls;
	char text[512];
	size_t n;

	vsnprintf(text, sizeof(text), fmt, ap);
	n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	http_event(h, NULL, "http", "http: %s", text);
}

/* Reads the TLS key and certificate (PEM) when conf asks for TLS. */
static int load_tls(struct pxe_http *h, const struct pxe_http_conf *conf, struct rh_err *err)
{
	size_t len;
	int rc;

	if (!conf->tls_cert && !conf->tls_key)
		return 0;
	if (!conf->tls_cert || !conf->tls_key)
		return rh_errf(err, -EINVAL, "TLS needs both tls-cert and tls-key");
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return rh_errf(err, -ENOTSUP, "TLS asked for (tls-cert %s) but this libmicrohttpd has no TLS support",
			       conf->tls_cert);
	rc = rh_read_file(conf->tls_cert, TLS_PEM_MAX, &h->tls_cert, &len, err);
	if (rc == 0)
		rc = rh_read_file(conf->tls_key, TLS_PEM_MAX, &h->tls_key, &len, err);
	return rc;
}

/* Starts the MHD daemon on conf's address. */
static int start_daemon(struct pxe_http *h, const struct pxe_http_conf *conf, struct rh_err *err)
{
	struct sockaddr_in sa;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)conf->port);
	sa.sin_addr.s_addr = htonl(conf->bind_ip);
	if (h->tls_cert)
		flags |= MHD_USE_TLS;
	h->d = MHD_start_daemon(flags, (uint16_t)conf->port, NULL, NULL, on_request, h,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)PXE_HTTP_THREADS,
				MHD_OPTION_CONNECTION_LIMIT, conf->max_connections ? conf->max_connections : 1024u,
				MHD_OPTION_CONNECTION_TIMEOUT, conf->timeout_s ? conf->timeout_s : 30u,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				h->tls_cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, h->tls_key,
				MHD_OPTION_HTTPS_MEM_CERT, h->tls_cert,
				MHD_OPTION_END);
	if (!h->d)
		return rh_errf(err, -EADDRINUSE, "HTTP: cannot listen on %u.%u.%u.%u:%u (in use, or no permission%s)",
			       conf->bind_ip >> 24, (conf->bind_ip >> 16) & 255, (conf->bind_ip >> 8) & 255,
			       conf->bind_ip & 255, conf->port, h->tls_cert ? ", or a TLS key or certificate MHD refused" : "");
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : conf->port;
	return 0;
}

int pxe_http_start(const struct pxe_http_conf *conf, const struct pxe_http_ops *ops, struct pxe_http **ret,
		   struct rh_err *err)
{
	struct pxe_http *h = calloc(1, sizeof(*h));
	int rc;

	if (!h)
		return rh_errf(err, -ENOMEM, "out of memory");
	if (!ops->resolve) {
		free(h);
		return rh_errf(err, -EINVAL, "HTTP: no resolver");
	}
	h->ops = *ops;
	h->state_max = conf->state_max_bytes ? conf->state_max_bytes : PXE_HTTP_STATE_MAX_DEFAULT;
	h->state_keep = conf->state_keep ? conf->state_keep : 3;
	rc = 0;
	if (conf->state_dir && (size_t)snprintf(h->state_dir, sizeof(h->state_dir), "%s", conf->state_dir) >=
				       sizeof(h->state_dir))
		rc = rh_errf(err, -ENAMETOOLONG, "%s: state directory path too long", conf->state_dir);
	if (rc == 0 && h->state_dir[0])
		rc = pxe_host_state_sweep(h->state_dir, NULL, err);
	if (rc == 0)
		rc = load_tls(h, conf, err);
	if (rc == 0)
		rc = start_daemon(h, conf, err);
	if (rc < 0) {
		pxe_http_stop(h);
		return rc;
	}
	*ret = h;
	return 0;
}

unsigned pxe_http_port(const struct pxe_http *h)
{
	return h ? h->port : 0;
}

void pxe_http_stop(struct pxe_http *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	free(h->tls_key);
	free(h->tls_cert);
	free(h);
}
