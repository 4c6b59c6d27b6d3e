/* grub_mount.c: the staged copy of a disk as `rescue grub` runs a Linux installation's own grub-install on it
 * (see grub_int.h): a loop device with partitions (partx adds them when the kernel has no parser for the
 * table), the root file system mounted on a private directory with a /dev of the copy's devices only, /proc and
 * /sys, the ESP at /boot/efi, the tools in a chroot, and everything undone in reverse order. Only the copy is
 * ever attached. */
#include "grub_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "fs.h"
#include "mount.h"
#include "tmpreg.h"

#define GRUB_MAX_ARGS 16

int grub_mnt_attach(struct grub_mnt *m, const char *copy, uint32_t sector, struct rh_err *err)
{
	char bs[16], *out = NULL, *nl;
	char *argv[] = { "losetup", "-P", "--show", "-f", "-b", bs, (char *)copy, NULL };
	int rc;

	snprintf(bs, sizeof(bs), "%u", (unsigned)sector);
	rc = fs_run_capture(argv, 256, &out, err);
	if (rc < 0)
		return rh_err_prefix(err, rc, "%s: cannot attach the staged copy to a loop device", m->label);
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	if (strncmp(out, "/dev/loop", 9) || strlen(out) >= sizeof(m->loop))
		rc = rh_errf(err, -EIO, "%s: losetup printed '%.60s', not a loop device", m->label, out);
	else
		snprintf(m->loop, sizeof(m->loop), "%s", out);
	free(out);
	return rc;
}

/* The node of partition partno of the loop device into buf: waits for it, and asks partx to add the partitions
 * when it does not come (a kernel without the GPT parser). */
static int part_node(struct grub_mnt *m, unsigned partno, char *buf, size_t cap, struct rh_err *err)
{
	char *partx[] = { "partx", "-a", m->loop, NULL };
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	struct rh_err ignored = { 0 };
	struct stat st;
	int i;

	if ((size_t)snprintf(buf, cap, "%sp%u", m->loop, partno) >= cap)
		return rh_errf(err, -ENAMETOOLONG, "%s: partition device name too long", m->loop);
	for (i = 0; i < 40; i++) {
		if (stat(buf, &st) == 0 && S_ISBLK(st.st_mode))
			return 0;
		if (i == 4)
			(void)fs_run(partx, 0, &ignored); /* "already exists" for the others is fine */
		nanosleep(&nap, NULL);
	}
	return rh_errf(err, -ENODEV, "%s: %s did not appear (losetup -P, then partx -a %s)", m->label, buf, m->loop);
}

/* dst = root + "/" + rel, refusing a path that does not fit. */
static int below(const struct grub_mnt *m, const char *rel, char *dst, size_t cap)
{
	return (size_t)snprintf(dst, cap, "%s/%s", m->dir, rel) >= cap ? -ENAMETOOLONG : 0;
}

int grub_mnt_is_dir(const struct grub_mnt *m, const char *rel)
{
	char path[PATH_MAX], *p;
	struct stat st;

	if (!m->root || below(m, rel, path, sizeof(path)) < 0)
		return 0;
	/* every component below the root, without following a link: ROOT/boot -> / would leave the copy */
	for (p = path + strlen(m->dir) + 1;; p++) {
		int end = *p == '\0';
		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			return 0;
		if (end)
			return 1;
		*p = '/';
	}
}

int grub_mnt_has(const struct grub_mnt *m, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	if (!m->root || below(m, rel, path, sizeof(path)) < 0 || lstat(path, &st) < 0)
		return 0;
	return S_ISREG(st.st_mode) || S_ISLNK(st.st_mode);
}

/* Mounts src (type; NULL with MS_BIND) with options data (may be NULL) on the root's rel, a directory reached
 * through directories only. */
static int mount_below(struct grub_mnt *m, const char *src, const char *rel, const char *type, unsigned long flags,
		       const char *data, int *done, struct rh_err *err)
{
	char path[PATH_MAX];

	if (below(m, rel, path, sizeof(path)) < 0)
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", m->label);
	if (!grub_mnt_is_dir(m, rel))
		return rh_errf(err, -ENOTDIR, "%s: /%s is not a directory (a symbolic link or missing): not a root file "
			       "system rescue grub can chroot into", m->label, rel);
	if (mount(src, path, type, flags, data) < 0)
		return rh_errf(err, -errno, "%s: cannot mount %s on /%s: %s", m->label, src, rel, strerror(errno));
	*done = 1;
	return 0;
}

