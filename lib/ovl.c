/* ovl.c: overlayfs's whiteout and opaque rules (ovl.h). */
#include "ovl.h"

#include <string.h>
#include <sys/stat.h>

int ovl_is_whiteout(uint32_t mode, uint32_t rmajor, uint32_t rminor)
{
	return S_ISCHR(mode) && rmajor == 0 && rminor == 0;
}

int ovl_is_opaque_value(const void *value, size_t len)
{
	return len == 1 && !memcmp(value, OVL_OPAQUE_VALUE, 1);
}

int ovl_is_overlay_xattr(const char *key)
{
	return !strncmp(key, OVL_XATTR_PREFIX, strlen(OVL_XATTR_PREFIX));
}
