/* op_state.c: restore-state --generation N: generation N becomes the newest of the state partition, so the
 * next boot restores it. Every newer generation (damaged, or only unwanted) is renamed out of the store's sight
 * to ".rescued-state-NNNNNNNN.rhs" (the store lists only "state-NNNNNNNN.rhs"), never deleted: the file stays on
 * the partition and the rescue backup holds the sectors. The rename is made with debugfs on a staged copy of
 * the ext4 partition (ln + unlink of the directory entry, no mount). N defaults to the newest generation that
 * verifies (scan.h). */
#include "ops.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "ramdisk/state/state_format.h"
#include "stage.h"

/* The generation to keep: arg, or the newest that verifies. */
static int pick(struct repair_ctx *c, const char *arg, uint64_t *ret, struct rh_err *err)
{
	const struct scan_state *st = &c->scan->state;
	unsigned i;
	char *end;

	if (arg && *arg) {
		unsigned long long v = strtoull(arg, &end, 10);
		if (*end || !v)
			return rh_errf(err, -EINVAL, "'%s': --generation takes a generation number", arg);
		for (i = 0; i < st->ngens; i++)
			if (st->gens[i].gen == v && st->gens[i].ok) {
				*ret = v;
				return 0;
			}
		return rh_errf(err, -ENOENT, "%s: the state partition has no generation %llu that verifies", c->d->path,
			       v);
	}
	for (i = st->ngens; i-- > 0;)
		if (st->gens[i].ok) {
			*ret = st->gens[i].gen;
			return 0;
		}
	return rh_errf(err, -ENOENT, "%s: no state generation verifies; the host boots with no state (its files "
		       "are as the image ships them)", c->d->path);
}

/* Writes the debugfs commands that rename every generation newer than keep into path; *ret_n how many. */
static int write_cmds(struct repair_ctx *c, uint64_t keep, const char *path, unsigned *ret_n, struct rh_err *err)
{
	const struct scan_state *st = &c->scan->state;
	char *buf = malloc(SCAN_MAX_GENS * 128 + 1), name[STATE_NAME_LEN];
	size_t len = 0;
	unsigned i, n = 0;
	int rc;

	if (!buf)
		return rh_errf(err, -ENOMEM, "out of memory");
	for (i = 0; i < st->ngens; i++) {
		if (st->gens[i].gen <= keep)
			continue;
		state_gen_name(st->gens[i].gen, name, sizeof(name));
		len += (size_t)snprintf(buf + len, 128, "ln /%s /.rescued-%s\nunlink /%s\n", name, name, name);
		n++;
	}
	rc = fs_write_file(path, buf, len, 0600, err);
	free(buf);
	*ret_n = n;
	return rc;
}

int op_restore_state(OP_ARGS)
{
	const struct scan_state *st = &c->scan->state;
	struct stage s = { .path = "" };
	char cmds[PATH_MAX], target[PATH_MAX + 8], what[64];
	uint64_t keep = 0, bs = c->d->sector;
	unsigned n = 0, i;
	int rc;

	if (!st->exists)
		return rh_errf(err, -ENOENT, "%s: no state partition", c->d->path);
	rc = pick(c, arg, &keep, err);
	if (rc < 0)
		return rc;
	snprintf(cmds, sizeof(cmds), "%s/debugfs.XXXXXX", c->work);
	rc = fs_make_temp(cmds, 0, err);
	if (rc < 0)
		return rc;
	close(rc);
	rc = write_cmds(c, keep, cmds, &n, err);
	if (!rc && !n)
		rc = -EALREADY;
	for (i = 0; !rc && i < c->scan->gpt.disk.nparts; i++) {
		const struct gpt_part *p = &c->scan->gpt.disk.parts[i];
		if (p->number != st->partno)
			continue;
		rc = stage_open(c->d, pending, p->first_lba * bs, (p->last_lba - p->first_lba + 1) * bs,
				"state", c->work, &s, err);
	}
	if (!rc && !s.path[0])
		rc = rh_errf(err, -ENOENT, "%s: partition %u (state) is not in the GPT", c->d->path, st->partno);
	if (!rc) {
		char *argv[] = { "debugfs", "-w", "-f", cmds, target, NULL };
		snprintf(target, sizeof(target), "%s", s.path);
		rc = fs_run(argv, 0, err);
		if (rc < 0)
			rh_err_prefix(err, rc, "%s: state: debugfs (e2fsprogs)", c->d->path);
	}
	snprintf(what, sizeof(what), "generation %" PRIu64 " made the newest", keep);
	if (!rc)
		rc = wset_add_file(w, "state", "/", "rename", 0, what, err);
	if (!rc)
		rc = stage_diff(c->d, pending, &s, what, w, err);
	stage_close(&s);
	fs_rm_rf(cmds, NULL);
	return rc;
}
