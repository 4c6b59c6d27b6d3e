/* install.c: `ramhost install`: skeleton onto the disk, GPT moved, bank 1 filled and checked, state seeded, UEFI
 * boot entry (see install.h). */
#include "install.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bootloader/bank_dir.h"
#include "bootloader/syslinux_cfg.h"
#include "disk.h"
#include "disks.h"
#include "efivar.h"
#include "fileio.h"
#include "fs.h"
#include "gpt.h"
#include "install_gpt.h"
#include "install_medium.h"
#include "install_seed.h"
#include "install_target.h"

#define MIB (1024u * 1024u)
#define INSTALL_DEV_MAX 256   /* a partition device node */
#define BUF (4u * MIB)
#define ESP_FILE "\\EFI\\BOOT\\BOOTX64.EFI"

struct job {
	const struct install_opts *o;
	struct install_medium m;
	struct install_target t;
	struct install_stream *s;
	uint8_t *head;                 /* the skeleton's first MiB (GPT + start of the ESP) */
	size_t head_len;
	uint64_t skel_sectors;
	uint8_t guids[1 + INSTALL_GPT_PARTS][16];
	uint64_t part_start[INSTALL_GPT_PARTS], part_sectors[INSTALL_GPT_PARTS];
	struct install_result *res;
	struct rh_err *err;
};

static void say(const struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct job *j, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!j->o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	j->o->progress(j->o->progress_ctx, line);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Fresh random GUIDs for the disk and its partitions (disk_guid's text form, parsed back to bytes). */
static int new_guids(struct job *j)
{
	char text[37];
	unsigned i;
	int rc;

	for (i = 0; i <= INSTALL_GPT_PARTS; i++) {
		rc = disk_guid(NULL, "", text, j->err);
		if (rc)
			return rc;
		gpt_guid_from_str(text, j->guids[i]);
	}
	return 0;
}

/* Reads the skeleton's first MiB and its GPT: how large a disk it needs. */
static int read_head(struct job *j)
{
	long n;
	int rc;

	j->head = malloc(MIB);
	if (!j->head)
		return rh_errf(j->err, -ENOMEM, "out of memory");
	n = install_stream_read(j->s, j->head, MIB, j->err);
	if (n < 0)
		return (int)n;
	j->head_len = (size_t)n;
	rc = install_gpt_check(j->head, j->head_len, &j->skel_sectors, j->err);
	if (rc)
		return rh_errf(j->err, rc, "%s: %s: %s", j->m.dev, INSTALL_SKELETON, j->err->msg);
	return 0;
}

static int write_at(struct job *j, int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rh_errf(j->err, n < 0 ? -errno : -EIO, "%s: write at %" PRIu64 ": %s", j->t.dev, off + done,
				       n < 0 ? strerror(errno) : "short write");
		done += (size_t)n;
	}
	return 0;
}

/* Streams the skeleton after its GPT head sectors onto fd, with a progress line every quarter. */
static int copy_skeleton(struct job *j, int fd, double t0)
{
	uint64_t skel = j->skel_sectors * 512, off = j->head_len, next_report = skel / 4;
	uint8_t *buf = malloc(BUF);
	int rc;

	if (!buf)
		return rh_errf(j->err, -ENOMEM, "out of memory");
	rc = write_at(j, fd, j->head + INSTALL_GPT_HEAD, j->head_len - INSTALL_GPT_HEAD, INSTALL_GPT_HEAD);
	while (!rc) {
		long n = install_stream_read(j->s, buf, BUF, j->err);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0)
			break;
		if (off + (uint64_t)n > skel) {
			rc = rh_errf(j->err, -EINVAL, "%s: %s is longer than its GPT says (%" PRIu64 " bytes)", j->m.dev,
				     INSTALL_SKELETON, skel);
			break;
		}
		rc = write_at(j, fd, buf, (size_t)n, off);
		off += (uint64_t)n;
		if (!rc && off >= next_report && off < skel) {
			say(j, "  %3u%% (%" PRIu64 " of %" PRIu64 " MiB, %.1f s)", (unsigned)(off * 100 / skel), off / MIB,
			    skel / MIB, now() - t0);
			next_report += skel / 4;
		}
	}
	if (!rc && off != skel)
		rc = rh_errf(j->err, -EINVAL, "%s: %s ends at %" PRIu64 " bytes, its GPT says %" PRIu64, j->m.dev,
			     INSTALL_SKELETON, off, skel);
	free(buf);
	return rc;
}

/* The GPT fitted to the disk, written last: the skeleton's own backup GPT cleared, new GUIDs, the backup GPT at
 * the disk's end, then the primary. */
