/* test_rescue_engine.c: the rescue engine on image files in a temporary directory: what rdisk opens and refuses
 * (directory, fifo, character device, too small, read-only, sector probe at 512 and 4096), the write set's
 * extents (overlapping and adjacent adds, merge order), staged copies and their diff, and the backup commit and
 * its undo (recovery/rdisk.h, wset.h, stage.h, backup.h). */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "gpt.h"
#include "recovery/backup.h"
#include "recovery/rdisk.h"
#include "recovery/stage.h"
#include "recovery/wset.h"
#include "rescue_fixture.h"
#include "unit.h"

/* Backup options whose paths live in the caller's buffers (at()'s rotate). */
struct opts_buf {
	char parent[512], efivars[512];
};

static struct backup_opts opts(struct opts_buf *b, const char *parent, int with_vars, const char *guid)
{
	struct backup_opts o = { b->parent, with_vars ? b->efivars : NULL, guid };

	snprintf(b->parent, sizeof(b->parent), "%s", at(parent));
	snprintf(b->efivars, sizeof(b->efivars), "%s", at("efivars"));
	return o;
}

/* A file of size bytes holding a byte pattern (pattern 0: zeros), with "EFI PART" at gpt_at when non-zero. */
static void make_image(const char *rel, size_t size, int pattern, unsigned gpt_at)
{
	uint8_t *buf = calloc(1, size);
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(buf && fd >= 0);
	if (!buf || fd < 0)
		return;
	for (size_t i = 0; pattern && i < size; i++)
		buf[i] = (uint8_t)(i * 7 + (size_t)pattern);
	if (gpt_at)
		memcpy(buf + gpt_at, "EFI PART", 8);
	CHECK(write(fd, buf, size) == (ssize_t)size);
	close(fd);
	free(buf);
}

static void rdisk_refusals(void)
{
	struct rdisk d;
	struct rh_err err = { 0 };

	CHECK(rdisk_open(top, 0, 0, &d, &err) == -EISDIR);
	CHECK(strstr(err.msg, "(directory)") != NULL);
	rh_err_clear(&err);
	CHECK(mkfifo(at("fifo"), 0600) == 0);
	CHECK(rdisk_open(at("fifo"), 0, 0, &d, &err) == -EINVAL); /* never blocks */
	CHECK(strstr(err.msg, "(fifo)") != NULL);
	rh_err_clear(&err);
	CHECK(rdisk_open("/dev/null", 0, 0, &d, &err) == -EINVAL);
	CHECK(strstr(err.msg, "(character device)") != NULL);
	rh_err_clear(&err);
	make_image("small", 512 * 1024, 1, 0);
	CHECK(rdisk_open(at("small"), 0, 0, &d, &err) == -EINVAL);
	CHECK(strstr(err.msg, "too small") != NULL && strstr(err.msg, "small") != NULL);
	rh_err_clear(&err);
	CHECK(rdisk_open(at("missing"), 0, 0, &d, &err) == -ENOENT);
	CHECK(strstr(err.msg, "missing") != NULL);
	rh_err_clear(&err);
	make_image("disk", 2u << 20, 1, 0);
	CHECK(rdisk_open(at("disk"), 0, 1000, &d, &err) == -EINVAL);
	CHECK(strstr(err.msg, "sector size 1000") != NULL);
}

/* A read-only image: root ignores the mode bits, the immutable flag stops it (as a read-only medium would). */
static void rdisk_read_only(void)
{
	struct rdisk d;
	struct rh_err err = { 0 };
	int fd, flags = 0, set = 0;

	make_image("ro", 2u << 20, 3, 512);
	fd = open(at("ro"), O_RDONLY);
	CHECK(fd >= 0);
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		flags |= FS_IMMUTABLE_FL;
		set = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
	}
	CHECK(rdisk_open(at("ro"), 0, 0, &d, &err) == 0);
	if (set) {
		CHECK(rdisk_reopen_rw(&d, &err) == -EACCES);
		CHECK(strstr(err.msg, "read-only") != NULL && strstr(err.msg, "/ro") != NULL);
		rh_err_clear(&err);
		CHECK(rdisk_open(at("ro"), 1, 0, &d, &err) == -EACCES);
		flags &= ~FS_IMMUTABLE_FL;
		CHECK(ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0);
	} else {
		fprintf(stderr, "  (no immutable flag on this file system: read-only case not run)\n");
	}
	rdisk_close(&d);
	close(fd);
}

