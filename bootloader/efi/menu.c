/* menu.c: the boot menu (see menu.h). Plain lines rather than a full-screen UI: every line reads the same on a
 * serial console, in a log file and on the screen. */
#include "menu.h"

#include "cmdline.h"
#include "text.h"

#define KEY_ESC_SCAN 0x17
#define POLL_US 50000
#define ENTRY_INSTALL 3 /* the menu line after the two banks; the cursor is 1, 2 (a bank), this or: */
#define ENTRY_RESCUE 4  /* the last line: the default bank with the rescue option */

/* The lines the menu shows, beyond the banks: the bank each boots, 0 when the line is not shown. */
struct entries {
	int ib;   /* Install to disk: media_install_bank */
	int rb;   /* Rescue: the default bank, when it can be booted */
};

/* The bank that line cur acts on. */
static int entry_bank(const struct entries *e, int cur)
{
	if (cur == ENTRY_INSTALL)
		return e->ib;
	if (cur == ENTRY_RESCUE)
		return e->rb;
	return cur;
}

static const char *state_name(int s)
{
	switch (s) {
	case 0: return "valid";
	case 1: return "upgrading";
	case 2: return "dirty";
	case 3: return "invalid";
	default: return "valid (no bootstate)";
	}
}

static void show_bank(const struct efi_bank *b, int selected)
{
	char line[300];

	line[0] = '\0';
	ascii_append(line, sizeof(line), selected ? " > " : "   ");
	ascii_append(line, sizeof(line), "bank ");
	ascii_append_u64(line, sizeof(line), b->number);
	ascii_append(line, sizeof(line), ": ");
	if (!b->found) {
		ascii_append(line, sizeof(line), "(none)");
	} else if (!b->parsed) {
		ascii_append(line, sizeof(line), "(not bootable: ");
		ascii_append(line, sizeof(line), b->why);
		ascii_append(line, sizeof(line), ")");
	} else {
		ascii_append(line, sizeof(line), b->cfg.build[0] ? b->cfg.build : "(no build=)");
		ascii_append(line, sizeof(line), ", updated=");
		ascii_append_u64(line, sizeof(line), b->cfg.updated);
		ascii_append(line, sizeof(line), ", ");
		ascii_append(line, sizeof(line), state_name(b->cfg.bootstate));
	}
	text_say(line);
}

static const char *menu_title(const struct boot_media *m, int selected)
{
	const struct efi_bank *b = &m->bank[selected - 1];

	if (b->parsed && b->cfg.title[0])
		return b->cfg.title;
	return "ramhost";
}

void menu_install_options(const struct boot_media *m, char *buf, UINTN cap)
{
	int ib = media_install_bank(m);
	const struct bootcfg *cfg;

	buf[0] = '\0';
	if (!ib)
		return;
	cfg = &m->bank[ib - 1].cfg;
	ascii_copy(buf, cap, cfg->kernelopt);
	if (buf[0])
		ascii_append(buf, cap, " ");
	ascii_append(buf, cap, m->installopt);
}

/* The Install line, only on an installable ISO: what it boots and the options it adds. */
static void show_install(const struct boot_media *m, int cur)
{
	int ib = media_install_bank(m);
	char line[BOOTCFG_MAX_TEXT + 80];

	if (!ib)
		return;
	line[0] = '\0';
	ascii_append(line, sizeof(line), cur == ENTRY_INSTALL ? " > " : "   ");
	ascii_append(line, sizeof(line), "Install to disk: bank ");
	ascii_append_u64(line, sizeof(line), (uint64_t)ib);
	ascii_append(line, sizeof(line), " with ");
	ascii_append(line, sizeof(line), m->installopt);
	text_say(line);
}

void menu_rescue_options(const struct boot_media *m, int bank, char *buf, UINTN cap)
{
	buf[0] = '\0';
	ascii_copy(buf, cap, m->bank[bank - 1].cfg.kernelopt);
	if (buf[0])
		ascii_append(buf, cap, " ");
	ascii_append(buf, cap, CMDLINE_RESCUE_OPTION);
}

/* The Rescue line, when the default bank can be booted: what it boots and the option it adds. */
static void show_rescue(const struct entries *e, int cur)
{
	char line[120];

	if (!e->rb)
		return;
	line[0] = '\0';
	ascii_append(line, sizeof(line), cur == ENTRY_RESCUE ? " > " : "   ");
	ascii_append(line, sizeof(line), "Rescue: bank ");
	ascii_append_u64(line, sizeof(line), (uint64_t)e->rb);
	ascii_append(line, sizeof(line), " with " CMDLINE_RESCUE_OPTION " (no state restored; ramhost rescue scan)");
	text_say(line);
}

