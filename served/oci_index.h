/* oci_index: what sluice-served knows about one published OCI generation, in memory. Internal to served/
 * (oci.c answers from it).
 *
 * A generation public/.gen/oci-<source>-<gen>/ (see oci.h for the tree) is read once, when a request
 * first sees public/oci/<source> point at it: repositories from _catalog, each one's tags and manifests
 * with their media types, and, within SL_MAX_OCI_INDEX_BYTES, the manifest bytes themselves, checked
 * against their digests (a manifest whose bytes do not match is never served). Every name read from the
 * tree is checked like a request's. Entries that are wrong are logged and left out; a tree that cannot be
 * read at all (I/O, caps) fails the load, logged once per generation.
 *
 * One index per source is current. Requests take a reference without a lock (a reader counter per
 * source guards the swap); a readlink per request notices a publication; the replaced index is freed
 * when its last reference goes, which may be a response still being sent (sl_oci_index_release_cb).
 * The index holds an O_PATH descriptor of its generation, so files stay reachable while it lives.
 *
 * Ownership: sl_oci_index_get() returns a reference; give it back with sl_oci_index_release(). Entries
 * are borrowed from the index and valid while the reference is held. */
#ifndef SL_OCI_INDEX_H
#define SL_OCI_INDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"
#include "core/oci.h"

#define SL_OCI_GEN_MAX 256       /* bytes in a generation directory name */

struct sl_oci_index_manifest {
	char hex[SL_SHA256_HEX];
	char type[SL_OCI_MT_MAX];
	uint64_t len;
	uint8_t *data;              /* the bytes, checked against hex; NULL: sent from the file (large) */
};

struct sl_oci_index_tag {
	char *name;
	const struct sl_oci_index_manifest *m;
};

struct sl_oci_index_repo {
	char *name;
	struct sl_oci_index_tag *tags;       /* sorted by name: the spec's lexical order for tags/list */
	size_t ntags;
	struct sl_oci_index_manifest *mf;    /* sorted by hex */
	size_t nmf;
};

struct sl_oci_index {
	atomic_uint refs;           /* the slot's reference plus one per request or response using it */
	int genfd;                  /* O_PATH of the generation: pins it even after the publisher removes it */
	char gen[SL_OCI_GEN_MAX];
	struct sl_oci_index_repo *repos;     /* sorted by name */
	size_t nrepos;
	size_t cached;              /* manifest bytes held, at most SL_MAX_OCI_INDEX_BYTES */
};

/* The index of the generation published for `source` under public_dir now, with a reference. NULL with
 * *err = -ENOENT when nothing is published, another negative code when the generation cannot be read. */
struct sl_oci_index *sl_oci_index_get(const char *public_dir, const char *source, int *err);
/* Drop a reference; the last one frees. NULL is a no-op. */
void sl_oci_index_release(struct sl_oci_index *ix);
/* The same with MHD's free-callback signature, for responses that point into the index. */
void sl_oci_index_release_cb(void *cls);

/* Lookups (binary search); NULL when absent. */
const struct sl_oci_index_repo *sl_oci_index_find_repo(const struct sl_oci_index *ix, const char *name);
const struct sl_oci_index_manifest *sl_oci_index_find_manifest(const struct sl_oci_index_repo *rp, const char *hex);
const struct sl_oci_index_manifest *sl_oci_index_find_tag(const struct sl_oci_index_repo *rp, const char *tag);
/* Open <repo>/<dir>/<hex> of the generation for reading (no symlinks). fd or -errno. */
int sl_oci_index_open(const struct sl_oci_index *ix, const struct sl_oci_index_repo *rp, const char *dir,
		      const char *hex);

#endif
