/* main.c: ramhost's init (PID 1 of the initramfs): the thin syscall shell around the pure parts of this folder.
 *
 * Mounts /proc /sys /dev, loads the kernel modules of init.conf, checks every tardisk named in /boot.cfg against
 * its hash, mounts the ramdisks, loop-mounts the tardisks straight from RAM, builds the system view (sysview.h),
 * writes /run/ramhost/boot.env, copies the sticky patterns, hands a network boot's state module on (netboot.h),
 * switches root, runs `ramhost state boot` there (hook.h), sets a network boot's host name and execs the base's
 * init. A rescue boot (ramhost.rescue=1|auto, rescue.h) restores no state and runs the rescue console's scan
 * instead of `state boot`. Any failure prints one
 * "ramhost-init: <what>: <why>" line and starts an emergency shell; PID 1 never returns (that would panic the
 * kernel). docs/runtime.md describes the whole sequence. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bootcfg.h"
#include "fileio.h"
#include "fs.h"
#include "bootenv.h"
#include "cmdline.h"
#include "copy_tree.h"
#include "cpio.h"
#include "hook.h"
#include "initconf.h"
#include "modalias.h"
#include "modload.h"
#include "ondemand.h"
#include "ovl.h"
#include "mount.h"
#include "netboot.h"
#include "prehash.h"
#include "rescue.h"
#include "sysroot.h"
#include "sysview.h"

#define SYSROOT "/sysroot"
#define CONF_PATH "/etc/ramhost/init.conf"
#define BOOTCFG_PATH "/boot.cfg"
#define TARDISK_DIR "tardisks"
#define TARDISK_MNT "/run/ramhost/tardisks"
#define EMPTY_DIR SYSROOT "/run/ramhost/empty"
#define BOOTENV_PATH "/run/ramhost/boot.env"
#define ALIAS_PATH "/etc/ramhost/boot.alias"     /* the PCI-only boot modules' aliases (modalias.h) */
#define PCI_DEVICES "/sys/bus/pci/devices"
#define MAX_PCI 1024
#define STICKY_SRC "/etc/ramhost/sticky.list"  /* the profile's sticky patterns, in init.cpio */
#define STICKY_DST "/run/ramhost/sticky.list"  /* where `ramhost state` reads them */
#define VIBS_SRC "/vibs"                        /* the installed-VIB database, from the vibs.cpio module */
#define VIBS_DST "/run/ramhost/vibs"            /* where `ramhost vib` and `ramhost state` read it (vibdb.h) */
#define STATE_TOOL "/usr/bin/ramhost"          /* in the new root: runs `state boot` before the base's init */
#define STATE_TIMEOUT_MS 120000u
#define MAX_FILE (1u << 20)

struct tardisk {
	char name[RD_MAX_NAME];
	char module[BOOTCFG_MAX_NAME];  /* NAME.tdk */
	char file[RD_MAX_PATH];         /* /tardisks/NAME.tdk */
	char mnt[RD_MAX_PATH];          /* /sysroot/run/ramhost/tardisks/NAME */
	uint64_t size;
	struct sysview_entry *entries;
	size_t nentries;
};

static struct initconf conf;
static struct bootcfg cfg;
static struct cmdline cmd;
static struct netboot_opts net;   /* a network boot's kernel options (netboot.h) */
static struct prehash pre;        /* the tardisks' digests, hashed while the boot modules load (prehash.h) */
static int rescue;                 /* ramhost.rescue: CMDLINE_RESCUE_* (rescue.h) */
static int needs_disks;            /* cmdline_needs_disks: load the omod= modules at boot */
static int state_source;           /* cmdline_names_state_source: somewhere `ramhost state boot` may look */
static unsigned char skipped[INITCONF_MAX_KMODS]; /* init.conf's modules this machine has nothing for */
static struct tardisk tds[RD_MAX_TARDISKS];
static unsigned ntds;
static struct sysview_action plan[SYSVIEW_MAX_ACTIONS];
static char *boot_alias;           /* ALIAS_PATH's text; NULL: every boot module is loaded */
static size_t boot_alias_len;
static char *pci_devs[MAX_PCI];    /* this machine's PCI device modaliases */
static size_t npci;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ramhost-init: %s\n", line);
}

/* Opens the console's real tty (the last one in /sys/class/tty/console/active, e.g. ttyS0) so that the shell
 * gets job control; falls back to /dev/console. */