static int place_gpt(struct job *j, int fd)
{
	uint64_t skel = j->skel_sectors * 512;
	uint8_t zero[INSTALL_GPT_TAIL], tail[INSTALL_GPT_TAIL];
	int rc = 0;

	/* the skeleton's own backup GPT is now free space inside a larger disk: clear it */
	memset(zero, 0, sizeof(zero));
	if (j->t.bytes > skel)
		rc = write_at(j, fd, zero, sizeof(zero), skel - INSTALL_GPT_TAIL);
	if (!rc)
		rc = new_guids(j);
	if (!rc)
		rc = install_gpt_relocate(j->head, j->t.bytes / 512, j->guids, tail, j->err);
	if (!rc)
		rc = write_at(j, fd, tail, sizeof(tail), (j->t.bytes / 512 - 33) * 512);
	if (!rc)
		rc = write_at(j, fd, j->head, INSTALL_GPT_HEAD, 0);
	return rc;
}

/* The first sector and length of each partition, from the GPT entries in j->head. */
static void read_extents(struct job *j)
{
	uint32_t esize = (uint32_t)(j->head[512 + 84] | j->head[512 + 85] << 8 | j->head[512 + 86] << 16 |
				    (uint32_t)j->head[512 + 87] << 24);
	unsigned i;
	int b;

	for (i = 0; i < INSTALL_GPT_PARTS; i++) {
		const uint8_t *e = j->head + 1024 + (size_t)i * esize;
		uint64_t first = 0, last = 0;

		for (b = 7; b >= 0; b--) {
			first = first << 8 | e[32 + b];
			last = last << 8 | e[40 + b];
		}
		j->part_start[i] = first;
		j->part_sectors[i] = last - first + 1;
	}
}

/* The kernel reads the new partition table; udev-less hosts get the nodes from devtmpfs. */
static int reread_table(struct job *j, int fd)
{
	int tries;

	ioctl(fd, BLKFLSBUF, 0);
	for (tries = 0; tries < 20; tries++) {
		if (ioctl(fd, BLKRRPART, 0) == 0)
			break;
		if (errno != EBUSY)
			return rh_errf(j->err, -errno, "%s: the kernel did not re-read the partition table: %s", j->t.dev,
				       strerror(errno));
		usleep(250000);
	}
	return 0;
}

/* The skeleton onto the disk: everything but the GPT sectors first, then the GPT fitted to the disk, so that an
 * interrupted install never leaves a disk that looks installed. */
static int write_disk(struct job *j)
{
	uint64_t skel = j->skel_sectors * 512;
	int fd, rc;
	double t0 = now();

	fd = open(j->t.dev, O_WRONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return rh_errf(j->err, -errno, "%s: cannot open it for writing: %s", j->t.dev, strerror(errno));
	say(j, "writing the disk skeleton (%" PRIu64 " MiB) to %s", skel / MIB, j->t.dev);
	rc = copy_skeleton(j, fd, t0);
	if (!rc)
		rc = place_gpt(j, fd);
	if (rc)
		goto out;
	read_extents(j);
	if (fsync(fd) < 0) {
		rc = rh_errf(j->err, -errno, "%s: fsync: %s", j->t.dev, strerror(errno));
		goto out;
	}
	rc = reread_table(j, fd);
	if (rc)
		goto out;
	j->res->written_bytes = skel + 2 * INSTALL_GPT_TAIL;
	say(j, "skeleton written: %" PRIu64 " MiB in %.1f s", skel / MIB, now() - t0);
out:
	close(fd);
	return rc;
}

/* Waits (up to 10 s) for devtmpfs to show partition n of the target; its path into dev. */
static int part_node(struct job *j, unsigned n, char *dev, size_t cap)
{
	struct stat st;
	int i;

	if (disks_part_dev(j->t.dev, n, dev, cap))
		return rh_errf(j->err, -ENAMETOOLONG, "%s: partition name too long", j->t.dev);
	for (i = 0; i < 100; i++) {
		if (stat(dev, &st) == 0 && S_ISBLK(st.st_mode))
			return 0;
		usleep(100000);
	}
	return rh_errf(j->err, -ENOENT, "%s: partition %u did not appear after the partition table was written", dev, n);
}

static int install_mount_dir(char *buf, size_t cap, struct rh_err *err)
{
	return fs_host_work_dir("install", buf, cap, err);
}

static int do_mount(struct job *j, const char *dev, const char *dir, const char *type, unsigned long flags)
{
	if (mount(dev, dir, type, flags, NULL) < 0)
		return rh_errf(j->err, -errno, "%s: cannot mount it (%s) on %s: %s", dev, type, dir, strerror(errno));
	return 0;
}

static int do_umount(struct job *j, const char *dev, const char *dir)
{
	int fd;

	if (umount(dir) < 0)
		return rh_errf(j->err, -errno, "%s: cannot unmount %s: %s", dev, dir, strerror(errno));
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ioctl(fd, BLKFLSBUF, 0); /* the check after the remount reads the disk, not the cache */
		close(fd);
	}
	return 0;
}

