/* efiboot.c: UEFI loader lookup, Secure Boot signing, the ISO's ESP image (see efiboot.h). */
#include "efiboot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bank_build.h"
#include "fatimg.h"
#include "fileio.h"
#include "fs.h"
#include "tmpreg.h"

/* 1 when the file at path is a PE32+ x86-64 EFI application (MZ, PE\0\0, machine 0x8664, optional header magic
 * 0x20b, subsystem 10), 0 when it is not, negative errno when it cannot be read. */
static int is_efi_app(const char *path)
{
	unsigned char h[512];
	uint32_t pe;
	ssize_t n;
	int fd, rc = rh_open_input(path, &fd, NULL);

	if (rc < 0)
		return rc;
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n < 0x40 || h[0] != 'M' || h[1] != 'Z')
		return 0;
	pe = h[0x3c] | (uint32_t)h[0x3d] << 8 | (uint32_t)h[0x3e] << 16 | (uint32_t)h[0x3f] << 24;
	if (pe > (uint32_t)n - 24 - 70)
		return 0;
	if (memcmp(h + pe, "PE\0\0", 4) || h[pe + 4] != 0x64 || h[pe + 5] != 0x86)
		return 0;
	/* optional header: magic at +24, subsystem at +24+68 */
	if (h[pe + 24] != 0x0b || h[pe + 25] != 0x02)
		return 0;
	return h[pe + 24 + 68] == 10 && h[pe + 24 + 69] == 0;
}

int efiboot_find_loader(const struct efiboot_opts *o, char *buf, size_t cap, struct rh_err *err)
{
	const char *env = getenv("RAMHOST_EFI"), *how;
	int ok;

	if (o->loader) {
		snprintf(buf, cap, "%s", o->loader);
		how = "--efi";
	} else if (env && *env) {
		snprintf(buf, cap, "%s", env);
		how = "$RAMHOST_EFI";
	} else {
		ok = fs_beside_self("ramhost.efi", buf, cap, err);
		if (ok < 0)
			return ok;
		how = "next to the ramhost binary";
	}
	ok = is_efi_app(buf);
	if (ok == -ENOENT)
		return rh_errf(err, -ENOENT, "%s: no UEFI loader (%s; build it with `make`, or give --efi FILE or "
					     "RAMHOST_EFI)", buf, how);
	if (ok < 0)
		return rh_errf(err, ok, "%s: cannot read the UEFI loader: %s", buf, strerror(-ok));
	if (!ok)
		return rh_errf(err, -ENOEXEC, "%s: not an x86-64 EFI application (PE32+, subsystem 10)", buf);
	return 0;
}

int efiboot_check_signing(const struct efiboot_opts *o, struct rh_err *err)
{
	char *text = NULL;
	size_t len;
	int rc;

	if (!o->sign_key && !o->sign_cert)
		return 0;
	if (!o->sign_key || !o->sign_cert)
		return rh_errf(err, -EINVAL, "signing needs both --sign-key and --sign-cert");
	rc = rh_read_file(o->sign_cert, 1 << 20, &text, &len, err);
	if (rc)
		return rc;
	rc = strstr(text, "-----BEGIN CERTIFICATE-----") ? 0 :
		rh_errf(err, -EINVAL, "%s: not a PEM certificate (no BEGIN CERTIFICATE line)", o->sign_cert);
	free(text);
	text = NULL;
	if (!rc)
		rc = rh_read_file(o->sign_key, 1 << 20, &text, &len, err);
	if (rc)
		return rc;
	if (strstr(text, "ENCRYPTED"))
		rc = rh_errf(err, -EINVAL, "%s: the private key is passphrase-protected; sbsign cannot prompt here: "
					   "write a plain copy first (openssl pkey -in KEY -out PLAIN.key)", o->sign_key);
	else if (!strstr(text, "PRIVATE KEY-----"))
		rc = rh_errf(err, -EINVAL, "%s: not a PEM private key", o->sign_key);
	free(text);
	return rc ? rc : 1;
}

/* 1 when the PE image at path carries an Authenticode signature (sbverify --list names "signature 1"). */
static int has_signature(const char *path)
{
	char *out = NULL;
	char *argv[] = { "sbverify", "--list", (char *)path, NULL };
	int yes;

	if (fs_run_capture(argv, 1 << 20, &out, NULL) < 0)
		return 0; /* "No signature table present": exits non-zero */
	yes = strstr(out, "signature 1") != NULL;
	free(out);
	return yes;
}