static int open_tty(void)
{
	char buf[256], path[300], *last, *p;
	int fd = open("/sys/class/tty/console/active", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = '\0';
		last = NULL;
		for (p = strtok(buf, " \n"); p; p = strtok(NULL, " \n"))
			last = p;
		if (last) {
			snprintf(path, sizeof(path), "/dev/%s", last);
			fd = open(path, O_RDWR | O_NOCTTY);
			if (fd >= 0)
				return fd;
		}
	}
	return open("/dev/console", O_RDWR | O_NOCTTY);
}

/* Runs /bin/sh on the console and waits for it, reaping any other child meanwhile. Returns -1 without a shell. */
static int run_shell(void)
{
	pid_t pid, w;
	int st;

	if (access("/bin/sh", X_OK) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open_tty();

		setsid();
		if (fd >= 0) {
			ioctl(fd, TIOCSCTTY, 1);
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		execl("/bin/sh", "sh", (char *)NULL);
		_exit(127);
	}
	while ((w = wait(&st)) != pid)
		if (w < 0 && errno != EINTR)
			break;
	return 0;
}

/* The end of every failed boot: a shell on the console, started again whenever it exits; without a shell,
 * sleep forever. Never returns, so PID 1 never exits and the kernel does not panic. */
static void __attribute__((noreturn)) emergency(void)
{
	for (;;) {
		time_t start = time(NULL);

		say("starting emergency shell /bin/sh (the system is NOT booted)");
		if (run_shell() < 0) {
			say("no /bin/sh: halted");
			for (;;)
				pause();
		}
		if (time(NULL) - start < 2)
			sleep(2); /* a shell that dies at once must not spin */
	}
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char line[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	say("%s", line);
	emergency();
}

/* snprintf that treats truncation as a failed boot: every path init builds must fit. */
static void fmt(char *dst, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *dst, size_t cap, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(dst, cap, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap)
		fail("name too long: %.80s...", dst);
}

static void check(int rc, const struct rh_err *err)
{
	if (rc < 0)
		fail("%s", err->msg[0] ? err->msg : strerror(-rc));
}


static uint64_t boottime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The end of each stage of this boot, for boot.env's stage= lines (`ramhost ready --timing`). */
static struct bootenv_stage stages[BOOTENV_MAX_STAGES];
static unsigned nstages;

static void stage_end(const char *name)
{
	if (nstages == BOOTENV_MAX_STAGES)
		return;
	fmt(stages[nstages].name, sizeof(stages[nstages].name), "%s", name);
	stages[nstages++].ms = boottime_ms();
}

static void early_mounts(void)
{
	struct rh_err err = { 0 };

	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0 && errno != EBUSY)
		rh_errf(&err, -errno, "mount devtmpfs at /dev: %s", strerror(errno));
	if (fcntl(2, F_GETFD) < 0) { /* no /dev/console in the initramfs: the kernel opened nothing */
		int fd = open("/dev/console", O_RDWR | O_NOCTTY);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	check(err.rc, &err);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 && errno != EBUSY)
		fail("mount proc at /proc: %s", strerror(errno));
	if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 && errno != EBUSY)
		fail("mount sysfs at /sys: %s", strerror(errno));
}

static void read_config(void)
{
	struct rh_err err = { 0 };
	struct bootcfg_error berr = { 0, NULL };
	char *buf = NULL;
	size_t len = 0;

	if (rh_read_file("/proc/cmdline", MAX_FILE, &buf, &len, &err) == 0) {
		if (cmdline_parse(buf, len, CMDLINE_BANK | CMDLINE_BREAK | CMDLINE_DEBUG, &cmd, &err) < 0) {
			say("%s (ignored)", err.msg);
			rh_err_clear(&err);
		}
		netboot_parse(buf, len, &net);
		if (net.bad_hostname[0])
			say("%s (ignored)", net.bad_hostname);
		needs_disks = cmdline_needs_disks(buf, len);
		state_source = cmdline_names_state_source(buf, len);
		rescue = rescue_mode(buf, len, &err);
		if (err.rc) {
			say("%s: taken as ramhost.rescue=1 (the rescue console)", err.msg);
			rh_err_clear(&err);
		}
		free(buf);
	} else {
		say("%s (ignored)", err.msg);
		rh_err_clear(&err);
	}
	check(rh_read_file(CONF_PATH, MAX_FILE, &buf, &len, &err), &err);
	check(initconf_parse(buf, len, CONF_PATH, &conf, &err), &err);
	free(buf);
	check(rh_read_file(BOOTCFG_PATH, MAX_FILE, &buf, &len, &err), &err);
	if (bootcfg_parse(buf, len, &cfg, &berr) < 0)
		fail("%s: line %u: %s", BOOTCFG_PATH, berr.line, berr.what);
	free(buf);
}

