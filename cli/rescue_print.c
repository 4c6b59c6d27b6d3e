/* rescue_print.c: the report of `ramhost rescue scan` as text: a summary line per layer (with the ESP's loaders,
 * a bank's damaged files and the firmware's entries below their line), then "Problems:" with each problem, its
 * severity and the command that fixes it. The JSON form is rescue_json.c. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "gpt.h"
#include "json.h"
#include "print.h"
#include "ramdisk/usage.h"
#include "rescue_print.h"
#include "sha256.h"

const char *rescue_sev_name(enum scan_sev s)
{
	switch (s) {
	case SCAN_BROKEN:
		return "BROKEN";
	case SCAN_WARN:
		return "WARN";
	default:
		return "INFO";
	}
}

const char *rescue_mod_state_name(enum scan_mod_state s)
{
	switch (s) {
	case SCAN_MOD_OK:
		return "ok";
	case SCAN_MOD_MISSING:
		return "missing";
	case SCAN_MOD_BAD_HASH:
		return "bad-hash";
	default:
		return "unreadable";
	}
}

static const char *bootstate_name(int s)
{
	static const char *const names[] = { "VALID", "UPGRADING", "DIRTY", "INVALID" };

	return s >= 0 && s <= 3 ? names[s] : "VALID (absent)";
}

void rescue_size_text(uint64_t bytes, char *out, size_t cap)
{
	usage_format_size(bytes, 1, out, cap);
}

/* The command that runs p's repair into buf, or "" when there is none. */
void rescue_fix_command(const char *disk, const struct scan_problem *p, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (p->op == RESCUE_OP_NONE)
		return;
	snprintf(buf, cap, "ramhost rescue repair --only %s %s", rescue_op_name(p->op), disk);
}

/* ---- text ---- */

static void text_table(FILE *f, const struct scan_report *r)
{
	const struct scan_gpt *g = &r->gpt;
	const struct mbr *m = &r->mbr.mbr;
	uint64_t last = r->sector ? r->size / r->sector - 1 : 0;

	if (!r->mbr.read)
		fprintf(f, "  MBR:      unreadable\n");
	else
		fprintf(f, "  MBR:      %s, boot code %s, disk signature 0x%08x%s\n",
			!m->signature_ok ? "no 55 AA" : m->hybrid ? "hybrid" : m->protective ? "protective" :
			m->nparts ? "classic table" : "empty table", mbr_code_name(m->code), m->disk_signature,
			m->bad_status ? ", invalid status byte" : "");
	if (!g->main_ok && !g->backup_ok) {
		cli_printf(f, "  GPT:      none readable (main: %s; backup: %s)\n", g->main_why, g->backup_why);
		return;
	}
	cli_printf(f, "  GPT:      main %s%s%s, backup %s%s%s at LBA %" PRIu64 "%s, %u partitions%s\n",
		   g->main_ok ? "ok" : "DAMAGED (", g->main_ok ? "" : g->main_why, g->main_ok ? "" : ")",
		   g->backup_ok ? "ok" : "DAMAGED (", g->backup_ok ? "" : g->backup_why, g->backup_ok ? "" : ")",
		   g->backup_lba, g->backup_lba == last ? " (the end)" : " (not the end)", g->disk.nparts,
		   g->entries_differ ? ", copies differ" : "");
}

static void text_fat(FILE *f, const char *title, const struct scan_fat *fat)
{
	char free_s[32];

	if (!fat->exists) {
		fprintf(f, "  %-9s not in the GPT\n", title);
		return;
	}
	rescue_size_text(fat->free_bytes, free_s, sizeof(free_s));
	if (!fat->fs_ok && !fat->boot_sector_from_backup) {
		cli_printf(f, "  %-9s p%u, UNREADABLE (%s)\n", title, (unsigned)fat->partno, fat->fs_why);
		return;
	}
	cli_printf(f, "  %-9s p%u %s, %s free%s%s%s\n", title, (unsigned)fat->partno, fat->label, free_s,
		   fat->boot_sector_from_backup ? ", boot sector DAMAGED (backup valid)" : "",
		   fat->dirty ? ", dirty" : "", fat->fats_differ ? ", FATs differ" : "");
}

