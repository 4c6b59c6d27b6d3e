/* oci_base.h: what image-builder checks of a container image base (`base = oci:PATH[:TAG]`, docs/profile.md)
 * once its base.tdk is made: a container image is not a host, so it must bring an init.
 *
 * The image's tree is written without file data (tardisk_skeleton) into a scratch directory, where the
 * profile's init (default /sbin/init) is resolved inside the tree, its symlinks followed (/sbin -> usr/sbin,
 * init -> ../lib/systemd/systemd), to an executable regular file. Then the ramhost layer is made over that tree,
 * as over a debootstrap base (ramhost_layer.h). */
#ifndef RAMHOST_IMGB_OCI_BASE_H
#define RAMHOST_IMGB_OCI_BASE_H

#include "err.h"

/* The skeleton of the tardisk module base_tdk into the empty directory root. */
int oci_base_tree(const char *base_tdk, const char *root, struct rh_err *err);

/* init (absolute) resolved inside root to an executable file, or an error that names the image (shown) and
 * says what to add. */
int oci_base_check_init(const char *root, const char *init, const char *shown, struct rh_err *err);

#endif
