/* rescue_json.c: `ramhost rescue scan --json`: one object per disk (a caller printing several disks wraps
 * them in an array), the facts of recovery/scan.h one to one, then the problems. Keys:
 *   disk, size (bytes), sector (bytes), sector_guessed, ramhost (a ramhost disk)
 *   mbr: read, signature (55 AA), code ("zeros", "gptmbr", "syslinux-mbr", "grub", "windows", "unknown"),
 *        disk_signature ("0x%08x"), protective, hybrid, bad_status,
 *        partitions [{status, type, first_lba, sectors}]
 *   gpt: main_ok, main_why, backup_ok, backup_why, backup_lba, backup_not_at_end, entries_differ, used_backup,
 *        disk_guid (null without a GPT), partitions [{number, name, type, guid, first_lba, last_lba,
 *        attributes}]
 *   esp, banks[i].fs: a FAT partition: exists, partition, start, sectors (logical sectors), fs_ok, fs_why,
 *        boot_sector_from_backup, dirty, fats_differ, backup_boot ("same", "differs", "none"), free_bytes, label
 *   esp: fs, fallback, fallback_is_ramhost, syslinux, chain_cfg, chain_bank (0: none),
 *        loaders [{path, size, sha256, signed (true, false, null: not a PE)}], vendors [names]
 *   banks [{number, fs, cfg (boot.cfg parsed), cfg_why, empty, bootstate (null: absent), updated, build,
 *        kernel, modules [{name, state ("ok", "missing", "bad-hash", "unreadable"), size, sha256 (null when not
 *        read), want}], modules_ok, syslinux, syslinux_missing, bootcfg_cpio, verified (what verify-bank
 *        says: scan_bank_verified)}]
 *   state: exists, partition, fs_ok, fs_why, generations [{generation, size, ok, why}] (oldest first),
 *        pending_backup, pending_dir
 *   firmware: available, dir, entries [{num ("Boot0001"), description, active, ours, on_this_disk, file,
 *        file_exists (true, false, null: cannot tell), in_order}], boot_order ["0001", ...],
 *        boot_order_missing, store_free, store_total (bytes, 0: unknown), secure_boot
 *   others [{kind ("grub", "systemd-boot", "windows", "efi-vendor", "linux"), where, detail}]
 *   problems [{code, severity ("broken", "warn", "info"), where, what, op (null: none), arg, fix (the command,
 *        null when none)}] */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "gpt.h"
#include "json.h"
#include "rescue_print.h"
#include "sha256.h"

/* A JSON writer that puts the commas: first is set after an opening bracket or a key. */
struct jw {
	FILE *f;
	int first;
};

static void j_sep(struct jw *j)
{
	if (!j->first)
		fputc(',', j->f);
	j->first = 0;
}

static void j_key(struct jw *j, const char *k)
{
	if (!k)
		return;
	j_sep(j);
	fprintf(j->f, "\"%s\":", k);
	j->first = 1;
}

static void j_open(struct jw *j, const char *k, char c)
{
	j_key(j, k);
	j_sep(j);
	fputc(c, j->f);
	j->first = 1;
}

static void j_close(struct jw *j, char c)
{
	fputc(c, j->f);
	j->first = 0;
}

static void j_str(struct jw *j, const char *k, const char *v)
{
	j_key(j, k);
	j_sep(j);
	json_put_string(j->f, v);
}

static void j_u64(struct jw *j, const char *k, uint64_t v)
{
	j_key(j, k);
	j_sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

static void j_bool(struct jw *j, const char *k, int v)
{
	j_key(j, k);
	j_sep(j);
	fputs(v ? "true" : "false", j->f);
}

static void j_null(struct jw *j, const char *k)
{
	j_key(j, k);
	j_sep(j);
	fputs("null", j->f);
}

static void j_sha(struct jw *j, const char *k, const uint8_t sha[32])
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_to_hex(sha, hex);
	j_str(j, k, hex);
}

/* true / false, or null for -1 (cannot tell). */
static void j_tri(struct jw *j, const char *k, int v)
{
	if (v < 0)
		j_null(j, k);
	else
		j_bool(j, k, v);
}

