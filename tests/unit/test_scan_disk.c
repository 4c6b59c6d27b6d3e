/* test_scan_disk.c: scan_disk on a small ramhost-shaped disk image built here with sgdisk, mkfs.fat, mtools and
 * mkfs.ext4 (no ramhost image needed, so it runs under ASan with the unit tests): the healthy disk has no
 * problem and every fact the verdict needs; then one damage per row (MBR code, main GPT header, ESP boot sector
 * with its FAT32 backup, a module flipped in bank 1, boot.cfg cut short, the fallback loader deleted), each
 * found with its repair. The builds of the larger matrix on real images are tests/integration/rescue_scan.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recovery/rdisk.h"
#include "recovery/scan.h"
#include "unit.h"

static char dir[] = "/tmp/test_scan_disk.XXXXXX";

/* ESP 34 MiB FAT32 at 1 MiB, banks of 8 MiB FAT16 (RHBANK1/2), ext4 state; bank files hashed into boot.cfg. */
static const char build_sh[] =
	"set -e; cd \"$1\"; export MTOOLS_SKIP_CHECK=1\n"
	"truncate -s 80M d.img\n"
	"sgdisk -n 1:2048:+34M -t 1:EF00 -c 1:ESP -A 1:set:2 -n 2:0:+8M -t 2:0700 -c 2:bootbank "
	"-n 3:0:+8M -t 3:0700 -c 3:altbootbank -n 4:0:0 -t 4:8300 -c 4:state d.img >/dev/null\n"
	"dd if=/usr/lib/syslinux/mbr/gptmbr.bin of=d.img bs=440 count=1 conv=notrunc status=none\n"
	"mkfs.fat -F 32 -s 1 -n RH-ESP -C esp.img 34816 >/dev/null\n"
	"printf 'MZ ... ramhost UEFI loader ...' >l.efi; printf x >ldlinux.sys; printf x >ldlinux.c32\n"
	"printf 'DEFAULT bootbank\\nLABEL bootbank\\n' >syslinux.cfg\n"
	"mmd -i esp.img ::/EFI ::/EFI/BOOT ::/syslinux\n"
	"mcopy -i esp.img l.efi ::/EFI/BOOT/BOOTX64.EFI\n"
	"mcopy -i esp.img ldlinux.sys ldlinux.c32 syslinux.cfg ::/syslinux/\n"
	/* base.tdk starts with a fixed text: the damage row writes 'Z' at byte 9, which a random byte there would
	 * already be once in 256 runs (the row then found nothing to repair) */
	"head -c 300000 /dev/urandom >vmlinuz; { printf ramhost-base-tdk; head -c 700000 /dev/urandom; } >base.tdk\n"
	"printf cpio >bootcfg.cpio\n"
	"for b in 1 2; do\n"
	"  mkfs.fat -n RHBANK$b -C b$b.img 8192 >/dev/null\n"
	"  { echo bootstate=0; echo kernel=vmlinuz; echo modules=base.tdk; echo updated=$((3 - b));\n"
	"    echo hash.vmlinuz=sha256:$(sha256sum <vmlinuz | cut -d' ' -f1);\n"
	"    echo hash.base.tdk=sha256:$(sha256sum <base.tdk | cut -d' ' -f1); } >boot.cfg\n"
	"  mmd -i b$b.img ::/syslinux\n"
	"  mcopy -i b$b.img vmlinuz base.tdk boot.cfg bootcfg.cpio ::/\n"
	"  mcopy -i b$b.img ldlinux.sys ldlinux.c32 syslinux.cfg ::/syslinux/\n"
	"done\n"
	"mkfs.ext4 -q -F st.img 8M >/dev/null 2>&1\n"
	"dd if=esp.img of=d.img bs=1M seek=1 conv=notrunc,sparse status=none\n"
	"dd if=b1.img of=d.img bs=1M seek=35 conv=notrunc,sparse status=none\n"
	"dd if=b2.img of=d.img bs=1M seek=43 conv=notrunc,sparse status=none\n"
	"dd if=st.img of=d.img bs=1M seek=51 conv=notrunc,sparse status=none\n"
	"rm -f esp.img b1.img b2.img st.img\n";

