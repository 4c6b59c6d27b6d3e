/* test_vib_sig.c: sig.pkcs7 made and checked (vib/sig.c) with throwaway CAs that tests/fixtures/vib/mkca.sh
 * makes in a temporary directory: every level, a chain with an intermediate, tampered descriptor and
 * signature, wrong CA, wrong level, expired and not-yet-valid signers, a signer without code signing, empty and
 * community signatures; the level policy, the host level file and the trust directory list. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vib/sig.h"
#include "unit.h"

static char dir[] = "/tmp/test_vib_sig.XXXXXX";
static char trust[512];

static const char desc[] = "<vib version=\"1.0\"><name>hello</name><version>1.0-1</version></vib>\n";

static const char *path(const char *name)
{
	static char buf[4][512];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", dir, name);
	return buf[n];
}

/* Signs desc with test-SIGNER.{key,pem}; returns 0 and the DER in *sig. */
static int sign_as(const char *signer, void **sig, size_t *len)
{
	char key[64], cert[64];
	struct rh_err err = { 0 };
	int rc;

	snprintf(key, sizeof(key), "test-%s.key", signer);
	snprintf(cert, sizeof(cert), "test-%s.pem", signer);
	rc = vib_sig_sign(desc, sizeof(desc) - 1, path(key), path(cert), sig, len, &err);
	if (rc)
		fprintf(stderr, "  sign %s: %s\n", signer, err.msg);
	return rc;
}

enum tamper { NONE, DESC, SIG_BYTE, SIG_TRUNC, EMPTY, GARBAGE };

static void test_verify_table(void)
{
	static const struct {
		const char *signer;
		enum vib_level claimed;
		enum tamper tamper;
		const char *extra_ca;   /* file in dir, or NULL */
		time_t now;             /* 0: time(NULL) */
		int rc;
		const char *msg;        /* substring of the error */
	} rows[] = {
		{ "signer-certified", VIB_LEVEL_CERTIFIED, NONE, NULL, 0, 0, NULL },
		{ "signer-accepted", VIB_LEVEL_ACCEPTED, NONE, NULL, 0, 0, NULL },
		{ "signer-partner", VIB_LEVEL_PARTNER, NONE, NULL, 0, 0, NULL },
		{ "signer-chain", VIB_LEVEL_PARTNER, NONE, NULL, 0, 0, NULL },
		{ "signer-partner", VIB_LEVEL_PARTNER, DESC, NULL, 0, -EBADMSG, "tampered" },
		{ "signer-partner", VIB_LEVEL_PARTNER, SIG_BYTE, NULL, 0, -EBADMSG, NULL },
		{ "signer-partner", VIB_LEVEL_PARTNER, SIG_TRUNC, NULL, 0, -EBADMSG, "not a detached CMS" },
		{ "signer-partner", VIB_LEVEL_PARTNER, GARBAGE, NULL, 0, -EBADMSG, "not a detached CMS" },
		{ "signer-partner", VIB_LEVEL_PARTNER, EMPTY, NULL, 0, -ENOKEY, "sig.pkcs7 is empty" },
		{ "signer-partner", VIB_LEVEL_COMMUNITY, NONE, NULL, 0, -EPROTO, "community" },
		{ "signer-partner", VIB_LEVEL_COMMUNITY, EMPTY, NULL, 0, 0, NULL },
		{ "signer-rogue", VIB_LEVEL_PARTNER, NONE, NULL, 0, -EKEYREJECTED, "does not chain to a partner CA" },
		{ "signer-rogue", VIB_LEVEL_PARTNER, NONE, "test-ca-rogue.pem", 0, 0, NULL },
		{ "signer-partner", VIB_LEVEL_CERTIFIED, NONE, NULL, 0, -EKEYREJECTED, "certified CA" },
		{ "signer-certified", VIB_LEVEL_PARTNER, NONE, NULL, 0, -EKEYREJECTED, "partner CA" },
		{ "signer-expired", VIB_LEVEL_PARTNER, NONE, NULL, 0, -EKEYEXPIRED, "has expired" },
		/* `now` is the time checked: in 2020 the CA (made today) is not valid yet; in 2046 the signer expired */
		{ "signer-expired", VIB_LEVEL_PARTNER, NONE, NULL, 1590969600 /* 2020-06-01 */, -EKEYEXPIRED, "CA\" is not valid yet" },
		{ "signer-partner", VIB_LEVEL_PARTNER, NONE, NULL, 2400000000 /* 2046 */, -EKEYEXPIRED, "has expired" },
		{ "signer-future", VIB_LEVEL_PARTNER, NONE, NULL, 0, -EKEYEXPIRED, "not valid yet" },
		{ "signer-email", VIB_LEVEL_PARTNER, NONE, NULL, 0, -EKEYREJECTED, "code signing" },
	};
	const char *dirs[] = { "/nonexistent/trust", trust, NULL };
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err = { 0 };
		enum vib_level level = (enum vib_level)-1;
		void *sig = NULL;
		size_t slen = 0;
		char d[sizeof(desc)];
		int rc;

		if (sign_as(rows[i].signer, &sig, &slen)) {
			CHECK(!"sign");
			continue;
		}
		memcpy(d, desc, sizeof(desc));
		switch (rows[i].tamper) {
		case NONE: break;
		case DESC: d[20] ^= 1; break;
		case SIG_BYTE: ((uint8_t *)sig)[slen - 20] ^= 0x55; break;
		case SIG_TRUNC: slen /= 2; break;
		case EMPTY: slen = 0; break;
		case GARBAGE: memset(sig, 'A', slen); break;
		}
		rc = vib_sig_verify(d, sizeof(desc) - 1, sig, slen, rows[i].claimed, dirs,
				    rows[i].extra_ca ? path(rows[i].extra_ca) : NULL, rows[i].now ? rows[i].now : time(NULL),
				    &level, &err);
		if (rc != rows[i].rc || (rows[i].msg && !strstr(err.msg, rows[i].msg)) ||
		    (!rc && level != rows[i].claimed)) {
			fprintf(stderr, "  row %zu (%s): rc %d (want %d) level %d: %s\n", i, rows[i].signer, rc, rows[i].rc,
				(int)level, err.msg);
			CHECK(!"row");
		}
		free(sig);
	}
}