/* The drivers tardisk's mount point (/sysroot/run/ramhost/tardisks/DRIVERS); NULL when this boot has none. */
static const char *drivers_mnt(void)
{
	unsigned i;

	for (i = 0; i < ntds; i++)
		if (!strcmp(tds[i].name, SYSROOT_DRIVERS_TARDISK))
			return tds[i].mnt;
	return NULL;
}

/* The modaliases of this machine's PCI devices into pci_devs[] (the kernel enumerated them before init ran), and
 * boot.alias; without either file nothing is gated. */
static void read_hardware(void)
{
	struct rh_err err = { 0 };
	char path[600];
	struct dirent *e;
	size_t len;
	DIR *d;

	if (rh_read_file(ALIAS_PATH, MAX_FILE, &boot_alias, &boot_alias_len, &err) < 0) {
		boot_alias = NULL;
		return;
	}
	d = opendir(PCI_DEVICES);
	while (d && (e = readdir(d)) && npci < MAX_PCI) {
		if (e->d_name[0] == '.')
			continue;
		fmt(path, sizeof(path), "%s/%s/modalias", PCI_DEVICES, e->d_name);
		if (rh_read_file(path, 4096, &pci_devs[npci], &len, &err) < 0) {
			rh_err_clear(&err);
			continue;
		}
		pci_devs[npci][strcspn(pci_devs[npci], "\n")] = '\0';
		npci++;
	}
	if (d)
		closedir(d);
	if (!d || npci == MAX_PCI) {  /* no PCI list, or a partial one: load every boot module */
		free(boot_alias);
		boot_alias = NULL;
	}
}

/* 1 when this machine has nothing for the module at rel to do, said with ramhost.debug: efivarfs without EFI,
 * a PCI driver (boot.alias) without a matching PCI device. */
static int not_needed(const char *rel)
{
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;

	if (!strcmp(base, "efivarfs.ko") && access("/sys/firmware/efi", F_OK) < 0) {
		if (cmd.debug)
			say("kernel module %s: not needed (not an EFI boot)", rel);
		return 1;
	}
	if (boot_alias && !modalias_wanted(boot_alias, boot_alias_len, rel, (const char *const *)pci_devs, npci)) {
		if (cmd.debug)
			say("kernel module %s: not needed (no PCI device for it)", rel);
		return 1;
	}
	return 0;
}

/* init.conf's module i as a path from the kernel's module folder (kernel/drivers/ata/ahci.ko), as boot.alias
 * names it: an omod= path is from the drivers tardisk's root, .../<kver>/kernel/... */
static const char *kmod_rel(unsigned i)
{
	size_t k = strlen(conf.kver);
	const char *p = conf.kmods[i];

	if (conf.where[i] != INITCONF_KMOD_ONDEMAND)
		return p;
	for (; (p = strchr(p, '/')); p++)
		if (!strncmp(p + 1, conf.kver, k) && p[1 + k] == '/')
			return p + k + 2;
	return conf.kmods[i];
}

/* Which of init.conf's modules this machine has nothing for (not_needed), decided once for all of them before
 * any loads, so ramhost.debug says it for every module, also the on-demand ones a boot leaves out. */
static void gate_kmods(void)
{
	unsigned i;

	for (i = 0; i < conf.nkmods; i++)
		skipped[i] = (unsigned char)not_needed(kmod_rel(i));
}

/* The file of init.conf's module i into path: init.cpio's /lib/modules/<kver>/ for kmod=, the drivers tardisk's
 * usr/lib/modules/<kver>/ for dkmod=, the drivers tardisk's root for omod=. */
static void kmod_path(unsigned i, char *path, size_t cap)
{
	const char *mnt = drivers_mnt();

	if (conf.where[i] == INITCONF_KMOD_CPIO)
		fmt(path, cap, "/lib/modules/%s/%s", conf.kver, conf.kmods[i]);
	else if (!mnt)
		fail("init.conf has dkmod=/omod= lines but boot.cfg has no %s.tdk", SYSROOT_DRIVERS_TARDISK);
	else if (conf.where[i] == INITCONF_KMOD_DRIVERS)
		fmt(path, cap, "%s/usr/lib/modules/%s/%s", mnt, conf.kver, conf.kmods[i]);
	else
		fmt(path, cap, "%s/%s", mnt, conf.kmods[i]);
}

/* The omod= modules this machine has something for, for later: their paths in the new root, in load order, to
 * SYSROOT_ONDEMAND_PLAN, which `ramhost install` and `ramhost rescue` run (lib/host/ondemand.h). 0, or -1 when
 * the plan could not be written (said): the caller loads them now instead. */
