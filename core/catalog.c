/* catalog: the catalogue's connection — open and migrate, the statement cache, transactions — and the
 * sources and their sync runs. Per-source state, HTTP validators and cool-downs live in catalog_state.c,
 * snapshots in catalog_snapshot.c, the audit log in catalog_audit.c. */
#include "core/catalog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/catalog_int.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/migrations.h"

#define RUN_COLS "id, source_id, started_at, coalesce(ended_at, 0), outcome, bytes, requests, message " \
	"FROM sync_runs"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_SOURCE_ENSURE] = "INSERT INTO sources(name, type, created_at) VALUES (?1, ?2, ?3) "
		"ON CONFLICT(name) DO UPDATE SET type = excluded.type RETURNING id",
	[ST_SOURCE_ID] = "SELECT id FROM sources WHERE name = ?1",
	[ST_SOURCE_NEXT_RUN] = "SELECT next_run_at FROM sources WHERE id = ?1",
	[ST_SOURCE_SET_NEXT_RUN] = "UPDATE sources SET next_run_at = ?2 WHERE id = ?1",
	[ST_RUN_BEGIN] = "INSERT INTO sync_runs(source_id, started_at) VALUES (?1, ?2)",
	[ST_RUN_END] = "UPDATE sync_runs SET ended_at = ?2, outcome = ?3, bytes = ?4, requests = ?5, "
		"message = ?6 WHERE id = ?1 AND outcome = 'running'",
	[ST_RUN_EXISTS] = "SELECT 1 FROM sync_runs WHERE id = ?1",
	[ST_RUN_LAST] = "SELECT " RUN_COLS " WHERE source_id = ?1 ORDER BY started_at DESC, id DESC LIMIT 1",
	[ST_RUN_LAST_OK] = "SELECT " RUN_COLS " WHERE source_id = ?1 AND outcome IN ('ok', 'unchanged') "
		"ORDER BY started_at DESC, id DESC LIMIT 1",
	[ST_RECOVER_RUNS] = "UPDATE sync_runs SET outcome = 'interrupted', ended_at = ?1 "
		"WHERE outcome = 'running'",
	[ST_RECOVER_SNAPS] = "UPDATE snapshots SET state = 'failed', reason = 'interrupted', "
		"state_changed_at = ?1 WHERE state = 'syncing'",
};

#define GET(id, op) sl_cat_get(c, (id), stmt_sql[id], (op))

static const char *const run_outcome_names[] = {
	[SL_RUN_RUNNING] = "running", [SL_RUN_OK] = "ok", [SL_RUN_UNCHANGED] = "unchanged",
	[SL_RUN_FAILED] = "failed",   [SL_RUN_INTERRUPTED] = "interrupted",
};
#define N_RUN_OUTCOMES (sizeof run_outcome_names / sizeof run_outcome_names[0])

/* ---- shared helpers (catalog_int.h) ---- */

int sl_cat_fail(struct sl_catalog *c, const char *op)
{
	sl_log_err(NULL, "catalogue %s: %s: %s", c->path, op, sqlite3_errmsg(c->db));
	return -SL_E_CATALOG;
}

int64_t sl_cat_now(void)
{
	return (int64_t)time(NULL);
}

sqlite3_stmt *sl_cat_get(struct sl_catalog *c, enum sl_cat_st id, const char *text, const char *op)
{
	sqlite3_stmt *s = NULL;
	if (c->st[id] != NULL && !sqlite3_stmt_busy(c->st[id]))
		return c->st[id];
	unsigned pflags = c->st[id] == NULL ? SQLITE_PREPARE_PERSISTENT : 0;
	if (sqlite3_prepare_v3(c->db, text, -1, pflags, &s, NULL) != SQLITE_OK) {
		sl_cat_fail(c, op);
		return NULL;
	}
	if (c->st[id] == NULL)
		c->st[id] = s;
	return s;
}

