/* test_token.c: per-boot state tokens: a token verifies for its MAC only, under the same secret only, and
 * every malformed form is refused. */
#include <errno.h>
#include <string.h>

#include "pxe-server/server.h"
#include "unit.h"

static const uint8_t mac_a[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };

static void init_srv(struct pxe_server *srv, uint8_t fill)
{
	memset(srv, 0, sizeof(*srv));
	memset(srv->secret, fill, sizeof(srv->secret));
}

static void test_token_good(void)
{
	struct pxe_server srv, restarted;
	char t1[PXE_TOKEN_LEN + 1], t2[PXE_TOKEN_LEN + 1];

	init_srv(&srv, 0x5a);
	CHECK(pxe_token_make(&srv, mac_a, t1) == 0);
	CHECK(pxe_token_make(&srv, mac_a, t2) == 0);
	CHECK(strlen(t1) == PXE_TOKEN_LEN && t1[16] == '.');
	CHECK(strcmp(t1, t2) != 0);                      /* a new boot id each time */
	CHECK(pxe_token_check(&srv, mac_a, t1) == 0);
	CHECK(pxe_token_check(&srv, mac_a, t2) == 0);    /* any token made for the MAC verifies */
	init_srv(&restarted, 0x5a);                      /* the same secret from disk after a restart */
	CHECK(pxe_token_check(&restarted, mac_a, t1) == 0);
}

static void test_token_refused(void)
{
	struct pxe_server srv, other;
	char t[PXE_TOKEN_LEN + 1], bad[PXE_TOKEN_LEN + 8];
	size_t i;

	init_srv(&srv, 0x5a);
	init_srv(&other, 0x5b);
	CHECK(pxe_token_make(&srv, mac_a, t) == 0);
	CHECK(pxe_token_check(&srv, mac_b, t) == -EACCES);       /* another host's token */
	CHECK(pxe_token_check(&other, mac_a, t) == -EACCES);     /* another server's secret */
	for (i = 0; i < PXE_TOKEN_LEN; i++) {                    /* every flipped character */
		memcpy(bad, t, sizeof(t));
		bad[i] = bad[i] == '0' ? '1' : '0';
		if (i == 16)
			CHECK(pxe_token_check(&srv, mac_a, bad) == -EINVAL);
		else
			CHECK(pxe_token_check(&srv, mac_a, bad) == -EACCES);
	}
	memcpy(bad, t, sizeof(t));
	bad[PXE_TOKEN_LEN - 1] = '\0';
	CHECK(pxe_token_check(&srv, mac_a, bad) == -EINVAL);     /* truncated */
	CHECK(pxe_token_check(&srv, mac_a, "") == -EINVAL);
	CHECK(pxe_token_check(&srv, mac_a, NULL) == -EINVAL);
	snprintf(bad, sizeof(bad), "%s0", t);
	CHECK(pxe_token_check(&srv, mac_a, bad) == -EINVAL);     /* overlong */
	memcpy(bad, t, sizeof(t));
	bad[20] = 'g';
	CHECK(pxe_token_check(&srv, mac_a, bad) == -EINVAL);     /* not hex */
	memcpy(bad, t, sizeof(t));
	for (i = 0; i < PXE_TOKEN_LEN; i++)
		if (bad[i] >= 'a' && bad[i] <= 'f')
			bad[i] = (char)(bad[i] - 'a' + 'A');
	CHECK(pxe_token_check(&srv, mac_a, bad) == (strcmp(bad, t) ? -EINVAL : 0));  /* upper case is not ours */
}

int main(void)
{
	RUN(test_token_good);
	RUN(test_token_refused);
	UNIT_EXIT();
}
