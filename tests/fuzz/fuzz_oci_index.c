/* libFuzzer target for the OCI syncer's index processing: the bytes are parsed as an index (as
 * process_index in syncd/oci_fetch.c receives it) and narrowed by sl_oci_index_plan() — the one decision
 * the syncer makes and the verifier re-makes — under no platforms and under the platforms the input
 * names. Input: optional leading lines "P:<os/arch[/variant]>" (at most FUZZ_MAX_PLATFORMS), then the
 * index bytes. Besides "never crash", it asserts what the syncer and verifier rely on: a plan never keeps
 * more than exists; no platforms configured keeps everything; a refusal means platforms were configured
 * and none matched; a narrowed plan loads exactly one child, a real platform the configuration matches;
 * a partial plan loads exactly the kept children; nothing past the index is ever loaded. A violation
 * aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (256u << 10)   /* bytes: indexes are small; the 4 MiB cap is unit-tested */
#define FUZZ_MAX_PLATFORMS 4          /* platform specs taken from the input */

static void require(int cond)
{
	if (!cond)
		abort();
}

static bool real(const struct sl_oci_desc *d)
{
	return d->has_platform && strcmp(d->platform.os, "unknown") != 0;
}

static void check_plan(const struct sl_oci_manifest *ix, const char *const *plats, size_t n)
{
	struct sl_oci_index_plan p;
	int rc = sl_oci_index_plan(ix, plats, n, &p);
	require(p.nkept <= p.nreal && p.nreal <= ix->n);
	if (n == 0)
		require(rc == 0 && p.all && !p.narrowed && p.nkept == p.nreal);
	if (rc < 0) {
		require(rc == -SL_E_MISMATCH && n > 0 && p.nkept == 0 && p.nreal > 0);
		return;
	}
	require(rc == 0);
	require(!(p.all && p.narrowed));
	size_t loaded = 0, loaded_real = 0;
	for (size_t i = 0; i < ix->n; i++) {
		if (!sl_oci_index_loads(&p, ix, i, plats, n))
			continue;
		loaded++;
		loaded_real += real(&ix->descs[i]);
		if (!p.all)
			require(real(&ix->descs[i]) && sl_oci_child_kept(&ix->descs[i], plats, n));
	}
	require(!sl_oci_index_loads(&p, ix, ix->n, plats, n));
	if (p.all)
		require(loaded == ix->n);
	else
		require(loaded == p.nkept && loaded_real == loaded);
	if (p.narrowed) {
		require(p.nkept == 1 && p.nreal > 1 && loaded == 1 && p.narrowed_to < ix->n);
		require(sl_oci_index_loads(&p, ix, p.narrowed_to, plats, n));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *plats[FUZZ_MAX_PLATFORMS];
	size_t n = 0, off = 0;
	while (n < FUZZ_MAX_PLATFORMS && size - off > 2 && memcmp(data + off, "P:", 2) == 0) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		if (nl == NULL)
			break;
		plats[n] = strndup((const char *)data + off + 2, (size_t)(nl - data - off - 2));
		if (plats[n] == NULL)
			break;
		n++;
		off = (size_t)(nl - data) + 1;
	}
	const char *cts[] = { NULL, SL_OCI_MT_OCI_INDEX, SL_OCI_MT_DOCKER_LIST };
	for (size_t c = 0; c < sizeof cts / sizeof cts[0]; c++) {
		struct sl_oci_manifest m;
		char *cause = NULL;
		if (sl_oci_parse(data + off, size - off, cts[c], &m, &cause) == 0 && m.kind == SL_OCI_INDEX) {
			check_plan(&m, NULL, 0);
			check_plan(&m, (const char *const *)plats, n);
		}
		free(cause);
		sl_oci_manifest_release(&m);
	}
	for (size_t i = 0; i < n; i++)
		free(plats[i]);
	return 0;
}