static int write_ondemand_plan(void)
{
	static char paths[INITCONF_MAX_KMODS][600];
	const char *list[INITCONF_MAX_KMODS];
	struct rh_err err = { 0 };
	unsigned i, n = 0;

	for (i = 0; i < conf.nkmods; i++) {
		if (conf.where[i] != INITCONF_KMOD_ONDEMAND || skipped[i])
			continue;
		kmod_path(i, paths[n], sizeof(paths[n]));
		list[n] = paths[n] + strlen(SYSROOT);  /* the same file, seen from the new root */
		n++;
	}
	if (!n)
		return 0;
	if (ondemand_plan_write(SYSROOT SYSROOT_ONDEMAND_PLAN, list, n, &err) < 0) {
		say("%s: loading the %u kernel modules for disks now", err.msg, n);
		return -1;
	}
	say("%u kernel modules for disks left for when one is needed (%s)", n, SYSROOT_ONDEMAND_PLAN);
	return 0;
}

/* Loads init.conf's kmod= modules (late 0: from init.cpio, before the tardisks) or its dkmod= ones (late 1: from
 * the drivers tardisk, once it is mounted), with the omod= ones when this boot needs a disk (else their plan is
 * written for later). A module with nothing to drive on this machine (-ENODEV) is left out, said only with
 * ramhost.debug; any other failure stops the boot. */
static void load_kmods(int late)
{
	struct rh_err err = { 0 };
	char path[600];
	unsigned i, n = 0;
	int rc;

	if (late && !needs_disks && write_ondemand_plan() < 0)
		needs_disks = 1;
	for (i = 0; i < conf.nkmods; i++) {
		int now = late ? conf.where[i] == INITCONF_KMOD_DRIVERS ||
					 (conf.where[i] == INITCONF_KMOD_ONDEMAND && needs_disks) :
				 conf.where[i] == INITCONF_KMOD_CPIO;
		if (!now || skipped[i])
			continue;
		kmod_path(i, path, sizeof(path));
		rc = modload_file(path, &err);
		if (rc == -ENODEV) {
			if (cmd.debug)
				say("%s: not needed here", err.msg);
			rh_err_clear(&err);
			continue;
		}
		check(rc, &err);
		n++;
	}
	if (n || !late)
		say("%u kernel modules loaded%s", n, late ? " from the drivers tardisk" : "");
}

