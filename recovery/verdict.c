/* verdict.c: the problems of a scan (scan.h), derived from its facts alone, and the names of the repairs.
 *
 * Pure: no I/O, so a unit test sets facts and checks the verdict (tests/unit/test_scan_verdict.c). Each problem
 * has a stable code (docs/rescue.md lists them), a severity (BROKEN: a boot path fails; WARN: a risk or a
 * degraded copy; INFO), where it is, one sentence, and the repair with its argument:
 *   fsck ARG            "esp", "1" / "2" (a bank) or "state"
 *   rebuild-cfg, reinstall-bank ARG   the bank number, "1" or "2"
 *   copy-module ARG     "BANK:NAME", the bank to repair and the module's name in its boot.cfg
 *   revert ARG          the bank to boot from now on
 *   restore-state ARG   the generation to make the newest
 *   grub ARG            the partition number of the Linux installation; every other op ""
 * The problems come in layer order (disk, MBR, GPT, ESP, banks, state, firmware, other systems); repair_plan
 * orders the repairs by enum rescue_op. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bank.h"
#include "scan.h"

static const char *const op_names[RESCUE_OP__N] = {
	[RESCUE_OP_NONE] = "none", [RESCUE_OP_FIX_GPT] = "fix-gpt",
	[RESCUE_OP_FIND_PARTITIONS] = "find-partitions", [RESCUE_OP_FIX_PMBR] = "fix-pmbr",
	[RESCUE_OP_FSCK] = "fsck", [RESCUE_OP_REINSTALL_BANK] = "reinstall-bank",
	[RESCUE_OP_COPY_MODULE] = "copy-module", [RESCUE_OP_REBUILD_CFG] = "rebuild-cfg",
	[RESCUE_OP_REVERT] = "revert", [RESCUE_OP_INSTALL_BIOS] = "install-bios",
	[RESCUE_OP_INSTALL_UEFI] = "install-uefi", [RESCUE_OP_BOOT_ENTRIES] = "boot-entries",
	[RESCUE_OP_RESTORE_STATE] = "restore-state", [RESCUE_OP_GRUB] = "grub",
	[RESCUE_OP_FIX_MBR_GENERIC] = "fix-mbr-generic",
};

const char *rescue_op_name(enum rescue_op op)
{
	if ((int)op < 0 || op >= RESCUE_OP__N)
		return "none";
	return op_names[op];
}

enum rescue_op rescue_op_parse(const char *s)
{
	int i;

	if (!s)
		return RESCUE_OP_NONE;
	for (i = RESCUE_OP_NONE + 1; i < RESCUE_OP__N; i++)
		if (!strcmp(s, op_names[i]))
			return (enum rescue_op)i;
	return RESCUE_OP_NONE;
}

/* Appends one problem (dropped when the table is full: SCAN_MAX_PROBLEMS is far above what one disk can have). */
static void add(struct scan_report *r, const char *code, enum scan_sev sev, const char *where, enum rescue_op op,
		const char *arg, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add(struct scan_report *r, const char *code, enum scan_sev sev, const char *where, enum rescue_op op,
		const char *arg, const char *fmt, ...)
{
	struct scan_problem *p;
	va_list ap;

	if (r->nproblems >= SCAN_MAX_PROBLEMS)
		return;
	p = &r->problems[r->nproblems++];
	memset(p, 0, sizeof(*p));
	snprintf(p->code, sizeof(p->code), "%s", code);
	p->sev = sev;
	snprintf(p->where, sizeof(p->where), "%s", where);
	p->op = op;
	snprintf(p->arg, sizeof(p->arg), "%s", arg);
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
}

/* Sector 0 wholly blank: no code, no table, no 55 AA (zeroed, or never written). */
static int mbr_blank(const struct mbr *m)
{
	return !m->signature_ok && m->code == MBR_CODE_ZERO && m->nparts == 0;
}

/* A classic MBR partition table (no 0xEE entry at all): a disk that never had a GPT. */
static int mbr_classic(const struct mbr *m)
{
	return m->signature_ok && m->nparts > 0 && !m->protective && !m->hybrid;
}

/* The boot code of a ramhost disk: gptmbr.bin, or a reason BIOS does not reach ramhost. */
static void verdict_mbr_code(struct scan_report *r, const struct mbr *m)
{
	const char *name = mbr_code_name(m->code);

	switch (m->code) {
	case MBR_CODE_GPTMBR:
		return;
	case MBR_CODE_ZERO:
		add(r, "mbr-code-zero", SCAN_BROKEN, "MBR", RESCUE_OP_FIX_PMBR, "",
		    "the MBR boot code (the first 440 bytes of sector 0) is zeroed: BIOS cannot boot this disk (UEFI "
		    "still can); fix-pmbr writes SYSLINUX's gptmbr.bin and keeps the partition table and disk "
		    "signature");
		return;
	case MBR_CODE_SYSLINUX:
		add(r, "mbr-code-syslinux", SCAN_BROKEN, "MBR", RESCUE_OP_FIX_PMBR, "",
		    "the MBR boot code is SYSLINUX's mbr.bin, made for classic tables: it cannot start a GPT "
		    "partition, so BIOS cannot boot this disk (UEFI still can); fix-pmbr writes gptmbr.bin");
		return;
	case MBR_CODE_GRUB:
	case MBR_CODE_WINDOWS:
		add(r, m->code == MBR_CODE_GRUB ? "mbr-code-grub" : "mbr-code-windows", SCAN_BROKEN, "MBR",
		    RESCUE_OP_FIX_PMBR, "",
		    "the MBR boot code is %s's, not gptmbr: BIOS starts %s instead of ramhost (UEFI still boots "
		    "ramhost); fix-pmbr replaces it only with --force, which leaves that system unbootable by BIOS",
		    m->code == MBR_CODE_GRUB ? "GRUB" : "Windows", m->code == MBR_CODE_GRUB ? "GRUB" : "Windows");
		return;
	default:
		add(r, "mbr-code-unknown", SCAN_WARN, "MBR", RESCUE_OP_FIX_PMBR, "",
		    "the MBR boot code is unknown (%s), not gptmbr: BIOS may not reach ramhost (UEFI still boots it); "
		    "fix-pmbr replaces it only with --force, as it may belong to another system", name);
		return;
	}
}

static void verdict_mbr(struct scan_report *r)
{
	const struct mbr *m = &r->mbr.mbr;

	if (!r->mbr.read) {
		add(r, "mbr-unreadable", SCAN_BROKEN, "MBR", RESCUE_OP_NONE, "", "sector 0 could not be read");
		return;
	}
	if (!r->gpt.have && !r->is_ramhost && mbr_classic(m))
		return;   /* a classic MBR disk: verdict_gpt says so */
	if (mbr_blank(m)) {
		add(r, "mbr-zeroed", SCAN_BROKEN, "MBR", RESCUE_OP_FIX_PMBR, "",
		    "sector 0 is blank (no boot code, no partition table, no 55 AA): BIOS cannot boot this disk and "
		    "some firmware and tools will not see the GPT (UEFI firmware that reads the GPT itself may still "
		    "boot it); fix-pmbr writes a protective MBR%s keeping the disk signature",
		    r->is_ramhost ? " with gptmbr.bin" : "");
		return;
	}
	if (!m->signature_ok)
		add(r, "mbr-no-signature", SCAN_BROKEN, "MBR", RESCUE_OP_FIX_PMBR, "",
		    "sector 0 lacks its 55 AA signature: BIOS will not start its boot code and tools may not see the "
		    "GPT; fix-pmbr writes a protective MBR keeping the boot code and disk signature");
	else if (m->hybrid)
		add(r, "mbr-hybrid", SCAN_WARN, "MBR", RESCUE_OP_NONE, "",
		    "sector 0 is a hybrid MBR (a 0xEE entry and %u others): another system may rely on it, and "
		    "tools may disagree about the partitions; fix-pmbr would make it protective only with --force",
		    m->nparts ? m->nparts - 1 : 0);
	else if (!m->protective)
		add(r, "mbr-not-protective", SCAN_BROKEN, "MBR", RESCUE_OP_FIX_PMBR, "",
		    "sector 0 has no protective 0xEE entry from LBA 1: BIOS gptmbr and some tools will not see the "
		    "GPT; fix-pmbr writes a protective MBR keeping the boot code and disk signature");
	if (m->bad_status)
		add(r, "mbr-bad-status", SCAN_WARN, "MBR", RESCUE_OP_FIX_PMBR, "",
		    "an MBR partition entry has a status byte other than 0x00 or 0x80: some BIOSes refuse to boot "
		    "such a disk; fix-pmbr rewrites the table");
	if (r->is_ramhost)
		verdict_mbr_code(r, m);
}

static void verdict_gpt(struct scan_report *r)
{
	const struct scan_gpt *g = &r->gpt;

	if (!g->main_ok && !g->backup_ok) {
		if (mbr_classic(&r->mbr.mbr)) {
			add(r, "gpt-none", SCAN_INFO, "GPT", RESCUE_OP_NONE, "",
			    "no GPT: sector 0 holds a classic MBR partition table (%u entries); not a ramhost disk",
			    r->mbr.mbr.nparts);
			return;
		}
		add(r, "gpt-both-damaged", SCAN_BROKEN, "GPT", RESCUE_OP_FIND_PARTITIONS, "",
		    "both GPT copies are damaged (main: %s; backup: %s): neither firmware nor tools can find a "
		    "partition; find-partitions looks for the file systems and proposes a table", g->main_why,
		    g->backup_why);
		return;
	}
	if (!g->main_ok)
		add(r, "gpt-main-damaged", SCAN_BROKEN, "GPT", RESCUE_OP_FIX_GPT, "",
		    "the main GPT (LBA 1) is damaged (%s) while the backup at LBA %llu is intact: BIOS (gptmbr) "
		    "reads only the main copy and cannot boot, most UEFI firmware falls back to the backup; fix-gpt "
		    "rewrites the main copy from the backup", g->main_why, (unsigned long long)g->backup_lba);
	if (!g->backup_ok)
		add(r, "gpt-backup-damaged", SCAN_WARN, "GPT", RESCUE_OP_FIX_GPT, "",
		    "the backup GPT (LBA %llu) is damaged (%s) and the main copy is intact: nothing fails to boot, "
		    "but one more fault would leave no table; fix-gpt rewrites the backup from the main copy",
		    (unsigned long long)g->backup_lba, g->backup_why);
	if (g->backup_not_at_end)
		add(r, "gpt-backup-not-at-end", SCAN_WARN, "GPT", RESCUE_OP_FIX_GPT, "",
		    "the backup GPT is at LBA %llu, not at the disk's last LBA %llu (the disk grew): nothing fails "
		    "to boot, but partitioning tools complain and the space after it cannot be used; fix-gpt moves "
		    "it to the end", (unsigned long long)g->backup_lba, (unsigned long long)(r->sector ?
		    r->size / r->sector - 1 : 0));
	if (g->entries_differ)
		add(r, "gpt-copies-differ", SCAN_WARN, "GPT", RESCUE_OP_FIX_GPT, "",
		    "both GPT copies verify but their partition entries differ: firmware and tools may see "
		    "different partitions; fix-gpt rewrites the backup from the main copy");
}

/* A FAT partition's file system: damaged boot sector, dirty, FATs differ. Returns 1 when its content could be
 * read (the facts about its files mean something). */
static int verdict_fat(struct scan_report *r, const struct scan_fat *f, const char *where, const char *arg,
		       const char *code_prefix)
{
	char code[40];

	if (!f->fs_ok) {
		if (f->boot_sector_from_backup) {
			snprintf(code, sizeof(code), "%s-boot-sector-damaged", code_prefix);
			add(r, code, SCAN_BROKEN, where, RESCUE_OP_FSCK, arg,
			    "the FAT boot sector is damaged (%s) but its FAT32 backup copy is intact: neither BIOS "
			    "nor UEFI can read this partition; fsck copies the backup boot sector back", f->fs_why);
			return 1;
		}
		snprintf(code, sizeof(code), "%s-fs-damaged", code_prefix);
		add(r, code, SCAN_BROKEN, where, RESCUE_OP_NONE, "",
		    "the FAT file system cannot be read (%s) and has no valid backup boot sector: nothing on it can "
		    "be loaded; the partition must be recreated (ramhost install, or find-partitions if the table "
		    "points to the wrong place)", f->fs_why);
		return 0;
	}
	if (f->dirty || f->fats_differ) {
		snprintf(code, sizeof(code), "%s-dirty", code_prefix);
		add(r, code, SCAN_WARN, where, RESCUE_OP_FSCK, arg,
		    "the FAT file system %s (a write was cut short, e.g. by a power loss): firmware may read a wrong "
		    "file; fsck repairs it", f->fats_differ ? (f->dirty ? "is marked dirty and its two FATs differ" :
		    "has two FATs that differ") : "is marked dirty");
	} else if (f->backup_boot == 0) {
		snprintf(code, sizeof(code), "%s-backup-boot-differs", code_prefix);
		add(r, code, SCAN_WARN, where, RESCUE_OP_FSCK, arg,
		    "the FAT32 backup boot sector differs from sector 0: a later repair could restore a wrong "
		    "copy; fsck rewrites it");
	}
	return 1;
}

/* The file of e->files whose path is path (case-insensitive, as FAT compares), or NULL. */
static const struct scan_file *esp_file(const struct scan_esp *e, const char *path)
{
	unsigned i;

	for (i = 0; i < e->nfiles && i < SCAN_MAX_FILES; i++)
		if (!strcasecmp(e->files[i].path, path))
			return &e->files[i];
	return NULL;
}

static void verdict_esp_loaders(struct scan_report *r, const char *where)
{
	const struct scan_esp *e = &r->esp;
	const struct scan_file *fb = esp_file(e, "/EFI/BOOT/BOOTX64.EFI");

	if (!e->has_fallback)
		add(r, "esp-fallback-missing", SCAN_BROKEN, where, RESCUE_OP_INSTALL_UEFI, "",
		    "/EFI/BOOT/BOOTX64.EFI is missing: UEFI cannot boot this disk (BIOS still can); install-uefi "
		    "copies ramhost.efi from the rescue media");
	else if (!e->fallback_is_ramhost)
		add(r, "esp-fallback-foreign", SCAN_BROKEN, where, RESCUE_OP_INSTALL_UEFI, "",
		    "/EFI/BOOT/BOOTX64.EFI is not ramhost.efi: UEFI starts that other loader instead of ramhost; "
		    "install-uefi puts ramhost.efi back (other vendors' folders are left as they are)");
	else if (r->efi.available && r->efi.secure_boot && fb && fb->pe_signed == 0)
		add(r, "esp-loader-unsigned", SCAN_BROKEN, where, RESCUE_OP_INSTALL_UEFI, "",
		    "Secure Boot is on and /EFI/BOOT/BOOTX64.EFI carries no signature: the firmware refuses it; "
		    "install-uefi installs a signed ramhost.efi from the rescue media");
	if (!e->has_syslinux)
		add(r, "esp-syslinux-missing", SCAN_BROKEN, where, RESCUE_OP_INSTALL_BIOS, "",
		    "/syslinux/ldlinux.sys or ldlinux.c32 is missing on the ESP: BIOS cannot boot this disk (UEFI "
		    "still can); install-bios reinstalls SYSLINUX");
	else if (!e->has_chain_cfg)
		add(r, "esp-chain-cfg-missing", SCAN_BROKEN, where, RESCUE_OP_INSTALL_BIOS, "",
		    "/syslinux/syslinux.cfg on the ESP is missing or unreadable: BIOS SYSLINUX does not know which "
		    "bank to start (UEFI still boots); install-bios writes it again");
}

static void verdict_esp(struct scan_report *r)
{
	const struct scan_esp *e = &r->esp;
	char where[32];

	if (!e->fat.exists) {
		if (r->is_ramhost)
			add(r, "esp-missing", SCAN_BROKEN, "GPT", RESCUE_OP_NONE, "",
			    "the GPT has no ESP partition: neither BIOS nor UEFI can boot this disk; reinstall it "
			    "(ramhost install) unless find-partitions can find the old one");
		return;
	}
	snprintf(where, sizeof(where), "p%u (ESP)", (unsigned)e->fat.partno);
	if (!verdict_fat(r, &e->fat, where, "esp", "esp"))
		return;
	if (e->fat.free_bytes < 1024u * 1024u)
		add(r, "esp-full", SCAN_WARN, where, RESCUE_OP_NONE, "",
		    "the ESP has only %llu KiB free: updating a loader (ramhost's or another system's) may fail; "
		    "remove what is not needed from other systems' folders yourself (rescue never deletes them)",
		    (unsigned long long)(e->fat.free_bytes / 1024));
	if (r->is_ramhost)
		verdict_esp_loaders(r, where);
}

/* The module of bank b named name, or NULL. */
static const struct scan_module *bank_module(const struct scan_bank *b, const char *name)
{
	unsigned i;

	for (i = 0; i < b->nmodules && i < SCAN_MAX_MODULES; i++)
		if (!strcmp(b->modules[i].name, name))
			return &b->modules[i];
	return NULL;
}

static const char *mod_state_text(enum scan_mod_state s)
{
	static const char *const text[] = { "is fine", "is missing", "does not match boot.cfg's SHA-256",
					    "cannot be read" };

	return (unsigned)s < sizeof(text) / sizeof(text[0]) ? text[s] : text[0];
}

/* Each damaged module of bank i: copy-module when the other bank holds it intact (same hash in both boot.cfg),
 * else one reinstall-bank for the bank. */
static void verdict_modules(struct scan_report *r, int i, const char *where)
{
	const struct scan_bank *b = &r->bank[i], *o = &r->bank[1 - i];
	const struct scan_module *m, *om;
	char arg[64], names[256] = "";
	unsigned k, nbad = 0;

	for (k = 0; k < b->nmodules && k < SCAN_MAX_MODULES; k++) {
		m = &b->modules[k];
		if (m->state == SCAN_MOD_OK)
			continue;
		om = o->cfg_present ? bank_module(o, m->name) : NULL;
		if (om && om->state == SCAN_MOD_OK && !memcmp(om->want, m->want, sizeof(m->want))) {
			snprintf(arg, sizeof(arg), "%c:%.61s", b->number == 2 ? '2' : '1', m->name);
			add(r, "bank-module-damaged", SCAN_BROKEN, where, RESCUE_OP_COPY_MODULE, arg,
			    "%s %s: bank %d does not boot; copy-module copies it from bank %d, where it verifies",
			    m->name, mod_state_text(m->state), b->number, o->number);
			continue;
		}
		if (nbad++ < 4)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s %s", nbad > 1 ? ", " : "",
				 m->name, mod_state_text(m->state));
	}
	if (!nbad)
		return;
	snprintf(arg, sizeof(arg), "%d", b->number);
	add(r, "bank-damaged", SCAN_BROKEN, where, RESCUE_OP_REINSTALL_BANK, arg,
	    "%s%s, and bank %d holds no good copy: bank %d does not boot; reinstall-bank writes it from the rescue "
	    "media and keeps the state partition", names, nbad > 4 ? " (and more)" : "", o->number, b->number);
}

