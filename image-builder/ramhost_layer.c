/* ramhost_layer.c: the ramhost layer over a systemd base (see ramhost_layer.h). */
#include "ramhost_layer.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "fs.h"
#include "sysroot.h"

#define LIBDIR "usr/lib/x86_64-linux-gnu"
#define UNITDIR "usr/lib/systemd/system"

/* The ready line once the host's services are up, then the bank is marked good (as the busybox base's
 * inittab does). The line is written straight to the console (through the journal it would come later, at
 * journald's pace) and before any getty starts: agetty flushes the tty's output queue when it takes the line
 * over, which cut the ready line short when the two raced. It cannot be After=multi-user.target for that:
 * the target is ordered after the gettys it wants. So it waits for what the gettys wait for
 * (systemd-user-sessions: the network and remote filesystems) and for network-online.target (an address, or
 * 15 s at most: see wait_online_conf), and comes before every getty. It does not wait for sshd, whose host keys
 * may still be in the making on a host without saved state (keygen_unit). */
static const char ready_unit[] =
	"[Unit]\n"
	"Description=ramhost ready line, then mark the boot bank good\n"
	"Documentation=man:ramhost(1)\n"
	"After=basic.target systemd-user-sessions.service network-online.target\n"
	"Wants=getty-pre.target network-online.target\n"
	"Before=getty-pre.target\n"
	"\n"
	"[Service]\n"
	"Type=oneshot\n"
	"RemainAfterExit=yes\n"
	"ExecStart=/usr/bin/ramhost ready\n"
	"ExecStart=-/usr/bin/ramhost bootbank mark-good\n"
	"StandardOutput=tty\n"
	"StandardError=journal+console\n"
	"TTYPath=/dev/console\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

/* Saves the sticky state when it stops, that is at shutdown and reboot. Ordered after the mounts it reads and
 * writes, so it stops (and saves) before /run/ramhost/state, /etc or /var are unmounted. Neither saver runs on
 * a rescue boot (init's mark, lib/host/sysroot.h), which restored no state. */
static const char save_unit[] =
	"[Unit]\n"
	"Description=ramhost: save the sticky state at shutdown and reboot\n"
	"Documentation=man:ramhost-state(1)\n"
	"ConditionPathIsMountPoint=|/run/ramhost/state\n"
	"ConditionKernelCommandLine=|ramhost.state.url\n"
	"ConditionPathExists=!" SYSROOT_RESCUE_PATH "\n"
	"RequiresMountsFor=/run/ramhost/state /etc /var\n"
	"\n"
	"[Service]\n"
	"Type=oneshot\n"
	"RemainAfterExit=yes\n"
	"ExecStart=/bin/true\n"
	"ExecStop=/usr/bin/ramhost state save --if-changed\n"
	"TimeoutStopSec=300\n"
	"StandardOutput=journal+console\n"
	"StandardError=journal+console\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

static const char hourly_unit[] =
	"[Unit]\n"
	"Description=ramhost: save the sticky state when it changed (hourly)\n"
	"Documentation=man:ramhost-state(1)\n"
	"ConditionPathIsMountPoint=|/run/ramhost/state\n"
	"ConditionKernelCommandLine=|ramhost.state.url\n"
	"ConditionPathExists=!" SYSROOT_RESCUE_PATH "\n"
	"RequiresMountsFor=/run/ramhost/state /etc /var\n"
	"\n"
	"[Service]\n"
	"Type=oneshot\n"
	"ExecStart=/usr/bin/ramhost state save --if-changed\n";

static const char save_timer[] =
	"[Unit]\n"
	"Description=ramhost: hourly save of the sticky state\n"
	"\n"
	"[Timer]\n"
	"OnCalendar=hourly\n"
	"AccuracySec=1min\n"
	"Unit=ramhost-state-save-hourly.service\n"
	"\n"
	"[Install]\n"
	"WantedBy=timers.target\n";

/* The image carries no SSH host keys (the debootstrap prune removed them): each host makes its own the first
 * time, and they are sticky, so later boots restore them before this runs and it has nothing to make. On a host
 * without saved state (every ISO or PXE boot) the keys take seconds (RSA under emulation: 10 s and more), and
 * the console login must not wait for them: this starts once the gettys have (After=getty.target) and is
 * Type=exec, so its start job ends at once and nothing queued behind it, a getty's Type=idle start included,
 * waits for ssh-keygen. sshd is started at its end ("$$" is one "$" for the shell: systemd expands "$"); at boot ssh.service is skipped while there is no host key
 * (ssh_dropin), where it would fail. */
