/* bootbank.c: find, read and mark the boot banks of the booted host (see bootbank.h). */
#include "bootbank.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootcfg.h"
#include "fileio.h"
#include "image-builder/bank_build.h"
#include "sysroot.h"

#define BOOTCFG_FILE_MAX (1u << 20)
#define BOOTCFG_TEXT_MAX (256u << 10)
#define MAX_DISKS 64

/* ---- the kernel command line (pure) ---- */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Handles one word w[0..len) of the command line. */
static int cmdline_word(struct bootbank_cmdline *c, const char *w, size_t len, struct rh_err *err)
{
	static const char bank[] = "ramhost.bank=", uuid[] = "ramhost.bankuuid=";
	int shown = len > 80 ? 80 : (int)len;
	uint8_t g[16];
	char s[37];

	if (len >= sizeof(bank) - 1 && !memcmp(w, bank, sizeof(bank) - 1)) {
		const char *v = w + sizeof(bank) - 1;
		size_t vlen = len - (sizeof(bank) - 1);

		if (vlen != 1 || v[0] < '0' || v[0] > '9')
			return rh_errf(err, -EINVAL, "kernel command line: '%.*s' is not ramhost.bank=<0-9>", shown, w);
		c->bank = (unsigned)(v[0] - '0');
		return 0;
	}
	if (len >= sizeof(uuid) - 1 && !memcmp(w, uuid, sizeof(uuid) - 1)) {
		const char *v = w + sizeof(uuid) - 1;
		size_t vlen = len - (sizeof(uuid) - 1);

		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {   /* ramhost.bankuuid="..." */
			v++;
			vlen -= 2;
		}
		if (vlen != 36)
			goto bad_uuid;
		memcpy(s, v, 36);
		s[36] = '\0';
		if (gpt_guid_from_str(s, g) < 0)
			goto bad_uuid;
		gpt_guid_to_str(g, c->uuid);
		c->has_uuid = 1;
		return 0;
	bad_uuid:
		return rh_errf(err, -EINVAL,
			       "kernel command line: '%.*s' is not ramhost.bankuuid=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
			       shown, w);
	}
	return 0;
}

int bootbank_cmdline_parse(const char *buf, size_t len, struct bootbank_cmdline *ret, struct rh_err *err)
{
	struct bootbank_cmdline c;
	size_t i = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	while (i < len && buf[i]) {
		size_t start;
		int quoted = 0;

		while (i < len && is_blank(buf[i]))
			i++;
		if (i == len || !buf[i])
			break;
		start = i;
		while (i < len && buf[i] && (quoted || !is_blank(buf[i]))) {
			if (buf[i] == '"')
				quoted = !quoted;
			i++;
		}
		rc = cmdline_word(&c, buf + start, i - start, err);
		if (rc < 0)
			return rc;
	}
	*ret = c;
	return 0;
}

/* ---- the partitions (pure) ---- */

int bootbank_pick(const struct gpt_disk *d, const char *disk, const uint8_t uuid[16], struct bootbank_pick *ret,
		  struct rh_err *err)
{
	static const char *const names[2] = { BOOTBANK_NAME_1, BOOTBANK_NAME_2 };
	struct bootbank_pick p = { 0, { 0, 0 } };
	const struct gpt_part *booted = NULL;
	char s[37];
	unsigned i, b;

	for (i = 0; i < d->nparts && i < GPT_MAX_PARTS; i++)
		if (!memcmp(d->parts[i].unique_guid, uuid, 16))
			booted = &d->parts[i];
	if (!booted)
		return -ENOENT;
	for (i = 0; i < d->nparts && i < GPT_MAX_PARTS; i++) {
		for (b = 0; b < 2; b++) {
			if (strcmp(d->parts[i].name, names[b]))
				continue;
			if (p.part[b])
				return rh_errf(err, -EINVAL, "%s: partitions %u and %u are both named '%s'", disk,
					       p.part[b], d->parts[i].number, names[b]);
			p.part[b] = d->parts[i].number;
		}
	}
	for (b = 0; b < 2; b++)
		if (!strcmp(booted->name, names[b]))
			p.booted = (int)b + 1;
	if (!p.booted) {
		gpt_guid_to_str(uuid, s);
		return rh_errf(err, -EINVAL, "%s: partition %u (GUID %s) is named '%s', not '%s' or '%s'", disk,
			       booted->number, s, booted->name, names[0], names[1]);
	}
	*ret = p;
	return 0;
}