static void verdict_bank(struct scan_report *r, int i)
{
	const struct scan_bank *b = &r->bank[i];
	char where[32], arg[8];

	snprintf(where, sizeof(where), "bank %d", b->number);
	snprintf(arg, sizeof(arg), "%d", b->number);
	if (!b->fat.exists) {
		if (r->is_ramhost)
			add(r, "bank-missing", SCAN_WARN, "GPT", RESCUE_OP_NONE, "",
			    "the GPT has no partition named \"%s\": bank %d cannot hold a bootbank",
			    b->number == 1 ? "bootbank" : "altbootbank", b->number);
		return;
	}
	if (!verdict_fat(r, &b->fat, where, arg, "bank"))
		return;
	if (!b->has_syslinux)
		add(r, "bank-syslinux-missing", SCAN_BROKEN, where, RESCUE_OP_INSTALL_BIOS, "",
		    "%s missing: BIOS cannot boot bank %d (UEFI still can); install-bios reinstalls SYSLINUX",
		    b->syslinux_missing[0] ? b->syslinux_missing : "SYSLINUX files", b->number);
	if (b->empty)
		return;
	if (!b->cfg_present) {
		add(r, "bank-cfg-bad", SCAN_BROKEN, where, RESCUE_OP_REBUILD_CFG, arg,
		    "boot.cfg %s: neither ramhost.efi nor SYSLINUX boots bank %d; rebuild-cfg writes it again from "
		    "the modules of the bank that verify", b->cfg_why[0] ? b->cfg_why : "is unusable", b->number);
		return;
	}
	verdict_modules(r, i, where);
	if (!b->has_bootcfg_cpio)
		add(r, "bank-bootcfg-cpio-missing", SCAN_BROKEN, where, RESCUE_OP_REBUILD_CFG, arg,
		    "bootcfg.cpio is missing: BIOS SYSLINUX cannot hand boot.cfg to init (UEFI still boots bank %d); "
		    "rebuild-cfg writes it again", b->number);
}

