/* token.c: per-boot state tokens (server.h, docs/pxe.md "Diskless state").
 *
 * token = hex(boot id) "." hex(HMAC-SHA256(secret, mac || boot id)[0..24)), lower case, PXE_TOKEN_LEN
 * characters. The boot id is 8 random bytes drawn for each boot script or boot.cfg made; the server keeps no
 * list of tokens: any token whose MAC part verifies under the secret (STATE_DIR/token.key, so a restarted server
 * still accepts the tokens of hosts that booted before) is that host's. The comparison is constant-time. */
#include "server.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <sys/random.h>

#include "hex.h"

#define BOOT_ID_LEN 8
#define TAG_LEN 24

_Static_assert(PXE_TOKEN_LEN == 2 * BOOT_ID_LEN + 1 + 2 * TAG_LEN, "token length");

/* The first TAG_LEN bytes of HMAC-SHA256(secret, mac || boot id). */
static int token_tag(const struct pxe_server *srv, const uint8_t mac[6], const uint8_t id[BOOT_ID_LEN],
		     uint8_t tag[TAG_LEN])
{
	uint8_t msg[6 + BOOT_ID_LEN], full[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	memcpy(msg, mac, 6);
	memcpy(msg + 6, id, BOOT_ID_LEN);
	if (!HMAC(EVP_sha256(), srv->secret, (int)sizeof(srv->secret), msg, sizeof(msg), full, &n) || n < TAG_LEN)
		return -EIO;
	memcpy(tag, full, TAG_LEN);
	OPENSSL_cleanse(full, sizeof(full));
	return 0;
}

static void hex_put(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex_digits[b[i] >> 4];
		out[2 * i + 1] = hex_digits[b[i] & 15];
	}
}

/* Decodes 2n lower-case hex digits; -EINVAL for anything else. */
static int hex_get(const char *s, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < 2 * n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -EINVAL;
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(hex_value(s[2 * i]) << 4 | hex_value(s[2 * i + 1]));
	return 0;
}

int pxe_token_make(const struct pxe_server *srv, const uint8_t mac[6], char out[PXE_TOKEN_LEN + 1])
{
	uint8_t id[BOOT_ID_LEN], tag[TAG_LEN];
	ssize_t got;
	int rc;

	do
		got = getrandom(id, sizeof(id), 0);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(id))
		return got < 0 ? -errno : -EIO;
	rc = token_tag(srv, mac, id, tag);
	if (rc < 0)
		return rc;
	hex_put(id, BOOT_ID_LEN, out);
	out[2 * BOOT_ID_LEN] = '.';
	hex_put(tag, TAG_LEN, out + 2 * BOOT_ID_LEN + 1);
	out[PXE_TOKEN_LEN] = '\0';
	return 0;
}

/* 0 when token is a token made for mac; -EINVAL when it is not one in form (length, '.', hex), -EACCES when it
 * is well formed but not this host's (another host's, or made with another secret). */
int pxe_token_check(const struct pxe_server *srv, const uint8_t mac[6], const char *token)
{
	uint8_t id[BOOT_ID_LEN], got[TAG_LEN], want[TAG_LEN];
	int rc;

	if (!token || strnlen(token, PXE_TOKEN_LEN + 1) != PXE_TOKEN_LEN || token[2 * BOOT_ID_LEN] != '.')
		return -EINVAL;
	if (hex_get(token, BOOT_ID_LEN, id) < 0 || hex_get(token + 2 * BOOT_ID_LEN + 1, TAG_LEN, got) < 0)
		return -EINVAL;
	rc = token_tag(srv, mac, id, want);
	if (rc < 0)
		return rc;
	rc = CRYPTO_memcmp(got, want, TAG_LEN) ? -EACCES : 0;
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}