static void json_mbr(struct jw *j, const struct scan_mbr *s)
{
	char sig[16];
	unsigned i;

	j_open(j, "mbr", '{');
	j_bool(j, "read", s->read);
	j_bool(j, "signature", s->mbr.signature_ok);
	j_str(j, "code", mbr_code_name(s->mbr.code));
	snprintf(sig, sizeof(sig), "0x%08x", s->mbr.disk_signature);
	j_str(j, "disk_signature", sig);
	j_bool(j, "protective", s->mbr.protective);
	j_bool(j, "hybrid", s->mbr.hybrid);
	j_bool(j, "bad_status", s->mbr.bad_status);
	j_open(j, "partitions", '[');
	for (i = 0; i < 4; i++) {
		if (!s->mbr.part[i].type)
			continue;
		j_open(j, NULL, '{');
		j_u64(j, "status", s->mbr.part[i].status);
		j_u64(j, "type", s->mbr.part[i].type);
		j_u64(j, "first_lba", s->mbr.part[i].first_lba);
		j_u64(j, "sectors", s->mbr.part[i].sectors);
		j_close(j, '}');
	}
	j_close(j, ']');
	j_close(j, '}');
}

static void json_gpt(struct jw *j, const struct scan_gpt *g)
{
	const struct gpt_part *p;
	char guid[37];
	unsigned i;

	j_open(j, "gpt", '{');
	j_bool(j, "main_ok", g->main_ok);
	j_str(j, "main_why", g->main_why);
	j_bool(j, "backup_ok", g->backup_ok);
	j_str(j, "backup_why", g->backup_why);
	j_u64(j, "backup_lba", g->backup_lba);
	j_bool(j, "backup_not_at_end", g->backup_not_at_end);
	j_bool(j, "entries_differ", g->entries_differ);
	j_bool(j, "used_backup", g->used_backup);
	gpt_guid_to_str(g->disk.disk_guid, guid);
	if (g->have)
		j_str(j, "disk_guid", guid);
	else
		j_null(j, "disk_guid");
	j_open(j, "partitions", '[');
	for (i = 0; g->have && i < g->disk.nparts && i < GPT_MAX_PARTS; i++) {
		p = &g->disk.parts[i];
		j_open(j, NULL, '{');
		j_u64(j, "number", p->number);
		j_str(j, "name", p->name);
		gpt_guid_to_str(p->type_guid, guid);
		j_str(j, "type", guid);
		gpt_guid_to_str(p->unique_guid, guid);
		j_str(j, "guid", guid);
		j_u64(j, "first_lba", p->first_lba);
		j_u64(j, "last_lba", p->last_lba);
		j_u64(j, "attributes", p->attributes);
		j_close(j, '}');
	}
	j_close(j, ']');
	j_close(j, '}');
}

static void json_fat(struct jw *j, const struct scan_fat *f)
{
	j_open(j, "fs", '{');
	j_bool(j, "exists", f->exists);
	j_u64(j, "partition", f->partno);
	j_u64(j, "start", f->start);
	j_u64(j, "sectors", f->sectors);
	j_bool(j, "fs_ok", f->fs_ok);
	j_str(j, "fs_why", f->fs_why);
	j_bool(j, "boot_sector_from_backup", f->boot_sector_from_backup);
	j_bool(j, "dirty", f->dirty);
	j_bool(j, "fats_differ", f->fats_differ);
	j_str(j, "backup_boot", f->backup_boot > 0 ? "same" : f->backup_boot == 0 ? "differs" : "none");
	j_u64(j, "free_bytes", f->free_bytes);
	j_str(j, "label", f->label);
	j_close(j, '}');
}

