/* test_catalog: the catalogue against real SQLite files — open and migrations, the snapshot state
 * machine (also raced by two processes), seals, foreign keys, recovery, the published pointer and the
 * small state tables. The audit log has its own program, test_catalog_audit.c. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "core/catalog.h"
#include "core/error.h"
#include "core/migrations.h"

#include "tests/unit/lib/tmpdir.h"

struct fx {
	char *dir;
	char db[1024];
	struct sl_catalog *c;
	int64_t src;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->dir = sl_test_tmpdir_new();
	assert_non_null(f->dir);
	snprintf(f->db, sizeof f->db, "%s/catalog.db", f->dir);
	char *cause = NULL;
	f->c = sl_catalog_open(f->db, 0, &cause);
	assert_null(cause);
	assert_non_null(f->c);
	assert_int_equal(sl_catalog_source_ensure(f->c, "debian", "apt", &f->src), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	sl_catalog_free(f->c);
	sl_test_tmpdir_free(f->dir);
	free(f);
	return 0;
}

static void dig(uint64_t n, char out[SL_SHA256_HEX])
{
	snprintf(out, SL_SHA256_HEX, "%064" PRIx64, n);
}

/* Raw SQL on a second connection, as an operator with sqlite3 would. Returns the SQLite code. */
static int raw(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(h, 5000);
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	}
	sqlite3_close(h);
	return rc;
}

static int64_t raw_int(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static void add_artifact(struct sl_catalog *c, uint64_t n, uint64_t size)
{
	char d[SL_SHA256_HEX];
	dig(n, d);
	assert_int_equal(sl_catalog_artifact_add(c, d, size, "application/octet-stream", NULL), 0);
}

static void add_entry(struct sl_catalog *c, int64_t snap, const char *path, uint64_t n, uint64_t size)
{
	char d[SL_SHA256_HEX];
	dig(n, d);
	struct sl_entry e = { .path = path, .sha256 = d, .size = size, .role = "pool" };
	assert_int_equal(sl_catalog_snapshot_add_entry(c, snap, &e), 0);
}

static enum sl_snap_state state_of(struct sl_catalog *c, int64_t snap)
{
	struct sl_snapshot_info info;
	assert_int_equal(sl_catalog_snapshot_get(c, snap, &info), 0);
	enum sl_snap_state s = info.state;
	sl_snapshot_info_release(&info);
	return s;
}

/* A new snapshot with one entry, driven along legal transitions into `target`. */
static int64_t snap_in(struct fx *f, enum sl_snap_state target)
{
	static const enum sl_snap_state path_to[][4] = {
		[SL_SNAP_SYNCING] = { SL_SNAP_SYNCING },
		[SL_SNAP_VERIFIED] = { SL_SNAP_VERIFIED },
		[SL_SNAP_FAILED] = { SL_SNAP_FAILED },
		[SL_SNAP_PENDING] = { SL_SNAP_VERIFIED, SL_SNAP_PENDING },
		[SL_SNAP_PUBLISHED] = { SL_SNAP_VERIFIED, SL_SNAP_PENDING, SL_SNAP_PUBLISHED },
		[SL_SNAP_REJECTED] = { SL_SNAP_VERIFIED, SL_SNAP_PENDING, SL_SNAP_REJECTED },
		[SL_SNAP_SUPERSEDED] = { SL_SNAP_VERIFIED, SL_SNAP_PENDING, SL_SNAP_PUBLISHED, SL_SNAP_SUPERSEDED },
	};
	int64_t snap;
	assert_int_equal(sl_catalog_snapshot_new(f->c, f->src, 0, &snap), 0);
	add_artifact(f->c, 1, 10);
	add_entry(f->c, snap, "pool/a.deb", 1, 10);
	assert_int_equal(sl_catalog_snapshot_seal(f->c, snap, 0, NULL), 0);
	enum sl_snap_state at = SL_SNAP_SYNCING;
	for (int i = 0; i < 4 && target != SL_SNAP_SYNCING; i++) {
		enum sl_snap_state next = path_to[target][i];
		assert_int_equal(sl_catalog_snapshot_transition(f->c, snap, at, next, "test"), 0);
		at = next;
		if (at == target)
			break;
	}
	assert_int_equal(state_of(f->c, snap), target);
	return snap;
}

/* ---- open and migrations ---- */

static void test_open_fresh(void **state)
{
	struct fx *f = *state;
	assert_int_equal(sl_catalog_schema_version(f->c), (int)sl_migrations_count);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), (int64_t)sl_migrations_count);
	sqlite3 *h;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open_v2(f->db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(h);
	/* Reopening a current file changes nothing; -wal and -shm outlive the writer for read-only users. */
	sl_catalog_free(f->c);
	char side[1040];
	snprintf(side, sizeof side, "%s-shm", f->db);
	assert_int_equal(access(side, F_OK), 0);
	snprintf(side, sizeof side, "%s-wal", f->db);
	assert_int_equal(access(side, F_OK), 0);
	char *cause = NULL;
	f->c = sl_catalog_open(f->db, 0, &cause);
	assert_non_null(f->c);
	int64_t id;
	assert_int_equal(sl_catalog_source_id(f->c, "debian", &id), 0);
	assert_int_equal(id, f->src);
}