/* Fills tds[] from boot.cfg's modules= and checks each file's SHA-256 against boot.cfg. */
static void verify_tardisks(void)
{
	uint8_t got[SHA256_DIGEST_LEN];
	char ghex[SHA256_HEX_LEN + 1], ehex[SHA256_HEX_LEN + 1];
	struct rh_err err = { 0 };
	unsigned i;

	for (i = 0; i < cfg.nmodules; i++) {
		const struct bootcfg_file *m = &cfg.modules[i];
		size_t blen;
		const char *base = prehash_tardisk_base(m->name, &blen);
		struct tardisk *t = &tds[ntds];
		struct stat st;
		int fd;

		if (!base)
			continue;
		if (!spec_valid_name(base, blen - 4))
			fail("tardisk %s: name is not 1-63 characters of [A-Za-z0-9_.-]", base);
		if (ntds == RD_MAX_TARDISKS)
			fail("more than %d tardisks in %s", RD_MAX_TARDISKS, BOOTCFG_PATH);
		fmt(t->name, sizeof(t->name), "%.*s", (int)(blen - 4), base);
		fmt(t->module, sizeof(t->module), "%s", base);
		fmt(t->file, sizeof(t->file), "/%s/%s", TARDISK_DIR, base);
		fmt(t->mnt, sizeof(t->mnt), SYSROOT TARDISK_MNT "/%s", t->name);
		if (!m->has_sha256)
			fail("tardisk %s: %s has no hash.%s= line: refusing an unverified tardisk", base,
			     BOOTCFG_PATH, m->name);
		fd = open(t->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail("tardisk %s: %s: %s (was the module loaded?)", base, t->file, strerror(errno));
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			fail("tardisk %s: %s is not a regular file", base, t->file);
		t->size = (uint64_t)st.st_size;
		if (prehash_get(&pre, i, got) < 0)
			check(cpio_wrap_sha256(TARDISK_DIR, base, fd, t->size, got, &err), &err);
		close(fd);
		if (memcmp(got, m->sha256, sizeof(got))) {
			sha256_to_hex(m->sha256, ehex);
			sha256_to_hex(got, ghex);
			fail("tardisk %s: SHA-256 mismatch: expected %s, got %s", base, ehex, ghex);
		}
		say("tardisk %s verified (%.1f MiB)", base, (double)t->size / 1048576.0);
		ntds++;
	}
	if (!ntds)
		fail("%s: modules= lists no tardisk (*.tdk)", BOOTCFG_PATH);
}

static int by_mountpoint(const void *a, const void *b)
{
	return strcmp(((const struct ramdisk_spec *)a)->mountpoint, ((const struct ramdisk_spec *)b)->mountpoint);
}

/* The root ramdisk at /sysroot, then the others, parents before children. */
static void mount_ramdisks(void)
{
	struct ramdisk_spec rds[RD_MAX_RAMDISKS];
	struct rh_err err = { 0 };
	char path[RD_MAX_PATH + 16];
	unsigned i;

	memcpy(rds, conf.ramdisks, sizeof(rds));
	qsort(rds, conf.nramdisks, sizeof(rds[0]), by_mountpoint); /* "/" sorts first */
	check(rh_mkdir_p(SYSROOT, 0755, &err), &err);
	for (i = 0; i < conf.nramdisks; i++) {
		const char *mp = rds[i].mountpoint;
		const char *last = strrchr(mp, '/') + 1;

		fmt(path, sizeof(path), SYSROOT "%s", strcmp(mp, "/") ? mp : "");
		check(rh_mkdir_p(path, 0755, &err), &err);
		check(mount_ramdisk(path, rds[i].name, rds[i].size, rds[i].inodes,
				    strcmp(last, "tmp") ? 0755 : 01777, &err), &err);
	}
	say("%u ramdisks mounted", conf.nramdisks);
}

/* The top-level entries of a mounted tardisk, for the view plan. */
static void list_top(struct tardisk *t)
{
	DIR *d = opendir(t->mnt);
	struct dirent *de;
	size_t cap = 0;
	char path[RD_MAX_PATH + SYSVIEW_MAX_NAME + 2];

	if (!d)
		fail("tardisk %s: %s: %s", t->module, t->mnt, strerror(errno));
	while ((de = readdir(d))) {
		struct sysview_entry *e;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strlen(de->d_name) >= SYSVIEW_MAX_NAME)
			fail("tardisk %s: top-level name too long: %.64s...", t->module, de->d_name);
		if (t->nentries == cap) {
			cap = cap ? cap * 2 : 32;
			t->entries = realloc(t->entries, cap * sizeof(*t->entries));
			if (!t->entries)
				fail("tardisk %s: out of memory", t->module);
		}
		e = &t->entries[t->nentries++];
		memset(e, 0, sizeof(*e));
		strcpy(e->name, de->d_name);
		snprintf(path, sizeof(path), "%s/%s", t->mnt, de->d_name);
		if (lstat(path, &st) < 0)
			fail("tardisk %s: %s: %s", t->module, path, strerror(errno));
		e->kind = S_ISDIR(st.st_mode) ? SYSVIEW_ENTRY_DIR : S_ISLNK(st.st_mode) ? SYSVIEW_ENTRY_SYMLINK :
			  ovl_is_whiteout(st.st_mode, major(st.st_rdev), minor(st.st_rdev)) ? SYSVIEW_ENTRY_WHITEOUT :
			  SYSVIEW_ENTRY_OTHER;
		e->opaque = e->kind == SYSVIEW_ENTRY_DIR && copy_layer_dir_opaque(path);
		if (e->kind == SYSVIEW_ENTRY_SYMLINK) {
			ssize_t n = readlink(path, e->target, sizeof(e->target) - 1);
			if (n <= 0)
				fail("tardisk %s: readlink %s: %s", t->module, path, n < 0 ? strerror(errno) : "empty");
			e->target[n] = '\0';
		}
	}
	closedir(d);
}

static void mount_tardisks(void)
{
	struct rh_err err = { 0 };
	char dev[32];
	unsigned i;

	check(rh_mkdir_p(SYSROOT "/" TARDISK_DIR, 0755, &err), &err);
	check(mount_bind_ro("/" TARDISK_DIR, SYSROOT "/" TARDISK_DIR, &err), &err);
	for (i = 0; i < ntds; i++) {
		check(rh_mkdir_p(tds[i].mnt, 0755, &err), &err);
		check(loop_attach_ro(tds[i].file, dev, sizeof(dev), &err), &err);
		check(mount_squashfs_ro(dev, tds[i].mnt, &err), &err);
		say("tardisk %s mounted read-only on %s", tds[i].name, dev);
		list_top(&tds[i]);
	}
}

/* 1 when init.conf mounts a ramdisk at /name: that directory is meant to be writable, so it is filled by
 * copying instead of being covered by a read-only overlay. */
static int is_ramdisk_top(const char *name)
{
	unsigned i;

	for (i = 0; i < conf.nramdisks; i++)
		if (conf.ramdisks[i].mountpoint[0] == '/' && !strcmp(conf.ramdisks[i].mountpoint + 1, name))
			return 1;
	return 0;
}

