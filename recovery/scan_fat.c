/* scan_fat.c: the FAT partitions of a ramhost disk, read through lib/fat.h without mounting: the ESP (loaders
 * under /EFI with their SHA-256 and signature, the fallback loader, SYSLINUX and its chain config, other vendors'
 * folders) and each bank (boot.cfg, every file it names hashed against it, SYSLINUX, bootcfg.cpio).
 *
 * A FAT32 volume whose boot sector is damaged is read through its backup boot sector (sector 6) when that one is
 * valid, so the report still says what the partition holds. Reads stay inside the partition's window. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg.h"
#include "bootloader/esp_chain.h"
#include "le.h"
#include "partfs.h"
#include "scan_int.h"
#include "sha256.h"

#define CFG_MAX (64u * 1024u)     /* the largest boot.cfg or syslinux.cfg read */
#define LIST_MAX 64               /* entries of one directory looked at */
#define EFI_DEPTH 3               /* /EFI/VENDOR/SUB/FILE.EFI */

/* The volume's read callback: the window of the disk, with the boot sector taken from the backup when set. */
static int vol_read(void *ctx, uint64_t off, void *buf, uint32_t len)
{
	struct scan_vol *v = ctx;
	uint8_t *b = buf;
	uint32_t n;
	int rc;

	if (v->backup_len && off < v->backup_len) {
		n = v->backup_len - (uint32_t)off;
		if (n > len)
			n = len;
		rc = rdisk_window_read_cb(&v->win, v->backup_off + off, b, n);
		if (rc < 0 || n == len)
			return rc;
		off += n;
		b += n;
		len -= n;
	}
	return rdisk_window_read_cb(&v->win, off, b, len);
}

/* Sector 0 is not a FAT boot sector: a FAT32 backup boot sector at sector 6 (of 512 or 4096 bytes) that is
 * valid and says it is the backup at 6 lets the volume be read. */
static int open_from_backup(struct scan_vol *v)
{
	static const uint32_t sizes[2] = { 512, 4096 };
	uint8_t bs[512];
	struct fat_bpb bpb;
	unsigned i;

	for (i = 0; i < 2; i++) {
		if (rdisk_window_read_cb(&v->win, 6ull * sizes[i], bs, sizeof(bs)) < 0)
			continue;
		if (fat_bpb_parse(bs, sizeof(bs), &bpb, NULL, 0) < 0 || bpb.bits != 32 ||
		    bpb.backup_boot_sector != 6 || bpb.bytes_per_sector != sizes[i])
			continue;
		v->backup_off = 6ull * sizes[i];
		v->backup_len = sizes[i];
		if (fat_open(&v->vol, vol_read, v, v->win.len) == 0)
			return 1;
		v->backup_len = 0;
	}
	return 0;
}

void scan_fat_open(struct scan_ctx *c, const struct gpt_part *p, struct scan_fat *f, struct scan_vol *v)
{
	uint64_t free_bytes = 0;
	int rc;

	f->exists = 1;
	f->partno = p->number;
	f->start = p->first_lba;
	f->sectors = p->last_lba - p->first_lba + 1;
	v->win.d = c->d;
	v->win.base = f->start * c->d->sector;
	v->win.len = f->sectors * c->d->sector;
	if (v->win.base > c->d->size || v->win.len > c->d->size - v->win.base) {
		snprintf(f->fs_why, sizeof(f->fs_why), "the partition runs past the end of the disk");
		return;
	}
	rc = fat_open(&v->vol, vol_read, v, v->win.len);
	if (rc == 0) {
		f->fs_ok = 1;
		v->open = 1;
	} else {
		snprintf(f->fs_why, sizeof(f->fs_why), "%s", v->vol.why[0] ? v->vol.why : strerror(-rc));
		v->open = open_from_backup(v);
		f->boot_sector_from_backup = v->open;
	}
	if (!v->open)
		return;
	if (fat_health(&v->vol, &f->dirty, &f->fats_differ, &f->backup_boot) < 0)
		f->backup_boot = -1;
	if (fat_free_bytes(&v->vol, &free_bytes) == 0)
		f->free_bytes = free_bytes;
	snprintf(f->label, sizeof(f->label), "%s", v->vol.bpb.label);
}