void sl_cat_put(struct sl_catalog *c, enum sl_cat_st id, sqlite3_stmt *s)
{
	if (s == NULL)
		return;
	if (s != c->st[id]) {
		sqlite3_finalize(s);
		return;
	}
	/* reset repeats the last step's error, which the caller has already handled. */
	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
}

int sl_cat_run(struct sl_catalog *c, enum sl_cat_st id, sqlite3_stmt *s, const char *op, int *changes)
{
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_CONSTRAINT_TRIGGER) {
		sl_log_debug(NULL, "catalogue %s: %s refused: %s", c->path, op, sqlite3_errmsg(c->db));
		ret = -SL_E_STATE;
	} else if (rc != SQLITE_DONE) {
		ret = sl_cat_fail(c, op);
	} else if (changes != NULL) {
		*changes = sqlite3_changes(c->db);
	}
	sl_cat_put(c, id, s);
	return ret;
}

int sl_cat_one_i64(struct sl_catalog *c, enum sl_cat_st id, sqlite3_stmt *s, const char *op, int64_t *out)
{
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		ret = -SL_E_NOTFOUND;
	else
		ret = sl_cat_fail(c, op);
	sl_cat_put(c, id, s);
	return ret;
}

int sl_cat_tx_open(struct sl_catalog *c, bool *nested, const char *op)
{
	*nested = !sqlite3_get_autocommit(c->db);
	const char *text = *nested ? "SAVEPOINT sl_catalog" : "BEGIN IMMEDIATE";
	if (sqlite3_exec(c->db, text, NULL, NULL, NULL) != SQLITE_OK)
		return sl_cat_fail(c, op);
	return 0;
}