int efiboot_sign_file(const struct efiboot_opts *o, const char *in, const char *out, struct rh_err *err)
{
	char plain[PATH_MAX], signed_tmp[PATH_MAX];
	int fd, rc;

	if ((size_t)snprintf(plain, sizeof(plain), "%s.unsigned-XXXXXX", out) >= sizeof(plain) ||
	    (size_t)snprintf(signed_tmp, sizeof(signed_tmp), "%s.signed-XXXXXX", out) >= sizeof(signed_tmp))
		return rh_errf(err, -ENAMETOOLONG, "%s: path too long", out);
	/* both registered temporaries: an interrupted signing leaves neither beside out */
	fd = fs_make_temp(plain, 0, err);
	if (fd < 0)
		return fd;
	close(fd);
	fd = fs_make_temp(signed_tmp, 0, err);
	if (fd < 0) {
		fs_rm_rf(plain, NULL);
		return fd;
	}
	close(fd);
	unlink(signed_tmp); /* sbsign creates it (still registered meanwhile) */
	rc = fs_copy_file(in, plain, 0644, err);
	if (!rc && has_signature(plain)) {
		/* Debian's kernel is signed by Debian; firmware that trusts only our db must see our signature
		 * alone, so the old one goes (sbattach --remove drops the first; loop for several) */
		for (int i = 0; i < 8 && !rc && has_signature(plain); i++) {
			char *argv[] = { "sbattach", "--remove", plain, NULL };
			rc = fs_run(argv, 0, err);
		}
		if (!rc && has_signature(plain))
			rc = rh_errf(err, -EINVAL, "%s: cannot remove its existing signatures", in);
	}
	if (!rc) {
		char *argv[] = { "sbsign", "--key", (char *)o->sign_key, "--cert", (char *)o->sign_cert, "--output",
				 signed_tmp, plain, NULL };
		rc = fs_run(argv, 0, err);
	}
	if (!rc) {
		fd = open(signed_tmp, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0)
			rc = rh_errf(err, -errno, "%s: %s", signed_tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (!rc) {
		chmod(signed_tmp, 0644);
		if (rename(signed_tmp, out) < 0)
			rc = rh_errf(err, -errno, "%s: cannot rename into place: %s", out, strerror(errno));
		else
			tmpreg_forget(signed_tmp);
	}
	fs_rm_rf(plain, NULL);
	if (rc)
		fs_rm_rf(signed_tmp, NULL);
	return rc;
}

int efiboot_sign_bootbank_kernel(const struct efiboot_opts *o, const char *dir, struct bootcfg *cfg,
				 struct rh_err *err)
{
	char path[PATH_MAX];
	int rc;

	if (strchr(cfg->kernel.name, '/'))
		return rh_errf(err, -EINVAL, "%s/boot.cfg: kernel %s is not a plain file name", dir, cfg->kernel.name);
	rc = fs_join(path, sizeof(path), dir, cfg->kernel.name, err);
	if (!rc)
		rc = efiboot_sign_file(o, path, path, err);
	if (!rc)
		rc = fs_sha256_file(path, cfg->kernel.sha256, NULL, err);
	if (rc)
		return rc;
	cfg->kernel.has_sha256 = 1;
	return bank_dir_write_cfg(dir, cfg, err);
}

int efiboot_make_esp_image(const char *path, const char *loader, unsigned serial, struct rh_err *err)
{
	struct fatimg f = { path, 0, 0 };
	struct stat st;
	uint64_t bytes;
	int fd, rc;

	if (stat(loader, &st) < 0)
		return rh_errf(err, -errno, "%s: %s", loader, strerror(errno));
	/* whole MiB, so that the partition that maps it on a USB stick ends on a MiB boundary too */
	bytes = (fatimg_needed_bytes((uint64_t)st.st_size, 3) + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);
	f.sectors = bytes / 512;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return rh_errf(err, -errno, "%s: cannot create: %s", path, strerror(errno));
	rc = ftruncate(fd, (off_t)bytes) < 0 ? rh_errf(err, -errno, "%s: %s", path, strerror(errno)) : 0;
	close(fd);
	if (!rc)
		rc = fatimg_format(&f, 0, "RH-EFI", serial, err);
	if (!rc)
		rc = fatimg_mkdir(&f, "/EFI/BOOT", err);
	if (!rc)
		rc = fatimg_copy(&f, loader, "/EFI/BOOT/BOOTX64.EFI", err);
	return rc;
}
