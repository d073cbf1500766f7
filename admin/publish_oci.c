/* publish_oci: check every entry's path against its role, then link the snapshot as it is (evidence
 * entries excepted). */
#include "admin/publish_oci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/publish_tree.h"
#include "core/catalog.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/oci.h"

/* Split "<repo>/<marker>/<rest>" at the last occurrence of "/<marker>/" (repository names cannot contain
 * a component starting with '_', so the first one is the only one). */
static int split(const char *path, const char *marker, char *repo, size_t cap, const char **rest)
{
	char m[32];
	snprintf(m, sizeof m, "/%s/", marker);
	const char *at = strstr(path, m);
	if (at == NULL || (size_t)(at - path) >= cap)
		return -SL_E_BADNAME;
	memcpy(repo, path, (size_t)(at - path));
	repo[at - path] = '\0';
	*rest = at + strlen(m);
	return sl_oci_valid_repo(repo) ? 0 : -SL_E_BADNAME;
}

int sl_publish_oci_check_path(const char *role, const char *path)
{
	char repo[SL_MAX_OCI_REPO + 1], hex[SL_SHA256_HEX + 8];
	const char *rest = NULL;
	if (role == NULL || path == NULL)
		return -SL_E_BADNAME;
	if (strcmp(role, "catalog") == 0)
		return strcmp(path, "_catalog") == 0 ? 0 : -SL_E_BADNAME;
	if (strcmp(role, "tag") == 0)
		return split(path, "_tags", repo, sizeof repo, &rest) == 0 && sl_oci_valid_tag(rest) ? 0
												: -SL_E_BADNAME;
	if (strcmp(role, "manifest") == 0 || strcmp(role, "blob") == 0)
		return split(path, strcmp(role, "blob") == 0 ? "_blobs" : "_manifests", repo, sizeof repo, &rest) == 0 &&
				       sl_digest_valid_sha256(rest)
			       ? 0
			       : -SL_E_BADNAME;
	if (strcmp(role, "manifest-type") == 0) {
		size_t n = 0;
		if (split(path, "_manifests", repo, sizeof repo, &rest) != 0)
			return -SL_E_BADNAME;
		n = strlen(rest);
		if (n != SL_SHA256_HEX - 1 + 5 || strcmp(rest + SL_SHA256_HEX - 1, ".type") != 0)
			return -SL_E_BADNAME;
		memcpy(hex, rest, SL_SHA256_HEX - 1);
		hex[SL_SHA256_HEX - 1] = '\0';
		return sl_digest_valid_sha256(hex) ? 0 : -SL_E_BADNAME;
	}
	if (strcmp(role, "evidence") == 0)
		return split(path, "_evidence", repo, sizeof repo, &rest) == 0 && sl_digest_valid_sha256(rest) ? 0
													: -SL_E_BADNAME;
	if (strcmp(role, "signature") == 0) {
		unsigned n = 0;
		int used = 0;
		if (split(path, "_signatures", repo, sizeof repo, &rest) != 0 || strlen(rest) < SL_SHA256_HEX)
			return -SL_E_BADNAME;
		memcpy(hex, rest, SL_SHA256_HEX - 1);
		hex[SL_SHA256_HEX - 1] = '\0';
		if (!sl_digest_valid_sha256(hex) ||
		    sscanf(rest + SL_SHA256_HEX - 1, "/signature-%u%n", &n, &used) != 1 ||
		    rest[SL_SHA256_HEX - 1 + used] != '\0' || n == 0 || n > SL_MAX_OCI_LOOKASIDE)
			return -SL_E_BADNAME;
		return 0;
	}
	return -SL_E_UNSUPPORTED;
}

struct check_arg {
	char **cause;
	int rc;
};

static int check_entry(void *arg, const struct sl_entry *e)
{
	struct check_arg *a = arg;
	int rc = sl_publish_oci_check_path(e->role, e->path);
	if (rc == 0)
		return 0;
	if (a->cause != NULL && *a->cause == NULL &&
	    asprintf(a->cause, "entry %s (role %s): %s", e->path, e->role,
		     rc == -SL_E_UNSUPPORTED ? "unknown role" : "path does not fit its role") < 0)
		*a->cause = NULL;
	a->rc = rc;
	return 1;
}

struct link_arg {
	struct sl_tree *t;
	int64_t snap;
	char **cause;
};

/* Every entry at its path, except evidence: upstream bytes the verifier needed that clients never see. */
static int link_entry(void *arg, const struct sl_entry *e)
{
	struct link_arg *la = arg;
	if (strcmp(e->role, "evidence") == 0)
		return 0;
	int rc = sl_tree_link(la->t, e->path, e->sha256, e->size);
	if (rc < 0 && la->cause != NULL && *la->cause == NULL &&
	    asprintf(la->cause, "snapshot %lld: %s", (long long)la->snap, sl_tree_cause(la->t)) < 0)
		*la->cause = NULL;
	return rc;
}

static int oci_build(const struct sl_publish_ctx *ctx, int64_t snap_id, const char *dir, char **cause)
{
	struct check_arg a = { cause, 0 };
	int rc = sl_catalog_snapshot_entries(ctx->cat, snap_id, check_entry, &a);
	if (a.rc < 0)
		return a.rc;
	if (rc < 0)
		return rc;
	struct sl_tree *t = sl_tree_new(ctx, dir, cause);
	if (t == NULL)
		return -EIO;
	struct link_arg la = { t, snap_id, cause };
	rc = sl_catalog_snapshot_entries(ctx->cat, snap_id, link_entry, &la);
	if (rc < 0 && cause != NULL && *cause == NULL &&
	    asprintf(cause, "snapshot %lld: reading entries: %s", (long long)snap_id, sl_strerror(rc)) < 0)
		*cause = NULL;
	sl_tree_free(t);
	return rc;
}

const struct sl_publisher sl_oci_publisher = {
	.build = oci_build,
};
