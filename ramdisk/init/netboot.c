/* netboot.c: init's part of a network boot: the server's kernel options, the state module hand-off and the
 * host name (see netboot.h). */
#include "netboot.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "fileio.h"
#include "fs.h"

#define SHOWN_MAX 80   /* a bad word is quoted up to this many bytes */

int netboot_hostname_valid(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > NETBOOT_HOSTNAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-')
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[len - 1] != '-';
}

void netboot_parse(const char *buf, size_t len, struct netboot_opts *ret)
{
	struct netboot_opts o;
	const char *w, *v;
	size_t pos = 0, wlen, vlen;

	memset(&o, 0, sizeof(o));
	while (cmdline_next_word(buf, len, &pos, &w, &wlen)) {
		if ((v = cmdline_value(w, wlen, "ramhost.net=", &vlen))) {
			o.net = vlen == 1 && v[0] == '1';
		} else if (cmdline_value(w, wlen, "ramhost.state.url=", &vlen)) {
			o.has_state_url = vlen > 0;
		} else if ((v = cmdline_value(w, wlen, "ramhost.hostname=", &vlen))) {
			o.has_hostname = netboot_hostname_valid(v, vlen);
			o.bad_hostname[0] = '\0';
			if (o.has_hostname) {
				memcpy(o.hostname, v, vlen);
				o.hostname[vlen] = '\0';
				continue;
			}
			/* shown as '?' where a byte is not printable: the console line stays one line */
			snprintf(o.bad_hostname, sizeof(o.bad_hostname), "kernel command line: '%.*s' is not "
				 "ramhost.hostname=NAME (RFC 1123: labels of 1-63 letters, digits, '-'; at most %d "
				 "characters)", (int)(wlen > SHOWN_MAX ? SHOWN_MAX : wlen), w, NETBOOT_HOSTNAME_MAX);
			for (char *p = o.bad_hostname; *p; p++)
				if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
					*p = '?';
		}
	}
	*ret = o;
}

/* 1 when name is a generation file's name: "state-" eight digits ".rhs". */
static int is_generation_name(const char *name)
{
	size_t i;

	if (strlen(name) != 18 || strncmp(name, "state-", 6) || strcmp(name + 14, ".rhs"))
		return 0;
	for (i = 6; i < 14; i++)
		if (!isdigit((unsigned char)name[i]))
			return 0;
	return 1;
}

int netboot_take_state(const char *src, const char *dst, unsigned *ret_n, struct rh_err *err)
{
	char from[4096], to[4096];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;
	int rc;

	rc = rh_mkdir_p(dst, 0700, err);
	if (rc < 0)
		return rc;
	d = opendir(src);
	if (!d) {
		*ret_n = 0;
		return errno == ENOENT ? 0 : rh_errf(err, -errno, "%s: %s", src, strerror(errno));
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!is_generation_name(de->d_name) || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		snprintf(from, sizeof(from), "%s/%s", src, de->d_name);
		rc = fs_join(to, sizeof(to), dst, de->d_name, err);
		if (rc == 0)
			rc = fs_copy_file(from, to, 0600, err);
		if (rc < 0) {
			unlink(to);
			goto out;
		}
		unlink(from);
		n++;
	}
	*ret_n = n;
out:
	closedir(d);
	return rc;
}

int netboot_set_hostname(const char *root, const char *name, int set_kernel, struct rh_err *err)
{
	char etc[4096], path[4200], tmp[4200], line[NETBOOT_HOSTNAME_MAX + 2];
	struct stat st;
	int fd, rc = 0;
	size_t len = strlen(name);

	if (!netboot_hostname_valid(name, len))
		return rh_errf(err, -EINVAL, "'%s': not a host name", name);
	snprintf(etc, sizeof(etc), "%s/etc", strcmp(root, "/") ? root : "");
	snprintf(path, sizeof(path), "%s/hostname", etc);
	snprintf(tmp, sizeof(tmp), "%s/.hostname.ramhost-tmp", etc);
	rc = rh_mkdir_p(etc, 0755, err);
	if (rc < 0)
		return rc;
	snprintf(line, sizeof(line), "%s\n", name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot create: %s", tmp, strerror(errno));
	rc = rh_write_all(fd, line, len + 1);
	/* keep what the old file was (a sticky /etc/hostname is what keeps the name across disk boots) */
	if (rc == 0 && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (fchown(fd, st.st_uid, st.st_gid) < 0 || fchmod(fd, st.st_mode & 07777) < 0))
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rh_errf(err, rc, "%s: cannot write: %s", path, strerror(-rc));
	}
	if (set_kernel && sethostname(name, len) < 0)
		return rh_errf(err, -errno, "sethostname %s: %s", name, strerror(errno));
	return 0;
}
