/* fuzz_http_resp.c: the HTTP response head parser and the chunked decoder (lib/http_resp.c) on arbitrary bytes.
 * The head is parsed from an exact-size copy (ASan sees a read past it); what follows a parsed head is fed to
 * the chunked decoder in pieces whose sizes come from the first byte, and every data run must lie inside the
 * piece. A parsed Location is resolved against a base URL and split again (lib/http_url.c). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_resp.h"
#include "http_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_chunked(const uint8_t *body, size_t len, size_t step)
{
	struct http_chunked c = { 0 };
	size_t pos = 0;

	while (pos < len && !http_chunked_done(&c)) {
		size_t piece = len - pos < step ? len - pos : step, used = 0, off = 0, n = 0;

		if (http_chunked_feed(&c, body + pos, piece, &used, &off, &n, NULL) < 0)
			return;
		if (used > piece || (n && off + n > used) || (!used && !http_chunked_done(&c)))
			abort();
		pos += used;
	}
}

static void check_location(const char *head, const struct http_resp *r)
{
	char out[512];
	struct http_url u;

	if (http_url_resolve("http://h:8080/d/index.xml?x", head + r->location_off, r->location_len, out, sizeof(out),
			     NULL) == 0) {
		if (strlen(out) >= sizeof(out))
			abort();
		http_url_parse(out, &u, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_resp r;
	size_t step;
	char *copy;
	int rc;

	if (size < 1)
		return 0;
	step = 1 + data[0] % 17;
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	rc = http_resp_parse(copy, size - 1, &r, NULL);
	if (rc == 0) {
		if (r.head_len < 16 || r.head_len > size - 1 || r.head_len > HTTP_RESP_HEAD_MAX)
			abort();
		if (r.status < 100 || r.status > 999 || (r.chunked && r.content_length >= 0))
			abort();
		if (r.location_len && r.location_off + r.location_len > r.head_len)
			abort();
		if (r.has_range == 1 && (r.range_first > r.range_last || r.range_last >= r.range_size))
			abort();
		if (r.location_len)
			check_location(copy, &r);
		check_chunked((const uint8_t *)copy + r.head_len, size - 1 - r.head_len, step);
	} else if (rc != -EAGAIN && rc != -EBADMSG && rc != -EMSGSIZE && rc != -ENOTSUP) {
		abort();
	} else if (rc == -EAGAIN && size - 1 >= HTTP_RESP_HEAD_MAX) {
		abort();
	}
	free(copy);
	return 0;
}