/* ---- reading files ---- */

/* What one file's stream is reduced to: its SHA-256, its first bytes, whether it holds a marker string. */
struct file_sum {
	struct sha256_ctx sha;
	uint64_t size;
	uint8_t head[4096];
	size_t headlen;
	const char *mark;
	size_t marklen;
	uint8_t tail[64];         /* the last marklen - 1 bytes seen, for a marker across two blocks */
	size_t taillen;
	int found;
};

static void find_mark(struct file_sum *s, const uint8_t *p, size_t len)
{
	uint8_t join[128];
	size_t k, keep = s->marklen - 1;

	if (s->found || !s->marklen)
		return;
	k = len < keep ? len : keep;
	memcpy(join, s->tail, s->taillen);
	memcpy(join + s->taillen, p, k);
	if (memmem(join, s->taillen + k, s->mark, s->marklen) || memmem(p, len, s->mark, s->marklen)) {
		s->found = 1;
		return;
	}
	if (len >= keep) {
		memcpy(s->tail, p + len - keep, keep);
		s->taillen = keep;
	} else {
		memcpy(join, s->tail, s->taillen);
		memcpy(join + s->taillen, p, len);
		k = s->taillen + len > keep ? s->taillen + len - keep : 0;
		s->taillen = s->taillen + len - k;
		memcpy(s->tail, join + k, s->taillen);
	}
}

static int sum_block(void *ctx, const void *buf, size_t len)
{
	struct file_sum *s = ctx;
	size_t n;

	sha256_update(&s->sha, buf, len);
	if (s->headlen < sizeof(s->head)) {
		n = sizeof(s->head) - s->headlen;
		if (n > len)
			n = len;
		memcpy(s->head + s->headlen, buf, n);
		s->headlen += n;
	}
	find_mark(s, buf, len);
	s->size += len;
	return 0;
}

/* Streams file e of v through a file_sum (mark may be NULL). */
static int sum_file(struct scan_vol *v, const struct fat_dirent *e, const char *mark, struct file_sum *s)
{
	memset(s, 0, sizeof(*s));
	sha256_init(&s->sha);
	s->mark = mark;
	s->marklen = mark ? strlen(mark) : 0;
	return fat_read(&v->vol, e, sum_block, s);
}

/* Reads the small text file path of v into a malloc'd NUL-terminated buffer (*ret_buf, *ret_len). */
static int read_text(struct scan_vol *v, const char *path, char **ret_buf, size_t *ret_len)
{
	struct fat_dirent e;
	int rc = fat_lookup(&v->vol, path, &e);

	if (rc < 0)
		return rc;
	if (e.is_dir)
		return -EISDIR;
	return partfs_read_entry(&v->vol, &e, CFG_MAX, ret_buf, ret_len);
}

/* 1 when path is a regular file of v. */
static int has_file(struct scan_vol *v, const char *path)
{
	struct fat_dirent e;

	return fat_lookup(&v->vol, path, &e) == 0 && !e.is_dir;
}

/* ---- directory listings ---- */

struct listing {
	unsigned n;
	struct fat_dirent e[LIST_MAX];
};

static int list_one(void *ctx, const struct fat_dirent *e)
{
	struct listing *l = ctx;

	if (l->n < LIST_MAX)
		l->e[l->n++] = *e;
	return 0;
}

/* Lists path of v into a malloc'd listing (NULL when it cannot be read). */
static struct listing *list_dir(struct scan_vol *v, const char *path)
{
	struct listing *l = calloc(1, sizeof(*l));

	if (l && fat_list(&v->vol, path, list_one, l) < 0) {
		free(l);
		l = NULL;
	}
	return l;
}

static int ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcasecmp(s + n - k, suffix);
}

/* ---- PE/COFF ---- */

