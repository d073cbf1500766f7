/* test_catalog_audit: the append-only, hash-chained audit log — the chain recomputed here from the
 * formula in schemas/README.md, tampering done with the SQLite C API (edit, delete, reorder) caught by
 * sl_catalog_audit_verify at the right entry, the triggers, and two processes appending at once. */
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
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "core/catalog.h"
#include "core/error.h"

#include "tests/unit/lib/tmpdir.h"

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

struct fx {
	char *dir;
	char db[1024];
	struct sl_catalog *c;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->dir = sl_test_tmpdir_new();
	assert_non_null(f->dir);
	snprintf(f->db, sizeof f->db, "%s/catalog.db", f->dir);
	f->c = sl_catalog_open(f->db, 0, NULL);
	assert_non_null(f->c);
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

/* Tampering as an attacker with file access would: the C API on a second connection. */
static int raw(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(h, 5000);
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	}
	sqlite3_close(h);
	return rc;
}

#define DROP_TRIGGERS "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; " \
	"DROP TRIGGER audit_log_append_only;"

/* The documented encoding, written again here so the test checks the formula, not the code. */
static void enc(EVP_MD_CTX *md, const char *v)
{
	char len[32];
	if (v == NULL) {
		EVP_DigestUpdate(md, "-,", 2);
		return;
	}
	snprintf(len, sizeof len, "%zu:", strlen(v));
	EVP_DigestUpdate(md, len, strlen(len));
	EVP_DigestUpdate(md, v, strlen(v));
	EVP_DigestUpdate(md, ",", 1);
}

static void expected_hash(const struct sl_audit_entry *e, const char *prev, char hex[SL_SHA256_HEX])
{
	char seq[24], at[24], snap[24];
	snprintf(seq, sizeof seq, "%" PRId64, e->seq);
	snprintf(at, sizeof at, "%" PRId64, e->at);
	snprintf(snap, sizeof snap, "%" PRId64, e->snapshot_id);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_non_null(md);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	const char *fields[] = { prev, seq, at, e->actor, e->action, e->source, snap, e->content_digest, e->reason };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		enc(md, fields[i]);
	unsigned char out[32];
	unsigned int n;
	EVP_DigestFinal_ex(md, out, &n);
	EVP_MD_CTX_free(md);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
}

static const char *const digest_a = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

/* Five entries: a mix of NULL and set optional fields. */
static void append_five(struct sl_catalog *c)
{
	struct sl_audit_entry e[] = {
		{ .actor = "alice", .action = "key-create", .reason = "initial key" },
		{ .actor = "sluice", .action = "auto-approve", .source = "debian", .snapshot_id = 3,
		  .content_digest = digest_a },
		{ .actor = "bob", .action = "approve", .source = "clamav", .snapshot_id = 4, .reason = "CHG-1234" },
		{ .actor = "bob", .action = "reject", .source = "debian", .snapshot_id = 5, .reason = "" },
		{ .actor = "carol", .action = "rollback", .source = "debian", .snapshot_id = 3, .at = 1700000000,
		  .content_digest = digest_a, .reason = "regression in 5" },
	};
	char prev[SL_SHA256_HEX] = ZEROS, want[SL_SHA256_HEX];
	for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
		assert_int_equal(sl_catalog_audit_append(c, &e[i]), 0);
		assert_int_equal(e[i].seq, (int64_t)i + 1);
		assert_true(e[i].at > 0);
		assert_string_equal(e[i].prev_hash, prev);
		expected_hash(&e[i], prev, want);
		assert_string_equal(e[i].hash, want);
		memcpy(prev, e[i].hash, SL_SHA256_HEX);
	}
	assert_int_equal(e[4].at, 1700000000);
}

static void expect_broken_at(struct sl_catalog *c, int64_t seq)
{
	int64_t bad = -1;
	assert_int_equal(sl_catalog_audit_verify(c, &bad), -SL_E_VERIFY);
	assert_int_equal(bad, seq);
}

static void test_append_chain_verify(void **state)
{
	struct fx *f = *state;
	int64_t bad = -1, seq;
	char head[SL_SHA256_HEX];
	assert_int_equal(sl_catalog_audit_verify(f->c, &bad), 0); /* empty log is intact */
	assert_int_equal(bad, 0);
	assert_int_equal(sl_catalog_audit_head(f->c, &seq, head), -SL_E_NOTFOUND);
	append_five(f->c);
	assert_int_equal(sl_catalog_audit_verify(f->c, &bad), 0);
	assert_int_equal(sl_catalog_audit_head(f->c, &seq, head), 0);
	assert_int_equal(seq, 5);
	/* A fresh connection (another process) sees the same intact chain and continues it. */
	struct sl_catalog *c2 = sl_catalog_open(f->db, 0, NULL);
	assert_non_null(c2);
	struct sl_audit_entry e = { .actor = "dave", .action = "publish", .source = "oci" };
	assert_int_equal(sl_catalog_audit_append(c2, &e), 0);
	assert_int_equal(e.seq, 6);
	assert_string_equal(e.prev_hash, head);
	sl_catalog_free(c2);
	assert_int_equal(sl_catalog_audit_verify(f->c, NULL), 0);
}

