/* resolve.c: what a request path means (server.h pxe_resolve), the same for TFTP and HTTP. The namespace is
 * closed: a/HEX[/NAME], img/IMAGE/ramhost.efi, ipxe/{undionly.kpxe,ipxe.efi,snponly.efi}, boot.ipxe and
 * host/MAC/{boot.ipxe,boot.cfg,boot.cfg.sig,bootcfg.cpio,state/N.cpio}; anything else is refused (-EACCES)
 * with the reason, before any file is opened. Files are opened only by names built here (an artifact by its
 * exact hash), with O_NOFOLLOW, and must be regular files. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mac.h"
#include "pxe_int.h"
#include "sha256.h"
#include "tftp.h"
#include "urlpath.h"

#define MAX_SEGS 5

static int refuse(struct rh_err *err, const char *path, const char *why)
{
	return rh_errf(err, -EACCES, "%s: refused: %s", path, why);
}

/* Checks that file is a regular file reached without a final symlink; fills a FILE object. */
/* The type of everything ramhost.efi may fetch over HTTP (loaders, artifacts, boot.cfg, its signature, state
 * modules): UEFI HTTP Boot's LoadFile (EDK2 HttpBootDxe) accepts a body only when it is typed application/efi
 * or its path ends in .efi, and the loader fetches through it. iPXE and curl do not care. */
#define TYPE_LOADABLE "application/efi"

static int file_obj(const char *file, const char *shown, struct pxe_obj *out, struct rh_err *err)
{
	struct stat st;
	int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		if (errno == ELOOP)
			return refuse(err, shown, "a symbolic link");
		return rh_errf(err, errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno, "%s: %s", shown,
			       strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return refuse(err, shown, "not a regular file");
	}
	close(fd);
	if (strlen(file) >= sizeof(out->path))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", shown);
	pxe_copy(out->path, sizeof(out->path), file);
	out->kind = PXE_OBJ_FILE;
	out->size = (uint64_t)st.st_size;
	out->content_type = TYPE_LOADABLE;
	return 0;
}

static int artifact(const struct pxe_config *cfg, char **seg, size_t n, const char *path, struct pxe_obj *out,
		    struct rh_err *err)
{
	char file[PATH_MAX];

	if (n > 3 || strlen(seg[1]) != SHA256_HEX_LEN || strspn(seg[1], "0123456789abcdef") != SHA256_HEX_LEN)
		return refuse(err, path, "an artifact is a/HEX or a/HEX/NAME (64 lower-case hex digits)");
	if (pxe_artifact_path(cfg, seg[1], file) < 0)
		return rh_errf(err, -ENOENT, "%s: no image has this artifact", path);
	out->immutable = 1;
	out->step = "artifact";
	return file_obj(file, path, out, err);
}

static int loader(const struct pxe_config *cfg, char **seg, size_t n, const char *path, struct pxe_obj *out,
		  struct rh_err *err)
{
	static const char *const ipxe[] = { "undionly.kpxe", "ipxe.efi", "snponly.efi" };
	char file[PATH_MAX];
	size_t i;

	out->step = "loader";
	if (!strcmp(seg[0], "ipxe")) {
		for (i = 0; n == 2 && i < 3; i++)
			if (!strcmp(seg[1], ipxe[i])) {
				if ((size_t)snprintf(file, sizeof(file), "%s/%s", cfg->set.ipxe_dir, ipxe[i]) >=
				    sizeof(file))
					return rh_errf(err, -ENAMETOOLONG, "%s: path too long", path);
				return file_obj(file, path, out, err);
			}
		return refuse(err, path, "ipxe/ serves undionly.kpxe, ipxe.efi and snponly.efi only");
	}
	if (n != 3 || strcmp(seg[2], "ramhost.efi"))
		return refuse(err, path, "img/ serves img/IMAGE/ramhost.efi only");
	for (i = 0; i < cfg->nimages; i++)
		if (!strcmp(cfg->images[i].name, seg[1])) {
			if ((size_t)snprintf(file, sizeof(file), "%s/ramhost.efi", cfg->images[i].dir) >=
			    sizeof(file))
				return rh_errf(err, -ENAMETOOLONG, "%s: path too long", path);
			return file_obj(file, path, out, err);
		}
	return rh_errf(err, -ENOENT, "%s: no image named %s", path, seg[1]);
}

static void bytes_obj(struct pxe_obj *out, void *buf, size_t len, const char *type, const char *step)
{
	out->kind = PXE_OBJ_BYTES;
	out->bytes = buf;
	out->size = len;
	out->content_type = type;
	out->step = step;
}

/* host/MAC/ready: the booted host's `ramhost ready` says it reached the ready line (a query is allowed and not
 * used). Nothing is decided by it: it makes the last step of a host visible in the log and in `pxe status`. */
