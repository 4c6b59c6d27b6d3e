/* netboot.c: network mode's boot.cfg, fetched and verified (netboot.h). */
#include "netboot.h"

#include "netkey_blank.h"
#include "rsa_verify.h"
#include "sha256.h"
#include "text.h"

/* The one server-key record of ramhost.efi, "no key" as built; `ramhost image pxe --sign-cert` finds it by its
 * magic (netkey_find) and overwrites it in the file. volatile: read at run time, never folded by the compiler;
 * used: kept by the compiler and the linker although only read through a volatile access. */
__attribute__((used, aligned(16))) volatile const uint8_t ramhost_netkey[NETKEY_SIZE] = NETKEY_BLANK_RECORD;

static struct netkey key;
static uint8_t sig[NETKEY_MAX_MODULUS];

/* The embedded key: 1 present, 0 none; -1 when the record is damaged (refuse everything rather than boot
 * unverified: someone meant to embed a key). */
static int embedded_key(void)
{
	uint8_t rec[NETKEY_SIZE];
	unsigned i;

	for (i = 0; i < NETKEY_SIZE; i++)
		rec[i] = ramhost_netkey[i];
	if (netkey_parse(rec, sizeof(rec), &key) != 0)
		return -1;
	return key.modulus_len ? 1 : 0;
}

/* One line: "boot.cfg from SERVER: bad signature (key PREFIX): not booting it (WHY)". */
static void say_bad_signature(const struct net_source *n, const char *why)
{
	char line[NET_URL_MAX + 200], prefix[17];

	hex_digest(key.cert_sha256, 8, prefix);
	ascii_join(line, sizeof(line), (const char *[]){ "boot.cfg from ", n->server_text, ": bad signature (key ",
							 prefix, "): not booting it (", why, ")" }, 7);
	text_say(line);
}

/* Fetches host/MAC/boot.cfg.sig and checks it over text[0..len). */
static EFI_STATUS check_signature(struct net_source *n, const char *sig_path, const char *text, UINTN len)
{
	uint8_t digest[SHA256_DIGEST_LEN];
	UINT64 size = 0;
	EFI_STATUS st;
	int rc;

	st = net_file_size(n, sig_path, &size);
	if (EFI_ERROR(st)) {
		say_bad_signature(n, "no boot.cfg.sig");
		return EFI_SECURITY_VIOLATION;
	}
	if (size != key.modulus_len) {
		say_bad_signature(n, "boot.cfg.sig is not the size of the key's modulus");
		return EFI_SECURITY_VIOLATION;
	}
	st = net_file_read(n, sig_path, sig, size);
	if (EFI_ERROR(st)) {
		say_bad_signature(n, "boot.cfg.sig could not be read");
		return EFI_SECURITY_VIOLATION;
	}
	sha256_buf(text, len, digest);
	rc = rsa_verify_sha256(key.modulus, key.modulus_len, key.exponent, digest, sig, (size_t)size);
	if (rc != 0) {
		say_bad_signature(n, "boot.cfg.sig does not verify with the embedded key");
		return EFI_SECURITY_VIOLATION;
	}
	hex_digest(key.cert_sha256, 8, (char *)sig);
	text_say4("boot.cfg signature verified (key ", (const char *)sig, ")", "");
	return EFI_SUCCESS;
}

/* Fetches the boot.cfg at path into b->text / b->len. */
static EFI_STATUS fetch_bootcfg(struct net_source *n, const char *path, struct efi_bank *b)
{
	UINT64 size = 0;
	EFI_STATUS st;

	st = net_file_size(n, path, &size);
	if (!EFI_ERROR(st) && size > MEDIA_BOOTCFG_MAX) {
		text_say4(path, ": larger than 16384 bytes: refused", "", "");
		return EFI_BAD_BUFFER_SIZE;
	}
	if (!EFI_ERROR(st))
		st = net_file_read(n, path, b->text, size);
	if (EFI_ERROR(st)) {
		text_say4("cannot fetch ", path, " from ", n->server_text);
		return st;
	}
	b->text[size] = '\0';
	b->len = (UINTN)size;
	return EFI_SUCCESS;
}

EFI_STATUS netboot_load_bootcfg(struct net_source *n, struct boot_media *m)
{
	struct efi_bank *b = &m->bank[0];
	struct bootcfg_error perr = { 0, 0 };
	char path[80], sig_path[80];
	int have_key = embedded_key();
	EFI_STATUS st;

	net_forget(n);
	media_reset(m, n->kind == NET_TFTP ? "network (TFTP)" : "network (HTTP)");
	m->bank[0].found = 1;
	m->bank[0].net = n;
	ascii_join(path, sizeof(path), (const char *[]){ "host/", n->mac_text, "/boot.cfg" }, 3);
	ascii_join(sig_path, sizeof(sig_path), (const char *[]){ path, ".sig" }, 2);
	text_say4("network boot: MAC ", n->mac_text, ", server ", n->server_text);
	st = fetch_bootcfg(n, path, b);
	if (EFI_ERROR(st))
		return st;
	if (have_key < 0) {
		text_say("the embedded server key record is damaged: refusing every boot.cfg");
		return EFI_SECURITY_VIOLATION;
	}
	if (have_key) {
		st = check_signature(n, sig_path, b->text, b->len);
		if (EFI_ERROR(st))
			return st;
	} else {
		text_say("boot.cfg is not signed (this loader has no server key)");
	}
	if (bootcfg_parse(b->text, b->len, &b->cfg, &perr) != 0) {
		char num[24] = "";

		ascii_append_u64(num, sizeof(num), perr.line);
		text_say4(path, ": line ", num, ": cannot parse it");
		if (perr.what)
			text_say4("  ", perr.what, "", "");
		return EFI_VOLUME_CORRUPTED;
	}
	b->parsed = 1;
	return EFI_SUCCESS;
}