static const char keygen_unit[] =
	"[Unit]\n"
	"Description=ramhost: make the SSH host keys this host does not have yet, then start sshd\n"
	"After=getty.target\n"
	"ConditionPathExists=/usr/bin/ssh-keygen\n"
	"ConditionPathIsDirectory=/etc/ssh\n"
	"\n"
	"[Service]\n"
	"Type=exec\n"
	"RemainAfterExit=yes\n"
	"ExecStart=/bin/sh -c 'out=$$(ssh-keygen -A) || exit 1; case \"$$out\" in *generating*) "
	"echo \"ramhost: SSH host keys made\";; esac; exec systemctl --no-block start ssh.service'\n"
	"StandardOutput=journal+console\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

/* ssh.service waits for host keys: without any at boot it is skipped (not failed); ramhost-ssh-keygen starts it
 * once they are made. */
static const char ssh_dropin[] =
	"# ramhost: sshd starts once the host has its keys (ramhost-ssh-keygen.service makes them and starts it)\n"
	"[Unit]\n"
	"ConditionPathExistsGlob=/etc/ssh/ssh_host_*_key\n";

/* network-online.target (which the ready line waits for) with networkd: one interface configured is enough, and
 * 15 s at most, so a host without a cable still comes up; none at all on a machine without a PCI network
 * controller (class 0x02), where nothing would ever come (the controllers are on the bus before udev has
 * loaded their drivers, so this does not race with the NIC's interface). */
static const char wait_online_conf[] =
	"# ramhost: online is one configured interface, and the boot waits 15 s at most for it, and not at all\n"
	"# without a PCI network controller\n"
	"[Service]\n"
	"ExecCondition=/bin/sh -c 'cat /sys/bus/pci/devices/*/class 2>/dev/null | grep -q ^0x02'\n"
	"ExecStart=\n"
	"ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=15\n";

/* The DHCP server's host name (networkd's lease), taken once the network is online, when /etc/hostname names
 * no host (docs/debian-base.md "Host name"): the kernel's host name is set as `hostnamectl --transient` would,
 * without asking hostnamed. Before the ready line, so it is in effect when the host reports. */
static const char dhcp_hostname_unit[] =
	"[Unit]\n"
	"Description=ramhost: the DHCP server's host name, unless /etc/hostname names this host\n"
	"After=network-online.target\n"
	"Wants=network-online.target\n"
	"Before=ramhost-ready.service\n"
	"ConditionFileNotEmpty=!/etc/hostname\n"
	"\n"
	"[Service]\n"
	"Type=oneshot\n"
	"RemainAfterExit=yes\n"
	"ExecStart=/bin/sh -c 'n=$$(sed -n \"s/^HOSTNAME=//p\" /run/systemd/netif/leases/* 2>/dev/null | head -n 1); "
	"case \"$$n\" in \"\"|" BASE_DHCP_HOSTNAME_BAD ") exit 0;; esac; echo \"$$n\" > /proc/sys/kernel/hostname'\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

/* The journal lives in /run (its ramdisk), bounded so it cannot fill it. */
static const char journald_conf[] =
	"# ramhost: the journal stays in RAM under /run, bounded by the run ramdisk's size.\n"
	"[Journal]\n"
	"Storage=volatile\n"
	"RuntimeMaxUse=8M\n";

/* pam_env reads it at every login; minbase has no locales package, so C.UTF-8 (built into glibc). */
static const char default_locale[] = "LANG=C.UTF-8\n";

static const char sticky_list[] =
	"# A Debian host's identity, kept across reboots by `ramhost state` (ramhost layer of debootstrap bases).\n"
	"/etc/hostname\n"
	"/etc/machine-id\n"
	"/etc/ssh/ssh_host_*\n";

