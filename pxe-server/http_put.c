/* http_put.c: PUT host/MAC/state, a new state generation from a booted host (http_server.h, host_state.h).
 *
 * Order of the checks, all before one byte of the body is read (MHD sends "100 Continue" only after them):
 * the path, the token header (401 missing, 403 wrong or another host's), the host's rule (403 state none),
 * Content-Length against the limit (413). The body is then streamed into a temporary in the host's directory;
 * one that grows past the limit is no longer written, its temporary removed, and it is answered 413 when it
 * ends within PUT_DRAIN bytes more, else cut off by closing the connection (MHD cannot answer in the middle of
 * a body). The complete upload goes to pxe_host_state_accept, which checks footer and
 * hash and stores it atomically: 201 "generation N", 413, 409 (not newer than the stored), 422 (damaged). */
#include "http_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "host_state.h"
#include "mac.h"

#define PUT_DRAIN (1u << 20)   /* bytes read and dropped past the limit before the connection is closed */

/* 0 and mac set when path is exactly "host/MAC/state". */
static int state_path(const char *path, uint8_t mac[6])
{
	size_t n = strlen(path);

	if (n != 5 + MAC_TEXT - 1 + 6 || strcmp(path + n - 6, "/state") || !http_path_mac(path, mac))
		return -EINVAL;
	return 0;
}

/* The checks on the headers; on refusal an answer is queued and *answered set. */
static enum MHD_Result put_headers(struct pxe_http *h, struct MHD_Connection *c, struct http_req *r,
				   const char *path, int *answered)
{
	const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, PXE_HTTP_TOKEN_HEADER);
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char m[MAC_TEXT];

	*answered = 1;
	if (strncmp(path, "host/", 5) || strchr(path + 5, '/') == NULL || strcmp(strrchr(path, '/'), "/state")) {
		http_event(h, NULL, "http", "PUT /%s: 405 only host/MAC/state takes uploads", path);
		return http_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "PUT is only for host/MAC/state: /%s", path);
	}
	if (state_path(path, r->mac) < 0) {
		http_event(h, NULL, "state-save", "refused: /%s: malformed MAC", path);
		return http_text(c, MHD_HTTP_BAD_REQUEST, "malformed MAC in /%s (52-54-00-12-34-56)", path);
	}
	mac_format(r->mac, '-', m);
	if (!h->state_dir[0]) {
		http_event(h, r->mac, "state-save", "refused: no state directory on this server");
		return http_text(c, MHD_HTTP_FORBIDDEN, "%s: this server keeps no state", m);
	}
	if (!token || !token[0]) {
		http_event(h, r->mac, "state-save", "refused: no " PXE_HTTP_TOKEN_HEADER " header");
		return http_text(c, MHD_HTTP_UNAUTHORIZED, "%s: the " PXE_HTTP_TOKEN_HEADER " header is missing", m);
	}
	if (!h->ops.token_check || h->ops.token_check(h->ops.ctx, r->mac, token) != 0) {
		http_event(h, r->mac, "state-save", "refused: wrong token (not this host's)");
		return http_text(c, MHD_HTTP_FORBIDDEN, "%s: the token is not this host's", m);
	}
	if (h->ops.state_allowed && h->ops.state_allowed(h->ops.ctx, r->mac) != 0) {
		http_event(h, r->mac, "state-save", "refused: the host's rule says state none");
		return http_text(c, MHD_HTTP_FORBIDDEN, "%s: the host's rule keeps no state (state none)", m);
	}
	if (cl && strtoull(cl, NULL, 10) > h->state_max) {
		http_event(h, r->mac, "state-save", "refused: Content-Length %s over the limit of %" PRIu64, cl,
			   h->state_max);
		return http_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "%s: %s bytes, over the limit of %" PRIu64 " bytes", m,
				 cl, h->state_max);
	}
	*answered = 0;
	return MHD_YES;
}

