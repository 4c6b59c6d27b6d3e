/* sig.c: sig.pkcs7 — a detached CMS signature (DER) over descriptor.xml — made and checked with OpenSSL 3,
 * and the host's acceptance policy. See sig.h and docs/vib-signing.md.
 *
 * Verification runs in two steps so that each failure has its own code: first the signature itself over the
 * descriptor's bytes, with the signer certificate the CMS carries (-EBADMSG when it does not match), then the
 * signer's chain against the claimed level's CAs only, at the caller's `now` (-EKEYREJECTED, -EKEYEXPIRED).
 * Chain purpose: OpenSSL 3.0 has no code-signing purpose, so the chain is built with purpose "any" and the
 * signer certificate is checked here: when it has an extended key usage, that must include codeSigning. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "fileio.h"
#include "sig.h"

/* OpenSSL's most recent error as text (and the queue cleared), for messages. */
static const char *ossl_err(char *buf, size_t cap)
{
	unsigned long e = ERR_peek_last_error();

	if (!e)
		snprintf(buf, cap, "no detail from OpenSSL");
	else
		ERR_error_string_n(e, buf, cap);
	ERR_clear_error();
	return buf;
}

/* A memory BIO holding the file at path (at most 1 MiB), so that a missing or unreadable file is reported with
 * its path and the system's reason rather than as an OpenSSL "system lib" error. */
static int pem_file_bio(const char *path, BIO **ret, struct rh_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	BIO *b;
	int rc = rh_read_file(path, 1 << 20, &buf, &len, err);

	if (rc < 0)
		return rc;
	b = BIO_new(BIO_s_mem());
	if (!b || BIO_write(b, buf, (int)len) != (int)len) {
		BIO_free(b);
		free(buf);
		return rh_errf(err, -ENOMEM, "out of memory");
	}
	free(buf);
	*ret = b;
	return 0;
}

/* Adds every PEM certificate of the file at path to store; *count grows by the number added. */
static int store_add_file(X509_STORE *store, const char *path, int *count, struct rh_err *err)
{
	char e[256];
	BIO *b = NULL;
	X509 *x;
	int rc = pem_file_bio(path, &b, err), n = 0;

	if (rc < 0)
		return rc;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		int ok = X509_STORE_add_cert(store, x);

		X509_free(x);
		if (ok != 1) {
			rc = rh_errf(err, -EINVAL, "%s: cannot add a certificate: %s", path, ossl_err(e, sizeof(e)));
			goto out;
		}
		n++;
	}
	ERR_clear_error(); /* the loop ends on "no start line" */
	if (!n) {
		rc = rh_errf(err, -EINVAL, "%s: no PEM certificate in the file", path);
		goto out;
	}
	*count += n;
out:
	BIO_free(b);
	return rc;
}

/* The signing key, its certificate and the rest of the chain file (intermediates, carried in the CMS so that
 * verifiers can build the chain); the key must match the certificate. The caller frees all three. */
