/* fuzz_rpm_primary: arbitrary bytes streamed into sl_rpm_primary_parse in small reads (the split depends on
 * the first byte), and through sl_rpm_primary_parse_fd (decompression, capped) from a memfd; every package
 * handed out must have the fields the parser promises. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/rpm_primary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct src {
	const uint8_t *p;
	size_t len, off, chunk;
};

static ssize_t src_read(void *arg, void *buf, size_t cap)
{
	struct src *s = arg;
	size_t n = s->len - s->off;
	if (n > cap)
		n = cap;
	if (n > s->chunk)
		n = s->chunk;
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static int check(void *arg, const struct sl_rpm_pkg *p)
{
	(void)arg;
	if (p->name[0] == '\0' || p->arch[0] == '\0' || p->ver[0] == '\0' || p->sum[0] == '\0' || p->href[0] == '\0')
		abort();
	char nevra[1024], why[256];
	sl_rpm_pkg_nevra(p, nevra, sizeof nevra);
	(void)sl_rpm_href_check(p->href, p->has_base, why, sizeof why);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src s = { data, size, 0, size > 0 ? (size_t)(data[0] % 61) + 1 : 1 };
	char *cause = NULL;
	if (sl_rpm_primary_parse(src_read, &s, check, NULL, NULL, &cause) < 0 && cause == NULL)
		abort();
	free(cause);
	cause = NULL;
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0) {
		struct sl_rpm_open o = { .max_out = 1u << 20, .alg = SL_HASH_SHA256 };
		if (sl_rpm_primary_parse_fd(fd, &o, check, NULL, NULL, &cause) < 0 && cause == NULL)
			abort();
		free(cause);
	}
	close(fd);
	return 0;
}
