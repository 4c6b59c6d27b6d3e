/* scan_os.c: the other systems on the disk, which rescue must leave as they are and may repair only when asked
 * (`rescue grub`): the MBR's boot code when it is GRUB's or Windows', the ESP's vendor folders with the loader
 * each holds (GRUB, systemd-boot, Windows Boot Manager, or an unknown one), and Linux installations: ext2/3/4
 * partitions other than ramhost's whose os-release gives a PRETTY_NAME (read with debugfs, without mounting). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scan_int.h"


static void add_other(struct scan_report *r, const char *kind, const char *where, const char *detail)
{
	struct scan_other *o;

	if (r->nothers >= SCAN_MAX_OTHERS)
		return;
	o = &r->others[r->nothers++];
	snprintf(o->kind, sizeof(o->kind), "%s", kind);
	snprintf(o->where, sizeof(o->where), "%s", where);
	snprintf(o->detail, sizeof(o->detail), "%s", detail);
}

/* A known loader file (its name below /EFI/VENDOR/, any case) and the system it belongs to. */
static const struct {
	const char *file, *kind;
} loaders[] = {
	{ "Boot/bootmgfw.efi", "windows" },
	{ "systemd-bootx64.efi", "systemd-boot" },
	{ "grubx64.efi", "grub" },   /* shimx64.efi alone boots nothing: it starts grubx64.efi */
};

/* The loader of vendor folder v: the first file of the ESP under /EFI/v/ that is a known loader. */
static void esp_vendor(struct scan_report *r, const char *v)
{
	const struct scan_esp *e = &r->esp;
	char where[64], prefix[48], want[96];
	unsigned i, k;

	snprintf(where, sizeof(where), "p%u (ESP) /EFI/%s", (unsigned)e->fat.partno, v);
	snprintf(prefix, sizeof(prefix), "/EFI/%s/", v);
	for (k = 0; k < sizeof(loaders) / sizeof(loaders[0]); k++) {
		snprintf(want, sizeof(want), "%s%s", prefix, loaders[k].file);
		for (i = 0; i < e->nfiles && i < SCAN_MAX_FILES; i++)
			if (!strcasecmp(e->files[i].path, want)) {
				add_other(r, loaders[k].kind, where, e->files[i].path);
				return;
			}
	}
	add_other(r, "efi-vendor", where, "no known loader in it");
}

int scan_os_release_name(const char *buf, size_t len, char *out, size_t cap)
{
	static const char key[] = "PRETTY_NAME=";
	const char *line = buf, *end = buf + len, *nl, *v;
	size_t n = 0;
	char q;

	if (!cap)
		return -ENOENT;
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		if ((size_t)(nl - line) >= sizeof(key) - 1 && !memcmp(line, key, sizeof(key) - 1)) {
			v = line + sizeof(key) - 1;
			q = v < nl && (*v == '"' || *v == '\'') ? *v++ : 0;
			for (; v < nl && *v != q && n + 1 < cap; v++) {
				if (*v == '\\' && q == '"' && v + 1 < nl)
					v++;
				if ((unsigned char)*v >= 0x20 && *v != 0x7f)
					out[n++] = *v;
			}
			out[n] = '\0';
			return n ? 0 : -ENOENT;
		}
		if (nl == end)
			break;
		line = nl + 1;
	}
	return -ENOENT;
}

/* 1 when p is one of ramhost's partitions or the ESP (by name or type). */
static int is_ours(const struct gpt_part *p)
{
	static const char *const names[] = { "ESP", "bootbank", "altbootbank", "state" };
	char s[37];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(p->name, names[i]))
			return 1;
	gpt_guid_to_str(p->type_guid, s);
	return !strcmp(s, GPT_TYPE_ESP);
}

/* A Linux installation on partition p: its os-release (the /etc one is often a symlink, which debugfs does
 * not follow, so /usr/lib/os-release too, in the same run). */
static void linux_install(struct scan_ctx *c, const struct gpt_part *p)
{
	char where[16], name[128], *out = NULL;

	if (scan_debugfs_cmds(c, p, "cat /etc/os-release\ncat /usr/lib/os-release\n", &out, NULL) < 0) {
		free(out);
		return;
	}
	if (scan_os_release_name(out, strlen(out), name, sizeof(name)) == 0) {
		snprintf(where, sizeof(where), "p%u", (unsigned)p->number);
		add_other(c->r, "linux", where, name);
	}
	free(out);
}

void scan_os(struct scan_ctx *c)
{
	struct scan_report *r = c->r;
	const struct gpt_disk *g = &r->gpt.disk;
	unsigned i;

	if (r->mbr.read && r->mbr.mbr.code == MBR_CODE_GRUB)
		add_other(r, "grub", "MBR", "GRUB boot code (boot.img)");
	else if (r->mbr.read && r->mbr.mbr.code == MBR_CODE_WINDOWS)
		add_other(r, "windows", "MBR", "Windows MBR boot code");
	for (i = 0; i < r->esp.nvendors && i < SCAN_MAX_OTHERS; i++)
		esp_vendor(r, r->esp.vendors[i]);
	for (i = 0; r->gpt.have && i < g->nparts && i < GPT_MAX_PARTS; i++)
		if (!is_ours(&g->parts[i]) && scan_is_ext(c, &g->parts[i]))
			linux_install(c, &g->parts[i]);
}
