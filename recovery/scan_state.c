/* scan_state.c: the state partition (ext4, docs/state.md) read without mounting, through debugfs on the disk at
 * the partition's byte offset ("DISK?offset=BYTES" works on image files and block devices alike): the root's
 * listing, then every generation file (the newest SCAN_MAX_GENS) dumped in one debugfs run into a scratch
 * directory and verified whole (ramdisk/state/state_gen.h). Generation files are small; a partition that is not
 * ext4 is told by its superblock magic before any tool runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "fs.h"
#include "ramdisk/state/state_format.h"
#include "ramdisk/state/state_gen.h"
#include "scan_int.h"

#define EXT_MAGIC 0xEF53u
#define LS_MAX (4u << 20)          /* debugfs output read at most */
#define GEN_MAX (256u << 20)       /* a generation file checked at most */

int scan_is_ext(struct scan_ctx *c, const struct gpt_part *p)
{
	uint64_t base = p->first_lba * c->d->sector;
	uint8_t m[2];

	if (rdisk_read(c->d, base + 1024 + 56, m, sizeof(m), NULL) < 0)
		return 0;
	return ((uint32_t)m[0] | (uint32_t)m[1] << 8) == EXT_MAGIC;
}

/* "DISK?offset=BYTES" for debugfs (which splits the name at '?': a disk path holding one is refused). */
static int debugfs_spec(struct scan_ctx *c, const struct gpt_part *p, char *buf, size_t cap, struct rh_err *err)
{
	if (strchr(c->d->path, '?'))
		return rh_errf(err, -EINVAL, "%s: a disk path with '?' cannot be given to debugfs", c->d->path);
	if (snprintf(buf, cap, "%s?offset=%llu", c->d->path,
		     (unsigned long long)(p->first_lba * c->d->sector)) >= (int)cap)
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", c->d->path);
	return 0;
}

int scan_debugfs(struct scan_ctx *c, const struct gpt_part *p, const char *cmd, char **ret_out,
		 struct rh_err *err)
{
	char spec[PATH_MAX + 32];
	char *argv[] = { "debugfs", "-R", (char *)cmd, spec, NULL };
	int rc;

	rc = debugfs_spec(c, p, spec, sizeof(spec), err);
	if (rc < 0)
		return rc;
	return fs_run_capture(argv, LS_MAX, ret_out, err);
}

int scan_ls_line(const char *line, size_t len, char *name, size_t cap, int *ret_regular, uint64_t *ret_size)
{
	const char *f[8];
	size_t i, nf = 0, namelen;
	unsigned long long mode = 0, size = 0;

	if (!len || line[0] != '/')
		return -EINVAL;
	for (i = 0; i < len && nf < 8; i++)
		if (line[i] == '/')
			f[nf++] = line + i + 1;
	/* exactly seven slashes, the last one ending the line: /INODE/MODE/UID/GID/NAME/SIZE/ */
	if (nf != 7 || line[len - 1] != '/')
		return -EINVAL;
	for (i = 0; i < 5; i++)
		if (f[i + 1] - f[i] < 2 && i != 4)
			return -EINVAL;
	for (const char *q = f[1]; q < f[2] - 1; q++) {
		if (*q < '0' || *q > '7' || mode > 0777777)
			return -EINVAL;
		mode = mode * 8 + (unsigned long long)(*q - '0');
	}
	for (const char *q = f[5]; q < f[6] - 1; q++) {
		if (*q < '0' || *q > '9' || size > UINT64_MAX / 10 - 9)
			return -EINVAL;
		size = size * 10 + (unsigned long long)(*q - '0');
	}
	namelen = (size_t)(f[5] - f[4] - 1);
	if (!namelen || namelen >= cap || memchr(f[4], '\0', namelen))
		return -EINVAL;
	memcpy(name, f[4], namelen);
	name[namelen] = '\0';
	*ret_regular = (mode & 0170000) == 0100000;
	*ret_size = size;
	return 0;
}

/* Adds generation gen of size to s (oldest first), keeping the newest SCAN_MAX_GENS. */
static void add_gen(struct scan_state *s, uint64_t gen, uint64_t size)
{
	unsigned i, at;

	if (s->ngens == SCAN_MAX_GENS) {
		if (gen < s->gens[0].gen)
			return;
		memmove(&s->gens[0], &s->gens[1], sizeof(s->gens[0]) * (SCAN_MAX_GENS - 1));
		s->ngens--;
	}
	for (at = 0; at < s->ngens && s->gens[at].gen < gen; at++)
		;
	for (i = s->ngens; i > at; i--)
		s->gens[i] = s->gens[i - 1];
	memset(&s->gens[at], 0, sizeof(s->gens[at]));
	s->gens[at].gen = gen;
	s->gens[at].size = size;
	s->ngens++;
}