static int load_signer(const char *key_path, const char *cert_path, EVP_PKEY **key, X509 **cert,
		       STACK_OF(X509) **chain, struct rh_err *err)
{
	BIO *kb = NULL, *cb = NULL;
	X509 *x;
	char e[256];
	int rc = 0;

	rc = pem_file_bio(key_path, &kb, err);
	if (rc < 0) {
		rh_err_prefix(err, rc, "signing key");
		goto out;
	}
	*key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	if (!*key) {
		rc = rh_errf(err, -EINVAL, "%s: not a PEM private key (or encrypted): %s", key_path, ossl_err(e, sizeof(e)));
		goto out;
	}
	rc = pem_file_bio(cert_path, &cb, err);
	if (rc < 0) {
		rh_err_prefix(err, rc, "signing certificate");
		goto out;
	}
	*cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	if (!*cert) {
		rc = rh_errf(err, -EINVAL, "%s: no PEM certificate: %s", cert_path, ossl_err(e, sizeof(e)));
		goto out;
	}
	*chain = sk_X509_new_null();
	if (!*chain) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(cb, NULL, NULL, NULL))) {
		if (!sk_X509_push(*chain, x)) {
			X509_free(x);
			rc = rh_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	ERR_clear_error(); /* the loop ends on "no start line" */
	if (!X509_check_private_key(*cert, *key)) {
		rc = rh_errf(err, -EKEYREJECTED, "%s: the key does not match the certificate %s", key_path, cert_path);
		ERR_clear_error();
	}
out:
	BIO_free(kb);
	BIO_free(cb);
	return rc;
}

int vib_sig_sign(const void *desc, size_t dlen, const char *key_path, const char *cert_path, void **ret_sig,
		 size_t *ret_len, struct rh_err *err)
{
	char e[256];
	BIO *in = NULL, *out = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *chain = NULL;
	CMS_ContentInfo *cms = NULL;
	BUF_MEM *mem;
	void *sig;
	int rc;

	ERR_clear_error();
	rc = load_signer(key_path, cert_path, &key, &cert, &chain, err);
	if (rc)
		goto out;
	in = BIO_new_mem_buf(desc, (int)dlen);
	out = BIO_new(BIO_s_mem());
	if (!in || !out || dlen > (size_t)VIB_DESC_MAX) {
		rc = rh_errf(err, dlen > (size_t)VIB_DESC_MAX ? -E2BIG : -ENOMEM, "cannot sign %zu bytes", dlen);
		goto out;
	}
	cms = CMS_sign(cert, key, chain, in, CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP);
	if (!cms || i2d_CMS_bio(out, cms) != 1) {
		rc = rh_errf(err, -EINVAL, "%s: signing failed: %s", cert_path, ossl_err(e, sizeof(e)));
		goto out;
	}
	BIO_get_mem_ptr(out, &mem);
	sig = malloc(mem->length ? mem->length : 1);
	if (!sig) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(sig, mem->data, mem->length);
	*ret_sig = sig;
	*ret_len = mem->length;
	rc = 0;
out:
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

/* Adds every *.pem of DIR/LEVEL to store; a missing directory adds nothing. *count: certificates loaded. */
static int store_add_dir(X509_STORE *store, const char *dir, const char *level, int *count, struct rh_err *err)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, level) >= (int)sizeof(path))
		return rh_errf(err, -ENAMETOOLONG, "%s: trust directory path too long", dir);
	d = opendir(path);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return rh_errf(err, -errno, "%s: %s", path, strerror(errno));
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char file[4096 + 256];
		struct stat st;

		if (n < 5 || strcmp(de->d_name + n - 4, ".pem") || de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (stat(file, &st) || !S_ISREG(st.st_mode))
			continue;
		rc = store_add_file(store, file, count, err);
		if (rc < 0)
			break;
	}
	closedir(d);
	return rc;
}

/* The X509_STORE of one level: its CAs in every trust dir, plus extra_ca when set. */
static int level_store(enum vib_level level, const char *const *trust_dirs, const char *extra_ca, time_t now,
		       X509_STORE **ret, struct rh_err *err)
{
	X509_STORE *store = X509_STORE_new();
	X509_VERIFY_PARAM *param;
	int count = 0, rc;
	size_t i;

	if (!store)
		return rh_errf(err, -ENOMEM, "out of memory");
	for (i = 0; trust_dirs && trust_dirs[i]; i++) {
		rc = store_add_dir(store, trust_dirs[i], vib_level_str(level), &count, err);
		if (rc)
			goto fail;
	}
	if (extra_ca) {
		rc = store_add_file(store, extra_ca, &count, err);
		if (rc < 0) {
			rh_err_prefix(err, rc, "--trust");
			goto fail;
		}
	}
	if (!count) {
		rc = rh_errf(err, -EKEYREJECTED, "no %s CA in the trust store (%s/%s%s)", vib_level_str(level),
			     trust_dirs && trust_dirs[0] ? trust_dirs[0] : "(none)", vib_level_str(level),
			     trust_dirs && trust_dirs[0] && trust_dirs[1] ? " and the others" : "");
		goto fail;
	}
	param = X509_STORE_get0_param(store);
	X509_VERIFY_PARAM_set_time(param, now);
	X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_ANY);
	*ret = store;
	return 0;
fail:
	X509_STORE_free(store);
	return rc;
}

/* The subject of x as one line, for messages. */
static const char *subject(X509 *x, char *buf, size_t cap)
{
	if (!x || !X509_NAME_oneline(X509_get_subject_name(x), buf, (int)cap))
		snprintf(buf, cap, "(unknown signer)");
	return buf;
}