static void text_esp(FILE *f, const struct scan_esp *e)
{
	char hex[SHA256_HEX_LEN + 1], size_s[32];
	unsigned i;

	text_fat(f, "ESP:", &e->fat);
	if (!e->fat.exists || (!e->fat.fs_ok && !e->fat.boot_sector_from_backup))
		return;
	fprintf(f, "            fallback %s, SYSLINUX %s, chain config %s", !e->has_fallback ? "MISSING" :
		e->fallback_is_ramhost ? "ramhost.efi" : "NOT ramhost.efi", e->has_syslinux ? "ok" : "MISSING",
		e->has_chain_cfg ? "ok" : "MISSING");
	if (e->has_chain_cfg && e->chain_bank)
		fprintf(f, " (bank %d)", e->chain_bank);
	fprintf(f, "\n");
	for (i = 0; i < e->nfiles && i < SCAN_MAX_FILES; i++) {
		sha256_to_hex(e->files[i].sha256, hex);
		rescue_size_text(e->files[i].size, size_s, sizeof(size_s));
		cli_printf(f, "            %s  %s  %s  %s\n", e->files[i].path, size_s, hex,
			   e->files[i].pe_signed > 0 ? "signed" : e->files[i].pe_signed == 0 ? "unsigned" : "not PE");
	}
}

static void text_bank(FILE *f, const struct scan_bank *b)
{
	char title[16];
	unsigned i, ok = 0;

	snprintf(title, sizeof(title), "bank %d:", b->number);
	text_fat(f, title, &b->fat);
	if (!b->fat.exists || (!b->fat.fs_ok && !b->fat.boot_sector_from_backup))
		return;
	for (i = 0; i < b->nmodules && i < SCAN_MAX_MODULES; i++)
		ok += b->modules[i].state == SCAN_MOD_OK;
	if (b->empty)
		fprintf(f, "            empty (no bootbank)");
	else if (!b->cfg_present)
		cli_printf(f, "            boot.cfg %s", b->cfg_why);
	else
		cli_printf(f, "            build %s, bootstate %s, updated %" PRIu64 ", %u/%u files verified%s",
			   b->build[0] ? b->build : "-", bootstate_name(b->bootstate), b->updated, ok, b->nmodules,
			   b->has_bootcfg_cpio ? "" : ", bootcfg.cpio MISSING");
	cli_printf(f, ", SYSLINUX %s%s\n", b->has_syslinux ? "ok" : "MISSING ", b->syslinux_missing);
	for (i = 0; i < b->nmodules && i < SCAN_MAX_MODULES; i++)
		if (b->modules[i].state != SCAN_MOD_OK)
			cli_printf(f, "            %s: %s\n", b->modules[i].name, rescue_mod_state_name(b->modules[i].state));
}

static void text_state(FILE *f, const struct scan_state *s)
{
	const struct scan_gen *n;

	if (!s->exists) {
		fprintf(f, "  state:    not in the GPT\n");
		return;
	}
	if (!s->fs_ok) {
		cli_printf(f, "  state:    p%u, UNREADABLE (%s)\n", (unsigned)s->partno, s->fs_why);
		return;
	}
	if (!s->ngens) {
		fprintf(f, "  state:    p%u, no generation saved\n", (unsigned)s->partno);
		return;
	}
	n = &s->gens[s->ngens - 1];
	cli_printf(f, "  state:    p%u, %u generations, newest %" PRIu64 " %s%s%s\n", (unsigned)s->partno, s->ngens,
		   n->gen, n->ok ? "ok" : "DAMAGED (", n->ok ? "" : n->why, n->ok ? "" : ")");
}

static void text_efi(FILE *f, const struct scan_efi *e)
{
	char free_s[32];
	unsigned i, ours = 0;

	if (!e->available)
		return;
	for (i = 0; i < e->nentries && i < SCAN_MAX_ENTRIES; i++)
		ours += e->entries[i].ours && e->entries[i].on_this_disk;
	fprintf(f, "  firmware: %u boot entries (%u ramhost on this disk), BootOrder", e->nentries, ours);
	if (e->order_missing)
		fprintf(f, " MISSING");
	for (i = 0; i < e->norder && i < SCAN_MAX_ENTRIES; i++)
		fprintf(f, "%s%04X", i ? "," : " ", e->order[i]);
	fprintf(f, ", Secure Boot %s", e->secure_boot ? "on" : "off");
	if (e->store_total) {
		rescue_size_text(e->store_free, free_s, sizeof(free_s));
		fprintf(f, ", store %s free", free_s);
	}
	fprintf(f, "\n");
	for (i = 0; i < e->nentries && i < SCAN_MAX_ENTRIES; i++)
		cli_printf(f, "            Boot%04X %s%s \"%s\" %s%s\n", e->entries[i].num, e->entries[i].active ? "" : "(inactive) ",
			   e->entries[i].ours ? "ramhost" : "other", e->entries[i].desc, e->entries[i].file,
			   !e->entries[i].ours ? "" : e->entries[i].on_this_disk ? " (this disk)" : " (not this disk)");
}

