/* install_target.c: which disk `ramhost install` may write, and why not (see install.h, install_target.h). */
#include "install_target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cmdline.h"
#include "disks.h"
#include "fileio.h"
#include "gpt.h"
#include "install.h"
#include "sysroot.h"

#define MIB (1024u * 1024u)

/* Appends sep and s to the NUL-terminated out (cap bytes) when both fit; drops them otherwise. */
static void append(char *out, size_t cap, const char *sep, const char *s)
{
	size_t o = strlen(out), a = strlen(sep), b = strlen(s);

	if (o + a + b + 1 > cap)
		return;
	memcpy(out + o, sep, a);
	memcpy(out + o + a, s, b + 1);
}

static int at(const uint8_t *b, size_t len, size_t off, const char *magic, size_t n)
{
	return off + n <= len && !memcmp(b + off, magic, n);
}

const char *install_signature(const uint8_t *head, size_t head_len, const uint8_t *tail, size_t tail_len)
{
	size_t i;

	if (at(head, head_len, 512, "EFI PART", 8))
		return "a GPT partition table";
	if (at(head, head_len, 0, "LUKS\xba\xbe", 6))
		return "a LUKS volume";
	if (at(head, head_len, 0, "XFSB", 4))
		return "an XFS file system";
	if (at(head, head_len, 0, "hsqs", 4))
		return "a squashfs image";
	if (at(head, head_len, 32769, "CD001", 5))
		return "an ISO 9660 file system";
	if (at(head, head_len, 1080, "\x53\xef", 2))
		return "an ext2/3/4 file system";
	if (at(head, head_len, 4086, "SWAPSPACE2", 10) || at(head, head_len, 4086, "SWAP-SPACE", 10))
		return "swap space";
	if (at(head, head_len, 65600, "_BHRfS_M", 8))
		return "a btrfs file system";
	if (at(head, head_len, 536, "LVM2 001", 8) || at(head, head_len, 512, "LABELONE", 8))
		return "an LVM physical volume";
	if (at(head, head_len, 510, "\x55\xaa", 2)) {
		if (at(head, head_len, 54, "FAT", 3) || at(head, head_len, 82, "FAT", 3))
			return "a FAT file system";
		for (i = 446; i < 510; i += 16)
			if (head[i + 4])
				return "an MBR partition table";
	}
	for (i = 0; i < head_len; i++)
		if (head[i])
			return "non-zero data in its first MiB";
	for (i = 0; i < tail_len; i++)
		if (tail[i])
			return "non-zero data in its last MiB (a backup GPT or RAID metadata?)";
	return NULL;
}