/* Verifies the signer's chain against store and maps OpenSSL's reason to sig.h's codes. */
static int check_chain(X509 *signer, STACK_OF(X509) *untrusted, X509_STORE *store, enum vib_level level,
		       struct rh_err *err)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	char s[256];
	int rc, verr;

	if (!ctx || !X509_STORE_CTX_init(ctx, store, signer, untrusted)) {
		X509_STORE_CTX_free(ctx);
		return rh_errf(err, -ENOMEM, "out of memory");
	}
	if (X509_verify_cert(ctx) == 1) {
		rc = 0;
		goto out;
	}
	verr = X509_STORE_CTX_get_error(ctx);
	switch (verr) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		rc = rh_errf(err, -EKEYEXPIRED, "signer \"%s\": certificate \"%s\" %s",
			     subject(signer, s, sizeof(s)), subject(X509_STORE_CTX_get_current_cert(ctx), s + 128, 128),
			     verr == X509_V_ERR_CERT_HAS_EXPIRED ? "has expired" : "is not valid yet");
		break;
	default:
		rc = rh_errf(err, -EKEYREJECTED, "signer \"%s\" does not chain to a %s CA of the trust store: %s",
			     subject(signer, s, sizeof(s)), vib_level_str(level), X509_verify_cert_error_string(verr));
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	return rc;
}

/* The descriptor's bytes as CMS_verify's content. Behind a null filter: CMS_verify copies a bare memory BIO into a
 * temporary one that OpenSSL 3.0 leaks when the digest is unknown (found by fuzz_vib_sig); with a filter on top
 * it reads the caller's BIO directly. NULL when out of memory. */
static BIO *content_bio(const void *desc, size_t dlen)
{
	BIO *content = BIO_new_mem_buf(desc, (int)dlen), *filter;

	if (!content)
		return NULL;
	filter = BIO_new(BIO_f_null());
	if (!filter) {
		BIO_free(content);
		return NULL;
	}
	return BIO_push(filter, content);
}

/* Every signer chains to the claimed level's CAs (store) and may sign code. */
static int check_signers(STACK_OF(X509) *signers, STACK_OF(X509) *certs, X509_STORE *store, enum vib_level claimed,
			 struct rh_err *err)
{
	char s[256];
	int i, rc;

