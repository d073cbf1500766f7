/* catalog_int: what the catalogue's own files share (catalog.c: connection, migrations, sources, runs,
 * small per-source/URL/host state; catalog_snapshot.c: artifacts, snapshots, verifications, the
 * published pointer; catalog_audit.c: the hash-chained audit log; catalog_chain.c: re-checks of stored snapshots). Not for use outside core/catalog*.c.
 *
 * Statements are prepared once per connection and cached in c->st[]; sl_cat_get() hands out the cached
 * one (or a fresh one when a callback re-enters a call whose statement is still stepping) and
 * sl_cat_put() resets it. SQLite errors are logged once, by sl_cat_fail(), naming the operation. */
#ifndef SL_CATALOG_INT_H
#define SL_CATALOG_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "core/catalog.h"

enum sl_cat_st {
	ST_SOURCE_ENSURE, ST_SOURCE_ID, ST_SOURCE_NEXT_RUN, ST_SOURCE_SET_NEXT_RUN,
	ST_RUN_BEGIN, ST_RUN_END, ST_RUN_EXISTS, ST_RUN_LAST, ST_RUN_LAST_OK,
	ST_RECOVER_RUNS, ST_RECOVER_SNAPS,
	ST_STATE_GET, ST_STATE_SET, ST_STATE_DEL,
	ST_HTTP_GET, ST_HTTP_PUT, ST_COOL_GET, ST_COOL_SET,
	ST_ARTIFACT_ADD, ST_ARTIFACT_SIZE,
	ST_SNAP_NEW, ST_SNAP_ADD_ENTRY, ST_SNAP_OWNER, ST_SNAP_ENTRIES, ST_SNAP_ENTRY, ST_SNAP_SEAL,
	ST_SNAP_TRANSITION, ST_SNAP_GET, ST_SNAP_LIST, ST_SNAP_DELETE, ST_DIGEST_REF,
	ST_VERIF_ADD, ST_VERIF_LIST, ST_PUB_GET, ST_PUB_SET,
	ST_AUDIT_LAST, ST_AUDIT_ADD, ST_AUDIT_LIST,
	ST_CHAIN_ADD, ST_CHAIN_LAST,
	ST_COUNT
};

struct sl_catalog {
	sqlite3 *db;
	char *path;
	bool readonly;
	bool bulk;          /* in sl_catalog_begin_bulk()'s transaction: temp_store is MEMORY until it ends */
	sqlite3_stmt *st[ST_COUNT];
};

int sl_cat_fail(struct sl_catalog *c, const char *op);
sqlite3_stmt *sl_cat_get(struct sl_catalog *c, enum sl_cat_st id, const char *sql, const char *op);
void sl_cat_put(struct sl_catalog *c, enum sl_cat_st id, sqlite3_stmt *s);
/* Step a statement that returns no row; *changes (may be NULL) gets the rows changed. A trigger's
 * RAISE becomes -SL_E_STATE (an illegal state, not a catalogue failure). Puts the statement back. */
int sl_cat_run(struct sl_catalog *c, enum sl_cat_st id, sqlite3_stmt *s, const char *op, int *changes);
/* Step a statement with one integer result: 0, -SL_E_NOTFOUND or -SL_E_CATALOG. Puts it back. */
int sl_cat_one_i64(struct sl_catalog *c, enum sl_cat_st id, sqlite3_stmt *s, const char *op, int64_t *out);
/* An atomic group: BEGIN IMMEDIATE, or a savepoint inside the caller's sl_catalog_begin(). */
int sl_cat_tx_open(struct sl_catalog *c, bool *nested, const char *op);
/* Commit when ret == 0, else roll back; returns ret or the commit's failure. */
int sl_cat_tx_close(struct sl_catalog *c, bool nested, int ret, const char *op);

/* A statement prepared for one call (not cached: for rare operations), NULL after logging the failure.
 * The caller finalizes it. */
static inline sqlite3_stmt *sl_cat_prep(struct sl_catalog *c, const char *sql, const char *op)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sl_cat_fail(c, op);
		return NULL;
	}
	return s;
}

/* Heap copy of a text column (NULL stays NULL; *oom set on allocation failure). */
char *sl_cat_col_strdup(sqlite3_stmt *s, int i, bool *oom);
void sl_cat_hex(const unsigned char *b, size_t n, char *out);
int64_t sl_cat_now(void);

/* Bind helpers return the SQLite code; callers OR them and test once. */
static inline int sl_cat_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v == NULL ? sqlite3_bind_null(s, i) : sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static inline int sl_cat_bind_i64(sqlite3_stmt *s, int i, int64_t v)
{
	return sqlite3_bind_int64(s, i, (sqlite3_int64)v);
}

static inline int sl_cat_bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? SQLITE_TOOBIG : sqlite3_bind_int64(s, i, (sqlite3_int64)v);
}

/* Text longer than `cap` bytes (names, reasons) is a caller bug or hostile input: refused. */
static inline bool sl_cat_too_long(const char *s, size_t cap)
{
	return s != NULL && strnlen(s, cap + 1) > cap;
}

#endif