int sl_cat_tx_close(struct sl_catalog *c, bool nested, int ret, const char *op)
{
	if (ret == 0) {
		if (sqlite3_exec(c->db, nested ? "RELEASE sl_catalog" : "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
			return 0;
		ret = sl_cat_fail(c, op);
	}
	/* SQLite may already have rolled the whole transaction back (disk full, I/O error). */
	if (sqlite3_get_autocommit(c->db))
		return ret;
	const char *undo = nested ? "ROLLBACK TO sl_catalog; RELEASE sl_catalog" : "ROLLBACK";
	if (sqlite3_exec(c->db, undo, NULL, NULL, NULL) != SQLITE_OK)
		sl_cat_fail(c, "rollback");
	return ret;
}

char *sl_cat_col_strdup(sqlite3_stmt *s, int i, bool *oom)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	if (t == NULL)
		return NULL;
	char *d = strdup((const char *)t);
	if (d == NULL)
		*oom = true;
	return d;
}

void sl_cat_hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- open, migrate, close ---- */

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(s, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* Versions and emptiness of the file, checked before and again inside the migration transaction. */
static int check_version(struct sl_catalog *c, int *version, char **cause)
{
	int known = (int)sl_migrations_count, objects = 0;
	if (pragma_int(c->db, "PRAGMA user_version", version) != SQLITE_OK ||
	    pragma_int(c->db, "SELECT count(*) FROM sqlite_schema", &objects) != SQLITE_OK) {
		sl_cause(cause, 0, "catalogue %s: cannot read schema version: %s", c->path, sqlite3_errmsg(c->db));
		return -SL_E_CATALOG;
	}
	if (*version > known) {
		sl_cause(cause, 0, "catalogue %s: schema version %d is newer than this build of sluice knows "
			  "(%d); install the sluice version that wrote it", c->path, *version, known);
		return -SL_E_UNSUPPORTED;
	}
	if (*version == 0 && objects > 0) {
		sl_cause(cause, 0, "catalogue %s: not a sluice catalogue (tables present, user_version 0)",
			  c->path);
		return -SL_E_CATALOG;
	}
	if (c->readonly && *version < known) {
		sl_cause(cause, 0, "catalogue %s: schema version %d is older than this build needs (%d) and a "
			  "read-only open never migrates; run `sluice status` once to upgrade it",
			  c->path, *version, known);
		return -SL_E_STATE;
	}
	return 0;
}

/* All pending migrations in one transaction, with foreign keys off so a migration may rebuild a table
 * (SQLite's 12-step ALTER); foreign_key_check must come back empty before the commit. */
static int migrate(struct sl_catalog *c, char **cause)
{
	int known = (int)sl_migrations_count, from = 0, ret;
	ret = check_version(c, &from, cause);
	if (ret != 0 || from == known || c->readonly)
		return ret;
	if (sqlite3_exec(c->db, "PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		sl_cause(cause, 0, "catalogue %s: cannot lock for migration: %s", c->path, sqlite3_errmsg(c->db));
		return -SL_E_CATALOG;
	}
	ret = check_version(c, &from, cause); /* another process may have migrated meanwhile */
	for (int v = from + 1; ret == 0 && v <= known; v++) {
		const struct sl_migration *m = &sl_migrations[v - 1];
		if (m->version != v || sqlite3_exec(c->db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
			sl_cause(cause, 0, "catalogue %s: migration %s failed: %s", c->path, m->name,
				  sqlite3_errmsg(c->db));
			ret = -SL_E_CATALOG;
		}
	}
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", known);
	if (ret == 0 && sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		sl_cause(cause, 0, "catalogue %s: cannot set schema version: %s", c->path, sqlite3_errmsg(c->db));
		ret = -SL_E_CATALOG;
	}
	int dangling = 0;
	if (ret == 0 && (pragma_int(c->db, "SELECT count(*) FROM pragma_foreign_key_check", &dangling) !=
			 SQLITE_OK || dangling != 0)) {
		sl_cause(cause, 0, "catalogue %s: migration to %d leaves %d dangling references", c->path, known,
			  dangling);
		ret = -SL_E_CATALOG;
	}
	if (ret == 0 && sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sl_cause(cause, 0, "catalogue %s: cannot commit migration: %s", c->path, sqlite3_errmsg(c->db));
		ret = -SL_E_CATALOG;
	}
	if (ret != 0 && !sqlite3_get_autocommit(c->db))
		(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL); /* failure already in *cause */
	if (sqlite3_exec(c->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK && ret == 0) {
		sl_cause(cause, 0, "catalogue %s: cannot enable foreign keys: %s", c->path, sqlite3_errmsg(c->db));
		ret = -SL_E_CATALOG;
	}
	if (ret == 0 && from != known)
		sl_log_info(NULL, "catalogue %s: schema upgraded from version %d to %d", c->path, from, known);
	return ret;
}

static bool wal_mode(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	bool wal = false;
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *mode = sqlite3_column_text(s, 0);
		wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
	}
	sqlite3_finalize(s);
	return wal;
}

static int configure(struct sl_catalog *c, char **cause)
{
	sqlite3 *db = c->db;
	int on = 0;
	if (sqlite3_extended_result_codes(db, 1) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, SL_SQLITE_BUSY_MS) != SQLITE_OK ||
	    /* Hardening: no writable_schema tricks, no functions with side effects in schema objects. */
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &on) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
	    /* KiB, also the sorter's in-memory run: peak RSS is a cap (32 MB at 60,000 packages) and the
	     * catalogue is ~40 MB there, so the cache holds the hot pages, not the database. */
	    sqlite3_exec(db, "PRAGMA cache_size = -2048", NULL, NULL, NULL) != SQLITE_OK)   /* CATALOG_CACHE_KIB */
		goto fail;
	if (c->readonly) {
		/* Belt and braces over SQLITE_OPEN_READONLY: served must never write. */
		if (sqlite3_exec(db, "PRAGMA query_only = ON", NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		return 0;
	}
	if (!wal_mode(db)) {
		sl_cause(cause, 0, "catalogue %s: cannot switch to WAL mode: %s", c->path, sqlite3_errmsg(db));
		return -SL_E_CATALOG;
	}
	/* Keep -wal and -shm after the last writer closes: sluice-served, which may not write to STATE,
	 * can then still open the catalogue read-only. */
	int persist = 1;
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist) != SQLITE_OK)
		goto fail;
	/* In WAL, NORMAL loses at most the last transactions on power loss, never consistency. */
	if (sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	sl_cause(cause, 0, "catalogue %s: cannot configure: %s", c->path, sqlite3_errmsg(db));
	return -SL_E_CATALOG;
}

struct sl_catalog *sl_catalog_open(const char *path, unsigned flags, char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	if ((flags & ~SL_CATALOG_READONLY) != 0) {
		sl_cause(cause, 0, "catalogue %s: unknown open flags %#x", path, flags);
		return NULL;
	}
	struct sl_catalog *c = calloc(1, sizeof *c);
	char *copy = strdup(path);
	if (c == NULL || copy == NULL) {
		free(c);
		free(copy);
		sl_cause(cause, 0, "catalogue %s: out of memory", path);
		return NULL;
	}
	c->path = copy;
	c->readonly = (flags & SL_CATALOG_READONLY) != 0;
	int oflags = (c->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
		     SQLITE_OPEN_NOMUTEX;
	int rc = sqlite3_open_v2(path, &c->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		sl_cause(cause, 0, "catalogue %s: cannot open: %s", path,
			  c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto fail;
	}
	if (configure(c, cause) != 0 || migrate(c, cause) != 0)
		goto fail;
	return c;
fail:
	if (cause != NULL && *cause == NULL)
		sl_cause(cause, 0, "catalogue %s: %s", path, c->db ? sqlite3_errmsg(c->db) : "open failed");
	sl_catalog_free(c);
	return NULL;
}

void sl_catalog_free(struct sl_catalog *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	/* An open transaction is rolled back by close: a caller that did not commit meant nothing. */
	if (c->db != NULL && sqlite3_close(c->db) != SQLITE_OK)
		sl_log_err(NULL, "catalogue %s: close: %s", c->path, sqlite3_errmsg(c->db));
	free(c->path);
	free(c);
}

int sl_catalog_schema_version(struct sl_catalog *c)
{
	int v = 0;
	if (pragma_int(c->db, "PRAGMA user_version", &v) != SQLITE_OK)
		return sl_cat_fail(c, "schema version");
	return v;
}

int sl_catalog_begin(struct sl_catalog *c)
{
	if (!sqlite3_get_autocommit(c->db))
		return -SL_E_STATE;
	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sl_cat_fail(c, "begin");
	return 0;
}

#define CATALOG_CACHE_KIB 2048   /* KiB: the page cache configure() sets (see there) */

int sl_catalog_cache_kib(struct sl_catalog *c, int kib)
{
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA cache_size = %d", -(kib > 0 ? kib : CATALOG_CACHE_KIB));
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sl_cat_fail(c, "cache_size");
	sqlite3_db_release_memory(c->db);
	return 0;
}

/* SQLite decides where a transaction's statement journals go when it begins (sqlite3TempInMemory()), so the
 * setting is made before BEGIN and undone after the end. A temp_store change outside a transaction only
 * drops temporary tables, of which the catalogue has none. */
int sl_catalog_begin_bulk(struct sl_catalog *c)
{
	if (!sqlite3_get_autocommit(c->db))
		return -SL_E_STATE;
	if (sqlite3_exec(c->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL) != SQLITE_OK)
		return sl_cat_fail(c, "temp_store");
	int rc = sl_catalog_begin(c);
	if (rc < 0) {
		(void)sqlite3_exec(c->db, "PRAGMA temp_store = DEFAULT", NULL, NULL, NULL);
		return rc;
	}
	c->bulk = true;
	return 0;
}

static int bulk_end(struct sl_catalog *c, int ret)
{
	if (!c->bulk || !sqlite3_get_autocommit(c->db))
		return ret;
	c->bulk = false;
	if (sqlite3_exec(c->db, "PRAGMA temp_store = DEFAULT", NULL, NULL, NULL) != SQLITE_OK && ret == 0)
		ret = sl_cat_fail(c, "temp_store");
	return ret;
}

int sl_catalog_commit(struct sl_catalog *c)
{
	if (sqlite3_get_autocommit(c->db))
		return -SL_E_STATE;
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int ret = sl_cat_fail(c, "commit");
		if (!sqlite3_get_autocommit(c->db))
			(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return bulk_end(c, ret);
	}
	return bulk_end(c, 0);
}

int sl_catalog_rollback(struct sl_catalog *c)
{
	if (sqlite3_get_autocommit(c->db))
		return -SL_E_STATE;
	if (sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		return bulk_end(c, sl_cat_fail(c, "rollback"));
	return bulk_end(c, 0);
}

/* ---- sources ---- */

int sl_catalog_source_ensure(struct sl_catalog *c, const char *name, const char *type, int64_t *id_out)
{
	if (name == NULL || type == NULL || name[0] == '\0' || type[0] == '\0' ||
	    sl_cat_too_long(name, SL_MAX_NAME) || sl_cat_too_long(type, SL_MAX_NAME))
		return -SL_E_BADNAME;
	sqlite3_stmt *s = GET(ST_SOURCE_ENSURE, "source ensure");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_text(s, 1, name) | sl_cat_bind_text(s, 2, type) |
	     sl_cat_bind_i64(s, 3, sl_cat_now())) != SQLITE_OK) {
		sl_cat_put(c, ST_SOURCE_ENSURE, s);
		return sl_cat_fail(c, "source ensure");
	}
	int64_t id = 0;
	int ret = sl_cat_one_i64(c, ST_SOURCE_ENSURE, s, "source ensure", &id);
	if (ret == 0 && id_out != NULL)
		*id_out = id;
	return ret;
}

/* Statements keyed by one integer id returning one integer. */
static int by_id_i64(struct sl_catalog *c, enum sl_cat_st id, const char *op, int64_t key, int64_t *out)
{
	sqlite3_stmt *s = GET(id, op);
	if (s == NULL)
		return -SL_E_CATALOG;
	if (sl_cat_bind_i64(s, 1, key) != SQLITE_OK) {
		sl_cat_put(c, id, s);
		return sl_cat_fail(c, op);
	}
	return sl_cat_one_i64(c, id, s, op, out);
}

int sl_catalog_source_id(struct sl_catalog *c, const char *name, int64_t *id_out)
{
	sqlite3_stmt *s = GET(ST_SOURCE_ID, "source id");
	if (s == NULL)
		return -SL_E_CATALOG;
	if (sl_cat_bind_text(s, 1, name) != SQLITE_OK) {
		sl_cat_put(c, ST_SOURCE_ID, s);
		return sl_cat_fail(c, "source id");
	}
	return sl_cat_one_i64(c, ST_SOURCE_ID, s, "source id", id_out);
}

int sl_catalog_source_next_run(struct sl_catalog *c, int64_t source_id, int64_t *at_out)
{
	return by_id_i64(c, ST_SOURCE_NEXT_RUN, "source next run", source_id, at_out);
}

int sl_catalog_source_set_next_run(struct sl_catalog *c, int64_t source_id, int64_t at)
{
	sqlite3_stmt *s = GET(ST_SOURCE_SET_NEXT_RUN, "source set next run");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_i64(s, 1, source_id) | sl_cat_bind_i64(s, 2, at)) != SQLITE_OK) {
		sl_cat_put(c, ST_SOURCE_SET_NEXT_RUN, s);
		return sl_cat_fail(c, "source set next run");
	}
	int n = 0;
	int ret = sl_cat_run(c, ST_SOURCE_SET_NEXT_RUN, s, "source set next run", &n);
	return ret == 0 && n == 0 ? -SL_E_NOTFOUND : ret;
}

/* ---- sync runs ---- */

const char *sl_run_outcome_name(enum sl_run_outcome o)
{
	return (unsigned)o < N_RUN_OUTCOMES ? run_outcome_names[o] : "unknown";
}

static int run_outcome_parse(const char *name, enum sl_run_outcome *out)
{
	for (unsigned i = 0; name != NULL && i < N_RUN_OUTCOMES; i++) {
		if (strcmp(name, run_outcome_names[i]) == 0) {
			*out = (enum sl_run_outcome)i;
			return 0;
		}
	}
	return -SL_E_PARSE;
}

int sl_catalog_run_begin(struct sl_catalog *c, int64_t source_id, int64_t *run_id_out)
{
	sqlite3_stmt *s = GET(ST_RUN_BEGIN, "run begin");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_i64(s, 1, source_id) | sl_cat_bind_i64(s, 2, sl_cat_now())) != SQLITE_OK) {
		sl_cat_put(c, ST_RUN_BEGIN, s);
		return sl_cat_fail(c, "run begin");
	}
	int ret = sl_cat_run(c, ST_RUN_BEGIN, s, "run begin", NULL);
	if (ret == 0 && run_id_out != NULL)
		*run_id_out = (int64_t)sqlite3_last_insert_rowid(c->db);
	return ret;
}