/* A bank that boots: readable, boot.cfg parsed, every module verified. */
static int bank_good(const struct scan_bank *b)
{
	return b->fat.exists && (b->fat.fs_ok || b->fat.boot_sector_from_backup) && !b->empty && b->cfg_present &&
	       b->modules_ok;
}

int scan_bank_verified(const struct scan_bank *b)
{
	return bank_good(b) && b->has_syslinux && b->has_bootcfg_cpio;
}

/* When the bank the firmware boots first (UEFI: the bank rules; BIOS: the ESP's chain default) is broken and
 * the other is good and bootable: revert to it now, like Shift+R, while the broken one is repaired. */
static void verdict_revert(struct scan_report *r)
{
	struct bank_info bi[2];
	struct bank_plan plan;
	int i, target[2] = { 0, 0 }, t, other;
	char arg[8];

	for (i = 0; i < 2; i++) {
		bi[i].present = r->bank[i].cfg_present && !r->bank[i].empty;
		bi[i].bootstate = r->bank[i].bootstate;
		bi[i].updated = r->bank[i].updated;
	}
	if (r->bank[0].empty && r->bank[1].empty) {
		add(r, "banks-empty", SCAN_BROKEN, "banks", RESCUE_OP_REINSTALL_BANK, "1",
		    "neither bank holds a bootbank (an install cut short?): nothing boots; reinstall-bank writes bank "
		    "1 from the rescue media");
		return;
	}
	if (bank_plan(bi, &plan) == 0 && plan.n > 0)
		target[0] = plan.order[0];
	if (r->esp.has_chain_cfg)
		target[1] = r->esp.chain_bank;
	for (i = 0; i < 2; i++) {
		t = target[i];
		if (t < 1 || t > 2 || bank_good(&r->bank[t - 1]))
			continue;
		other = 3 - t;
		if (!bank_good(&r->bank[other - 1]) || bank_revert(bi, t, &plan) != 0)
			continue;
		snprintf(arg, sizeof(arg), "%d", other);
		add(r, "bank-revert", SCAN_WARN, "banks", RESCUE_OP_REVERT, arg,
		    "%s boots bank %d first, which is damaged, while bank %d is intact: revert makes bank %d the one "
		    "that boots (like Shift+R) while bank %d is repaired", i == 0 ? "UEFI" : "BIOS", t, other, other,
		    t);
		return;
	}
}