/* A loop device on top/rel set up with losetup's options (e.g. "-r", "-b 4096") into dev; 0 when there is none
 * to be had (the case then says so and is not run). */
static int loop_attach(const char *rel, const char *options, char *dev, size_t cap)
{
	char cmd[600];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "losetup %s -f --show '%s' 2>/dev/null", options, at(rel));
	p = popen(cmd, "r");
	if (!p || !fgets(dev, (int)cap, p))
		dev[0] = '\0';
	if (p)
		pclose(p);
	dev[strcspn(dev, "\n")] = '\0';
	if (!dev[0])
		fprintf(stderr, "  (no loop device: case not run)\n");
	return dev[0] != '\0';
}

static void loop_detach(const char *dev)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "losetup -d %s", dev);
	CHECK(system(cmd) == 0);
}

/* A read-only block device (a loop device set up with -r): opened for reading, refused for writing, and a
 * backup_apply on it makes no folder. */
static void rdisk_read_only_device(void)
{
	struct opts_buf ob;
	struct backup_opts o = opts(&ob, "backups5", 0, NULL);
	struct rh_err err = { 0 };
	char dev[64] = "", dir[PATH_MAX];
	struct rdisk d;
	struct wset w;

	make_image("loop.img", 4u << 20, 2, 512);
	if (!loop_attach("loop.img", "-r", dev, sizeof(dev)))
		return;
	CHECK(rdisk_open(dev, 1, 0, &d, &err) == -EROFS || err.rc == -EACCES);
	CHECK(strstr(err.msg, "read-only") && strstr(err.msg, dev));
	rh_err_clear(&err);
	CHECK(rdisk_open(dev, 0, 0, &d, &err) == 0 && d.is_blockdev && d.sector == 512 && d.size == 4u << 20);
	wset_init(&w);
	CHECK(wset_add(&w, 0, "x", 1, "test", &err) == 0);
	CHECK(backup_apply(&d, &w, &o, dir, &err) < 0 && strstr(err.msg, "read-only"));
	CHECK(access(at("backups5"), F_OK) < 0);
	rdisk_close(&d);
	wset_free(&w);
	loop_detach(dev);
}

/* A 4Kn disk: a loop device with 4096-byte logical sectors, partitioned by sgdisk, then the image file alone (its
 * sector found by the probe) and the device (BLKSSZGET); the GPT reads through rdisk_read_cb at 4096. */
static void rdisk_4kn(void)
{
	struct rh_err err = { 0 };
	char dev[64] = "", cmd[600];
	struct gpt_disk *g = calloc(1, sizeof(*g));
	struct rdisk d;

	make_image("4kn.img", 8u << 20, 0, 0);
	if (!g || !loop_attach("4kn.img", "-b 4096", dev, sizeof(dev))) {
		free(g);
		return;
	}
	snprintf(cmd, sizeof(cmd), "sgdisk -o -n1:0:+2M -c1:ESP -t1:EF00 %s >/dev/null", dev);
	CHECK(system(cmd) == 0);
	CHECK(rdisk_open(dev, 0, 0, &d, &err) == 0 && d.is_blockdev && d.sector == 4096 && d.sectors == 2048);
	rdisk_close(&d);
	CHECK(rdisk_open(dev, 0, 512, &d, &err) == -EINVAL && strstr(err.msg, "not 512"));
	rh_err_clear(&err);
	loop_detach(dev);
	CHECK(rdisk_open(at("4kn.img"), 0, 0, &d, &err) == 0 && d.sector == 4096 && !d.sector_guessed);
	CHECK(gpt_read(rdisk_read_cb, &d, d.sector, d.sectors, g) == 0 && g->nparts == 1 &&
	      !strcmp(g->parts[0].name, "ESP") && g->parts[0].first_lba == 256);
	rdisk_close(&d);
	free(g);
}