static void build_view(void)
{
	struct sysview_layer layers[RD_MAX_TARDISKS];
	struct rh_err err = { 0 };
	const char *lowers[RD_MAX_TARDISKS];
	char lowbuf[RD_MAX_TARDISKS][RD_MAX_PATH + SYSVIEW_MAX_NAME + 2];
	char dst[SYSVIEW_MAX_NAME + 16], src[RD_MAX_PATH + SYSVIEW_MAX_NAME + 2];
	char summary[900] = "";
	size_t n = 0, i;
	int l;

	for (i = 0; i < ntds; i++) {
		layers[i].entries = tds[i].entries;
		layers[i].nentries = tds[i].nentries;
	}
	check(sysview_plan(layers, ntds, plan, SYSVIEW_MAX_ACTIONS, &n, &err), &err);
	check(rh_mkdir_p(EMPTY_DIR, 0755, &err), &err);
	for (i = 0; i < n; i++) {
		const struct sysview_action *a = &plan[i];
		unsigned nl = 0;

		fmt(dst, sizeof(dst), SYSROOT "/%s", a->name);
		if (a->kind == SYSVIEW_SYMLINK) {
			if (symlink(a->target, dst) < 0)
				fail("view: symlink %s -> %s: %s", dst, a->target, strerror(errno));
		} else if (a->kind == SYSVIEW_OVERLAY && !is_ramdisk_top(a->name)) {
			for (l = 63; l >= 0; l--) {
				if (!(a->layers & (1ull << l)))
					continue;
				fmt(lowbuf[nl], sizeof(lowbuf[nl]), "%s/%s", tds[l].mnt, a->name);
				lowers[nl] = lowbuf[nl];
				nl++;
			}
			check(rh_mkdir_p(dst, 0755, &err), &err);
			check(mount_overlay_ro(dst, lowers, nl, EMPTY_DIR, &err), &err);
		} else {
			for (l = 0; l < 64; l++) {
				if (!(a->layers & (1ull << l)))
					continue;
				fmt(src, sizeof(src), "%s/%s", tds[l].mnt, a->name);
				check(copy_tree_layer(src, dst, &err), &err);
			}
		}
		if (strlen(summary) + strlen(a->name) + 12 < sizeof(summary))
			snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary), " %s%s", a->name,
				 a->kind == SYSVIEW_SYMLINK ? "(link)" :
				 a->kind == SYSVIEW_OVERLAY && !is_ramdisk_top(a->name) ? "(ro)" : "(copy)");
	}
	for (i = 0; i < 4; i++) {
		static const char *const dirs[] = { "dev", "proc", "sys", "tmp" };
		snprintf(dst, sizeof(dst), SYSROOT "/%s", dirs[i]);
		if (mkdir(dst, i == 3 ? 01777 : 0755) < 0 && errno != EEXIST)
			fail("mkdir %s: %s", dst, strerror(errno));
	}
	say("system view:%s", summary);
}

/* boot.env through a temporary file and a rename, so a reader never sees half of it. */
static void write_bootenv(uint64_t init_ms)
{
	static struct bootenv env;
	static char text[32768];
	struct rh_err err = { 0 };
	const char *tmp = SYSROOT BOOTENV_PATH ".tmp";
	long len;
	unsigned i;
	int fd;

	memset(&env, 0, sizeof(env));
	env.bank = cmd.bank;
	fmt(env.build, sizeof(env.build), "%s", cfg.build);
	fmt(env.kver, sizeof(env.kver), "%s", conf.kver);
	for (i = 0; i < ntds; i++) {
		struct tardisk_entry *t = &env.tardisks[env.ntardisks++];
		fmt(t->name, sizeof(t->name), "%s", tds[i].name);
		fmt(t->file, sizeof(t->file), "%s", tds[i].file);
		fmt(t->mountpoint, sizeof(t->mountpoint), TARDISK_MNT "/%s", tds[i].name);
		t->size = tds[i].size;
	}
	env.nramdisks = conf.nramdisks;
	memcpy(env.ramdisks, conf.ramdisks, sizeof(env.ramdisks));
	env.has_init_ms = 1;
	env.init_ms = init_ms;
	env.nstages = nstages;
	memcpy(env.stages, stages, sizeof(stages));
	len = bootenv_format(&env, text, sizeof(text));
	if (len < 0)
		fail("%s: too large to write", BOOTENV_PATH);
	check(rh_mkdir_p(SYSROOT "/run/ramhost", 0755, &err), &err);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, (size_t)len) != len || fsync(fd) < 0 || close(fd) < 0)
		fail("%s: write: %s", tmp, strerror(errno));
	if (rename(tmp, SYSROOT BOOTENV_PATH) < 0)
		fail("%s: rename: %s", SYSROOT BOOTENV_PATH, strerror(errno));
}