/* Starts the upload: the temporary in the host's directory. */
static enum MHD_Result put_begin(struct pxe_http *h, struct MHD_Connection *c, struct http_req *r,
				 const char *path)
{
	struct rh_err err = { 0, "" };
	enum MHD_Result ret;
	int answered = 0;

	ret = put_headers(h, c, r, path, &answered);
	if (answered) {
		r->stage = 2;
		return ret;
	}
	if (pxe_host_state_upload_open(h->state_dir, r->mac, r->tmp, &r->fd, &err) < 0) {
		r->stage = 2;
		http_event(h, r->mac, "state-save", "refused: %s", err.msg);
		return http_text(c, err.rc == -ENFILE ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "cannot take the upload now: %s", err.msg);
	}
	r->stage = 1;
	return MHD_YES;
}

/* Takes one piece of the body. Past the limit nothing more is written and the temporary goes; the rest is
 * read and dropped for up to PUT_DRAIN more bytes so the client gets its 413 (MHD cannot answer in the middle
 * of a body), and a body longer still is cut off by closing the connection. */
static enum MHD_Result put_data(struct pxe_http *h, struct http_req *r, const char *data, size_t *size)
{
	size_t n = *size;

	*size = 0;
	r->got += n;
	if (r->got > h->state_max && !r->too_big) {
		r->too_big = 1;
		http_put_done(r);
		http_event(h, r->mac, "state-save", "refused: the body grew past the limit of %" PRIu64 " bytes",
			   h->state_max);
	}
	if (r->too_big)
		return r->got - h->state_max > PUT_DRAIN ? MHD_NO : MHD_YES;
	if (!r->io_error) {
		int rc = rh_write_all(r->fd, data, n);

		if (rc < 0)
			r->io_error = -rc;
	}
	return MHD_YES;
}

/* The whole body is in: store it as a generation, or say why not. */
static enum MHD_Result put_end(struct pxe_http *h, struct MHD_Connection *c, struct http_req *r)
{
	struct rh_err err = { 0, "" };
	char m[MAC_TEXT];
	uint64_t gen = 0;
	unsigned status;
	int rc;

	r->stage = 2;
	if (r->too_big) {
		mac_format(r->mac, '-', m);
		return http_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "%s: the upload grew past the limit of %" PRIu64 " bytes",
				 m, h->state_max);
	}
	close(r->fd);
	r->fd = -1;
	if (r->io_error) {
		http_put_done(r);
		http_event(h, r->mac, "state-save", "refused: cannot write the upload: %s", strerror(r->io_error));
		return http_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot write the upload: %s", strerror(r->io_error));
	}
	rc = pxe_host_state_accept(h->state_dir, r->mac, r->tmp, h->state_max, h->state_keep, &gen, &err);
	r->tmp[0] = '\0';   /* accept removed it */
	if (rc == 0) {
		http_event(h, r->mac, "state-save", "generation %" PRIu64 " stored (%" PRIu64 " bytes)", gen, r->got);
		return http_text(c, MHD_HTTP_CREATED, "generation %" PRIu64, gen);
	}
	status = rc == -EBADMSG ? MHD_HTTP_UNPROCESSABLE_CONTENT :
		 rc == -EFBIG ? MHD_HTTP_CONTENT_TOO_LARGE :
		 rc == -ESTALE ? MHD_HTTP_CONFLICT : MHD_HTTP_INTERNAL_SERVER_ERROR;
	http_event(h, r->mac, "state-save", "refused: %s", err.msg);
	return http_text(c, status, "refused: %s", err.msg);
}

enum MHD_Result http_put(struct pxe_http *h, struct MHD_Connection *c, struct http_req *r, const char *path,
			 const char *upload_data, size_t *upload_size)
{
	if (r->stage == 0)
		return put_begin(h, c, r, path);
	if (r->stage == 2) {
		*upload_size = 0;   /* answered already: nothing more is kept */
		return MHD_YES;
	}
	if (*upload_size)
		return put_data(h, r, upload_data, upload_size);
	return put_end(h, c, r);
}

void http_put_done(struct http_req *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	pxe_host_state_upload_drop(r->tmp);
	r->tmp[0] = '\0';
}
