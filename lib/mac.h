/* mac.h: Ethernet (48-bit) MAC addresses as text. Freestanding (the UEFI loader names its MAC the same way the
 * server does). Forms: "52:54:00:12:34:56" (sep ':'), "52-54-00-12-34-56" (sep '-', iPXE's ${mac:hexhyp}, used in
 * the PXE server's paths), lower case. */
#ifndef RAMHOST_MAC_H
#define RAMHOST_MAC_H

#include <stdint.h>

#define MAC_TEXT 18   /* 17 characters and the NUL */

/* Writes mac as text with sep between the bytes into out. */
void mac_format(const uint8_t mac[6], char sep, char out[MAC_TEXT]);

/* Parses "aa:bb:cc:dd:ee:ff", "aa-bb-cc-dd-ee-ff" (either case, one separator throughout) or "aabbccddeeff".
 * Returns 0, or -22 (EINVAL) for anything else, leaving mac untouched. */
int mac_parse(const char *s, uint8_t mac[6]);

#endif
