/* cmdline.c: the kernel command line's ramhost.* words (see cmdline.h). */
#include "cmdline.h"

#include <errno.h>
#include <string.h>

#include "gpt.h"

#define SHOWN_MAX 80   /* a word is quoted in a message up to this many bytes */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdline_next_word(const char *buf, size_t len, size_t *pos, const char **ret_word, size_t *ret_len)
{
	size_t i = *pos, start;
	int quoted = 0;

	while (i < len && buf[i] && is_blank(buf[i]))
		i++;
	if (i == len || !buf[i]) {
		*pos = i;
		return 0;
	}
	start = i;
	while (i < len && buf[i] && (quoted || !is_blank(buf[i]))) {
		if (buf[i] == '"')
			quoted = !quoted;
		i++;
	}
	*ret_word = buf + start;
	*ret_len = i - start;
	*pos = i;
	return 1;
}

static int word_is(const char *w, size_t len, const char *s)
{
	return strlen(s) == len && !memcmp(w, s, len);
}

const char *cmdline_value(const char *w, size_t len, const char *key, size_t *ret_vlen)
{
	size_t klen = strlen(key);

	if (len < klen || memcmp(w, key, klen))
		return NULL;
	w += klen;
	len -= klen;
	if (len >= 2 && w[0] == '"' && w[len - 1] == '"') {
		w++;
		len -= 2;
	}
	*ret_vlen = len;
	return w;
}

static int word_bank(struct cmdline *c, const char *w, size_t len, const char *v, size_t vlen, struct rh_err *err)
{
	if (vlen != 1 || v[0] < '0' || v[0] > '9')
		return rh_errf(err, -EINVAL, "kernel command line: '%.*s' is not ramhost.bank=<0-9>",
			       (int)(len > SHOWN_MAX ? SHOWN_MAX : len), w);
	c->bank = (unsigned)(v[0] - '0');
	return 0;
}

static int word_bankuuid(struct cmdline *c, const char *w, size_t len, const char *v, size_t vlen,
			 struct rh_err *err)
{
	uint8_t g[16];
	char s[37];

	if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {   /* ramhost.bankuuid="..." */
		v++;
		vlen -= 2;
	}
	if (vlen == 36) {
		memcpy(s, v, 36);
		s[36] = '\0';
		if (gpt_guid_from_str(s, g) == 0) {
			gpt_guid_to_str(g, c->uuid);
			c->has_uuid = 1;
			return 0;
		}
	}
	return rh_errf(err, -EINVAL,
		       "kernel command line: '%.*s' is not ramhost.bankuuid=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
		       (int)(len > SHOWN_MAX ? SHOWN_MAX : len), w);
}

/* A flag word: KEY or KEY=1 sets *flag, KEY=0 clears it, KEY=anything else is an error. */
static int word_flag(const char *key, int *flag, const char *w, size_t len, struct rh_err *err)
{
	size_t klen = strlen(key);

	if (len < klen || memcmp(w, key, klen) || (len > klen && w[klen] != '='))
		return 0;
	if (len == klen || (len == klen + 2 && w[klen + 1] == '1')) {
		*flag = 1;
		return 0;
	}
	if (len == klen + 2 && w[klen + 1] == '0') {
		*flag = 0;
		return 0;
	}
	return rh_errf(err, -EINVAL, "kernel command line: '%.*s' is not %s[=0|1]",
		       (int)(len > SHOWN_MAX ? SHOWN_MAX : len), w, key);
}

/* ramhost.rescue[=0|1|auto] (the value may be quoted); a later word wins, as for the other keys */
static int word_rescue(struct cmdline *c, const char *w, size_t len, struct rh_err *err)
{
	static const struct {
		const char *value;
		int mode;
	} forms[] = {
		{ "1", CMDLINE_RESCUE_CONSOLE },
		{ "auto", CMDLINE_RESCUE_AUTO },
		{ "0", CMDLINE_RESCUE_NONE },
	};
	const char *v;
	size_t vlen, i;

	if (word_is(w, len, "ramhost.rescue")) {
		c->rescue = CMDLINE_RESCUE_CONSOLE;
		return 0;
	}
	v = cmdline_value(w, len, "ramhost.rescue=", &vlen);
	if (!v)
		return 0;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (word_is(v, vlen, forms[i].value)) {
			c->rescue = forms[i].mode;
			return 0;
		}
	}
	return rh_errf(err, -EINVAL, "kernel command line: '%.*s' is not ramhost.rescue[=0|1|auto]",
		       (int)(len > SHOWN_MAX ? SHOWN_MAX : len), w);
}

/* Handles one word w[0..len) for the keys in mask. */
static int apply_word(struct cmdline *c, unsigned mask, const char *w, size_t len, struct rh_err *err)
{
	const char *v;
	size_t vlen;
	int rc;

	if ((mask & CMDLINE_BANK) && (v = cmdline_value(w, len, "ramhost.bank=", &vlen)))
		return word_bank(c, w, len, v, vlen, err);
	if ((mask & CMDLINE_BANKUUID) && (v = cmdline_value(w, len, "ramhost.bankuuid=", &vlen)))
		return word_bankuuid(c, w, len, v, vlen, err);
	if ((mask & CMDLINE_BREAK) && (rc = word_flag("ramhost.break", &c->brk, w, len, err)) < 0)
		return rc;
	if ((mask & CMDLINE_DEBUG) && (rc = word_flag("ramhost.debug", &c->debug, w, len, err)) < 0)
		return rc;
	if (mask & CMDLINE_RESCUE)
		return word_rescue(c, w, len, err);
	return 0;
}

int cmdline_parse(const char *buf, size_t len, unsigned mask, struct cmdline *ret, struct rh_err *err)
{
	struct cmdline c;
	const char *w;
	size_t pos = 0, wlen;
	int rc;

	memset(&c, 0, sizeof(c));
	while (cmdline_next_word(buf, len, &pos, &w, &wlen)) {
		rc = apply_word(&c, mask, w, wlen, err);
		if (rc < 0)
			return rc;
	}
	*ret = c;
	return 0;
}

int cmdline_needs_disks(const char *buf, size_t len)
{
	struct cmdline c;
	struct rh_err err = { 0, "" };
	const char *w;
	size_t pos = 0, wlen, vlen;
	int uuid = 0;

	memset(&c, 0, sizeof(c));
	while (cmdline_next_word(buf, len, &pos, &w, &wlen)) {
		if (cmdline_value(w, wlen, "ramhost.bankuuid=", &vlen))
			uuid = 1;
		else if (word_rescue(&c, w, wlen, &err) < 0) {
			c.rescue = CMDLINE_RESCUE_CONSOLE;  /* init takes a malformed value as the console */
			rh_err_clear(&err);
		}
	}
	return uuid || c.rescue != CMDLINE_RESCUE_NONE;
}

int cmdline_names_state_source(const char *buf, size_t len)
{
	const char *w;
	size_t pos = 0, wlen, vlen;

	while (cmdline_next_word(buf, len, &pos, &w, &wlen))
		if (cmdline_value(w, wlen, "ramhost.bankuuid=", &vlen) ||
		    cmdline_value(w, wlen, "ramhost.state.url=", &vlen))
			return 1;
	return 0;
}
