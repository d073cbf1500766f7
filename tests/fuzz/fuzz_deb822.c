/* fuzz_deb822: arbitrary bytes into the streaming deb822 parser, fed in chunk sizes derived from the
 * input itself, so chunk boundaries land everywhere; every blob handed out is read in full. */
#include <stddef.h>
#include <stdint.h>

#include "core/deb822.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int touch(void *arg, const struct sl_deb822_para *p)
{
	unsigned *sum = arg;
	for (size_t i = 0; i < p->nfields; i++) {
		for (size_t j = 0; j < p->fields[i].name.len; j++)
			*sum += p->fields[i].name.p[j];
		struct sl_blob it = p->fields[i].value, line;
		while (sl_deb822_lines(&it, &line))
			for (size_t j = 0; j < line.len; j++)
				*sum += line.p[j];
	}
	struct sl_blob v;
	if (sl_deb822_get(p, "Package", &v) && v.len > 0)
		*sum += v.p[v.len - 1];
	for (size_t j = 0; j < p->raw.len; j++)
		*sum += p->raw.p[j];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	/* First byte: chunk-size seed; second: comment mode. */
	unsigned seed = data[0], sum = 0;
	struct sl_deb822 *d = sl_deb822_new(touch, &sum);
	if (d == NULL)
		return 0;
	sl_deb822_allow_comments(d, data[1] & 1);
	data += 2;
	size -= 2;
	int rc = 0;
	while (rc == 0 && size > 0) {
		seed = seed * 1103515245u + 12345u;
		size_t n = 1 + (seed >> 16) % 64;
		if (n > size)
			n = size;
		rc = sl_deb822_feed(d, data, n);
		data += n;
		size -= n;
	}
	if (rc == 0)
		rc = sl_deb822_finish(d);
	(void)sl_deb822_line(d);
	(void)sl_deb822_error(d);
	sl_deb822_free(d);
	return 0;
}