static const struct {
	const char *rel;
	const char *text;
	unsigned mode;
	int unit;
} files[] = {
	{ UNITDIR "/ramhost-ready.service", ready_unit, 0644, 1 },
	{ UNITDIR "/ramhost-state-save.service", save_unit, 0644, 1 },
	{ UNITDIR "/ramhost-state-save-hourly.service", hourly_unit, 0644, 1 },
	{ UNITDIR "/ramhost-state-save.timer", save_timer, 0644, 1 },
	{ UNITDIR "/ramhost-ssh-keygen.service", keygen_unit, 0644, 1 },
	{ UNITDIR "/ssh.service.d/ramhost.conf", ssh_dropin, 0644, 0 },
	{ "usr/lib/systemd/journald.conf.d/ramhost.conf", journald_conf, 0644, 0 },
	{ "usr/lib/ramhost/sticky.d/debian.list", sticky_list, 0644, 0 },
	{ "etc/default/locale", default_locale, 0644, 0 },
};

/* The [Install] sections above, as the symlinks `systemctl enable` would make (in /usr, which is read-only
 * and the same on every boot). */
static const struct {
	const char *rel, *target;
} links[] = {
	{ UNITDIR "/multi-user.target.wants/ramhost-ready.service", "../ramhost-ready.service" },
	{ UNITDIR "/multi-user.target.wants/ramhost-state-save.service", "../ramhost-state-save.service" },
	{ UNITDIR "/multi-user.target.wants/ramhost-ssh-keygen.service", "../ramhost-ssh-keygen.service" },
	{ UNITDIR "/timers.target.wants/ramhost-state-save.timer", "../ramhost-state-save.timer" },
	/* systemd-firstboot would prompt on the console at every boot of an empty machine-id: the host is
	 * configured by its image and its state instead */
	{ "etc/systemd/system/systemd-firstboot.service", "/dev/null" },
};

static int join_mkparent(char *buf, size_t cap, const char *dir, const char *rel, struct rh_err *err)
{
	char parent[PATH_MAX], *slash;
	int rc = fs_join(buf, cap, dir, rel, err);

	if (rc)
		return rc;
	snprintf(parent, sizeof(parent), "%s", buf);
	slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		rc = rh_mkdir_p(parent, 0755, err);
	}
	return rc;
}

/* 1 when the base has rel (lstat: symlinks count as present; rel must not cross a symlink out of the tree,
 * which holds for Debian's relative merged-/usr links). */
/* The base as messages name it. */
static const char *shown(const struct ramhost_layer_opts *o)
{
	return o->shown ? o->shown : o->base_root;
}

static int base_has(const char *base, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", base, rel) >= sizeof(path))
		return 0;
	return lstat(path, &st) == 0;
}

/* Copies src to dir/rel (parents made). */
static int copy_in(const char *dir, const char *rel, const char *src, unsigned mode, struct rh_err *err)
{
	char path[PATH_MAX];
	int rc = join_mkparent(path, sizeof(path), dir, rel, err);

	if (rc)
		return rc;
	return fs_copy_file(src, path, mode, err);
}

/* Writes text to dir/rel (parents made). */
static int write_in(const char *dir, const char *rel, const char *text, unsigned mode, struct rh_err *err)
{
	char path[PATH_MAX];
	int rc = join_mkparent(path, sizeof(path), dir, rel, err);

	if (rc)
		return rc;
	return fs_write_file(path, text, strlen(text), mode, err);
}

