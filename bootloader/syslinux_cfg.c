/* syslinux_cfg.c: ISOLINUX/SYSLINUX configuration from boot.cfg (see syslinux_cfg.h). */
#include "syslinux_cfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t cap, len;
	int rc;
};

static void add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->rc)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->rc = -E2BIG;
		return;
	}
	o->len += (size_t)n;
}

/* A file name syslinux can take in KERNEL / INITRD: not empty, no blank, no comma (the initrd separator). */
static int usable(const char *name)
{
	return name[0] && !strpbrk(name, " \t\r\n,");
}

/* Text that goes to the end of a line: no line breaks. */
static int one_line(const char *s)
{
	return !strpbrk(s, "\r\n");
}

/* One LABEL: the bank's kernel, every module and bootcfg.cpio as initrds, kernelopt, ramhost.bank=N and the
 * bankuuid, then extra words when not NULL. menu_label NULL: no MENU LABEL line. */
static void add_label(struct out *o, const char *label, const char *menu_label, const struct bootcfg *cfg,
		      const struct syslinux_cfg_opts *opts, const char *extra)
{
	const char *dir = opts->dir ? opts->dir : "";
	unsigned i;

	add(o, "\nLABEL %s\n", label);
	if (menu_label)
		add(o, "  MENU LABEL %s\n", menu_label);
	add(o, "  KERNEL %s/%s\n", dir, cfg->kernel.name);
	add(o, "  INITRD ");
	for (i = 0; i < cfg->nmodules; i++)
		add(o, "%s%s/%s", i ? "," : "", dir, cfg->modules[i].name);
	if (opts->bootcfg_module)
		add(o, "%s%s/%s", cfg->nmodules ? "," : "", dir, opts->bootcfg_module);
	add(o, "\n  APPEND %s%sramhost.bank=%u", cfg->kernelopt, cfg->kernelopt[0] ? " " : "", opts->bank);
	if (opts->bankuuid)
		add(o, " ramhost.bankuuid=%s", opts->bankuuid);
	if (extra)
		add(o, " %s", extra);
	add(o, "\n");
}

