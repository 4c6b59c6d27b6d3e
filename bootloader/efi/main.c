/* main.c: ramhost.efi, the UEFI loader. Finds the bootbanks on the device it was started from, applies the bank
 * rules (lib/bank.c), shows the menu, loads the kernel and every module of boot.cfg, checks each against its
 * hash.NAME line, and starts the kernel's EFI stub with the modules (plus an in-memory bootcfg.cpio) as its
 * initrd. Failures are printed with the file name and both hashes, then the fallback bank is tried; with none
 * left the menu waits. The loader never returns to the firmware: the firmware would only try the next boot
 * option or loop. */
#include <efi.h>
#include <efilib.h>

#include "bank.h"
#include "bootcfg.h"
#include "bootcfg_cpio.h"
#include "clock.h"
#include "cmdline.h"
#include "linux.h"
#include "media.h"
#include "menu.h"
#include "net.h"
#include "netboot.h"
#include "sha256.h"
#include "text.h"

static struct boot_media media;
static struct net_source net;
static char fmt_buf[MEDIA_BOOTCFG_MAX + 1];

static UINTN pages_for(UINT64 bytes)
{
	return (UINTN)((bytes + 4095) / 4096);
}

static void *alloc_pages(UINT64 bytes)
{
	EFI_PHYSICAL_ADDRESS addr = 0;

	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData,
					pages_for(bytes ? bytes : 1), &addr)))
		return NULL;
	return (void *)(UINTN)addr;
}

static void free_pages(void *p, UINT64 bytes)
{
	if (p)
		uefi_call_wrapper(BS->FreePages, 2, (EFI_PHYSICAL_ADDRESS)(UINTN)p, pages_for(bytes ? bytes : 1));
}

/* Prints "what: EFI error N (NAME)"; ACCESS_DENIED / SECURITY_VIOLATION from LoadImage are Secure Boot refusals. */
static void say_status(const char *what, EFI_STATUS st)
{
	static const char *const names[] = {
		"", "LOAD_ERROR", "INVALID_PARAMETER", "UNSUPPORTED", "BAD_BUFFER_SIZE", "BUFFER_TOO_SMALL",
		"NOT_READY", "DEVICE_ERROR", "WRITE_PROTECTED", "OUT_OF_RESOURCES", "VOLUME_CORRUPTED",
		"VOLUME_FULL", "NO_MEDIA", "MEDIA_CHANGED", "NOT_FOUND", "ACCESS_DENIED", "NO_RESPONSE",
		"NO_MAPPING", "TIMEOUT", "NOT_STARTED", "ALREADY_STARTED", "ABORTED", "ICMP_ERROR", "TFTP_ERROR",
		"PROTOCOL_ERROR", "INCOMPATIBLE_VERSION", "SECURITY_VIOLATION", "CRC_ERROR", "END_OF_MEDIA",
		"", "", "END_OF_FILE",
	};
	uint64_t code = (uint64_t)(st & ~EFI_ERROR_MASK);
	char line[300];

	line[0] = '\0';
	ascii_append(line, sizeof(line), what);
	ascii_append(line, sizeof(line), ": EFI error ");
	ascii_append_u64(line, sizeof(line), code);
	if (code < sizeof(names) / sizeof(names[0]) && names[code][0]) {
		ascii_append(line, sizeof(line), " (");
		ascii_append(line, sizeof(line), names[code]);
		ascii_append(line, sizeof(line), ")");
	}
	text_say(line);
}

static void bank_infos(struct bank_info info[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		info[i].present = media.bank[i].parsed;
		info[i].bootstate = media.bank[i].parsed ? media.bank[i].cfg.bootstate : -1;
		info[i].updated = media.bank[i].parsed ? media.bank[i].cfg.updated : 0;
	}
}

static const char *state_word(int s)
{
	static const char *const names[] = { "VALID", "UPGRADING", "DIRTY", "INVALID" };

	return s >= 0 && s <= 3 ? names[s] : "?";
}