static void verdict_state(struct scan_report *r)
{
	const struct scan_state *s = &r->state;
	const struct scan_gen *newest;
	char arg[24];
	int k;

	if (s->pending_backup)
		add(r, "rescue-undo-pending", SCAN_WARN, "disk", RESCUE_OP_NONE, "",
		    "a rescue repair was cut short (%s is still \"applying\"): the disk may be half written; run "
		    "ramhost rescue undo to put the old bytes back", s->pending_dir);
	if (!s->exists)
		return;
	if (!s->fs_ok) {
		add(r, "state-fs-damaged", SCAN_WARN, "state", RESCUE_OP_FSCK, "state",
		    "the state partition cannot be read (%s): the host boots with its image defaults; fsck runs "
		    "e2fsck on it", s->fs_why);
		return;
	}
	if (!s->ngens)
		return;
	newest = &s->gens[s->ngens - 1];
	if (newest->ok)
		return;
	for (k = (int)s->ngens - 2; k >= 0; k--)
		if (s->gens[k].ok)
			break;
	if (k < 0) {
		add(r, "state-all-damaged", SCAN_WARN, "state", RESCUE_OP_NONE, "",
		    "no state generation verifies (the newest, %llu: %s): the host boots with its image defaults",
		    (unsigned long long)newest->gen, newest->why);
		return;
	}
	snprintf(arg, sizeof(arg), "%llu", (unsigned long long)s->gens[k].gen);
	add(r, "state-newest-damaged", SCAN_WARN, "state", RESCUE_OP_RESTORE_STATE, arg,
	    "the newest state generation %llu is damaged (%s): restore-state makes generation %llu, the newest "
	    "that verifies, the one restored at boot", (unsigned long long)newest->gen, newest->why,
	    (unsigned long long)s->gens[k].gen);
}