/* The profile's sticky patterns for `ramhost state` (docs/state.md). An init module without the file (built
 * before sticky patterns existed) has none; a copy that fails is reported and the boot goes on, with only the
 * tardisks' sticky.d patterns and sticky-bit files in effect. */
static void copy_sticky_list(void)
{
	const char *tmp = SYSROOT STICKY_DST ".tmp";
	struct rh_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	rc = rh_read_file(STICKY_SRC, MAX_FILE, &buf, &len, &err);
	if (rc == -ENOENT)
		return;
	if (rc < 0) {
		say("%s (the profile's sticky patterns are not in effect)", err.msg);
		return;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || rh_write_all(fd, buf, len) < 0 || close(fd) < 0 || rename(tmp, SYSROOT STICKY_DST) < 0)
		say("%s: %s (the profile's sticky patterns are not in effect)", SYSROOT STICKY_DST, strerror(errno));
	free(buf);
}

/* The installed-VIB database (vib/vibdb.h): /vibs of the initramfs (unpacked from the bank's vibs.cpio) copied
 * to /run/ramhost/vibs, which is created empty when the image has no VIBs, so `ramhost vib` always finds it. A
 * copy that fails is reported and the boot goes on (the VIBs' tardisks are mounted all the same; only `vib list`
 * and their sticky files are missing). */
static void copy_vibdb(void)
{
	struct rh_err err = { 0 };
	struct stat st;

	if (rh_mkdir_p(SYSROOT VIBS_DST, 0755, &err) < 0) {
		say("%s (no installed-VIB database this boot)", err.msg);
		return;
	}
	if (stat(VIBS_SRC, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (copy_tree(VIBS_SRC, SYSROOT VIBS_DST, &err) < 0)
		say("%s (the installed-VIB database is incomplete this boot)", err.msg);
}

/* A network boot's state (netboot.h): the generation the state module unpacked at /state moves to the new
 * root's /run/ramhost/state-net, where `ramhost state boot` restores it as from a state partition. With
 * ramhost.state.url but no module (no generation on the server yet) the directory is made empty, so the host
 * boots with the image defaults and its first save uploads generation 1. A failure is one line; the boot goes on
 * with the image defaults. */
static void take_net_state(void)
{
	struct rh_err err = { 0 };
	struct stat st;
	unsigned n = 0;

	if (rescue)   /* a rescue boot restores nothing, from a disk or from the server */
		return;
	if (!net.has_state_url && (stat(NETBOOT_STATE_SRC, &st) < 0 || !S_ISDIR(st.st_mode)))
		return;
	if (netboot_take_state(NETBOOT_STATE_SRC, SYSROOT NETBOOT_STATE_DIR, &n, &err) < 0)
		say("%s (the state from the server is not restored)", err.msg);
	else
		say("state from the server: %u generation file%s in %s", n, n == 1 ? "" : "s", NETBOOT_STATE_DIR);
}

/* ramhost.hostname=NAME (a network boot): after the state restore, so the server's rule wins over a restored
 * /etc/hostname; written there too, since the base's init sets the host name from it. Runs chrooted in the new
 * root. A failure is one line and the boot goes on. */
static void set_net_hostname(void)
{
	struct rh_err err = { 0 };

	if (!net.has_hostname)
		return;
	if (netboot_set_hostname("/", net.hostname, 1, &err) < 0)
		say("hostname: %s (ignored)", err.msg);
	else
		say("hostname %s (ramhost.hostname)", net.hostname);
}

/* Runs `ramhost state boot` in the new root (chrooted, /dev /proc /sys there), which mounts the state
 * partition inside it and restores the newest valid generation over the image defaults before the base's init
 * reads a single file. It prints its own line; any failure (or 120 s without an answer) is one warning and the
 * boot goes on with what is there. Not run when it has nowhere to look (a CD or ISO boot: no ramhost.bankuuid=,
 * no ramhost.state.url=, no state from the server in the new root), where it would find nothing and say so:
 * init says so instead, and the boot is spared the first start of /usr/bin/ramhost from its tardisk (some 60 ms
 * under QEMU TCG). /run/ramhost/state.env is then not written, which `ramhost ready` reads as state=none. */
static void state_boot(void)
{
	char *const argv[] = { STATE_TOOL, "state", "boot", NULL };
	struct rh_err err = { 0 };
	struct stat st;

	if (access(STATE_TOOL, X_OK) < 0)
		return;
	if (!state_source && (stat(NETBOOT_STATE_DIR, &st) < 0 || !S_ISDIR(st.st_mode))) {
		say("no saved state to look for (no ramhost.bankuuid= or ramhost.state.url= on the kernel command "
		    "line): booting with the image defaults (state is not persistent)");
		return;
	}
	if (hook_run(argv, STATE_TIMEOUT_MS, &err) < 0)
		say("state: %s; booting with the image defaults", err.msg);
}

/* A rescue boot (rescue.h), in the new root: the mark the base's commands check, the banner and the scan; with
 * ramhost.rescue=auto the repair and the power-off, which returns only when the power-off failed (then the
 * shell of the base's init is the way out). */
static void rescue_boot(void)
{
	struct rh_err err = { 0 };

	if (rescue_write_mark(SYSROOT_RESCUE_PATH, rescue, &err) < 0) {
		say("%s (the base's mark-good and state saves are not held back)", err.msg);
		rh_err_clear(&err);
	}
	if (rescue_console(rescue, &err) < 0)
		say("rescue: %s", err.msg);
}

/* The initramfs's own files (init, busybox, the boot modules, the VIB database and a network boot's state, both
 * copied into the new root by now), removed from the old root once the new one is /, so their RAM is free again,
 * as busybox switch_root and systemd do. The tardisk files stay: their loop devices and /tardisks use them.
 * Nothing on another file system is touched. A failure is one line; the boot goes on. */
static void free_initramfs(int oldroot)
{
	struct rh_err err = { 0 };
	uint64_t freed = 0;
	struct dirent *e;
	DIR *d = fdopendir(oldroot);
	unsigned n = 0;

	if (!d) {
		close(oldroot);
		return;
	}
	while ((e = readdir(d)) && !err.rc) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, TARDISK_DIR))
			continue;
		if (fs_rm_one_fs_at(dirfd(d), e->d_name, "initramfs", &freed, &err) == 0)
			n++;
	}
	closedir(d);
	if (err.rc)
		say("%s (the initramfs stays in RAM)", err.msg);
	else
		say("initramfs freed: %u entries, %.1f MiB (the tardisks stay)", n, (double)freed / 1048576.0);
}

