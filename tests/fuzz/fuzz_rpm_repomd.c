/* fuzz_rpm_repomd: arbitrary bytes into sl_rpm_repomd_parse; every record is read back and its href and
 * checksum type judged as the verifier would. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rpm_repomd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_rpm_repomd md;
	char *cause = NULL;
	if (sl_rpm_repomd_parse(data, size, &md, &cause) == 0) {
		size_t sum = strlen(md.revision);
		for (size_t i = 0; i < md.n; i++) {
			const struct sl_rpm_record *r = &md.rec[i];
			char why[256];
			sum += strlen(r->type) + strlen(r->sum) + strlen(r->open_sum) + sl_rpm_sum_bits(r->sum_type);
			(void)sl_rpm_href_check(r->href, r->has_base, why, sizeof why);
			if (sl_rpm_repomd_find(&md, r->type) == NULL || r->href[0] == '\0')
				abort();
		}
		(void)sum;
	} else if (cause == NULL) {
		abort();   /* every failure explains itself */
	}
	free(cause);
	sl_rpm_repomd_release(&md);
	return 0;
}