/* usr/bin/ramhost, plus every library of ldd's list the base does not have. */
static int stage_binary(const char *dir, const struct ramhost_layer_opts *o, unsigned *nlibs, struct rh_err *err)
{
	char real[PATH_MAX], rel[600];
	char *argv[] = { "ldd", real, NULL };
	char *out = NULL, *line, *save = NULL;
	int rc, st;

	if (!realpath(o->ramhost, real))
		return rh_errf(err, -errno, "%s: %s", o->ramhost, strerror(errno));
	rc = copy_in(dir, "usr/bin/ramhost", real, 0755, err);
	if (rc)
		return rc;
	st = base_elf_is_static(real);
	if (st < 0)
		return rh_errf(err, st, "%s: cannot read it as a 64-bit ELF file", real);
	if (st)
		return 0;
	rc = fs_run_capture(argv, 1 << 20, &out, err);
	for (line = rc ? NULL : strtok_r(out, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		char name[256], src[1024];
		const char *base;

		while (*line == ' ' || *line == '\t')
			line++;
		if (strstr(line, "not found")) {
			rc = rh_errf(err, -ENOENT, "%s: shared library missing: %s", real, line);
			break;
		}
		if (sscanf(line, "%255s => %1023s", name, src) == 2 && src[0] == '/') {
			base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
			snprintf(rel, sizeof(rel), LIBDIR "/%s", base);
			if (base_has(o->base_root, rel))
				continue;
			rc = copy_in(dir, rel, src, 0644, err);
			(*nlibs)++;
		} else if (sscanf(line, "%1023s", src) == 1 && src[0] == '/') {
			/* the interpreter: a base with a C library has it; one without gets the build machine's */
			if (base_has(o->base_root, "usr/lib64/ld-linux-x86-64.so.2") ||
			    base_has(o->base_root, "lib64/ld-linux-x86-64.so.2"))
				continue;
			rc = copy_in(dir, "usr/lib64/ld-linux-x86-64.so.2", src, 0755, err);
			(*nlibs)++;
		}
	}
	free(out);
	return rc;
}

/* The symlink dir/rel -> target, its parent folders made. */
static int symlink_in(const char *dir, const char *rel, const char *target, struct rh_err *err)
{
	char path[PATH_MAX];
	int rc = join_mkparent(path, sizeof(path), dir, rel, err);

	if (!rc && symlink(target, path) < 0)
		rc = rh_errf(err, -errno, "%s: cannot create symlink to %s: %s", path, target, strerror(errno));
	return rc;
}

/* The profile's network as a systemd-networkd .network file (text malloc'd into *ret). */
static int network_file(const struct profile_network *n, char **ret, struct rh_err *err)
{
	char *text = NULL, dns[sizeof(n->dns) * 2] = "", *p;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return rh_errf(err, -ENOMEM, "out of memory");
	fprintf(f, "# ramhost: the profile's network key (docs/profile.md)\n[Match]\n");
	if (n->iface[0])
		fprintf(f, "Name=%s\n", n->iface);
	else
		fprintf(f, "Type=ether\n");
	if (n->mode == PROFILE_NET_DHCP) {
		/* the server's host name is asked for (option 12) and set by dhcp_hostname_unit, not by networkd,
		 * which may not (hostnamed lets only root or polkit set it) */
		fprintf(f, "\n[Network]\nDHCP=yes\n\n[DHCPv4]\nUseHostname=no\nRequestOptions=12\n");
	} else {
		snprintf(dns, sizeof(dns), "%s", n->dns);
		for (p = dns; (p = strchr(p, ',')); )
			*p = ' ';
		fprintf(f, "\n[Network]\nAddress=%s\n", n->address);
		if (n->gateway[0])
			fprintf(f, "Gateway=%s\n", n->gateway);
		if (dns[0])
			fprintf(f, "DNS=%s\n", dns);
	}
	if (fclose(f) != 0) {
		free(text);
		return rh_errf(err, -ENOMEM, "out of memory");
	}
	*ret = text;
	return 0;
}

/* The network: systemd-networkd enabled with the profile's .network file, its wait-online bounded, and
 * systemd-resolved's stub as /etc/resolv.conf when the base has it. network = none: nothing. */
static int stage_network(const char *dir, const struct ramhost_layer_opts *o, struct rh_err *err)
{
	static const struct {
		const char *rel, *target;
	} net_links[] = {
		{ UNITDIR "/multi-user.target.wants/systemd-networkd.service", "../systemd-networkd.service" },
		{ UNITDIR "/sockets.target.wants/systemd-networkd.socket", "../systemd-networkd.socket" },
		{ UNITDIR "/network-online.target.wants/systemd-networkd-wait-online.service",
		  "../systemd-networkd-wait-online.service" },
	};
	const struct profile_network *n = o->network;
	char *text = NULL;
	unsigned i;
	int rc;

	if (n->mode == PROFILE_NET_NONE)
		return 0;
	if (!base_has(o->base_root, UNITDIR "/systemd-networkd.service") &&
	    !base_has(o->base_root, "lib/systemd/system/systemd-networkd.service"))
		return rh_errf(err, -ENOENT, "%s: no systemd-networkd.service: the base cannot bring its network up "
					     "(systemd has it; or set network = none)", shown(o));
	rc = network_file(n, &text, err);
	if (!rc)
		rc = write_in(dir, "usr/lib/systemd/network/80-ramhost.network", text, 0644, err);
	free(text);
	if (!rc && n->mode == PROFILE_NET_DHCP)
		rc = write_in(dir, UNITDIR "/ramhost-dhcp-hostname.service", dhcp_hostname_unit, 0644, err);
	if (!rc && n->mode == PROFILE_NET_DHCP)
		rc = symlink_in(dir, UNITDIR "/multi-user.target.wants/ramhost-dhcp-hostname.service",
				"../ramhost-dhcp-hostname.service", err);
	if (!rc)
		rc = write_in(dir, UNITDIR "/systemd-networkd-wait-online.service.d/ramhost.conf", wait_online_conf,
			      0644, err);
	for (i = 0; i < sizeof(net_links) / sizeof(net_links[0]) && !rc; i++)
		rc = symlink_in(dir, net_links[i].rel, net_links[i].target, err);
	if (!rc && (base_has(o->base_root, UNITDIR "/systemd-resolved.service") ||
		    base_has(o->base_root, "lib/systemd/system/systemd-resolved.service")))
		rc = symlink_in(dir, "etc/resolv.conf", "../run/systemd/resolve/stub-resolv.conf", err);
	return rc;
}

/* usr/lib/os-release: the base's with DEFAULT_HOSTNAME= the profile's name. The image has no /etc/hostname, so
 * systemd names the host by /etc/hostname once somebody wrote one (hostnamectl; kept as sticky state), else by
 * the DHCP server's name (dhcp_hostname_unit), else by this (docs/debian-base.md "Host name"). */
static int stage_os_release(const char *dir, const struct ramhost_layer_opts *o, struct rh_err *err)
{
	char path[PATH_MAX], *buf = NULL, *line, *save = NULL, *text = NULL;
	size_t len = 0, tlen = 0;
	FILE *f;
	int rc;

	rc = fs_join(path, sizeof(path), o->base_root, "usr/lib/os-release", err);
	if (!rc)
		rc = rh_read_file(path, 1u << 16, &buf, &len, err);
	if (rc == -ENOENT) {
		rh_err_clear(err);
		rc = 0;
	}
	if (rc)
		return rc;
	f = open_memstream(&text, &tlen);
	if (!f) {
		free(buf);
		return rh_errf(err, -ENOMEM, "out of memory");
	}
	for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "DEFAULT_HOSTNAME=", 17))
			fprintf(f, "%s\n", line);
	fprintf(f, "DEFAULT_HOSTNAME=%s\n", o->hostname);
	free(buf);
	if (fclose(f) != 0) {
		free(text);
		return rh_errf(err, -ENOMEM, "out of memory");
	}
	rc = write_in(dir, "usr/lib/os-release", text, 0644, err);
	free(text);
	return rc;
}