static void rdisk_sectors_and_io(void)
{
	static const struct {
		unsigned gpt_at, given, want, guessed;
	} rows[] = {
		{ 512, 0, 512, 0 }, { 4096, 0, 4096, 0 }, { 0, 0, 512, 1 }, { 0, 4096, 4096, 0 }, { 512, 512, 512, 0 },
	};
	struct rh_err err = { 0 };
	uint8_t buf[16];
	struct rdisk d;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		make_image("img", 3u << 20, 5, rows[i].gpt_at);
		CHECK(rdisk_open(at("img"), 0, rows[i].given, &d, &err) == 0);
		CHECK(d.sector == rows[i].want && d.sector_guessed == (int)rows[i].guessed);
		CHECK(d.size == 3u << 20 && d.sectors == d.size / d.sector && !d.is_blockdev && !d.writable);
		rdisk_close(&d);
	}
	CHECK(rdisk_open(at("img"), 0, 0, &d, &err) == 0);
	CHECK(rdisk_read(&d, 100, buf, sizeof(buf), &err) == 0 && buf[0] == (uint8_t)(100 * 7 + 5));
	CHECK(rdisk_read(&d, d.size - 8, buf, sizeof(buf), &err) == -EIO);
	CHECK(strstr(err.msg, "past the end") != NULL && strstr(err.msg, "/img") != NULL);
	rh_err_clear(&err);
	CHECK(rdisk_read_cb(&d, UINT64_MAX - 4, buf, 8) == -EIO);
	struct rdisk_window w = { &d, 1u << 20, 4096 };
	CHECK(rdisk_window_read_cb(&w, 4090, buf, 6) == 0 && buf[0] == (uint8_t)(((1u << 20) + 4090) * 7 + 5));
	CHECK(rdisk_window_read_cb(&w, 4090, buf, 7) == -EIO);
	CHECK(rdisk_write(&d, 0, "x", 1, &err) == -EBADF);
	rh_err_clear(&err);
	CHECK(rdisk_reopen_rw(&d, &err) == 0 && d.writable);
	CHECK(rdisk_write(&d, 10, "abc", 3, &err) == 0 && rdisk_sync(&d, &err) == 0);
	CHECK(rdisk_write(&d, d.size - 1, "abc", 3, &err) == -EINVAL);
	CHECK(rdisk_read(&d, 10, buf, 3, &err) == -EINVAL || memcmp(buf, "abc", 3) == 0);
	rdisk_close(&d);
	CHECK(d.fd == -1);
}

/* The extents of w as "OFF+LEN:why" joined by spaces, and their bytes checked against a model of the disk. */
static const char *ext_list(const struct wset *w)
{
	static char s[512];
	size_t n = 0;

	s[0] = '\0';
	for (size_t i = 0; i < w->next && n < sizeof(s); i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%llu+%llu:%s", i ? " " : "",
				      (unsigned long long)w->ext[i].off, (unsigned long long)w->ext[i].len,
				      w->ext[i].why);
	return s;
}

static void wset_model_check(const struct wset *w, const uint8_t *model, const uint8_t *written)
{
	for (size_t i = 0; i < w->next; i++)
		for (uint64_t k = 0; k < w->ext[i].len; k++)
			CHECK(written[w->ext[i].off + k] && w->ext[i].data[k] == model[w->ext[i].off + k]);
}

