/* fuzz_deb_changelog: arbitrary bytes as a changelog.Debian; the first byte picks the version pair, so
 * headers, version comparisons (epochs, tildes, garbage) and the CVE scan are all reached. */
#include <stddef.h>
#include <stdint.h>

#include "core/deb_changelog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const vers[][2] = {
		{ "1.0-1", "1.0-3" }, { NULL, "2" }, { "1:2.0~rc1-1", "1:2.0-1" }, { "0", "99999" }, { "a:b", "~~" },
		{ "1.0", "1.0" }, { "2.5.0-1+deb12u2", "2.5.0-1+deb12u5" }, { "", "1" },
	};
	if (size < 1)
		return 0;
	const char *const *v = vers[data[0] % (sizeof vers / sizeof vers[0])];
	struct sl_changelog_advice a;
	if (sl_deb_changelog_advice((const char *)data + 1, size - 1, v[0], v[1], &a) == 0) {
		volatile size_t sum = a.entries + a.ncves + (a.truncated ? 1 : 0);
		for (size_t i = 0; i < a.ncves; i++)
			sum += a.cves[i][0];
		(void)sum;
	}
	return 0;
}