static void json_esp(struct jw *j, const struct scan_esp *e)
{
	unsigned i;

	j_open(j, "esp", '{');
	json_fat(j, &e->fat);
	j_bool(j, "fallback", e->has_fallback);
	j_bool(j, "fallback_is_ramhost", e->fallback_is_ramhost);
	j_bool(j, "syslinux", e->has_syslinux);
	j_bool(j, "chain_cfg", e->has_chain_cfg);
	j_u64(j, "chain_bank", (uint64_t)(e->chain_bank > 0 ? e->chain_bank : 0));
	j_open(j, "loaders", '[');
	for (i = 0; i < e->nfiles && i < SCAN_MAX_FILES; i++) {
		j_open(j, NULL, '{');
		j_str(j, "path", e->files[i].path);
		j_u64(j, "size", e->files[i].size);
		j_sha(j, "sha256", e->files[i].sha256);
		j_tri(j, "signed", e->files[i].pe_signed);
		j_close(j, '}');
	}
	j_close(j, ']');
	j_open(j, "vendors", '[');
	for (i = 0; i < e->nvendors && i < SCAN_MAX_OTHERS; i++)
		j_str(j, NULL, e->vendors[i]);
	j_close(j, ']');
	j_close(j, '}');
}

static int sha_zero(const uint8_t sha[32])
{
	unsigned i;

	for (i = 0; i < 32; i++)
		if (sha[i])
			return 0;
	return 1;
}

static void json_modules(struct jw *j, const struct scan_bank *b)
{
	const struct scan_module *m;
	unsigned i;

	j_open(j, "modules", '[');
	for (i = 0; i < b->nmodules && i < SCAN_MAX_MODULES; i++) {
		m = &b->modules[i];
		j_open(j, NULL, '{');
		j_str(j, "name", m->name);
		j_str(j, "state", rescue_mod_state_name(m->state));
		j_u64(j, "size", m->size);
		if (m->state == SCAN_MOD_BAD_HASH || (m->state == SCAN_MOD_OK && !sha_zero(m->sha256)))
			j_sha(j, "sha256", m->sha256);
		else
			j_null(j, "sha256");
		j_sha(j, "want", m->want);
		j_close(j, '}');
	}
	j_close(j, ']');
}

static void json_bank(struct jw *j, const struct scan_bank *b)
{
	j_open(j, NULL, '{');
	j_u64(j, "number", (uint64_t)b->number);
	json_fat(j, &b->fat);
	j_bool(j, "cfg", b->cfg_present);
	j_str(j, "cfg_why", b->cfg_why);
	j_bool(j, "empty", b->empty);
	if (b->bootstate < 0)
		j_null(j, "bootstate");
	else
		j_u64(j, "bootstate", (uint64_t)b->bootstate);
	j_u64(j, "updated", b->updated);
	j_str(j, "build", b->build);
	j_str(j, "kernel", b->kernel);
	json_modules(j, b);
	j_bool(j, "modules_ok", b->modules_ok);
	j_bool(j, "syslinux", b->has_syslinux);
	j_str(j, "syslinux_missing", b->syslinux_missing);
	j_bool(j, "bootcfg_cpio", b->has_bootcfg_cpio);
	j_bool(j, "verified", scan_bank_verified(b));
	j_close(j, '}');
}

static void json_state(struct jw *j, const struct scan_state *s)
{
	unsigned i;

	j_open(j, "state", '{');
	j_bool(j, "exists", s->exists);
	j_u64(j, "partition", s->partno);
	j_bool(j, "fs_ok", s->fs_ok);
	j_str(j, "fs_why", s->fs_why);
	j_open(j, "generations", '[');
	for (i = 0; i < s->ngens && i < SCAN_MAX_GENS; i++) {
		j_open(j, NULL, '{');
		j_u64(j, "generation", s->gens[i].gen);
		j_u64(j, "size", s->gens[i].size);
		j_bool(j, "ok", s->gens[i].ok);
		j_str(j, "why", s->gens[i].why);
		j_close(j, '}');
	}
	j_close(j, ']');
	j_bool(j, "pending_backup", s->pending_backup);
	j_str(j, "pending_dir", s->pending_dir);
	j_close(j, '}');
}