static int sh(const char *fmt, const char *arg)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), fmt, arg);
	return system(cmd);
}

/* Scans dir/name into r (backups: the backup_parent, or NULL); 0 when the scan ran. */
static int scan_with(const char *name, const char *backups, struct scan_report *r)
{
	struct rh_err err = { 0, "" };
	struct scan_opts o = { NULL, backups, 1 };
	char path[128];
	struct rdisk d;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = rdisk_open(path, 0, 0, &d, &err);
	if (rc < 0) {
		fprintf(stderr, "  %s\n", err.msg);
		return rc;
	}
	rc = scan_disk(&d, &o, r, &err);
	rdisk_close(&d);
	return rc;
}

static int scan(const char *name, struct scan_report *r)
{
	return scan_with(name, NULL, r);
}

static const struct scan_problem *find(const struct scan_report *r, const char *code)
{
	for (unsigned i = 0; i < r->nproblems; i++)
		if (!strcmp(r->problems[i].code, code))
			return &r->problems[i];
	return NULL;
}

static void healthy(void)
{
	struct scan_report *r = malloc(sizeof(*r));

	CHECK(r && scan("d.img", r) == 0);
	if (!r)
		return;
	for (unsigned i = 0; i < r->nproblems; i++)
		fprintf(stderr, "  unexpected %s: %s\n", r->problems[i].code, r->problems[i].what);
	CHECK(r->nproblems == 0 && r->is_ramhost && r->sector == 512);
	CHECK(r->mbr.mbr.code == MBR_CODE_GPTMBR && r->gpt.main_ok && r->gpt.backup_ok && !r->gpt.backup_not_at_end);
	CHECK(r->esp.fat.fs_ok && r->esp.fallback_is_ramhost && r->esp.has_syslinux && r->esp.chain_bank == 1);
	CHECK(r->esp.nfiles == 1 && r->esp.files[0].pe_signed == -1 && !strcmp(r->esp.fat.label, "RH-ESP"));
	for (int b = 0; b < 2; b++) {
		CHECK(r->bank[b].cfg_present && r->bank[b].modules_ok && r->bank[b].nmodules == 2);
		CHECK(r->bank[b].has_syslinux && r->bank[b].has_bootcfg_cpio && r->bank[b].bootstate == 0);
		CHECK(r->bank[b].updated == (uint64_t)(2 - b) && r->bank[b].fat.free_bytes > 0);
	}
	CHECK(r->state.exists && r->state.fs_ok && r->state.ngens == 0);
	free(r);
}

struct row {
	const char *damage;      /* shell, in dir, on x.img (a copy of d.img) */
	const char *code;
	enum rescue_op op;
	const char *arg;
};

static const struct row rows[] = {
	{ "dd if=/dev/zero of=x.img bs=440 count=1 conv=notrunc status=none", "mbr-code-zero", RESCUE_OP_FIX_PMBR,
	  "" },
	{ "printf X | dd of=x.img bs=1 seek=532 conv=notrunc status=none", "gpt-main-damaged", RESCUE_OP_FIX_GPT,
	  "" },
	{ "dd if=/dev/zero of=x.img bs=512 seek=2048 count=1 conv=notrunc status=none", "esp-boot-sector-damaged",
	  RESCUE_OP_FSCK, "esp" },
	{ "mcopy -i x.img@@$((35 << 20)) ::/base.tdk m && printf Z | dd of=m bs=1 seek=9 conv=notrunc status=none && "
	  "mcopy -o -i x.img@@$((35 << 20)) m ::/base.tdk", "bank-module-damaged", RESCUE_OP_COPY_MODULE,
	  "1:base.tdk" },
	{ "mcopy -i x.img@@$((43 << 20)) ::/boot.cfg c && truncate -s 60 c && "
	  "mcopy -o -i x.img@@$((43 << 20)) c ::/boot.cfg", "bank-cfg-bad", RESCUE_OP_REBUILD_CFG, "2" },
	{ "mdel -i x.img@@$((1 << 20)) ::/EFI/BOOT/BOOTX64.EFI", "esp-fallback-missing", RESCUE_OP_INSTALL_UEFI, "" },
	{ "mdel -i x.img@@$((43 << 20)) ::/syslinux/ldlinux.c32", "bank-syslinux-missing", RESCUE_OP_INSTALL_BIOS,
	  "" },
};