/* Makes the writes a bank plan asks for: new bootstate and/or updated in each bank's boot.cfg. */
static void apply_writes(const struct bank_plan *p)
{
	char line[200];
	int i;

	for (i = 0; i < 2; i++) {
		struct efi_bank *b = &media.bank[i];
		static struct bootcfg cfg;   /* 15 KiB: not on the firmware's stack */
		long len;
		EFI_STATUS st;

		if (p->write_state[i] < 0 && p->write_updated[i] < 0)
			continue;
		if (!b->parsed)
			continue;
		cfg = b->cfg;
		line[0] = '\0';
		ascii_append(line, sizeof(line), "bank ");
		ascii_append_u64(line, sizeof(line), b->number);
		ascii_append(line, sizeof(line), ":");
		if (p->write_state[i] >= 0) {
			ascii_append(line, sizeof(line), " bootstate ");
			ascii_append(line, sizeof(line), state_word(cfg.bootstate < 0 ? 0 : cfg.bootstate));
			ascii_append(line, sizeof(line), " -> ");
			ascii_append(line, sizeof(line), state_word(p->write_state[i]));
			cfg.bootstate = p->write_state[i];
		}
		if (p->write_updated[i] >= 0) {
			ascii_append(line, sizeof(line), " updated ");
			ascii_append_u64(line, sizeof(line), cfg.updated);
			ascii_append(line, sizeof(line), " -> ");
			ascii_append_u64(line, sizeof(line), (uint64_t)p->write_updated[i]);
			cfg.updated = (uint64_t)p->write_updated[i];
		}
		text_say(line);
		len = bootcfg_format(&cfg, fmt_buf, sizeof(fmt_buf));
		if (len < 0) {
			text_say("  boot.cfg does not fit in 16384 bytes; not written");
			continue;
		}
		st = bank_write_bootcfg(b, fmt_buf, (UINTN)len);
		if (st == EFI_WRITE_PROTECTED) {
			text_say("  read-only medium: not written (this boot only)");
			b->cfg = cfg;
		} else if (EFI_ERROR(st)) {
			say_status("  writing boot.cfg failed", st);
		}
	}
}

/* Network mode's progress line: "fetched NAME: N bytes in T ms". */
static void say_fetched(const char *name, UINT64 size, uint64_t ms)
{
	char line[BOOTCFG_MAX_NAME + 80], bytes[24] = "", msec[24] = "";

	ascii_append_u64(bytes, sizeof(bytes), size);
	ascii_append_u64(msec, sizeof(msec), ms);
	ascii_join(line, sizeof(line), (const char *[]){ "fetched ", name, ": ", bytes, " bytes in ", msec, " ms" }, 7);
	text_say(line);
}

/* Reads file f of bank b into pages at *buf (allocated here when *buf is NULL, sized *size) or into the caller's
 * buffer, and checks its SHA-256 against boot.cfg. Prints what went wrong and returns an error otherwise. */
static EFI_STATUS load_checked(struct efi_bank *b, const struct bootcfg_file *f, void *into, UINT64 size)
{
	uint8_t got[SHA256_DIGEST_LEN];
	char want_hex[SHA256_HEX_LEN + 1], got_hex[SHA256_HEX_LEN + 1];
	uint64_t t0 = clock_ms();
	EFI_STATUS st;

	st = bank_file_read(b, f->name, into, size);
	if (EFI_ERROR(st)) {
		text_say4("cannot read ", f->name, "", "");
		say_status("  read", st);
		return st;
	}
	if (b->net)
		say_fetched(f->name, size, clock_ms() - t0);
	sha256_buf(into, (size_t)size, got);
	if (CompareMem(got, (void *)f->sha256, SHA256_DIGEST_LEN) != 0) {
		hex_digest(f->sha256, SHA256_DIGEST_LEN, want_hex);
		hex_digest(got, SHA256_DIGEST_LEN, got_hex);
		text_say4(f->name, ": SHA-256 mismatch: refusing to boot it", "", "");
		text_say4("  expected ", want_hex, "", "");
		text_say4("  actual   ", got_hex, "", "");
		return EFI_SECURITY_VIOLATION;
	}
	return EFI_SUCCESS;
}