int bootbank_part_dev(const char *disk, uint32_t n, char *out, size_t cap)
{
	size_t len = strlen(disk);
	int digit = len && disk[len - 1] >= '0' && disk[len - 1] <= '9';
	int w = snprintf(out, cap, "%s%s%u", disk, digit ? "p" : "", n);

	return w < 0 || (size_t)w >= cap ? -ENAMETOOLONG : 0;
}

const char *bootbank_state_name(int bootstate)
{
	switch (bootstate) {
	case BOOTSTATE_VALID:
		return "VALID";
	case BOOTSTATE_UPGRADING:
		return "UPGRADING";
	case BOOTSTATE_DIRTY:
		return "DIRTY";
	case BOOTSTATE_INVALID:
		return "INVALID";
	}
	return "VALID (absent)";
}

/* ---- a mounted bank directory ---- */

/* Reads and parses dir/boot.cfg. Returns 0, -ENOENT (no boot.cfg; no message), or an error naming label. */
static int read_cfg(const char *dir, const char *label, struct bootcfg *ret, struct rh_err *err)
{
	struct bootcfg_error perr = { 0, NULL };
	struct rh_err rerr = { 0, "" };
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/boot.cfg", dir) >= sizeof(path))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	rc = rh_read_file(path, BOOTCFG_FILE_MAX, &buf, &len, &rerr);
	if (rc == -ENOENT)
		return rc;
	if (rc < 0)
		return rh_errf(err, rc, "%s: boot.cfg: %s", label, strerror(-rc));
	rc = bootcfg_parse(buf, len, ret, &perr);
	free(buf);
	if (rc < 0)
		return rh_errf(err, rc, "%s: boot.cfg: line %u: %s", label, perr.line,
			       perr.what ? perr.what : "cannot be parsed");
	return 0;
}

int bootbank_read_dir(const char *dir, const char *label, struct bootbank_slot *slot, struct rh_err *err)
{
	struct rh_err perr = { 0, "" };
	struct bootcfg *cfg = malloc(sizeof(*cfg));
	int rc;

	if (!cfg)
		return rh_errf(err, -ENOMEM, "out of memory");
	slot->present = 0;
	slot->readable = 1;
	rc = read_cfg(dir, label, cfg, &perr);
	if (rc == -ENOENT) {
		snprintf(slot->problem, sizeof(slot->problem), "no boot.cfg");
		rc = 0;
	} else if (rc == -EINVAL || rc == -E2BIG) {
		/* unparsable: the bank is missing by the bank rules, and that is a state, not a failure */
		snprintf(slot->problem, sizeof(slot->problem), "%s", perr.msg);
		rc = 0;
	} else if (rc < 0) {
		slot->readable = 0;
		snprintf(slot->problem, sizeof(slot->problem), "%s", perr.msg);
		rh_errf(err, rc, "%s", perr.msg);
	} else {
		slot->present = 1;
		slot->problem[0] = '\0';
		slot->bootstate = cfg->bootstate;
		slot->updated = cfg->updated;
		snprintf(slot->build, sizeof(slot->build), "%s", cfg->build);
	}
	free(cfg);
	return rc;
}

int bootbank_mark_dir(const char *dir, const char *label, int *ret_old, int *ret_changed, struct rh_err *err)
{
	struct bootcfg *cfg = malloc(sizeof(*cfg)), *check = malloc(sizeof(*cfg));
	char *text = malloc(BOOTCFG_TEXT_MAX);
	struct bootcfg_error perr = { 0, NULL };
	int rc, old, changed = 0;
	long len;

	if (!cfg || !check || !text) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = read_cfg(dir, label, cfg, err);
	if (rc == -ENOENT)
		rc = rh_errf(err, rc, "%s: boot.cfg: not found in the bank", label);
	if (rc < 0)
		goto out;
	old = cfg->bootstate;
	if (old != BOOTSTATE_VALID && old >= 0) {
		cfg->bootstate = BOOTSTATE_VALID;
		len = bootcfg_format(cfg, text, BOOTCFG_TEXT_MAX);
		if (len < 0) {
			rc = rh_errf(err, (int)len, "%s: boot.cfg: does not fit in %u bytes once formatted", label,
				     BOOTCFG_TEXT_MAX);
			goto out;
		}
		/* what is written must read back as what was meant: the same file with bootstate=0 */
		if (bootcfg_parse(text, (size_t)len, check, &perr) < 0 || check->bootstate != BOOTSTATE_VALID ||
		    check->nmodules != cfg->nmodules || check->updated != cfg->updated) {
			rc = rh_errf(err, -EINVAL, "%s: boot.cfg: the rewritten text does not parse back (line %u: %s)",
				     label, perr.line, perr.what ? perr.what : "fields differ");
			goto out;
		}
		rc = rh_replace_file(dir, "boot.cfg", text, (size_t)len, label, err);
		if (rc < 0)
			goto out;
		changed = 1;
		rc = bootbank_write_bootcfg_module(dir, text, (size_t)len, err);
		if (rc < 0)
			goto out;
	}
	*ret_old = old;
	*ret_changed = changed;
out:
	free(text);
	free(check);
	free(cfg);
	return rc;
}

