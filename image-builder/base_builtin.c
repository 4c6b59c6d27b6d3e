/* base_builtin.c: stages the built-in minimal base (see base.h); tardisk_create turns it into base.tdk. */
#include "base.h"

#include <elf.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "efiboot.h"
#include "fs.h"
#include "sysroot.h"

#define LIBDIR "usr/lib/x86_64-linux-gnu"
#define INTERP "usr/lib64/ld-linux-x86-64.so.2"

/* inittab commands of `ramhost state` (busybox init runs a command with quotes through /bin/sh -c). The hourly
 * saver must not exit when there is no state partition (nor a server store: a diskless host booted with
 * ramhost.state.url), or init would respawn it at once. A rescue boot (init wrote SYSROOT_RESCUE_PATH) restored
 * no state: saving would replace the host's state with the image defaults, so neither saver runs. */
#define STATE_MNT "/run/ramhost/state"
#define STATE_MOUNTED "grep -q \" " STATE_MNT " \" /proc/mounts"
#define STATE_KEPT "{ [ ! -e " SYSROOT_RESCUE_PATH " ] && { " STATE_MOUNTED " || grep -q ramhost.state.url= " \
	"/proc/cmdline; }; }"
#define STATE_HOURLY "/bin/sh -c 'if " STATE_KEPT "; then exec /usr/bin/ramhost state save " \
	"--if-changed --every 3600 >/dev/null; fi; exec sleep 2147483647'"
#define STATE_SHUTDOWN "/bin/sh -c '" STATE_KEPT " || exit 0; /usr/bin/ramhost state save " \
	"--if-changed; sync; " STATE_MOUNTED " || exit 0; umount " STATE_MNT " || mount -o remount,ro " STATE_MNT "'"

int base_elf_is_static(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 1;
	unsigned i;

	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph)) {
		close(fd);
		return -ENOEXEC;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) != (ssize_t)sizeof(ph)) {
			rc = -ENOEXEC;
			break;
		}
		if (ph.p_type == PT_INTERP) {
			rc = 0;
			break;
		}
	}
	close(fd);
	return rc;
}

int base_find_busybox(char *buf, size_t cap, struct rh_err *err)
{
	char cache[3072];
	int rc, st;

	rc = fs_cache_dir(cache, sizeof(cache), err);
	if (rc)
		return rc;
	rc = fs_join(buf, cap, cache, "busybox-static/bin/busybox", err);
	if (rc)
		return rc;
	if (access(buf, X_OK) < 0) {
		if ((size_t)snprintf(buf, cap, "/bin/busybox") >= cap)
			return rh_errf(err, -ENAMETOOLONG, "busybox path");
		if (access(buf, X_OK) < 0)
			return rh_errf(err, -ENOENT, "no busybox: neither %s/busybox-static/bin/busybox nor /bin/busybox "
						     "(run scripts/setup.sh)", cache);
	}
	st = base_elf_is_static(buf);
	if (st < 0)
		return rh_errf(err, st, "%s: cannot read it as a 64-bit ELF file", buf);
	if (!st)
		return rh_errf(err, -ENOEXEC, "%s is dynamically linked; a static busybox is needed "
					     "(busybox-static, see scripts/setup.sh)", buf);
	return 0;
}

static int put(const char *dir, const char *rel, const char *text, unsigned mode, struct rh_err *err)
{
	char path[4096];
	int rc = fs_join(path, sizeof(path), dir, rel, err);

	if (rc)
		return rc;
	return fs_write_file(path, text, strlen(text), mode, err);
}

static int link_at(const char *dir, const char *rel, const char *target, struct rh_err *err)
{
	char path[4096];
	int rc = fs_join(path, sizeof(path), dir, rel, err);

	if (rc)
		return rc;
	if (symlink(target, path) < 0 && errno != EEXIST)
		return rh_errf(err, -errno, "%s: cannot create symlink to %s: %s", path, target, strerror(errno));
	return 0;
}

static int mkdir_at(const char *dir, const char *rel, unsigned mode, struct rh_err *err)
{
	char path[4096];
	int rc = fs_join(path, sizeof(path), dir, rel, err);

	if (rc)
		return rc;
	rc = rh_mkdir_p(path, 0755, err);
	if (!rc && chmod(path, mode) < 0)
		rc = rh_errf(err, -errno, "%s: chmod: %s", path, strerror(errno));
	return rc;
}