static void test_migrate_from_each_version(void **state)
{
	struct fx *f = *state;
	for (size_t k = 0; k <= sl_migrations_count; k++) {
		char db[4096], sql[128];
		snprintf(db, sizeof db, "%s/v%zu.db", f->dir, k);
		assert_int_equal(raw(db, "PRAGMA journal_mode = WAL"), SQLITE_OK);
		for (size_t i = 0; i < k; i++)
			assert_int_equal(raw(db, sl_migrations[i].sql), SQLITE_OK);
		snprintf(sql, sizeof sql, "PRAGMA user_version = %zu", k);
		assert_int_equal(raw(db, sql), SQLITE_OK);
		if (k >= 1)
			assert_int_equal(raw(db, "INSERT INTO sources(name, type, created_at) "
						 "VALUES ('survivor', 'clamav', 1)"), SQLITE_OK);
		char *cause = NULL;
		struct sl_catalog *c = sl_catalog_open(db, 0, &cause);
		assert_null(cause);
		assert_non_null(c);
		assert_int_equal(sl_catalog_schema_version(c), (int)sl_migrations_count);
		int64_t id = 0;
		assert_int_equal(sl_catalog_source_id(c, "survivor", &id), k >= 1 ? 0 : -SL_E_NOTFOUND);
		/* The upgraded file works: a snapshot and an audit entry go in. */
		int64_t src, snap;
		assert_int_equal(sl_catalog_source_ensure(c, "new", "apt", &src), 0);
		assert_int_equal(sl_catalog_snapshot_new(c, src, 0, &snap), 0);
		sl_catalog_free(c);
	}
}

static void test_newer_version_refused(void **state)
{
	struct fx *f = *state;
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %zu", sl_migrations_count + 1);
	assert_int_equal(raw(f->db, sql), SQLITE_OK);
	char *cause = NULL;
	assert_null(sl_catalog_open(f->db, 0, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "newer"));
	free(cause);
	cause = NULL;
	assert_null(sl_catalog_open(f->db, SL_CATALOG_READONLY, &cause));
	assert_non_null(strstr(cause, "newer"));
	free(cause);
	/* Nothing was touched. */
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), (int64_t)sl_migrations_count + 1);
}

static void test_foreign_file_refused(void **state)
{
	struct fx *f = *state;
	char db[4096];
	snprintf(db, sizeof db, "%s/other.db", f->dir);
	assert_int_equal(raw(db, "CREATE TABLE t(x)"), SQLITE_OK);
	char *cause = NULL;
	assert_null(sl_catalog_open(db, 0, &cause));
	assert_non_null(strstr(cause, "not a sluice catalogue"));
	free(cause);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema"), 1);
	cause = NULL;
	assert_null(sl_catalog_open(f->db, 0x80, &cause));
	assert_non_null(strstr(cause, "flags"));
	free(cause);
}

static void test_readonly(void **state)
{
	struct fx *f = *state;
	int64_t snap = snap_in(f, SL_SNAP_PENDING);
	char *cause = NULL;
	struct sl_catalog *ro = sl_catalog_open(f->db, SL_CATALOG_READONLY, &cause);
	assert_null(cause);
	assert_non_null(ro);
	int64_t id;
	assert_int_equal(sl_catalog_source_id(ro, "debian", &id), 0);
	assert_int_equal(state_of(ro, snap), SL_SNAP_PENDING);
	assert_int_equal(sl_catalog_source_ensure(ro, "other", "apt", &id), -SL_E_CATALOG);
	assert_int_equal(sl_catalog_snapshot_transition(ro, snap, SL_SNAP_PENDING, SL_SNAP_PUBLISHED, NULL),
			 -SL_E_CATALOG);
	assert_int_equal(sl_catalog_http_put(ro, "http://127.0.0.1/x", "\"e\"", NULL), -SL_E_CATALOG);
	struct sl_audit_entry a = { .actor = "root", .action = "approve" };
	assert_int_equal(sl_catalog_audit_append(ro, &a), -SL_E_CATALOG);
	sl_catalog_free(ro);
	assert_int_equal(state_of(f->c, snap), SL_SNAP_PENDING);
	assert_int_equal(sl_catalog_source_id(f->c, "other", &id), -SL_E_NOTFOUND);

	/* Read-only never migrates: an older (here: empty) file is refused and left as it was. */
	char db[4096];
	snprintf(db, sizeof db, "%s/old.db", f->dir);
	assert_int_equal(raw(db, "PRAGMA user_version = 0"), SQLITE_OK);
	assert_null(sl_catalog_open(db, SL_CATALOG_READONLY, &cause));
	assert_non_null(strstr(cause, "older"));
	free(cause);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema"), 0);
	/* ... and a missing file is not created. */
	snprintf(db, sizeof db, "%s/missing.db", f->dir);
	cause = NULL;
	assert_null(sl_catalog_open(db, SL_CATALOG_READONLY, &cause));
	assert_non_null(cause);
	free(cause);
	assert_int_equal(access(db, F_OK), -1);
}

/* ---- snapshot state machine ---- */

static bool legal(enum sl_snap_state a, enum sl_snap_state b)
{
	return (a == SL_SNAP_SYNCING && (b == SL_SNAP_VERIFIED || b == SL_SNAP_FAILED)) ||
	       (a == SL_SNAP_VERIFIED && (b == SL_SNAP_PENDING || b == SL_SNAP_FAILED)) ||
	       (a == SL_SNAP_PENDING && (b == SL_SNAP_PUBLISHED || b == SL_SNAP_REJECTED)) ||
	       (a == SL_SNAP_PUBLISHED && b == SL_SNAP_SUPERSEDED) ||
	       (a == SL_SNAP_SUPERSEDED && b == SL_SNAP_PUBLISHED);
}