/* ---- disks and mounts ---- */

/* Reads a small number from sysfs; 0 when it cannot. */
static unsigned long sys_number(const char *sysblock, const char *name, const char *file)
{
	char path[PATH_MAX], *buf = NULL;
	unsigned long v = 0;
	size_t len;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", sysblock, name, file) >= sizeof(path))
		return 0;
	if (rh_read_file(path, 4096, &buf, &len, NULL) < 0)
		return 0;
	v = strtoul(buf, NULL, 10);
	free(buf);
	return v;
}

/* Opens disk (a /dev path) and reads its GPT into *d. On failure *why says why (for the "not found" message). */
static int read_disk_gpt(const char *sysblock, const char *disk, struct gpt_disk *d, char *why, size_t cap)
{
	const char *name = strrchr(disk, '/') ? strrchr(disk, '/') + 1 : disk;
	int fd = -1;
	unsigned long bs = sys_number(sysblock, name, "queue/logical_block_size");
	uint64_t size = 0;
	struct stat st;
	int rc, ibs;

	fd = open(disk, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, cap, "%s", strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(why, cap, "stat: %s", strerror(errno));
		goto out;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			rc = -errno;
			snprintf(why, cap, "BLKGETSIZE64: %s", strerror(errno));
			goto out;
		}
		if (!bs && ioctl(fd, BLKSSZGET, &ibs) == 0 && ibs > 0)
			bs = (unsigned long)ibs;
	} else {
		size = (uint64_t)st.st_size;   /* an image file named in RAMHOST_DISKS */
	}
	if (!bs)
		bs = 512;
	if (bs != 512 && bs != 4096) {
		rc = -ENOTSUP;
		snprintf(why, cap, "logical block size %lu not supported", bs);
		goto out;
	}
	rc = gpt_read(rh_pread_fd, &fd, (uint32_t)bs, size / bs, d);
	if (rc < 0)
		snprintf(why, cap, "%s", rc == -GPT_EINVAL ? "no GPT" : strerror(-rc));
out:
	close(fd);
	return rc;
}