static void wset_extents(void)
{
	static const struct {
		unsigned off, len;
		char fill;
		const char *why, *want;
	} rows[] = {
		{ 100, 10, 'a', "A", "100+10:A" },
		{ 120, 10, 'b', "A", "100+10:A 120+10:A" },
		{ 110, 10, 'c', "A", "100+30:A" },                        /* fills the gap: one extent */
		{ 90, 20, 'd', "B", "90+20:B 110+20:A" },                 /* overlaps the start */
		{ 125, 10, 'e', "B", "90+20:B 110+15:A 125+10:B" },       /* overlaps the end */
		{ 112, 3, 'f', "C", "90+20:B 110+2:A 112+3:C 115+10:A 125+10:B" },   /* splits one */
		{ 80, 100, 'g', "D", "80+100:D" },                        /* covers all */
		{ 180, 5, 'h', "D", "80+105:D" },                         /* adjacent, same why */
		{ 60, 20, 'i', "E", "60+20:E 80+105:D" },                 /* adjacent, other why */
		{ 0, 1, 'j', "E", "0+1:E 60+20:E 80+105:D" },
	};
	uint8_t model[256] = { 0 }, written[256] = { 0 }, data[128];
	struct rh_err err = { 0 };
	struct wset w, m;

	wset_init(&w);
	CHECK(wset_empty(&w));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (unsigned k = 0; k < rows[i].len; k++)
			data[k] = (uint8_t)(rows[i].fill + k);
		CHECK(wset_add(&w, rows[i].off, data, rows[i].len, rows[i].why, &err) == 0);
		memcpy(model + rows[i].off, data, rows[i].len);
		memset(written + rows[i].off, 1, rows[i].len);
		CHECK_STR(ext_list(&w), rows[i].want);
		wset_model_check(&w, model, written);
	}
	CHECK(wset_bytes(&w) == 1 + 20 + 105 && !wset_empty(&w));
	CHECK(wset_add(&w, UINT64_MAX - 2, data, 8, "x", &err) == -EINVAL);
	rh_err_clear(&err);

	/* merge: src's bytes win, files and variables follow */
	wset_init(&m);
	CHECK(wset_add(&m, 70, "zz", 2, "E", &err) == 0);
	CHECK(wset_add_file(&w, "p1 (ESP)", "/EFI/BOOT/BOOTX64.EFI", "replace", 5, "from the media", &err) == 0);
	CHECK(wset_add_var(&w, "BootOrder", "8be4df61-93ca-11d2-aa0d-00e098032b8c", 7, "\1\0", 2, "order", &err) == 0);
	CHECK(wset_add_var(&w, "BootOrder", "8BE4DF61-93CA-11D2-AA0D-00E098032B8C", 7, NULL, 0, "gone", &err) == 0);
	CHECK(w.nvar == 1 && w.var[0].del && !w.var[0].data && !strcmp(w.var[0].why, "gone"));
	CHECK(wset_merge(&m, &w, &err) == 0);
	CHECK_STR(ext_list(&m), "0+1:E 60+20:E 80+105:D");
	wset_model_check(&m, model, written);
	CHECK(m.nfile == 1 && !strcmp(m.file[0].path, "/EFI/BOOT/BOOTX64.EFI") && m.nvar == 1 && m.var[0].del);
	wset_free(&w);
	wset_free(&m);
	CHECK(wset_empty(&w) && w.ext == NULL);
}

/* Stages a 64 MiB FAT32 at 1 MiB of an image, copies a file into the copy with mtools, and checks that the diff
 * is exactly the changed sectors, at 512 and at 4096 bytes. */
