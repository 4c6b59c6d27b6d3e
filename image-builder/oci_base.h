/* oci_base.h: what image-builder checks of a container image base (`base = oci:PATH[:TAG]`, docs/profile.md)
 * once its base.tdk is made: a container image is not a host, so it must bring an init.
 *
 * The image's tree is written without file data (tardisk_skeleton) into a scratch directory, where the
 * profile's init (default /sbin/init) is resolved inside the tree, its symlinks followed (/sbin -> usr/sbin,
 * init -> ../lib/systemd/systemd), to an executable regular file. Then the ramhost layer is made over that tree,
 * as over a debootstrap base (ramhost_layer.h). With `oci-layers = split` the base is one tardisk per layer,
 * each cached by its layer key, and the tree is their skeletons written in order. */
#ifndef RAMHOST_IMGB_OCI_BASE_H
#define RAMHOST_IMGB_OCI_BASE_H

#include <limits.h>

#include "err.h"
#include "profile.h"

/* The skeleton of the tardisk module base_tdk into the directory root: empty, or holding the skeletons of the
 * layers below it (a split base's modules, written in order: tardisk_skeleton). */
int oci_base_tree(const char *base_tdk, const char *root, struct rh_err *err);

/* init (absolute) resolved inside root to an executable file, or an error that names the image (shown) and
 * says what to add. */
int oci_base_check_init(const char *root, const char *init, const char *shown, struct rh_err *err);

/* oci-layers = split: the image's layers as tardisks (tardisk_create_layers) in work, NAME.tdk with the names of
 * profile_base_layer_name, each taken from the layer cache (modcache.h: MODCACHE_OCI_LAYERS, by layer key) when
 * it is there and stored in it when it was made. An image of more than OCI_BASE_MAX_LAYERS layers is refused
 * (each layer is a boot module, and boot.cfg holds BOOTCFG_MAX_MODULES). On failure nothing is left in work. */
#define OCI_BASE_MAX_LAYERS 48

struct oci_base_layer {
	char name[PROFILE_MAX_NAME]; /* the tardisk name: base, base-2, ... */
	char img[PATH_MAX]; /* its image in work */
	int cached;         /* 1: taken from the layer cache */
};

struct oci_base_layers {
	struct oci_base_layer *v;  /* lowest first */
	unsigned n;
};

int oci_base_split(const char *src, const char *work, long long mtime, struct oci_base_layers *ret,
		   struct rh_err *err);
void oci_base_layers_free(struct oci_base_layers *l);

#endif
