/* sticky_rule.c: which paths may be sticky (see sticky_rule.h). */
#include "sticky_rule.h"

#include <string.h>

static const char *const never_saved[] = { "proc", "sys", "dev", "run", "tmp", "usr", "opt" };

int sticky_top_never_saved(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(never_saved) / sizeof(never_saved[0]); i++)
		if (!strcmp(name, never_saved[i]))
			return 1;
	return 0;
}

int sticky_path_never_saved(const char *path, size_t len)
{
	size_t i, top;

	if (!len || path[0] != '/')
		return 0;
	for (top = 1; top < len && path[top] != '/'; top++)
		;
	top--;   /* the length of the first component */
	for (i = 0; i < sizeof(never_saved) / sizeof(never_saved[0]); i++)
		if (strlen(never_saved[i]) == top && !memcmp(path + 1, never_saved[i], top))
			return 1;
	return 0;
}

const char *sticky_pattern_invalid(const char *pattern)
{
	const char *c, *comp;
	size_t n = strlen(pattern);

	if (pattern[0] != '/')
		return "not an absolute path";
	if (n >= STICKY_MAX_PATTERN)
		return "too long";
	for (c = pattern; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "a control character";
	if (n == 1)
		return "'/' would make everything sticky";
	for (comp = pattern + 1; comp; comp = strchr(comp, '/') ? strchr(comp, '/') + 1 : NULL) {
		size_t len = strcspn(comp, "/");
		if (len == 0 || (len == 1 && comp[0] == '.') || (len == 2 && !strncmp(comp, "..", 2)))
			return "an empty, '.' or '..' component";
	}
	if (sticky_path_never_saved(pattern, n))
		return "below a directory that is never saved (/proc /sys /dev /run /tmp /usr /opt)";
	return NULL;
}