static int host_ready(const char *mac_text, const char *query, struct pxe_obj *out, struct rh_err *err)
{
	uint8_t mac[6];
	char *ok;

	if (mac_parse(mac_text, mac) < 0)
		return rh_errf(err, -EACCES, "host/%s/ready: not a MAC address", mac_text);
	if (query && strlen(query) > 512)
		return rh_errf(err, -EACCES, "host/%s/ready: the query is over 512 bytes", mac_text);
	ok = strdup("ok\n");
	if (!ok)
		return rh_errf(err, -ENOMEM, "out of memory");
	mac_format(mac, ':', out->mac);
	bytes_obj(out, ok, 3, "text/plain", "ready");
	return 0;
}

/* "N.cpio" with N a decimal generation number. */
static int state_gen(const char *s, uint64_t *ret)
{
	char *end;

	if (!isdigit((unsigned char)s[0]) || strlen(s) > 26)
		return -EINVAL;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	return errno || strcmp(end, ".cpio") ? -EINVAL : 0;
}

/* One decoded query value into dst (cap bytes): no control characters, shorter than cap. */
static int query_value(const char *key, const char *v, size_t n, char *dst, size_t cap, struct rh_err *err)
{
	char tmp[4 * PXE_FACT_MAX];
	int len = urlpath_decode(v, n, tmp, sizeof(tmp));
	int i;

	if (len < 0 || (size_t)len >= cap)
		return rh_errf(err, -EINVAL, "query %s: %s", key, len < 0 && len != -ENAMETOOLONG ?
			       "bad %-escape" : "too long");
	for (i = 0; i < len; i++)
		if ((unsigned char)tmp[i] < 0x20 || tmp[i] == 0x7f)
			return rh_errf(err, -EINVAL, "query %s: a control character", key);
	memcpy(dst, tmp, (size_t)len + 1);
	return 0;
}

/* iPXE's ${platform} (pcbios, efi) and ${buildarch} (i386, x86_64, arm32, arm64) as an RFC 4578 type. */
static int ipxe_arch(const char *platform, const char *buildarch)
{
	if (!strcmp(platform, "pcbios"))
		return 0;
	if (strcmp(platform, "efi"))
		return -1;
	if (!strcmp(buildarch, "x86_64"))
		return 7;
	if (!strcmp(buildarch, "i386"))
		return 6;
	if (!strcmp(buildarch, "arm64"))
		return 11;
	return !strcmp(buildarch, "arm32") ? 10 : -1;
}

int pxe_query_merge(const char *query, struct pxe_facts *f, struct rh_err *err)
{
	static const char *const keys[] = { "uuid", "serial", "asset", "manufacturer", "product", "arch",
					    "platform" };
	char arch[PXE_FACT_MAX] = "", platform[PXE_FACT_MAX] = "", uuid[PXE_FACT_MAX] = "";
	char *dst[] = { uuid, f->serial, f->asset, f->manufacturer, f->product, arch, platform };
	int rc = 0;

	while (*query && !rc) {
		size_t n = strcspn(query, "&"), k = strcspn(query, "=&"), i;

		for (i = 0; k < n && i < 7; i++)
			if (strlen(keys[i]) == k && !memcmp(query, keys[i], k))
				rc = query_value(keys[i], query + k + 1, n - k - 1, dst[i], PXE_FACT_MAX, err);
		query += n + (query[n] == '&');
	}
	if (rc)
		return rc;
	if (uuid[0]) {
		size_t i;

		/* 8-4-4-4-12 hex, as iPXE's ${uuid} prints it */
		if (strlen(uuid) != 36)
			return rh_errf(err, -EINVAL, "query uuid: not a UUID");
		for (i = 0; i < 36; i++)
			if ((i == 8 || i == 13 || i == 18 || i == 23) ? uuid[i] != '-' : !isxdigit((unsigned char)uuid[i]))
				return rh_errf(err, -EINVAL, "query uuid: not a UUID");
			else
				uuid[i] = (char)tolower((unsigned char)uuid[i]);
		memcpy(f->uuid, uuid, 37);
	}
	if (ipxe_arch(platform, arch) >= 0)
		f->arch = ipxe_arch(platform, arch);
	return 0;
}

/* The query the host's own URLs carry on, rebuilt from the checked facts (never the raw request text). */
static void facts_query(const struct pxe_facts *f, char *out, size_t cap)
{
	const char *keys[] = { "uuid", "serial", "asset", "manufacturer", "product" };
	const char *vals[] = { f->uuid, f->serial, f->asset, f->manufacturer, f->product };
	char enc[3 * PXE_FACT_MAX + 1];
	size_t len = 0, i;

	out[0] = '\0';
	for (i = 0; i < 5; i++) {
		if (!vals[i][0] || urlpath_encode(vals[i], strlen(vals[i]), enc, sizeof(enc)) < 0)
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%c%s=%s", len ? '&' : '?', keys[i], enc);
		if (len >= cap) {
			out[0] = '\0';
			return;
		}
	}
}

