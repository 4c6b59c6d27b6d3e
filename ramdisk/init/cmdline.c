/* cmdline.c: kernel command line parser (see cmdline.h). */
#include "cmdline.h"

#include <errno.h>
#include <string.h>

static int is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

static int word_is(const char *w, size_t len, const char *s)
{
	return strlen(s) == len && !memcmp(w, s, len);
}

static int apply_word(struct cmdline *c, const char *w, size_t len, struct rh_err *err)
{
	static const char bank[] = "ramhost.bank=", brk[] = "ramhost.break";
	size_t shown = len > 60 ? 60 : len;

	if (len >= sizeof(bank) - 1 && !memcmp(w, bank, sizeof(bank) - 1)) {
		const char *v = w + sizeof(bank) - 1;
		size_t vlen = len - (sizeof(bank) - 1);

		if (vlen != 1 || v[0] < '0' || v[0] > '9')
			return rh_errf(err, -EINVAL, "kernel command line: '%.*s' is not ramhost.bank=<0-9>",
				       (int)shown, w);
		c->bank = (unsigned)(v[0] - '0');
		return 0;
	}
	if (word_is(w, len, brk) || word_is(w, len, "ramhost.break=1")) {
		c->brk = 1;
		return 0;
	}
	if (word_is(w, len, "ramhost.break=0")) {
		c->brk = 0;
		return 0;
	}
	if (len > sizeof(brk) - 1 && !memcmp(w, brk, sizeof(brk) - 1) && w[sizeof(brk) - 1] == '=')
		return rh_errf(err, -EINVAL, "kernel command line: '%.*s' is not ramhost.break[=0|1]", (int)shown,
			       w);
	return 0;
}

int cmdline_parse(const char *buf, size_t len, struct cmdline *ret, struct rh_err *err)
{
	struct cmdline c = { 0, 0 };
	size_t i = 0;
	int rc;

	while (i < len) {
		size_t start;
		int quoted = 0;

		while (i < len && is_sep(buf[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && (quoted || !is_sep(buf[i]))) {
			if (buf[i] == '"')
				quoted = !quoted;
			else if (buf[i] == '\0')
				break;
			i++;
		}
		rc = apply_word(&c, buf + start, i - start, err);
		if (rc < 0)
			return rc;
	}
	*ret = c;
	return 0;
}