static EFI_STATUS file_size_checked(struct efi_bank *b, const struct bootcfg_file *f, UINT64 *ret)
{
	EFI_STATUS st;

	if (!f->has_sha256) {
		text_say4(f->name, ": no hash.", f->name, " line in boot.cfg: refusing to boot an unverified file");
		return EFI_SECURITY_VIOLATION;
	}
	st = bank_file_size(b, f->name, ret);
	if (EFI_ERROR(st) && b->net) {
		text_say4(f->name, ": cannot fetch it from ", net.server_text, "");
		say_status("  size", st);
		return st;
	}
	if (EFI_ERROR(st)) {
		text_say4(f->name, ": missing from bank ", b->number == 1 ? "1" : "2", "");
		return st;
	}
	if (*ret >= 0xffffffffull) {
		text_say4(f->name, ": 4 GiB or more: too large", "", "");
		return EFI_BAD_BUFFER_SIZE;
	}
	return EFI_SUCCESS;
}

/* The sizes of the kernel (*ret_ksize) and of each module (msize), checked, and the modules' total padded to 4
 * bytes each (*ret_total). Says why on failure. */
static EFI_STATUS file_sizes(struct efi_bank *b, UINT64 *ret_ksize, UINT64 *msize, UINT64 *ret_total)
{
	struct bootcfg *cfg = &b->cfg;
	UINT64 total = 0;
	unsigned i;
	EFI_STATUS st;

	st = file_size_checked(b, &cfg->kernel, ret_ksize);
	for (i = 0; !EFI_ERROR(st) && i < cfg->nmodules; i++) {
		st = file_size_checked(b, &cfg->modules[i], &msize[i]);
		total += (msize[i] + 3) & ~3ull;
	}
	*ret_total = total;
	return st;
}

/* Reads and verifies the kernel into kernel and the modules, each padded to 4 bytes, into initrd. */
static EFI_STATUS load_files(struct efi_bank *b, UINT8 *kernel, UINT64 ksize, UINT8 *initrd, const UINT64 *msize)
{
	struct bootcfg *cfg = &b->cfg;
	unsigned i;
	UINT64 off;
	EFI_STATUS st;

	st = load_checked(b, &cfg->kernel, kernel, ksize);
	for (i = 0, off = 0; !EFI_ERROR(st) && i < cfg->nmodules; i++) {
		UINT64 padded = (msize[i] + 3) & ~3ull;

		st = load_checked(b, &cfg->modules[i], initrd + off, msize[i]);
		SetMem(initrd + off + msize[i], padded - msize[i], 0);
		off += padded;
	}
	return st;
}

/* The kernel command line: opts, then ramhost.bank=N and ramhost.bankuuid= for init (network mode: opts only,
 * the server made them for this host). */
static void build_cmdline(char *cmdline, size_t cap, const char *opts, int n, const struct efi_bank *b)
{
	cmdline[0] = '\0';
	ascii_append(cmdline, cap, opts);
	if (b->net)
		return;
	ascii_append(cmdline, cap, cmdline[0] ? " ramhost.bank=" : "ramhost.bank=");
	ascii_append_u64(cmdline, cap, (uint64_t)n);
	if (b->uuid[0]) {
		ascii_append(cmdline, cap, " ramhost.bankuuid=");
		ascii_append(cmdline, cap, b->uuid);
	}
}

/* "loaded and verified N MiB in N ms (...)" and "booting bank N (BUILD) from MEDIUM". */
static void say_loaded(int n, const struct efi_bank *b, UINT64 bytes, uint64_t t_load)
{
	char line[160];
	char line2[BOOTCFG_MAX_TEXT + 64];
	uint64_t now = clock_ms();

	line[0] = '\0';
	ascii_append(line, sizeof(line), "loaded and verified ");
	ascii_append_u64(line, sizeof(line), (bytes + 512 * 1024) >> 20);
	ascii_append(line, sizeof(line), " MiB in ");
	ascii_append_u64(line, sizeof(line), now - t_load);
	ascii_append(line, sizeof(line), " ms (");
	ascii_append_u64(line, sizeof(line), now);
	ascii_append(line, sizeof(line), " ms since the loader started, menu included)");
	text_say(line);
	line2[0] = '\0';
	if (b->net) {
		ascii_append(line2, sizeof(line2), "booting");
	} else {
		ascii_append(line2, sizeof(line2), "booting bank ");
		ascii_append_u64(line2, sizeof(line2), (uint64_t)n);
	}
	ascii_append(line2, sizeof(line2), " (");
	ascii_append(line2, sizeof(line2), b->cfg.build);
	ascii_append(line2, sizeof(line2), ") from ");
	ascii_append(line2, sizeof(line2), media.medium);
	text_say(line2);
}

