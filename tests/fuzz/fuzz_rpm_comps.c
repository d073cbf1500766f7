/* fuzz_rpm_comps: arbitrary bytes as a comps file through sl_rpm_comps_prune (both streaming passes, the
 * declaration scan, the writer). Whatever it writes must itself prune again to the same groups: the output
 * is well-formed and keeps exactly what the first run kept. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <createrepo_c/createrepo_c.h>

#include "admin/publish_rpm_comps.h"
#include "core/strset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/sluice-fuzz-comps.XXXXXX";
static struct sl_strset *names;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (names == NULL) {
		if (mkdtemp(dir) == NULL || (names = sl_strset_new()) == NULL)
			abort();
		sl_strset_add(names, "bash");
		sl_strset_add(names, "hello");
	}
	char in[64], out[64], again[64];
	snprintf(in, sizeof in, "%s/in.xml", dir);
	snprintf(out, sizeof out, "%s/out.xml", dir);
	snprintf(again, sizeof again, "%s/again.xml", dir);
	FILE *f = fopen(in, "wb");
	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	struct sl_rpm_prune_count n1, n2;
	char *cause = NULL;
	int rc = sl_rpm_comps_prune(in, out, CR_CW_NO_COMPRESSION, names, &n1, &cause);
	if (rc < 0 && cause == NULL)
		abort();   /* every refusal says why */
	free(cause);
	cause = NULL;
	if (rc == 0) {
		if (sl_rpm_comps_prune(out, again, CR_CW_NO_COMPRESSION, names, &n2, &cause) != 0 || n2.kept != n1.kept ||
		    n2.dropped != 0)
			abort();
		free(cause);
	}
	unlink(in);
	unlink(out);
	unlink(again);
	return 0;
}