static int copy_at(const char *dir, const char *rel, const char *src, unsigned mode, struct rh_err *err)
{
	char path[4096];
	int rc = fs_join(path, sizeof(path), dir, rel, err);

	if (rc)
		return rc;
	return fs_copy_file(src, path, mode, err);
}

/* usr/bin/busybox plus one symlink per applet, placed in usr/bin or usr/sbin (merged /usr). */
static int stage_busybox(const char *dir, const char *busybox, struct rh_err *err)
{
	char *argv[] = { (char *)busybox, "--list-full", NULL };
	char *list = NULL, *line, *save = NULL, rel[512];
	int rc;

	rc = copy_at(dir, "usr/bin/busybox", busybox, 0755, err);
	if (!rc)
		rc = fs_run_capture(argv, 1 << 20, &list, err);
	if (rc)
		return rc;
	for (line = strtok_r(list, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		const char *applet = strrchr(line, '/'), *target;
		int sbin = !strncmp(line, "sbin/", 5) || !strncmp(line, "usr/sbin/", 9);

		int in_bin = sbin || !strncmp(line, "bin/", 4) || !strncmp(line, "usr/bin/", 8);

		if (!applet || !in_bin)
			continue; /* linuxrc and anything outside the bin dirs */
		applet++;
		if (!*applet || !strcmp(applet, "busybox") || strchr(applet, '.') == applet)
			continue;
		snprintf(rel, sizeof(rel), "usr/%s/%s", sbin ? "sbin" : "bin", applet);
		target = sbin ? "../bin/busybox" : "busybox";
		rc = link_at(dir, rel, target, err);
	}
	free(list);
	return rc;
}

/* 1 when rel exists (as anything) under root; root NULL: never. */
static int exists_under(const char *root, const char *rel)
{
	char path[4096];
	struct stat st;

	if (!root || (size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return 0;
	return lstat(path, &st) == 0;
}

/* One line of ldd's output: a library copied to LIBDIR, or the interpreter to INTERP (plus its multiarch link);
 * skipped when the tree at skip_root already has it. */
static int stage_ldd_line(const char *dir, const char *bin, const char *line, const char *skip_root,
			  struct rh_err *err)
{
	char name[256], path[1024], rel[512];
	const char *base;

	if (strstr(line, "not found"))
		return rh_errf(err, -ENOENT, "%s: shared library missing: %s", bin, line);
	if (sscanf(line, "%255s => %1023s", name, path) == 2 && path[0] == '/') {
		base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
		snprintf(rel, sizeof(rel), LIBDIR "/%s", base);
		if (exists_under(skip_root, rel) || exists_under(dir, rel))
			return 0;
		return copy_at(dir, rel, path, 0755, err);
	}
	if (sscanf(line, "%1023s", path) == 1 && path[0] == '/' && !exists_under(skip_root, INTERP) &&
	    !exists_under(dir, INTERP)) {
		/* the interpreter: at the path the binary names (/lib64/...), a second copy where the multiarch
		 * lib dir has it */
		int rc = copy_at(dir, INTERP, path, 0755, err);

		if (!rc)
			rc = link_at(dir, LIBDIR "/ld-linux-x86-64.so.2", "../../lib64/ld-linux-x86-64.so.2", err);
		return rc;
	}
	return 0;
}

int base_stage_elf(const char *dir, const char *rel, const char *bin, const char *skip_root, struct rh_err *err)
{
	char real[4096];
	char *argv[] = { "ldd", real, NULL };
	char *out = NULL, *line, *save = NULL;
	int rc, st;

	/* ldd runs in its own process: /proc/self/exe must be resolved here */
	if (!realpath(bin, real))
		return rh_errf(err, -errno, "%s: %s", bin, strerror(errno));
	rc = copy_at(dir, rel, bin, 0755, err);
	if (rc)
		return rc;
	st = base_elf_is_static(bin);
	if (st < 0)
		return rh_errf(err, st, "%s: cannot read it as a 64-bit ELF file", bin);
	if (st)
		return 0; /* a static binary needs nothing else */
	rc = fs_run_capture(argv, 1 << 20, &out, err);
	for (line = rc ? NULL : strtok_r(out, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		rc = stage_ldd_line(dir, bin, line, skip_root, err);
	}
	free(out);
	return rc;
}

/* The built-in base's /etc, in writing order. No /etc/hostname: a name there is one somebody gave this host
 * (restored state, an install answer, ramhost.hostname=) and wins; without one the DHCP server's name is taken,
 * else the profile's name (SYSROOT_DEFAULT_HOSTNAME). */
static const struct {
	const char *rel, *text;
	unsigned mode;
} etc_files[] = {
	{ "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644 },
	{ "etc/group", "root:x:0:\n", 0644 },
	/* The demo's root has an empty password: it is a RAM-only host on a serial console. */
	{ "etc/shadow", "root::19000:0:99999:7:::\n", 0600 },
	{ "etc/hosts", "127.0.0.1\tlocalhost\n::1\t\tlocalhost\n", 0644 },
	{ "etc/shells", "/bin/sh\n/bin/ash\n", 0644 },
	{ "etc/profile",
	  "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
	  "export PS1='\\h:\\w\\$ '\n", 0644 },
	/* init (ramdisk/init) mounts /proc /sys /dev before switch_root, so inittab need not; busybox init
	 * does not read /etc/hostname itself. Once the host is ready it marks its bank good (ESXi's rule: a bank
	 * booted as UPGRADING that never gets here is DIRTY at the next boot, then INVALID).
	 * Sticky state (docs/state.md): init restored it before this inittab is read; when the state partition is
	 * mounted, a new generation is saved hourly if something sticky changed, and at every clean shutdown or
	 * reboot, before the state file system is unmounted. Without one (CD, PXE) both do nothing. A rescue boot
	 * (ramhost.rescue=) runs none of it: `ramhost ready` adds mode=rescue, mark-good marks nothing, and
	 * the savers see the rescue mark. */
	/* The network (usr/lib/ramhost/net-up, profile key network) after the coldplug pass loaded the NIC's
	 * driver: busybox udhcpc on the first wired interface by default, with this hook. A diskless host booted
	 * by `ramhost pxe serve` needs it for `ramhost ready`'s report and `ramhost state save`. */
	{ "etc/udhcpc.script",
	  "#!/bin/sh\n"
	  "# udhcpc hook of the built-in base (usr/lib/ramhost/net-up): sets the address it was given\n"
	  "case \"$1\" in\n"
	  "bound|renew)\n"
	  "\tip addr flush dev \"$interface\"\n"
	  "\tip addr add \"$ip/${mask:-24}\" dev \"$interface\"\n"
	  "\tip link set \"$interface\" up\n"
	  "\tfor r in $router; do ip route replace default via \"$r\" dev \"$interface\"; break; done\n"
	  "\tif [ -n \"$dns\" ]; then for d in $dns; do echo \"nameserver $d\"; done > /etc/resolv.conf; fi\n"
	  "\t# the server's host name, unless /etc/hostname names this host\n"
	  "\tcase \"$hostname\" in\n"
	  "\t''|" BASE_DHCP_HOSTNAME_BAD ") ;;\n"
	  "\t*) [ -s /etc/hostname ] || hostname \"$hostname\" ;;\n"
	  "\tesac\n"
	  "\t;;\n"
	  "deconfig)\n"
	  "\tip addr flush dev \"$interface\"\n"
	  "\tip link set \"$interface\" up\n"
	  "\t;;\n"
	  "esac\n"
	  "exit 0\n", 0755 },
	{ "etc/inittab",
	  "::sysinit:/usr/lib/ramhost/sysinit\n"
	  "::sysinit:/usr/lib/ramhost/net-up\n"
	  "::sysinit:/usr/bin/ramhost ready\n"
	  "::sysinit:/usr/bin/ramhost bootbank mark-good\n"
	  /* unattended install (docs/install.md): nothing unless ramhost.install= is on the cmdline */
	  "::sysinit:/usr/bin/ramhost install --from-cmdline\n"
	  "::respawn:" STATE_HOURLY "\n"
	  "ttyS0::respawn:-/bin/sh\n"
	  "::ctrlaltdel:/sbin/reboot\n"
	  "::shutdown:" STATE_SHUTDOWN "\n"
	  "::shutdown:/bin/umount -a -r\n", 0644 },
};

static int stage_etc(const char *dir, const char *hostname, struct rh_err *err)
{
	char host[128];
	unsigned i;
	int rc;

	if (!hostname || !*hostname)
		hostname = "ramhost";
	snprintf(host, sizeof(host), "%s\n", hostname);
	for (i = 0; i < sizeof(etc_files) / sizeof(etc_files[0]); i++) {
		rc = put(dir, etc_files[i].rel, etc_files[i].text, etc_files[i].mode, err);
		if (rc)
			return rc;
	}
	rc = mkdir_at(dir, "usr/lib/ramhost", 0755, err);
	if (!rc)
		rc = put(dir, &SYSROOT_DEFAULT_HOSTNAME[1], host, 0644, err);
	if (rc)
		return rc;
	/* sticky by default in this base, besides the profile's sticky = lines */
	rc = mkdir_at(dir, "usr/lib/ramhost/sticky.d", 0755, err);
	if (rc)
		return rc;
	return put(dir, "usr/lib/ramhost/sticky.d/base.list",
		   "# the built-in base: the root password and the host name survive reboots (docs/state.md)\n"
		   "/etc/shadow\n"
		   "/etc/hostname\n", 0644, err);
}

/* The start-up before the network, run once by inittab: the host name (/etc/hostname, which restored state or
 * an install gave, else the profile's name), then coldplug (the built-in base has no udev): the drivers of the
 * devices present, from the drivers tardisk's /lib/modules (profile key drivers). Up to three coldplug passes,
 * since a bus driver loaded by one (virtio_pci, a USB host controller) brings the devices the next one finds
 * drivers for; a pass that loaded nothing brought no device, so it is the last. Shell built-ins only, but for
 * hostname and one modprobe per pass: every process is some 10 to 20 ms of the boot under QEMU TCG, and this is
 * on the way to the ready line (the same work as a pipeline of cat, sort, xargs and wc took 20 to 50 ms more).
 * The modalias strings are handed over once each, in the order found. */
static const char sysinit_script[] =
	"#!/bin/sh\n"
	"# ramhost: the built-in base's start-up before the network, run once by inittab: the host name, then\n"
	"# the kernel modules of the devices present (no udev here), from the drivers tardisk's /lib/modules\n"
	"# (profile key drivers)\n"
	"hostname -F /etc/hostname 2>/dev/null || hostname -F " SYSROOT_DEFAULT_HOSTNAME "\n"
	"read -r rel </proc/sys/kernel/osrelease || exit 0\n"
	"[ -e \"/lib/modules/$rel/modules.alias\" ] || exit 0\n"
	"nl='\n'\n"
	"count() { n=0; while read -r _; do n=$((n + 1)); done </proc/modules; }\n"
	"for pass in 1 2 3; do\n"
	"\tcount\n"
	"\tloaded=$n seen=$nl\n"
	"\tset --\n"
	"\tfor f in /sys/bus/*/devices/*/modalias; do\n"
	"\t\ta=\n"
	"\t\t{ read -r a <\"$f\"; } 2>/dev/null\n"
	"\t\t[ -n \"$a\" ] || continue\n"
	"\t\tcase $seen in *\"$nl$a$nl\"*) continue ;; esac\n"
	"\t\tseen=$seen$a$nl\n"
	"\t\tset -- \"$@\" \"$a\"\n"
	"\tdone\n"
	"\t[ $# -gt 0 ] && modprobe -q -a \"$@\" 2>/dev/null\n"
	"\tcount\n"
	"\t[ \"$n\" = \"$loaded\" ] && break\n"
	"done\n"
	"exit 0\n";

/* The network (profile key network): DHCP (busybox udhcpc, which keeps renewing the lease in the background;
 * a few seconds at most without an answer) or a static address on the first wired interface, or on the one
 * the profile names. The values were checked by the profile parser (addresses, [A-Za-z0-9._-] names). */
static const char net_script_body[] =
	"[ \"$MODE\" = none ] && exit 0\n"
	"ip link set lo up\n"
	"if [ -z \"$IFACE\" ]; then\n"
	"\tfor i in /sys/class/net/*; do\n"
	"\t\tt=\n"
	"\t\t{ read -r t <\"$i/type\"; } 2>/dev/null\n"
	"\t\t[ \"$t\" = 1 ] && [ -e \"$i/device\" ] || continue\n"
	"\t\t[ -e \"$i/wireless\" ] || [ -e \"$i/phy80211\" ] && continue\n"
	"\t\tIFACE=${i##*/}\n"
	"\t\tbreak\n"
	"\tdone\n"
	"fi\n"
	"[ -n \"$IFACE\" ] && [ -e \"/sys/class/net/$IFACE\" ] || exit 0\n"
	"ip link set \"$IFACE\" up\n"
	"if [ \"$MODE\" = dhcp ]; then\n"
	"\texec udhcpc -i \"$IFACE\" -b -t 5 -T 1 -s /etc/udhcpc.script >/dev/null 2>&1\n"
	"fi\n"
	"ip addr add \"$ADDR\" dev \"$IFACE\"\n"
	"[ -n \"$GW\" ] && ip route replace default via \"$GW\" dev \"$IFACE\"\n"
	"if [ -n \"$DNS\" ]; then\n"
	"\tfor d in $(echo \"$DNS\" | tr , ' '); do echo \"nameserver $d\"; done > /etc/resolv.conf\n"
	"fi\n"
	"exit 0\n";

static int stage_net(const char *dir, const struct profile_network *n, struct rh_err *err)
{
	static const char *const modes[] = { [PROFILE_NET_DHCP] = "dhcp", [PROFILE_NET_NONE] = "none",
					     [PROFILE_NET_STATIC] = "static" };
	char *text = NULL;
	int rc;

	if (asprintf(&text, "#!/bin/sh\n"
			    "# ramhost: the network of the built-in base (profile key network), run once by inittab\n"
			    "MODE='%s' IFACE='%s' ADDR='%s' GW='%s' DNS='%s'\n%s",
		     modes[n->mode], n->iface, n->address, n->gateway, n->dns, net_script_body) < 0)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = put(dir, "usr/lib/ramhost/net-up", text, 0755, err);
	free(text);
	if (!rc)
		rc = put(dir, "usr/lib/ramhost/sysinit", sysinit_script, 0755, err);
	return rc;
}

int base_builtin_stage(const char *dir, const struct base_builtin_opts *o, struct rh_err *err)
{
	static const struct { const char *rel; unsigned mode; } dirs[] = {
		{ "usr/bin", 0755 }, { "usr/sbin", 0755 }, { LIBDIR, 0755 }, { "usr/lib64", 0755 },
		{ "etc", 0755 }, { "proc", 0555 }, { "sys", 0555 }, { "dev", 0755 }, { "run", 0755 },
		{ "tmp", 01777 }, { "var/log", 0755 }, { "var/tmp", 01777 }, { "root", 0700 }, { "home", 0755 },
		{ "mnt", 0755 },
	};
	static const struct { const char *rel, *target; } links[] = {
		{ "bin", "usr/bin" }, { "sbin", "usr/sbin" }, { "lib", "usr/lib" }, { "lib64", "usr/lib64" },
	};
	char path[4096];
	struct stat st;
	unsigned i;
	int rc = 0;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !rc; i++)
		rc = mkdir_at(dir, dirs[i].rel, dirs[i].mode, err);
	for (i = 0; i < sizeof(links) / sizeof(links[0]) && !rc; i++)
		rc = link_at(dir, links[i].rel, links[i].target, err);
	if (!rc)
		rc = stage_busybox(dir, o->busybox, err);
	if (!rc)
		rc = base_stage_elf(dir, "usr/bin/ramhost", o->ramhost, NULL, err);
	if (!rc)
		rc = stage_etc(dir, o->hostname, err);
	if (!rc)
		rc = stage_net(dir, o->network, err);
	if (rc)
		return rc;
	/* busybox init reads /etc/inittab; the profile's init= names /sbin/init by default */
	rc = fs_join(path, sizeof(path), dir, "usr/sbin/init", err);
	if (!rc && lstat(path, &st) < 0)
		rc = rh_errf(err, -ENOENT, "%s: busybox has no init applet", o->busybox);
	return rc;
}

/* The rescue module (base.h): each tool with the libraries ldd names, found in these directories of the build
 * machine; mcopy & co are links to mtools. */
static const char *const tool_dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
static const struct {
	const char *name, *rel, *pkg;
} rescue_tools[] = {
	{ "mtools", "usr/bin/mtools", "mtools" },     { "syslinux", "usr/bin/syslinux", "syslinux" },
	{ "debugfs", "usr/bin/debugfs", "e2fsprogs" }, { "e2fsck", "usr/bin/e2fsck", "e2fsprogs" },
	{ "fsck.fat", "usr/bin/fsck.fat", "dosfstools" },
};
/* The system tools sit in usr/bin, with links where they usually are: init starts `ramhost rescue` without PATH,
 * and execvp's default search is /bin:/usr/bin. */
static const char *const sbin_links[] = { "debugfs", "e2fsck", "fsck.fat", "fsck.vfat" };
static const char *const mtools_links[] = { "mattrib", "mcopy", "mdel", "mdeltree", "mdir", "mformat", "minfo",
					    "mlabel", "mmd", "mrd", "mren", "mtype" };
#define SYSLINUX_DIR "/usr/lib/syslinux"
#define GCONV_DIR "/" LIBDIR "/gconv"
/* SYSLINUX's boot code and BIOS modules (recovery/op_table.c, op_boot.c read them there), and the IBM850
 * converter mtools uses for short names (optional: a build machine without it still builds). */
static const struct {
	const char *path;
	int optional;
} rescue_files[] = {
	{ SYSLINUX_DIR "/mbr/gptmbr.bin", 0 },           { SYSLINUX_DIR "/mbr/mbr.bin", 0 },
	{ SYSLINUX_DIR "/modules/bios/ldlinux.c32", 0 },  { SYSLINUX_DIR "/modules/bios/chain.c32", 0 },
	{ SYSLINUX_DIR "/modules/bios/libcom32.c32", 0 }, { SYSLINUX_DIR "/modules/bios/libutil.c32", 0 },
	{ GCONV_DIR "/gconv-modules.cache", 1 },          { GCONV_DIR "/IBM850.so", 1 },
};

static int find_tool(const char *name, const char *pkg, char *buf, size_t cap, struct rh_err *err)
{
	unsigned i;

	for (i = 0; i < sizeof(tool_dirs) / sizeof(tool_dirs[0]); i++)
		if ((size_t)snprintf(buf, cap, "%s/%s", tool_dirs[i], name) < cap && access(buf, X_OK) == 0)
			return 0;
	return rh_errf(err, -ENOENT, "%s: not found in /usr/sbin, /usr/bin, /sbin or /bin: the rescue module needs it "
				     "(install %s, or set rescue = no in the profile)", name, pkg);
}

static int stage_rescue_tools(const char *dir, const char *base_root, struct rh_err *err)
{
	char src[4096], rel[256];
	unsigned i;
	int rc = 0;

	for (i = 0; i < sizeof(rescue_tools) / sizeof(rescue_tools[0]) && !rc; i++) {
		rc = find_tool(rescue_tools[i].name, rescue_tools[i].pkg, src, sizeof(src), err);
		if (!rc)
			rc = base_stage_elf(dir, rescue_tools[i].rel, src, base_root, err);
	}
	for (i = 0; i < sizeof(mtools_links) / sizeof(mtools_links[0]) && !rc; i++) {
		snprintf(rel, sizeof(rel), "usr/bin/%s", mtools_links[i]);
		rc = link_at(dir, rel, "mtools", err);
	}
	if (!rc)
		rc = link_at(dir, "usr/bin/fsck.vfat", "fsck.fat", err);
	for (i = 0; i < sizeof(sbin_links) / sizeof(sbin_links[0]) && !rc; i++) {
		snprintf(rel, sizeof(rel), "usr/sbin/%s", sbin_links[i]);
		snprintf(src, sizeof(src), "../bin/%s", sbin_links[i]);
		rc = link_at(dir, rel, src, err);
	}
	for (i = 0; i < sizeof(rescue_files) / sizeof(rescue_files[0]) && !rc; i++) {
		const char *path = rescue_files[i].path;
		char parent[256], *slash;

		if (rescue_files[i].optional && access(path, R_OK) < 0)
			continue;
		snprintf(parent, sizeof(parent), "%s", path + 1);
		slash = strrchr(parent, '/');
		*slash = '\0';
		rc = mkdir_at(dir, parent, 0755, err);
		if (!rc)
			rc = copy_at(dir, path + 1, path, 0644, err);
	}
	return rc;
}

int base_rescue_stage(const char *dir, const struct base_rescue_opts *o, struct rh_err *err)
{
	struct efiboot_opts eo = { o->efi, NULL, NULL };
	char efi[4096];
	int rc;

	rc = efiboot_find_loader(&eo, efi, sizeof(efi), err);
	if (rc)
		return rh_err_prefix(err, rc, "the rescue module's UEFI loader (or set rescue = no in the profile)");
	rc = mkdir_at(dir, "usr/bin", 0755, err);
	if (!rc)
		rc = mkdir_at(dir, "usr/sbin", 0755, err);
	if (!rc)
		rc = mkdir_at(dir, LIBDIR, 0755, err);
	if (!rc)
		rc = stage_rescue_tools(dir, o->base_root, err);
	if (!rc)
		rc = copy_at(dir, "usr/bin/ramhost.efi", efi, 0644, err);
	return rc;
}
