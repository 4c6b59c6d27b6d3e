/* test_rescue_print.c: the scan report as text and as JSON: the JSON parses (python3's json module) and holds
 * the problems with their fix commands; hostile strings from the disk (a quote, a newline, an escape sequence in
 * a boot entry's description or a partition name) are escaped in both forms; the text has a line per layer,
 * then "Problems:" with "fix: ramhost rescue repair --only OP ARG". */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/rescue_print.h"
#include "unit.h"

static void report(struct scan_report *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->disk, "/tmp/disk.img");
	r->size = 1u << 30;
	r->sector = 512;
	r->mbr.read = 1;
	r->mbr.mbr.signature_ok = 1;
	r->mbr.mbr.code = MBR_CODE_ZERO;
	r->mbr.mbr.protective = 1;
	r->mbr.mbr.nparts = 1;
	r->mbr.mbr.part[0].type = 0xEE;
	r->gpt.main_ok = r->gpt.backup_ok = r->gpt.have = 1;
	r->gpt.backup_lba = r->size / 512 - 1;
	r->gpt.disk.nparts = 1;
	strcpy(r->gpt.disk.parts[0].name, "bootbank\"\n\x1b[2J");
	r->is_ramhost = 1;
	r->esp.fat.exists = r->esp.fat.fs_ok = 1;
	r->esp.fat.partno = 1;
	r->esp.fat.free_bytes = 50u << 20;
	r->esp.has_fallback = r->esp.fallback_is_ramhost = r->esp.has_syslinux = r->esp.has_chain_cfg = 1;
	r->esp.chain_bank = 1;
	r->esp.nfiles = 1;
	strcpy(r->esp.files[0].path, "/EFI/BOOT/BOOTX64.EFI");
	r->esp.files[0].pe_signed = -1;
	for (int i = 0; i < 2; i++) {
		r->bank[i].number = i + 1;
		r->bank[i].bootstate = -1;
	}
	r->bank[0].fat.exists = r->bank[0].fat.fs_ok = 1;
	r->bank[0].cfg_present = r->bank[0].has_syslinux = r->bank[0].has_bootcfg_cpio = 1;
	r->bank[0].nmodules = 1;
	strcpy(r->bank[0].modules[0].name, "base.tdk");
	r->bank[0].modules[0].state = SCAN_MOD_BAD_HASH;
	r->efi.available = 1;
	r->efi.nentries = 1;
	r->efi.entries[0].num = 0x1a;
	strcpy(r->efi.entries[0].desc, "ramhost \"evil\"\n\x1b]0;x\x07");
	r->efi.entries[0].file_exists = -1;
	r->efi.order_missing = 1;
	scan_verdict(r);
}

/* Prints r (json 1: JSON, 0: text, 2: summary) with stdout sent to path. */
static int capture(const char *path, const struct scan_report *r, int json)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved, rc;

	if (fd < 0)
		return -1;
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	close(fd);
	rc = json == 2 ? rescue_print_summary(r) : rescue_print_report(r, json);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return rc;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);

	if (f && buf)
		buf[fread(buf, 1, (1 << 20) - 1, f)] = '\0';
	if (f)
		fclose(f);
	return buf;
}

/* The report of report() printed (json or text) into a temporary file path (caller's, mkstemp template). */
static struct scan_report *printed(char *path, int json)
{
	struct scan_report *r = malloc(sizeof(*r));
	int fd = mkstemp(path);

	CHECK(r && fd >= 0);
	if (!r || fd < 0) {
		free(r);
		return NULL;
	}
	close(fd);
	report(r);
	CHECK(capture(path, r, json) == 0);
	return r;
}

static void json(void)
{
	char path[] = "/tmp/test_rescue_print.XXXXXX", cmd[1024], *out;
	struct scan_report *r = printed(path, 1);

	if (!r)
		return;
	snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
		 "p=[x for x in d[\"problems\"] if x[\"code\"]==\"mbr-code-zero\"][0]; "
		 "assert p[\"fix\"]==\"ramhost rescue repair --only fix-pmbr\" and p[\"severity\"]==\"broken\"; "
		 "assert d[\"firmware\"][\"entries\"][0][\"file_exists\"] is None' %s", path);
	CHECK(system(cmd) == 0);
	out = slurp(path);
	CHECK(out && strstr(out, "\"num\":\"Boot001A\"") && !strchr(out, '\x1b'));
	CHECK(out && strstr(out, "\"copy-module\"") == NULL && strstr(out, "\"reinstall-bank\""));
	CHECK(out && strstr(out, "\"fix\":\"ramhost rescue repair --only reinstall-bank 1\""));
	free(out);
	unlink(path);
	free(r);
}

static void text(void)
{
	char path[] = "/tmp/test_rescue_print.XXXXXX", *out;
	struct scan_report *r = printed(path, 0);

	if (!r)
		return;
	out = slurp(path);
	CHECK(out != NULL);
	if (out) {
		CHECK(strstr(out, "  MBR:      protective, boot code zeros") != NULL);
		CHECK(strstr(out, "\nProblems:\n") != NULL);
		CHECK(strstr(out, "fix: ramhost rescue repair --only fix-pmbr\n") != NULL);
		CHECK(strstr(out, "fix: ramhost rescue repair --only reinstall-bank 1\n") != NULL);
		CHECK(strstr(out, "BROKEN") != NULL && !strchr(out, '\x1b') && !strchr(out, '\x07'));
		CHECK(strstr(out, "\n[2J") == NULL && strstr(out, "\n]0;") == NULL);
	}
	free(out);
	CHECK(capture(path, r, 2) == 0);
	out = slurp(path);
	CHECK(out && !strncmp(out, "/tmp/disk.img: ramhost disk, ", 29) && strstr(out, " (") &&
	      strstr(out, "broken): ") && strstr(out, "mbr-code-zero") && strchr(out, '\n') == out + strlen(out) - 1);
	free(out);
	unlink(path);
	r->nproblems = 0;
	memset(r, 0, sizeof(*r));
	strcpy(r->disk, "x");
	CHECK(capture(path, r, 0) == 0);
	out = slurp(path);
	CHECK(out && strstr(out, "No problems found.") && strstr(out, "GPT:      none readable"));
	free(out);
	CHECK(capture(path, r, 2) == 0);
	out = slurp(path);
	CHECK(out && !strcmp(out, "x: disk, no problems\n"));
	free(out);
	unlink(path);
	free(r);
}

int main(void)
{
	RUN(json);
	RUN(text);
	UNIT_EXIT();
}