/* The medium's /bootbank/boot.cfg, parsed into *cfg. */
static int read_medium_cfg(struct job *j, struct bootcfg *cfg)
{
	struct bootcfg_error pe = { 0 };
	char *text = NULL;
	size_t len;
	int rc;

	rc = install_medium_read(&j->m, "/bootbank/boot.cfg", 1 << 20, &text, &len, j->err);
	if (rc)
		return rc;
	if (bootcfg_parse(text, len, cfg, &pe) < 0)
		rc = rh_errf(j->err, -EINVAL, "%s: /bootbank/boot.cfg: line %u: %s", j->m.dev, pe.line,
			     pe.what ? pe.what : "cannot parse it");
	free(text);
	return rc;
}

/* The kernel and modules from the medium into dir, each checked against its hash while copied. */
static int copy_bank_files(struct job *j, const struct bootcfg *cfg, const char *dir)
{
	char src[PATH_MAX], dst[PATH_MAX];
	unsigned i;
	int rc = 0;

	for (i = 0; i <= cfg->nmodules && !rc; i++) {
		const struct bootcfg_file *f = i == 0 ? &cfg->kernel : &cfg->modules[i - 1];
		uint8_t sha[SHA256_DIGEST_LEN];
		if (!f->has_sha256)
			return rh_errf(j->err, -EINVAL, "%s: /bootbank/boot.cfg has no hash.%s line", j->m.dev, f->name);
		snprintf(src, sizeof(src), "/bootbank/%s", f->name);
		rc = fs_join(dst, sizeof(dst), dir, f->name, j->err);
		if (!rc)
			rc = install_medium_copy(&j->m, src, dst, 0644, sha, NULL, j->err);
		if (!rc && memcmp(sha, f->sha256, sizeof(sha))) {
			char want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
			sha256_to_hex(f->sha256, want);
			sha256_to_hex(sha, got);
			rc = rh_errf(j->err, -EBADMSG, "%s: %s on the install medium: SHA-256 mismatch: expected %s, got %s",
				     j->m.dev, src, want, got);
		}
		j->res->files++;
	}
	return rc;
}

/* Bank 1's boot.cfg (updated=1, VALID), bootcfg.cpio and syslinux.cfg (with this partition's GUID) in dir. */
static int write_bank_cfgs(struct job *j, struct bootcfg *cfg, const char *dir)
{
	struct syslinux_cfg_opts so = { "", 1, BANK_DIR_BOOTCFG_MODULE, "0 115200", NULL, NULL, NULL };
	char dst[PATH_MAX], uuid[37], *sys = NULL;
	long n;
	int rc;

	cfg->updated = 1;
	cfg->bootstate = BOOTSTATE_VALID;
	rc = bank_dir_write_cfg(dir, cfg, j->err);
	gpt_guid_to_str(j->guids[2], uuid);
	so.bankuuid = uuid;
	sys = malloc(16384);
	if (!rc && !sys)
		rc = rh_errf(j->err, -ENOMEM, "out of memory");
	if (rc)
		goto out;
	n = syslinux_cfg_format(cfg, &so, sys, 16384);
	if (n < 0) {
		rc = rh_errf(j->err, (int)n, "bank 1: cannot write a syslinux.cfg for this boot.cfg");
		goto out;
	}
	rc = fs_join(dst, sizeof(dst), dir, "syslinux/syslinux.cfg", j->err);
	if (!rc)
		rc = fs_write_file(dst, sys, (size_t)n, 0644, j->err);
	if (!rc)
		rc = fs_sync_dir(dir, j->err);
out:
	free(sys);
	return rc;
}

/* Bank 1: the ISO's bootbank, checked while copied and again from the disk. */
static int write_bank(struct job *j)
{
	struct bootcfg *cfg = calloc(1, sizeof(*cfg));
	char dev[INSTALL_DEV_MAX], dir[PATH_MAX] = "";
	int rc, mounted = 0;
	double t0 = now();

	if (!cfg)
		return rh_errf(j->err, -ENOMEM, "out of memory");
	rc = read_medium_cfg(j, cfg);
	if (rc)
		goto out;
	snprintf(j->res->build, sizeof(j->res->build), "%s", cfg->build);
	rc = part_node(j, 2, dev, sizeof(dev));
	if (!rc)
		rc = install_mount_dir(dir, sizeof(dir), j->err);
	if (!rc)
		rc = do_mount(j, dev, dir, "vfat", 0);
	if (rc)
		goto out;
	mounted = 1;
	say(j, "copying the bootbank (%s) into bank 1 (%s)", cfg->build[0] ? cfg->build : "no build=", dev);
	rc = copy_bank_files(j, cfg, dir);
	if (!rc)
		rc = write_bank_cfgs(j, cfg, dir);
	if (rc)
		goto out;
	mounted = 0;
	rc = do_umount(j, dev, dir);
	/* read back from the disk: every file against its hash */
	if (!rc)
		rc = do_mount(j, dev, dir, "vfat", MS_RDONLY);
	if (rc)
		goto out;
	mounted = 1;
	rc = bank_dir_check(dir, cfg, j->err);
	if (rc)
		goto out;
	j->res->files += 2;
	say(j, "bank 1 written and checked: %u files, %.1f s", j->res->files, now() - t0);
out:
	if (mounted) {
		if (rc)
			umount2(dir, MNT_DETACH);
		else
			rc = do_umount(j, dev, dir);
	}
	if (dir[0])
		rmdir(dir);
	free(cfg);
	return rc;
}

