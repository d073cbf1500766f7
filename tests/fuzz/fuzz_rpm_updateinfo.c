/* fuzz_rpm_updateinfo: arbitrary bytes streamed into sl_rpm_updateinfo_parse in small reads (the split
 * depends on the first byte); every advisory handed out must have an id and well-formed lists. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/rpm_updateinfo.h"

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

static int check(void *arg, const struct sl_rpm_advisory *a)
{
	(void)arg;
	if (a->id[0] == '\0')
		abort();
	size_t sum = 0;
	for (size_t i = 0; i < a->ncves; i++)
		sum += strlen(a->cves[i]);
	for (size_t i = 0; i < a->npkgs; i++)
		sum += strlen(a->pkgs[i]);
	(void)sum;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src s = { data, size, 0, size > 0 ? (size_t)(data[0] % 61) + 1 : 1 };
	char *cause = NULL;
	if (sl_rpm_updateinfo_parse(src_read, &s, check, NULL, &cause) < 0 && cause == NULL)
		abort();
	free(cause);
	return 0;
}
