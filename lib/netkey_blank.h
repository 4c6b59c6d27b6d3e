/* netkey_blank.h: the "no key" record (lib/netkey.h) as a C initializer, the one ramhost.efi is built with:
 * magic, version 1, modulus length 0, exponent 0, zero certificate hash and modulus, and the CRC32 of bytes
 * 0..563 (0x7ff05df3, little-endian at 564). tests/unit/test_rsa_verify.c checks that netkey_parse accepts it and
 * that it equals netkey_format of an all-zero key. `ramhost image pxe --sign-cert` overwrites it in the file. */
#ifndef RAMHOST_NETKEY_BLANK_H
#define RAMHOST_NETKEY_BLANK_H

#include "netkey.h"

#define NETKEY_BLANK_CRC 0x7ff05df3u

#define NETKEY_BLANK_RECORD                                                                             \
	{                                                                                               \
		'R', 'H', 'N', 'E', 'T', 'K', 'E', 'Y', NETKEY_VERSION, 0, 0, 0,                        \
		[564] = (uint8_t)NETKEY_BLANK_CRC, (uint8_t)(NETKEY_BLANK_CRC >> 8),                    \
		(uint8_t)(NETKEY_BLANK_CRC >> 16), (uint8_t)(NETKEY_BLANK_CRC >> 24)                    \
	}

#endif
