/* fuzz_rsa_verify.c: rsa_verify_sha256 on arbitrary keys and signatures. Input: 4 bytes exponent (LE), 2 bytes
 * modulus length (LE, taken mod 520 so that short, valid and overlong lengths all occur), 32 bytes digest, then
 * the modulus (mod_len bytes) and the rest as the signature. Nothing may crash or read out of bounds; a result
 * other than 0 or the two documented codes aborts. The heavy part (modular exponentiation) runs only for keys
 * that pass the checks, so the exponent is capped at 2^17 + 1 to keep runs fast. */
#include <stdint.h>
#include <stdlib.h>

#include "rsa_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t e;
	size_t mod_len;
	int rc;

	if (size < 38)
		return 0;
	e = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
	if (e > 131073)
		e = 65537;
	mod_len = ((size_t)data[4] | (size_t)data[5] << 8) % 520;
	if (size - 38 < mod_len)
		return 0;
	rc = rsa_verify_sha256(data + 38, mod_len, e, data + 6, data + 38 + mod_len, size - 38 - mod_len);
	if (rc != 0 && rc != RSA_VERIFY_EKEY && rc != RSA_VERIFY_EBADSIG)
		abort();
	return 0;
}
