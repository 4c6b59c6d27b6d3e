/* fuzz_tardisk_image.c: opening, walking, reading and verifying any bytes as a tardisk image (bare or in its
 * cpio wrapper) must end in success or a clean error: no crash, no hang, no leak. */
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "tardisk/tardisk.h"

/* libsquashfs allocates what a corrupt inode or xattr claims (block lists of terabytes) before it can
 * notice that the bytes are not there. In the real tool such a malloc fails, or (gigabytes) succeeds with
 * pages that are never touched, and the error is a clean one (`tardisk ls` of such an image peaks at 12 MB).
 * Under ASan a successful multi-gigabyte calloc is written and its freed chunks are quarantined, which
 * crossed libFuzzer's 2 GB RSS limit: so ASan fails any single allocation over 1 GiB (return NULL, as a
 * host without the memory would), instead of aborting, and libFuzzer's malloc limit must not report it as
 * a leak-sized bug. Both are set before libFuzzer parses its flags. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *args[128];
	static char limit[] = "-malloc_limit_mb=1000000000";
	int i, n = *argc < 126 ? *argc : 126;

	for (i = 0; i < n; i++)
		args[i] = (*argv)[i];
	args[n++] = limit;
	args[n] = NULL;
	*argc = n;
	*argv = args;
	return 0;
}

static int count_cb(void *ctx, const struct tardisk_entry *e)
{
	(*(uint64_t *)ctx) += e->size + e->n_xattrs;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tardisk_verify_report r;
	struct tardisk *td = NULL;
	struct rh_err err = { 0 };
	uint64_t sum = 0;
	FILE *null;

	if (tardisk_open_buf(data, size, "fuzz", &td, &err))
		return 0;
	rh_err_clear(&err);
	tardisk_walk(td, count_cb, &sum, &err);
	rh_err_clear(&err);
	tardisk_verify(td, &r, &err);
	null = fopen("/dev/null", "w");
	if (null) {
		rh_err_clear(&err);
		tardisk_cat(td, "usr/a.txt", fileno(null), &err);
		fclose(null);
	}
	tardisk_close(td);
	return 0;
}
