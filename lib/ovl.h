/* ovl.h: how a tardisk marks what it removes from the layers below it, the way overlayfs does (its
 * Documentation/filesystems/overlayfs.rst), so the kernel's read-only overlays (/usr, /opt) and init's copies
 * (/etc, /var) read a layer the same way. The one owner of these two rules:
 *   - a whiteout is a character device with device number 0/0: the name is gone, with all below it;
 *   - an opaque directory carries the xattr trusted.overlay.opaque = "y": what the lower layers have below it is
 *     hidden, only its own entries show.
 * A tardisk made from an OCI image with `oci-layers = split` (tardisk/oci) has both; any tardisk is read this way.
 * Pure: no I/O. */
#ifndef RAMHOST_OVL_H
#define RAMHOST_OVL_H

#include <stddef.h>
#include <stdint.h>

#define OVL_OPAQUE_XATTR "trusted.overlay.opaque"
#define OVL_OPAQUE_VALUE "y"
#define OVL_XATTR_PREFIX "trusted.overlay."  /* overlayfs's own metadata; no source may bring it */

/* 1 when a node of this mode (S_IFMT bits and permissions) and device number is a whiteout. */
int ovl_is_whiteout(uint32_t mode, uint32_t rmajor, uint32_t rminor);

/* 1 when the value of OVL_OPAQUE_XATTR (len bytes) makes a directory opaque. */
int ovl_is_opaque_value(const void *value, size_t len);

/* 1 when an xattr name is overlayfs's own (OVL_XATTR_PREFIX). */
int ovl_is_overlay_xattr(const char *key);

#endif
