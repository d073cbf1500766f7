/* bundle_export: `sluice export` on the DMZ side. Picks each source's newest verified (or published)
 * snapshot, works out in SQL which objects the inside lacks (full, --since SEQ, --ack FILE), writes the
 * canonical manifest to a temp file, signs it with sluice's own key and streams the objects from the store
 * into pax volumes, one object at a time, re-hashing each on the way out (a corrupt store object is never
 * carried). Volumes appear under their final names only when complete (temp + fsync + rename). */
#include "admin/bundle.h"
#include "admin/bundle_delta.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/cli.h"
#include "admin/keys.h"
#include "core/bundle_manifest.h"
#include "core/catalog.h"
#include "core/catalog_bundle.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/store.h"
#include "core/units.h"
#include "verify/gpg.h"

/* bytes: start write-back of a volume every this many bytes, so the disk writes while the next objects are
 * read and the final fsync has little left to wait for (removable media are slow writers). */
#define WRITEBACK_STEP (32u << 20)

struct picked {
	const struct sl_source *src;
	int64_t source_id, snap_id;
	int64_t base_id;                 /* a snapshot the inside holds: the entries travel as changes to it */
	char base_digest[SL_SHA256_HEX];
};

struct exp {
	struct sl_cli *cli;
	const struct sl_bundle_export_opts *o;
	struct sl_keys *keys;
	char fpr[41];
	int64_t seq;
	struct picked *pick;
	size_t npick;
	char manifest_path[4096];
	int format;                      /* SL_BUNDLE_FORMAT, or _DELTA when a source travels as changes */
	struct sl_bundle_plan *plan;
	/* object pass */
	FILE *mf;
	size_t next_patch;               /* plan patches are merged into the digest-ordered objects */
	uint64_t n_objects, object_bytes, vol_bytes;
	unsigned volume;
	struct sl_bundle_progress prog;
	int64_t created;
};

static int pick_newest(void *arg, const struct sl_snapshot_info *s)
{
	int64_t *id = arg;
	if (s->state == SL_SNAP_PENDING || s->state == SL_SNAP_PUBLISHED) {
		*id = s->id;
		return 1;   /* newest first */
	}
	return 0;
}

static int cmp_pick(const void *a, const void *b)
{
	return strcmp(((const struct picked *)a)->src->name, ((const struct picked *)b)->src->name);
}

/* The snapshot each source contributes; sources sorted by name (the manifest is canonical). */
static int choose(struct exp *x)
{
	struct sl_cli *cli = x->cli;
	size_t n = 0;
	while (x->o->sources != NULL && x->o->sources[n] != NULL)
		n++;
	bool all = n == 0;
	size_t cap = all ? cli->cfg->nsources : n;
	x->pick = calloc(cap ? cap : 1, sizeof *x->pick);
	if (x->pick == NULL)
		return SL_EXIT_FAIL;
	for (size_t i = 0; i < cap; i++) {
		const struct sl_source *src = all ? &cli->cfg->sources[i] : sl_cli_source(cli, x->o->sources[i]);
		if (src == NULL)
			return SL_EXIT_USAGE;
		for (size_t k = 0; k < x->npick; k++)
			if (x->pick[k].src == src)
				src = NULL;
		if (src == NULL)
			continue;
		int64_t sid = 0, snap = 0, gen, at;
		int rc = sl_catalog_source_id(cli->cat, src->name, &sid);
		if (rc == 0 && x->o->approved_only)
			rc = sl_catalog_published_get(cli->cat, sid, &snap, &gen, &at);
		else if (rc == 0)
			rc = sl_catalog_snapshots(cli->cat, sid, -1, pick_newest, &snap);
		if (rc < 0 && rc != -SL_E_NOTFOUND)
			return SL_EXIT_FAIL;
		if (snap == 0) {
			fprintf(stderr, "sluice: %s: no %s snapshot to export%s\n", src->name,
				x->o->approved_only ? "published" : "verified", all ? " (skipped)" : "");
			if (!all)
				return SL_EXIT_FAIL;
			continue;
		}
		x->pick[x->npick++] = (struct picked){ .src = src, .source_id = sid, .snap_id = snap };
	}
	if (x->npick == 0) {
		fprintf(stderr, "sluice: nothing to export\n");
		return SL_EXIT_FAIL;
	}
	qsort(x->pick, x->npick, sizeof *x->pick, cmp_pick);
	return SL_EXIT_OK;
}