/* A store with no CA for the level, and a store with a file that is not PEM. */
static void test_trust_store_errors(void)
{
	const char *none[] = { "/nonexistent", NULL };
	const char *bad[] = { path("badtrust"), NULL };
	struct rh_err err = { 0 };
	enum vib_level level;
	void *sig = NULL;
	size_t slen;
	FILE *f;
	char cmd[1024];

	CHECK(sign_as("signer-partner", &sig, &slen) == 0);
	CHECK(vib_sig_verify(desc, sizeof(desc) - 1, sig, slen, VIB_LEVEL_PARTNER, none, NULL, time(NULL), &level,
			     &err) == -EKEYREJECTED);
	CHECK(strstr(err.msg, "no partner CA") != NULL);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/badtrust/partner", dir);
	CHECK(system(cmd) == 0);
	f = fopen(path("badtrust/partner/junk.pem"), "w");
	CHECK(f != NULL);
	if (f) {
		fputs("not a certificate\n", f);
		fclose(f);
	}
	rh_err_clear(&err);
	CHECK(vib_sig_verify(desc, sizeof(desc) - 1, sig, slen, VIB_LEVEL_PARTNER, bad, NULL, time(NULL), &level,
			     &err) == -EINVAL);
	CHECK(strstr(err.msg, "junk.pem") != NULL);
	free(sig);
}

static void test_sign_errors(void)
{
	struct rh_err err = { 0 };
	void *sig = NULL;
	size_t len;

	CHECK(vib_sig_sign(desc, 10, path("test-signer-rogue.key"), path("test-signer-partner.pem"), &sig, &len, &err) ==
	      -EKEYREJECTED);
	CHECK(strstr(err.msg, "does not match") != NULL);
	rh_err_clear(&err);
	CHECK(vib_sig_sign(desc, 10, path("nope.key"), path("test-signer-partner.pem"), &sig, &len, &err) == -ENOENT);
	CHECK(strstr(err.msg, "nope.key") != NULL);
	rh_err_clear(&err);
	CHECK(vib_sig_sign(desc, 10, path("test-signer-partner.pem"), path("test-signer-partner.pem"), &sig, &len,
			   &err) == -EINVAL);
	rh_err_clear(&err);
	CHECK(vib_sig_sign(desc, 10, path("test-signer-partner.key"), path("test-signer-partner.key"), &sig, &len,
			   &err) == -EINVAL);
	CHECK(sig == NULL);
}

