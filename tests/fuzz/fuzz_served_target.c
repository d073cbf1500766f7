/* libFuzzer target for served's request-target checks: the path of a format tree (%-decoding, then
 * sl_httpparse_check_rel), the /v2/ path split (sl_httpparse_oci_path) with its name, tag and digest
 * checks, and query argument values (sl_httpparse_query_value, ?ns=). Properties: an accepted tree path
 * has no traversal, no dot-led component, no control byte; a decoded query value is printable ASCII
 * without spaces and fits its buffer; the /v2/ split only cuts at its markers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "core/digest.h"
#include "core/limits.h"
#include "core/oci.h"
#include "core/path.h"
#include "served/httpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 4096   /* bytes: SL_MAX_REQUEST_PATH is 2048 */

static void require(int cond)
{
	if (!cond)
		abort();
}

static void check_tree_path(const char *raw)
{
	char path[SL_MAX_REQUEST_PATH];
	if (sl_path_url_decode(raw, path, sizeof path) < 0)
		return;
	unsigned st = sl_httpparse_check_rel(path);
	require(st == 0 || st == MHD_HTTP_BAD_REQUEST || st == MHD_HTTP_NOT_FOUND);
	if (st != 0)
		return;
	size_t n = strlen(path);
	require(n > 0 && path[0] != '/' && path[n - 1] != '/' && path[0] != '.');
	require(strstr(path, "/.") == NULL && strstr(path, "//") == NULL);
	for (size_t i = 0; i < n; i++)
		require((unsigned char)path[i] >= 0x20 && (unsigned char)path[i] != 0x7f && path[i] != '\\');
}

static void check_oci_path(const char *raw)
{
	char path[SL_MAX_REQUEST_PATH], copy[SL_MAX_REQUEST_PATH];
	if (sl_path_url_decode(raw, path, sizeof path) < 0)
		return;
	memcpy(copy, path, sizeof copy);
	const char *name, *arg;
	enum sl_httpparse_oci_op op = sl_httpparse_oci_path(path, &name, &arg);
	require(name == path);
	switch (op) {
	case SL_OCI_OP_NONE:
		require(arg == NULL && strcmp(path, copy) == 0);
		return;
	case SL_OCI_OP_TAGS:
		require(arg == NULL);
		require(strlen(copy) == strlen(name) + strlen("/tags/list"));
		break;
	case SL_OCI_OP_MANIFEST:
		require(arg != NULL && strncmp(copy + (arg - path) - strlen("/manifests/"), "/manifests/", 11) == 0);
		require(strstr(arg, "/manifests/") == NULL);
		break;
	case SL_OCI_OP_BLOB:
		require(arg != NULL && strncmp(copy + (arg - path) - strlen("/blobs/"), "/blobs/", 7) == 0);
		require(strstr(arg, "/blobs/") == NULL && strstr(arg, "/manifests/") == NULL);
		break;
	}
	/* What sl_oci_serve checks next: the name, a digest or a tag. */
	(void)sl_oci_valid_repo(name);
	if (arg != NULL) {
		char hex[SL_SHA256_HEX];
		if (sl_digest_parse_oci(arg, hex) == 0)
			require(sl_digest_valid_sha256(hex));
		(void)sl_oci_valid_tag(arg);
	}
}

static void check_query(const char *raw)
{
	char buf[256];
	int rc = sl_httpparse_query_value(raw, buf, sizeof buf);
	require(rc == 1 || rc == -1);
	size_t n = strlen(buf);
	require(n < sizeof buf);
	if (rc < 0) {
		require(n == 0);
		return;
	}
	require(n <= strlen(raw));
	for (size_t i = 0; i < n; i++)
		require((unsigned char)buf[i] > 0x20 && (unsigned char)buf[i] < 0x7f);
	if (sl_httpparse_oci_ns(buf))
		require(n >= 1 && n <= 255 && strpbrk(buf, "/?#%@") == NULL);
	char tiny[4];
	rc = sl_httpparse_query_value(raw, tiny, sizeof tiny);
	require(strlen(tiny) < sizeof tiny && (rc == -1 || strlen(tiny) == n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_tree_path(s);
	check_oci_path(s);
	check_query(s);
	free(s);
	return 0;
}
