/* fuzz_vib_sig.c: vib_sig_verify() on an attacker's sig.pkcs7. The first byte picks the claimed level, the rest
 * is the signature over a fixed descriptor, checked against a throwaway partner CA (the seed corpus holds a
 * valid signature by a signer under an intermediate of that CA, made with tests/fixtures/vib/mkca.sh and
 * `openssl cms -sign`; no key is committed). Nothing may crash or leak, every result is one of sig.h's codes,
 * and success proves exactly the claimed level. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vib/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char desc[] = "<vib version=\"1.0\"><name>fuzz</name><version>1.0</version></vib>\n";

static const char ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBpzCCAUygAwIBAgIUD0rlZlCMX8j/+6K/qBYv0/S4TYcwCgYIKoZIzj0EAwIw\n"
	"MTEVMBMGA1UECgwMcmFtaG9zdCB0ZXN0MRgwFgYDVQQDDA90ZXN0IHBhcnRuZXIg\n"
	"Q0EwHhcNMjYxMjAxMTAzMDQ1WhcNMzYxMTI4MTAzMDQ1WjAxMRUwEwYDVQQKDAxy\n"
	"YW1ob3N0IHRlc3QxGDAWBgNVBAMMD3Rlc3QgcGFydG5lciBDQTBZMBMGByqGSM49\n"
	"AgEGCCqGSM49AwEHA0IABDpJwPpaBXNvlJCrL6+7t+yA6CkmCUWr9h4gZ52qAjMD\n"
	"eeuZbaFLD5IQ6rUAQschtnrAS1hA5ZpuENaFma2QFs2jQjBAMA8GA1UdEwEB/wQF\n"
	"MAMBAf8wDgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBSxhdeebBAsUIUhFlCjH2aE\n"
	"5D78eTAKBggqhkjOPQQDAgNJADBGAiEAynEC/1gti8eVscQkGAci6xVfPtFjkKx2\n"
	"VbXMlmLlAAwCIQCabaeUifRbgUi5LMLBjqzquIWAc0aoGe7YevLLid7bTw==\n"
	"-----END CERTIFICATE-----\n";

static char path[] = "/tmp/fuzz_vib_sig.XXXXXX";

static void remove_ca_file(void)
{
	unlink(path);
}

/* Writes the CA to a temporary file once (removed at exit); its path. */
static const char *ca_file(void)
{
	static int done;
	int fd;

	if (done)
		return path;
	fd = mkstemp(path);
	if (fd < 0 || write(fd, ca_pem, sizeof(ca_pem) - 1) != (ssize_t)(sizeof(ca_pem) - 1))
		abort();
	close(fd);
	atexit(remove_ca_file);
	done = 1;
	return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const dirs[] = { "/nonexistent/trust", NULL };
	struct rh_err err = { 0 };
	enum vib_level claimed, level = (enum vib_level)-1;
	int rc;

	if (size < 1)
		return 0;
	claimed = (enum vib_level)(data[0] & 3);
	/* 2027-12-01: inside the CA's ten years */
	rc = vib_sig_verify(desc, sizeof(desc) - 1, data + 1, size - 1, claimed, dirs, ca_file(), 1827619200, &level,
			    &err);
	switch (rc) {
	case 0:
		if (level != claimed)
			abort();
		break;
	case -ENOKEY: case -EBADMSG: case -EKEYREJECTED: case -EKEYEXPIRED: case -EPROTO: case -EINVAL:
		if (!err.msg[0])
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
