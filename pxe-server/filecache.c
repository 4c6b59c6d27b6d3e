/* filecache.c: shared read-only mappings of served files (filecache.h). A short linked list under a mutex:
 * the files in flight at once are few (a loader, a kernel, a handful of modules), however many clients read
 * them. */
#include "filecache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

struct pxe_fmap {
	struct pxe_fmap *next;
	dev_t dev;
	ino_t ino;
	uint64_t size;
	struct timespec mtime;
	const uint8_t *data;           /* NULL for an empty file */
	unsigned refs;
};

struct pxe_filecache {
	pthread_mutex_t lock;
	struct pxe_fmap *head;
	struct pxe_filecache_stats st;
};

int pxe_filecache_new(struct pxe_filecache **ret)
{
	struct pxe_filecache *c = calloc(1, sizeof *c);

	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	*ret = c;
	return 0;
}

static void unmap(struct pxe_fmap *m)
{
	if (m->data)
		munmap((void *)m->data, (size_t)m->size);
	free(m);
}

void pxe_filecache_free(struct pxe_filecache *c)
{
	struct pxe_fmap *m, *next;

	if (!c)
		return;
	for (m = c->head; m; m = next) {
		next = m->next;
		unmap(m);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int same(const struct pxe_fmap *m, const struct stat *st)
{
	return m->dev == st->st_dev && m->ino == st->st_ino && m->size == (uint64_t)st->st_size &&
	       m->mtime.tv_sec == st->st_mtim.tv_sec && m->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* A new mapping of fd (described by st), with one reference. */
static int map_new(int fd, const struct stat *st, const char *path, struct pxe_fmap **ret, struct rh_err *err)
{
	struct pxe_fmap *m = calloc(1, sizeof *m);
	void *p;

	if (!m)
		return rh_errf(err, -ENOMEM, "%s: out of memory", path);
	m->dev = st->st_dev;
	m->ino = st->st_ino;
	m->size = (uint64_t)st->st_size;
	m->mtime = st->st_mtim;
	m->refs = 1;
	if (m->size > 0) {
		if ((uint64_t)(size_t)m->size != m->size) {
			free(m);
			return rh_errf(err, -EFBIG, "%s: too large to map", path);
		}
		p = mmap(NULL, (size_t)m->size, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			int rc = -errno;

			free(m);
			return rh_errf(err, rc, "%s: cannot map: %s", path, strerror(-rc));
		}
		madvise(p, (size_t)m->size, MADV_SEQUENTIAL);
		m->data = p;
	}
	*ret = m;
	return 0;
}

int pxe_filecache_open(struct pxe_filecache *c, const char *path, struct pxe_fmap **ret, struct rh_err *err)
{
	struct pxe_fmap *m;
	struct stat st;
	int fd, rc;

	rc = rh_open_input(path, &fd, err);
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0) {
		rc = rh_errf(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	pthread_mutex_lock(&c->lock);
	for (m = c->head; m; m = m->next)
		if (same(m, &st))
			break;
	if (m) {
		m->refs++;
		c->st.shared++;
	} else {
		rc = map_new(fd, &st, path, &m, err);
		if (rc == 0) {
			m->next = c->head;
			c->head = m;
			c->st.mapped++;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (rc == 0)
		*ret = m;
out:
	close(fd);
	return rc;
}

const uint8_t *pxe_fmap_data(const struct pxe_fmap *m)
{
	return m->data;
}

uint64_t pxe_fmap_size(const struct pxe_fmap *m)
{
	return m->size;
}

void pxe_filecache_put(struct pxe_filecache *c, struct pxe_fmap *m)
{
	struct pxe_fmap **pp;

	if (!m)
		return;
	pthread_mutex_lock(&c->lock);
	if (--m->refs > 0) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	for (pp = &c->head; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	pthread_mutex_unlock(&c->lock);
	unmap(m);
}

void pxe_filecache_get_stats(struct pxe_filecache *c, struct pxe_filecache_stats *ret)
{
	const struct pxe_fmap *m;

	pthread_mutex_lock(&c->lock);
	*ret = c->st;
	ret->maps = 0;
	ret->refs = 0;
	for (m = c->head; m; m = m->next) {
		ret->maps++;
		ret->refs += m->refs;
	}
	pthread_mutex_unlock(&c->lock);
}
