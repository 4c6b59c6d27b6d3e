/* test_drivers.c: the drivers tardisk's module set (image-builder/drivers.c): classes by path, the dependency
 * closure of a selection, which boot modules init.cpio keeps, and the cache key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-builder/drivers.h"
#include "image-builder/profile.h"
#include "unit.h"

/* A small fake kernel: a NIC driver needing a PTP library outside drivers/net, a disk driver on virtio (which
 * both net and storage carry), a wireless driver, sound, and init's three required modules. */
static const char dep[] =
	"kernel/fs/squashfs/squashfs.ko:\n"
	"kernel/drivers/block/loop.ko:\n"
	"kernel/fs/overlayfs/overlay.ko:\n"
	"kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko: kernel/drivers/ptp/ptp.ko kernel/drivers/pps/pps_core.ko\n"
	"kernel/drivers/ptp/ptp.ko: kernel/drivers/pps/pps_core.ko\n"
	"kernel/drivers/pps/pps_core.ko:\n"
	"kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/drivers/virtio/virtio.ko\n"
	"kernel/drivers/net/net_failover.ko:\n"
	"kernel/drivers/virtio/virtio.ko:\n"
	"kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko\n"
	"kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko\n"
	"kernel/drivers/net/wireless/intel/iwlwifi/iwlwifi.ko: kernel/net/wireless/cfg80211.ko\n"
	"kernel/net/wireless/cfg80211.ko:\n"
	"kernel/net/8021q/8021q.ko:\n"
	"kernel/sound/core/snd.ko:\n"
	"kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko\n"
	"kernel/lib/crc16.ko:\n";

