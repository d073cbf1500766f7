/* libFuzzer target for OCI manifests and names: sl_oci_parse over the bytes (with each Content-Type it
 * meets in practice), the repository/tag/reference gates and the signature payload rules. Besides "never
 * crash", it asserts what callers rely on: an accepted manifest has only valid sha256 digests, at most the
 * descriptor cap, a known media type matching its kind; an accepted repository name has no component
 * starting with '_' or '.', no "..", no uppercase; an accepted tag has no '/'. A violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/oci.h"
#include "verify/oci_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (256u << 10)   /* bytes: manifests are small; the 4 MiB cap is unit-tested */

static void require(int cond)
{
	if (!cond)
		abort();
}

static void check_desc(const struct sl_oci_desc *d, int child)
{
	require(sl_digest_valid_sha256(d->digest));
	require(d->size <= SL_MAX_ARTIFACT_BYTES);
	if (child) {
		require(sl_oci_manifest_type_known(d->media_type));
		require(d->size <= SL_MAX_OCI_MANIFEST);
		require(strchr(d->platform.os, '/') == NULL && strchr(d->platform.arch, '/') == NULL);
	} else {
		require(sl_oci_blob_type_known(d->media_type));
	}
}

static void check_parse(const uint8_t *data, size_t size, const char *ct)
{
	struct sl_oci_manifest m;
	char *cause = NULL;
	int rc = sl_oci_parse(data, size, ct, &m, &cause);
	if (rc == 0) {
		require(sl_oci_manifest_type_known(m.media_type));
		require(m.n <= SL_MAX_OCI_DESCRIPTORS);
		int index = strcmp(m.media_type, SL_OCI_MT_OCI_INDEX) == 0 ||
			    strcmp(m.media_type, SL_OCI_MT_DOCKER_LIST) == 0;
		require(index == (m.kind == SL_OCI_INDEX));
		if (!index)
			check_desc(&m.config, 0);
		for (size_t i = 0; i < m.n; i++)
			check_desc(&m.descs[i], index);
		require(cause == NULL);
	} else {
		require(cause != NULL);
	}
	free(cause);
	sl_oci_manifest_release(&m);
}

static void check_repo(const char *s)
{
	if (!sl_oci_valid_repo(s))
		return;
	require(strlen(s) <= SL_MAX_OCI_REPO);
	require(s[0] != '/' && s[strlen(s) - 1] != '/' && strstr(s, "//") == NULL && strstr(s, "..") == NULL);
	for (const char *c = s; *c; c++) {
		require((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("._-/", *c) != NULL);
		if (c == s || c[-1] == '/')
			require(*c != '_' && *c != '.' && *c != '-');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	check_parse(data, size, NULL);
	check_parse(data, size, SL_OCI_MT_OCI_INDEX);
	check_parse(data, size, SL_OCI_MT_DOCKER_MANIFEST "; charset=utf-8");

	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_repo(s);
	if (sl_oci_valid_tag(s))
		require(strchr(s, '/') == NULL && strchr(s, ':') == NULL && s[0] != '.' && strlen(s) <= 128);
	struct sl_oci_ref ref;
	char *cause = NULL;
	if (sl_oci_ref_parse(s, &ref, &cause) == 0) {
		check_repo(ref.repo);
		require(sl_oci_valid_repo(ref.repo));
		if (ref.kind == SL_OCI_REF_DIGEST)
			require(sl_digest_valid_sha256(ref.digest));
		else if (ref.kind == SL_OCI_REF_TAG)
			require(sl_oci_valid_tag(ref.tag));
	}
	free(cause);
	/* The glob terminates and a star-free pattern matches only itself. */
	const char *split = memchr(s, '\n', size);
	if (split != NULL) {
		char *pat = strndup(s, (size_t)(split - s));
		if (pat != NULL) {
			int m = sl_oci_tag_match(pat, split + 1);
			if (strchr(pat, '*') == NULL)
				require(m == (strcmp(pat, split + 1) == 0));
			free(pat);
		}
	}
	cause = NULL;
	sl_oci_sig_payload_check(data, size, SL_OCI_SIG_SIMPLE_TYPE, "library/alpine", "3.20",
				 "7b9a53356827d2398550b1162b08e1577aac3d3970cb8c6047146a99dcd42274", &cause);
	free(cause);
	free(s);
	return 0;
}
