/* snapfix: test fixture for everything that consumes snapshots (publishers, diff, gc, served). Makes a
 * throw-away STATE directory (mkdtemp under /tmp) holding a real catalogue (STATE/catalog.db) and store
 * (STATE/store), and inserts snapshots as a syncer would leave them: contents stored, artifacts recorded,
 * entries added, sealed, moved along the legal states up to the one asked for.
 *
 * Ownership: sl_snapfix_new() -> sl_snapfix_free(), which closes everything and removes the directory.
 * The catalogue and store handles are borrowed from the fixture. Failures print a line on stderr saying
 * why and return NULL or a negative code, so a test can assert on them. */
#ifndef SL_SNAPFIX_H
#define SL_SNAPFIX_H

#include <stddef.h>
#include <stdint.h>

#include "core/catalog.h"

struct sl_store;
struct sl_snapfix;

struct sl_snapfix_entry {
	const char *path;        /* as served; inserted as is (even a hostile one, for negative tests) */
	const char *role;        /* "pool", "index", "release"... */
	const char *meta_json;   /* may be NULL */
	const void *data;        /* content; when NULL, the content of the file `file` */
	size_t len;
	const char *file;
};

/* New state dir with source `source` of type `format` in the catalogue. */
struct sl_snapfix *sl_snapfix_new(const char *source, const char *format);
void sl_snapfix_free(struct sl_snapfix *f);

const char *sl_snapfix_state_dir(const struct sl_snapfix *f);
/* STATE/public (not created). */
const char *sl_snapfix_public_dir(const struct sl_snapfix *f);
struct sl_catalog *sl_snapfix_catalog(struct sl_snapfix *f);
struct sl_store *sl_snapfix_store(struct sl_snapfix *f);
int64_t sl_snapfix_source_id(const struct sl_snapfix *f);

/* Snapshot of the fixture's source with these entries, left in `state` (syncing, verified, pending,
 * failed or rejected; published and superseded only come from publishing). All in one transaction. */
int sl_snapfix_snapshot(struct sl_snapfix *f, const struct sl_snapfix_entry *entries, size_t n,
			enum sl_snap_state state, int64_t *snap_id);
/* Same for another source (from sl_catalog_source_ensure on the fixture's catalogue). */
int sl_snapfix_snapshot_for(struct sl_snapfix *f, int64_t source_id, const struct sl_snapfix_entry *entries,
			    size_t n, enum sl_snap_state state, int64_t *snap_id);

#endif
