/* grub_esp.c: the files grub-install wrote into the ESP's stand-in (grub_int.h: a tmpfs at /boot/efi whose
 * source names the ESP's device) put on the staged copy's FAT with mtools (image-builder/fatimg.h), the same
 * tools every other file repair uses. The walk reads the tmpfs only, which this process mounted empty; it still
 * refuses anything FAT cannot hold rather than follow it. */
#include "grub_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "image-builder/fatimg.h"

#define GRUB_ESP_DEPTH 8

/* Copies directory host (its path on the ESP: rel, "" for the root) into f, depth levels deep at most. */
static int copy_dir(const struct fatimg *f, const char *host, const char *rel, int depth, struct rh_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (depth > GRUB_ESP_DEPTH)
		return rh_errf(err, -ELOOP, "grub-install wrote below /boot/efi%s deeper than %d levels", rel,
			       GRUB_ESP_DEPTH);
	d = opendir(host);
	if (!d)
		return rh_errf(err, -errno, "%s: cannot read what grub-install wrote: %s", host, strerror(errno));
	while (!rc && (errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(src, sizeof(src), "%s/%s", host, de->d_name) >= sizeof(src) ||
		    (size_t)snprintf(dst, sizeof(dst), "%s/%s", rel, de->d_name) >= sizeof(dst)) {
			rc = rh_errf(err, -ENAMETOOLONG, "%s/%s: path too long", host, de->d_name);
			break;
		}
		if (lstat(src, &st) < 0)
			rc = rh_errf(err, -errno, "%s: %s", src, strerror(errno));
		else if (S_ISDIR(st.st_mode)) {
			rc = fatimg_mkdir(f, dst, err);
			if (!rc)
				rc = copy_dir(f, src, dst, depth + 1, err);
		} else if (S_ISREG(st.st_mode))
			rc = fatimg_copy(f, src, dst, err);
		else
			rc = rh_errf(err, -EINVAL, "grub-install wrote %s to the ESP, which is neither a file nor a "
				     "directory: FAT cannot hold it; nothing is written", dst);
	}
	if (!rc && errno)
		rc = rh_errf(err, -errno, "%s: cannot read what grub-install wrote: %s", host, strerror(errno));
	closedir(d);
	return rc;
}

int grub_esp_copy(const char *dir, const char *image, uint64_t off, uint64_t sectors, struct rh_err *err)
{
	struct fatimg f = { .image = image, .offset = off, .sectors = sectors };

	return copy_dir(&f, dir, "", 0, err);
}