/* Firmware boot entries (only when an efivarfs directory was read). */
static void verdict_efi(struct scan_report *r)
{
	const struct scan_efi *e = &r->efi;
	const struct scan_entry *en;
	unsigned i, here = 0;

	for (i = 0; i < e->nentries && i < SCAN_MAX_ENTRIES; i++) {
		en = &e->entries[i];
		if (!en->ours)
			continue;
		if (!en->on_this_disk) {
			add(r, "efi-entry-stale", SCAN_WARN, "firmware", RESCUE_OP_BOOT_ENTRIES, "",
			    "Boot%04X \"%s\" points at a partition that is not on this disk (left by an earlier "
			    "install, or another disk's): boot-entries removes stale ramhost entries", en->num,
			    en->desc);
			continue;
		}
		here++;
		if (en->file_exists == 0)
			add(r, "efi-entry-file-missing", SCAN_WARN, "firmware", RESCUE_OP_BOOT_ENTRIES, "",
			    "Boot%04X \"%s\" points at %s, which is not on the ESP: the firmware skips it; "
			    "boot-entries recreates it", en->num, en->desc, en->file);
		else if (!en->in_order && !e->order_missing)
			add(r, "efi-entry-not-in-order", SCAN_WARN, "firmware", RESCUE_OP_BOOT_ENTRIES, "",
			    "Boot%04X \"%s\" is not in BootOrder: the firmware never tries it; boot-entries puts it "
			    "first", en->num, en->desc);
	}
	if (r->is_ramhost && r->esp.fat.exists && !here)
		add(r, "efi-no-entry", SCAN_WARN, "firmware", RESCUE_OP_BOOT_ENTRIES, "",
		    "no firmware boot entry for ramhost on this disk (a fresh or reset variable store): the firmware "
		    "can still find /EFI/BOOT/BOOTX64.EFI, but may try other disks or the network first; "
		    "boot-entries creates it");
	if (e->order_missing)
		add(r, "efi-bootorder-missing", SCAN_WARN, "firmware", RESCUE_OP_BOOT_ENTRIES, "",
		    "there is no BootOrder variable: the firmware falls back to its own order; boot-entries writes "
		    "one with ramhost first");
	if (e->store_total > 0 && e->store_free < 8192)
		add(r, "efi-store-full", SCAN_WARN, "firmware", RESCUE_OP_BOOT_ENTRIES, "",
		    "the firmware variable store has only %llu bytes free: no boot entry can be written; "
		    "boot-entries removes stale ramhost entries to make room", (unsigned long long)e->store_free);
}