static void stage_fat_diff_at(uint32_t sector)
{
	const uint64_t base = 1u << 20, len = 64u << 20;
	struct fatimg f = { at("fatdisk"), base, len / 512 };
	struct rh_err err = { 0 };
	struct stage s = { 0 };
	struct rdisk d;
	struct wset w;
	size_t dlen = 0, slen = 0;
	uint8_t *disk, *staged, *back;
	char text[3000];

	make_image("fatdisk", 80u << 20, 0, 0);
	CHECK(fatimg_format(&f, 1, "RH-ESP", 0x1234abcd, &err) == 0);
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	put_file(at("a.txt"), text, sizeof(text));
	CHECK(fatimg_copy(&f, at("a.txt"), "/A.TXT", &err) == 0);
	CHECK(rdisk_open(at("fatdisk"), 0, sector, &d, &err) == 0);
	CHECK(stage_open(&d, NULL, base, len, "p1 (ESP)", top, &s, &err) == 0);
	disk = slurp(at("fatdisk"), &dlen);
	staged = slurp(s.path, &slen);
	CHECK(disk && staged && slen == len && !memcmp(disk + base, staged, len));
	free(staged);
	struct fatimg sf = stage_fatimg(&s);
	CHECK(sf.offset == 0 && sf.sectors == len / 512);
	CHECK(fatimg_mkdir(&sf, "/EFI/BOOT", &err) == 0 && fatimg_copy(&sf, at("a.txt"), "/EFI/BOOT/B.TXT", &err) == 0);
	wset_init(&w);
	CHECK(stage_diff(&d, NULL, &s, "FAT", &w, &err) == 0);
	staged = slurp(s.path, &slen);
	CHECK(staged && w.next > 0);
	for (size_t i = 0; staged && i < w.next; i++) {
		CHECK(w.ext[i].off % sector == 0 && w.ext[i].len % sector == 0);
		CHECK(!memcmp(w.ext[i].data, staged + (w.ext[i].off - base), w.ext[i].len));
		CHECK(!strcmp(w.ext[i].why, "p1 (ESP) FAT"));
	}
	/* every changed sector is in an extent, every sector of an extent changed */
	for (uint64_t o = 0; staged && o < len; o += sector) {
		int changed = memcmp(disk + base + o, staged + o, sector) != 0, in = 0;
		for (size_t i = 0; i < w.next; i++)
			in |= w.ext[i].off <= base + o && base + o < w.ext[i].off + w.ext[i].len;
		CHECK(changed == in);
	}
	back = malloc(len);
	CHECK(back && stage_read(&d, &w, base, back, len, &err) == 0 && staged && !memcmp(back, staged, len));
	stage_close(&s);
	CHECK(s.path[0] == '\0');
	free(back);
	free(staged);
	free(disk);
	wset_free(&w);
	rdisk_close(&d);
}

static void stage_fat_diff(void)
{
	stage_fat_diff_at(512);
	stage_fat_diff_at(4096);
}

/* pending extents are laid over the staged copy */
static void stage_pending(void)
{
	struct rh_err err = { 0 };
	struct stage s = { 0 };
	struct rdisk d;
	struct wset p, w;
	size_t n = 0;
	uint8_t *staged;

	make_image("pdisk", 2u << 20, 9, 0);
	CHECK(rdisk_open(at("pdisk"), 0, 512, &d, &err) == 0);
	wset_init(&p);
	wset_init(&w);
	CHECK(wset_add(&p, 4096 + 10, "pending", 7, "earlier repair", &err) == 0);
	CHECK(stage_open(&d, &p, 4096, 8192, "p9", top, &s, &err) == 0);
	staged = slurp(s.path, &n);
	CHECK(staged && n == 8192 && !memcmp(staged + 10, "pending", 7));
	CHECK(stage_diff(&d, &p, &s, "x", &w, &err) == 0 && w.next == 0); /* nothing new against pending */
	CHECK(stage_diff(&d, NULL, &s, "x", &w, &err) == 0 && w.next == 1 && w.ext[0].off == 4096 &&
	      w.ext[0].len == 512);
	CHECK(stage_open(&d, NULL, 4096, 3u << 20, "p9", top, &s, &err) == -EINVAL);
	CHECK(strstr(err.msg, "p9") != NULL);
	free(staged);
	stage_close(&s);
	wset_free(&p);
	wset_free(&w);
	rdisk_close(&d);
}

#define GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"