/* PE/COFF (Microsoft's PE format): "MZ", e_lfanew at 0x3c, "PE\0\0", the COFF header (20 bytes), the optional
 * header (magic 0x10b PE32: NumberOfRvaAndSizes at 92, data directories at 96; 0x20b PE32+: 108 and 112). The
 * fifth data directory (index 4) is the certificate table: Authenticode signatures live there. */
int scan_pe_signed(const uint8_t *buf, size_t len)
{
	size_t pe, opt, optsz, count_at, dirs_at, sec;
	uint32_t magic;

	if (!buf || len < 0x40 || buf[0] != 'M' || buf[1] != 'Z')
		return -1;
	pe = le32(buf + 0x3c);
	if (pe > len || len - pe < 24 || memcmp(buf + pe, "PE\0\0", 4))
		return -1;
	optsz = le16(buf + pe + 20);
	opt = pe + 24;
	if (len - opt < 2)
		return -1;
	magic = le16(buf + opt);
	if (magic == 0x10b) {
		count_at = 92;
		dirs_at = 96;
	} else if (magic == 0x20b) {
		count_at = 108;
		dirs_at = 112;
	} else {
		return -1;
	}
	sec = dirs_at + 4 * 8;
	if (optsz < sec + 8 || len - opt < sec + 8)
		return -1;
	if (le32(buf + opt + count_at) < 5)
		return 0;
	return le32(buf + opt + sec) != 0 && le32(buf + opt + sec + 4) != 0;
}

/* ---- the ESP ---- */

static void esp_add_file(struct scan_ctx *c, const char *path, const struct fat_dirent *e)
{
	struct scan_esp *esp = &c->r->esp;
	struct scan_file *f;
	struct file_sum *s;
	int rc;

	if (esp->nfiles >= SCAN_MAX_FILES)
		return;
	s = malloc(sizeof(*s));
	if (!s)
		return;
	f = &esp->files[esp->nfiles++];
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->size = e->size;
	rc = sum_file(&c->esp, e, RAMHOST_EFI_MARK, s);
	f->pe_signed = -1;
	if (rc == 0) {
		sha256_final(&s->sha, f->sha256);
		f->pe_signed = scan_pe_signed(s->head, s->headlen);
	}
	if (!strcasecmp(path, "/EFI/BOOT/BOOTX64.EFI")) {
		esp->has_fallback = 1;
		esp->fallback_is_ramhost = rc == 0 && s->found;
	}
	free(s);
}

/* Every *.EFI under dir (depth levels below /EFI at most), and at depth 0 the vendor folders. */
static void esp_walk(struct scan_ctx *c, const char *dir, int depth)
{
	struct scan_esp *esp = &c->r->esp;
	struct listing *l = list_dir(&c->esp, dir);
	const struct fat_dirent *e;
	char path[sizeof(esp->files[0].path)];
	unsigned i;

	for (i = 0; l && i < l->n; i++) {
		e = &l->e[i];
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->name) >= (int)sizeof(path))
			continue;
		if (!e->is_dir) {
			if (ends_with_ci(e->name, ".efi"))
				esp_add_file(c, path, e);
			continue;
		}
		if (depth == 0 && strcasecmp(e->name, "BOOT") && strcasecmp(e->name, "ramhost") &&
		    esp->nvendors < SCAN_MAX_OTHERS)
			snprintf(esp->vendors[esp->nvendors++], sizeof(esp->vendors[0]), "%.31s", e->name);
		if (depth + 1 < EFI_DEPTH)
			esp_walk(c, path, depth + 1);
	}
	free(l);
}

