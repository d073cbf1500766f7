/* bundle_delta: patches and rebuilds for delta bundles (see bundle_delta.h). The export half works on the
 * few objects that replace another at the same path (indices, in practice); the import half follows the
 * manifest's build records one at a time, streaming, so memory stays flat whatever the index size. */
#include "admin/bundle_delta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/decomp.h"
#include "core/delta.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/recompress.h"
#include "core/store.h"

enum kind { K_OTHER, K_PLAIN, K_PACKED };

struct cand {
	char target[SL_SHA256_HEX], base[SL_SHA256_HEX];
	uint64_t size;
	bool carried;
};

struct sl_bundle_plan {
	struct sl_store *store;
	struct cand *c;
	size_t nc, capc;
	struct sl_bundle_build *b;
	size_t nb, capb;
	struct sl_bundle_object *patch;
	size_t np, capp;
	char (*avail)[SL_SHA256_HEX];   /* targets of the builds so far: inputs later builds may use */
	size_t na, capa;
	uint64_t saved_targets, patch_bytes;
	size_t n_targets;               /* carried objects now built instead */
	char (*built)[SL_SHA256_HEX];   /* their digests, sorted once made: the object pass asks per object */
	bool rebuild_compressed;
	bool sorted;
};

/* Arrays of a plan: candidates are the changed same-path files of a delta, a few per index. */
static int grow(void **v, size_t *cap, size_t n, size_t each)
{
	if (n < *cap)
		return 0;
	if (n >= SL_MAX_BUNDLE_BUILDS)
		return -SL_E_TOOBIG;
	size_t nc = *cap ? *cap * 2 : 16;
	void *p = realloc(*v, nc * each);
	if (p == NULL)
		return -ENOMEM;
	*v = p;
	*cap = nc;
	return 0;
}

struct sl_bundle_plan *sl_bundle_plan_new(struct sl_store *store, bool rebuild_compressed)
{
	struct sl_bundle_plan *p = calloc(1, sizeof *p);
	if (p != NULL) {
		p->store = store;
		p->rebuild_compressed = rebuild_compressed;
	}
	return p;
}

void sl_bundle_plan_free(struct sl_bundle_plan *p)
{
	if (p == NULL)
		return;
	free(p->c);
	free(p->b);
	free(p->patch);
	free(p->avail);
	free(p->built);
	free(p);
}

static int cmp_cand(const void *a, const void *b)
{
	return strcmp(((const struct cand *)a)->target, ((const struct cand *)b)->target);
}

int sl_bundle_plan_candidate(struct sl_bundle_plan *p, const char *target, uint64_t size, const char *base)
{
	if (size < SL_BUNDLE_DELTA_MIN || !sl_digest_valid_sha256(target) || !sl_digest_valid_sha256(base))
		return 0;
	if (grow((void **)&p->c, &p->capc, p->nc, sizeof *p->c) < 0)
		return -ENOMEM;
	struct cand *c = &p->c[p->nc++];
	memcpy(c->target, target, SL_SHA256_HEX);
	memcpy(c->base, base, SL_SHA256_HEX);
	c->size = size;
	c->carried = false;
	p->sorted = false;
	return 0;
}

static struct cand *find_cand(struct sl_bundle_plan *p, const char *sha)
{
	if (!p->sorted) {
		if (p->nc > 1)
			qsort(p->c, p->nc, sizeof *p->c, cmp_cand);
		p->sorted = true;
	}
	struct cand key;
	memcpy(key.target, sha, SL_SHA256_HEX);
	return p->nc ? bsearch(&key, p->c, p->nc, sizeof *p->c, cmp_cand) : NULL;
}

int sl_bundle_plan_carried(struct sl_bundle_plan *p, const char *sha256)
{
	struct cand *c = find_cand(p, sha256);
	if (c != NULL)
		c->carried = true;
	return 0;
}

/* ---- export: making patches ---- */

