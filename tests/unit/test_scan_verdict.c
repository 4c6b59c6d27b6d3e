/* test_scan_verdict.c: scan_verdict on facts set by hand, one row per fault of the matrix: a healthy
 * ramhost disk has no problem; each damage gives its code, severity, repair and argument, and nothing else that
 * would run a wrong repair. Also the op names both ways. */
#include <stdlib.h>
#include <string.h>

#include "recovery/scan.h"
#include "unit.h"

static const uint8_t h_kernel[32] = { 1 }, h_base[32] = { 2 };

static void healthy_bank(struct scan_bank *b, int number, uint64_t updated)
{
	b->number = number;
	b->fat.exists = 1;
	b->fat.partno = (uint32_t)number + 1;
	b->fat.fs_ok = 1;
	b->fat.backup_boot = 1;
	b->fat.free_bytes = 40u << 20;
	b->cfg_present = 1;
	b->bootstate = 0;
	b->updated = updated;
	b->nmodules = 2;
	strcpy(b->modules[0].name, "vmlinuz");
	memcpy(b->modules[0].want, h_kernel, 32);
	memcpy(b->modules[0].sha256, h_kernel, 32);
	strcpy(b->modules[1].name, "base.tdk");
	memcpy(b->modules[1].want, h_base, 32);
	memcpy(b->modules[1].sha256, h_base, 32);
	b->modules_ok = 1;
	b->has_syslinux = 1;
	b->has_bootcfg_cpio = 1;
}

/* A ramhost disk of 1 GiB, 512-byte sectors, everything in place, firmware entries read. */
static void healthy(struct scan_report *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->disk, "disk.img");
	r->size = 1u << 30;
	r->sector = 512;
	r->mbr.read = 1;
	r->mbr.mbr.signature_ok = 1;
	r->mbr.mbr.code = MBR_CODE_GPTMBR;
	r->mbr.mbr.nparts = 1;
	r->mbr.mbr.protective = 1;
	r->gpt.main_ok = r->gpt.backup_ok = r->gpt.have = 1;
	r->gpt.backup_lba = r->size / 512 - 1;
	r->is_ramhost = 1;
	r->esp.fat.exists = 1;
	r->esp.fat.partno = 1;
	r->esp.fat.fs_ok = 1;
	r->esp.fat.backup_boot = 1;
	r->esp.fat.free_bytes = 50u << 20;
	r->esp.has_fallback = r->esp.fallback_is_ramhost = 1;
	r->esp.has_syslinux = r->esp.has_chain_cfg = 1;
	r->esp.chain_bank = 1;
	r->esp.nfiles = 1;
	strcpy(r->esp.files[0].path, "/EFI/BOOT/BOOTX64.EFI");
	healthy_bank(&r->bank[0], 1, 2);
	healthy_bank(&r->bank[1], 2, 1);
	r->state.exists = r->state.fs_ok = 1;
	r->state.ngens = 2;
	r->state.gens[0].gen = 1;
	r->state.gens[0].ok = 1;
	r->state.gens[1].gen = 2;
	r->state.gens[1].ok = 1;
	r->efi.available = 1;
	r->efi.nentries = 1;
	r->efi.entries[0].num = 1;
	strcpy(r->efi.entries[0].desc, "ramhost");
	r->efi.entries[0].ours = r->efi.entries[0].on_this_disk = r->efi.entries[0].file_exists = 1;
	r->efi.entries[0].in_order = 1;
	r->efi.norder = 1;
	r->efi.order[0] = 1;
	r->efi.store_total = 65536;
	r->efi.store_free = 50000;
}

