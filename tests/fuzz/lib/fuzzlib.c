/* fuzzlib: helpers shared by the byte-stream fuzz targets (see fuzzlib.h). */
#include "tests/fuzz/lib/fuzzlib.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/fsutil.h"

int fuzz_collect(void *arg, const void *data, size_t len)
{
	struct fuzz_acc *a = arg;
	require(len > 0);
	if (a->len + len > a->cap) {
		size_t want = a->cap ? a->cap : 4096;
		while (want < a->len + len)
			want *= 2;
		uint8_t *n = realloc(a->p, want);
		require(n != NULL);
		a->p = n;
		a->cap = want;
	}
	memcpy(a->p + a->len, data, len);
	a->len += len;
	return 0;
}

int fuzz_memfd(const char *name, const void *p, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	require(fd >= 0);
	require(sl_fs_write_all(fd, p, len) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}