/* One boot attempt of bank n with kernel options opts; a rescue boot (rescue 1) writes nothing to the banks: an
 * UPGRADING bank keeps its one try for the next normal boot. Returns only on failure, having said why. */
static EFI_STATUS boot_bank(EFI_HANDLE image, int n, const char *opts, int rescue)
{
	struct efi_bank *b = &media.bank[n - 1];
	struct bootcfg *cfg = &b->cfg;
	UINT64 ksize = 0, msize[BOOTCFG_MAX_MODULES], total = 0;
	UINT8 *kernel = NULL, *initrd = NULL;
	UINT64 initrd_cap = 0;
	struct bank_info info[2];
	struct bank_plan plan;
	static char cmdline[MENU_OPTIONS_MAX + 128];
	const char *what = "";
	uint64_t t_load = 0;
	EFI_STATUS st;

	if (!b->parsed)
		return EFI_NOT_FOUND;
	if (b->net)
		text_say4("loading from ", net.server_text, ": ", cfg->build[0] ? cfg->build : "(no build=)");
	else
		text_say4("loading bank ", n == 1 ? "1" : "2", ": ", cfg->build[0] ? cfg->build : "(no build=)");
	if (!cfg->kernel.name[0]) {
		text_say("boot.cfg has no kernel= line");
		return EFI_NOT_FOUND;
	}
	st = file_sizes(b, &ksize, msize, &total);
	if (EFI_ERROR(st))
		return st;
	/* Room for the bootcfg cpio of the largest boot.cfg: the bootstate write below may change its length. */
	initrd_cap = total + bootcfg_cpio_len(MEDIA_BOOTCFG_MAX);
	t_load = clock_ms();
	kernel = alloc_pages(ksize);
	initrd = alloc_pages(initrd_cap);
	if (!kernel || !initrd) {
		text_say("out of memory for the kernel and modules");
		st = EFI_OUT_OF_RESOURCES;
		goto fail;
	}
	st = load_files(b, kernel, ksize, initrd, msize);
	if (EFI_ERROR(st))
		goto fail;

	/* Verified: now the bank rules' write for this boot (UPGRADING -> DIRTY), then the boot.cfg copy for init
	 * from the text as it is now. */
	bank_infos(info);
	if (!rescue && bank_before_boot(info, n, &plan) == 0)
		apply_writes(&plan);
	bootcfg_cpio_write(initrd + total, b->text, b->len);

	build_cmdline(cmdline, sizeof(cmdline), opts, n, b);
	text_say4("kernel options: ", cmdline, "", "");
	say_loaded(n, b, ksize + total, t_load);
	st = linux_start(image, kernel, (UINTN)ksize, initrd, (UINTN)(total + bootcfg_cpio_len(b->len)), cmdline,
			 &what);
	say_status(what, st);
fail:
	free_pages(kernel, ksize);
	free_pages(initrd, initrd_cap);
	return st;
}

/* Tries the banks of order[0..n) in turn, the first with opts (NULL: its kernelopt), the others with their own
 * kernelopt (rescue: see boot_bank). Returns when every one failed. */
static void boot_in_order(EFI_HANDLE image, const int *order, unsigned n, const char *opts, int rescue)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		int bn = order[i];

		if (i > 0)
			text_say4("trying the fallback: bank ", bn == 1 ? "1" : "2", "", "");
		boot_bank(image, bn, i == 0 && opts ? opts : media.bank[bn - 1].cfg.kernelopt, rescue);
	}
	text_say("no bank left to boot: the menu waits");
}

/* The install entry: the ISO's bank with the installer's options (options, unless the user edited them); no
 * fallback: an ISO has one bank. */
static void boot_install(EFI_HANDLE image, int selected, int edited, char *options, size_t cap)
{
	if (!edited)
		menu_install_options(&media, options, cap);
	text_say4("Install to disk: bank ", selected == 1 ? "1" : "2", " with ", media.installopt);
	boot_in_order(image, &selected, 1, options, 0);
}

/* The Rescue entry: the default bank with the rescue option (options, unless the user edited them), writing
 * nothing to the banks; no fallback: the other bank would boot without it. */