static int load(struct modules_dep *db)
{
	struct rh_err err;

	rh_err_clear(&err);
	if (modules_dep_parse(db, dep, sizeof(dep) - 1, "modules.dep", &err) < 0) {
		fprintf(stderr, "  %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int picked(const struct modules_dep *db, const unsigned char *sel, const char *name)
{
	int i = modules_dep_find(db, name);
	return i >= 0 && sel[i];
}

static void test_class(void)
{
	CHECK(drivers_class("kernel/drivers/net/ethernet/intel/e1000/e1000.ko") == PROFILE_DRIVERS_NET);
	CHECK(drivers_class("kernel/drivers/net/wireless/ath/ath9k/ath9k.ko") == PROFILE_DRIVERS_OTHER);
	CHECK(drivers_class("kernel/net/8021q/8021q.ko") == PROFILE_DRIVERS_NET);
	CHECK(drivers_class("kernel/drivers/virtio/virtio_pci.ko") == (PROFILE_DRIVERS_NET | PROFILE_DRIVERS_STORAGE));
	CHECK(drivers_class("kernel/drivers/nvme/host/nvme.ko") == PROFILE_DRIVERS_STORAGE);
	CHECK(drivers_class("kernel/drivers/usb/host/xhci-pci.ko") == PROFILE_DRIVERS_STORAGE);
	CHECK(drivers_class("kernel/drivers/usb/serial/ftdi_sio.ko") == PROFILE_DRIVERS_OTHER);
	CHECK(drivers_class("kernel/fs/xfs/xfs.ko.xz") == PROFILE_DRIVERS_STORAGE);
	CHECK(drivers_class("kernel/sound/core/snd.ko") == PROFILE_DRIVERS_OTHER);
	CHECK(drivers_class("kernel/drivers/netfoo/x.ko") == PROFILE_DRIVERS_OTHER);
}

static void test_select(void)
{
	struct modules_dep db = { 0 };
	unsigned char *sel;

	CHECK(load(&db) == 0);
	sel = calloc(db.nmods, 1);
	/* net: the NICs with what they need outside drivers/net (ptp, pps), virtio, 8021q; not wireless */
	CHECK(drivers_select(&db, PROFILE_DRIVERS_NET, sel) == 8);
	CHECK(picked(&db, sel, "e1000e") && picked(&db, sel, "ptp") && picked(&db, sel, "pps_core"));
	CHECK(picked(&db, sel, "virtio_net") && picked(&db, sel, "virtio_pci") && picked(&db, sel, "8021q"));
	CHECK(!picked(&db, sel, "iwlwifi") && !picked(&db, sel, "cfg80211") && !picked(&db, sel, "virtio_blk"));
	CHECK(!picked(&db, sel, "squashfs") && !picked(&db, sel, "snd"));
	/* storage: file systems (with their library), block drivers, virtio */
	CHECK(drivers_select(&db, PROFILE_DRIVERS_STORAGE, sel) == 8);
	CHECK(picked(&db, sel, "ext4") && picked(&db, sel, "crc16") && picked(&db, sel, "virtio_blk"));
	CHECK(picked(&db, sel, "squashfs") && picked(&db, sel, "loop") && !picked(&db, sel, "e1000e"));
	CHECK(drivers_select(&db, PROFILE_DRIVERS_ALL, sel) == db.nmods);
	CHECK(drivers_select(&db, 0, sel) == 0);
	free(sel);
	modules_dep_free(&db);
}

static int where_of(const struct modules_dep *db, const unsigned *order, unsigned n, const unsigned char *where,
		    const char *name)
{
	unsigned k;

	for (k = 0; k < n; k++)
		if (!strcmp(db->mods[order[k]].name, name))
			return where[k];
	return -1;
}

/* init.cpio keeps the required modules, the every-boot ones the drivers set lacks, and whatever those need; the
 * set's own come from the drivers tardisk; the other disk modules are on demand, carried aside by the tardisk */
static void test_split_boot(void)
{
	static const char *const names[] = { "squashfs", "loop", "overlay", "virtio_pci", "virtio_blk", "ext4" };
	struct modules_dep db = { 0 };
	struct rh_err err;
	unsigned char *sel, where[16], every[16];
	unsigned *order = NULL, n = 0, k;
	int ncpio;

	rh_err_clear(&err);
	CHECK(load(&db) == 0);
	sel = calloc(db.nmods, 1);
	CHECK(modules_dep_resolve(&db, names, 6, &order, &n, &err) == 0);
	CHECK(n == 8);  /* with virtio and crc16, which virtio_pci/virtio_blk and ext4 need */
	for (k = 0; k < n; k++)
		every[k] = k < 3 ? 1 : 0;
	CHECK(!strcmp(db.mods[order[0]].name, "squashfs") && !strcmp(db.mods[order[2]].name, "overlay"));
	/* net: no every-boot module needs virtio_pci, virtio_blk, ext4 or what they need: all on demand; virtio and
	 * virtio_pci from the set's own folder, virtio_blk, ext4 and crc16 (not in the set) carried aside */
	drivers_select(&db, PROFILE_DRIVERS_NET, sel);
	ncpio = drivers_split_boot(&db, order, n, every, sel, where);
	CHECK(ncpio == 3);
	CHECK(where_of(&db, order, n, where, "loop") == DRIVERS_BOOT_CPIO);
	CHECK(where_of(&db, order, n, where, "virtio_pci") == DRIVERS_BOOT_ONDEMAND);
	CHECK(where_of(&db, order, n, where, "virtio") == DRIVERS_BOOT_ONDEMAND);
	CHECK(where_of(&db, order, n, where, "virtio_blk") == DRIVERS_BOOT_ONDEMAND);
	CHECK(where_of(&db, order, n, where, "ext4") == DRIVERS_BOOT_ONDEMAND);
	CHECK(where_of(&db, order, n, where, "crc16") == DRIVERS_BOOT_ONDEMAND);
	CHECK(sel[modules_dep_find(&db, "ext4")] == DRIVERS_SEL_ONDEMAND);
	CHECK(sel[modules_dep_find(&db, "virtio_pci")] == DRIVERS_SEL_SET);
	CHECK(sel[modules_dep_find(&db, "squashfs")] == DRIVERS_SEL_NO);
	/* ext4 as a profile kmod line: every boot needs it and the set lacks it, so init.cpio carries it and crc16 */
	drivers_select(&db, PROFILE_DRIVERS_NET, sel);
	for (k = 0; k < n; k++)
		every[k] = k < 3 || !strcmp(db.mods[order[k]].name, "ext4");
	ncpio = drivers_split_boot(&db, order, n, every, sel, where);
	CHECK(ncpio == 5);
	CHECK(where_of(&db, order, n, where, "ext4") == DRIVERS_BOOT_CPIO);
	CHECK(where_of(&db, order, n, where, "crc16") == DRIVERS_BOOT_CPIO);
	CHECK(where_of(&db, order, n, where, "virtio_blk") == DRIVERS_BOOT_ONDEMAND);
	/* virtio_pci as a profile kmod line: every boot, from the set */
	drivers_select(&db, PROFILE_DRIVERS_NET, sel);
	for (k = 0; k < n; k++)
		every[k] = k < 3 || !strcmp(db.mods[order[k]].name, "virtio_pci");
	CHECK(drivers_split_boot(&db, order, n, every, sel, where) == 3);
	CHECK(where_of(&db, order, n, where, "virtio_pci") == DRIVERS_BOOT_DRIVERS);
	CHECK(where_of(&db, order, n, where, "virtio") == DRIVERS_BOOT_DRIVERS);
	CHECK(where_of(&db, order, n, where, "ext4") == DRIVERS_BOOT_ONDEMAND);
	/* everything in the set: only the three required ones stay in init.cpio, the rest is on demand from the
	 * set, and nothing is carried aside */
	drivers_select(&db, PROFILE_DRIVERS_ALL, sel);
	for (k = 0; k < n; k++)
		every[k] = k < 3;
	ncpio = drivers_split_boot(&db, order, n, every, sel, where);
	CHECK(ncpio == 3);
	for (k = 0; k < n; k++) {
		const char *m = db.mods[order[k]].name;
		int req = !strcmp(m, "squashfs") || !strcmp(m, "loop") || !strcmp(m, "overlay");
		CHECK(where[k] == (req ? DRIVERS_BOOT_CPIO : DRIVERS_BOOT_ONDEMAND));
		CHECK(sel[order[k]] == DRIVERS_SEL_SET);
	}
	free(order);
	free(sel);
	modules_dep_free(&db);
}

/* the key follows the set and the files: another class, or a module file that changed, makes another key */
static void test_key(void)
{
	char dir[] = "/tmp/ramhost-drivers-XXXXXX", path[256], k1[DRIVERS_KEY_LEN + 1], k2[DRIVERS_KEY_LEN + 1];
	struct modules_dep db = { 0 };
	struct rh_err err;
	unsigned char *sel;
	FILE *f;

	rh_err_clear(&err);
	CHECK(mkdtemp(dir) != NULL);
	CHECK(load(&db) == 0);
	sel = calloc(db.nmods, 1);
	drivers_select(&db, PROFILE_DRIVERS_NET, sel);
	CHECK(drivers_key(&db, sel, dir, "6.1.0-1-amd64", PROFILE_DRIVERS_NET, k1, &err) == 0);
	CHECK(strlen(k1) == DRIVERS_KEY_LEN);
	CHECK(drivers_key(&db, sel, dir, "6.1.0-1-amd64", PROFILE_DRIVERS_NET, k2, &err) == 0 && !strcmp(k1, k2));
	CHECK(drivers_key(&db, sel, dir, "6.1.0-2-amd64", PROFILE_DRIVERS_NET, k2, &err) == 0 && strcmp(k1, k2));
	/* one more module carried on demand makes another key */
	sel[modules_dep_find(&db, "ext4")] = DRIVERS_SEL_ONDEMAND;
	CHECK(drivers_key(&db, sel, dir, "6.1.0-1-amd64", PROFILE_DRIVERS_NET, k2, &err) == 0 && strcmp(k1, k2));
	sel[modules_dep_find(&db, "ext4")] = DRIVERS_SEL_NO;
	snprintf(path, sizeof(path), "%s/kernel", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/kernel/drivers", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/kernel/drivers/ptp", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/kernel/drivers/ptp/ptp.ko", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("module", f);
	fclose(f);
	CHECK(drivers_key(&db, sel, dir, "6.1.0-1-amd64", PROFILE_DRIVERS_NET, k2, &err) == 0 && strcmp(k1, k2));
	unlink(path);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK(system(path) == 0);
	free(sel);
	modules_dep_free(&db);
}

int main(void)
{
	RUN(test_class);
	RUN(test_select);
	RUN(test_split_boot);
	RUN(test_key);
	UNIT_EXIT();
}