int sl_catalog_run_end(struct sl_catalog *c, int64_t run_id, enum sl_run_outcome outcome, uint64_t bytes,
		       uint64_t requests, const char *message)
{
	if (outcome == SL_RUN_RUNNING || (unsigned)outcome >= N_RUN_OUTCOMES)
		return -EINVAL;
	if (sl_cat_too_long(message, SL_MAX_REASON))
		return -SL_E_TOOBIG;
	sqlite3_stmt *s = GET(ST_RUN_END, "run end");
	if (s == NULL)
		return -SL_E_CATALOG;
	if ((sl_cat_bind_i64(s, 1, run_id) | sl_cat_bind_i64(s, 2, sl_cat_now()) |
	     sl_cat_bind_text(s, 3, run_outcome_names[outcome]) | sl_cat_bind_u64(s, 4, bytes) |
	     sl_cat_bind_u64(s, 5, requests) | sl_cat_bind_text(s, 6, message)) != SQLITE_OK) {
		sl_cat_put(c, ST_RUN_END, s);
		return sl_cat_fail(c, "run end");
	}
	int n = 0;
	int ret = sl_cat_run(c, ST_RUN_END, s, "run end", &n);
	if (ret != 0 || n == 1)
		return ret;
	/* Nothing changed: no such run, or it already ended (recover_interrupted got there first). */
	int64_t one = 0;
	ret = by_id_i64(c, ST_RUN_EXISTS, "run end", run_id, &one);
	return ret == 0 ? -SL_E_STATE : ret;
}

