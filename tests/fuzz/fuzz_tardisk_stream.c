/* fuzz_tardisk_stream.c: the verified decompression of a source archive (tardisk/source_stream.c) on any
 * bytes: the magic table, zlib's gzip members and padding, libarchive's bzip2/xz/zstd/lz4/lzip filters and
 * the read to the last checksum never crash, and a failure always comes with a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tardisk/create_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[65536];
	struct src_stream *s = NULL;
	struct rh_err err = { 0, "" };
	char path[64];
	uint64_t total = 0;
	ssize_t n;
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (src_stream_open(path, &s, &err) == 0) {
		while ((n = src_stream_read(s, buf, sizeof(buf))) > 0 && total < (64u << 20))
			total += (uint64_t)n;
		if (n < 0 && !src_stream_error(s))
			abort();
		if (n == 0 && src_stream_finish(s, &err) < 0 && !err.msg[0])
			abort();
		src_stream_close(s);
	} else if (!err.msg[0]) {
		abort();
	}
	close(fd);
	return 0;
}