static void d_none(struct scan_report *r) { (void)r; }
static void d_mbr_zeroed(struct scan_report *r) { memset(&r->mbr.mbr, 0, sizeof(r->mbr.mbr)); }
static void d_code_zero(struct scan_report *r) { r->mbr.mbr.code = MBR_CODE_ZERO; }
static void d_code_grub(struct scan_report *r) { r->mbr.mbr.code = MBR_CODE_GRUB; }
static void d_code_windows(struct scan_report *r) { r->mbr.mbr.code = MBR_CODE_WINDOWS; }
static void d_code_unknown(struct scan_report *r) { r->mbr.mbr.code = MBR_CODE_UNKNOWN; }
static void d_hybrid(struct scan_report *r)
{
	r->mbr.mbr.hybrid = 1;
	r->mbr.mbr.protective = 0;
	r->mbr.mbr.nparts = 3;
}
static void d_gpt_main(struct scan_report *r)
{
	r->gpt.main_ok = 0;
	r->gpt.used_backup = 1;
	strcpy(r->gpt.main_why, "header: CRC32 mismatch");
}
static void d_gpt_backup(struct scan_report *r)
{
	r->gpt.backup_ok = 0;
	strcpy(r->gpt.backup_why, "header: no \"EFI PART\" signature");
}
static void d_gpt_grown(struct scan_report *r)
{
	r->size += 1u << 30;
	r->gpt.backup_not_at_end = 1;
}
static void d_gpt_both(struct scan_report *r)
{
	r->gpt.main_ok = r->gpt.backup_ok = r->gpt.have = 0;
	r->is_ramhost = 0;
	r->esp.fat.exists = r->bank[0].fat.exists = r->bank[1].fat.exists = r->state.exists = 0;
	r->efi.entries[0].on_this_disk = 0;
	r->efi.entries[0].ours = 1;
}
static void d_esp_bs(struct scan_report *r)
{
	r->esp.fat.fs_ok = 0;
	r->esp.fat.boot_sector_from_backup = 1;
	strcpy(r->esp.fat.fs_why, "boot sector: no 55 AA");
}
static void d_esp_dirty(struct scan_report *r) { r->esp.fat.dirty = r->esp.fat.fats_differ = 1; }
static void d_esp_full(struct scan_report *r) { r->esp.fat.free_bytes = 4096; }
static void d_no_fallback(struct scan_report *r) { r->esp.has_fallback = r->esp.fallback_is_ramhost = 0; }
static void d_foreign(struct scan_report *r) { r->esp.fallback_is_ramhost = 0; }
static void d_unsigned(struct scan_report *r) { r->efi.secure_boot = 1; }
static void d_esp_syslinux(struct scan_report *r) { r->esp.has_syslinux = 0; }
static void d_cfg_bad(struct scan_report *r)
{
	r->bank[0].cfg_present = 0;
	r->bank[0].modules_ok = 0;
	r->bank[0].nmodules = 0;
	strcpy(r->bank[0].cfg_why, "line 3: truncated");
}
static void d_module(struct scan_report *r)
{
	r->bank[0].modules[1].state = SCAN_MOD_BAD_HASH;
	r->bank[0].modules[1].sha256[0] ^= 1;
	r->bank[0].modules_ok = 0;
}
static void d_both_banks(struct scan_report *r)
{
	d_module(r);
	r->bank[1].modules[1].state = SCAN_MOD_MISSING;
	r->bank[1].modules_ok = 0;
}
static void d_bank_syslinux(struct scan_report *r)
{
	r->bank[1].has_syslinux = 0;
	strcpy(r->bank[1].syslinux_missing, "/syslinux/ldlinux.sys");
}
static void d_state(struct scan_report *r)
{
	r->state.gens[1].ok = 0;
	strcpy(r->state.gens[1].why, "truncated");
}
static void d_no_entries(struct scan_report *r) { r->efi.nentries = 0; }
static void d_stale(struct scan_report *r) { r->efi.entries[0].on_this_disk = 0; }
static void d_order(struct scan_report *r) { r->efi.order_missing = 1; }
static void d_store(struct scan_report *r) { r->efi.store_free = 1000; }
static void d_empty_bank2(struct scan_report *r)
{
	memset(&r->bank[1], 0, sizeof(r->bank[1]));
	healthy_bank(&r->bank[1], 2, 0);
	r->bank[1].cfg_present = 0;
	r->bank[1].nmodules = 0;
	r->bank[1].modules_ok = 0;
	r->bank[1].empty = 1;
	r->bank[1].bootstate = -1;
}
static void d_both_empty(struct scan_report *r)
{
	d_empty_bank2(r);
	r->bank[0].cfg_present = 0;
	r->bank[0].nmodules = 0;
	r->bank[0].modules_ok = 0;
	r->bank[0].empty = 1;
}
static void d_linux(struct scan_report *r)
{
	r->is_ramhost = 0;
	r->mbr.mbr.code = MBR_CODE_ZERO;
	r->gpt.disk.nparts = 2;
	gpt_guid_from_str("21686148-6449-6E6F-744E-656564454649", r->gpt.disk.parts[0].type_guid);
	gpt_guid_from_str("0FC63DAF-8483-4772-8E79-3D69D8477DE4", r->gpt.disk.parts[1].type_guid);
	r->esp.fat.exists = 0;
	r->bank[0].fat.exists = r->bank[1].fat.exists = r->state.exists = 0;
	r->efi.available = 0;
	r->nothers = 1;
	strcpy(r->others[0].kind, "linux");
	strcpy(r->others[0].where, "p2");
	strcpy(r->others[0].detail, "Debian GNU/Linux 12 (bookworm)");
}