static void put_var(const char *name, const void *data, size_t len)
{
	uint8_t buf[64] = { 7, 0, 0, 0 };
	char rel[128];

	memcpy(buf + 4, data, len);
	snprintf(rel, sizeof(rel), "efivars/%s-" GUID, name);
	put_file(at(rel), buf, len + 4);
}

/* 1 when variable name holds exactly data (after attributes 7), or is absent when data is NULL. */
static int var_is(const char *name, const void *data, size_t len)
{
	char rel[128];
	size_t n = 0;
	uint8_t *buf;
	int ok;

	snprintf(rel, sizeof(rel), "efivars/%s-" GUID, name);
	buf = slurp(at(rel), &n);
	if (!data)
		ok = buf == NULL;
	else
		ok = buf && n == len + 4 && buf[0] == 7 && !memcmp(buf + 4, data, len);
	free(buf);
	return ok;
}

/* A 4 MiB disk and efivars directory, and a write set of three extents (sector 0, the middle, the last sector)
 * and three variables (one changed shorter, one created, one deleted). */
static void backup_fixture(struct wset *w, uint8_t **orig, size_t *len)
{
	struct rh_err err = { 0 };
	uint8_t blk[1024];

	make_image("bdisk", 4u << 20, 11, 512);
	mkdir(at("efivars"), 0755);
	put_var("BootOrder", "\1\0\2\0\3\0", 6);
	put_var("Boot0009", "old entry", 9);
	unlink(at("efivars/Boot0001-" GUID));
	*orig = slurp(at("bdisk"), len);
	memset(blk, 0xA5, sizeof(blk));
	wset_init(w);
	CHECK(wset_add(w, 0, blk, 512, "protective MBR", &err) == 0);
	CHECK(wset_add(w, 2u << 20, blk, 1024, "p1 (ESP) FAT", &err) == 0);
	CHECK(wset_add(w, (4u << 20) - 512, blk, 512, "GPT backup header", &err) == 0);
	CHECK(wset_add_file(w, "p1 (ESP)", "/EFI/BOOT/BOOTX64.EFI", "replace", 10, "", &err) == 0);
	CHECK(wset_add_var(w, "BootOrder", GUID, 7, "\1\0", 2, "order", &err) == 0);
	CHECK(wset_add_var(w, "Boot0001", GUID, 7, "new entry", 9, "entry", &err) == 0);
	CHECK(wset_add_var(w, "Boot0009", GUID, 7, NULL, 0, "stale", &err) == 0);
}

static int disk_is(const uint8_t *want, size_t len)
{
	size_t n = 0;
	uint8_t *now = slurp(at("bdisk"), &n);
	int ok = now && n == len && !memcmp(now, want, len);

	free(now);
	return ok;
}

static const char *status_of(const char *dir)
{
	static char buf[32];
	char p[PATH_MAX];
	size_t n = 0;
	uint8_t *b;

	snprintf(p, sizeof(p), "%s/status", dir);
	b = slurp(p, &n);
	snprintf(buf, sizeof(buf), "%.*s", b ? (int)n : 0, b ? (const char *)b : "");
	free(b);
	return buf;
}

