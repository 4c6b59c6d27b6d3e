/* test_netboot.c: a network boot's kernel options on the host side: init's ramhost.hostname / ramhost.net /
 * ramhost.state.url (ramdisk/init/netboot.c, with the state module hand-off and the host name written to
 * ROOT/etc/hostname) and `ramhost state`'s ramhost.state.url / ramhost.state.token (ramdisk/state/state_net.c).
 * Table-driven. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ramdisk/init/netboot.h"
#include "ramdisk/state/state_net.h"
#include "fs.h"
#include "unit.h"

static void test_hostname_valid(void)
{
	static const struct {
		const char *name;
		int ok;
	} t[] = {
		{ "node1", 1 }, { "web-525400123456", 1 }, { "a", 1 }, { "1host", 1 }, { "a.b.example", 1 },
		{ "x-y.lab-1.example", 1 }, { "UPPER.case", 1 },
		{ "", 0 }, { "-lead", 0 }, { "trail-", 0 }, { "a..b", 0 }, { ".a", 0 }, { "a.", 0 }, { "a.-b", 0 },
		{ "a-.b", 0 }, { "under_score", 0 }, { "sp ace", 0 }, { "new\nline", 0 }, { "caf\xc3\xa9", 0 },
		{ "slash/x", 0 },
	};
	char label[70], longname[300];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (netboot_hostname_valid(t[i].name, strlen(t[i].name)) != t[i].ok) {
			fprintf(stderr, "  '%s': expected %d\n", t[i].name, t[i].ok);
			CHECK(0);
		}
	memset(label, 'a', 63);
	label[63] = '\0';
	CHECK(netboot_hostname_valid(label, 63));
	CHECK(!netboot_hostname_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64));
	/* 4 labels of 63 and dots: 255 > 253 */
	snprintf(longname, sizeof(longname), "%s.%s.%s.%.61s", label, label, label, label);
	CHECK(strlen(longname) == 253 && netboot_hostname_valid(longname, 253));
	snprintf(longname, sizeof(longname), "%s.%s.%s.%.62s", label, label, label, label);
	CHECK(!netboot_hostname_valid(longname, strlen(longname)));
}