struct row {
	const char *name;
	void (*damage)(struct scan_report *r);
	const char *code;           /* NULL: no problem at all */
	enum scan_sev sev;
	enum rescue_op op;
	const char *arg;
	const char *also;           /* another code that must be there too, or NULL */
	const char *not;            /* a code that must not be there, or NULL */
	const char *in_what;        /* a phrase the sentence must hold, or NULL */
};

static const struct row rows[] = {
	{ "healthy", d_none, NULL, 0, 0, NULL, NULL, NULL, NULL },
	{ "lba0 zeroed", d_mbr_zeroed, "mbr-zeroed", SCAN_BROKEN, RESCUE_OP_FIX_PMBR, "", NULL, "mbr-code-zero",
	  "BIOS cannot boot" },
	{ "440 zeroed", d_code_zero, "mbr-code-zero", SCAN_BROKEN, RESCUE_OP_FIX_PMBR, "", NULL, NULL,
	  "UEFI still can" },
	{ "grub code", d_code_grub, "mbr-code-grub", SCAN_BROKEN, RESCUE_OP_FIX_PMBR, "", NULL, NULL, "--force" },
	{ "windows code", d_code_windows, "mbr-code-windows", SCAN_BROKEN, RESCUE_OP_FIX_PMBR, "", NULL, NULL,
	  "Windows" },
	{ "unknown code", d_code_unknown, "mbr-code-unknown", SCAN_WARN, RESCUE_OP_FIX_PMBR, "", NULL, NULL,
	  "--force" },
	{ "hybrid", d_hybrid, "mbr-hybrid", SCAN_WARN, RESCUE_OP_NONE, "", NULL, "mbr-not-protective", NULL },
	{ "gpt main", d_gpt_main, "gpt-main-damaged", SCAN_BROKEN, RESCUE_OP_FIX_GPT, "", NULL, NULL,
	  "header: CRC32 mismatch" },
	{ "gpt backup", d_gpt_backup, "gpt-backup-damaged", SCAN_WARN, RESCUE_OP_FIX_GPT, "", NULL, NULL, NULL },
	{ "gpt grown", d_gpt_grown, "gpt-backup-not-at-end", SCAN_WARN, RESCUE_OP_FIX_GPT, "", NULL, NULL,
	  "LBA 4194303" },
	{ "gpt both", d_gpt_both, "gpt-both-damaged", SCAN_BROKEN, RESCUE_OP_FIND_PARTITIONS, "", NULL,
	  "esp-missing", NULL },
	{ "esp sector 0", d_esp_bs, "esp-boot-sector-damaged", SCAN_BROKEN, RESCUE_OP_FSCK, "esp", NULL, NULL,
	  "no 55 AA" },
	{ "esp dirty", d_esp_dirty, "esp-dirty", SCAN_WARN, RESCUE_OP_FSCK, "esp", NULL, NULL, "FATs differ" },
	{ "esp full", d_esp_full, "esp-full", SCAN_WARN, RESCUE_OP_NONE, "", NULL, NULL, "4 KiB free" },
	{ "no fallback", d_no_fallback, "esp-fallback-missing", SCAN_BROKEN, RESCUE_OP_INSTALL_UEFI, "", NULL, NULL,
	  "BIOS still can" },
	{ "foreign fallback", d_foreign, "esp-fallback-foreign", SCAN_BROKEN, RESCUE_OP_INSTALL_UEFI, "", NULL,
	  NULL, NULL },
	{ "unsigned", d_unsigned, "esp-loader-unsigned", SCAN_BROKEN, RESCUE_OP_INSTALL_UEFI, "", NULL, NULL,
	  "Secure Boot" },
	{ "esp syslinux", d_esp_syslinux, "esp-syslinux-missing", SCAN_BROKEN, RESCUE_OP_INSTALL_BIOS, "", NULL,
	  NULL, NULL },
	{ "cfg truncated", d_cfg_bad, "bank-cfg-bad", SCAN_BROKEN, RESCUE_OP_REBUILD_CFG, "1", "bank-revert", NULL,
	  "line 3: truncated" },
	{ "module flipped", d_module, "bank-module-damaged", SCAN_BROKEN, RESCUE_OP_COPY_MODULE, "1:base.tdk",
	  "bank-revert", "bank-damaged", "from bank 2" },
	{ "both banks", d_both_banks, "bank-damaged", SCAN_BROKEN, RESCUE_OP_REINSTALL_BANK, "1", NULL,
	  "bank-revert", "keeps the state" },
	{ "bank ldlinux", d_bank_syslinux, "bank-syslinux-missing", SCAN_BROKEN, RESCUE_OP_INSTALL_BIOS, "", NULL,
	  "bank-revert", "ldlinux.sys" },
	{ "state newest", d_state, "state-newest-damaged", SCAN_WARN, RESCUE_OP_RESTORE_STATE, "1", NULL, NULL,
	  "truncated" },
	{ "no entries", d_no_entries, "efi-no-entry", SCAN_WARN, RESCUE_OP_BOOT_ENTRIES, "", NULL, NULL, NULL },
	{ "stale entry", d_stale, "efi-entry-stale", SCAN_WARN, RESCUE_OP_BOOT_ENTRIES, "", "efi-no-entry", NULL,
	  "Boot0001" },
	{ "no bootorder", d_order, "efi-bootorder-missing", SCAN_WARN, RESCUE_OP_BOOT_ENTRIES, "", NULL, NULL,
	  NULL },
	{ "store full", d_store, "efi-store-full", SCAN_WARN, RESCUE_OP_BOOT_ENTRIES, "", NULL, NULL, "1000" },
	{ "single bank", d_empty_bank2, NULL, 0, 0, NULL, NULL, NULL, NULL },
	{ "no bank", d_both_empty, "banks-empty", SCAN_BROKEN, RESCUE_OP_REINSTALL_BANK, "1", NULL, "bank-revert",
	  NULL },
	{ "debian", d_linux, "linux-loader-missing", SCAN_BROKEN, RESCUE_OP_GRUB, "2", NULL, "mbr-code-zero",
	  "Debian GNU/Linux 12" },
};