static void backup_apply_undo(void)
{
	struct opts_buf ob;
	struct backup_opts o = opts(&ob, "backups", 1, "0a0b0c0d-0000-4000-8000-000000000001");
	struct backup_undo_result r;
	struct rh_err err = { 0 };
	char dir[PATH_MAX] = "", p[PATH_MAX + 64];
	uint8_t *orig = NULL, *head, *applied;
	size_t len = 0, n = 0;
	struct rdisk d;
	struct wset w;

	backup_fixture(&w, &orig, &len);
	CHECK(rdisk_open(at("bdisk"), 0, 0, &d, &err) == 0);
	CHECK(backup_apply(&d, &w, &o, dir, &err) == 0);
	if (err.rc)
		fprintf(stderr, "  %s\n", err.msg);
	rdisk_close(&d);
	CHECK(!strncmp(dir, at("backups/rescue-"), strlen(at("backups/rescue-"))));
	CHECK_STR(status_of(dir), "applied\n");
	snprintf(p, sizeof(p), "%s/head.bin", dir);
	head = slurp(p, &n);
	CHECK(head && n == 1u << 20 && !memcmp(head, orig, n));
	free(head);
	snprintf(p, sizeof(p), "%s/vars/Boot0009-" GUID, dir);
	CHECK(access(p, F_OK) == 0);
	/* the disk holds the new bytes where the extents are and the old ones everywhere else */
	applied = malloc(len);
	CHECK(applied != NULL);
	memcpy(applied, orig, len);
	for (size_t i = 0; i < w.next; i++)
		memcpy(applied + w.ext[i].off, w.ext[i].data, w.ext[i].len);
	CHECK(disk_is(applied, len));
	CHECK(var_is("BootOrder", "\1\0", 2) && var_is("Boot0001", "new entry", 9) && var_is("Boot0009", NULL, 0));
	wset_free(&w);
	CHECK(backup_undo(dir, at("bdisk"), at("efivars"), 0, &r, &err) == 0);
	CHECK(r.extents == 3 && r.bytes == 2048 && r.vars == 3);
	CHECK_STR(status_of(dir), "undone\n");
	CHECK(disk_is(orig, len));
	CHECK(var_is("BootOrder", "\1\0\2\0\3\0", 6) && var_is("Boot0001", NULL, 0) &&
	      var_is("Boot0009", "old entry", 9));
	free(applied);
	free(orig);
}

static void backup_undo_refuses_changed(void)
{
	struct opts_buf ob;
	struct backup_opts o = opts(&ob, "backups2", 1, NULL);
	struct backup_undo_result r;
	struct rh_err err = { 0 };
	char dir[PATH_MAX] = "";
	uint8_t *orig = NULL, *now;
	size_t len = 0, n = 0;
	struct rdisk d;
	struct wset w;
	int fd;

	backup_fixture(&w, &orig, &len);
	CHECK(rdisk_open(at("bdisk"), 0, 0, &d, &err) == 0);
	o.efivars = NULL; /* variables to write and nowhere to write them: refused */
	CHECK(backup_apply(&d, &w, &o, dir, &err) == -EINVAL && strstr(err.msg, "efivarfs"));
	CHECK(access(at("backups2"), F_OK) < 0);
	rh_err_clear(&err);
	o.efivars = ob.efivars;
	CHECK(backup_apply(&d, &w, &o, dir, &err) == 0);
	rdisk_close(&d);
	fd = open(at("bdisk"), O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "Z", 1, (2u << 20) + 100) == 1); /* something else wrote there since */
	close(fd);
	now = slurp(at("bdisk"), &n);
	CHECK(backup_undo(dir, at("bdisk"), NULL, 0, &r, &err) == -ESTALE);
	CHECK(strstr(err.msg, "p1 (ESP) FAT") && strstr(err.msg, "changed since"));
	CHECK(now && disk_is(now, n));   /* nothing written */
	CHECK_STR(status_of(dir), "applied\n");
	rh_err_clear(&err);
	CHECK(backup_undo(dir, at("bdisk"), NULL, 1, &r, &err) == 0 && r.extents == 3);
	CHECK(disk_is(orig, len));
	/* undone already: every extent holds its old bytes, nothing to write */
	CHECK(backup_undo(dir, at("bdisk"), NULL, 0, &r, &err) == 0 && r.extents == 0);
	/* another disk size */
	make_image("other", 2u << 20, 1, 0);
	CHECK(backup_undo(dir, at("other"), NULL, 0, &r, &err) == -EINVAL && strstr(err.msg, "not the same disk"));
	free(now);
	free(orig);
	wset_free(&w);
}