static void text_others(FILE *f, const struct scan_report *r)
{
	unsigned i;

	for (i = 0; i < r->nothers && i < SCAN_MAX_OTHERS; i++)
		cli_printf(f, "  %-9s %s at %s: %s\n", i ? "" : "others:", r->others[i].kind, r->others[i].where,
			   r->others[i].detail);
}

static void text_problems(FILE *f, const struct scan_report *r)
{
	const struct scan_problem *p;
	char fix[PATH_MAX + 96];
	unsigned i;

	if (!r->nproblems) {
		fprintf(f, "No problems found.\n");
		return;
	}
	fprintf(f, "Problems:\n");
	for (i = 0; i < r->nproblems && i < SCAN_MAX_PROBLEMS; i++) {
		p = &r->problems[i];
		cli_printf(f, "  %-6s %s: %s [%s]\n", rescue_sev_name(p->sev), p->where, p->what, p->code);
		rescue_fix_command(r->disk, p, fix, sizeof(fix));
		if (fix[0])
			cli_printf(f, "         fix: %s\n", fix);
	}
}

static void print_text(FILE *f, const struct scan_report *r)
{
	char size_s[32];
	int i;

	rescue_size_text(r->size, size_s, sizeof(size_s));
	cli_printf(f, "%s: %s, %u-byte sectors%s%s\n", r->disk, size_s, (unsigned)r->sector,
		   r->sector_guessed ? " (guessed)" : "", r->is_ramhost ? ", a ramhost disk" : "");
	text_table(f, r);
	if (r->gpt.have) {
		text_esp(f, &r->esp);
		for (i = 0; i < 2; i++)
			if (r->bank[i].fat.exists || r->is_ramhost)
				text_bank(f, &r->bank[i]);
		if (r->state.exists || r->is_ramhost)
			text_state(f, &r->state);
	}
	text_efi(f, &r->efi);
	text_others(f, r);
	text_problems(f, r);
}

int rescue_print_verify(const struct scan_report *r, int bank)
{
	const struct scan_bank *b;
	char size[16], hex[SHA256_HEX_LEN + 1];
	unsigned i;
	int n;

	for (n = 0; n < 2; n++) {
		if (bank && bank != n + 1)
			continue;
		b = &r->bank[n];
		cli_printf(stdout, "%s ", r->disk);
		text_bank(stdout, b);
		for (i = 0; i < b->nmodules && i < SCAN_MAX_MODULES; i++) {
			const struct scan_module *m = &b->modules[i];

			rescue_size_text(m->size, size, sizeof(size));
			sha256_to_hex(m->state == SCAN_MOD_MISSING ? m->want : m->sha256, hex);
			cli_printf(stdout, "    %-24s %8s  %-10s %s%s\n", m->name, size, rescue_mod_state_name(m->state),
				   m->state == SCAN_MOD_MISSING ? "want " : "", m->state == SCAN_MOD_UNREADABLE ? "-" : hex);
		}
		printf("    bank %d %s\n", b->number, scan_bank_verified(b) ? "verifies" : "does NOT verify");
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

int rescue_print_summary(const struct scan_report *r)
{
	unsigned i, broken = 0;

	for (i = 0; i < r->nproblems && i < SCAN_MAX_PROBLEMS; i++)
		broken += r->problems[i].sev == SCAN_BROKEN;
	cli_printf(stdout, "%s: %s", r->disk, r->is_ramhost ? "ramhost disk" : r->gpt.have ? "GPT disk" : "disk");
	if (!r->nproblems) {
		printf(", no problems\n");
	} else {
		printf(", %u problem%s (%u broken):", r->nproblems, r->nproblems == 1 ? "" : "s", broken);
		for (i = 0; i < r->nproblems && i < SCAN_MAX_PROBLEMS; i++)
			cli_printf(stdout, "%s %s", i ? "," : "", r->problems[i].code);
		printf("; details: ramhost rescue scan, repair: ramhost rescue repair\n");
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

int rescue_print_report(const struct scan_report *r, int json)
{
	if (json)
		rescue_print_json(stdout, r);
	else
		print_text(stdout, r);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}