static void test_every_transition(void **state)
{
	struct fx *f = *state;
	int n_legal = 0;
	for (int a = SL_SNAP_SYNCING; a <= SL_SNAP_SUPERSEDED; a++) {
		for (int b = SL_SNAP_SYNCING; b <= SL_SNAP_SUPERSEDED; b++) {
			int64_t snap = snap_in(f, (enum sl_snap_state)a);
			/* Claiming the wrong current state never moves it. */
			enum sl_snap_state wrong = a == SL_SNAP_PENDING ? SL_SNAP_VERIFIED : SL_SNAP_PENDING;
			if (legal(wrong, (enum sl_snap_state)b))
				assert_int_equal(sl_catalog_snapshot_transition(f->c, snap, wrong, b, NULL),
						 -SL_E_STATE);
			int ret = sl_catalog_snapshot_transition(f->c, snap, a, b, "why");
			if (legal(a, b)) {
				n_legal++;
				assert_int_equal(ret, 0);
				assert_int_equal(state_of(f->c, snap), b);
			} else {
				assert_int_equal(ret, -SL_E_STATE);
				assert_int_equal(state_of(f->c, snap), a);
			}
		}
	}
	assert_int_equal(n_legal, 8);
	assert_int_equal(sl_catalog_snapshot_transition(f->c, 9999, SL_SNAP_PENDING, SL_SNAP_PUBLISHED, NULL),
			 -SL_E_NOTFOUND);
	/* syncing -> verified needs the seal. */
	int64_t snap;
	assert_int_equal(sl_catalog_snapshot_new(f->c, f->src, 0, &snap), 0);
	assert_int_equal(sl_catalog_snapshot_transition(f->c, snap, SL_SNAP_SYNCING, SL_SNAP_VERIFIED, NULL),
			 -SL_E_STATE);
	/* The schema refuses an illegal move made by hand, too. */
	char sql[128];
	snprintf(sql, sizeof sql, "UPDATE snapshots SET state = 'published' WHERE id = %" PRId64, snap);
	assert_int_equal(raw(f->db, sql), SQLITE_CONSTRAINT);
	assert_int_equal(state_of(f->c, snap), SL_SNAP_SYNCING);
	/* Names round-trip. */
	for (int s = SL_SNAP_SYNCING; s <= SL_SNAP_SUPERSEDED; s++) {
		enum sl_snap_state p;
		assert_int_equal(sl_snap_state_parse(sl_snap_state_name(s), &p), 0);
		assert_int_equal(p, s);
	}
	enum sl_snap_state p;
	assert_int_equal(sl_snap_state_parse("approved", &p), -SL_E_PARSE);
}

/* Two processes approve the same pending snapshot at the same moment: exactly one wins. */
static void test_race_two_processes(void **state)
{
	struct fx *f = *state;
	for (int round = 0; round < 5; round++) {
		int64_t snap = snap_in(f, SL_SNAP_PENDING);
		int go[2];
		assert_int_equal(pipe(go), 0);
		pid_t pid[2];
		for (int i = 0; i < 2; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				close(go[1]);
				struct sl_catalog *c = sl_catalog_open(f->db, 0, NULL);
				char b;
				if (c == NULL || read(go[0], &b, 1) != 1)
					_exit(3);
				int ret = sl_catalog_snapshot_transition(c, snap, SL_SNAP_PENDING,
									 SL_SNAP_PUBLISHED, "race");
				sl_catalog_free(c);
				_exit(ret == 0 ? 0 : ret == -SL_E_STATE ? 1 : 2);
			}
		}
		close(go[0]);
		assert_int_equal(write(go[1], "gg", 2), 2);
		close(go[1]);
		int wins = 0, losses = 0;
		for (int i = 0; i < 2; i++) {
			int st;
			assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
			assert_true(WIFEXITED(st));
			wins += WEXITSTATUS(st) == 0;
			losses += WEXITSTATUS(st) == 1;
		}
		assert_int_equal(wins, 1);
		assert_int_equal(losses, 1);
		assert_int_equal(state_of(f->c, snap), SL_SNAP_PUBLISHED);
	}
}