/* A failure after the backup (injected at "vars", and at "sync") puts the disk and the variables back. */
static void backup_failure_unwinds(void)
{
	static const char *at_step[] = { "rescue-repair:vars", "rescue-repair:sync", "rescue-repair:disk" };
	struct rh_err err = { 0 };
	char dir[PATH_MAX] = "", newest[PATH_MAX];
	uint8_t *orig = NULL;
	size_t len = 0;
	struct rdisk d;
	struct wset w;

	for (size_t i = 0; i < sizeof(at_step) / sizeof(at_step[0]); i++) {
		struct opts_buf ob;
	struct backup_opts o = opts(&ob, "backups3", 1, NULL);
		backup_fixture(&w, &orig, &len);
		setenv("RAMHOST_FAIL_AT", at_step[i], 1);
		CHECK(rdisk_open(at("bdisk"), 0, 0, &d, &err) == 0);
		CHECK(backup_apply(&d, &w, &o, dir, &err) == -EIO);
		CHECK(strstr(err.msg, "failure injected") && strstr(err.msg, "the disk is as it was"));
		unsetenv("RAMHOST_FAIL_AT");
		rh_err_clear(&err);
		rdisk_close(&d);
		CHECK(disk_is(orig, len));
		CHECK(var_is("BootOrder", "\1\0\2\0\3\0", 6) && var_is("Boot0001", NULL, 0) &&
		      var_is("Boot0009", "old entry", 9));
		CHECK(backup_newest(at("backups3"), newest, &err) == 0);
		CHECK_STR(status_of(newest), "undone\n");
		free(orig);
		wset_free(&w);
	}
}

/* A read-only disk is refused before a backup folder exists. */
static void backup_read_only(void)
{
	struct opts_buf ob;
	struct backup_opts o = opts(&ob, "backups4", 1, NULL);
	struct rh_err err = { 0 };
	char dir[PATH_MAX] = "";
	uint8_t *orig = NULL;
	size_t len = 0;
	struct rdisk d;
	struct wset w;
	int fd, flags = 0;

	backup_fixture(&w, &orig, &len);
	fd = open(at("bdisk"), O_RDONLY);
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		flags |= FS_IMMUTABLE_FL;
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0) {
			CHECK(rdisk_open(at("bdisk"), 0, 0, &d, &err) == 0);
			CHECK(backup_apply(&d, &w, &o, dir, &err) == -EACCES && strstr(err.msg, "read-only"));
			CHECK(access(at("backups4"), F_OK) < 0 && errno == ENOENT);
			rdisk_close(&d);
			flags &= ~FS_IMMUTABLE_FL;
			CHECK(ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0);
		}
	}
	close(fd);
	free(orig);
	wset_free(&w);
}

static void backup_newest_order(void)
{
	static const char *names[] = { "rescue-20261205-101010", "rescue-20261205-101010-2", "rescue-20261205-101010-10",
				       "rescue-20261204-235959-99", "rescue-x", ".rescue-tmp-abc", "rescue-99999999-999999-" };
	struct rh_err err = { 0 };
	char got[PATH_MAX];

	mkdir(at("order"), 0755);
	CHECK(backup_newest(at("order"), got, &err) == -ENOENT);
	CHECK(backup_newest(at("nothere"), got, &err) == -ENOENT);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "order/%s", names[i]);
		mkdir(at(rel), 0755);
	}
	CHECK(backup_newest(at("order"), got, &err) == 0);
	CHECK_STR(got, at("order/rescue-20261205-101010-10"));
}

int main(void)
{
	snprintf(top, sizeof(top), "%s/test_rescue_engine.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top))
		return 1;
	RUN(rdisk_refusals);
	RUN(rdisk_read_only);
	RUN(rdisk_read_only_device);
	RUN(rdisk_4kn);
	RUN(rdisk_sectors_and_io);
	RUN(wset_extents);
	RUN(stage_fat_diff);
	RUN(stage_pending);
	RUN(backup_apply_undo);
	RUN(backup_undo_refuses_changed);
	RUN(backup_failure_unwinds);
	RUN(backup_read_only);
	RUN(backup_newest_order);
	fs_rm_rf(top, NULL);
	UNIT_EXIT();
}
