/* install_medium.c: the install medium and the disk list (see install_medium.h). */
#include "install_medium.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disks.h"
#include "fileio.h"
#include "install.h"
#include "sha256.h"

#define CHUNK (1u << 20)

void install_medium_close(struct install_medium *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

int install_medium_find(struct install_medium *m, struct rh_err *err)
{
	char **devs = NULL, tried[512] = "";
	unsigned n = 0, i;
	int rc, found = 0;

	rc = disks_list(DISKS_CDS, &devs, &n, err);
	if (rc)
		return rc;
	m->fd = -1;
	for (i = 0; i < n && !found; i++) {
		const char *name = strrchr(devs[i], '/') ? strrchr(devs[i], '/') + 1 : devs[i];
		struct iso_file f;
		struct stat st;
		uint64_t size = 0;

		snprintf(m->dev, sizeof(m->dev), "%s", devs[i]);
		if (strlen(tried) + strlen(name) + 3 < sizeof(tried)) {
			if (tried[0])
				strcat(tried, ", ");
			strcat(tried, name);
		}
		m->fd = open(m->dev, O_RDONLY | O_CLOEXEC);
		if (m->fd < 0)
			continue;
		if (fstat(m->fd, &st) == 0 && ioctl(m->fd, BLKGETSIZE64, &size) == 0 &&
		    iso_mount(&m->fs, rh_pread_fd, &m->fd, size) == 0 && iso_lookup(&m->fs, INSTALL_SKELETON, &f) == 0 &&
		    !f.is_dir) {
			m->rdev = st.st_rdev;
			m->size = size;
			found = 1;
			break;
		}
		install_medium_close(m);
	}
	disks_free(devs, n);
	if (!found)
		return rh_errf(err, -ENOENT, "no install medium: none of the block devices (%s) holds an ISO 9660 "
			       "volume with %s (ramhost install runs on a host booted from a ramhost ISO)",
			       tried[0] ? tried : "none", INSTALL_SKELETON);
	return 0;
}

static int lookup(struct install_medium *m, const char *path, struct iso_file *f, struct rh_err *err)
{
	int rc = iso_lookup(&m->fs, path, f);

	if (rc)
		return rh_errf(err, rc == -ISO_ENOENT ? -ENOENT : -EIO, "%s: %s on the install medium: %s", m->dev,
			       path, rc == -ISO_ENOENT ? "no such file" : "cannot read it (damaged ISO 9660?)");
	if (f->is_dir)
		return rh_errf(err, -EISDIR, "%s: %s on the install medium is a directory", m->dev, path);
	return 0;
}

int install_medium_read(struct install_medium *m, const char *path, size_t max, char **ret_buf, size_t *ret_len,
			struct rh_err *err)
{
	struct iso_file f;
	char *buf;
	int rc = lookup(m, path, &f, err);

	if (rc)
		return rc;
	if (f.size > max)
		return rh_errf(err, -EFBIG, "%s: %s is larger than %zu bytes", m->dev, path, max);
	buf = malloc((size_t)f.size + 1);
	if (!buf)
		return rh_errf(err, -ENOMEM, "out of memory");
	rc = iso_read(&m->fs, &f, 0, buf, f.size);
	if (rc) {
		free(buf);
		return rh_errf(err, -EIO, "%s: cannot read %s", m->dev, path);
	}
	buf[f.size] = '\0';
	*ret_buf = buf;
	*ret_len = f.size;
	return 0;
}

int install_medium_copy(struct install_medium *m, const char *path, const char *dst, unsigned mode,
			uint8_t ret_sha[32], uint64_t *ret_size, struct rh_err *err)
{
	struct sha256_ctx c;
	struct iso_file f;
	uint64_t off = 0;
	char *buf = NULL;
	int fd = -1, rc = lookup(m, path, &f, err);

	if (rc)
		return rc;
	buf = malloc(CHUNK);
	if (!buf)
		return rh_errf(err, -ENOMEM, "out of memory");
	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = rh_errf(err, -errno, "%s: %s", dst, strerror(errno));
		goto out;
	}
	sha256_init(&c);
	while (off < f.size) {
		uint32_t n = f.size - off > CHUNK ? CHUNK : (uint32_t)(f.size - off);
		if (iso_read(&m->fs, &f, off, buf, n)) {
			rc = rh_errf(err, -EIO, "%s: cannot read %s at %llu", m->dev, path, (unsigned long long)off);
			goto out;
		}
		sha256_update(&c, buf, n);
		rc = rh_write_all(fd, buf, n);
		if (rc) {
			rc = rh_errf(err, rc, "%s: %s", dst, strerror(-rc));
			goto out;
		}
		off += n;
	}
	if (fsync(fd) < 0) {
		rc = rh_errf(err, -errno, "%s: fsync: %s", dst, strerror(errno));
		goto out;
	}
	if (ret_sha)
		sha256_final(&c, ret_sha);
	if (ret_size)
		*ret_size = f.size;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

struct install_stream {
	struct install_medium *m;
	struct iso_file f;
	uint64_t off;
	struct archive *a;
	char *buf;
	int eof;
};

static la_ssize_t stream_cb(struct archive *a, void *ctx, const void **ret)
{
	struct install_stream *s = ctx;
	uint32_t n = s->f.size - s->off > CHUNK ? CHUNK : (uint32_t)(s->f.size - s->off);

	if (!n)
		return 0;
	if (iso_read(&s->m->fs, &s->f, s->off, s->buf, n)) {
		archive_set_error(a, EIO, "read error at %llu", (unsigned long long)s->off);
		return -1;
	}
	s->off += n;
	*ret = s->buf;
	return n;
}

int install_stream_open(struct install_medium *m, const char *path, struct install_stream **ret, struct rh_err *err)
{
	struct install_stream *s = calloc(1, sizeof(*s));
	struct archive_entry *e;
	int rc;

	if (!s || !(s->buf = malloc(CHUNK))) {
		free(s);
		return rh_errf(err, -ENOMEM, "out of memory");
	}
	s->m = m;
	rc = lookup(m, path, &s->f, err);
	if (rc)
		goto fail;
	s->a = archive_read_new();
	if (!s->a) {
		rc = rh_errf(err, -ENOMEM, "out of memory");
		goto fail;
	}
	archive_read_support_filter_zstd(s->a);
	archive_read_support_format_raw(s->a);
	if (archive_read_open(s->a, s, NULL, stream_cb, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(s->a, &e) != ARCHIVE_OK) {
		rc = rh_errf(err, -EIO, "%s: %s: cannot decompress: %s", m->dev, path, archive_error_string(s->a));
		goto fail;
	}
	if (archive_filter_code(s->a, 0) != ARCHIVE_FILTER_ZSTD) {
		rc = rh_errf(err, -EINVAL, "%s: %s is not zstd-compressed", m->dev, path);
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	install_stream_close(s);
	return rc;
}

long install_stream_read(struct install_stream *s, void *buf, size_t cap, struct rh_err *err)
{
	size_t done = 0;

	while (done < cap && !s->eof) {
		la_ssize_t n = archive_read_data(s->a, (char *)buf + done, cap - done);
		if (n < 0)
			return rh_errf(err, -EIO, "%s: %s: cannot decompress: %s", s->m->dev, INSTALL_SKELETON,
				       archive_error_string(s->a));
		if (n == 0)
			s->eof = 1;
		done += (size_t)n;
	}
	return (long)done;
}

void install_stream_close(struct install_stream *s)
{
	if (!s)
		return;
	if (s->a)
		archive_read_free(s->a);
	free(s->buf);
	free(s);
}