static int run_get(struct sl_catalog *c, enum sl_cat_st id, int64_t source_id, struct sl_run_info *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = GET(id, "run last");
	if (s == NULL)
		return -SL_E_CATALOG;
	int ret = 0, rc = sl_cat_bind_i64(s, 1, source_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		bool oom = false;
		out->id = sqlite3_column_int64(s, 0);
		out->source_id = sqlite3_column_int64(s, 1);
		out->started_at = sqlite3_column_int64(s, 2);
		out->ended_at = sqlite3_column_int64(s, 3);
		if (run_outcome_parse((const char *)sqlite3_column_text(s, 4), &out->outcome) != 0)
			out->outcome = SL_RUN_FAILED; /* the CHECK constraint makes this unreachable */
		out->bytes = (uint64_t)sqlite3_column_int64(s, 5);
		out->requests = (uint64_t)sqlite3_column_int64(s, 6);
		out->message = sl_cat_col_strdup(s, 7, &oom);
		ret = oom ? -ENOMEM : 0;
	} else if (rc == SQLITE_DONE) {
		ret = -SL_E_NOTFOUND;
	} else {
		ret = sl_cat_fail(c, "run last");
	}
	sl_cat_put(c, id, s);
	return ret;
}

int sl_catalog_run_last(struct sl_catalog *c, int64_t source_id, struct sl_run_info *out)
{
	return run_get(c, ST_RUN_LAST, source_id, out);
}