/* An anonymous scratch file in the store's tmp/ (same filesystem, gone when closed): its fd or -errno. */
static int scratch(struct sl_bundle_plan *p)
{
	char dir[SL_MAX_PATH];
	snprintf(dir, sizeof dir, "%s/tmp", sl_store_root(p->store));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int fd = sl_fs_tmpfile(dfd);
	close(dfd);
	return fd;
}

static enum kind kind_of(int fd)
{
	unsigned char m[6] = { 0 };
	ssize_t n = pread(fd, m, sizeof m, 0);
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return K_PACKED;
	if (n == 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0)
		return K_PACKED;
	/* bzip2, zstd, lz4: neither patchable as bytes nor reproducible here */
	if ((n >= 3 && memcmp(m, "BZh", 3) == 0) || (n >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0) ||
	    (n >= 4 && memcmp(m, "\x04\x22\x4d\x18", 4) == 0))
		return K_OTHER;
	return K_PLAIN;
}

struct hashed_out {
	int fd;
	struct sl_hasher *h;
	uint64_t n;
};

static int hashed_write(void *arg, const void *data, size_t len)
{
	struct hashed_out *o = arg;
	int rc = sl_fs_write_all(o->fd, data, len);
	if (rc < 0)
		return rc;
	o->n += len;
	return sl_hasher_update(o->h, data, len);
}

/* Decompress fd into a scratch file: its fd (at offset 0), digest and size. */
static int unpack_scratch(struct sl_bundle_plan *p, int fd, int *out, char sha[SL_SHA256_HEX], uint64_t *size,
			  char **cause)
{
	struct hashed_out o = { .fd = scratch(p), .h = sl_hasher_new(SL_HASH_SHA256) };
	int rc = o.fd < 0 ? o.fd : o.h == NULL ? -ENOMEM : 0;
	if (rc == 0 && lseek(fd, 0, SEEK_SET) < 0)
		rc = -errno;
	if (rc == 0)
		rc = sl_decomp_fd_cause(fd, SL_MAX_INDEX_BYTES, hashed_write, &o, cause);
	if (rc == 0)
		rc = sl_hasher_final(o.h, NULL, NULL, sha, NULL);
	sl_hasher_free(o.h);
	if (rc == 0 && lseek(o.fd, 0, SEEK_SET) < 0)
		rc = -errno;
	if (rc < 0) {
		if (o.fd >= 0)
			close(o.fd);
		return rc;
	}
	*out = o.fd;
	*size = o.n;
	return 0;
}

/* Copy a scratch file into the store as an object: its digest and size. */
static int store_scratch(struct sl_bundle_plan *p, int fd, char sha[SL_SHA256_HEX], uint64_t *size, char **cause)
{
	struct sl_store_expect ex = { .sha256 = NULL, .size = -1 };
	struct sl_store_writer *w = sl_store_writer_new(p->store, &ex, SL_STORE_DEFER_SYNC, cause);
	if (w == NULL)
		return -EIO;
	char buf[64 * 1024];
	int rc = lseek(fd, 0, SEEK_SET) < 0 ? -errno : 0;
	for (;;) {
		ssize_t n = rc == 0 ? read(fd, buf, sizeof buf) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		if (n <= 0)
			break;
		rc = sl_store_writer_write(w, buf, (size_t)n);
	}
	*size = sl_store_writer_size(w);
	if (rc < 0) {
		sl_store_writer_abort(w, false);
		return rc;
	}
	return sl_store_writer_commit(w, sha);
}

static bool is_avail(const struct sl_bundle_plan *p, const char *sha)
{
	for (size_t i = 0; i < p->na; i++)
		if (strcmp(p->avail[i], sha) == 0)
			return true;
	return false;
}

static int add_avail(struct sl_bundle_plan *p, const char *sha)
{
	if (is_avail(p, sha))
		return 0;
	if (grow((void **)&p->avail, &p->capa, p->na, sizeof *p->avail) < 0)
		return -ENOMEM;
	memcpy(p->avail[p->na++], sha, SL_SHA256_HEX);
	return 0;
}

