/* fetch_put.c: uploads (fetch_put_file in fetch.h): an HTTP PUT of a file with the same curl setup, limits and
 * messages as the downloads of fetch.c (fetch_int.h). Used by a diskless host's `ramhost state save`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fetch.h"
#include "fetch_int.h"
#include "fileio.h"

/* Upload read callback: the next bytes of the file; a read error aborts the transfer. */
static size_t on_upload(char *data, size_t size, size_t n, void *ctx)
{
	struct xfer *x = ctx;
	ssize_t r;

	do
		r = read(x->in_fd, data, size * n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		x->write_errno = errno;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)r;
}

/* The status of a PUT the server answered: 2xx is 0, anything else an error naming the status and the first
 * line of the server's answer (at most 200 bytes of it). */
static int put_status(const struct xfer *x, long status, struct rh_err *err)
{
	size_t n = x->buf ? strcspn(x->buf, "\r\n") : 0;
	int rc = status == 401 || status == 403 ? -EACCES : status == 404 || status == 410 ? -ENOENT :
		 status == 413 ? -EFBIG : -EIO;

	if (status >= 200 && status < 300)
		return 0;
	if (n > 200)
		n = 200;
	return rh_errf(err, rc, "%s: HTTP status %ld%s%.*s", x->url, status, n ? ": " : "", (int)n,
		       n ? x->buf : "");
}

int fetch_put_file(const char *url, const char *path, const char *const *headers, long *ret_status,
		   char *answer, size_t cap, struct rh_err *err)
{
	struct xfer x = { .url = url, .fd = -1, .in_fd = -1, .max = FETCH_ANSWER_MAX };
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hl = NULL, *nl;
	long status = 0;
	struct stat st;
	CURLcode cc;
	CURL *c = NULL;
	int rc;

	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))
		return rh_errf(err, -EPROTONOSUPPORT, "%s: uploads go to http or https URLs only", url);
	rc = fetch_limits(&x, NULL, err);
	if (rc == 0)
		rc = rh_open_input(path, &x.in_fd, err);
	if (rc)
		return rc;
	if (fstat(x.in_fd, &st) || !S_ISREG(st.st_mode)) {
		rc = rh_errf(err, -EINVAL, "%s: not a regular file", path);
		goto out;
	}
	for (; headers && *headers; headers++) {
		if (!(nl = curl_slist_append(hl, *headers))) {
			rc = rh_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		hl = nl;
	}
	c = fetch_curl_start(&x, errbuf);
	if (!c) {
		rc = rh_errf(err, -ENOMEM, "%s: cannot start libcurl", url);
		goto out;
	}
	/* no redirects: a PUT is sent once, to the URL the caller named */
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
	curl_easy_setopt(c, CURLOPT_READDATA, &x);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	x.curl = c;
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK && x.write_errno && !x.too_big)
		rc = rh_errf(err, -x.write_errno, "%s: cannot read the upload %s: %s", url, path, strerror(x.write_errno));
	else if (cc != CURLE_OK && status >= 300 && !x.too_big) /* refused before it took the whole body */
		rc = put_status(&x, status, err);
	else if (cc != CURLE_OK)
		rc = fetch_curl_failure(c, cc, &x, errbuf, err);
	else
		rc = put_status(&x, status, err);
	if (ret_status)
		*ret_status = status;
	if (answer && cap)
		snprintf(answer, cap, "%.*s", x.buf ? (int)strcspn(x.buf, "\r\n") : 0, x.buf ? x.buf : "");
out:
	if (c)
		curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	close(x.in_fd);
	free(x.buf);
	return rc;
}