/* mknod ROOT/dev/name with the type and number of the rescue system's node host (or of dev when host is NULL). */
static int dev_node(struct grub_mnt *m, const char *name, const char *host, mode_t type, dev_t dev,
		    struct rh_err *err)
{
	char path[PATH_MAX];
	struct stat st;

	if (host) {
		if (stat(host, &st) < 0)
			return rh_errf(err, -errno, "%s: %s: %s", m->label, host, strerror(errno));
		type = st.st_mode & S_IFMT;
		dev = st.st_rdev;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/dev/%s", m->dir, name) >= sizeof(path))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", m->label);
	if (mknod(path, type | 0600, dev) < 0)
		return rh_errf(err, -errno, "%s: cannot make /dev/%s in the chroot: %s", m->label, name, strerror(errno));
	return 0;
}

/* The loop device and each of its partitions (their numbers from sysfs) into ROOT/dev. */
static int dev_loop(struct grub_mnt *m, struct rh_err *err)
{
	const char *name = m->loop + 5;   /* "loopN" */
	char path[PATH_MAX], *buf = NULL;
	struct dirent *de;
	unsigned maj, min;
	size_t len;
	DIR *dir;
	int rc = dev_node(m, name, m->loop, 0, 0, err);

	snprintf(path, sizeof(path), "/sys/block/%s", name);
	dir = rc < 0 ? NULL : opendir(path);
	if (!dir)
		return rc < 0 ? rc : rh_errf(err, -errno, "%s: %s: %s", m->label, path, strerror(errno));
	while (!rc && (de = readdir(dir))) {
		struct rh_err e = { 0 };
		if (strncmp(de->d_name, name, strlen(name)) || de->d_name[strlen(name)] != 'p')
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/%.64s/dev", name, de->d_name);
		if (rh_read_file(path, 64, &buf, &len, &e) == 0 && sscanf(buf, "%u:%u", &maj, &min) == 2)
			rc = dev_node(m, de->d_name, NULL, S_IFBLK, makedev(maj, min), err);
		free(buf);
		buf = NULL;
	}
	closedir(dir);
	return rc;
}

/* A private /dev for the chroot: the null-like devices and the staged copy's loop device with its partitions,
 * nothing else: the installation's tools (grub-install, os-prober run by update-grub) see no disk of the
 * rescue system, so whatever they write lands in the copy, where the diff judges it. */
static int private_dev(struct grub_mnt *m, struct rh_err *err)
{
	static const char *const chars[] = { "null", "zero", "full", "random", "urandom" };
	char host[32];
	size_t i;
	int rc = mount_below(m, "ramhost-dev", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, NULL, &m->dev, err);

	for (i = 0; !rc && i < sizeof(chars) / sizeof(chars[0]); i++) {
		snprintf(host, sizeof(host), "/dev/%s", chars[i]);
		rc = dev_node(m, chars[i], host, 0, 0, err);
	}
	if (!rc)
		rc = dev_loop(m, err);
	return rc;
}

/* The mounts go into a mount namespace of this process's own (mount_ns_private), so they go away with it
 * however it ends (a signal during grub-install leaves no mount behind); once the root is mounted (it holds the
 * loop device open) the loop device detaches itself when the last mount goes. */
