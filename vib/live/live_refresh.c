/* live_refresh.c: the running view's overlays refreshed for one payload tardisk (live.h). Owns nothing past a
 * call. */
#include "live.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every tardisk mount point (base and profile tardisks, earlier live ones), except skip; NULL-terminated list of
 * malloc'd strings in *ret (sorted by name: an approximation of the layer order for /etc defaults). */
char **live_tardisk_mounts(const char *skip)
{
	DIR *d = opendir(LIVE_TARDISKS);
	struct dirent *de;
	char **v = calloc(129, sizeof(*v));
	size_t n = 0;

	if (!v || !d) {
		if (d)
			closedir(d);
		return v;
	}
	while ((de = readdir(d)) && n < 128) {
		char p[PATH_MAX];

		if (de->d_name[0] == '.' || (skip && !strcmp(de->d_name, skip)))
			continue;
		snprintf(p, sizeof(p), "%s/%s", LIVE_TARDISKS, de->d_name);
		v[n] = strdup(p);
		if (v[n])
			n++;
	}
	closedir(d);
	return v;
}

void live_list_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Adds (add=1) the layer mnt/TOP to, or takes the tardisk mnt out of (add=0), every overlay the tardisk has a
 * top-level directory for. *ret_pushed counts the overlays pushed (install undo pops them). */
int live_refresh(const char *mnt, int add, unsigned *ret_pushed, struct rh_err *err)
{
	char tops[LIVE_MAX_TOPS][64], top[80], layer[PATH_MAX], cur[8192], want[8192];
	unsigned n = 0, i;
	int rc;

	*ret_pushed = 0;
	rc = live_overlay_tops(mnt, tops, &n, err);
	for (i = 0; i < n && !rc; i++) {
		snprintf(top, sizeof(top), "/%s", tops[i]);
		snprintf(layer, sizeof(layer), "%s/%s", mnt, tops[i]);
		cur[0] = '\0';
		if (live_overlay_lowers(top, cur, sizeof(cur), err) < 0) {
			struct stat st;
			DIR *d;
			rh_err_clear(err);
			if (!lstat(top, &st) && !S_ISDIR(st.st_mode))
				return rh_errf(err, -EEXIST, "%s exists and is not a directory: the payload's %s cannot "
							     "be layered there", top, top);
			d = opendir(top);
			if (d) {
				struct dirent *de;
				int entries = 0;
				while ((de = readdir(d)))
					entries += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
				closedir(d);
				if (entries && add)
					return rh_errf(err, -EEXIST, "%s is a writable directory with files, not a tardisk "
								     "overlay: refusing to hide it", top);
			}
		}
		if (add) {
			rc = live_lowers_edit(cur, layer, 1, want, sizeof(want));
			if (rc < 0)
				return rh_errf(err, rc, "%s: cannot add %s to the layers %s", top, layer, cur);
			rc = live_overlay_push(top, want, err);
			if (!rc)
				(*ret_pushed)++;
			continue;
		}
		/* remove: pop the overlays that hold the layer (the ones stacked since it came), then put back what
		 * the pops took with them; the tardisk is then referenced by no mount at all */
		rc = live_lowers_edit(cur, mnt, 0, want, sizeof(want));
		if (rc == -ENOENT) {
			rc = 0;
			continue;
		}
		if (rc < 0)
			return rh_errf(err, rc, "%s: cannot take %s out of %s", top, mnt, cur);
		rc = 0;
		while (!rc && live_overlay_lowers(top, cur, sizeof(cur), err) == 0 &&
		       live_lowers_edit(cur, mnt, 0, layer, sizeof(layer)) >= 0)
			rc = live_overlay_pop(top, err);
		rh_err_clear(err);
		if (rc)
			return rc;
		if (live_overlay_lowers(top, cur, sizeof(cur), err) < 0)
			cur[0] = '\0';
		rh_err_clear(err);
		if (want[0] && strcmp(cur, want))
			rc = live_overlay_push(top, want, err);
		else if (!want[0])
			rmdir(top);
	}
	return rc;
}