static void json_efi(struct jw *j, const struct scan_efi *e)
{
	const struct scan_entry *en;
	char num[16];
	unsigned i;

	j_open(j, "firmware", '{');
	j_bool(j, "available", e->available);
	j_str(j, "dir", e->dir);
	j_open(j, "entries", '[');
	for (i = 0; i < e->nentries && i < SCAN_MAX_ENTRIES; i++) {
		en = &e->entries[i];
		j_open(j, NULL, '{');
		snprintf(num, sizeof(num), "Boot%04X", en->num);
		j_str(j, "num", num);
		j_str(j, "description", en->desc);
		j_bool(j, "active", en->active);
		j_bool(j, "ours", en->ours);
		j_bool(j, "on_this_disk", en->on_this_disk);
		j_str(j, "file", en->file);
		j_tri(j, "file_exists", en->file_exists);
		j_bool(j, "in_order", en->in_order);
		j_close(j, '}');
	}
	j_close(j, ']');
	j_open(j, "boot_order", '[');
	for (i = 0; i < e->norder && i < SCAN_MAX_ENTRIES; i++) {
		snprintf(num, sizeof(num), "%04X", e->order[i]);
		j_str(j, NULL, num);
	}
	j_close(j, ']');
	j_bool(j, "boot_order_missing", e->order_missing);
	j_u64(j, "store_free", e->store_free);
	j_u64(j, "store_total", e->store_total);
	j_bool(j, "secure_boot", e->secure_boot);
	j_close(j, '}');
}

static void json_problems(struct jw *j, const struct scan_report *r)
{
	const struct scan_problem *p;
	char fix[PATH_MAX + 96], sev[8];
	unsigned i;
	size_t k;

	j_open(j, "problems", '[');
	for (i = 0; i < r->nproblems && i < SCAN_MAX_PROBLEMS; i++) {
		p = &r->problems[i];
		snprintf(sev, sizeof(sev), "%s", rescue_sev_name(p->sev));
		for (k = 0; sev[k]; k++)
			sev[k] = (char)(sev[k] | 0x20);   /* ASCII lower case */
		j_open(j, NULL, '{');
		j_str(j, "code", p->code);
		j_str(j, "severity", sev);
		j_str(j, "where", p->where);
		j_str(j, "what", p->what);
		rescue_fix_command(r->disk, p, fix, sizeof(fix));
		if (p->op == RESCUE_OP_NONE) {
			j_null(j, "op");
			j_str(j, "arg", p->arg);
			j_null(j, "fix");
		} else {
			j_str(j, "op", rescue_op_name(p->op));
			j_str(j, "arg", p->arg);
			j_str(j, "fix", fix);
		}
		j_close(j, '}');
	}
	j_close(j, ']');
}

void rescue_print_verify_json(FILE *f, const struct scan_report *r, int bank)
{
	struct jw j = { f, 1 };
	int i;

	j_open(&j, NULL, '{');
	j_str(&j, "disk", r->disk);
	j_open(&j, "banks", '[');
	for (i = 0; i < 2; i++)
		if (!bank || bank == i + 1) {
			json_bank(&j, &r->bank[i]);
		}
	j_close(&j, ']');
	j_close(&j, '}');
	fputc('\n', f);
}

void rescue_print_json(FILE *f, const struct scan_report *r)
{
	struct jw j = { f, 1 };
	unsigned i;

	j_open(&j, NULL, '{');
	j_str(&j, "disk", r->disk);
	j_u64(&j, "size", r->size);
	j_u64(&j, "sector", r->sector);
	j_bool(&j, "sector_guessed", r->sector_guessed);
	j_bool(&j, "ramhost", r->is_ramhost);
	json_mbr(&j, &r->mbr);
	json_gpt(&j, &r->gpt);
	json_esp(&j, &r->esp);
	j_open(&j, "banks", '[');
	for (i = 0; i < 2; i++)
		json_bank(&j, &r->bank[i]);
	j_close(&j, ']');
	json_state(&j, &r->state);
	json_efi(&j, &r->efi);
	j_open(&j, "others", '[');
	for (i = 0; i < r->nothers && i < SCAN_MAX_OTHERS; i++) {
		j_open(&j, NULL, '{');
		j_str(&j, "kind", r->others[i].kind);
		j_str(&j, "where", r->others[i].where);
		j_str(&j, "detail", r->others[i].detail);
		j_close(&j, '}');
	}
	j_close(&j, ']');
	json_problems(&j, r);
	j_close(&j, '}');
	fputc('\n', f);
}
