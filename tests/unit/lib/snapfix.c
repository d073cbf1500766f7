/* snapfix: a state directory with a catalogue and a store, and snapshots put in it like a syncer would. */
#include "tests/unit/lib/snapfix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/store.h"

struct sl_snapfix {
	char state_dir[64];
	char public_dir[96];
	struct sl_catalog *cat;
	struct sl_store *store;
	int64_t source_id;
};

struct sl_snapfix *sl_snapfix_new(const char *source, const char *format)
{
	struct sl_snapfix *f = calloc(1, sizeof *f);
	if (f == NULL)
		return NULL;
	snprintf(f->state_dir, sizeof f->state_dir, "/tmp/sl-snapfix-XXXXXX");
	if (mkdtemp(f->state_dir) == NULL) {
		perror("snapfix: mkdtemp");
		free(f);
		return NULL;
	}
	snprintf(f->public_dir, sizeof f->public_dir, "%s/public", f->state_dir);
	char db[128], *cause = NULL;
	snprintf(db, sizeof db, "%s/catalog.db", f->state_dir);
	f->cat = sl_catalog_open(db, 0, &cause);
	if (f->cat != NULL)
		f->store = sl_store_open(f->state_dir, &cause);
	int r = (f->cat != NULL && f->store != NULL) ? 0 : -1;
	if (r == 0)
		r = sl_catalog_source_ensure(f->cat, source, format, &f->source_id);
	if (r != 0) {
		fprintf(stderr, "snapfix: %s: %s\n", f->state_dir,
			cause != NULL ? cause : (r < -1 ? sl_strerror(r) : "open failed"));
		free(cause);
		sl_snapfix_free(f);
		return NULL;
	}
	return f;
}

void sl_snapfix_free(struct sl_snapfix *f)
{
	if (f == NULL)
		return;
	sl_catalog_free(f->cat);
	sl_store_free(f->store);
	sl_fs_rmtree(f->state_dir);
	free(f);
}

const char *sl_snapfix_state_dir(const struct sl_snapfix *f)
{
	return f->state_dir;
}

const char *sl_snapfix_public_dir(const struct sl_snapfix *f)
{
	return f->public_dir;
}

struct sl_catalog *sl_snapfix_catalog(struct sl_snapfix *f)
{
	return f->cat;
}

struct sl_store *sl_snapfix_store(struct sl_snapfix *f)
{
	return f->store;
}

int64_t sl_snapfix_source_id(const struct sl_snapfix *f)
{
	return f->source_id;
}

static int add_entry(struct sl_snapfix *f, int64_t snap, const struct sl_snapfix_entry *e)
{
	const void *data = e->data;
	size_t len = e->len;
	char *buf = NULL;
	if (data == NULL) {
		int r = sl_fs_read_file(e->file, (size_t)SL_MAX_MEMORY_BODY * 8, &buf, &len);
		if (r < 0) {
			fprintf(stderr, "snapfix: %s: %s\n", e->file, sl_strerror(r));
			return r;
		}
		data = buf;
	}
	/* Fixtures put thousands of objects: skip the ones already stored, defer the fsyncs to one
	 * sl_store_sync() before the snapshot is recorded. */
	char digest[SL_SHA256_HEX];
	sl_digest_sha256(data, len, digest);
	int r = 0;
	if (!sl_store_has(f->store, digest)) {
		struct sl_store_expect ex = { .sha256 = digest, .size = (int64_t)len };
		char *cause = NULL;
		struct sl_store_writer *w = sl_store_writer_new(f->store, &ex, SL_STORE_DEFER_SYNC, &cause);
		if (w == NULL) {
			fprintf(stderr, "snapfix: store: %s\n", cause != NULL ? cause : "?");
			free(cause);
			free(buf);
			return -EIO;
		}
		r = sl_store_writer_write(w, data, len);
		if (r == 0)
			r = sl_store_writer_commit(w, NULL);
		else
			sl_store_writer_abort(w, false);
	}
	free(buf);
	if (r == 0)
		r = sl_catalog_artifact_add(f->cat, digest, len, NULL, NULL);
	if (r == 0) {
		struct sl_entry ce = {
			.path = e->path,
			.sha256 = digest,
			.size = len,
			.role = e->role,
			.meta_json = e->meta_json,
		};
		r = sl_catalog_snapshot_add_entry(f->cat, snap, &ce);
	}
	if (r < 0)
		fprintf(stderr, "snapfix: entry %s: %s\n", e->path, sl_strerror(r));
	return r;
}

int sl_snapfix_snapshot_for(struct sl_snapfix *f, int64_t source_id, const struct sl_snapfix_entry *entries,
			    size_t n, enum sl_snap_state state, int64_t *snap_id)
{
	/* Legal path through the states: syncing -> verified -> pending, or a detour to failed/rejected. */
	static const enum sl_snap_state path_pending[] = { SL_SNAP_VERIFIED, SL_SNAP_PENDING };
	static const enum sl_snap_state path_rejected[] = { SL_SNAP_VERIFIED, SL_SNAP_PENDING, SL_SNAP_REJECTED };
	static const enum sl_snap_state path_failed[] = { SL_SNAP_FAILED };
	const enum sl_snap_state *steps = NULL;
	size_t nsteps = 0;
	switch (state) {
	case SL_SNAP_SYNCING:
		break;
	case SL_SNAP_VERIFIED:
	case SL_SNAP_PENDING:
		steps = path_pending;
		nsteps = state == SL_SNAP_VERIFIED ? 1 : 2;
		break;
	case SL_SNAP_FAILED:
		steps = path_failed;
		nsteps = 1;
		break;
	case SL_SNAP_REJECTED:
		steps = path_rejected;
		nsteps = 3;
		break;
	default:
		fprintf(stderr, "snapfix: state %s only comes from publishing\n", sl_snap_state_name(state));
		return -SL_E_STATE;
	}
	int64_t snap = 0, run = 0;
	int r = sl_catalog_begin(f->cat);
	if (r == 0)
		r = sl_catalog_run_begin(f->cat, source_id, &run);
	if (r == 0)
		r = sl_catalog_snapshot_new(f->cat, source_id, run, &snap);
	for (size_t i = 0; i < n && r == 0; i++)
		r = add_entry(f, snap, &entries[i]);
	if (r == 0)
		r = sl_store_sync(f->store);
	if (r == 0)
		r = sl_catalog_snapshot_seal(f->cat, snap, 0, NULL);
	enum sl_snap_state cur = SL_SNAP_SYNCING;
	for (size_t i = 0; i < nsteps && r == 0; i++) {
		r = sl_catalog_snapshot_transition(f->cat, snap, cur, steps[i], "snapfix");
		cur = steps[i];
	}
	if (r == 0)
		r = sl_catalog_run_end(f->cat, run, SL_RUN_OK, 0, 0, NULL);
	if (r == 0)
		r = sl_catalog_commit(f->cat);
	if (r < 0) {
		fprintf(stderr, "snapfix: snapshot: %s\n", sl_strerror(r));
		sl_catalog_rollback(f->cat);
		return r;
	}
	*snap_id = snap;
	return 0;
}

int sl_snapfix_snapshot(struct sl_snapfix *f, const struct sl_snapfix_entry *entries, size_t n,
			enum sl_snap_state state, int64_t *snap_id)
{
	return sl_snapfix_snapshot_for(f, f->source_id, entries, n, state, snap_id);
}