void scan_esp(struct scan_ctx *c)
{
	struct scan_esp *e = &c->r->esp;
	struct esp_chain_cfg cfg;
	struct fat_dirent fb;
	char *text = NULL;
	size_t len;

	if (!c->esp.open)
		return;
	esp_walk(c, "/EFI", 0);
	if (!e->has_fallback && fat_lookup(&c->esp.vol, "/EFI/BOOT/BOOTX64.EFI", &fb) == 0 && !fb.is_dir) {
		/* more loaders than the table holds: still say what the fallback is */
		e->has_fallback = 1;
		e->nfiles = e->nfiles ? e->nfiles - 1 : 0;
		esp_add_file(c, "/EFI/BOOT/BOOTX64.EFI", &fb);
	}
	e->has_syslinux = has_file(&c->esp, "/syslinux/ldlinux.sys") && has_file(&c->esp, "/syslinux/ldlinux.c32");
	if (read_text(&c->esp, "/" ESP_CHAIN_CFG, &text, &len) == 0) {
		if (esp_chain_parse(text, len, &cfg) == 0) {
			e->has_chain_cfg = 1;
			e->chain_bank = cfg.default_bank;
		}
		free(text);
	}
}

/* ---- a bank ---- */

/* SYSLINUX in bank i: ldlinux.sys, ldlinux.c32, and syslinux.cfg unless the bank is empty (its syslinux.cfg is
 * made from a boot.cfg: a bank never written has none, and needs none). */
static void bank_syslinux(struct scan_ctx *c, int i)
{
	static const char *const files[] = { "/syslinux/ldlinux.sys", "/syslinux/ldlinux.c32",
					     "/syslinux/syslinux.cfg" };
	struct scan_bank *b = &c->r->bank[i];
	size_t k, at;

	b->syslinux_missing[0] = '\0';
	for (k = 0; k < sizeof(files) / sizeof(files[0]) - (b->empty ? 1 : 0); k++) {
		if (has_file(&c->bank[i], files[k]))
			continue;
		at = strlen(b->syslinux_missing);
		snprintf(b->syslinux_missing + at, sizeof(b->syslinux_missing) - at, "%s%s", at ? ", " : "",
			 files[k]);
	}
	b->has_syslinux = !b->syslinux_missing[0];
}

/* 1 when the bank's root holds no regular file: never written (or wiped). */
static int bank_is_empty(struct scan_vol *v)
{
	struct listing *l = list_dir(v, "/");
	unsigned i;
	int empty = l != NULL;

	for (i = 0; l && i < l->n; i++)
		if (!l->e[i].is_dir)
			empty = 0;
	free(l);
	return empty;
}

/* "//a///b" -> "/a/b" (a prefix or name with its own slashes). */
static void collapse_slashes(char *p)
{
	char *start = p, *o = p;

	for (; *p; p++)
		if (*p != '/' || o == start || o[-1] != '/')
			*o++ = *p;
	*o = '\0';
}

/* One file boot.cfg names (the kernel or a module): present, size, hashed against boot.cfg. Found where
 * ramhost.efi looks (bootloader/efi/media.c): "/" [prefix "/"] name. */
static void bank_file(struct scan_ctx *c, int i, const char *prefix, const struct bootcfg_file *bf)
{
	struct scan_bank *b = &c->r->bank[i];
	struct scan_module *m;
	struct fat_dirent e;
	struct file_sum *s;
	char path[BOOTCFG_MAX_TEXT + BOOTCFG_MAX_NAME + 2];
	int rc;

	if (b->nmodules >= SCAN_MAX_MODULES)
		return;
	m = &b->modules[b->nmodules++];
	snprintf(m->name, sizeof(m->name), "%.63s", bf->name);
	if (bf->has_sha256)
		memcpy(m->want, bf->sha256, sizeof(m->want));
	snprintf(path, sizeof(path), "/%s%s%s", prefix, prefix[0] ? "/" : "", bf->name);
	collapse_slashes(path);
	rc = fat_lookup(&c->bank[i].vol, path, &e);
	if (rc < 0 || e.is_dir) {
		m->state = rc == -ENOENT ? SCAN_MOD_MISSING : SCAN_MOD_UNREADABLE;
		return;
	}
	m->size = e.size;
	m->state = SCAN_MOD_OK;
	if (!c->o->hash_modules)
		return;
	s = malloc(sizeof(*s));
	if (!s || sum_file(&c->bank[i], &e, NULL, s) < 0) {
		m->state = SCAN_MOD_UNREADABLE;
		free(s);
		return;
	}
	sha256_final(&s->sha, m->sha256);
	free(s);
	if (bf->has_sha256 && memcmp(m->sha256, m->want, sizeof(m->want)))
		m->state = SCAN_MOD_BAD_HASH;
}