static const struct scan_problem *find(const struct scan_report *r, const char *code)
{
	for (unsigned i = 0; i < r->nproblems; i++)
		if (!strcmp(r->problems[i].code, code))
			return &r->problems[i];
	return NULL;
}

static void matrix(void)
{
	struct scan_report *r = malloc(sizeof(*r));
	const struct scan_problem *p;
	size_t i;

	CHECK(r != NULL);
	for (i = 0; r && i < sizeof(rows) / sizeof(rows[0]); i++) {
		healthy(r);
		rows[i].damage(r);
		scan_verdict(r);
		if (!rows[i].code) {
			if (r->nproblems)
				fprintf(stderr, "  %s: unexpected %s\n", rows[i].name, r->problems[0].code);
			CHECK(r->nproblems == 0);
			continue;
		}
		p = find(r, rows[i].code);
		if (!p) {
			fprintf(stderr, "  %s: no %s (%u problems)\n", rows[i].name, rows[i].code, r->nproblems);
			CHECK(p != NULL);
			continue;
		}
		if (p->sev != rows[i].sev || p->op != rows[i].op || strcmp(p->arg, rows[i].arg))
			fprintf(stderr, "  %s: sev %d op %s arg '%s'\n", rows[i].name, p->sev, rescue_op_name(p->op),
				p->arg);
		CHECK(p->sev == rows[i].sev && p->op == rows[i].op);
		CHECK_STR(p->arg, rows[i].arg);
		CHECK(p->where[0] && p->what[0]);
		if (rows[i].also && !find(r, rows[i].also))
			fprintf(stderr, "  %s: no %s\n", rows[i].name, rows[i].also);
		CHECK(!rows[i].also || find(r, rows[i].also));
		CHECK(!rows[i].not || !find(r, rows[i].not));
		if (rows[i].in_what && !strstr(p->what, rows[i].in_what))
			fprintf(stderr, "  %s: '%s' lacks '%s'\n", rows[i].name, p->what, rows[i].in_what);
		CHECK(!rows[i].in_what || strstr(p->what, rows[i].in_what));
	}
	free(r);
}