/* The state partition: the answer file's seeds as the first generation. */
static int seed_state(struct job *j)
{
	char dev[INSTALL_DEV_MAX], dir[PATH_MAX] = "";
	int rc, mounted = 0;

	if (!install_seed_wanted(j->o->answer))
		return 0;
	rc = part_node(j, 4, dev, sizeof(dev));
	if (!rc)
		rc = install_mount_dir(dir, sizeof(dir), j->err);
	if (!rc)
		rc = do_mount(j, dev, dir, "ext4", 0);
	if (rc)
		goto out;
	mounted = 1;
	say(j, "seeding the state on %s", dev);
	rc = install_seed(j->o->answer, &j->m, dir, j->o->ramhost, j->err);
	if (!rc)
		j->res->seeded = 1;
out:
	if (mounted) {
		sync();
		if (rc)
			umount2(dir, MNT_DETACH);
		else
			rc = do_umount(j, dev, dir);
	}
	if (dir[0])
		rmdir(dir);
	return rc;
}

/* UEFI: a boot entry for the new ESP, first in BootOrder. */
static int boot_entry(struct job *j)
{
	struct efivar_hd hd;
	uint16_t num;
	int rc;

	j->res->boot_entry = -1;
	rc = efivar_mount(EFIVAR_DIR, j->err);
	if (rc < 0)
		return rh_err_append(j->err, rc, "(needed to add the boot entry)");
	if (rc == 0)
		return 0; /* BIOS: the protective MBR's boot code does it */
	hd.partno = 1;
	hd.start = j->part_start[0];
	hd.size = j->part_sectors[0];
	memcpy(hd.guid, j->guids[1], 16);
	rc = efivar_add_boot_entry(EFIVAR_DIR, INSTALL_BOOT_DESC, &hd, ESP_FILE, &num, j->err);
	if (rc)
		return rc;
	j->res->boot_entry = num;
	say(j, "UEFI boot entry Boot%04X \"%s\" (%s on %s1) is first in BootOrder", num, INSTALL_BOOT_DESC, ESP_FILE,
	    j->t.dev);
	return 0;
}

int install_run(const struct install_opts *o, struct install_result *ret, struct rh_err *err)
{
	struct install_result res;
	struct job j;
	uint64_t need;
	int rc;
	double t0 = now();

	memset(&j, 0, sizeof(j));
	memset(&res, 0, sizeof(res));
	res.boot_entry = -1;
	j.o = o;
	j.err = err;
	j.res = &res;
	j.m.fd = -1;
	rc = install_medium_find(&j.m, err);
	if (rc)
		return rc;
	snprintf(res.medium, sizeof(res.medium), "%s", j.m.dev);
	rc = install_stream_open(&j.m, INSTALL_SKELETON, &j.s, err);
	if (!rc)
		rc = read_head(&j);
	if (rc)
		goto out;
	need = j.skel_sectors * 512;
	if (!o->disk || !strcmp(o->disk, "auto"))
		rc = install_target_auto(&j.m, need, &j.t, err);
	else
		rc = install_target_check(o->disk, &j.m, o->force, need, &j.t, err);
	if (rc)
		goto out;
	snprintf(res.disk, sizeof(res.disk), "%s", j.t.dev);
	if (o->confirm && o->confirm(o->progress_ctx, j.t.dev, j.t.bytes)) {
		rc = rh_errf(err, -ECANCELED, "%s: not confirmed; nothing written", j.t.dev);
		goto out;
	}
	res.disk_bytes = j.t.bytes;
	say(&j, "installing from %s onto %s (%.1f GiB)", j.m.dev, j.t.dev,
	    (double)j.t.bytes / (1024.0 * MIB));
	rc = write_disk(&j);
	if (!rc)
		rc = write_bank(&j);
	if (!rc)
		rc = seed_state(&j);
	if (!rc)
		rc = boot_entry(&j);
	if (rc)
		goto out;
	sync();
	res.seconds = now() - t0;
	*ret = res;
out:
	install_stream_close(j.s);
	install_medium_close(&j.m);
	free(j.head);
	return rc;
}