int sl_catalog_run_last_success(struct sl_catalog *c, int64_t source_id, struct sl_run_info *out)
{
	return run_get(c, ST_RUN_LAST_OK, source_id, out);
}

void sl_run_info_release(struct sl_run_info *r)
{
	if (r == NULL)
		return;
	free(r->message);
	r->message = NULL;
}

/* An UPDATE whose only parameter is ?1 = now. */
static int update_at(struct sl_catalog *c, enum sl_cat_st id, const char *op, int64_t now, int *changes)
{
	sqlite3_stmt *s = GET(id, op);
	if (s == NULL)
		return -SL_E_CATALOG;
	if (sl_cat_bind_i64(s, 1, now) != SQLITE_OK) {
		sl_cat_put(c, id, s);
		return sl_cat_fail(c, op);
	}
	return sl_cat_run(c, id, s, op, changes);
}

int sl_catalog_recover_interrupted(struct sl_catalog *c, int *count_out)
{
	bool nested;
	int runs = 0, snaps = 0;
	int ret = sl_cat_tx_open(c, &nested, "recover interrupted");
	if (ret != 0)
		return ret;
	int64_t now = sl_cat_now();
	ret = update_at(c, ST_RECOVER_RUNS, "recover interrupted runs", now, &runs);
	if (ret == 0)
		ret = update_at(c, ST_RECOVER_SNAPS, "recover interrupted snapshots", now, &snaps);
	ret = sl_cat_tx_close(c, nested, ret, "recover interrupted");
	if (ret == 0 && (runs > 0 || snaps > 0))
		sl_log_warn(NULL, "catalogue %s: %d interrupted sync run(s) and %d unfinished snapshot(s) "
			    "marked after an unclean stop", c->path, runs, snaps);
	if (ret == 0 && count_out != NULL)
		*count_out = runs;
	return ret;
}

