/* fuzz_apt_release: arbitrary bytes into sl_apt_release_parse (and the date parser); every parsed
 * string and file entry is read back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/apt_release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_apt_release r;
	char *cause = NULL;
	time_t t;
	(void)sl_apt_date_parse((const char *)data, size, &t);
	if (sl_apt_release_parse(data, size, &r, &cause) == 0) {
		size_t sum = 0;
		for (size_t i = 0; i < r.nfiles; i++) {
			sum += strlen(r.files[i].path) + r.files[i].size + strlen(r.files[i].sha256);
			if (sl_apt_release_find(&r, r.files[i].path) != &r.files[i])
				abort();
		}
		for (size_t i = 0; i < r.narchitectures; i++)
			sum += strlen(r.architectures[i]);
		for (size_t i = 0; i < r.ncomponents; i++)
			sum += strlen(r.components[i]);
		if (r.suite != NULL)
			sum += strlen(r.suite);
		char buf[64];
		if (r.date != 0 && sl_apt_date_format(r.date, buf, sizeof buf) == 0) {
			time_t back;
			if (sl_apt_date_parse(buf, strlen(buf), &back) != 0 || back != r.date)
				abort();
		}
		(void)sum;
	} else if (cause == NULL) {
		abort();  /* every failure explains itself */
	}
	free(cause);
	sl_apt_release_release(&r);
	return 0;
}