int ramhost_layer_stage(const char *dir, const struct ramhost_layer_opts *o, struct ramhost_layer_info *ret_info,
			struct rh_err *err)
{
	struct ramhost_layer_info info = { 0 };
	unsigned i;
	int rc;

	if (!base_has(o->base_root, "usr/lib/systemd/systemd"))
		return rh_errf(err, -ENOENT, "%s: no usr/lib/systemd/systemd: the ramhost layer needs a systemd base "
					     "(add systemd-sysv to packages or to the image)", shown(o));
	if (!base_has(o->base_root, "usr/lib/systemd/systemd-udevd") &&
	    !base_has(o->base_root, "lib/systemd/systemd-udevd"))
		return rh_errf(err, -ENOENT, "%s: no systemd-udevd: without udev no device unit ever appears (no serial "
					     "getty, no login); add udev to packages or to the image", shown(o));
	rc = stage_binary(dir, o, &info.nlibs, err);
	for (i = 0; i < sizeof(files) / sizeof(files[0]) && !rc; i++) {
		rc = write_in(dir, files[i].rel, files[i].text, files[i].mode, err);
		info.nunits += files[i].unit;
	}
	for (i = 0; i < sizeof(links) / sizeof(links[0]) && !rc; i++)
		rc = symlink_in(dir, links[i].rel, links[i].target, err);
	if (!rc)
		rc = stage_network(dir, o, err);
	if (!rc && o->hostname && *o->hostname)
		rc = stage_os_release(dir, o, err);
	if (!rc && ret_info)
		*ret_info = info;
	return rc;
}