static void test_level_check(void)
{
	static const struct {
		enum vib_level level, policy;
		int rc;
	} rows[] = {
		{ VIB_LEVEL_CERTIFIED, VIB_LEVEL_PARTNER, 0 },
		{ VIB_LEVEL_PARTNER, VIB_LEVEL_PARTNER, 0 },
		{ VIB_LEVEL_COMMUNITY, VIB_LEVEL_COMMUNITY, 0 },
		{ VIB_LEVEL_COMMUNITY, VIB_LEVEL_PARTNER, -EPERM },
		{ VIB_LEVEL_PARTNER, VIB_LEVEL_CERTIFIED, -EPERM },
		{ VIB_LEVEL_ACCEPTED, VIB_LEVEL_CERTIFIED, -EPERM },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err = { 0 };

		CHECK(vib_level_check("hello", rows[i].level, rows[i].policy, &err) == rows[i].rc);
		if (rows[i].rc)
			CHECK(strstr(err.msg, "hello") && strstr(err.msg, "below the policy"));
	}
}

static void test_host_level(void)
{
	static const struct {
		const char *content; /* NULL: no file */
		int rc;
		enum vib_level level;
	} rows[] = {
		{ "certified\n", 0, VIB_LEVEL_CERTIFIED },
		{ "  community", 0, VIB_LEVEL_COMMUNITY },
		{ "accepted \n# comment\n", 0, VIB_LEVEL_ACCEPTED },
		{ "bogus\n", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ NULL, -ENOENT, 0 },
	};
	const char *file = path("acceptance");
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rh_err err = { 0 };
		enum vib_level level = (enum vib_level)-1;
		FILE *f;

		unlink(file);
		if (rows[i].content && (f = fopen(file, "w"))) {
			fputs(rows[i].content, f);
			fclose(f);
		}
		setenv("RAMHOST_ACCEPTANCE", file, 1);
		CHECK(vib_host_level(&level, &err) == rows[i].rc);
		if (!rows[i].rc)
			CHECK(level == rows[i].level);
		else
			CHECK(strstr(err.msg, file) != NULL);
	}
	unsetenv("RAMHOST_ACCEPTANCE");
}

static void test_host_trust(void)
{
	struct vib_trust t;

	unsetenv("RAMHOST_TRUST");
	CHECK(vib_host_trust(&t, NULL) == 0);
	CHECK_STR(t.dirs[0], VIB_TRUST_RUN);
	CHECK_STR(t.dirs[1], VIB_TRUST_SYSTEM);
	CHECK_STR(t.dirs[2], VIB_TRUST_ADMIN);
	CHECK(t.dirs[3] == NULL);
	setenv("RAMHOST_TRUST", "/a:/b/c::/d", 1);
	CHECK(vib_host_trust(&t, NULL) == 0);
	CHECK_STR(t.dirs[0], "/a");
	CHECK_STR(t.dirs[1], "/b/c");
	CHECK_STR(t.dirs[2], "/d");
	CHECK(t.dirs[3] == NULL);
	unsetenv("RAMHOST_TRUST");
}

int main(void)
{
	const char *top = getenv("TOP");
	char cmd[1024];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "bash %s/tests/fixtures/vib/mkca.sh %s", top ? top : ".", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "mkca.sh failed\n");
		printf("FAIL mkca\n");
		return 1;
	}
	snprintf(trust, sizeof(trust), "%s/trust", dir);
	RUN(test_verify_table);
	RUN(test_trust_store_errors);
	RUN(test_sign_errors);
	RUN(test_level_check);
	RUN(test_host_level);
	RUN(test_host_trust);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	UNIT_EXIT();
}
