/* print.c: cli_printf and friends — fprintf with every %s argument escaped by lib/textesc.h (see print.h).
 *
 * cli_printf first walks the format on a copy of the arguments: when no %s argument has a byte that may need
 * an escape, the whole call is one vfprintf. Otherwise it writes the format piece by piece: the literal text
 * as it is, each conversion handed to fprintf on its own with its argument taken by type (the length modifier
 * says which), and a %s argument escaped first. The format attribute keeps the compiler's check of the
 * arguments. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "textesc.h"

/* One conversion of a format: its text for fprintf with '*' resolved ("%-13s", "%llu"), the conversion letter,
 * the length modifier and, for %s, the precision (-1: none). */
struct conv {
	char text[48];
	char letter;
	char len[3];
	long prec;
};

/* Appends s to c->text; -1 when it does not fit (a format no caller writes). */
static int conv_add(struct conv *c, const char *s)
{
	size_t have = strlen(c->text), n = strlen(s);

	if (have + n >= sizeof(c->text))
		return -1;
	memcpy(c->text + have, s, n + 1);
	return 0;
}

/* A width or precision at *p: digits or '*' (taken from ap) into *val, *has 0 when there is neither. Returns
 * what follows it. */
static const char *conv_number(const char *p, va_list *ap, long *val, int *has)
{
	*has = 1;
	*val = 0;
	if (*p == '*')
		*val = va_arg(*ap, int);
	else if (*p < '0' || *p > '9')
		*has = 0;
	if (*p == '*')
		return p + 1;
	for (; *p >= '0' && *p <= '9'; p++)
		*val = *val < 100000 ? *val * 10 + (*p - '0') : *val;
	return p;
}

/* Parses the conversion at p (just after '%') into c; returns what follows it, or NULL when it is not one. */
static const char *conv_parse(const char *p, va_list *ap, struct conv *c)
{
	char part[24], one[2] = "";
	long num;
	size_t n = 0;
	int has;

	memset(c, 0, sizeof(*c));
	c->text[0] = '%';
	c->prec = -1;
	while (*p && strchr("-+ #0'", *p) && n++ < 8) {
		one[0] = *p++;
		conv_add(c, one);
	}
	p = conv_number(p, ap, &num, &has);
	if (has) {   /* a negative '*' width is the '-' flag with its absolute value: "%-5s" either way */
		snprintf(part, sizeof(part), "%ld", num);
		if (conv_add(c, part) < 0)
			return NULL;
	}
	part[0] = '\0';
	if (*p == '.') {
		p = conv_number(p + 1, ap, &c->prec, &has);
		if (c->prec < 0)   /* a negative '*' precision is none */
			c->prec = -1;
		else
			snprintf(part, sizeof(part), ".%ld", c->prec);
	}
	for (n = 0; n < 2 && *p && strchr("hljztL", *p); n++)
		c->len[n] = *p++;
	if (!*p || !strchr("diouxXcsfFeEgGaAp%", *p))
		return NULL;
	c->letter = *p++;
	/* a %s precision bounds the bytes read from the argument; the escaped text is then written whole */
	if ((c->letter != 's' && conv_add(c, part) < 0) || conv_add(c, c->len) < 0)
		return NULL;
	one[0] = c->letter;
	return conv_add(c, one) < 0 ? NULL : p;
}

/* Writes arg escaped with c's flags and width; the bytes written or -1. */
static int put_escaped(FILE *f, const struct conv *c, const char *arg)
{
	char small[1024], *buf = small;
	size_t len, need;
	int r;

	if (!arg)
		arg = "(null)";
	len = c->prec >= 0 ? strnlen(arg, (size_t)c->prec) : strlen(arg);
	need = textesc(small, sizeof(small), arg, len) + 1;
	if (need > sizeof(small)) {
		if (!(buf = malloc(need)))
			return -1;
		textesc(buf, need, arg, len);
	}
	r = fprintf(f, c->text, buf);
	if (buf != small)
		free(buf);
	return r;
}

/* Takes the next argument, of type T, from ap and writes it with c's text to f; with f NULL only takes it. */
#define PUT_ARG(T)                                                  \
	do {                                                        \
		T v_ = va_arg(*ap, T);                              \
		return f ? fprintf(f, c->text, v_) : 0;             \
	} while (0)