/* Moves /dev /proc /sys into the new root, makes it / (MS_MOVE + chroot: the initramfs cannot be pivoted away;
 * its files other than the tardisks are then removed, free_initramfs) and execs the base's init. */
static void __attribute__((noreturn)) switch_root(void)
{
	struct rh_err err = { 0 };
	char *const argv[] = { conf.init, NULL };
	int oldroot = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	check(mount_move("/dev", SYSROOT "/dev", &err), &err);
	check(mount_move("/proc", SYSROOT "/proc", &err), &err);
	check(mount_move("/sys", SYSROOT "/sys", &err), &err);
	if (chdir(SYSROOT) < 0)
		fail("chdir %s: %s", SYSROOT, strerror(errno));
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		fail("move %s to /: %s", SYSROOT, strerror(errno));
	if (chroot(".") < 0 || chdir("/") < 0)
		fail("chroot %s: %s", SYSROOT, strerror(errno));
	if (oldroot >= 0)
		free_initramfs(oldroot);
	if (rescue)
		rescue_boot();
	else
		state_boot();
	set_net_hostname();
	execv(conf.init, argv);
	fail("exec %s: %s", conf.init, strerror(errno));
}

int main(void)
{
	uint64_t init_ms;

	stage_end("kernel"); /* firmware and loader are before CLOCK_BOOTTIME's zero */
	if (getpid() != 1)
		fprintf(stderr, "ramhost-init: not PID 1; this is the boot-time init, not a command\n");
	early_mounts();
	read_config();
	read_hardware();
	gate_kmods();
	stage_end("config");
	prehash_start(&pre, &cfg, TARDISK_DIR);
	load_kmods(0);
	stage_end("modules");
	verify_tardisks();
	stage_end("hashes");
	mount_ramdisks();
	stage_end("ramdisks");
	mount_tardisks();
	stage_end("tardisks");
	load_kmods(1);
	stage_end("late-modules");
	build_view();
	stage_end("view");
	init_ms = boottime_ms();
	write_bootenv(init_ms);
	copy_sticky_list();
	copy_vibdb();
	take_net_state();
	if (cmd.brk) {
		say("ramhost.break: emergency shell before switch_root; exit it to go on booting");
		if (run_shell() < 0)
			say("no /bin/sh: going on");
	}
	say("switching root to %s (bank %u, init %" PRIu64 " ms%s%s)", conf.init, cmd.bank, init_ms,
	    net.net ? ", network boot" : "", rescue ? ", rescue boot: no state restore" : "");
	switch_root();
}