static int host_bytes(struct pxe_gen *g, const char *what, uint64_t gen, struct pxe_obj *out, struct rh_err *err)
{
	char *text = NULL;
	uint8_t *bin = NULL;
	size_t len = 0;
	int rc;

	if (!strcmp(what, "state")) {
		rc = pxe_gen_state_cpio(g, gen, &bin, &len, err);
		if (!rc)
			bytes_obj(out, bin, len, TYPE_LOADABLE, "state-load");
		return rc;
	}
	if (!strcmp(what, "boot.ipxe")) {
		rc = g->c->rule ? pxe_gen_script(g, &text, &len, err) : pxe_gen_nomatch_script(g->f, g->c, &text,
												 &len, err);
		if (!rc)
			bytes_obj(out, text, len, "text/plain", "script");
		return rc;
	}
	if (!g->c->rule)
		return rh_errf(err, -ENOENT, "host/%s/%s: %s", g->mac_hyp, what, g->c->why);
	if (!strcmp(what, "boot.cfg"))
		rc = pxe_gen_bootcfg(g, &text, &len, err);
	else if (!strcmp(what, "boot.cfg.sig"))
		rc = pxe_gen_bootcfg_sig(g, &bin, &len, err);
	else
		rc = pxe_gen_bootcfg_cpio(g, &bin, &len, err);
	if (!rc)
		bytes_obj(out, text ? (void *)text : (void *)bin, len, TYPE_LOADABLE, "bootcfg");
	return rc;
}

static int host(struct pxe_server *srv, const struct pxe_config *cfg, char **seg, size_t n, const char *path,
		const char *query, const struct pxe_facts *f, struct pxe_obj *out, struct rh_err *err)
{
	struct pxe_facts hf;
	struct pxe_choice c;
	struct pxe_gen g = { srv, cfg, &hf, &c, "", NULL };
	char q[6 * 3 * PXE_FACT_MAX];
	uint64_t gen = 0;
	int rc;

	if (n < 3 || mac_parse(seg[1], hf.mac) < 0)
		return refuse(err, path, n < 3 ? "host/MAC/FILE" : "host/MAC/...: not a MAC address");
	if (!(n == 3 && (!strcmp(seg[2], "boot.ipxe") || !strcmp(seg[2], "boot.cfg") ||
			 !strcmp(seg[2], "boot.cfg.sig") || !strcmp(seg[2], "bootcfg.cpio") ||
			 !strcmp(seg[2], "ready"))) &&
	    !(n == 4 && !strcmp(seg[2], "state") && state_gen(seg[3], &gen) == 0))
		return refuse(err, path, "a host serves boot.ipxe, boot.cfg, boot.cfg.sig, bootcfg.cpio, ready and "
				       "state/N.cpio only");
	if (n == 3 && !strcmp(seg[2], "ready"))
		return host_ready(seg[1], query, out, err);
	memset(&hf, 0, sizeof(hf));
	hf.arch = -1;
	if (f)
		hf = *f;
	rc = mac_parse(seg[1], hf.mac);
	hf.has_mac = 1;
	if (!rc && query)
		rc = pxe_query_merge(query, &hf, err);
	if (rc)
		return rh_err_prefix(err, rc, "%s", path);
	mac_format(hf.mac, '-', g.mac_hyp);
	mac_format(hf.mac, ':', out->mac);
	pxe_choose(cfg, &hf, &c);
	facts_query(&hf, q, sizeof(q));
	g.query = q[0] ? q : NULL;
	return host_bytes(&g, n == 4 ? "state" : seg[2], gen, out, err);
}

int pxe_resolve(struct pxe_server *srv, const struct pxe_config *cfg, const char *path, const char *query,
		const struct pxe_facts *f, struct pxe_obj *out, struct rh_err *err)
{
	char copy[TFTP_PATH_MAX + 1], *seg[MAX_SEGS + 1], *s;
	const char *rel, *why;
	char *text = NULL;
	size_t n = 0, len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!path || path[0] == '/')
		return refuse(err, path ? path : "(none)", "an absolute path");
	if (tftp_path_check(path, &rel, &why) < 0)
		return refuse(err, path, why);
	pxe_copy(copy, sizeof(copy), rel);
	for (s = copy; s && n <= MAX_SEGS; n++) {
		seg[n] = s;
		s = strchr(s, '/');
		if (s)
			*s++ = '\0';
	}
	if (n > MAX_SEGS)
		return refuse(err, path, "not in the served namespace (too deep)");
	if (n == 1 && !strcmp(seg[0], "boot.ipxe")) {
		rc = pxe_gen_static_script(srv, cfg, &text, &len, err);
		if (!rc)
			bytes_obj(out, text, len, "text/plain", "script");
		return rc;
	}
	if (n >= 2 && !strcmp(seg[0], "a"))
		return artifact(cfg, seg, n, path, out, err);
	if (n >= 2 && (!strcmp(seg[0], "img") || !strcmp(seg[0], "ipxe")))
		return loader(cfg, seg, n, path, out, err);
	if (!strcmp(seg[0], "host"))
		return host(srv, cfg, seg, n, path, query, f, out, err);
	return refuse(err, path, "not in the served namespace (a/, img/, ipxe/, boot.ipxe, host/)");
}

void pxe_obj_free(struct pxe_obj *o)
{
	if (!o)
		return;
	free(o->bytes);
	o->bytes = NULL;
}