/* One UPDATE bound with (?1 = now, ?2 = source id); not cached: it runs once per sync. */
static int update_source_at(struct sl_catalog *c, const char *sql, const char *op, int64_t now, int64_t source_id,
			    int *changes)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sl_cat_fail(c, op);
	int ret = 0, rc = sl_cat_bind_i64(s, 1, now) | sl_cat_bind_i64(s, 2, source_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		ret = sl_cat_fail(c, op);
	else
		*changes = sqlite3_changes(c->db);
	sqlite3_finalize(s);
	return ret;
}

int sl_catalog_recover_source(struct sl_catalog *c, int64_t source_id, int *count_out)
{
	bool nested;
	int runs = 0, snaps = 0;
	int ret = sl_cat_tx_open(c, &nested, "recover source");
	if (ret != 0)
		return ret;
	int64_t now = sl_cat_now();
	ret = update_source_at(c, "UPDATE sync_runs SET outcome = 'interrupted', ended_at = ?1, "
			       "message = coalesce(message, 'interrupted (crash or kill)') "
			       "WHERE outcome = 'running' AND source_id = ?2",
			       "recover the source's interrupted runs", now, source_id, &runs);
	if (ret == 0)
		ret = update_source_at(c, "UPDATE snapshots SET state = 'failed', reason = 'interrupted', "
				       "state_changed_at = ?1 WHERE state = 'syncing' AND source_id = ?2",
				       "recover the source's unfinished snapshots", now, source_id, &snaps);
	ret = sl_cat_tx_close(c, nested, ret, "recover source");
	if (ret == 0 && count_out != NULL)
		*count_out = runs + snaps;
	return ret;
}
