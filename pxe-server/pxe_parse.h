/* pxe_parse.h: the configuration parser's state, shared by config.c (the file's structure and the rules) and
 * config_settings.c (the `key = value` settings). Internal to pxe-server/. */
#ifndef RAMHOST_PXE_PARSE_H
#define RAMHOST_PXE_PARSE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

struct pxe_parser {
	const char *path;
	char dir[PATH_MAX];         /* the file's directory: relative paths in it are relative to it */
	unsigned line;
	unsigned flags;             /* PXE_PARSE_NO_IO */
	struct pxe_config *cfg;
	struct rh_err *err;
	size_t rescap, imgcap, rulecap, rimgcap, rlinecap;
	unsigned *res_line;         /* the line of each reservation (for the duplicate check) */
	size_t *rule_img;           /* image index + 1 of each rule, made pointers at the end */
	uint32_t *set;              /* rule names (config.c) */
	size_t nset;
	int in_rule;                /* the lines below belong to the last rule */
	unsigned rule_seen;         /* which of image/kernelopt/hostname/state/loader the rule gave (bits) */
	int range_given;
};

void pxe_parse_err(struct pxe_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pxe_parse_ip(struct pxe_parser *p, const char *what, const char *s, uint32_t *ret);
/* A path of the file: absolute, or relative to the file's directory. */
int pxe_parse_path(struct pxe_parser *p, const char *what, const char *s, char *out, size_t cap);
/* A `key = value` line (eq points at the '='). */
int pxe_setting(struct pxe_parser *p, char *s, char *eq);
/* Defaults before the first line; what follows from the settings after the last (lease file, checks). */
void pxe_settings_default(struct pxe_settings *s);
int pxe_settings_finish(struct pxe_parser *p);
/* Two reservations of one MAC or one address: an error naming both lines. */
int pxe_reservations_check(struct pxe_parser *p);
size_t pxe_split(char *s, char **w, size_t cap);
int pxe_name_ok(const char *s);

#endif