static void boot_rescue(EFI_HANDLE image, int selected, int edited, char *options, size_t cap)
{
	if (!edited)
		menu_rescue_options(&media, selected, options, cap);
	text_say4("Rescue: bank ", selected == 1 ? "1" : "2", " with ", CMDLINE_RESCUE_OPTION);
	boot_in_order(image, &selected, 1, options, 1);
}

/* Boot (or, for MENU_REVERT, revert to the other bank and boot) from the menu: the selected bank first, then the
 * other when the rules still count it bootable. Updates *selected to what the rules now put first. */
static void boot_selected(EFI_HANDLE image, enum menu_action a, int *selected, const char *opts)
{
	struct bank_info info[2];
	struct bank_plan p;
	int order[2], n = 0;

	bank_infos(info);
	if (a == MENU_REVERT) {
		int rc = bank_revert(info, *selected, &p);

		if (rc != 0) {
			text_say4("cannot revert: bank ", *selected == 1 ? "2" : "1", " is not bootable", "");
			return;
		}
		apply_writes(&p);
		*selected = p.order[0];
		bank_infos(info);
	}
	order[n++] = *selected;
	if (bank_plan(info, &p) == 0) {
		unsigned i;

		for (i = 0; i < p.n; i++)
			if (p.order[i] != *selected)
				order[n++] = p.order[i];
	}
	boot_in_order(image, order, (unsigned)n, opts, 0);
	bank_infos(info);
	if (bank_plan(info, &p) == 0 && p.n)
		*selected = p.order[0];
}

/* After a scan: applies the rules' writes and picks the bank the menu starts on and its timeout (-1: wait);
 * only the first menu of the loader counts down. */
static void start_menu(int first, int *ret_selected, long *ret_timeout)
{
	struct bank_info info[2];
	struct bank_plan plan;
	long timeout;
	int selected;

	bank_infos(info);
	if (bank_plan(info, &plan) != 0)
		plan.n = 0;
	apply_writes(&plan);

	selected = plan.n ? plan.order[0] : (media.bank[0].found ? 1 : 2);
	timeout = plan.n && first ? media.bank[selected - 1].cfg.timeout : -1;
	if (timeout < 0 && plan.n && first)
		timeout = 5;
	if (!plan.n) {
		text_say("no bootable bank (missing, unparsable, dirty or invalid): the menu waits");
		timeout = -1;
	}
	*ret_selected = selected;
	*ret_timeout = timeout;
}

/* Network mode: boot.cfg from the server (signature checked when the loader carries a key), then the same boot
 * attempt as from a bank (every file fetched, hash-checked, booted). On failure the loader says why and waits
 * for a key, then fetches boot.cfg again: a diskless host has nothing else to boot. */
static void net_main(EFI_HANDLE image)
{
	for (;;) {
		if (!EFI_ERROR(netboot_load_bootcfg(&net, &media)))
			boot_bank(image, 1, media.bank[0].cfg.kernelopt, 0);
		text_say("network boot failed: press any key to fetch boot.cfg again");
		menu_wait_key(NULL);
	}
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	static char options[MENU_OPTIONS_MAX];
	long timeout;
	int selected, edited, first = 1;
	EFI_STATUS st;

	InitializeLib(image, systab);
	clock_start();
	/* The firmware arms a 5-minute watchdog for boot applications; a menu left waiting must not reset. */
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
	text_say("ramhost UEFI loader");
	if (!EFI_ERROR(net_detect(image, &net)))
		net_main(image);

rescan:
	st = media_find(image, &media);
	if (EFI_ERROR(st)) {
		text_say("no bootbank found on the boot device (no RHBANK1/RHBANK2 volume, no /bootbank/boot.cfg on an");
		text_say("ISO9660 volume, no \\boot.cfg next to the loader); press any key to scan again");
		menu_wait_key(NULL);
		goto rescan;
	}
	start_menu(first, &selected, &timeout);
	first = 0;
	for (;;) {
		enum menu_action a = menu_run(&media, &selected, timeout, options, sizeof(options), &edited);

		timeout = -1;
		if (a == MENU_RESCAN)
			goto rescan;
		if (a == MENU_INSTALL)
			boot_install(image, selected, edited, options, sizeof(options));
		else if (a == MENU_RESCUE)
			boot_rescue(image, selected, edited, options, sizeof(options));
		else
			boot_selected(image, a, &selected, edited ? options : NULL);
	}
	return EFI_SUCCESS;
}
