/* stage.c: staged copies of partitions and the sectors a repair changed in them (see stage.h). */
#include "stage.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "tmpreg.h"

#define STAGE_CHUNK (1u << 20)   /* bytes read and compared at a time */
#define STAGE_BLOCK 4096u        /* a block of zeros in the copy is left a hole */

int stage_read(const struct rdisk *d, const struct wset *w, uint64_t off, void *buf, size_t len,
	       struct rh_err *err)
{
	uint64_t end = off + len;
	int rc = rdisk_read(d, off, buf, len, err);

	if (rc < 0 || !w)
		return rc;
	for (size_t i = 0; i < w->next; i++) {
		const struct wset_ext *e = &w->ext[i];
		uint64_t a, b;

		if (e->off >= end)
			break; /* sorted */
		if (e->off + e->len <= off)
			continue;
		a = e->off > off ? e->off : off;
		b = e->off + e->len < end ? e->off + e->len : end;
		memcpy((uint8_t *)buf + (a - off), e->data + (a - e->off), b - a);
	}
	return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
	static const uint8_t zero[STAGE_BLOCK];

	return n <= sizeof(zero) && !memcmp(p, zero, n);
}

/* Writes buf[0..n) at off of fd, leaving blocks of zeros unwritten (the file was truncated to its size first). */
static int write_sparse(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i += STAGE_BLOCK) {
		size_t k = n - i < STAGE_BLOCK ? n - i : STAGE_BLOCK;
		ssize_t wr;

		if (all_zero(buf + i, k))
			continue;
		wr = pwrite(fd, buf + i, k, (off_t)(off + i));
		if (wr != (ssize_t)k)
			return wr < 0 ? -errno : -EIO;
	}
	return 0;
}

/* Copies the window into fd as the disk with pending over it. */
static int copy_window(const struct rdisk *d, const struct wset *pending, const struct stage *s, int fd,
		       struct rh_err *err)
{
	uint8_t *buf = malloc(STAGE_CHUNK);
	int rc = 0;

	if (!buf)
		return rh_errf(err, -ENOMEM, "%s: out of memory", s->label);
	if (ftruncate(fd, (off_t)s->len) < 0) {
		rc = rh_errf(err, -errno, "%s: cannot size the staged copy %s: %s", s->label, s->path, strerror(errno));
		goto out;
	}
	for (uint64_t o = 0; o < s->len && !rc; o += STAGE_CHUNK) {
		size_t n = s->len - o < STAGE_CHUNK ? (size_t)(s->len - o) : STAGE_CHUNK;

		rc = stage_read(d, pending, s->base + o, buf, n, err);
		if (!rc && (rc = write_sparse(fd, buf, n, o)) < 0)
			rc = rh_errf(err, rc, "%s: cannot write the staged copy %s: %s", s->label, s->path,
				     strerror(-rc));
	}
out:
	free(buf);
	return rc;
}

int stage_open(const struct rdisk *d, const struct wset *pending, uint64_t base, uint64_t len, const char *label,
	       const char *work, struct stage *ret, struct rh_err *err)
{
	struct stage s;
	const char *dir = work && *work ? work : getenv("TMPDIR");
	int fd, rc;

	memset(&s, 0, sizeof(s));
	snprintf(s.label, sizeof(s.label), "%s", label);
	if (base > d->size || len > d->size - base || !len || len % 512)
		return rh_errf(err, -EINVAL, "%s: bytes %" PRIu64 "+%" PRIu64 " are not inside %s (%" PRIu64 " bytes)",
			       label, base, len, d->path, d->size);
	if ((size_t)snprintf(s.path, sizeof(s.path), "%s/rescue-stage-XXXXXX", dir && *dir ? dir : "/tmp") >=
	    sizeof(s.path))
		return rh_errf(err, -ENAMETOOLONG, "%s: work directory path too long", dir);
	fd = fs_make_temp(s.path, 0, err);
	if (fd < 0)
		return fd;
	s.base = base;
	s.len = len;
	rc = copy_window(d, pending, &s, fd, err);
	if (close(fd) < 0 && !rc)
		rc = rh_errf(err, -errno, "%s: %s: %s", label, s.path, strerror(errno));
	if (rc < 0) {
		stage_close(&s);
		return rc;
	}
	*ret = s;
	return 0;
}

struct fatimg stage_fatimg(const struct stage *s)
{
	struct fatimg f = { s->path, 0, s->len / 512 };

	return f;
}

/* Adds the staged bytes [from, to) of the window as one extent. */
static int add_run(int fd, const struct stage *s, uint64_t from, uint64_t to, const char *why, struct wset *w,
		   struct rh_err *err)
{
	size_t n = (size_t)(to - from);
	uint8_t *buf = malloc(n);
	int rc;

	if (!buf)
		return rh_errf(err, -ENOMEM, "%s: out of memory for %zu changed bytes", s->label, n);
	rc = rh_pread_all(fd, buf, n, from);
	if (rc < 0)
		rc = rh_errf(err, rc, "%s: cannot read the staged copy %s: %s", s->label, s->path, strerror(-rc));
	else
		rc = wset_add(w, s->base + from, buf, n, why, err);
	free(buf);
	return rc;
}

/* Compares one chunk sector by sector, extending or ending the current run of changed sectors (*run_start is
 * UINT64_MAX when none is open). */
static int diff_chunk(int fd, const struct stage *s, uint32_t sector, const uint8_t *old, const uint8_t *now,
		      uint64_t o, size_t n, uint64_t *run_start, const char *why, struct wset *w, struct rh_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i += sector) {
		size_t k = n - i < sector ? n - i : sector;
		int changed = memcmp(old + i, now + i, k) != 0;

		if (changed && *run_start == UINT64_MAX)
			*run_start = o + i;
		if (!changed && *run_start != UINT64_MAX) {
			rc = add_run(fd, s, *run_start, o + i, why, w, err);
			*run_start = UINT64_MAX;
		}
	}
	return rc;
}

int stage_diff(const struct rdisk *d, const struct wset *pending, const struct stage *s, const char *what,
	       struct wset *w, struct rh_err *err)
{
	uint8_t *old = malloc(STAGE_CHUNK), *now = malloc(STAGE_CHUNK);
	uint64_t run = UINT64_MAX;
	char why[WSET_WHY];
	int fd = -1, rc = 0;

	snprintf(why, sizeof(why), "%s %s", s->label, what);
	if (!old || !now) {
		rc = rh_errf(err, -ENOMEM, "%s: out of memory", s->label);
		goto out;
	}
	rc = rh_open_input_as(s->path, "the staged copy", &fd, err);
	for (uint64_t o = 0; o < s->len && !rc; o += STAGE_CHUNK) {
		size_t n = s->len - o < STAGE_CHUNK ? (size_t)(s->len - o) : STAGE_CHUNK;

		rc = stage_read(d, pending, s->base + o, old, n, err);
		if (!rc && (rc = rh_pread_all(fd, now, n, o)) < 0)
			rc = rh_errf(err, rc, "%s: cannot read the staged copy %s: %s", s->label, s->path,
				     strerror(-rc));
		if (!rc)
			rc = diff_chunk(fd, s, d->sector, old, now, o, n, &run, why, w, err);
	}
	if (!rc && run != UINT64_MAX)
		rc = add_run(fd, s, run, s->len, why, w, err);
out:
	if (fd >= 0)
		close(fd);
	free(old);
	free(now);
	return rc;
}

void stage_close(struct stage *s)
{
	if (s->path[0]) {
		unlink(s->path);
		tmpreg_forget(s->path);
	}
	s->path[0] = '\0';
}
