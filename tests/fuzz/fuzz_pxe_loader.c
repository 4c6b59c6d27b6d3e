/* fuzz_pxe_loader.c: the server key written into a loader image of arbitrary bytes (pxe_loader_embed_key, over
 * netkey_find and netkey_parse): a refusal says why and leaves the image unchanged; a success leaves exactly one
 * record, at the same place, that parses back to the key, and changes no byte outside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image-builder/pxe_loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rh_err err = { 0, "" };
	struct netkey k, got;
	uint8_t *img;
	long off;
	size_t i;

	if (size > (1u << 20))
		return 0;
	img = malloc(size + 1);
	if (!img)
		return 0;
	memcpy(img, data, size);
	memset(&k, 0, sizeof k);
	k.modulus_len = 256 + (size & 255);
	k.exponent = 65537;
	for (i = 0; i < k.modulus_len; i++)
		k.modulus[i] = (uint8_t)(i * 7 + 0x81);
	off = netkey_find(img, size);
	if (pxe_loader_embed_key(img, size, &k, "fuzz.efi", &err) < 0) {
		if (!err.msg[0] || memcmp(img, data, size))
			abort();
		free(img);
		return 0;
	}
	if (off < 0 || netkey_find(img, size) != off || netkey_parse(img + off, size - (size_t)off, &got) ||
	    got.modulus_len != k.modulus_len || memcmp(got.modulus, k.modulus, k.modulus_len))
		abort();
	if (memcmp(img, data, (size_t)off) || memcmp(img + off + NETKEY_SIZE, data + off + NETKEY_SIZE,
						   size - (size_t)off - NETKEY_SIZE))
		abort();
	free(img);
	return 0;
}