/* --ack FILE: the inside's clear-signed list of what it holds. Each `held` line naming a snapshot of ours
 * that we still have makes its objects "already there". */
static int read_ack(struct exp *x, char ack_sha[SL_SHA256_HEX])
{
	struct sl_cli *cli = x->cli;
	if (cli->cfg->export_ack_keyring == NULL) {
		fprintf(stderr, "sluice: --ack needs [export] ack_keyring (the inside's public key, from its "
				"sluice keys export)\n");
		return SL_EXIT_USAGE;
	}
	char *data = NULL;
	size_t len = 0;
	int rc = sl_fs_read_file(x->o->ack, SL_MAX_BUNDLE_ACK, &data, &len);
	if (rc < 0) {
		fprintf(stderr, "sluice: %s: %s\n", x->o->ack, sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	sl_digest_sha256(data, len, ack_sha);
	char home[SL_MAX_PATH], *cause = NULL;
	snprintf(home, sizeof home, "%s/gnupg/export-ack", cli->cfg->state_dir);
	struct sl_gpg *g = sl_gpg_new(home, cli->cfg->export_ack_keyring, NULL, 0, &cause);
	struct sl_gpg_result res = { 0 };
	rc = g != NULL ? sl_gpg_verify_clearsigned(g, data, len, &res) : -SL_E_SIGNATURE;
	free(data);
	sl_gpg_free(g);
	if (rc < 0) {
		fprintf(stderr, "sluice: %s: not an acknowledgement signed by a key of %s: %s\n", x->o->ack,
			cli->cfg->export_ack_keyring, res.reason ? res.reason : cause ? cause : sl_strerror(rc));
		free(cause);
		sl_gpg_result_release(&res);
		return SL_EXIT_VERIFY;
	}
	free(cause);
	int code = SL_EXIT_OK;
	unsigned held = 0;
	char *save = NULL;
	bool first = true;
	for (char *line = strtok_r(res.text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *f[6] = { 0 };
		int nf = 0;
		for (char *p = line; p != NULL && nf < 6; nf++) {
			f[nf] = p;
			p = strchr(p, '\t');
			if (p != NULL)
				*p++ = '\0';
		}
		if (first) {
			first = false;
			if (nf != 2 || strcmp(f[0], "sluice-ack") != 0 || strcmp(f[1], "1") != 0) {
				fprintf(stderr, "sluice: %s: not a sluice acknowledgement\n", x->o->ack);
				code = SL_EXIT_FAIL;
				break;
			}
			continue;
		}
		if (nf != 5 || strcmp(f[0], "held") != 0 || strcmp(f[1], x->fpr) != 0)
			continue;   /* another exporter's, or lines for later formats */
		char *end = NULL;
		long long snap = strtoll(f[3], &end, 10);
		bool exists = false;
		if (end == f[3] || *end != '\0' || snap <= 0 || !sl_digest_valid_sha256(f[4]))
			continue;
		if (sl_catalog_bundle_snapshot_by_digest(cli->cat, f[2], snap, f[4], &exists) < 0) {
			code = SL_EXIT_FAIL;
			break;
		}
		if (exists && sl_catalog_bundle_export_snapshot(cli->cat, x->seq, snap, true) == 0)
			held++;
	}
	sl_gpg_result_release(&res);
	if (code == SL_EXIT_OK && !x->cli->json)
		fprintf(stderr, "sluice: the acknowledgement names %u snapshot(s) the inside holds\n", held);
	return code;
}

static int write_entry(void *arg, const struct sl_entry *e)
{
	return sl_bundle_write_entry(arg, e);
}

static int write_change(void *arg, const struct sl_entry *e, const char *base_sha256)
{
	(void)base_sha256;
	return e->sha256 == NULL ? sl_bundle_write_drop(arg, e->path) : sl_bundle_write_entry(arg, e);
}

static int note_candidate(void *arg, const struct sl_entry *e, const char *base_sha256)
{
	if (e->sha256 == NULL || base_sha256 == NULL || strcmp(e->sha256, base_sha256) == 0)
		return 0;
	return sl_bundle_plan_candidate(arg, e->sha256, e->size, base_sha256);
}

static int note_carried(void *arg, const char *sha256, uint64_t size)
{
	(void)size;
	return sl_bundle_plan_carried(arg, sha256);
}

/* Per source, the base the inside holds (if any), and the plan of what it can build from it. */
static int plan_deltas(struct exp *x)
{
	struct sl_cli *cli = x->cli;
	bool any = false;
	for (size_t i = 0; i < x->npick; i++) {
		struct picked *pk = &x->pick[i];
		int rc = sl_catalog_bundle_export_base(cli->cat, x->seq, pk->source_id, &pk->base_id);
		struct sl_snapshot_info s;
		if (rc == 0 && pk->base_id != 0 && (rc = sl_catalog_snapshot_get(cli->cat, pk->base_id, &s)) == 0) {
			snprintf(pk->base_digest, sizeof pk->base_digest, "%s", s.content_digest);
			sl_snapshot_info_release(&s);
			any = true;
			rc = sl_catalog_bundle_export_changes(cli->cat, pk->snap_id, pk->base_id, NULL, note_candidate,
							      x->plan);
		}
		if (rc < 0) {
			fprintf(stderr, "sluice: %s: cannot work out the changes since the inside's snapshot: %s\n",
				pk->src->name, sl_strerror(rc));
			return rc;
		}
	}
	x->format = any ? SL_BUNDLE_FORMAT_DELTA : SL_BUNDLE_FORMAT;
	if (!any)
		return 0;
	int rc = sl_catalog_bundle_export_objects(cli->cat, x->seq, note_carried, x->plan);
	char *cause = NULL;
	if (rc == 0)
		rc = sl_bundle_plan_make(x->plan, &cause);
	if (rc < 0)
		fprintf(stderr, "sluice: cannot make the delta's patches: %s\n", cause ? cause : sl_strerror(rc));
	free(cause);
	return rc;
}

static int put_object(struct exp *x, const char *sha256, uint64_t size)
{
	/* A new volume once this one has objects and this one would overflow it; an object larger than the
	 * volume size gets a volume of its own. */
	if (x->o->volume_size > 0 && x->vol_bytes > 0 && x->vol_bytes + size > x->o->volume_size) {
		x->volume++;
		x->vol_bytes = 0;
	}
	x->vol_bytes += size;
	x->n_objects++;
	x->object_bytes += size;
	struct sl_bundle_object o = { .size = size, .volume = x->volume };
	snprintf(o.sha256, sizeof o.sha256, "%s", sha256);
	return sl_bundle_write_object(x->mf, &o);
}

/* The carried objects in digest order: those the store query names, less what the inside builds, plus the
 * patches it builds from. */
static int write_object(void *arg, const char *sha256, uint64_t size)
{
	struct exp *x = arg;
	const struct sl_bundle_object *pt;
	int rc = 0;
	while (rc == 0 && (pt = sl_bundle_plan_patch(x->plan, x->next_patch)) != NULL &&
	       strcmp(pt->sha256, sha256) <= 0) {
		x->next_patch++;
		if (strcmp(pt->sha256, sha256) < 0)
			rc = put_object(x, pt->sha256, pt->size);
	}
	if (rc == 0 && !sl_bundle_plan_replaced(x->plan, sha256))
		rc = put_object(x, sha256, size);
	return rc;
}

static int write_rest(struct exp *x)
{
	const struct sl_bundle_object *pt;
	int rc = 0;
	while (rc == 0 && (pt = sl_bundle_plan_patch(x->plan, x->next_patch)) != NULL) {
		x->next_patch++;
		rc = put_object(x, pt->sha256, pt->size);
	}
	for (size_t i = 0; rc == 0 && i < sl_bundle_plan_builds(x->plan); i++)
		rc = sl_bundle_write_build(x->mf, sl_bundle_plan_build(x->plan, i));
	return rc;
}

static int write_manifest(struct exp *x, const struct sl_bundle_header *h)
{
	struct sl_cli *cli = x->cli;
	x->mf = fopen(x->manifest_path, "w");
	if (x->mf == NULL) {
		fprintf(stderr, "sluice: %s: %s\n", x->manifest_path, strerror(errno));
		return -errno;
	}
	int rc = sl_bundle_write_header(x->mf, h);
	for (size_t i = 0; rc == 0 && i < x->npick; i++) {
		struct sl_snapshot_info s;
		rc = sl_catalog_snapshot_get(cli->cat, x->pick[i].snap_id, &s);
		if (rc < 0)
			break;
		struct sl_bundle_source bs = {
			.snapshot_id = s.id, .upstream_date = s.upstream_date, .n_entries = s.n_entries,
			.total_bytes = s.total_bytes, .summary = s.summary_json,
		};
		snprintf(bs.name, sizeof bs.name, "%s", x->pick[i].src->name);
		snprintf(bs.type, sizeof bs.type, "%s", x->pick[i].src->format->name);
		snprintf(bs.content_digest, sizeof bs.content_digest, "%s", s.content_digest);
		rc = sl_bundle_write_source(x->mf, &bs);
		sl_snapshot_info_release(&s);
		const struct picked *pk = &x->pick[i];
		struct sl_bundle_delta d = { .base_snapshot = pk->base_id };
		memcpy(d.base_digest, pk->base_digest, sizeof d.base_digest);
		if (rc == 0 && pk->base_id != 0)
			rc = sl_catalog_bundle_export_changes(cli->cat, pk->snap_id, pk->base_id, &d.n_listed, NULL, NULL);
		if (rc == 0 && pk->base_id != 0)
			rc = sl_bundle_write_delta_of(x->mf, &d);
		if (rc == 0 && pk->base_id != 0)
			rc = sl_catalog_bundle_export_changes(cli->cat, pk->snap_id, pk->base_id, NULL, write_change, x->mf);
		else if (rc == 0)
			rc = sl_catalog_snapshot_entries(cli->cat, pk->snap_id, write_entry, x->mf);
	}
	x->volume = 1;
	if (rc == 0)
		rc = sl_catalog_bundle_export_objects(cli->cat, x->seq, write_object, x);
	if (rc == 0)
		rc = write_rest(x);
	struct sl_bundle_end e = { .n_sources = x->npick, .n_objects = x->n_objects, .object_bytes = x->object_bytes,
				   .volumes = x->volume, .n_builds = sl_bundle_plan_builds(x->plan) };
	if (rc == 0)
		rc = sl_bundle_write_end(x->mf, x->format, &e);
	if (fflush(x->mf) != 0 || fsync(fileno(x->mf)) != 0)
		rc = rc < 0 ? rc : -errno;
	fclose(x->mf);
	x->mf = NULL;
	if (rc < 0)
		fprintf(stderr, "sluice: cannot write the manifest %s: %s\n", x->manifest_path, sl_strerror(rc));
	return rc;
}

/* One tar member header: regular file, 0444, owner 0, the bundle's creation time (reproducible). */
static int member_header(struct archive *a, const char *name, uint64_t size, int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	if (e == NULL)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0444);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	int rc = archive_write_header(a, e);
	archive_entry_free(e);
	return rc == ARCHIVE_OK ? 0 : -SL_E_ARCHIVE;
}

static int member_buf(struct archive *a, const char *name, const void *data, size_t len, int64_t mtime)
{
	int rc = member_header(a, name, len, mtime);
	if (rc == 0 && len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len)
		rc = -SL_E_ARCHIVE;
	return rc;
}

/* Copy fd (size bytes) into the current member; hash when want_sha is set and compare. */
static int member_copy(struct exp *x, struct archive *a, int fd, uint64_t size, const char *want_sha, char *buf)
{
	struct sl_hasher *h = want_sha != NULL ? sl_hasher_new(SL_HASH_SHA256) : NULL;
	if (want_sha != NULL && h == NULL)
		return -ENOMEM;
	uint64_t left = size;
	int rc = 0;
	while (left > 0 && rc == 0) {
		ssize_t n = read(fd, buf, left < SL_BUNDLE_COPY_BYTES ? (size_t)left : SL_BUNDLE_COPY_BYTES);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -SL_E_SIZE;
			break;
		}
		if (h != NULL)
			sl_hasher_update(h, buf, (size_t)n);
		if (archive_write_data(a, buf, (size_t)n) != n)
			rc = -SL_E_ARCHIVE;
		left -= (uint64_t)n;
		if (want_sha != NULL)
			sl_bundle_progress_add(&x->prog, (uint64_t)n);
	}
	if (h != NULL) {
		char got[SL_SHA256_HEX];
		if (rc == 0 && (sl_hasher_final(h, NULL, NULL, got, NULL) < 0 || strcmp(got, want_sha) != 0))
			rc = -SL_E_DIGEST;
		sl_hasher_free(h);
	}
	return rc;
}

static int write_volume(struct exp *x, unsigned k, unsigned n, const char *sig, size_t siglen, char *buf,
			char *path_out, size_t cap)
{
	struct sl_cli *cli = x->cli;
	char name[128], tmp[SL_MAX_PATH], text[128];
	snprintf(name, sizeof name, SL_BUNDLE_NAME_FMT, (long long)x->seq, k, n);
	snprintf(path_out, cap, "%s/%s", x->o->to, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", x->o->to, name);
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "sluice: %s: %s\n", tmp, strerror(errno));
		return -errno;
	}
	struct archive *a = archive_write_new();
	int rc = a != NULL && archive_write_set_format_pax_restricted(a) == ARCHIVE_OK &&
		 archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK && archive_write_open_fd(a, fd) == ARCHIVE_OK
		 ? 0 : -SL_E_ARCHIVE;
	/* MANIFEST from its temp file, then the signature and the volume's identity. */
	int mfd = rc == 0 ? open(x->manifest_path, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	if (rc == 0 && (mfd < 0 || fstat(mfd, &st) != 0))
		rc = -errno;
	if (rc == 0)
		rc = member_header(a, "MANIFEST", (uint64_t)st.st_size, x->created);
	if (rc == 0)
		rc = member_copy(x, a, mfd, (uint64_t)st.st_size, NULL, buf);
	if (mfd >= 0)
		close(mfd);
	if (rc == 0)
		rc = member_buf(a, "MANIFEST.sig", sig, siglen, x->created);
	int tl = snprintf(text, sizeof text, "%lld %u %u\n", (long long)x->seq, k, n);
	if (rc == 0)
		rc = member_buf(a, "VOLUME", text, (size_t)tl, x->created);
	/* This volume's objects, in manifest (digest) order. */
	FILE *mf = rc == 0 ? fopen(x->manifest_path, "r") : NULL;
	struct sl_bundle_reader *r = mf != NULL ? sl_bundle_reader_file(mf) : NULL;
	if (rc == 0 && r == NULL)
		rc = -ENOMEM;
	uint64_t count = 0, unwritten = 0;
	char *cause = NULL;
	int t;
	while (rc == 0 && (t = sl_bundle_next(r, &cause)) > 0) {
		if (t != SL_BREC_OBJECT)
			continue;
		const struct sl_bundle_object *o = sl_bundle_object(r);
		if (o->volume < k)
			continue;
		if (o->volume > k)
			break;
		int ofd = -1;
		uint64_t osize = 0;
		rc = sl_store_open_object(cli->store, o->sha256, &ofd, &osize);
		if (rc == 0 && osize != o->size)
			rc = -SL_E_SIZE;
		char mname[80];
		snprintf(mname, sizeof mname, "objects/%s", o->sha256);
		if (rc == 0)
			rc = member_header(a, mname, o->size, x->created);
		if (rc == 0)
			rc = member_copy(x, a, ofd, o->size, o->sha256, buf);
		if (ofd >= 0)
			close(ofd);
		unwritten += o->size;
		if (unwritten >= WRITEBACK_STEP) {
			sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);   /* a hint: failure only costs time */
			unwritten = 0;
		}
		if (rc < 0)
			fprintf(stderr, "sluice: store object %s: %s%s\n", o->sha256, sl_strerror(rc),
				rc == -SL_E_DIGEST || rc == -SL_E_SIZE ? " (corrupt store: run sluice verify)" : "");
		count++;
	}
	if (rc == 0 && t < 0) {
		fprintf(stderr, "sluice: re-reading the manifest: %s\n", cause ? cause : sl_strerror(t));
		rc = t;
	}
	free(cause);
	sl_bundle_reader_free(r);
	if (mf != NULL)
		fclose(mf);
	tl = snprintf(text, sizeof text, "%u %" PRIu64 "\n", k, count);
	if (rc == 0)
		rc = member_buf(a, "END", text, (size_t)tl, x->created);
	if (a != NULL && archive_write_close(a) != ARCHIVE_OK && rc == 0)
		rc = -SL_E_ARCHIVE;
	if (rc == -SL_E_ARCHIVE && a != NULL)
		fprintf(stderr, "sluice: %s: %s\n", tmp, archive_error_string(a) ? archive_error_string(a) : "archive error");
	archive_write_free(a);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path_out) != 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static int sign_manifest(struct exp *x, char **sig, size_t *siglen, char digest[SL_SHA256_HEX])
{
	char *data = NULL;
	size_t len = 0;
	int rc = sl_fs_read_file(x->manifest_path, SL_MAX_BUNDLE_MANIFEST, &data, &len);
	if (rc < 0) {
		fprintf(stderr, "sluice: manifest %s: %s (at most %u bytes)\n", x->manifest_path, sl_strerror(rc),
			(unsigned)SL_MAX_BUNDLE_MANIFEST);
		return rc;
	}
	sl_digest_sha256(data, len, digest);
	rc = sl_keys_sign(x->keys, SL_SIGN_DETACHED, data, len, sig, siglen);
	free(data);
	if (rc < 0)
		fprintf(stderr, "sluice: cannot sign the manifest with sluice's key: %s\n", sl_strerror(rc));
	return rc;
}