/* Appends the partitions of the disk at sysfs dir (entries NAME* with a "partition" file) to out. */
static unsigned list_parts(const char *sysdir, const char *name, char *out, size_t cap)
{
	DIR *d = opendir(sysdir);
	struct dirent *e;
	unsigned n = 0;

	out[0] = '\0';
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char p[1024];
		if (strncmp(e->d_name, name, strlen(name)))
			continue;
		snprintf(p, sizeof(p), "%s/%s/partition", sysdir, e->d_name);
		if (access(p, F_OK))
			continue;
		append(out, cap, n ? " " : "", e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* Is some partition of disk name (or the disk) mounted? Names the first in why. */
static int mounted(const char *name, char *why, size_t cap)
{
	char *buf = NULL, *line, *save = NULL, dev[300];
	size_t len, n;
	int hit = 0;

	if (rh_read_file("/proc/mounts", 1 << 22, &buf, &len, NULL))
		return 0;
	n = (size_t)snprintf(dev, sizeof(dev), "/dev/%s", name);
	for (line = strtok_r(buf, "\n", &save); line && !hit; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp || strncmp(line, dev, n))
			continue;
		if (line + n == sp || (line[n] >= '0' && line[n] <= '9') || line[n] == 'p') {
			*sp = '\0';
			snprintf(why, cap, "%s is mounted on %.200s", line, sp + 1);
			hit = 1;
		}
	}
	free(buf);
	return hit;
}

/* Who dev is: a whole-disk block device (not a partition, not the medium m); fills t->dev, t->name and sysdir
 * (/sys/dev/block/MAJ:MIN, cap bytes). */
static int identify(const char *dev, const struct install_medium *m, struct install_target *t, char *sysdir,
		    size_t cap, struct rh_err *err)
{
	char link[600];
	const char *name;
	struct stat st;
	ssize_t ln;

	if (stat(dev, &st) < 0)
		return rh_errf(err, -errno, "%s: %s", dev, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return rh_errf(err, -ENOTBLK, "%s: not a block device", dev);
	snprintf(sysdir, cap, "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	snprintf(link, sizeof(link), "%s/partition", sysdir);
	if (access(link, F_OK) == 0)
		return rh_errf(err, -EINVAL, "%s: is a partition; give the whole disk", dev);
	ln = readlink(sysdir, link, sizeof(link) - 1);
	if (ln <= 0)
		return rh_errf(err, -ENODEV, "%s: not in /sys/dev/block: %s", dev, strerror(errno));
	link[ln] = '\0';
	name = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	snprintf(t->dev, sizeof(t->dev), "%s", dev);
	if (strlen(name) >= sizeof(t->name))
		return rh_errf(err, -ENAMETOOLONG, "%s: kernel name too long", dev);
	memcpy(t->name, name, strlen(name) + 1);
	/* never the medium or the boot disk, force or not */
	if (m && st.st_rdev == m->rdev)
		return rh_errf(err, -EBUSY, "%s: is the install medium this host booted from; refusing to overwrite it",
			       dev);
	return 0;
}

/* -EBUSY when the open disk fd holds the partition the kernel command line's ramhost.bankuuid names. */
static int check_not_boot_disk(int fd, const struct install_target *t, struct rh_err *err)
{
	struct cmdline cl = { 0 };
	struct gpt_disk *g = malloc(sizeof(*g));
	char *cmd = NULL;
	size_t cmdlen;
	uint8_t want[16];
	unsigned i;
	int rc = 0;

	if (!g)
		return rh_errf(err, -ENOMEM, "out of memory");
	if (rh_read_file(sysroot_proc_cmdline(), 1 << 16, &cmd, &cmdlen, NULL) == 0 &&
	    cmdline_parse(cmd, cmdlen, CMDLINE_BANK | CMDLINE_BANKUUID, &cl, NULL) == 0 && cl.has_uuid &&
	    t->bytes >= 512 * 68 && gpt_read(rh_pread_fd, &fd, 512, t->bytes / 512, g) == 0 &&
	    gpt_guid_from_str(cl.uuid, want) == 0)
		for (i = 0; i < g->nparts && !rc; i++)
			if (!memcmp(g->parts[i].unique_guid, want, 16))
				rc = rh_errf(err, -EBUSY, "%s: is the disk this host booted from (partition %u is "
					     "ramhost.bankuuid=%s); refusing to overwrite it", t->dev,
					     (unsigned)g->parts[i].number, cl.uuid);
	free(cmd);
	free(g);
	return rc;
}

/* What the first and last MiB of the open disk fd hold (install_signature), NULL when blank. */
static int read_signature(int fd, const struct install_target *t, const char **ret_sig, struct rh_err *err)
{
	size_t hl = t->bytes < MIB ? (size_t)t->bytes : MIB;
	uint8_t *head = calloc(1, MIB), *tail = calloc(1, MIB);
	int rc = 0;

	if (!head || !tail) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (pread(fd, head, hl, 0) != (ssize_t)hl || pread(fd, tail, hl, (off_t)(t->bytes - hl)) != (ssize_t)hl) {
		rc = rh_errf(err, -EIO, "%s: cannot read it: %s", t->dev, strerror(errno));
		goto out;
	}
	*ret_sig = install_signature(head, hl, tail, hl);
out:
	free(head);
	free(tail);
	return rc;
}

int install_target_check(const char *dev, const struct install_medium *m, int force, uint64_t need,
			 struct install_target *ret, struct rh_err *err)
{
	struct install_target t;
	char sysdir[128], parts[256], why[512];
	const char *sig = NULL;
	int fd = -1, rc, ro = 0;

	memset(&t, 0, sizeof(t));
	rc = identify(dev, m, &t, sysdir, sizeof(sysdir), err);
	if (rc < 0)
		return rc;
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rh_errf(err, -errno, "%s: %s", dev, strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &t.bytes) < 0) {
		rc = rh_errf(err, -errno, "%s: cannot get its size: %s", dev, strerror(errno));
		goto out;
	}
	if (ioctl(fd, BLKROGET, &ro) == 0 && ro) {
		rc = rh_errf(err, -EROFS, "%s: read-only device", dev);
		goto out;
	}
	rc = check_not_boot_disk(fd, &t, err);
	if (rc < 0)
		goto out;
	if (mounted(t.name, why, sizeof(why))) {
		rc = rh_errf(err, -EBUSY, "%s: in use (%s); refusing to overwrite it", dev, why);
		goto out;
	}
	if (t.bytes < need) {
		rc = rh_errf(err, -ENOSPC, "%s: too small: %.1f MiB, the install needs %" PRIu64 " MiB", dev,
			     (double)t.bytes / MIB, (need + MIB - 1) / MIB);
		goto out;
	}
	rc = read_signature(fd, &t, &sig, err);
	if (rc < 0)
		goto out;
	if (list_parts(sysdir, t.name, parts, sizeof(parts)) && !force) {
		rc = rh_errf(err, -EEXIST, "%s: has partitions (%s); use --force to overwrite the whole disk", dev, parts);
		goto out;
	}
	if (sig && !force) {
		rc = rh_errf(err, -EEXIST, "%s: not blank: it holds %s; use --force to overwrite it", dev, sig);
		goto out;
	}
	t.blank = !sig;
	*ret = t;
out:
	close(fd);
	return rc;
}

int install_target_auto(const struct install_medium *m, uint64_t need, struct install_target *ret,
			struct rh_err *err)
{
	char **devs = NULL, reasons[900] = "";
	unsigned n = 0, i;
	int rc, found = 0;

	rc = disks_list(0, &devs, &n, err);
	if (rc)
		return rc;
	for (i = 0; i < n && !found; i++) {
		struct rh_err e = { 0 };

		if (install_target_check(devs[i], m, 0, need, ret, &e) == 0)
			found = 1;
		else
			append(reasons, sizeof(reasons), reasons[0] ? "; " : "", e.msg);
	}
	disks_free(devs, n);
	if (!found)
		return rh_errf(err, -ENODEV, "no blank disk of at least %" PRIu64 " MiB for ramhost.install=auto (%s)",
			       (need + MIB - 1) / MIB, reasons[0] ? reasons : "no disks");
	return 0;
}