/* Both damaged banks give one reinstall each, the revert target is the intact bank, and scan_verdict is
 * idempotent (it starts from an empty list). */
static void banks(void)
{
	struct scan_report *r = malloc(sizeof(*r));
	const struct scan_problem *p;
	unsigned i, reinstall = 0;

	CHECK(r != NULL);
	if (!r)
		return;
	healthy(r);
	d_both_banks(r);
	scan_verdict(r);
	scan_verdict(r);
	for (i = 0; i < r->nproblems; i++)
		reinstall += r->problems[i].op == RESCUE_OP_REINSTALL_BANK;
	CHECK(reinstall == 2);
	healthy(r);
	r->esp.chain_bank = 2;   /* BIOS boots bank 2, UEFI bank 1 (higher updated) */
	r->bank[1].cfg_present = 0;
	scan_verdict(r);
	p = find(r, "bank-revert");
	CHECK(p && !strcmp(p->arg, "1") && strstr(p->what, "BIOS"));
	free(r);
}

static void op_names(void)
{
	int i;

	for (i = RESCUE_OP_NONE + 1; i < RESCUE_OP__N; i++)
		CHECK(rescue_op_parse(rescue_op_name((enum rescue_op)i)) == (enum rescue_op)i);
	CHECK_STR(rescue_op_name(RESCUE_OP_FIX_PMBR), "fix-pmbr");
	CHECK_STR(rescue_op_name(RESCUE_OP_RESTORE_STATE), "restore-state");
	CHECK_STR(rescue_op_name(RESCUE_OP__N), "none");
	CHECK(rescue_op_parse("none") == RESCUE_OP_NONE);
	CHECK(rescue_op_parse("fix-gpt ") == RESCUE_OP_NONE);
	CHECK(rescue_op_parse("") == RESCUE_OP_NONE);
	CHECK(rescue_op_parse(NULL) == RESCUE_OP_NONE);
}

int main(void)
{
	RUN(matrix);
	RUN(banks);
	RUN(op_names);
	UNIT_EXIT();
}