/* ---- entries and the seal ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int collect(void *arg, const struct sl_entry *e)
{
	char *buf = arg;
	strcat(buf, e->path);
	strcat(buf, "|");
	return 0;
}

static void test_seal_order_independent(void **state)
{
	struct fx *f = *state;
	static const char *paths[] = { "pool/main/b/b.deb", "dists/stable/Release", "pool/main/a/a.deb",
				       "Z-upper", "pool/main/a/a.dsc" };
	const size_t n = sizeof paths / sizeof paths[0];
	for (size_t i = 0; i < n; i++)
		add_artifact(f->c, 100 + i, 1000 + i);
	add_artifact(f->c, 999, 5);
	int64_t s1, s2;
	assert_int_equal(sl_catalog_snapshot_new(f->c, f->src, 0, &s1), 0);
	assert_int_equal(sl_catalog_snapshot_new(f->c, f->src, 0, &s2), 0);
	for (size_t i = 0; i < n; i++)
		add_entry(f->c, s1, paths[i], 100 + i, 1000 + i);
	add_entry(f->c, s2, paths[0], 999, 5); /* replaced below: same path, last one wins */
	for (size_t i = n; i-- > 0;)
		add_entry(f->c, s2, paths[i], 100 + i, 1000 + i);
	assert_int_equal(sl_catalog_snapshot_seal(f->c, s1, 1700000000, "{\"suite\":\"stable\"}"), 0);
	assert_int_equal(sl_catalog_snapshot_seal(f->c, s2, 1700000000, NULL), 0);

	struct sl_snapshot_info a, b;
	assert_int_equal(sl_catalog_snapshot_get(f->c, s1, &a), 0);
	assert_int_equal(sl_catalog_snapshot_get(f->c, s2, &b), 0);
	assert_string_equal(a.content_digest, b.content_digest);
	assert_int_equal(a.n_entries, n);
	assert_int_equal(a.total_bytes, 1000 * n + n * (n - 1) / 2);
	assert_int_equal(a.upstream_date, 1700000000);
	assert_string_equal(a.summary_json, "{\"suite\":\"stable\"}");
	assert_string_equal(a.source_name, "debian");
	assert_null(b.summary_json);

	/* The documented formula, computed here independently: SHA-256 over "path\0sha256\n", path order. */
	const char *sorted[8];
	memcpy(sorted, paths, sizeof paths);
	qsort(sorted, n, sizeof sorted[0], cmp_str);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	for (size_t i = 0; i < n; i++) {
		size_t orig = 0;
		while (strcmp(paths[orig], sorted[i]) != 0)
			orig++;
		char d[SL_SHA256_HEX];
		dig(100 + orig, d);
		EVP_DigestUpdate(md, sorted[i], strlen(sorted[i]) + 1);
		EVP_DigestUpdate(md, d, 64);
		EVP_DigestUpdate(md, "\n", 1);
	}
	unsigned char raw_md[32];
	unsigned int len;
	assert_int_equal(EVP_DigestFinal_ex(md, raw_md, &len), 1);
	EVP_MD_CTX_free(md);
	char hex[SL_SHA256_HEX];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw_md[i]);
	assert_string_equal(a.content_digest, hex);
	sl_snapshot_info_release(&a);
	sl_snapshot_info_release(&b);

	/* Entries come back in bytewise path order. */
	char buf[512] = "";
	assert_int_equal(sl_catalog_snapshot_entries(f->c, s2, collect, buf), 0);
	assert_string_equal(buf, "Z-upper|dists/stable/Release|pool/main/a/a.deb|pool/main/a/a.dsc|"
				 "pool/main/b/b.deb|");
	struct sl_entry e;
	assert_int_equal(sl_catalog_snapshot_entry(f->c, s2, paths[0], &e), 0);
	assert_int_equal(e.size, 1000);
	assert_string_equal(e.role, "pool");
	assert_null(e.meta_json);
	sl_entry_release(&e);
	assert_int_equal(sl_catalog_snapshot_entry(f->c, s2, "nope", &e), -SL_E_NOTFOUND);

	/* One different digest, a different seal. */
	int64_t s3;
	assert_int_equal(sl_catalog_snapshot_new(f->c, f->src, 0, &s3), 0);
	for (size_t i = 0; i < n; i++)
		add_entry(f->c, s3, paths[i], i == 2 ? 999 : 100 + i, 1000 + i);
	assert_int_equal(sl_catalog_snapshot_seal(f->c, s3, 0, NULL), 0);
	struct sl_snapshot_info c3;
	assert_int_equal(sl_catalog_snapshot_get(f->c, s3, &c3), 0);
	assert_string_not_equal(c3.content_digest, hex);
	sl_snapshot_info_release(&c3);

	/* Once syncing ends, entries and seal are frozen (API and hand-made SQL alike). */
	assert_int_equal(sl_catalog_snapshot_transition(f->c, s1, SL_SNAP_SYNCING, SL_SNAP_VERIFIED, NULL), 0);
	char d[SL_SHA256_HEX];
	dig(999, d);
	struct sl_entry extra = { .path = "extra", .sha256 = d, .size = 5, .role = "pool" };
	assert_int_equal(sl_catalog_snapshot_add_entry(f->c, s1, &extra), -SL_E_STATE);
	extra.path = paths[0];
	assert_int_equal(sl_catalog_snapshot_add_entry(f->c, s1, &extra), -SL_E_STATE);
	assert_int_equal(sl_catalog_snapshot_seal(f->c, s1, 0, NULL), -SL_E_STATE);
	char sql[128];
	snprintf(sql, sizeof sql, "DELETE FROM snapshot_entries WHERE snapshot_id = %" PRId64, s1);
	assert_int_equal(raw(f->db, sql), SQLITE_CONSTRAINT);
	snprintf(sql, sizeof sql, "UPDATE snapshots SET content_digest = '' WHERE id = %" PRId64, s1);
	assert_int_equal(raw(f->db, sql), SQLITE_CONSTRAINT);
	assert_int_equal(sl_catalog_snapshot_seal(f->c, 9999, 0, NULL), -SL_E_NOTFOUND);
}

static void test_foreign_keys_and_bad_input(void **state)
{
	struct fx *f = *state;
	int64_t snap;
	assert_int_equal(sl_catalog_snapshot_new(f->c, f->src, 0, &snap), 0);
	char d[SL_SHA256_HEX];
	dig(42, d);
	struct sl_entry e = { .path = "pool/x.deb", .sha256 = d, .size = 1, .role = "pool" };
	assert_int_equal(sl_catalog_snapshot_add_entry(f->c, snap, &e), -SL_E_CATALOG); /* unknown artifact */
	add_artifact(f->c, 42, 1);
	assert_int_equal(sl_catalog_snapshot_add_entry(f->c, 9999, &e), -SL_E_CATALOG); /* unknown snapshot */
	assert_int_equal(sl_catalog_snapshot_new(f->c, 9999, 0, &snap), -SL_E_CATALOG); /* unknown source */
	int64_t run;
	assert_int_equal(sl_catalog_run_begin(f->c, 9999, &run), -SL_E_CATALOG);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM snapshot_entries"), 0);

	assert_int_equal(sl_catalog_artifact_add(f->c, "ABC", 1, NULL, NULL), -SL_E_BADNAME);
	char upper[SL_SHA256_HEX];
	dig(7, upper);
	upper[0] = 'A';
	assert_int_equal(sl_catalog_artifact_add(f->c, upper, 1, NULL, NULL), -SL_E_BADNAME);
	assert_int_equal(sl_catalog_artifact_add(f->c, d, 1, "other", NULL), 0);   /* first sighting wins */
	assert_int_equal(sl_catalog_artifact_add(f->c, d, 2, NULL, NULL), -SL_E_SIZE);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM artifacts"), 1);

	char longpath[2048];
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[sizeof longpath - 1] = '\0';
	e.path = longpath;
	assert_int_equal(sl_catalog_snapshot_add_entry(f->c, snap, &e), -SL_E_TOOBIG);
	e.path = "";
	assert_int_equal(sl_catalog_snapshot_add_entry(f->c, snap, &e), -SL_E_BADNAME);
	int64_t id;
	assert_int_equal(sl_catalog_source_ensure(f->c, longpath, "apt", &id), -SL_E_BADNAME);
	assert_int_equal(sl_catalog_source_ensure(f->c, "", "apt", &id), -SL_E_BADNAME);
}