static void show_menu(const struct boot_media *m, const struct entries *e, int cur)
{
	int ib = e->ib;

	text_say(menu_title(m, entry_bank(e, cur)));
	show_bank(&m->bank[0], cur == 1);
	show_bank(&m->bank[1], cur == 2);
	show_install(m, cur);
	show_rescue(e, cur);
	if (ib)
		text_say("Enter: boot   Up/Down/1/2: select   i: install to disk   e: edit kernel options   "
			 "r: revert to the other bank");
	else
		text_say("Enter: boot   Up/Down/1/2: select   e: edit kernel options   r: revert to the other bank");
}

static int read_key(EFI_INPUT_KEY *key)
{
	return !EFI_ERROR(uefi_call_wrapper(ST->ConIn->ReadKeyStroke, 2, ST->ConIn, key));
}

CHAR16 menu_wait_key(EFI_INPUT_KEY *ret_key)
{
	EFI_INPUT_KEY key;
	UINTN idx;

	for (;;) {
		uefi_call_wrapper(BS->WaitForEvent, 3, 1, &ST->ConIn->WaitForKey, &idx);
		if (read_key(&key))
			break;
	}
	if (ret_key)
		*ret_key = key;
	return key.UnicodeChar;
}

/* Line editor for the kernel options: printable ASCII appends, Backspace (or DEL from a serial terminal)
 * deletes, Enter accepts (returns 1), Esc cancels (returns 0). */
static int edit_line(char *buf, UINTN cap)
{
	EFI_INPUT_KEY key;
	UINTN len = ascii_len(buf);
	char one[2] = { 0, 0 };

	text_put("ramhost.efi: options: ");
	text_put(buf);
	for (;;) {
		CHAR16 c = menu_wait_key(&key);

		if (key.ScanCode == KEY_ESC_SCAN || c == 0x1b) {
			text_put("\n");
			return 0;
		}
		if (c == CHAR_CARRIAGE_RETURN || c == CHAR_LINEFEED) {
			text_put("\n");
			return 1;
		}
		if (c == CHAR_BACKSPACE || c == 0x7f) {
			if (len) {
				buf[--len] = '\0';
				text_put("\b \b");
			}
			continue;
		}
		if (c >= 0x20 && c < 0x7f && len + 1 < cap) {
			buf[len++] = (char)c;
			buf[len] = '\0';
			one[0] = (char)c;
			text_put(one);
		}
	}
}

static int other_bank(int b)
{
	return b == 1 ? 2 : 1;
}

/* Counts down from `seconds`, printing the remaining time on one line; returns 1 when it ran out, 0 when a key
 * was pressed: the key (in *ret_key) stops the countdown and is then acted on like any menu key, so `e` or `r`
 * work at once. */
static int countdown(int selected, long seconds, EFI_INPUT_KEY *ret_key)
{
	long ticks = seconds * (1000000 / POLL_US);
	long shown = -1;
	char line[100];

	while (ticks > 0) {
		long left = (ticks + (1000000 / POLL_US) - 1) / (1000000 / POLL_US);

		if (left != shown) {
			line[0] = '\0';
			ascii_append(line, sizeof(line), "\rramhost.efi: booting bank ");
			ascii_append_u64(line, sizeof(line), (uint64_t)selected);
			ascii_append(line, sizeof(line), " in ");
			ascii_append_u64(line, sizeof(line), (uint64_t)left);
			ascii_append(line, sizeof(line), " s (press any key to stop) ");
			text_put(line);
			shown = left;
		}
		if (read_key(ret_key)) {
			text_put("\n");
			text_say("countdown stopped");
			return 0;
		}
		uefi_call_wrapper(BS->Stall, 1, POLL_US);
		ticks--;
	}
	text_put("\n");
	return 1;
}

#define MENU_STAY (-1)  /* a key handler's answer: the menu goes on */

/* The line after (dir 1) or before (dir -1) cur that the menu shows; cur itself at either end. */
static int next_line(const struct entries *e, int cur, int dir)
{
	int n;

	for (n = cur + dir; n >= 1 && n <= ENTRY_RESCUE; n += dir)
		if (n <= 2 || entry_bank(e, n))
			return n;
	return cur;
}

/* Up/Down/1/2: moves the highlight (cur) over the lines shown; returns 1 when the key was one of those. */
static int move_key(struct boot_media *m, const struct entries *e, const EFI_INPUT_KEY *key, CHAR16 c, int *cur,
		    int *selected)
{
	int want = 0;

	if (key->ScanCode == SCAN_UP)
		want = next_line(e, *cur, -1);
	else if (key->ScanCode == SCAN_DOWN)
		want = next_line(e, *cur, 1);
	else if (c == '1' || c == '2')
		want = c - '0';
	if (!want)
		return 0;
	if (want != *cur) {
		*cur = want;
		*selected = entry_bank(e, *cur);
		show_menu(m, e, *cur);
	}
	return 1;
}

