/* hex.h: hexadecimal digits, for the formats that print or parse hashes and GUIDs (sha256, gpt). Freestanding:
 * compiled into the UEFI loader too. */
#ifndef RAMHOST_HEX_H
#define RAMHOST_HEX_H

/* The lowercase digits, indexed by value. */
extern const char hex_digits[16];

/* The value of the hex digit c (either case), or -1 when c is not one. */
int hex_value(char c);

#endif