struct seen {
	int n;
	int64_t seqs[8];
};

static int seen_cb(void *arg, const struct sl_audit_entry *e)
{
	struct seen *s = arg;
	s->seqs[s->n++] = e->seq;
	assert_int_equal(strlen(e->hash), 64);
	return s->n == 7 ? 9 : 0;
}

static void test_foreach(void **state)
{
	struct fx *f = *state;
	append_five(f->c);
	struct seen all = { 0 }, deb = { 0 };
	assert_int_equal(sl_catalog_audit_foreach(f->c, NULL, seen_cb, &all), 0);
	assert_int_equal(all.n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(all.seqs[i], i + 1);
	assert_int_equal(sl_catalog_audit_foreach(f->c, "debian", seen_cb, &deb), 0);
	assert_int_equal(deb.n, 3);
	assert_int_equal(deb.seqs[0], 2);
	assert_int_equal(deb.seqs[1], 4);
	assert_int_equal(deb.seqs[2], 5);
}

static void test_bad_input_appends_nothing(void **state)
{
	struct fx *f = *state;
	struct sl_audit_entry e = { .action = "approve" };
	assert_int_equal(sl_catalog_audit_append(f->c, &e), -SL_E_BADNAME);
	e = (struct sl_audit_entry){ .actor = "", .action = "approve" };
	assert_int_equal(sl_catalog_audit_append(f->c, &e), -SL_E_BADNAME);
	e = (struct sl_audit_entry){ .actor = "root", .action = "approve", .content_digest = "sha256:abc" };
	assert_int_equal(sl_catalog_audit_append(f->c, &e), -SL_E_BADNAME);
	char *huge = malloc(8192);
	assert_non_null(huge);
	memset(huge, 'x', 8191);
	huge[8191] = '\0';
	e = (struct sl_audit_entry){ .actor = "root", .action = "approve", .reason = huge };
	assert_int_equal(sl_catalog_audit_append(f->c, &e), -SL_E_TOOBIG);
	free(huge);
	assert_int_equal(e.seq, 0);
	int64_t seq;
	char head[SL_SHA256_HEX];
	assert_int_equal(sl_catalog_audit_head(f->c, &seq, head), -SL_E_NOTFOUND);
}

/* With the triggers in place, plain SQL cannot change or remove an entry. */
static void test_triggers_refuse(void **state)
{
	struct fx *f = *state;
	append_five(f->c);
	assert_int_equal(raw(f->db, "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3"),
			 SQLITE_CONSTRAINT);
	assert_int_equal(raw(f->db, "DELETE FROM audit_log WHERE seq = 3"), SQLITE_CONSTRAINT);
	assert_int_equal(raw(f->db, "DELETE FROM audit_log"), SQLITE_CONSTRAINT);
	assert_int_equal(raw(f->db, "INSERT OR REPLACE INTO audit_log VALUES (3, 0, 'x', 'y', NULL, 0, NULL, "
				    "NULL, '" ZEROS "', '" ZEROS "')"), SQLITE_CONSTRAINT);
	/* Appending by hand must also continue the chain: not a gap, not a fresh genesis. */
	assert_int_equal(raw(f->db, "INSERT INTO audit_log VALUES (7, 0, 'x', 'y', NULL, 0, NULL, NULL, '"
				    ZEROS "', '" ZEROS "')"), SQLITE_CONSTRAINT);
	assert_int_equal(raw(f->db, "INSERT INTO audit_log VALUES (6, 0, 'x', 'y', NULL, 0, NULL, NULL, '"
				    ZEROS "', '" ZEROS "')"), SQLITE_CONSTRAINT);
	assert_int_equal(sl_catalog_audit_verify(f->c, NULL), 0);
}

static void test_edit_detected(void **state)
{
	struct fx *f = *state;
	append_five(f->c);
	assert_int_equal(raw(f->db, DROP_TRIGGERS "UPDATE audit_log SET reason = 'CHG-9999' WHERE seq = 3"),
			 SQLITE_OK);
	expect_broken_at(f->c, 3);
}

static void test_null_to_empty_detected(void **state)
{
	struct fx *f = *state;
	append_five(f->c);
	/* NULL and "" encode differently: turning one into the other is an edit. */
	assert_int_equal(raw(f->db, DROP_TRIGGERS "UPDATE audit_log SET source = '' WHERE seq = 1"), SQLITE_OK);
	expect_broken_at(f->c, 1);
}

static void test_edit_last_and_hash_detected(void **state)
{
	struct fx *f = *state;
	append_five(f->c);
	assert_int_equal(raw(f->db, DROP_TRIGGERS "UPDATE audit_log SET actor = 'mallory' WHERE seq = 5"),
			 SQLITE_OK);
	expect_broken_at(f->c, 5);
	/* Rewriting a stored hash breaks the link of the entry after it, and verify reports the first. */
	assert_int_equal(raw(f->db, "UPDATE audit_log SET hash = '" ZEROS "' WHERE seq = 2"), SQLITE_OK);
	expect_broken_at(f->c, 2);
}

static void test_delete_middle_detected(void **state)
{
	struct fx *f = *state;
	append_five(f->c);
	assert_int_equal(raw(f->db, DROP_TRIGGERS "DELETE FROM audit_log WHERE seq = 3"), SQLITE_OK);
	expect_broken_at(f->c, 4);
}

static void test_delete_first_detected(void **state)
{
	struct fx *f = *state;
	append_five(f->c);
	assert_int_equal(raw(f->db, DROP_TRIGGERS "DELETE FROM audit_log WHERE seq = 1"), SQLITE_OK);
	expect_broken_at(f->c, 2);
}

static void test_renumbered_after_delete_detected(void **state)
{
	struct fx *f = *state;
	append_five(f->c);
	/* Delete 3 and close the gap: the sequence looks complete, the chain does not. */
	assert_int_equal(raw(f->db, DROP_TRIGGERS "DELETE FROM audit_log WHERE seq = 3;"
				    "UPDATE audit_log SET seq = seq - 1 WHERE seq > 3"), SQLITE_OK);
	expect_broken_at(f->c, 3);
}

static void test_swap_detected(void **state)
{
	struct fx *f = *state;
	append_five(f->c);
	assert_int_equal(raw(f->db, DROP_TRIGGERS "UPDATE audit_log SET seq = 100 WHERE seq = 2;"
				    "UPDATE audit_log SET seq = 2 WHERE seq = 3;"
				    "UPDATE audit_log SET seq = 3 WHERE seq = 100;"), SQLITE_OK);
	expect_broken_at(f->c, 2);
}

/* Two processes append at once: one chain, no seq used twice, nothing lost. */
static void test_concurrent_appenders(void **state)
{
	struct fx *f = *state;
	enum { PER_CHILD = 100 };
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
			int ret = 0;
			for (int k = 0; k < PER_CHILD && ret == 0; k++) {
				struct sl_audit_entry e = { .actor = i ? "child1" : "child0", .action = "approve",
							    .snapshot_id = k + 1 };
				ret = sl_catalog_audit_append(c, &e);
			}
			sl_catalog_free(c);
			_exit(ret == 0 ? 0 : 1);
		}
	}
	close(go[0]);
	assert_int_equal(write(go[1], "gg", 2), 2);
	close(go[1]);
	for (int i = 0; i < 2; i++) {
		int st;
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	int64_t seq, bad = -1;
	char head[SL_SHA256_HEX];
	assert_int_equal(sl_catalog_audit_head(f->c, &seq, head), 0);
	assert_int_equal(seq, 2 * PER_CHILD);
	assert_int_equal(sl_catalog_audit_verify(f->c, &bad), 0);
}

static void test_readonly_cannot_append(void **state)
{
	struct fx *f = *state;
	append_five(f->c);
	struct sl_catalog *ro = sl_catalog_open(f->db, SL_CATALOG_READONLY, NULL);
	assert_non_null(ro);
	assert_int_equal(sl_catalog_audit_verify(ro, NULL), 0); /* an auditor verifies read-only */
	struct sl_audit_entry e = { .actor = "root", .action = "approve" };
	assert_int_equal(sl_catalog_audit_append(ro, &e), -SL_E_CATALOG);
	sl_catalog_free(ro);
	int64_t seq;
	char head[SL_SHA256_HEX];
	assert_int_equal(sl_catalog_audit_head(f->c, &seq, head), 0);
	assert_int_equal(seq, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_chain_verify, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_foreach, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_appends_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_triggers_refuse, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_edit_detected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_null_to_empty_detected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_edit_last_and_hash_detected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_middle_detected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_first_detected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_renumbered_after_delete_detected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_swap_detected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_appenders, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_readonly_cannot_append, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