	for (i = 0; i < sk_X509_num(signers); i++) {
		X509 *signer = sk_X509_value(signers, i);
		uint32_t xku = X509_get_extended_key_usage(signer);

		if (!(xku & (XKU_CODE_SIGN | XKU_ANYEKU))) /* no EKU at all reads as every usage */
			return rh_errf(err, -EKEYREJECTED, "signer \"%s\": its extended key usage does not allow code "
							   "signing", subject(signer, s, sizeof(s)));
		rc = check_chain(signer, certs, store, claimed, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* What can be said before parsing the signature: the level is known, a community VIB carries no signature
 * (1: done, *ret_level set), any other one does, and the sizes are bounded. */
static int sig_precheck(size_t dlen, size_t slen, enum vib_level claimed, enum vib_level *ret_level,
			struct rh_err *err)
{
	if ((unsigned)claimed > VIB_LEVEL_CERTIFIED)
		return rh_errf(err, -EPROTO, "unknown acceptance level %d", (int)claimed);
	if (claimed == VIB_LEVEL_COMMUNITY) {
		if (slen)
			return rh_errf(err, -EPROTO, "a community VIB must not carry a signature (sig.pkcs7 has %zu bytes)",
				       slen);
		*ret_level = VIB_LEVEL_COMMUNITY;
		return 1;
	}
	if (!slen)
		return rh_errf(err, -ENOKEY, "the VIB claims the %s level but sig.pkcs7 is empty", vib_level_str(claimed));
	if (slen > (size_t)VIB_DESC_MAX || dlen > (size_t)VIB_DESC_MAX)
		return rh_errf(err, -EBADMSG, "sig.pkcs7 (%zu bytes) or descriptor (%zu bytes) too large", slen, dlen);
	return 0;
}

int vib_sig_verify(const void *desc, size_t dlen, const void *sig, size_t slen, enum vib_level claimed,
		   const char *const *trust_dirs, const char *extra_ca, time_t now, enum vib_level *ret_level,
		   struct rh_err *err)
{
	const unsigned char *p = sig;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *signers = NULL, *certs = NULL;
	X509_STORE *store = NULL;
	BIO *content = NULL;
	char e[256];
	int rc;

	ERR_clear_error();
	rc = sig_precheck(dlen, slen, claimed, ret_level, err);
	if (rc)
		return rc < 0 ? rc : 0;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)slen);
	if (!cms || p != (const unsigned char *)sig + slen ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed || !CMS_is_detached(cms)) {
		rc = rh_errf(err, -EBADMSG, "sig.pkcs7 is not a detached CMS signature (DER): %s", ossl_err(e, sizeof(e)));
		goto out;
	}
	content = content_bio(desc, dlen);
	if (!content) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* Step 1: the signature over these exact bytes, with the certificates the CMS carries. */
	if (CMS_verify(cms, NULL, NULL, content, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		rc = rh_errf(err, -EBADMSG, "the signature does not verify over descriptor.xml (tampered?): %s",
			     ossl_err(e, sizeof(e)));
		goto out;
	}
	signers = CMS_get0_signers(cms);
	certs = CMS_get1_certs(cms);
	if (!signers || sk_X509_num(signers) < 1) {
		rc = rh_errf(err, -EBADMSG, "sig.pkcs7 names no signer certificate");
		goto out;
	}
	rc = level_store(claimed, trust_dirs, extra_ca, now, &store, err);
	if (rc)
		goto out;
	/* Step 2: every signer chains to the claimed level's CAs and may sign code. */
	rc = check_signers(signers, certs, store, claimed, err);
	if (rc)
		goto out;
	*ret_level = claimed;
out:
	ERR_clear_error();
	sk_X509_free(signers);
	sk_X509_pop_free(certs, X509_free);
	X509_STORE_free(store);
	BIO_free_all(content);
	CMS_ContentInfo_free(cms);
	return rc;
}

int vib_level_check(const char *vib_name, enum vib_level level, enum vib_level policy, struct rh_err *err)
{
	if (vib_level_accepts(policy, level))
		return 0;
	return rh_errf(err, -EPERM, "VIB %s: acceptance level %s is below the policy %s (level below policy)",
		       vib_name ? vib_name : "(unnamed)", vib_level_str(level), vib_level_str(policy));
}

/* Reads the level word of path into *ret (0), or -ENOENT when path does not exist. */
static int read_level_file(const char *path, enum vib_level *ret, struct rh_err *err)
{
	char *buf = NULL, *w, *end;
	size_t len;
	int rc;

	rc = rh_read_file(path, 256, &buf, &len, NULL);
	if (rc == -ENOENT)
		return rc;
	if (rc)
		return rh_errf(err, rc, "%s: cannot read the acceptance level: %s", path, strerror(-rc));
	for (w = buf; *w == ' ' || *w == '\t' || *w == '\n' || *w == '\r'; w++)
		;
	for (end = w; *end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r'; end++)
		;
	*end = '\0';
	if (vib_level_parse(w, ret) == 0) {
		free(buf);
		return 0;
	}
	rc = rh_errf(err, -EINVAL, "%s: unknown acceptance level \"%.64s\" (community, partner, accepted, certified)",
		     path, w);
	free(buf);
	return rc;
}

int vib_host_level(enum vib_level *ret_level, struct rh_err *err)
{
	const char *env = getenv("RAMHOST_ACCEPTANCE");
	int rc;

	if (env && *env) {
		rc = read_level_file(env, ret_level, err);
		if (rc == -ENOENT)
			return rh_errf(err, rc, "%s (RAMHOST_ACCEPTANCE): no such file", env);
		return rc;
	}
	rc = read_level_file(VIB_ACCEPTANCE_ADMIN, ret_level, err);
	if (rc != -ENOENT)
		return rc;
	rc = read_level_file(VIB_ACCEPTANCE_RUN, ret_level, err);
	if (rc != -ENOENT)
		return rc;
	*ret_level = VIB_LEVEL_PARTNER;
	return 0;
}

int vib_host_trust(struct vib_trust *t, struct rh_err *err)
{
	const char *env = getenv("RAMHOST_TRUST");
	size_t n = 0;
	char *p, *save = NULL;

	memset(t, 0, sizeof(*t));
	if (!env || !*env) {
		t->dirs[0] = VIB_TRUST_RUN;
		t->dirs[1] = VIB_TRUST_SYSTEM;
		t->dirs[2] = VIB_TRUST_ADMIN;
		return 0;
	}
	if (strlen(env) >= sizeof(t->buf))
		return rh_errf(err, -ENAMETOOLONG, "RAMHOST_TRUST is too long (%zu bytes)", strlen(env));
	strcpy(t->buf, env);
	for (p = strtok_r(t->buf, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		if (n == VIB_TRUST_DIRS_MAX)
			return rh_errf(err, -E2BIG, "RAMHOST_TRUST names more than %d directories", VIB_TRUST_DIRS_MAX);
		t->dirs[n++] = p;
	}
	return 0;
}