int grub_mnt_root(struct grub_mnt *m, unsigned partno, const char *work, struct rh_err *err)
{
	char node[96];
	int rc = part_node(m, partno, node, sizeof(node), err);

	if (!rc && (rc = mount_ns_private(err)) < 0)
		rh_err_prefix(err, rc, "%s", m->label);
	if (rc < 0)
		return rc;
	rc = fs_work_dir(work, "rescue-grub-root", m->dir, sizeof(m->dir), err);
	if (rc < 0)
		return rc;
	/* noatime: grub-install reads hundreds of modules, and each atime would be a changed inode table block;
	 * noinit_itable: no background zeroing of inode tables into the copy */
	if (mount(node, m->dir, "ext4", MS_NOSUID | MS_NOATIME, "noinit_itable") < 0)
		return rh_errf(err, -errno, "%s: cannot mount %s (ext4) from the staged copy: %s", m->label, node,
			       strerror(errno));
	m->root = 1;
	tmpreg_own_mount(m->dir);
	m->autoclear = loop_set_autoclear(m->loop) == 0;
	rc = private_dev(m, err);
	if (!rc)
		rc = mount_below(m, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, &m->proc, err);
	if (!rc)
		rc = mount_below(m, "sysfs", "sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, &m->sys, err);
	return rc;
}

int grub_mnt_esp(struct grub_mnt *m, unsigned partno, struct rh_err *err)
{
	char node[96], path[PATH_MAX];
	int rc = part_node(m, partno, node, sizeof(node), err);

	if (rc < 0)
		return rc;
	if (!grub_mnt_is_dir(m, "boot"))
		return rh_errf(err, -ENOTDIR, "%s: /boot is not a directory (a separate /boot partition is not "
			       "mounted by rescue grub)", m->label);
	if (below(m, "boot/efi", path, sizeof(path)) < 0)
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", m->label);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return rh_errf(err, -errno, "%s: cannot create /boot/efi: %s", m->label, strerror(errno));
	/* the source names the ESP's device: grub-install finds it in mountinfo and probes its FAT itself */
	return mount_below(m, node, "boot/efi", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=256m", &m->esp, err);
}

int grub_mnt_esp_dir(const struct grub_mnt *m, char *buf, size_t cap)
{
	return m->esp && below(m, "boot/efi", buf, cap) == 0 ? 0 : -ENOENT;
}

int grub_mnt_run(struct grub_mnt *m, const char *const args[], struct rh_err *err)
{
	char *argv[GRUB_MAX_ARGS + 6];
	int n = 0, i, rc;

	argv[n++] = "chroot";
	argv[n++] = m->dir;
	argv[n++] = "/usr/bin/env";
	argv[n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	argv[n++] = "LC_ALL=C";
	for (i = 0; args[i] && i < GRUB_MAX_ARGS; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	rc = fs_run(argv, 0, err);
	if (rc < 0)
		return rh_err_prefix(err, rc, "%s: %s in a chroot", m->label, args[0]);
	return 0;
}

/* Unmounts the root's rel when *done; a busy mount is retried, then detached lazily. */
static int umount_below(struct grub_mnt *m, const char *rel, int *done, struct rh_err *err)
{
	struct timespec nap = { 0, 100 * 1000 * 1000 };
	char path[PATH_MAX];
	int i;

	if (!*done)
		return 0;
	if (below(m, rel, path, sizeof(path)) < 0)
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", m->label);
	for (i = 0; i < 20 && umount2(path, 0) < 0; i++) {
		if (errno != EBUSY || i == 19) {
			if (umount2(path, MNT_DETACH) == 0)
				break;
			return rh_errf(err, -errno, "%s: cannot unmount %s: %s", m->label, path, strerror(errno));
		}
		nanosleep(&nap, NULL);
	}
	*done = 0;
	return 0;
}

int grub_mnt_detach(struct grub_mnt *m, struct rh_err *err)
{
	struct rh_err e = { 0 };
	int rc = 0, r;

	r = umount_below(m, "boot/efi", &m->esp, &e);
	rc = rc ? rc : r;
	r = umount_below(m, "sys", &m->sys, &e);
	rc = rc ? rc : r;
	r = umount_below(m, "proc", &m->proc, &e);
	rc = rc ? rc : r;
	r = umount_below(m, "dev", &m->dev, &e);
	rc = rc ? rc : r;
	if (!m->esp && !m->sys && !m->proc && !m->dev) {
		r = umount_below(m, "", &m->root, &e);
		rc = rc ? rc : r;
	}
	if (m->dir[0] && !m->root) {
		r = fs_rm_rf(m->dir, &e);
		rc = rc ? rc : r;
		m->dir[0] = '\0';
	}
	if (m->loop[0] && !m->root) {
		char *argv[] = { "losetup", "-d", m->loop, NULL };
		struct rh_err gone = { 0 };
		/* with autoclear it may be detached already (then losetup finds no such device) */
		r = fs_run(argv, 0, m->autoclear ? &gone : &e);
		if (!m->autoclear)
			rc = rc ? rc : r;
		m->loop[0] = '\0';
	}
	if (rc < 0 && err)
		rh_errf(err, rc, "%s", e.msg);
	return rc;
}

int grub_os_id(const char *buf, size_t len, char *out, size_t cap)
{
	static const char key[] = "ID=";
	const char *line = buf, *end = buf + len, *nl, *v;
	size_t n = 0;

	while (line < end && cap) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		if ((size_t)(nl - line) > sizeof(key) - 1 && !memcmp(line, key, sizeof(key) - 1)) {
			v = line + sizeof(key) - 1;
			if (*v == '"' || *v == '\'')
				v++;
			for (; v < nl && n + 1 < cap && strchr("abcdefghijklmnopqrstuvwxyz0123456789._-", *v) && *v; v++)
				out[n++] = *v;
			out[n] = '\0';
			if (v < nl && *v != '"' && *v != '\'')
				return -ENOENT;   /* something else, or too long: no folder name made of it */
			return n ? 0 : -ENOENT;
		}
		line = nl + 1;
	}
	return -ENOENT;
}