/* Device names that are never a boot disk unless named in RAMHOST_DISKS. */
static int skipped_name(const char *n)
{
	static const char *const prefixes[] = { "loop", "ram", "zram", "fd", "sr" };
	size_t i;

	if (n[0] == '.')
		return 1;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(n, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The disks to scan, as /dev paths, sorted: RAMHOST_DISKS or the whole disks of sysblock. Caller frees each and
 * the array. */
static int list_disks(const char *sysblock, char ***ret, unsigned *ret_n, struct rh_err *err)
{
	const char *env = getenv("RAMHOST_DISKS");
	char **v = calloc(MAX_DISKS, sizeof(*v)), *copy = NULL, *tok, *save = NULL;
	unsigned n = 0, i;
	DIR *dir = NULL;
	struct dirent *de;
	int rc = 0;

	if (!v)
		return rh_errf(err, -ENOMEM, "out of memory");
	if (env && env[0]) {
		copy = strdup(env);
		if (!copy) {
			rc = rh_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		for (tok = strtok_r(copy, ", \t\n", &save); tok && n < MAX_DISKS; tok = strtok_r(NULL, ", \t\n", &save))
			if (!(v[n++] = strdup(tok))) {
				rc = rh_errf(err, -ENOMEM, "out of memory");
				goto out;
			}
	} else {
		dir = opendir(sysblock);
		if (!dir) {
			rc = rh_errf(err, -errno, "%s: cannot list block devices: %s", sysblock, strerror(errno));
			goto out;
		}
		while ((de = readdir(dir)) && n < MAX_DISKS) {
			if (skipped_name(de->d_name) || strlen(de->d_name) > 200)
				continue;
			if (asprintf(&v[n], "/dev/%s", de->d_name) < 0) {
				v[n] = NULL;
				rc = rh_errf(err, -ENOMEM, "out of memory");
				goto out;
			}
			n++;
		}
		qsort(v, n, sizeof(*v), cmp_str);
	}
	*ret = v;
	*ret_n = n;
	v = NULL;
out:
	if (dir)
		closedir(dir);
	free(copy);
	if (v) {
		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
	}
	return rc;
}

/* Where the boot banks are: the disk, its GPT and the chosen partitions. */
struct located {
	char disk[BOOTBANK_DEV_MAX];
	struct bootbank_pick pick;
	struct gpt_disk gpt;
};

/* Finds the disk holding the partition with unique GUID uuid; exactly one disk may hold it. */
static int locate(const char *uuid_str, struct located *ret, struct rh_err *err)
{
	const char *sysblock = sysroot_sys_block();
	struct gpt_disk *d = malloc(sizeof(*d));
	char **disks = NULL, why[128], scanned[600] = "";
	struct bootbank_pick pick;
	unsigned n = 0, i, found = 0;
	uint8_t uuid[16];
	size_t used = 0;
	int rc;

	if (!d)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = gpt_guid_from_str(uuid_str, uuid) < 0 ? rh_errf(err, -EINVAL, "bad GUID '%s'", uuid_str) : 0;
	rc = rc ?: list_disks(sysblock, &disks, &n, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < n; i++) {
		why[0] = '\0';
		if (read_disk_gpt(sysblock, disks[i], d, why, sizeof(why)) < 0)
			goto note;
		rc = bootbank_pick(d, disks[i], uuid, &pick, err);
		if (rc == -ENOENT) {
			snprintf(why, sizeof(why), "GPT, %u partitions", d->nparts);
			goto note;
		}
		if (rc < 0)   /* the GUID names a partition that is not a bank, or bank names clash */
			goto out;
		if (found) {
			rc = rh_errf(err, -EEXIST, "partition GUID %s is on both %s and %s: refusing to guess", uuid_str,
				     ret->disk, disks[i]);
			goto out;
		}
		found = 1;
		snprintf(ret->disk, sizeof(ret->disk), "%s", disks[i]);
		ret->pick = pick;
		ret->gpt = *d;
		continue;
	note:
		if (used < sizeof(scanned) - 1)
			used += (size_t)snprintf(scanned + used, sizeof(scanned) - used, "%s%s (%s)", used ? ", " : "",
						 disks[i], why);
	}
	rc = 0;
	if (!found)
		rc = rh_errf(err, -ENOENT, "no partition with GUID %s (ramhost.bankuuid) on any disk; scanned: %s",
			     uuid_str, n ? scanned : "no disks");
out:
	for (i = 0; i < n; i++)
		free(disks[i]);
	free(disks);
	free(d);
	return rc;
}

/* Mounts dev (vfat) on a new private directory under $TMPDIR or /run/ramhost, read-only unless rw; the
 * directory goes to ret_dir (PATH_MAX). A read-only mount of a partition already mounted read-write elsewhere
 * is refused by the kernel (EBUSY); allow_rw_fallback then mounts it read-write (the caller only reads). */
static int bank_mount(const char *dev, int rw, int allow_rw_fallback, char *ret_dir, struct rh_err *err)
{
	const char *base = sysroot_path("TMPDIR", "/run/ramhost");
	unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME;
	int rc;

	rc = rh_mkdir_p(base, 0755, err);
	if (rc < 0)
		return rc;
	if ((size_t)snprintf(ret_dir, PATH_MAX, "%s/bootbank.XXXXXX", base) >= PATH_MAX)
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", base);
	if (!mkdtemp(ret_dir))
		return rh_errf(err, -errno, "%s: cannot create a mount directory: %s", base, strerror(errno));
	if (mount(dev, ret_dir, "vfat", flags | (rw ? 0 : MS_RDONLY), NULL) == 0)
		return 0;
	if (!rw && allow_rw_fallback && errno == EBUSY && mount(dev, ret_dir, "vfat", flags, NULL) == 0)
		return 0;
	rc = rh_errf(err, -errno, "%s: cannot mount (vfat, %s) on %s: %s%s", dev, rw ? "read-write" : "read-only",
		     ret_dir, strerror(errno),
		     errno == ENODEV ? " (this kernel has no vfat file system: load the vfat module)" : "");
	rmdir(ret_dir);
	return rc;
}

/* Syncs and unmounts dir, then removes it. */
static int bank_umount(const char *dev, const char *dir, struct rh_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd >= 0) {
		if (syncfs(fd) < 0)
			rc = rh_errf(err, -errno, "%s: syncfs: %s", dev, strerror(errno));
		close(fd);
	}
	if (umount2(dir, 0) < 0) {
		int e = errno;

		/* still busy: detach it so that nothing is left mounted under our name */
		if (umount2(dir, MNT_DETACH) < 0)
			return rh_errf(err, -e, "%s: cannot unmount %s: %s", dev, dir, strerror(e));
	}
	rmdir(dir);
	return rc;
}

static int load_cmdline(struct bootbank_cmdline *ret, struct rh_err *err)
{
	const char *path = sysroot_proc_cmdline();
	char *buf = NULL;
	size_t len;
	int rc;

	rc = rh_read_file(path, 64 << 10, &buf, &len, err);
	if (rc < 0)
		return rc;
	rc = bootbank_cmdline_parse(buf, len, ret, err);
	free(buf);
	return rc;
}

int bootbank_mount(const char *dev, int rw, char *ret_dir, struct rh_err *err)
{
	return bank_mount(dev, rw, !rw, ret_dir, err);
}

int bootbank_umount(const char *dev, const char *dir, struct rh_err *err)
{
	return bank_umount(dev, dir, err);
}

int bootbank_find_disk(struct bootbank_cmdline *ret_cmdline, struct bootbank_disk *ret, struct rh_err *err)
{
	struct located *loc = malloc(sizeof(*loc));
	struct bootbank_cmdline c;
	struct bootbank_disk d;
	unsigned i, b;
	int rc;

	if (!loc)
		return rh_errf(err, -ENOMEM, "out of memory");
	memset(&d, 0, sizeof(d));
	rc = load_cmdline(&c, err);
	if (rc < 0 || !c.has_uuid)
		goto done;
	rc = locate(c.uuid, loc, err);
	if (rc < 0)
		goto done;
	snprintf(d.disk, sizeof(d.disk), "%s", loc->disk);
	d.booted = loc->pick.booted;
	for (i = 0; i < loc->gpt.nparts && i < GPT_MAX_PARTS; i++) {
		const struct gpt_part *p = &loc->gpt.parts[i];

		for (b = 0; b < 2; b++) {
			if (p->number != loc->pick.part[b])
				continue;
			d.part[b] = p->number;
			gpt_guid_to_str(p->unique_guid, d.uuid[b]);
			if (bootbank_part_dev(loc->disk, p->number, d.dev[b], sizeof(d.dev[b])) < 0) {
				rc = rh_errf(err, -ENAMETOOLONG, "%s: device name too long", loc->disk);
				goto done;
			}
		}
		if (!strcmp(p->name, "ESP") && !d.esp_part) {
			d.esp_part = p->number;
			if (bootbank_part_dev(loc->disk, p->number, d.esp_dev, sizeof(d.esp_dev)) < 0) {
				rc = rh_errf(err, -ENAMETOOLONG, "%s: device name too long", loc->disk);
				goto done;
			}
		}
	}
done:
	free(loc);
	if (rc < 0)
		return rc;
	*ret_cmdline = c;
	*ret = d;
	return 0;
}

int bootbank_status_read(struct bootbank_status *ret, struct rh_err *err)
{
	struct located *loc = malloc(sizeof(*loc));
	char dir[PATH_MAX];
	int rc, b;

	if (!loc)
		return rh_errf(err, -ENOMEM, "out of memory");
	memset(ret, 0, sizeof(*ret));
	rc = load_cmdline(&ret->cmdline, err);
	if (rc < 0)
		goto out;
	if (!ret->cmdline.has_uuid) {
		ret->read_only_media = 1;
		ret->booted = (int)ret->cmdline.bank;
		goto out;
	}
	rc = locate(ret->cmdline.uuid, loc, err);
	if (rc < 0)
		goto out;
	snprintf(ret->disk, sizeof(ret->disk), "%s", loc->disk);
	ret->booted = loc->pick.booted;
	for (b = 0; b < 2; b++) {
		struct bootbank_slot *s = &ret->bank[b];
		struct rh_err merr = { 0, "" };
		unsigned i;

		s->bootstate = -1;
		s->booted = b + 1 == ret->booted;
		if (!loc->pick.part[b]) {
			snprintf(s->problem, sizeof(s->problem), "no '%s' partition on %s",
				 b ? BOOTBANK_NAME_2 : BOOTBANK_NAME_1, loc->disk);
			continue;
		}
		s->exists = 1;
		s->partno = loc->pick.part[b];
		for (i = 0; i < loc->gpt.nparts; i++)
			if (loc->gpt.parts[i].number == s->partno)
				gpt_guid_to_str(loc->gpt.parts[i].unique_guid, s->uuid);
		if (bootbank_part_dev(loc->disk, s->partno, s->dev, sizeof(s->dev)) < 0) {
			snprintf(s->problem, sizeof(s->problem), "%s: partition %u: device name too long", loc->disk,
				 s->partno);
			continue;
		}
		if (bank_mount(s->dev, 0, 1, dir, &merr) < 0) {
			snprintf(s->problem, sizeof(s->problem), "%s", merr.msg);
			continue;
		}
		bootbank_read_dir(dir, s->dev, s, &merr);
		if (bank_umount(s->dev, dir, &merr) < 0 && s->readable) {
			s->readable = 0;
			snprintf(s->problem, sizeof(s->problem), "%s", merr.msg);
		}
	}
out:
	free(loc);
	return rc;
}

int bootbank_mark_good(int *ret_result, int *ret_old, char *ret_dev, struct rh_err *err)
{
	struct located *loc = malloc(sizeof(*loc));
	struct bootbank_cmdline c;
	struct bootbank_slot slot;
	char dev[BOOTBANK_DEV_MAX], dir[PATH_MAX];
	int rc, old = -1, changed = 0, urc;

	if (!loc)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = load_cmdline(&c, err);
	if (rc < 0)
		goto out;
	if (!c.has_uuid) {
		*ret_result = BOOTBANK_READ_ONLY_MEDIA;
		*ret_old = -1;
		if (ret_dev)
			ret_dev[0] = '\0';
		goto out;
	}
	rc = locate(c.uuid, loc, err);
	if (rc < 0)
		goto out;
	if (bootbank_part_dev(loc->disk, loc->pick.part[loc->pick.booted - 1], dev, sizeof(dev)) < 0) {
		rc = rh_errf(err, -ENAMETOOLONG, "%s: device name too long", loc->disk);
		goto out;
	}
	/* read-only first: a bank that is already VALID is never mounted read-write (nothing at all is written,
	 * not even the FAT dirty flag); only a bank that needs the write is remounted read-write */
	rc = bank_mount(dev, 0, 1, dir, err);
	if (rc < 0)
		goto out;
	memset(&slot, 0, sizeof(slot));
	rc = bootbank_read_dir(dir, dev, &slot, err);
	if (!rc && !slot.present && !strcmp(slot.problem, "no boot.cfg"))
		rc = rh_errf(err, -ENOENT, "%s: boot.cfg: not found in the bank", dev);
	else if (!rc && !slot.present)   /* unparsable: the message names the device, file and line */
		rc = rh_errf(err, -EINVAL, "%s", slot.problem);
	if (!rc && slot.bootstate != BOOTSTATE_VALID && slot.bootstate >= 0 &&
	    mount(NULL, dir, NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME, NULL) < 0)
		rc = rh_errf(err, -errno, "%s: cannot remount read-write: %s", dev, strerror(errno));
	rc = rc ?: bootbank_mark_dir(dir, dev, &old, &changed, err);
	urc = bank_umount(dev, dir, err);
	rc = rc ?: urc;
	if (rc < 0)
		goto out;
	*ret_result = changed ? BOOTBANK_MARKED : BOOTBANK_ALREADY_VALID;
	*ret_old = old;
	if (ret_dev)
		snprintf(ret_dev, BOOTBANK_DEV_MAX, "%s", dev);
out:
	free(loc);
	return rc;
}
