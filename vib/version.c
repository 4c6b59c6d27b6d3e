/* version.c: VIB versions compared the Debian way, the five relations between them, and the one owner of the
 * acceptance-level names and of the VIB name check.
 *
 * A version is [EPOCH:]UPSTREAM[-RELEASE]. Epochs compare as numbers; upstream and release compare by
 * alternating runs: a run of non-digits compared character by character ('~' below everything including the
 * end, letters below other characters), then a run of digits compared as a number (of any length: leading
 * zeros are skipped and the longer run is the larger, so no integer can overflow). */
#include <errno.h>
#include <string.h>

#include "version.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The rank of one character in a non-digit run; 0 stands for "the run ended here". */
static int char_rank(char c)
{
	if (c == '~')
		return -1;
	if (c == '\0' || is_digit(c))
		return 0;
	if (is_alpha(c))
		return (unsigned char)c;
	return (unsigned char)c + 256;
}

/* Compares two digit runs of lengths na and nb as unbounded decimal numbers. */
static int digits_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	while (na > 0 && *a == '0') {
		a++;
		na--;
	}
	while (nb > 0 && *b == '0') {
		b++;
		nb--;
	}
	if (na != nb)
		return na < nb ? -1 : 1;
	for (size_t i = 0; i < na; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* Compares a[0..na) with b[0..nb) by the alternating-runs rule (one upstream or release part). */
static int part_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = 0, j = 0;

	while (i < na || j < nb) {
		/* non-digit run: compare rank by rank until both runs end */
		while ((i < na && !is_digit(a[i])) || (j < nb && !is_digit(b[j]))) {
			int ra = char_rank(i < na ? a[i] : '\0');
			int rb = char_rank(j < nb ? b[j] : '\0');

			if (ra != rb)
				return ra < rb ? -1 : 1;
			if (i < na && !is_digit(a[i]))
				i++;
			if (j < nb && !is_digit(b[j]))
				j++;
		}
		size_t si = i, sj = j;

		while (i < na && is_digit(a[i]))
			i++;
		while (j < nb && is_digit(b[j]))
			j++;
		int c = digits_cmp(a + si, i - si, b + sj, j - sj);

		if (c)
			return c;
	}
	return 0;
}

/* Splits s into epoch digits, upstream and release (release empty when there is no '-'). */
struct vparts {
	const char *epoch; size_t nepoch;
	const char *up; size_t nup;
	const char *rel; size_t nrel;
};

static void split(const char *s, struct vparts *p)
{
	const char *colon = strchr(s, ':');
	const char *dash;

	memset(p, 0, sizeof(*p));
	if (colon) {
		p->epoch = s;
		p->nepoch = (size_t)(colon - s);
		s = colon + 1;
	} else {
		p->epoch = "0";
		p->nepoch = 1;
	}
	dash = strrchr(s, '-');
	p->up = s;
	if (dash) {
		p->nup = (size_t)(dash - s);
		p->rel = dash + 1;
		p->nrel = strlen(dash + 1);
	} else {
		p->nup = strlen(s);
		p->rel = "";
	}
}

bool vib_version_valid(const char *s)
{
	size_t n, colons = 0;
	struct vparts p;

	if (!s)
		return false;
	n = strnlen(s, VIB_VERSION_MAX);
	if (n == 0 || n >= VIB_VERSION_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!is_digit(c) && !is_alpha(c) && !strchr(".+~:-", c))
			return false;
		if (c == ':')
			colons++;
	}
	if (colons > 1)
		return false;
	split(s, &p);
	if (colons) {
		if (p.nepoch == 0 || p.nepoch > 9)
			return false;
		for (size_t i = 0; i < p.nepoch; i++)
			if (!is_digit(p.epoch[i]))
				return false;
	}
	if (p.nup == 0 || !is_digit(p.up[0]))
		return false;
	if (strchr(s, '-') && p.nrel == 0)
		return false;
	return true;
}

int vib_version_cmp(const char *a, const char *b)
{
	struct vparts pa, pb;
	int c;

	split(a, &pa);
	split(b, &pb);
	c = digits_cmp(pa.epoch, pa.nepoch, pb.epoch, pb.nepoch);
	if (c)
		return c;
	c = part_cmp(pa.up, pa.nup, pb.up, pb.nup);
	if (c)
		return c;
	return part_cmp(pa.rel, pa.nrel, pb.rel, pb.nrel);
}

static const char *const op_names[] = {
	[VIB_OP_ANY] = "", [VIB_OP_LT] = "<<", [VIB_OP_LE] = "<=", [VIB_OP_EQ] = "=",
	[VIB_OP_GE] = ">=", [VIB_OP_GT] = ">>",
};

int vib_op_parse(const char *s, enum vib_op *ret_op)
{
	if (!s || !*s)
		return -EINVAL;
	for (int op = VIB_OP_LT; op <= VIB_OP_GT; op++)
		if (!strcmp(s, op_names[op])) {
			*ret_op = (enum vib_op)op;
			return 0;
		}
	return -EINVAL;
}

const char *vib_op_str(enum vib_op op)
{
	if ((int)op < VIB_OP_ANY || op > VIB_OP_GT)
		return "?";
	return op_names[op];
}

bool vib_version_satisfies(const char *have, enum vib_op op, const char *want)
{
	int c;

	if (op == VIB_OP_ANY)
		return true;
	if (!vib_version_valid(have) || !vib_version_valid(want))
		return false;
	c = vib_version_cmp(have, want);
	switch (op) {
	case VIB_OP_LT: return c < 0;
	case VIB_OP_LE: return c <= 0;
	case VIB_OP_EQ: return c == 0;
	case VIB_OP_GE: return c >= 0;
	case VIB_OP_GT: return c > 0;
	default: return false;
	}
}

static const char *const level_names[] = { "community", "partner", "accepted", "certified" };

const char *vib_level_str(enum vib_level level)
{
	if ((int)level < 0 || level > VIB_LEVEL_CERTIFIED)
		return "?";
	return level_names[level];
}

int vib_level_parse(const char *s, enum vib_level *ret_level)
{
	for (int i = 0; s && i <= VIB_LEVEL_CERTIFIED; i++)
		if (!strcmp(s, level_names[i])) {
			*ret_level = (enum vib_level)i;
			return 0;
		}
	return -EINVAL;
}

bool vib_level_accepts(enum vib_level policy, enum vib_level level)
{
	return level >= policy;
}

bool vib_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= VIB_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr("._+-", s[i])))
			return false;
	return true;
}