static int add_build(struct sl_bundle_plan *p, enum sl_bundle_op op, const char *target, uint64_t size,
		     const char *in1, const char *in2, const char *token)
{
	if (grow((void **)&p->b, &p->capb, p->nb, sizeof *p->b) < 0)
		return -ENOMEM;
	struct sl_bundle_build *b = &p->b[p->nb++];
	memset(b, 0, sizeof *b);
	b->op = op;
	b->size = size;
	memcpy(b->target, target, SL_SHA256_HEX);
	memcpy(b->in1, in1, SL_SHA256_HEX);
	if (in2 != NULL)
		memcpy(b->in2, in2, SL_SHA256_HEX);
	if (token != NULL)
		snprintf(b->token, sizeof b->token, "%s", token);
	return add_avail(p, target);
}

/* The patch from old_fd to new_fd as a store object, if it is at most max bytes: 1 made, 0 not worth it. */
static int make_patch(struct sl_bundle_plan *p, int old_fd, int new_fd, uint64_t max, char sha[SL_SHA256_HEX],
		      char **cause)
{
	int tmp = scratch(p);
	if (tmp < 0)
		return sl_cause(cause, tmp, "scratch file in %s/tmp: %s", sl_store_root(p->store), sl_strerror(tmp));
	int rc = sl_delta_make(old_fd, new_fd, tmp, max, cause);
	uint64_t size = 0;
	if (rc == 0)
		rc = store_scratch(p, tmp, sha, &size, cause);
	close(tmp);
	if (rc == -SL_E_TOOBIG) {
		free(*cause);
		*cause = NULL;
		return 0;
	}
	if (rc < 0)
		return rc;
	if (grow((void **)&p->patch, &p->capp, p->np, sizeof *p->patch) < 0)
		return -ENOMEM;
	struct sl_bundle_object *o = &p->patch[p->np++];
	memcpy(o->sha256, sha, SL_SHA256_HEX);
	o->size = size;
	o->volume = 0;
	p->patch_bytes += size;
	return 1;
}

/* Plain bytes replacing plain bytes: one patch. 1 when the target is now built, 0 when carried whole. */
static int plan_plain(struct sl_bundle_plan *p, const struct cand *c, int tfd, int bfd, char **cause)
{
	char psha[SL_SHA256_HEX];
	int rc = make_patch(p, bfd, tfd, c->size / 2, psha, cause);
	if (rc <= 0)
		return rc;
	rc = add_build(p, SL_BUILD_PATCH, c->target, c->size, c->base, psha, NULL);
	return rc < 0 ? rc : 1;
}

/* Compressed bytes: rebuilt by packing their plain form again, which a build makes from the base's plain
 * form and a patch unless an earlier build already makes it (the plain index beside its .xz). */
static int plan_packed(struct sl_bundle_plan *p, const struct cand *c, int tfd, int bfd, char **cause)
{
	int ut = -1, uo = -1, rc;
	char ut_sha[SL_SHA256_HEX], uo_sha[SL_SHA256_HEX], token[SL_MAX_BUNDLE_TOKEN + 1], psha[SL_SHA256_HEX];
	uint64_t ut_size = 0, uo_size = 0;
	rc = unpack_scratch(p, tfd, &ut, ut_sha, &ut_size, cause);
	if (rc < 0)
		goto out;   /* does not decode: carried whole */
	rc = lseek(tfd, 0, SEEK_SET) < 0 ? -errno : sl_recompress_find(tfd, ut, token, sizeof token, cause);
	if (rc < 0)
		goto out;
	if (!is_avail(p, ut_sha)) {
		if (kind_of(bfd) != K_PACKED) {
			rc = 0;
			goto out;
		}
		rc = unpack_scratch(p, bfd, &uo, uo_sha, &uo_size, cause);
		if (rc < 0)
			goto out;
		rc = make_patch(p, uo, ut, c->size / 2, psha, cause);
		if (rc <= 0)
			goto out;
		rc = add_build(p, SL_BUILD_UNPACK, uo_sha, uo_size, c->base, NULL, NULL);
		if (rc == 0)
			rc = add_build(p, SL_BUILD_PATCH, ut_sha, ut_size, uo_sha, psha, NULL);
		if (rc < 0)
			goto out;
	}
	rc = add_build(p, SL_BUILD_PACK, c->target, c->size, ut_sha, NULL, token);
	if (rc == 0)
		rc = 1;
out:
	if (ut >= 0)
		close(ut);
	if (uo >= 0)
		close(uo);
	if (rc == -SL_E_NOTFOUND || rc == -SL_E_ARCHIVE || rc == -SL_E_TOOBIG) {
		/* not reproducible, not decodable, too large to unpack here: carried whole */
		free(*cause);
		*cause = NULL;
		rc = 0;
	}
	return rc;
}