static void audit(struct exp *x, const char *base, unsigned volumes)
{
	struct sl_cli *cli = x->cli;
	for (size_t i = 0; i < x->npick; i++) {
		struct sl_snapshot_info s;
		if (sl_catalog_snapshot_get(cli->cat, x->pick[i].snap_id, &s) < 0)
			continue;
		char reason[512];
		snprintf(reason, sizeof reason, "bundle %lld by exporter %s (base %s): %" PRIu64 " object(s), %" PRIu64
			 " bytes, %u volume(s) in %s", (long long)x->seq, x->fpr, base, x->n_objects, x->object_bytes,
			 volumes, x->o->to);
		struct sl_audit_entry e = {
			.actor = cli->actor, .action = "export", .source = x->pick[i].src->name,
			.snapshot_id = s.id, .content_digest = s.content_digest, .reason = reason,
		};
		if (sl_catalog_audit_append(cli->cat, &e) < 0)
			fprintf(stderr, "sluice: warning: cannot record the export in the audit log\n");
		sl_snapshot_info_release(&s);
	}
}

static int run(struct exp *x)
{
	struct sl_cli *cli = x->cli;
	int code = choose(x);
	if (code != SL_EXIT_OK)
		return code;
	char *cause = NULL;
	x->keys = sl_keys_open(cli->cfg->gnupg_home, 0, &cause);
	char fprs[1][41];
	if (x->keys == NULL || sl_keys_signers(x->keys, fprs, 1) != 1) {
		fprintf(stderr, "sluice: sluice's signing key (%s): %s\n", cli->cfg->gnupg_home,
			cause ? cause : "no active key (sluice init)");
		free(cause);
		return SL_EXIT_FAIL;
	}
	for (int i = 0; i < 40; i++)
		x->fpr[i] = (char)(fprs[0][i] >= 'a' && fprs[0][i] <= 'f' ? fprs[0][i] - 32 : fprs[0][i]);
	x->fpr[40] = '\0';
	int rc = sl_fs_mkdirs(x->o->to, 0755);
	if (rc < 0) {
		fprintf(stderr, "sluice: %s: %s\n", x->o->to, sl_strerror(rc));
		return SL_EXIT_FAIL;
	}
	struct sl_bundle_header h = { .base = SL_BASE_FULL };
	char base[96] = "full";
	if (x->o->since > 0) {
		bool known = false;
		if (sl_catalog_bundle_export_known(cli->cat, x->o->since, &known) < 0 || !known) {
			fprintf(stderr, "sluice: --since %lld: no such bundle was written here (see sluice audit)\n",
				(long long)x->o->since);
			return SL_EXIT_USAGE;
		}
		h.base = SL_BASE_SINCE;
		h.base_since = (uint64_t)x->o->since;
		snprintf(base, sizeof base, "since %lld", (long long)x->o->since);
	}
	if (x->o->ack != NULL)
		snprintf(base, sizeof base, "ack");
	rc = sl_catalog_bundle_export_begin(cli->cat, x->fpr, base, &x->seq);
	for (size_t i = 0; rc == 0 && i < x->npick; i++)
		rc = sl_catalog_bundle_export_snapshot(cli->cat, x->seq, x->pick[i].snap_id, false);
	if (rc == 0 && x->o->since > 0)
		rc = sl_catalog_bundle_export_since(cli->cat, x->seq, x->o->since);
	if (rc < 0)
		return SL_EXIT_FAIL;
	if (x->o->ack != NULL) {
		code = read_ack(x, h.base_ack);
		if (code != SL_EXIT_OK)
			return code;
		h.base = SL_BASE_ACK;
		snprintf(base, sizeof base, "ack %.16s", h.base_ack);
	}
	x->plan = sl_bundle_plan_new(cli->store, cli->cfg->export_rebuild_compressed);
	if (x->plan == NULL || plan_deltas(x) < 0)
		return SL_EXIT_FAIL;
	h.format = x->format;
	x->created = time(NULL);
	memcpy(h.exporter, x->fpr, sizeof h.exporter);
	h.sequence = (uint64_t)x->seq;
	h.created = x->created;
	h.valid_until = x->created + cli->cfg->export_valid_for_ms / 1000;
	snprintf(x->manifest_path, sizeof x->manifest_path, "%s/.bundle-%06lld.manifest", x->o->to, (long long)x->seq);
	if (write_manifest(x, &h) < 0)
		return SL_EXIT_FAIL;
	char *sig = NULL, digest[SL_SHA256_HEX];
	size_t siglen = 0;
	if (sign_manifest(x, &sig, &siglen, digest) < 0) {
		unlink(x->manifest_path);
		return SL_EXIT_FAIL;
	}
	char *buf = malloc(SL_BUNDLE_COPY_BYTES);
	json_t *arr = cli->json ? json_array() : NULL;
	sl_bundle_progress_start(&x->prog, cli->tty && !cli->json, "export", x->object_bytes);
	for (unsigned k = 1; buf != NULL && k <= x->volume; k++) {
		char path[SL_MAX_PATH];
		rc = write_volume(x, k, x->volume, sig, siglen, buf, path, sizeof path);
		if (rc < 0)
			break;
		if (arr != NULL)
			json_array_append_new(arr, json_string(path));
		else
			printf("%s\n", path);
	}
	sl_bundle_progress_end(&x->prog);
	free(buf);
	free(sig);
	unlink(x->manifest_path);
	if (buf == NULL || rc < 0) {
		json_decref(arr);
		fprintf(stderr, "sluice: export of bundle %lld failed; volumes already written are incomplete as a set\n",
			(long long)x->seq);
		return SL_EXIT_FAIL;
	}
	if (sl_catalog_bundle_export_done(cli->cat, x->seq, digest, x->n_objects, x->object_bytes, x->volume) < 0)
		return SL_EXIT_FAIL;
	audit(x, base, x->volume);
	char size[32];
	sl_units_format_size(x->object_bytes, size, sizeof size);
	fprintf(stderr, "sluice: bundle %lld (base %s): %zu source(s), %" PRIu64 " object(s), %s in %u volume(s)\n",
		(long long)x->seq, base, x->npick, x->n_objects, size, x->volume);
	if (sl_bundle_plan_targets(x->plan) > 0) {
		sl_units_format_size(sl_bundle_plan_saved(x->plan), size, sizeof size);
		fprintf(stderr, "sluice: %zu changed file(s) travel as patches the inside rebuilds from what it holds "
			"(%s fewer)\n", sl_bundle_plan_targets(x->plan), size);
	}
	if (arr != NULL)
		sl_cli_json_out(arr);   /* the volumes' paths, as printed without --json */
	return SL_EXIT_OK;
}

int sl_bundle_export(struct sl_cli *cli, const struct sl_bundle_export_opts *o)
{
	struct exp x = { .cli = cli, .o = o };
	int code = run(&x);
	sl_keys_free(x.keys);
	sl_bundle_plan_free(x.plan);
	free(x.pick);
	return code;
}