/* Why a parsed boot.cfg cannot be trusted whole ("" when it can): a ramhost boot.cfg names a kernel and ends
 * with one hash line per file, so a file cut short loses hashes first. */
static void cfg_incomplete(const struct bootcfg *cfg, const char *text, size_t len, char *why, size_t cap)
{
	const char *cut = len && text[len - 1] != '\n' ? " (the file ends in the middle of a line)" : "";
	unsigned k;

	why[0] = '\0';
	if (!cfg->kernel.name[0]) {
		snprintf(why, cap, "names no kernel%s", cut);
		return;
	}
	if (!cfg->kernel.has_sha256) {
		snprintf(why, cap, "is incomplete: no hash for %.64s%s", cfg->kernel.name, cut);
		return;
	}
	for (k = 0; k < cfg->nmodules; k++)
		if (!cfg->modules[k].has_sha256) {
			snprintf(why, cap, "is incomplete: no hash for %.64s%s", cfg->modules[k].name, cut);
			return;
		}
}

/* Reads and checks boot.cfg; on success fills the bank's facts from it. Returns the parsed file (caller
 * frees) or NULL with cfg_why set. */
static struct bootcfg *bank_cfg(struct scan_ctx *c, int i)
{
	struct scan_bank *b = &c->r->bank[i];
	struct bootcfg_error pe = { 0, NULL };
	struct bootcfg *cfg = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = read_text(&c->bank[i], "/boot.cfg", &text, &len);
	if (rc < 0) {
		snprintf(b->cfg_why, sizeof(b->cfg_why), "%s", rc == -ENOENT ? "is missing" :
			 rc == -EFBIG ? "is too large to be a boot.cfg" : strerror(-rc));
		b->empty = rc == -ENOENT && bank_is_empty(&c->bank[i]);
		return NULL;
	}
	cfg = malloc(sizeof(*cfg));
	if (!cfg)
		snprintf(b->cfg_why, sizeof(b->cfg_why), "cannot be read: out of memory");
	else if (bootcfg_parse(text, len, cfg, &pe) < 0)
		snprintf(b->cfg_why, sizeof(b->cfg_why), "does not parse (line %u: %s)", pe.line,
			 pe.what ? pe.what : "invalid");
	else
		cfg_incomplete(cfg, text, len, b->cfg_why, sizeof(b->cfg_why));
	free(text);
	if (cfg && b->cfg_why[0]) {
		free(cfg);
		cfg = NULL;
	}
	return cfg;
}

void scan_bank(struct scan_ctx *c, int i)
{
	struct scan_bank *b = &c->r->bank[i];
	struct bootcfg *cfg;
	unsigned k;

	if (!c->bank[i].open)
		return;
	b->has_bootcfg_cpio = has_file(&c->bank[i], "/bootcfg.cpio");
	cfg = bank_cfg(c, i);
	bank_syslinux(c, i);
	if (!cfg)
		return;
	b->cfg_present = 1;
	b->bootstate = cfg->bootstate;
	b->updated = cfg->updated;
	snprintf(b->build, sizeof(b->build), "%.63s", cfg->build);
	snprintf(b->kernel, sizeof(b->kernel), "%.63s", cfg->kernel.name);
	bank_file(c, i, cfg->prefix, &cfg->kernel);
	for (k = 0; k < cfg->nmodules; k++)
		bank_file(c, i, cfg->prefix, &cfg->modules[k]);
	b->modules_ok = 1;
	for (k = 0; k < b->nmodules; k++)
		if (b->modules[k].state != SCAN_MOD_OK)
			b->modules_ok = 0;
	free(cfg);
}