/* An integer conversion, its argument taken by the length modifier (as put_conv). */
static int put_int(FILE *f, const struct conv *c, va_list *ap)
{
	int is_signed = c->letter == 'd' || c->letter == 'i';

	if (!strcmp(c->len, "l")) {
		if (is_signed)
			PUT_ARG(long);
		PUT_ARG(unsigned long);
	}
	if (!strcmp(c->len, "ll")) {
		if (is_signed)
			PUT_ARG(long long);
		PUT_ARG(unsigned long long);
	}
	if (!strcmp(c->len, "j")) {
		if (is_signed)
			PUT_ARG(intmax_t);
		PUT_ARG(uintmax_t);
	}
	if (!strcmp(c->len, "z"))
		PUT_ARG(size_t);
	if (!strcmp(c->len, "t"))
		PUT_ARG(ptrdiff_t);
	if (is_signed)   /* none, h, hh: promoted to int */
		PUT_ARG(int);
	PUT_ARG(unsigned);
}

/* 1 when s (up to prec bytes when prec >= 0, as printf reads it) holds a byte that may need an escape: a
 * control, a backslash or any byte beyond ASCII (textesc() decides those). */
static int may_need_escape(const char *s, long prec)
{
	for (long i = 0; s && (prec < 0 || i < prec) && s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '\\')
			return 1;
	return 0;
}

/* Writes one conversion with its argument from ap; the bytes written or -1. With f NULL it only takes the
 * argument, and returns 1 for a string that may need an escape, else 0. */
static int put_conv(FILE *f, const struct conv *c, va_list *ap)
{
	const char *s;

	switch (c->letter) {
	case '%':
		if (!f)
			return 0;
		return fputc('%', f) == EOF ? -1 : 1;
	case 's':
		s = va_arg(*ap, const char *);
		return f ? put_escaped(f, c, s) : may_need_escape(s, c->prec);
	case 'c':
		PUT_ARG(int);
	case 'p':
		PUT_ARG(void *);
	case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
		if (c->len[0] == 'L')
			PUT_ARG(long double);
		PUT_ARG(double);
	}
	return put_int(f, c, ap);
}

/* 1 when vprint must do the work: a %s argument may need an escape, or a '%' does not start a conversion it
 * knows; 0 when fmt with these arguments can go to vfprintf as it is (the common case, and the fast one). */
static int needs_vprint(const char *fmt, va_list *ap)
{
	const char *p = fmt;
	struct conv c;

	while ((p = strchr(p, '%'))) {
		p = conv_parse(p + 1, ap, &c);
		if (!p || put_conv(NULL, &c, ap))
			return 1;
	}
	return 0;
}

/* The slow path of cli_printf: the format piece by piece, each %s argument escaped. */
static int vprint(FILE *f, const char *fmt, va_list *ap)
{
	const char *p = fmt, *pct, *next;
	struct conv c;
	int total = 0, r;

	while (*p) {
		pct = strchr(p, '%');
		if (!pct)
			pct = p + strlen(p);
		if (pct > p && fwrite(p, 1, (size_t)(pct - p), f) != (size_t)(pct - p))
			return -1;
		total += (int)(pct - p);
		if (!*pct)
			break;
		next = conv_parse(pct + 1, ap, &c);
		if (!next) {  /* not a conversion: the rest is text */
			if (fputs(pct, f) == EOF)
				return -1;
			return total + (int)strlen(pct);
		}
		r = put_conv(f, &c, ap);
		if (r < 0)
			return -1;
		total += r;
		p = next;
	}
	return total;
}

int cli_printf(FILE *f, const char *fmt, ...)
{
	va_list ap, scan;
	int r, slow;

	va_start(ap, fmt);
	va_copy(scan, ap);
	slow = needs_vprint(fmt, &scan);
	va_end(scan);
	if (slow)
		r = vprint(f, fmt, &ap);
	else
		r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

void cli_print_lines(FILE *f, const char *indent, const char *text)
{
	const char *nl;

	for (;;) {
		nl = strchr(text, '\n');
		cli_printf(f, "%s%.*s\n", indent, nl ? (int)(nl - text) : (int)strlen(text), text);
		if (!nl)
			return;
		text = nl + 1;
	}
}

const char *cli_err_text(const struct rh_err *err)
{
	if (err->msg[0])
		return err->msg;
	return strerror(err->rc < 0 ? -err->rc : EIO);
}

int cli_fail(const char *who, const struct rh_err *err)
{
	cli_printf(stderr, "ramhost %s: %s\n", who, cli_err_text(err));
	return 1;
}
