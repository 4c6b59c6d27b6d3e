/* test_modalias.c: module alias lines and device matching (lib/modalias.c), and init.cpio's boot.alias made from
 * a kernel's modules.alias (image-builder/boot_alias.c): only the boot modules that drive PCI devices alone are
 * gated, named by their path as init.conf names them. */
#include <stdlib.h>
#include <string.h>

#include "image-builder/boot_alias.h"
#include "modalias.h"
#include "unit.h"

/* QEMU's i440fx machine: the host bridge, PIIX3 ISA and IDE, an e1000 NIC. */
static const char *const pc_devs[] = {
	"pci:v00008086d00001237sv00001AF4sd00001100bc06sc00i00",
	"pci:v00008086d00007000sv00001AF4sd00001100bc06sc01i00",
	"pci:v00008086d00007010sv00001AF4sd00001100bc01sc01i80",
	"pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00",
};

static const char aliases[] =
	"# Aliases extracted from modules themselves.\n"
	"alias pci:v*d*sv*sd*bc01sc06i01* ahci\n"
	"alias pci:v00008086d00002922sv*sd*bc*sc*i* ahci\n"
	"alias pci:v00008086d00007010sv*sd*bc*sc*i* ata_piix\n"
	"alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n"
	"alias usb:v*p*d*dc*dsc*dp*ic08isc06ip50in* usb_storage\n"
	"alias virtio:d00000002v* virtio_blk\n"
	"alias fs-ext4 ext4\n"
	"alias pci:v*d*sv*sd*bc01sc08i02* nvme\n"
	"alias cpu:type:x86,ven*fam*mod*:feature:*0081* crc32c_intel\n"
	"alias pci:v*d*sv*sd*bc0Csc03i30* xhci-pci\n"
	"alias pci:v00001234d*sv*sd*bc*sc*i* mixed\n"
	"alias acpi*:PNP0A03:* mixed\n"
	"garbage line without the keyword\n"
	"alias only-two-words\n"
	"alias too many words here\n";

static const char dep[] =
	"kernel/drivers/ata/ahci.ko: kernel/drivers/ata/libahci.ko\n"
	"kernel/drivers/ata/libahci.ko:\n"
	"kernel/drivers/ata/ata_piix.ko:\n"
	"kernel/drivers/virtio/virtio_pci.ko.xz:\n"
	"kernel/drivers/usb/storage/usb-storage.ko:\n"
	"kernel/drivers/block/virtio_blk.ko:\n"
	"kernel/fs/ext4/ext4.ko:\n"
	"kernel/drivers/usb/host/xhci-pci.ko:\n"
	"kernel/drivers/misc/mixed.ko:\n";

static void test_next_skips_malformed(void)
{
	const char *pat, *mod;
	size_t pos = 0, patl, modl;
	unsigned n = 0;

	while (modalias_next(aliases, sizeof(aliases) - 1, &pos, &pat, &patl, &mod, &modl))
		n++;
	CHECK(n == 12);
	CHECK(pos == sizeof(aliases) - 1);
	pos = 0;
	CHECK(modalias_next("alias a\0b m\nalias x y\n", 22, &pos, &pat, &patl, &mod, &modl) == 1);
	CHECK(patl == 1 && pat[0] == 'x' && modl == 1 && mod[0] == 'y');
}

static void test_match(void)
{
	const char *p = "pci:v*d*sv*sd*bc01sc06i01*";

	CHECK(modalias_match(p, strlen(p), "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01"));
	CHECK(!modalias_match(p, strlen(p), pc_devs[2]));
	CHECK(modalias_match("pci:v00008086d00007010sv*sd*bc*sc*i*XYZ", 36, pc_devs[2]));
}

/* What init decides on QEMU's pc machine with the boot.alias of paths. */
static void test_wanted(void)
{
	static const char text[] =
		"alias pci:v*d*sv*sd*bc01sc06i01* kernel/drivers/ata/ahci.ko\n"
		"alias pci:v00008086d00007010sv*sd*bc*sc*i* kernel/drivers/ata/ata_piix.ko\n";
	size_t n = sizeof(pc_devs) / sizeof(pc_devs[0]);

	CHECK(modalias_wanted(text, sizeof(text) - 1, "kernel/drivers/ata/ata_piix.ko", pc_devs, n) == 1);
	CHECK(modalias_wanted(text, sizeof(text) - 1, "kernel/drivers/ata/ahci.ko", pc_devs, n) == 0);
	CHECK(modalias_wanted(text, sizeof(text) - 1, "kernel/fs/ext4/ext4.ko", pc_devs, n) == 1);
	CHECK(modalias_wanted(text, sizeof(text) - 1, "kernel/drivers/ata/ata_piix.ko", pc_devs, 0) == 0);
	CHECK(modalias_wanted("", 0, "kernel/drivers/ata/ahci.ko", pc_devs, n) == 1);
}

/* boot.alias lists ahci, ata_piix, virtio_pci (its plain path) and xhci-pci (named xhci_pci by its aliases' '-'),
 * not usb-storage, virtio_blk, ext4 (other buses, a file system), libahci (no alias) or mixed (a non-PCI alias). */
static void test_boot_alias_format(void)
{
	struct modules_dep db = { 0 };
	struct rh_err err = { 0 };
	unsigned order[9], i;
	char *text = NULL;
	size_t len = 0;

	CHECK(modules_dep_parse(&db, dep, sizeof(dep) - 1, "modules.dep", &err) == 0);
	for (i = 0; i < db.nmods && i < 9; i++)
		order[i] = i;
	CHECK(db.nmods == 9);
	CHECK(boot_alias_format(&db, order, db.nmods, aliases, sizeof(aliases) - 1, &text, &len, &err) == 0);
	CHECK_STR(text, "alias pci:v*d*sv*sd*bc01sc06i01* kernel/drivers/ata/ahci.ko\n"
			"alias pci:v00008086d00002922sv*sd*bc*sc*i* kernel/drivers/ata/ahci.ko\n"
			"alias pci:v00008086d00007010sv*sd*bc*sc*i* kernel/drivers/ata/ata_piix.ko\n"
			"alias pci:v00001AF4d*sv*sd*bc*sc*i* kernel/drivers/virtio/virtio_pci.ko\n"
			"alias pci:v*d*sv*sd*bc0Csc03i30* kernel/drivers/usb/host/xhci-pci.ko\n");
	CHECK(len == (text ? strlen(text) : 0));
	free(text);
	/* a kernel whose modules.alias names none of them: nothing is gated */
	CHECK(boot_alias_format(&db, order, db.nmods, "", 0, &text, &len, &err) == 0);
	CHECK(len == 0);
	free(text);
	modules_dep_free(&db);
}

int main(void)
{
	RUN(test_next_skips_malformed);
	RUN(test_match);
	RUN(test_wanted);
	RUN(test_boot_alias_format);
	UNIT_EXIT();
}