static void damage(void)
{
	struct scan_report *r = malloc(sizeof(*r));
	const struct scan_problem *p;
	char cmd[1024];

	CHECK(r != NULL);
	for (size_t i = 0; r && i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(cmd, sizeof(cmd), "cd \"%%s\" && export MTOOLS_SKIP_CHECK=1 && cp --sparse=always d.img x.img && %s",
			 rows[i].damage);
		CHECK(sh(cmd, dir) == 0);
		CHECK(scan("x.img", r) == 0);
		p = find(r, rows[i].code);
		if (!p)
			fprintf(stderr, "  row %zu: no %s (%u problems, first %s)\n", i, rows[i].code, r->nproblems,
				r->nproblems ? r->problems[0].code : "-");
		CHECK(p && p->op == rows[i].op && !strcmp(p->arg, rows[i].arg));
	}
	free(r);
}

/* Writes build_sh into dir and runs it there. */
static int build(void)
{
	char path[128];
	FILE *f;

	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/build.sh", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(build_sh, f);
	if (fclose(f))
		return -1;
	return sh("bash \"%1$s/build.sh\" \"%1$s\"", dir);
}

/* boot.cfg's prefix= is where the kernel and modules are, as ramhost.efi reads them. */
static void prefix(void)
{
	struct scan_report *r = malloc(sizeof(*r));

	CHECK(sh("cd '%s' && export MTOOLS_SKIP_CHECK=1 && cp --sparse=always d.img x.img && B=x.img@@$((35 << 20)) && "
		 "mmd -i $B ::/sub && mmove -i $B ::/vmlinuz ::/base.tdk ::/sub/ && mcopy -i $B ::/boot.cfg c && "
		 "echo prefix=/sub/ >>c && mcopy -o -i $B c ::/boot.cfg", dir) == 0);
	CHECK(r && scan("x.img", r) == 0);
	CHECK(r && r->bank[0].cfg_present && r->bank[0].modules_ok && r->nproblems == 0);
	free(r);
}

/* A backup folder left at "applying" by a cut repair is named; one "applied" is not. */
static void pending(void)
{
	struct scan_report *r = malloc(sizeof(*r));
	const struct scan_problem *p;
	char backups[128];

	snprintf(backups, sizeof(backups), "%s/backups", dir);
	CHECK(sh("cd '%s' && mkdir -p backups/rescue-20261205-010000 backups/rescue-20261205-020000 && "
		 "echo applied >backups/rescue-20261205-010000/status && "
		 "echo applying >backups/rescue-20261205-020000/status", dir) == 0);
	CHECK(r && scan_with("d.img", backups, r) == 0);
	p = r ? find(r, "rescue-undo-pending") : NULL;
	CHECK(p && r->state.pending_backup && !strcmp(r->state.pending_dir, "rescue-20261205-020000"));
	CHECK(p && strstr(p->what, "rescue undo") && r->nproblems == 1);
	CHECK(sh("echo applied >'%s/backups/rescue-20261205-020000/status'", dir) == 0);
	CHECK(r && scan_with("d.img", backups, r) == 0 && r->nproblems == 0 && !r->state.pending_backup);
	free(r);
}

int main(void)
{
	if (build() != 0) {
		printf("FAIL build_disk\n");
		sh("rm -rf '%s'", dir);
		return 1;
	}
	RUN(healthy);
	RUN(damage);
	RUN(prefix);
	RUN(pending);
	sh("rm -rf '%s'", dir);
	UNIT_EXIT();
}