/* 1 when the GPT used holds a partition of type guid (text form). */
static int gpt_has_type(const struct scan_report *r, const char *guid)
{
	char s[37];
	unsigned i;

	for (i = 0; r->gpt.have && i < r->gpt.disk.nparts && i < GPT_MAX_PARTS; i++) {
		gpt_guid_to_str(r->gpt.disk.parts[i].type_guid, s);
		if (!strcmp(s, guid))
			return 1;
	}
	return 0;
}

/* 1 when an other system of kind found at a place starting with where_prefix ("" any). */
static int other_found(const struct scan_report *r, const char *kind, const char *where_prefix)
{
	unsigned i;

	for (i = 0; i < r->nothers && i < SCAN_MAX_OTHERS; i++)
		if (!strcmp(r->others[i].kind, kind) &&
		    !strncmp(r->others[i].where, where_prefix, strlen(where_prefix)))
			return 1;
	return 0;
}

/* A disk that is not ramhost's, with a Linux installation: its GRUB is gone from the MBR (a BIOS boot
 * partition says it booted by BIOS) or from the ESP: `rescue grub` reinstalls it from that system. */
static void verdict_linux(struct scan_report *r)
{
	const struct scan_other *o = NULL;
	unsigned i, partno = 0;
	int bios, uefi;
	char arg[16];

	if (r->is_ramhost)
		return;
	for (i = 0; i < r->nothers && i < SCAN_MAX_OTHERS && !o; i++)
		if (!strcmp(r->others[i].kind, "linux") && sscanf(r->others[i].where, "p%u", &partno) == 1)
			o = &r->others[i];
	if (!o)
		return;
	bios = gpt_has_type(r, "21686148-6449-6e6f-744e-656564454649") && r->mbr.read &&
	       r->mbr.mbr.code != MBR_CODE_GRUB;
	uefi = r->esp.fat.exists && (r->esp.fat.fs_ok || r->esp.fat.boot_sector_from_backup) &&
	       !other_found(r, "grub", "p") && !other_found(r, "systemd-boot", "p");
	if (!bios && !uefi)
		return;
	snprintf(arg, sizeof(arg), "%u", partno);
	add(r, "linux-loader-missing", SCAN_BROKEN, "other systems", RESCUE_OP_GRUB, arg,
	    "%s on p%u cannot boot: %s%s%s; rescue grub reinstalls GRUB from that system itself (to the disk, not "
	    "a partition)", o->detail[0] ? o->detail : "the Linux installation", partno,
	    bios ? "the MBR holds no GRUB boot code (" : "", bios ? mbr_code_name(r->mbr.mbr.code) : "",
	    bios ? (uefi ? ") and the ESP holds no GRUB loader" : ")") : "the ESP holds no GRUB loader");
}

static void verdict_disk(struct scan_report *r)
{
	if (r->sector_guessed)
		add(r, "disk-sector-guessed", SCAN_INFO, "disk", RESCUE_OP_NONE, "",
		    "no GPT at 512 or 4096 bytes: the logical sector size was taken as %u; give --sector-size 4096 "
		    "if this is a 4Kn disk", (unsigned)r->sector);
}

void scan_verdict(struct scan_report *r)
{
	int i;

	r->nproblems = 0;
	verdict_disk(r);
	verdict_mbr(r);
	verdict_gpt(r);
	if (r->gpt.have) {
		verdict_esp(r);
		for (i = 0; i < 2; i++)
			verdict_bank(r, i);
		if (r->is_ramhost)
			verdict_revert(r);
	}
	verdict_state(r);
	if (r->efi.available)
		verdict_efi(r);
	verdict_linux(r);
}