/* ---- runs, recovery ---- */

static void test_runs_and_recover(void **state)
{
	struct fx *f = *state;
	struct sl_run_info r;
	assert_int_equal(sl_catalog_run_last(f->c, f->src, &r), -SL_E_NOTFOUND);
	int64_t r1, r2;
	assert_int_equal(sl_catalog_run_begin(f->c, f->src, &r1), 0);
	assert_int_equal(sl_catalog_run_end(f->c, r1, SL_RUN_UNCHANGED, 123, 4, NULL), 0);
	assert_int_equal(sl_catalog_run_end(f->c, r1, SL_RUN_OK, 0, 0, NULL), -SL_E_STATE);
	assert_int_equal(sl_catalog_run_end(f->c, 9999, SL_RUN_OK, 0, 0, NULL), -SL_E_NOTFOUND);
	assert_int_equal(sl_catalog_run_end(f->c, r1, SL_RUN_RUNNING, 0, 0, NULL), -EINVAL);
	assert_int_equal(sl_catalog_run_begin(f->c, f->src, &r2), 0);
	int64_t syncing, verified;
	assert_int_equal(sl_catalog_snapshot_new(f->c, f->src, r2, &syncing), 0);
	verified = snap_in(f, SL_SNAP_VERIFIED);

	assert_int_equal(sl_catalog_run_last(f->c, f->src, &r), 0);
	assert_int_equal(r.id, r2);
	assert_int_equal(r.outcome, SL_RUN_RUNNING);
	sl_run_info_release(&r);
	assert_int_equal(sl_catalog_run_last_success(f->c, f->src, &r), 0);
	assert_int_equal(r.id, r1);
	assert_int_equal(r.bytes, 123);
	assert_int_equal(r.requests, 4);
	assert_string_equal(sl_run_outcome_name(r.outcome), "unchanged");
	sl_run_info_release(&r);

	int count = -1;
	assert_int_equal(sl_catalog_recover_interrupted(f->c, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(sl_catalog_run_last(f->c, f->src, &r), 0);
	assert_int_equal(r.outcome, SL_RUN_INTERRUPTED);
	assert_true(r.ended_at > 0);
	sl_run_info_release(&r);
	struct sl_snapshot_info info;
	assert_int_equal(sl_catalog_snapshot_get(f->c, syncing, &info), 0);
	assert_int_equal(info.state, SL_SNAP_FAILED);
	assert_string_equal(info.reason, "interrupted");
	assert_int_equal(info.run_id, r2);
	sl_snapshot_info_release(&info);
	assert_int_equal(state_of(f->c, verified), SL_SNAP_VERIFIED);
	/* The interrupted process's late run_end is refused, not applied. */
	assert_int_equal(sl_catalog_run_end(f->c, r2, SL_RUN_OK, 1, 1, "late"), -SL_E_STATE);
	assert_int_equal(sl_catalog_recover_interrupted(f->c, &count), 0);
	assert_int_equal(count, 0);
}

/* A sync holding one source's lock settles that source's leftovers only: another source's run may be
 * alive in another process. */
static void test_recover_one_source(void **state)
{
	struct fx *f = *state;
	int64_t other, r_mine, r_other, s_mine, s_other;
	assert_int_equal(sl_catalog_source_ensure(f->c, "other", "apt", &other), 0);
	assert_int_equal(sl_catalog_run_begin(f->c, f->src, &r_mine), 0);
	assert_int_equal(sl_catalog_snapshot_new(f->c, f->src, r_mine, &s_mine), 0);
	assert_int_equal(sl_catalog_run_begin(f->c, other, &r_other), 0);
	assert_int_equal(sl_catalog_snapshot_new(f->c, other, r_other, &s_other), 0);

	int count = -1;
	assert_int_equal(sl_catalog_recover_source(f->c, f->src, &count), 0);
	assert_int_equal(count, 2);   /* one run, one snapshot */
	struct sl_run_info r;
	assert_int_equal(sl_catalog_run_last(f->c, f->src, &r), 0);
	assert_int_equal(r.outcome, SL_RUN_INTERRUPTED);
	assert_true(r.ended_at > 0);
	sl_run_info_release(&r);
	struct sl_snapshot_info info;
	assert_int_equal(sl_catalog_snapshot_get(f->c, s_mine, &info), 0);
	assert_int_equal(info.state, SL_SNAP_FAILED);
	assert_string_equal(info.reason, "interrupted");
	sl_snapshot_info_release(&info);
	/* The other source is untouched. */
	assert_int_equal(sl_catalog_run_last(f->c, other, &r), 0);
	assert_int_equal(r.outcome, SL_RUN_RUNNING);
	sl_run_info_release(&r);
	assert_int_equal(state_of(f->c, s_other), SL_SNAP_SYNCING);
	/* Nothing left: a second call marks nothing; the killed process's late run_end is refused. */
	assert_int_equal(sl_catalog_recover_source(f->c, f->src, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(sl_catalog_run_end(f->c, r_mine, SL_RUN_OK, 1, 1, "late"), -SL_E_STATE);
}

/* ---- published pointer, delete, gc ---- */

static void test_published_and_delete(void **state)
{
	struct fx *f = *state;
	int64_t snap, gen, at, other_src;
	assert_int_equal(sl_catalog_published_get(f->c, f->src, &snap, &gen, &at), -SL_E_NOTFOUND);
	int64_t s1 = snap_in(f, SL_SNAP_PENDING);
	assert_int_equal(sl_catalog_published_set(f->c, f->src, s1, 1), -SL_E_STATE); /* not published yet */
	assert_int_equal(sl_catalog_begin(f->c), 0);
	assert_int_equal(sl_catalog_begin(f->c), -SL_E_STATE);
	assert_int_equal(sl_catalog_snapshot_transition(f->c, s1, SL_SNAP_PENDING, SL_SNAP_PUBLISHED, "ok"), 0);
	assert_int_equal(sl_catalog_published_set(f->c, f->src, s1, 1), 0);
	assert_int_equal(sl_catalog_commit(f->c), 0);
	assert_int_equal(sl_catalog_commit(f->c), -SL_E_STATE);
	assert_int_equal(sl_catalog_published_get(f->c, f->src, &snap, &gen, &at), 0);
	assert_int_equal(snap, s1);
	assert_int_equal(gen, 1);
	assert_true(at > 0);
	assert_int_equal(sl_catalog_source_ensure(f->c, "clamav", "clamav", &other_src), 0);
	assert_int_equal(sl_catalog_published_set(f->c, other_src, s1, 2), -SL_E_MISMATCH);

	/* Switch to s2; a rollback inside a transaction leaves everything as it was. */
	int64_t s2 = snap_in(f, SL_SNAP_PENDING);
	assert_int_equal(sl_catalog_begin(f->c), 0);
	assert_int_equal(sl_catalog_snapshot_transition(f->c, s1, SL_SNAP_PUBLISHED, SL_SNAP_SUPERSEDED, NULL), 0);
	assert_int_equal(sl_catalog_snapshot_transition(f->c, s2, SL_SNAP_PENDING, SL_SNAP_PUBLISHED, NULL), 0);
	assert_int_equal(sl_catalog_published_set(f->c, f->src, s2, 2), 0);
	assert_int_equal(sl_catalog_rollback(f->c), 0);
	assert_int_equal(state_of(f->c, s1), SL_SNAP_PUBLISHED);
	assert_int_equal(state_of(f->c, s2), SL_SNAP_PENDING);
	assert_int_equal(sl_catalog_published_get(f->c, f->src, &snap, &gen, NULL), 0);
	assert_int_equal(snap, s1);

	assert_int_equal(sl_catalog_snapshot_transition(f->c, s1, SL_SNAP_PUBLISHED, SL_SNAP_SUPERSEDED, NULL), 0);
	assert_int_equal(sl_catalog_snapshot_transition(f->c, s2, SL_SNAP_PENDING, SL_SNAP_PUBLISHED, NULL), 0);
	/* Still pointed to: a superseded snapshot cannot go until the pointer moves. */
	assert_int_equal(sl_catalog_snapshot_delete(f->c, s1), -SL_E_STATE);
	assert_int_equal(sl_catalog_published_set(f->c, f->src, s2, 1), -SL_E_STATE); /* generation must grow */
	assert_int_equal(sl_catalog_published_set(f->c, f->src, s2, 2), 0);
	assert_int_equal(sl_catalog_published_get(f->c, f->src, &snap, &gen, NULL), 0);
	assert_int_equal(snap, s2);
	assert_int_equal(gen, 2);

	/* Delete: only failed, rejected, superseded; entries and verifications go along. */
	int64_t failed = snap_in(f, SL_SNAP_FAILED), rejected = snap_in(f, SL_SNAP_REJECTED);
	int64_t verified = snap_in(f, SL_SNAP_VERIFIED), syncing = snap_in(f, SL_SNAP_SYNCING);
	assert_int_equal(sl_catalog_verification_add(f->c, s1, "Release", "signature", "ABCD", true, NULL), 0);
	assert_int_equal(sl_catalog_snapshot_delete(f->c, s2), -SL_E_STATE);
	assert_int_equal(sl_catalog_snapshot_delete(f->c, verified), -SL_E_STATE);
	assert_int_equal(sl_catalog_snapshot_delete(f->c, syncing), -SL_E_STATE);
	assert_int_equal(sl_catalog_snapshot_delete(f->c, 9999), -SL_E_NOTFOUND);
	int64_t pending = snap_in(f, SL_SNAP_PENDING);
	assert_int_equal(sl_catalog_snapshot_delete(f->c, pending), -SL_E_STATE);
	assert_int_equal(sl_catalog_snapshot_delete(f->c, failed), 0);
	assert_int_equal(sl_catalog_snapshot_delete(f->c, rejected), 0);
	assert_int_equal(sl_catalog_snapshot_delete(f->c, s1), 0);
	struct sl_snapshot_info info;
	assert_int_equal(sl_catalog_snapshot_get(f->c, s1, &info), -SL_E_NOTFOUND);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM verifications"), 0);
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM snapshot_entries WHERE snapshot_id = %" PRId64, s1);
	assert_int_equal(raw_int(f->db, sql), 0);
}

static void test_digest_referenced(void **state)
{
	struct fx *f = *state;
	char d[SL_SHA256_HEX];
	bool ref = true;
	dig(77, d);
	assert_int_equal(sl_catalog_digest_referenced(f->c, d, &ref), 0);
	assert_false(ref);
	add_artifact(f->c, 77, 3);
	int64_t keep = snap_in(f, SL_SNAP_SYNCING), drop = snap_in(f, SL_SNAP_SYNCING);
	add_entry(f->c, drop, "only-here", 77, 3);
	assert_int_equal(sl_catalog_digest_referenced(f->c, d, &ref), 0);
	assert_true(ref);
	assert_int_equal(sl_catalog_snapshot_transition(f->c, drop, SL_SNAP_SYNCING, SL_SNAP_FAILED, "x"), 0);
	assert_int_equal(sl_catalog_snapshot_delete(f->c, drop), 0);
	assert_int_equal(sl_catalog_digest_referenced(f->c, d, &ref), 0);
	assert_false(ref);
	dig(1, d); /* still in `keep` */
	assert_int_equal(sl_catalog_digest_referenced(f->c, d, &ref), 0);
	assert_true(ref);
	(void)keep;
}

/* ---- listing, verifications ---- */

static int count_cb(void *arg, const struct sl_snapshot_info *s)
{
	int64_t *last = arg;
	assert_true(last[0] == 0 || s->id < last[0]); /* newest first */
	last[0] = s->id;
	last[1]++;
	return s->id == last[2] ? 42 : 0;
}

static int verif_cb(void *arg, const struct sl_verification *v)
{
	int *n = arg;
	if (*n == 0) {
		assert_string_equal(v->subject, "InRelease");
		assert_true(v->passed);
		assert_string_equal(v->key_fpr, "0123ABCD");
	} else {
		assert_false(v->passed);
		assert_null(v->key_fpr);
		assert_string_equal(v->reason, "expired");
	}
	(*n)++;
	return 0;
}

static void test_lists(void **state)
{
	struct fx *f = *state;
	int64_t other;
	assert_int_equal(sl_catalog_source_ensure(f->c, "oci", "oci", &other), 0);
	int64_t a = snap_in(f, SL_SNAP_PENDING);
	snap_in(f, SL_SNAP_FAILED);
	int64_t c = snap_in(f, SL_SNAP_PENDING), o;
	assert_int_equal(sl_catalog_snapshot_new(f->c, other, 0, &o), 0);
	int64_t acc[3] = { 0, 0, 0 };
	assert_int_equal(sl_catalog_snapshots(f->c, 0, -1, count_cb, acc), 0);
	assert_int_equal(acc[1], 4);
	int64_t acc2[3] = { 0, 0, 0 };
	assert_int_equal(sl_catalog_snapshots(f->c, f->src, SL_SNAP_PENDING, count_cb, acc2), 0);
	assert_int_equal(acc2[1], 2);
	assert_int_equal(acc2[0], a);
	int64_t acc3[3] = { 0, 0, c };
	assert_int_equal(sl_catalog_snapshots(f->c, f->src, -1, count_cb, acc3), 42); /* stops early */
	assert_int_equal(acc3[1], 1);
	assert_int_equal(sl_catalog_snapshots(f->c, 0, 99, count_cb, acc3), -EINVAL);

	assert_int_equal(sl_catalog_verification_add(f->c, a, "InRelease", "signature", "0123ABCD", true, NULL), 0);
	assert_int_equal(sl_catalog_verification_add(f->c, a, "InRelease", "valid-until", NULL, false, "expired"),
			 0);
	assert_int_equal(sl_catalog_verification_add(f->c, 9999, "x", "y", NULL, true, NULL), -SL_E_CATALOG);
	int n = 0;
	assert_int_equal(sl_catalog_verifications(f->c, a, verif_cb, &n), 0);
	assert_int_equal(n, 2);
}

/* ---- sources and small state ---- */

static void test_sources_and_state(void **state)
{
	struct fx *f = *state;
	int64_t id, at;
	assert_int_equal(sl_catalog_source_ensure(f->c, "debian", "apt-verbatim", &id), 0);
	assert_int_equal(id, f->src);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM sources WHERE type = 'apt-verbatim'"), 1);
	assert_int_equal(sl_catalog_source_id(f->c, "nope", &id), -SL_E_NOTFOUND);
	assert_int_equal(sl_catalog_source_next_run(f->c, f->src, &at), 0);
	assert_int_equal(at, 0);
	assert_int_equal(sl_catalog_source_set_next_run(f->c, f->src, 1800000000), 0);
	assert_int_equal(sl_catalog_source_next_run(f->c, f->src, &at), 0);
	assert_int_equal(at, 1800000000);
	assert_int_equal(sl_catalog_source_set_next_run(f->c, 9999, 1), -SL_E_NOTFOUND);
	assert_int_equal(sl_catalog_source_next_run(f->c, 9999, &at), -SL_E_NOTFOUND);

	char *v = NULL;
	assert_int_equal(sl_catalog_state_get(f->c, f->src, "release-date:stable", &v), -SL_E_NOTFOUND);
	assert_null(v);
	assert_int_equal(sl_catalog_state_set(f->c, f->src, "release-date:stable", "1700000000"), 0);
	assert_int_equal(sl_catalog_state_set(f->c, f->src, "release-date:stable", "1700000500"), 0);
	assert_int_equal(sl_catalog_state_get(f->c, f->src, "release-date:stable", &v), 0);
	assert_string_equal(v, "1700000500");
	free(v);
	assert_int_equal(sl_catalog_state_set(f->c, f->src, "release-date:stable", NULL), 0);
	assert_int_equal(sl_catalog_state_get(f->c, f->src, "release-date:stable", &v), -SL_E_NOTFOUND);
	assert_int_equal(sl_catalog_state_set(f->c, 9999, "k", "v"), -SL_E_CATALOG);
	assert_int_equal(sl_catalog_state_set(f->c, f->src, "", "v"), -SL_E_BADNAME);

	char *etag = NULL, *lm = NULL;
	const char *url = "http://127.0.0.1:8080/debian/dists/stable/InRelease";
	assert_int_equal(sl_catalog_http_get(f->c, url, &etag, &lm), -SL_E_NOTFOUND);
	assert_int_equal(sl_catalog_http_put(f->c, url, "\"abc\"", NULL), 0);
	assert_int_equal(sl_catalog_http_get(f->c, url, &etag, &lm), 0);
	assert_string_equal(etag, "\"abc\"");
	assert_null(lm);
	free(etag);
	assert_int_equal(sl_catalog_http_put(f->c, url, NULL, "Tue, 01 Oct 2024 00:00:00 GMT"), 0);
	assert_int_equal(sl_catalog_http_get(f->c, url, NULL, &lm), 0);
	assert_string_equal(lm, "Tue, 01 Oct 2024 00:00:00 GMT");
	free(lm);
	char big[2048];
	memset(big, 'e', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(sl_catalog_http_put(f->c, url, big, NULL), -SL_E_TOOBIG);

	int64_t until = -1;
	char *reason = NULL;
	assert_int_equal(sl_catalog_cooldown_get(f->c, "127.0.0.1", &until, &reason), 0);
	assert_int_equal(until, 0);
	assert_null(reason);
	int64_t later = (int64_t)time(NULL) + 3600;
	assert_int_equal(sl_catalog_cooldown_set(f->c, "127.0.0.1", later, "HTTP 429"), 0);
	assert_int_equal(sl_catalog_cooldown_get(f->c, "127.0.0.1", &until, &reason), 0);
	assert_int_equal(until, later);
	assert_string_equal(reason, "HTTP 429");
	free(reason);
	assert_int_equal(sl_catalog_cooldown_set(f->c, "127.0.0.1", 1000, "long ago"), 0);
	assert_int_equal(sl_catalog_cooldown_get(f->c, "127.0.0.1", &until, &reason), 0);
	assert_int_equal(until, 0);
	assert_null(reason);
}

/* ---- bulk transactions ---- */

/* sl_catalog_begin_bulk() keeps statement journals in memory: a statement that a trigger aborts inside it
 * (an entry for a sealed snapshot) still rolls back alone, the rows before and after it are committed, and
 * the connection is an ordinary one again after commit and after rollback. */
static void test_bulk_statement_abort(void **state)
{
	struct fx *f = *state;
	int64_t open_snap, sealed = snap_in(f, SL_SNAP_VERIFIED);
	assert_int_equal(sl_catalog_snapshot_new(f->c, f->src, 0, &open_snap), 0);
	assert_int_equal(sl_catalog_begin_bulk(f->c), 0);
	assert_int_equal(sl_catalog_begin_bulk(f->c), -SL_E_STATE);
	assert_int_equal(sl_catalog_begin(f->c), -SL_E_STATE);
	char path[64];
	for (int i = 0; i < 2000; i++) {
		add_artifact(f->c, 100 + (uint64_t)i, 10);
		snprintf(path, sizeof path, "pool/b%04d.deb", i);
		add_entry(f->c, open_snap, path, 100 + (uint64_t)i, 10);
		if (i == 1000) {
			char d[SL_SHA256_HEX];
			dig(100, d);
			struct sl_entry e = { .path = "pool/late.deb", .sha256 = d, .size = 10, .role = "pool" };
			assert_int_equal(sl_catalog_snapshot_add_entry(f->c, sealed, &e), -SL_E_STATE);
		}
	}
	assert_int_equal(sl_catalog_commit(f->c), 0);
	assert_int_equal(sl_catalog_snapshot_seal(f->c, open_snap, 0, NULL), 0);
	struct sl_snapshot_info info;
	assert_int_equal(sl_catalog_snapshot_get(f->c, open_snap, &info), 0);
	assert_int_equal(info.n_entries, 2000);
	sl_snapshot_info_release(&info);
	assert_int_equal(sl_catalog_snapshot_get(f->c, sealed, &info), 0);
	assert_int_equal(info.n_entries, 1);
	sl_snapshot_info_release(&info);

	/* Rolled back: nothing of it stays, and both kinds of transaction work afterwards. */
	int64_t gone;
	assert_int_equal(sl_catalog_snapshot_new(f->c, f->src, 0, &gone), 0);
	assert_int_equal(sl_catalog_begin_bulk(f->c), 0);
	add_entry(f->c, gone, "pool/b0000.deb", 100, 10);
	assert_int_equal(sl_catalog_rollback(f->c), 0);
	struct sl_entry e;
	assert_int_equal(sl_catalog_snapshot_entry(f->c, gone, "pool/b0000.deb", &e), -SL_E_NOTFOUND);
	assert_int_equal(sl_catalog_begin(f->c), 0);
	assert_int_equal(sl_catalog_commit(f->c), 0);
	assert_int_equal(sl_catalog_begin_bulk(f->c), 0);
	assert_int_equal(sl_catalog_commit(f->c), 0);
	assert_int_equal(sl_catalog_commit(f->c), -SL_E_STATE);
}

/* ---- rate: 100k entries in one transaction (reported, not asserted) ---- */

static void test_bulk_100k(void **state)
{
	struct fx *f = *state;
	enum { N = 100000 };
	int64_t snap;
	assert_int_equal(sl_catalog_snapshot_new(f->c, f->src, 0, &snap), 0);
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sl_catalog_begin_bulk(f->c), 0);
	char d[SL_SHA256_HEX], path[64];
	for (uint64_t i = 0; i < N; i++) {
		/* Spread digests so the index sees random-looking keys, as real SHA-256 would give. */
		dig(i * 0x9e3779b97f4a7c15ull, d);
		snprintf(path, sizeof path, "pool/main/p%05" PRIu64 "/pkg_%" PRIu64 ".deb", i % 5000, i);
		assert_int_equal(sl_catalog_artifact_add(f->c, d, i, NULL, NULL), 0);
		struct sl_entry e = { .path = path, .sha256 = d, .size = i, .role = "pool" };
		assert_int_equal(sl_catalog_snapshot_add_entry(f->c, snap, &e), 0);
	}
	assert_int_equal(sl_catalog_commit(f->c), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(sl_catalog_snapshot_seal(f->c, snap, 0, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	double ins = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	double seal = (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9;
	printf("# catalogue: %d artifacts + entries in one transaction: %.2f s (%.0f entries/s); seal %.2f s\n",
	       N, ins, N / ins, seal);
	struct sl_snapshot_info info;
	assert_int_equal(sl_catalog_snapshot_get(f->c, snap, &info), 0);
	assert_int_equal(info.n_entries, N);
	assert_int_equal(info.total_bytes, (uint64_t)N * (N - 1) / 2);
	sl_snapshot_info_release(&info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_fresh, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_each_version, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_newer_version_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_file_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_readonly, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_every_transition, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_race_two_processes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_seal_order_independent, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_keys_and_bad_input, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_runs_and_recover, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_recover_one_source, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_published_and_delete, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_digest_referenced, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lists, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sources_and_state, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bulk_statement_abort, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bulk_100k, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