static int cmp_hex(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int cmp_obj(const void *a, const void *b)
{
	return strcmp(((const struct sl_bundle_object *)a)->sha256, ((const struct sl_bundle_object *)b)->sha256);
}

int sl_bundle_plan_make(struct sl_bundle_plan *p, char **cause)
{
	int rc = 0;
	/* Plain candidates first: a compressed one may then pack from a plain target built just before. */
	for (int pass = 0; pass < 2 && rc >= 0; pass++) {
		for (size_t i = 0; i < p->nc && rc >= 0; i++) {
			struct cand *c = &p->c[i];
			int tfd = -1, bfd = -1;
			if (!c->carried)
				continue;
			rc = sl_store_open_object(p->store, c->target, &tfd, NULL);
			if (rc == 0)
				rc = sl_store_open_object(p->store, c->base, &bfd, NULL);
			if (rc == -SL_E_NOTFOUND && tfd >= 0) {
				rc = 0;   /* the base is gone here (a failed snapshot's): carried whole */
			} else if (rc < 0) {
				sl_cause(cause, rc, "store object %s: %s", bfd < 0 && tfd >= 0 ? c->base : c->target,
					 sl_strerror(rc));
			} else {
				enum kind tk = kind_of(tfd);
				if (pass == 0 && tk == K_PLAIN && kind_of(bfd) == K_PLAIN)
					rc = plan_plain(p, c, tfd, bfd, cause);
				else if (pass == 1 && tk == K_PACKED && p->rebuild_compressed)
					rc = plan_packed(p, c, tfd, bfd, cause);
				if (rc == 1) {
					p->saved_targets += c->size;
					p->n_targets++;
				}
			}
			if (tfd >= 0)
				close(tfd);
			if (bfd >= 0)
				close(bfd);
		}
	}
	if (rc < 0)
		return rc;
	if (p->np > 1)
		qsort(p->patch, p->np, sizeof *p->patch, cmp_obj);
	/* What the inside builds is not carried: sorted targets for the object pass's lookups. */
	p->built = p->nb ? calloc(p->nb, sizeof *p->built) : NULL;
	if (p->nb > 0 && p->built == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < p->nb; i++)
		memcpy(p->built[i], p->b[i].target, SL_SHA256_HEX);
	if (p->nb > 1)
		qsort(p->built, p->nb, sizeof *p->built, cmp_hex);
	return 0;
}

bool sl_bundle_plan_replaced(const struct sl_bundle_plan *p, const char *sha256)
{
	char key[SL_SHA256_HEX];
	snprintf(key, sizeof key, "%s", sha256);
	return p->built != NULL && bsearch(key, p->built, p->nb, sizeof *p->built, cmp_hex) != NULL;
}

size_t sl_bundle_plan_patches(const struct sl_bundle_plan *p)
{
	return p->np;
}

const struct sl_bundle_object *sl_bundle_plan_patch(const struct sl_bundle_plan *p, size_t i)
{
	return i < p->np ? &p->patch[i] : NULL;
}

size_t sl_bundle_plan_builds(const struct sl_bundle_plan *p)
{
	return p->nb;
}

const struct sl_bundle_build *sl_bundle_plan_build(const struct sl_bundle_plan *p, size_t i)
{
	return i < p->nb ? &p->b[i] : NULL;
}

size_t sl_bundle_plan_targets(const struct sl_bundle_plan *p)
{
	return p->n_targets;
}

uint64_t sl_bundle_plan_saved(const struct sl_bundle_plan *p)
{
	return p->saved_targets > p->patch_bytes ? p->saved_targets - p->patch_bytes : 0;
}

/* ---- import: running builds ---- */

static int to_writer(void *arg, const void *data, size_t len)
{
	return sl_store_writer_write(arg, data, len);
}

static const char *op_text(enum sl_bundle_op op)
{
	return op == SL_BUILD_PATCH ? "patch" : op == SL_BUILD_UNPACK ? "unpack" : "pack";
}

/* 0 built, 1 skipped (an input is not here), or negative. */
static int run_one(struct sl_store *store, const struct sl_bundle_build *b, char **cause)
{
	int fd1 = -1, fd2 = -1;
	uint64_t in_size = 0;
	int rc = sl_store_open_object(store, b->in1, &fd1, &in_size);
	if (rc == 0 && b->op == SL_BUILD_PATCH)
		rc = sl_store_open_object(store, b->in2, &fd2, NULL);
	if (rc == 0 && b->op == SL_BUILD_PACK && in_size > SL_MAX_INDEX_BYTES)
		rc = sl_cause(cause, -SL_E_TOOBIG, "cannot build %s (pack): its input %s is larger than an index may be",
			      b->target, b->in1);
	if (rc < 0) {
		const char *missing = fd1 < 0 ? b->in1 : b->in2;
		if (fd1 >= 0)
			close(fd1);
		if (rc == -SL_E_NOTFOUND || rc == -ENOENT)
			return 1;   /* a source not landed here, or content this side lacks: the landing says which */
		return sl_cause(cause, rc, "cannot build %s (%s): input %s: %s", b->target, op_text(b->op), missing,
				sl_strerror(rc));
	}
	struct sl_store_expect ex = { .sha256 = b->target, .size = (int64_t)b->size };
	char *why = NULL;
	struct sl_store_writer *w = sl_store_writer_new(store, &ex, SL_STORE_DEFER_SYNC, &why);
	if (w == NULL)
		rc = -EIO;
	else if (b->op == SL_BUILD_UNPACK)
		rc = sl_decomp_fd_cause(fd1, b->size, to_writer, w, &why);
	else if (b->op == SL_BUILD_PATCH)
		rc = sl_delta_apply(fd1, fd2, b->size, to_writer, w, &why);
	else
		rc = sl_recompress_run(b->token, fd1, b->size, to_writer, w, &why);
	close(fd1);
	if (fd2 >= 0)
		close(fd2);
	if (w != NULL && rc < 0)
		sl_store_writer_abort(w, false);
	else if (w != NULL)
		rc = sl_store_writer_commit(w, NULL);
	if (rc == -SL_E_DIGEST || rc == -SL_E_SIZE)
		sl_cause(cause, rc, "cannot build %s (%s of %s): the result does not match the signed manifest%s",
			 b->target, op_text(b->op), b->in1, b->op == SL_BUILD_PACK ?
			 " (this side's compressor does not reproduce the exporter's bytes): export this source whole, "
			 "without --since or --ack" : "");
	else if (rc < 0)
		sl_cause(cause, rc, "cannot build %s (%s of %s): %s", b->target, op_text(b->op), b->in1,
			 why ? why : sl_strerror(rc));
	free(why);
	return rc;
}

int sl_bundle_builds_run(struct sl_store *store, FILE *manifest, uint64_t *built, char **cause)
{
	*built = 0;
	struct sl_bundle_reader *r = sl_bundle_reader_file(manifest);
	if (r == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	int t = 0, rc = 0;
	while (rc == 0) {
		t = sl_bundle_next(r, cause);
		if (t <= 0)
			break;
		if (t != SL_BREC_BUILD)
			continue;
		const struct sl_bundle_build *b = sl_bundle_build(r);
		if (sl_store_has_size(store, b->target, b->size))
			continue;
		rc = run_one(store, b, cause);
		if (rc == 0)
			(*built)++;
		rc = rc > 0 ? 0 : rc;
	}
	if (rc == 0 && t < 0)
		rc = t;
	sl_bundle_reader_free(r);
	return rc;
}