void syslinux_fat_lookup_name(const char *name, char out[12])
{
	int i = 0;

	while (i < 11 && *name && (unsigned char)*name > ' ' && *name != '/') {
		char c = *name++;

		if (c == '.') {   /* the extension starts again at every dot */
			while (i < 8)
				out[i++] = ' ';
			i = 8;
			continue;
		}
		out[i++] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	while (i < 11)
		out[i++] = ' ';
	out[11] = '\0';
}

/* The 8.3 entry a FAT writer gives name when it fits one (1-8 characters, at most one dot, 0-3 after it): 1 and
 * the padded upper-case form in out; 0 when it does not fit (the writer then makes a NAME~N entry). */
static int fat_short_name(const char *name, char out[12])
{
	const char *dot = strchr(name, '.');
	size_t base = dot ? (size_t)(dot - name) : strlen(name);

	if (!base || base > 8 || (dot && (strchr(dot + 1, '.') || strlen(dot + 1) > 3)) || strpbrk(name, " ~"))
		return 0;
	syslinux_fat_lookup_name(name, out);
	return 1;
}

int syslinux_cfg_clash(const struct bootcfg *cfg, const struct syslinux_cfg_opts *opts, const char **ret_a,
		       const char **ret_b)
{
	const char *names[BOOTCFG_MAX_MODULES + 3];
	unsigned n = 0, i, j;

	names[n++] = cfg->kernel.name;
	names[n++] = "boot.cfg";
	if (opts->bootcfg_module)
		names[n++] = opts->bootcfg_module;
	for (i = 0; i < cfg->nmodules && i < BOOTCFG_MAX_MODULES; i++)
		names[n++] = cfg->modules[i].name;
	for (i = 0; i < n; i++) {
		char want[12];

		syslinux_fat_lookup_name(names[i], want);
		for (j = 0; j < n; j++) {
			char have[12];

			if (strcmp(names[i], names[j]) && fat_short_name(names[j], have) && !strcmp(want, have)) {
				*ret_a = names[i];
				*ret_b = names[j];
				return 1;
			}
		}
	}
	return 0;
}

int syslinux_cfg_check_names(const struct bootcfg *cfg, const char *bootcfg_module, struct rh_err *err)
{
	struct syslinux_cfg_opts o = { .bootcfg_module = bootcfg_module };
	const char *a, *b;
	char want[12], shown[13];
	int n, e;

	if (!syslinux_cfg_clash(cfg, &o, &a, &b))
		return 0;
	syslinux_fat_lookup_name(a, want);
	for (n = 8; n > 0 && want[n - 1] == ' '; n--)
		;
	for (e = 3; e > 0 && want[8 + e - 1] == ' '; e--)
		;
	snprintf(shown, sizeof(shown), "%.*s%s%.*s", n, want, e ? "." : "", e, want + 8);
	return rh_errf(err, -EINVAL, "%s: SYSLINUX looks this name up on a FAT bootbank as the 8.3 name %s, which is "
		       "%s's, and would load that file instead: rename it (no '.' before the extension)", a, shown, b);
}

/* What syslinux_cfg_format can write: names usable in KERNEL/INITRD that SYSLINUX finds on FAT, texts without
 * line breaks. */
static int cfg_writable(const struct bootcfg *cfg, const struct syslinux_cfg_opts *opts)
{
	const char *a, *b;

	const char *dir = opts->dir ? opts->dir : "";
	unsigned i;

	if (!usable(cfg->kernel.name) || !one_line(cfg->kernelopt) || !one_line(cfg->title) || !one_line(dir) ||
	    strpbrk(dir, " \t,") || (opts->bootcfg_module && !usable(opts->bootcfg_module)) ||
	    (opts->bankuuid && !usable(opts->bankuuid)) || (opts->install_append && !one_line(opts->install_append)) ||
	    (opts->rescue_append && !one_line(opts->rescue_append)))
		return 0;
	for (i = 0; i < cfg->nmodules; i++)
		if (!usable(cfg->modules[i].name))
			return 0;
	return !syslinux_cfg_clash(cfg, opts, &a, &b);
}

long syslinux_cfg_format(const struct bootcfg *cfg, const struct syslinux_cfg_opts *opts, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, 0 };

	if (!cap)
		return -E2BIG;
	buf[0] = '\0';
	if (!cfg_writable(cfg, opts))
		return -EINVAL;

	add(&o, "# Generated by ramhost from boot.cfg; rebuilt with the bootbank, do not edit.\n");
	if (opts->serial)
		add(&o, "SERIAL %s\n", opts->serial);
	add(&o, "DEFAULT ramhost\n");
	/* boot.cfg's timeout is in seconds, syslinux's in tenths; with 0 (or none) boot at once, no prompt */
	if (cfg->timeout > 0)
		add(&o, "PROMPT 1\nTIMEOUT %ld\n", cfg->timeout > 3600 ? 36000 : cfg->timeout * 10);
	else
		add(&o, "PROMPT 0\nTIMEOUT 0\n");
	if (cfg->title[0])
		add(&o, "SAY Booting %s\n", cfg->title);
	if (opts->install_append)
		add(&o, "SAY Type 'install' at the boot: prompt to install to a disk\n");
	if (opts->rescue_append)
		add(&o, "SAY Type 'rescue' at the boot: prompt for the rescue console (a host that does not boot)\n");
	add_label(&o, "ramhost", NULL, cfg, opts, NULL);
	/* the same boot with the installer's options: type `install` at the boot: prompt */
	if (opts->install_append)
		add_label(&o, "install", "Install to disk", cfg, opts, opts->install_append);
	/* and with the rescue console's: no state restored, `ramhost rescue scan` on the console */
	if (opts->rescue_append)
		add_label(&o, "rescue", "Rescue", cfg, opts, opts->rescue_append);
	if (o.rc)
		return o.rc;
	return (long)o.len;
}

long syslinux_esp_cfg_format(const char *default_label, const char *alt_label, long timeout_s, const char *serial,
			     char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, 0 };
	const char *labels[2] = { default_label, alt_label };
	unsigned i;

	if (!cap)
		return -E2BIG;
	buf[0] = '\0';
	if (!default_label || !usable(default_label) || (alt_label && !usable(alt_label)) ||
	    (serial && !one_line(serial)))
		return -EINVAL;
	add(&o, "# Generated by ramhost: SYSLINUX on the ESP chains to a bootbank partition by its GPT name.\n");
	if (serial)
		add(&o, "SERIAL %s\n", serial);
	add(&o, "DEFAULT %s\n", default_label);
	if (timeout_s > 0)
		add(&o, "PROMPT 1\nTIMEOUT %ld\n", timeout_s > 3600 ? 36000 : timeout_s * 10);
	else
		add(&o, "PROMPT 0\nTIMEOUT 0\n");
	for (i = 0; i < 2; i++)
		if (labels[i])
			add(&o, "\nLABEL %s\n  COM32 chain.c32\n  APPEND label=%s\n", labels[i], labels[i]);
	if (o.rc)
		return o.rc;
	return (long)o.len;
}