/* Fills s->gens from a root listing; returns the number of lines that parsed (0: not a listing at all). */
static unsigned parse_listing(struct scan_state *s, const char *out)
{
	const char *line = out, *nl;
	char name[256];
	unsigned lines = 0;
	uint64_t size, gen;
	int regular;

	while (*line) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		if (scan_ls_line(line, (size_t)(nl - line), name, sizeof(name), &regular, &size) == 0) {
			lines++;
			gen = state_gen_from_name(name);
			if (gen && regular)
				add_gen(s, gen, size);
		}
		line = *nl ? nl + 1 : nl;
	}
	return lines;
}

int scan_debugfs_cmds(struct scan_ctx *c, const struct gpt_part *p, const char *cmds, char **ret_out,
		      struct rh_err *err)
{
	char spec[PATH_MAX + 32], cmdfile[PATH_MAX + 16];
	char *argv[] = { "debugfs", "-f", cmdfile, spec, NULL };
	int rc;

	rc = debugfs_spec(c, p, spec, sizeof(spec), err);
	if (rc < 0)
		return rc;
	if (!c->work[0] && (rc = fs_work_dir(NULL, "ramhost-scan", c->work, sizeof(c->work), err)) < 0)
		return rc;
	snprintf(cmdfile, sizeof(cmdfile), "%s/cmds", c->work);
	rc = fs_write_file(cmdfile, cmds, strlen(cmds), 0600, err);
	if (rc < 0)
		return rc;
	return fs_run_capture(argv, LS_MAX, ret_out, err);
}

/* Dumps every listed generation into c->work in one debugfs run. */
static int dump_gens(struct scan_ctx *c, const struct gpt_part *p, struct rh_err *err)
{
	const struct scan_state *s = &c->r->state;
	char name[STATE_NAME_LEN], *text = NULL, *out = NULL;
	size_t len = 0, cap;
	unsigned i;
	int rc;

	if (!c->work[0] && (rc = fs_work_dir(NULL, "ramhost-scan", c->work, sizeof(c->work), err)) < 0)
		return rc;
	cap = (size_t)s->ngens * (PATH_MAX + 64);
	text = malloc(cap);
	if (!text)
		return rh_errf(err, -ENOMEM, "out of memory");
	for (i = 0; i < s->ngens; i++) {
		state_gen_name(s->gens[i].gen, name, sizeof(name));
		len += (size_t)snprintf(text + len, cap - len, "dump -p /%s %s/%s\n", name, c->work, name);
	}
	rc = scan_debugfs_cmds(c, p, text, &out, err);
	free(out);
	free(text);
	return rc;
}

/* Verifies the dumped generation i (whole: footer, payload SHA-256, MANIFEST, every member). */
static void check_gen(struct scan_ctx *c, unsigned i)
{
	struct scan_gen *g = &c->r->state.gens[i];
	char name[STATE_NAME_LEN], path[PATH_MAX + 32];
	struct rh_err e = { 0, "" };
	char *buf = NULL;
	size_t len = 0;
	int rc;

	state_gen_name(g->gen, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", c->work, name);
	rc = rh_read_file(path, GEN_MAX, &buf, &len, &e);
	if (rc == 0)
		rc = state_gen_verify_buf((const uint8_t *)buf, len, name, g->gen, NULL, &e);
	g->ok = rc == 0;
	if (rc < 0)
		snprintf(g->why, sizeof(g->why), "%.127s", rc == -EFBIG ? "too large to check" : e.msg);
	free(buf);
}

void scan_state(struct scan_ctx *c, const struct gpt_part *p)
{
	struct scan_state *s = &c->r->state;
	struct rh_err e = { 0, "" };
	char *out = NULL;
	unsigned i;

	s->exists = 1;
	s->partno = p->number;
	if (!scan_is_ext(c, p)) {
		snprintf(s->fs_why, sizeof(s->fs_why), "no ext4 superblock");
		return;
	}
	if (scan_debugfs(c, p, "ls -p /", &out, &e) < 0 || !parse_listing(s, out)) {
		snprintf(s->fs_why, sizeof(s->fs_why), "%.127s", e.rc ? e.msg : "debugfs cannot list its root");
		s->ngens = 0;
		free(out);
		return;
	}
	free(out);
	s->fs_ok = 1;
	if (!s->ngens)
		return;
	if (dump_gens(c, p, &e) < 0) {
		for (i = 0; i < s->ngens; i++)
			snprintf(s->gens[i].why, sizeof(s->gens[i].why), "cannot be read: %.100s", e.msg);
		return;
	}
	for (i = 0; i < s->ngens; i++)
		check_gen(c, i);
}