/* e: edits the kernel options of the highlighted entry; Enter in the editor boots with them. */
static int edit_key(struct boot_media *m, const struct entries *e, int cur, int selected, char *options, UINTN cap,
		    int *ret_edited)
{
	static char line[MENU_OPTIONS_MAX];
	const struct efi_bank *b = &m->bank[selected - 1];

	if (!b->parsed) {
		text_say("this bank has no boot.cfg to edit");
		return MENU_STAY;
	}
	if (cur == ENTRY_INSTALL)
		menu_install_options(m, line, sizeof(line));
	else if (cur == ENTRY_RESCUE)
		menu_rescue_options(m, selected, line, sizeof(line));
	else
		ascii_copy(line, sizeof(line), b->cfg.kernelopt);
	text_say("edit the kernel options for this boot: Enter boots, Esc cancels");
	if (edit_line(line, sizeof(line))) {
		ascii_copy(options, cap, line);
		*ret_edited = 1;
		if (cur == ENTRY_INSTALL)
			return MENU_INSTALL;
		return cur == ENTRY_RESCUE ? MENU_RESCUE : MENU_BOOT;
	}
	show_menu(m, e, cur);
	return MENU_STAY;
}

/* r: asks before reverting to the other bank. */
static int revert_key(struct boot_media *m, const struct entries *e, int cur, int selected)
{
	EFI_INPUT_KEY key;
	char q[120];
	CHAR16 c;

	q[0] = '\0';
	ascii_append(q, sizeof(q), "ramhost.efi: revert to bank ");
	ascii_append_u64(q, sizeof(q), (uint64_t)other_bank(selected));
	ascii_append(q, sizeof(q), " and make it the default? (y/n) ");
	text_put(q);
	c = menu_wait_key(&key);
	text_put("\n");
	if (c == 'y' || c == 'Y')
		return MENU_REVERT;
	text_say("revert cancelled");
	show_menu(m, e, cur);
	return MENU_STAY;
}

/* Any other key: i (or Enter on the install entry), Enter, s, e, r; the rest are ignored. */
static int action_key(struct boot_media *m, const struct entries *e, CHAR16 c, int cur, int *selected,
		      char *options, UINTN cap, int *ret_edited)
{
	int enter = c == CHAR_CARRIAGE_RETURN || c == CHAR_LINEFEED;

	if (c == 'i' || c == 'I' || (cur == ENTRY_INSTALL && enter)) {
		if (!e->ib) {
			text_say("no Install to disk entry: this medium is not an installable ISO");
			return MENU_STAY;
		}
		*selected = e->ib;
		return MENU_INSTALL;
	}
	if (cur == ENTRY_RESCUE && enter) {
		*selected = e->rb;
		return MENU_RESCUE;
	}
	if (enter) {
		if (!m->bank[*selected - 1].parsed) {
			text_say("this bank cannot be booted; select the other one, or press s to scan again");
			return MENU_STAY;
		}
		return MENU_BOOT;
	}
	if (c == 's' || c == 'S')
		return MENU_RESCAN;
	if (c == 'e' || c == 'E')
		return edit_key(m, e, cur, *selected, options, cap, ret_edited);
	if (c == 'r' || c == 'R')
		return revert_key(m, e, cur, *selected);
	return MENU_STAY;
}

enum menu_action menu_run(struct boot_media *m, int *selected, long seconds, char *options, UINTN cap,
			  int *ret_edited)
{
	EFI_INPUT_KEY key;
	struct entries e;
	int pending = 0, cur = *selected;

	*ret_edited = 0;
	if (seconds == 0)
		return MENU_BOOT;
	e.ib = media_install_bank(m);
	e.rb = m->bank[*selected - 1].parsed ? *selected : 0;
	show_menu(m, &e, cur);
	if (seconds > 0) {
		if (countdown(*selected, seconds, &key))
			return MENU_BOOT;
		pending = 1;
	}
	for (;;) {
		CHAR16 c = pending ? key.UnicodeChar : menu_wait_key(&key);
		int a;

		pending = 0;
		if (move_key(m, &e, &key, c, &cur, selected))
			continue;
		a = action_key(m, &e, c, cur, selected, options, cap, ret_edited);
		if (a != MENU_STAY)
			return (enum menu_action)a;
	}
}
