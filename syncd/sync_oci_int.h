/* sync_oci_int: what the OCI syncer's own files share — one run's resolved images, manifests, blobs and
 * lookaside signatures. sync_oci.c: setup, the run's phases, snapshot entries; oci_resolve.c: references
 * -> digests (HEADs, tag lists); oci_fetch.c: manifests by digest (platform narrowing), blobs, configs;
 * oci_lookaside.c: simple-signing signatures from the lookaside. Not for use outside those files. */
#ifndef SL_SYNC_OCI_INT_H
#define SL_SYNC_OCI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/digest.h"
#include "core/limits.h"
#include "core/oci.h"
#include "syncd/sync.h"

#define OCI_CONFIG_MAX (4u << 20)   /* bytes of an image config read back for its platform */
#define OCI_PASSWORD_MAX 4096       /* bytes of password_file */
#define OCI_REPO_BUF (SL_MAX_OCI_REPO + 1)

struct sl_registry;
struct sl_strset;

struct img {
	char repo[OCI_REPO_BUF];
	char tag[129];                   /* "" for a pinned digest */
	char hex[SL_SHA256_HEX];         /* what the upstream reference resolved to */
	char head_mt[SL_OCI_MT_MAX];
	char sig_of[SL_SHA256_HEX];      /* cosign tag: the image digest it signs */
	char pub_hex[SL_SHA256_HEX];     /* what the published tag points to */
	char pub_mt[SL_OCI_MT_MAX];
	char config_hex[SL_SHA256_HEX];  /* single image: its config, for the platform */
	json_t *platforms;
	bool narrowed;
};

struct man {
	char repo[OCI_REPO_BUF];
	char hex[SL_SHA256_HEX];
	char mt[SL_OCI_MT_MAX];
	size_t len;
	bool pinned;
	bool evidence;                   /* a narrowed index: kept for the verifier, not published */
};

struct blob {
	char repo[OCI_REPO_BUF];
	char hex[SL_SHA256_HEX];
	char mt[SL_OCI_MT_MAX];
	uint64_t size;
};

struct sigfile {
	char repo[OCI_REPO_BUF];
	char hex[SL_SHA256_HEX];
	unsigned n;                      /* signature-<n> as the lookaside numbers it */
	char sha[SL_SHA256_HEX];
	size_t len;
	char url[SL_MAX_URL];
};

struct oci_run {
	struct sl_sync_ctx *ctx;
	const struct sl_source *src;
	struct sl_registry *reg;
	struct img *imgs;
	size_t nimg, cap_img;
	struct man *mans;
	size_t nman, cap_man;
	struct blob *blobs;
	size_t nblob, cap_blob;
	struct sigfile *sigs;
	size_t nsig, cap_sig;
	struct sl_strset *img_seen, *man_seen, *blob_seen, *queued;
	size_t blobs_total, blobs_done;
	uint64_t bytes_total, bytes_done;
	int blob_err;
	char blob_err_msg[SL_MAX_REASON];
	char base[SL_MAX_URL];           /* lookaside base URL without trailing '/' */
};

/* Room for one more element of `size` bytes in *v (at most `max`). */
int sl_oci_grow(void **v, size_t *cap, size_t n, size_t size, size_t max);

/* oci_resolve.c: every `images =` item and each image's cosign tag -> r->imgs. */
int sl_oci_resolve(struct oci_run *r, char **cause);

/* oci_fetch.c: each image's manifests (narrowed to `platforms`) into the store and r->mans/r->blobs;
 * then the blobs; then the platforms of single images from their configs. */
int sl_oci_fetch_manifests(struct oci_run *r, char **cause);
int sl_oci_fetch_blobs(struct oci_run *r, char **cause);
void sl_oci_fetch_platforms(struct oci_run *r);

/* oci_lookaside.c: with `signed_by`, signature-1..N of every image until the first 404, into the store
 * and r->sigs, unverified (the verifier decides). A transport failure is recorded as a failed
 * simple-signing check and fails the run. */
int sl_oci_lookaside_fetch(struct oci_run *r, char **cause);

#endif