static void test_netboot_parse(void)
{
	static const struct {
		const char *text;
		int net, has_url, has_name;
		const char *name, *bad;   /* bad: substring of bad_hostname, or NULL for none */
	} t[] = {
		{ "", 0, 0, 0, "", NULL },
		{ "console=ttyS0 ramhost.bank=1", 0, 0, 0, "", NULL },
		{ "ramhost.net=1 ramhost.hostname=node1 ramhost.state.url=http://10.0.0.1:8080/host/m/state", 1, 1, 1,
		  "node1", NULL },
		{ "ramhost.hostname=\"web-1.lab\"", 0, 0, 1, "web-1.lab", NULL },
		{ "ramhost.net=0 ramhost.state.url=", 0, 0, 0, "", NULL },
		{ "ramhost.hostname=bad_name", 0, 0, 0, "", "'ramhost.hostname=bad_name' is not ramhost.hostname=NAME" },
		{ "ramhost.hostname=", 0, 0, 0, "", "is not ramhost.hostname=NAME" },
		{ "ramhost.hostname=-x ramhost.hostname=ok", 0, 0, 1, "ok", NULL },
		{ "ramhost.hostname=ok ramhost.hostname=no.", 0, 0, 0, "", "'ramhost.hostname=no.'" },
		{ "ramhost.hostname=\"a\x1b[2Jb\"", 0, 0, 0, "", "a?[2Jb" },
		{ "ramhost.hostnamex=1 ramhost.netx=1", 0, 0, 0, "", NULL },
		{ "ramhost.hostname=one\0ramhost.hostname=two", 0, 0, 1, "one", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct netboot_opts o;
		size_t len = strlen(t[i].text);

		if (i == sizeof(t) / sizeof(t[0]) - 1)
			len = sizeof("ramhost.hostname=one\0ramhost.hostname=two") - 1;
		netboot_parse(t[i].text, len, &o);
		CHECK(o.net == t[i].net && o.has_state_url == t[i].has_url && o.has_hostname == t[i].has_name);
		if (t[i].has_name)
			CHECK_STR(o.hostname, t[i].name);
		if (t[i].bad)
			CHECK(strstr(o.bad_hostname, t[i].bad) != NULL);
		else
			CHECK(o.bad_hostname[0] == '\0');
		if (unit_failed_now) {
			fprintf(stderr, "  row %zu: %s -> %d %d %d '%s' '%s'\n", i, t[i].text, o.net, o.has_state_url,
				o.has_hostname, o.hostname, o.bad_hostname);
			return;
		}
	}
}

static void test_state_net_parse(void)
{
	static const struct {
		const char *text;
		int rc, on;
		const char *url, *token, *server, *msg;
	} t[] = {
		{ "", 0, 0, "", "", "", NULL },
		{ "ramhost.state.token=abc", 0, 0, "", "abc", "", NULL },
		{ "ramhost.state.url=http://10.0.0.1:8080/host/52-54-00-12-34-56/state ramhost.state.token=0a.52-ff", 0, 1,
		  "http://10.0.0.1:8080/host/52-54-00-12-34-56/state", "0a.52-ff", "10.0.0.1:8080", NULL },
		{ "ramhost.state.url=https://pxe.example/s ramhost.state.token=Zz+/=~_.-", 0, 1, "https://pxe.example/s",
		  "Zz+/=~_.-", "pxe.example", NULL },
		{ "ramhost.state.url=http://h", 0 - EINVAL, 0, "", "", "", "without ramhost.state.token=" },
		{ "ramhost.state.url=ftp://h/x ramhost.state.token=t", -EINVAL, 0, "", "", "",
		  "'ramhost.state.url=ftp://h/x' is not an http://SERVER:PORT/PATH URL" },
		{ "ramhost.state.url=http:///x ramhost.state.token=t", -EINVAL, 0, "", "", "", "is not an http://" },
		{ "ramhost.state.url=\"http://h/a b\" ramhost.state.token=t", -EINVAL, 0, "", "", "", "is not" },
		{ "ramhost.state.url=http://h/\\x ramhost.state.token=t", -EINVAL, 0, "", "", "", "is not" },
		{ "ramhost.state.url=http://h/x ramhost.state.token=", -EINVAL, 0, "", "", "", "ramhost.state.token= is not" },
		{ "ramhost.state.url=http://h/x ramhost.state.token=a:b", -EINVAL, 0, "", "", "", "is not 1-255" },
		{ "ramhost.state.url=http://h/x ramhost.state.token=\"a\rX-Evil: 1\"", -EINVAL, 0, "", "", "", "is not" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct state_net n;
		struct rh_err err = { 0, "" };
		int rc;

		memset(&n, 0x55, sizeof(n));
		rc = state_net_parse(t[i].text, strlen(t[i].text), &n, &err);
		CHECK(rc == t[i].rc);
		if (rc == 0) {
			CHECK(n.on == t[i].on);
			CHECK_STR(n.url, t[i].url);
			CHECK_STR(n.token, t[i].token);
			CHECK_STR(n.server, t[i].server);
		} else {
			CHECK(strstr(err.msg, t[i].msg) != NULL);
		}
		if (unit_failed_now) {
			fprintf(stderr, "  row %zu: %s -> %d '%s'\n", i, t[i].text, rc, err.msg);
			return;
		}
	}
}

/* The state module's files move into the net store; anything else in /state stays. */
static void test_take_state(void)
{
	char dir[] = "/tmp/test_netboot.XXXXXX", src[64], dst[80], p[128];
	struct rh_err err = { 0, "" };
	struct stat st;
	unsigned n = 99;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(src, sizeof(src), "%s/state", dir);
	snprintf(dst, sizeof(dst), "%s/sysroot/run/ramhost/state-net", dir);
	/* no module: nothing to move, the net store is made all the same */
	CHECK(netboot_take_state(src, dst, &n, &err) == 0 && n == 0);
	CHECK(stat(dst, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	CHECK(mkdir(src, 0755) == 0);
	snprintf(p, sizeof(p), "%s/state-00000007.rhs", src);
	CHECK(fs_write_file(p, "gen7", 4, 0644, &err) == 0);
	snprintf(p, sizeof(p), "%s/notes.txt", src);
	CHECK(fs_write_file(p, "x", 1, 0644, &err) == 0);
	snprintf(p, sizeof(p), "%s/state-7.rhs", src);
	CHECK(fs_write_file(p, "x", 1, 0644, &err) == 0);
	CHECK(netboot_take_state(src, dst, &n, &err) == 0 && n == 1);
	snprintf(p, sizeof(p), "%s/state-00000007.rhs", dst);
	CHECK(stat(p, &st) == 0 && st.st_size == 4 && (st.st_mode & 0777) == 0600);
	snprintf(p, sizeof(p), "%s/state-00000007.rhs", src);
	CHECK(access(p, F_OK) < 0);
	snprintf(p, sizeof(p), "%s/notes.txt", src);
	CHECK(access(p, F_OK) == 0);
	snprintf(p, sizeof(p), "%s/state-7.rhs", dst);
	CHECK(access(p, F_OK) < 0);
	CHECK(fs_rm_rf(dir, &err) == 0);
}

/* ROOT/etc/hostname is replaced, keeping its mode (a sticky /etc/hostname stays sticky); sethostname is tried
 * in a child in its own UTS namespace (root only). */
static void test_set_hostname(void)
{
	char dir[] = "/tmp/test_netboot.XXXXXX", p[80], buf[64];
	struct rh_err err = { 0, "" };
	struct stat st;
	ssize_t n;
	int fd, status;
	pid_t pid;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(netboot_set_hostname(dir, "node1", 0, &err) == 0);
	snprintf(p, sizeof(p), "%s/etc/hostname", dir);
	fd = open(p, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	CHECK(n == 6 && !memcmp(buf, "node1\n", 6));
	close(fd);
	CHECK(chmod(p, 01644) == 0);
	CHECK(netboot_set_hostname(dir, "web-2.lab", 0, &err) == 0);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 01644 && st.st_size == 10);
	CHECK(netboot_set_hostname(dir, "bad_name", 0, &err) == -EINVAL);
	CHECK(stat(p, &st) == 0 && st.st_size == 10);
	if (geteuid() == 0) {
		pid = fork();
		if (pid == 0) {
			struct rh_err e = { 0, "" };
			char got[64] = "";

			if (unshare(CLONE_NEWUTS) < 0)
				_exit(0);   /* no namespaces here: nothing to check */
			if (netboot_set_hostname(dir, "uts-test", 1, &e) < 0 || gethostname(got, sizeof(got)) < 0)
				_exit(1);
			_exit(strcmp(got, "uts-test") ? 1 : 0);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK(fs_rm_rf(dir, &err) == 0);
}

/* state.env says where a diskless host's state came from (source=net), and reads back. */
static void test_state_env_net(void)
{
	static const char text[] = "generation=3\nstore=/run/ramhost/state-net\ndevice=server 10.0.0.1:8080\n"
				   "source=net\n";
	struct rh_err err = { 0, "" };
	struct state_env e, back;
	char out[3 * STATE_PATH_MAX];
	long n;

	CHECK(state_env_parse(text, strlen(text), &e, &err) == 0 && e.net && e.generation == 3);
	n = state_env_format(&e, out, sizeof(out));
	CHECK(n == (long)strlen(text) && !memcmp(out, text, (size_t)n));
	CHECK(state_env_parse(out, (size_t)n, &back, &err) == 0 && back.net);
	CHECK(state_env_parse("generation=none\nsource=disk\n", 28, &e, &err) == 0 && !e.net);
	e.net = 0;
	n = state_env_format(&e, out, sizeof(out));
	CHECK(n > 0 && !strstr(out, "source="));
}

int main(void)
{
	RUN(test_hostname_valid);
	RUN(test_netboot_parse);
	RUN(test_state_net_parse);
	RUN(test_take_state);
	RUN(test_set_hostname);
	RUN(test_state_env_net);
	UNIT_EXIT();
}
