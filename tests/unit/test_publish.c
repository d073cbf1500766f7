/* test_publish: the generic publisher — generations, the catalogue transaction, the atomic switch,
 * concurrent approvals, reconcile and clean-up — on real files, a real catalogue and store. Uses the APT
 * publisher in verbatim mode (no signing) with small hand-made trees: real apt runs in test_publish_apt. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admin/publish.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/format.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/store.h"
#include "tests/unit/lib/snapfix.h"

#define SRC "deb"
#define INREL "dists/stable/InRelease"

struct fix {
	struct sl_snapfix *sf;
	struct sl_source src;
	struct sl_config cfg;
	struct sl_publish_ctx ctx;
	char link[256];     /* public/apt/deb */
	char gendir[256];   /* public/.gen */
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof *f);
	if (f == NULL)
		return -1;
	f->sf = sl_snapfix_new(SRC, "apt");
	if (f->sf == NULL) {
		free(f);
		return -1;
	}
	f->src.name = (char *)SRC;
	f->src.format = sl_format_find("apt");
	f->src.publish = SL_PUBLISH_VERBATIM;
	f->cfg.sources = &f->src;
	f->cfg.nsources = 1;
	f->cfg.grace_ms = 3600 * 1000;
	f->ctx = (struct sl_publish_ctx){
		.cfg = &f->cfg,
		.src = &f->src,
		.cat = sl_snapfix_catalog(f->sf),
		.store = sl_snapfix_store(f->sf),
		.keys = NULL,
		.public_dir = sl_snapfix_public_dir(f->sf),
	};
	snprintf(f->link, sizeof f->link, "%s/apt/%s", f->ctx.public_dir, SRC);
	snprintf(f->gendir, sizeof f->gendir, "%s/.gen", f->ctx.public_dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	sl_snapfix_free(f->sf);
	free(f);
	return 0;
}

/* A small verbatim APT snapshot whose InRelease says `tag` (so two snapshots differ visibly). */
static int64_t make_snap(struct fix *f, const char *tag, enum sl_snap_state state)
{
	static char inrel[8][64];
	static unsigned slot;
	char *body = inrel[slot++ % 8];
	snprintf(body, 64, "InRelease of %s\n", tag);
	struct sl_snapfix_entry e[] = {
		{ .path = INREL, .role = "release", .data = body, .len = strlen(body),
		  .meta_json = "{\"suite\":\"stable\"}" },
		{ .path = "dists/stable/main/binary-amd64/Packages.xz", .role = "upstream-index",
		  .data = tag, .len = strlen(tag) },
		{ .path = "pool/main/h/hello/hello_1_amd64.deb", .role = "pool", .data = "deb!", .len = 4 },
	};
	int64_t id = 0;
	assert_int_equal(sl_snapfix_snapshot(f->sf, e, 3, state, &id), 0);
	return id;
}

static int publish(struct fix *f, int64_t snap, int expect, char **cause)
{
	return sl_publish_snapshot(&f->ctx, snap, expect, "approve", "tester", "looks good", cause);
}

static void publish_ok(struct fix *f, int64_t snap, int expect)
{
	char *cause = NULL;
	int r = publish(f, snap, expect, &cause);
	if (r != 0)
		fail_msg("publish %lld: %s: %s", (long long)snap, sl_strerror(r), cause ? cause : "");
	free(cause);
}

static void read_link(const char *link, char *buf, size_t cap)
{
	ssize_t n = readlink(link, buf, cap - 1);
	assert_true(n > 0);
	buf[n] = '\0';
}

static char *slurp(const char *path)
{
	char *data = NULL;
	size_t len;
	if (sl_fs_read_file(path, 1 << 20, &data, &len) < 0)
		return NULL;
	return data;
}

/* Entries of public/.gen, by kind. */
static void count_gen(struct fix *f, int *gens, int *builds)
{
	*gens = *builds = 0;
	DIR *d = opendir(f->gendir);
	if (d == NULL)
		return;
	for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strncmp(e->d_name, ".build-", 7) == 0)
			(*builds)++;
		else
			(*gens)++;
	}
	closedir(d);
}

static int count_audit_cb(void *arg, const struct sl_audit_entry *e)
{
	(*(int *)arg)++;
	return 0;
}

static int count_audit(struct fix *f)
{
	int n = 0;
	assert_int_equal(sl_catalog_audit_foreach(f->ctx.cat, NULL, count_audit_cb, &n), 0);
	return n;
}

static enum sl_snap_state snap_state(struct fix *f, int64_t id)
{
	struct sl_snapshot_info info;
	assert_int_equal(sl_catalog_snapshot_get(f->ctx.cat, id, &info), 0);
	enum sl_snap_state s = info.state;
	sl_snapshot_info_release(&info);
	return s;
}

/* Nothing visible, nothing recorded: the state a failed publication must leave. */
static void assert_nothing_published(struct fix *f, int64_t snap, enum sl_snap_state still)
{
	struct stat st;
	assert_int_equal(lstat(f->link, &st), -1);
	int gens, builds;
	count_gen(f, &gens, &builds);
	assert_int_equal(gens, 0);
	assert_int_equal(builds, 0);
	int64_t s, g, at;
	assert_int_equal(sl_catalog_published_get(f->ctx.cat, sl_snapfix_source_id(f->sf), &s, &g, &at),
			 -SL_E_NOTFOUND);
	assert_int_equal(snap_state(f, snap), still);
	assert_int_equal(count_audit(f), 0);
}

static void test_publish_records_everything(void **state)
{
	struct fix *f = *state;
	int64_t a = make_snap(f, "A", SL_SNAP_PENDING);
	int64_t b = make_snap(f, "B", SL_SNAP_PENDING);
	publish_ok(f, a, SL_SNAP_PENDING);
	char target[SL_MAX_PATH];
	read_link(f->link, target, sizeof target);
	assert_string_equal(target, "../.gen/apt-deb-1");

	publish_ok(f, b, SL_SNAP_PENDING);
	read_link(f->link, target, sizeof target);
	assert_string_equal(target, "../.gen/apt-deb-2");
	assert_int_equal(snap_state(f, a), SL_SNAP_SUPERSEDED);
	assert_int_equal(snap_state(f, b), SL_SNAP_PUBLISHED);
	int64_t s, g, at;
	assert_int_equal(sl_catalog_published_get(f->ctx.cat, sl_snapfix_source_id(f->sf), &s, &g, &at), 0);
	assert_int_equal(s, b);
	assert_int_equal(g, 2);
	assert_int_equal(count_audit(f), 2);

	/* The served path shows B, through the symlink. */
	char path[SL_MAX_PATH];
	snprintf(path, sizeof path, "%s/%s", f->link, INREL);
	char *body = slurp(path);
	assert_non_null(body);
	assert_string_equal(body, "InRelease of B\n");
	free(body);
	/* Pool file is a hard link to the store object, not a copy. */
	struct stat st;
	snprintf(path, sizeof path, "%s/pool/main/h/hello/hello_1_amd64.deb", f->link);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_nlink >= 3);   /* store + generation 1 + generation 2 */

	/* Rollback to A, then re-publish A in place (fresh generation, same snapshot). */
	publish_ok(f, a, SL_SNAP_SUPERSEDED);
	assert_int_equal(snap_state(f, a), SL_SNAP_PUBLISHED);
	assert_int_equal(snap_state(f, b), SL_SNAP_SUPERSEDED);
	publish_ok(f, a, SL_SNAP_PUBLISHED);
	read_link(f->link, target, sizeof target);
	assert_string_equal(target, "../.gen/apt-deb-4");
	assert_int_equal(count_audit(f), 4);
	int64_t bad;
	assert_int_equal(sl_catalog_audit_verify(f->ctx.cat, &bad), 0);
	/* Re-publishing B while it is superseded, not published, is refused. */
	char *cause = NULL;
	assert_int_equal(publish(f, b, SL_SNAP_PUBLISHED, &cause), -SL_E_STATE);
	assert_non_null(cause);
	free(cause);
}

static void test_wrong_state_builds_nothing(void **state)
{
	struct fix *f = *state;
	int64_t v = make_snap(f, "V", SL_SNAP_VERIFIED);
	char *cause = NULL;
	assert_int_equal(publish(f, v, SL_SNAP_PENDING, &cause), -SL_E_STATE);
	assert_non_null(strstr(cause, "verified"));
	free(cause);
	assert_nothing_published(f, v, SL_SNAP_VERIFIED);

	int64_t rj = make_snap(f, "R", SL_SNAP_REJECTED);
	cause = NULL;
	assert_int_equal(publish(f, rj, SL_SNAP_SUPERSEDED, &cause), -SL_E_STATE);
	free(cause);
	assert_nothing_published(f, rj, SL_SNAP_REJECTED);
}

static void test_other_source_refused(void **state)
{
	struct fix *f = *state;
	int64_t other;
	assert_int_equal(sl_catalog_source_ensure(f->ctx.cat, "other", "apt", &other), 0);
	struct sl_snapfix_entry e = { .path = INREL, .role = "release", .data = "x", .len = 1 };
	int64_t snap;
	assert_int_equal(sl_snapfix_snapshot_for(f->sf, other, &e, 1, SL_SNAP_PENDING, &snap), 0);
	char *cause = NULL;
	assert_int_equal(publish(f, snap, SL_SNAP_PENDING, &cause), -SL_E_NOTFOUND);
	assert_non_null(strstr(cause, "other"));
	free(cause);
	assert_nothing_published(f, snap, SL_SNAP_PENDING);

	cause = NULL;
	assert_int_equal(publish(f, 9999, SL_SNAP_PENDING, &cause), -SL_E_NOTFOUND);
	free(cause);
}

static void test_no_publisher(void **state)
{
	struct fix *f = *state;
	static const struct sl_format_ops nosuch = { .name = "nosuch" };
	int64_t snap = make_snap(f, "N", SL_SNAP_PENDING);
	f->src.format = &nosuch;
	char *cause = NULL;
	assert_int_equal(publish(f, snap, SL_SNAP_PENDING, &cause), -SL_E_UNSUPPORTED);
	assert_non_null(strstr(cause, "nosuch"));
	free(cause);
	f->src.format = sl_format_find("apt");
	assert_nothing_published(f, snap, SL_SNAP_PENDING);
	assert_non_null(sl_format_find("apt")->publish);
}

static void test_hostile_path_publishes_nothing(void **state)
{
	struct fix *f = *state;
	static const char *const bad[] = { "../x", "pool/../../x", "/etc/passwd", "pool//x", "pool/./x" };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sl_snapfix_entry e[] = {
			{ .path = INREL, .role = "release", .data = "r", .len = 1 },
			{ .path = "dists/stable/main/binary-amd64/Packages", .role = "upstream-index",
			  .data = "p", .len = 1 },
			{ .path = bad[i], .role = "pool", .data = "evil", .len = 4 },
		};
		int64_t snap;
		assert_int_equal(sl_snapfix_snapshot(f->sf, e, 3, SL_SNAP_PENDING, &snap), 0);
		char *cause = NULL;
		assert_int_equal(publish(f, snap, SL_SNAP_PENDING, &cause), -SL_E_BADNAME);
		assert_non_null(cause);
		assert_non_null(strstr(cause, bad[i]));
		free(cause);
		assert_nothing_published(f, snap, SL_SNAP_PENDING);
	}
	struct stat st;
	char escaped[SL_MAX_PATH];
	snprintf(escaped, sizeof escaped, "%s/x", sl_snapfix_state_dir(f->sf));
	assert_int_equal(lstat(escaped, &st), -1);
}

static void test_missing_object_publishes_nothing(void **state)
{
	struct fix *f = *state;
	int64_t snap = make_snap(f, "M", SL_SNAP_PENDING);
	char digest[SL_SHA256_HEX];
	sl_digest_sha256("deb!", 4, digest);
	assert_int_equal(sl_store_remove(f->ctx.store, digest), 0);
	char *cause = NULL;
	assert_int_equal(publish(f, snap, SL_SNAP_PENDING, &cause), -SL_E_NOTFOUND);
	assert_non_null(strstr(cause, "hello_1_amd64.deb"));
	free(cause);
	assert_nothing_published(f, snap, SL_SNAP_PENDING);
}

/* Two processes approve the same pending snapshot at the same moment. */
static void test_concurrent_approve(void **state)
{
	struct fix *f = *state;
	int64_t snap = make_snap(f, "C", SL_SNAP_PENDING);
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			close(go[1]);
			char c;
			if (read(go[0], &c, 1) != 1)
				_exit(3);
			char db[SL_MAX_PATH], *cause = NULL;
			snprintf(db, sizeof db, "%s/catalog.db", sl_snapfix_state_dir(f->sf));
			struct sl_catalog *cat = sl_catalog_open(db, 0, &cause);
			struct sl_store *st = sl_store_open(sl_snapfix_state_dir(f->sf), &cause);
			if (cat == NULL || st == NULL)
				_exit(4);
			struct sl_publish_ctx ctx = f->ctx;
			ctx.cat = cat;
			ctx.store = st;
			int r = sl_publish_snapshot(&ctx, snap, SL_SNAP_PENDING, "approve", i ? "bob" : "alice",
						    NULL, &cause);
			if (r == -SL_E_STATE && (cause == NULL || (strstr(cause, "no longer") == NULL &&
						  strstr(cause, "is published") == NULL)))
				_exit(5);   /* the loser must be told why */
			_exit(r == 0 ? 0 : r == -SL_E_STATE ? 1 : 2);
		}
	}
	close(go[0]);
	assert_int_equal(write(go[1], "gg", 2), 2);
	close(go[1]);
	int codes[2];
	for (int i = 0; i < 2; i++) {
		int ws;
		assert_int_equal(waitpid(kids[i], &ws, 0), kids[i]);
		assert_true(WIFEXITED(ws));
		codes[i] = WEXITSTATUS(ws);
	}
	assert_int_equal(codes[0] + codes[1], 1);   /* one 0 (won), one 1 (-SL_E_STATE) */
	int gens, builds;
	count_gen(f, &gens, &builds);
	assert_int_equal(gens, 1);
	assert_int_equal(builds, 0);
	char target[SL_MAX_PATH];
	read_link(f->link, target, sizeof target);
	assert_string_equal(target, "../.gen/apt-deb-1");
	assert_int_equal(count_audit(f), 1);
	assert_int_equal(snap_state(f, snap), SL_SNAP_PUBLISHED);
}

/* A reader keeps opening files through the symlink while publications switch it back and forth: it
 * must always find a complete tree (old or new), and files it holds open keep their content. */
static void test_switch_is_atomic(void **state)
{
	struct fix *f = *state;
	int64_t a = make_snap(f, "A", SL_SNAP_PENDING);
	int64_t b = make_snap(f, "B", SL_SNAP_PENDING);
	publish_ok(f, a, SL_SNAP_PENDING);
	char path[SL_MAX_PATH], pkgs[SL_MAX_PATH];
	snprintf(path, sizeof path, "%s/%s", f->link, INREL);
	snprintf(pkgs, sizeof pkgs, "%s/dists/stable/main/binary-amd64/Packages.xz", f->link);
	int held = open(path, O_RDONLY);
	assert_true(held >= 0);

	int stop[2], res[2];
	assert_int_equal(pipe(stop), 0);
	assert_int_equal(pipe(res), 0);
	pid_t kid = fork();
	assert_true(kid >= 0);
	if (kid == 0) {
		close(stop[1]);
		close(res[0]);
		fcntl(stop[0], F_SETFL, O_NONBLOCK);
		long reads = 0, bad = 0;
		char c;
		while (read(stop[0], &c, 1) < 0 && errno == EAGAIN) {
			/* Every open through the link finds a whole tree: A's or B's, never nothing. */
			char *r1 = slurp(path), *p1 = slurp(pkgs);
			if (r1 == NULL || p1 == NULL ||
			    (strcmp(r1, "InRelease of A\n") != 0 && strcmp(r1, "InRelease of B\n") != 0) ||
			    (strcmp(p1, "A") != 0 && strcmp(p1, "B") != 0))
				bad++;
			free(r1);
			free(p1);
			reads++;
		}
		long out[2] = { reads, bad };
		_exit(write(res[1], out, sizeof out) == sizeof out ? 0 : 1);
	}
	close(stop[0]);
	close(res[1]);
	publish_ok(f, b, SL_SNAP_PENDING);
	for (int i = 0; i < 5; i++)   /* then roll back and forth */
		publish_ok(f, i % 2 == 0 ? a : b, SL_SNAP_SUPERSEDED);
	assert_int_equal(write(stop[1], "s", 1), 1);
	long out[2] = { 0, 0 };
	assert_int_equal(read(res[0], out, sizeof out), (ssize_t)sizeof out);
	int ws;
	assert_int_equal(waitpid(kid, &ws, 0), kid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	close(stop[1]);
	close(res[0]);
	printf("# reader: %ld reads across 6 switches, %ld inconsistent\n", out[0], out[1]);
	assert_true(out[0] > 0);
	assert_int_equal(out[1], 0);

	/* The file opened before the first switch still reads A; generation 1 is intact on disk. */
	char buf[64] = "";
	assert_true(pread(held, buf, sizeof buf - 1, 0) > 0);
	assert_string_equal(buf, "InRelease of A\n");
	close(held);
	char g1[SL_MAX_PATH];
	snprintf(g1, sizeof g1, "%s/apt-deb-1/%s", f->gendir, INREL);
	char *old = slurp(g1);
	assert_non_null(old);
	assert_string_equal(old, "InRelease of A\n");
	free(old);
}

static void age(const char *path, int64_t seconds)
{
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= seconds;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void force_link(struct fix *f, const char *target)
{
	char tmp[SL_MAX_PATH];
	snprintf(tmp, sizeof tmp, "%s.test", f->link);
	unlink(tmp);
	assert_int_equal(symlink(target, tmp), 0);
	assert_int_equal(rename(tmp, f->link), 0);
}

static void test_reconcile(void **state)
{
	struct fix *f = *state;
	int64_t a = make_snap(f, "A", SL_SNAP_PENDING);
	int64_t b = make_snap(f, "B", SL_SNAP_PENDING);
	publish_ok(f, a, SL_SNAP_PENDING);
	publish_ok(f, b, SL_SNAP_PENDING);
	char target[SL_MAX_PATH], g1[SL_MAX_PATH], g2[SL_MAX_PATH], stale[SL_MAX_PATH];
	snprintf(g1, sizeof g1, "%s/apt-deb-1", f->gendir);
	snprintf(g2, sizeof g2, "%s/apt-deb-2", f->gendir);

	/* Crash between commit and rename: the link still shows generation 1. */
	force_link(f, "../.gen/apt-deb-1");
	assert_int_equal(sl_publish_reconcile(&f->cfg, f->ctx.cat, f->ctx.public_dir), 0);
	read_link(f->link, target, sizeof target);
	assert_string_equal(target, "../.gen/apt-deb-2");
	/* Crash before the first link existed. */
	assert_int_equal(unlink(f->link), 0);
	assert_int_equal(sl_publish_reconcile(&f->cfg, f->ctx.cat, f->ctx.public_dir), 0);
	read_link(f->link, target, sizeof target);
	assert_string_equal(target, "../.gen/apt-deb-2");

	/* Clean-up: an old unreferenced generation and an abandoned build go; the live one stays even
	 * when old, and so does a young unreferenced one (grace). */
	snprintf(stale, sizeof stale, "%s/.build-apt-deb-abc123", f->gendir);
	assert_int_equal(sl_fs_mkdirs(stale, 0755), 0);
	char young[SL_MAX_PATH];
	snprintf(young, sizeof young, "%s/apt-deb-0", f->gendir);
	assert_int_equal(sl_fs_mkdirs(young, 0755), 0);
	age(g1, 2 * 3600);
	age(g2, 2 * 3600);
	age(stale, 2 * 3600);
	assert_int_equal(sl_publish_reconcile(&f->cfg, f->ctx.cat, f->ctx.public_dir), 0);
	struct stat st;
	assert_int_equal(lstat(g1, &st), -1);
	assert_int_equal(lstat(stale, &st), -1);
	assert_int_equal(lstat(g2, &st), 0);
	assert_int_equal(lstat(young, &st), 0);

	/* A generation neither linked nor named by a configured source goes once old. */
	assert_int_equal(unlink(f->link), 0);
	f->cfg.nsources = 0;   /* reconcile of nothing: only clean-up runs */
	assert_int_equal(sl_publish_reconcile(&f->cfg, f->ctx.cat, f->ctx.public_dir), 0);
	f->cfg.nsources = 1;
	assert_int_equal(lstat(g2, &st), -1);   /* no configured source names it: it goes */
}

static void test_reconcile_missing_generation(void **state)
{
	struct fix *f = *state;
	int64_t a = make_snap(f, "A", SL_SNAP_PENDING);
	publish_ok(f, a, SL_SNAP_PENDING);
	char g1[SL_MAX_PATH], target[SL_MAX_PATH];
	snprintf(g1, sizeof g1, "%s/apt-deb-1", f->gendir);
	age(g1, 2 * 3600);
	/* With the link gone, the catalogue still protects generation 1 from clean-up. */
	assert_int_equal(unlink(f->link), 0);
	assert_int_equal(sl_publish_reconcile(&f->cfg, f->ctx.cat, f->ctx.public_dir), 0);
	read_link(f->link, target, sizeof target);
	assert_string_equal(target, "../.gen/apt-deb-1");

	/* Generation gone: reconcile says so and leaves the link alone rather than pointing nowhere new. */
	assert_int_equal(sl_fs_rmtree(g1), 0);
	force_link(f, "../.gen/apt-deb-7");
	assert_int_equal(sl_publish_reconcile(&f->cfg, f->ctx.cat, f->ctx.public_dir), -SL_E_NOTFOUND);
	read_link(f->link, target, sizeof target);
	assert_string_equal(target, "../.gen/apt-deb-7");

	/* A source with nothing published loses a stray link. */
	struct sl_source other = { .name = (char *)"other", .format = sl_format_find("apt") };
	struct sl_config cfg = { .sources = &other, .nsources = 1, .grace_ms = 3600 * 1000 };
	char olink[SL_MAX_PATH];
	snprintf(olink, sizeof olink, "%s/apt/other", f->ctx.public_dir);
	assert_int_equal(symlink("../.gen/apt-other-1", olink), 0);
	assert_int_equal(sl_publish_reconcile(&cfg, f->ctx.cat, f->ctx.public_dir), 0);
	struct stat st;
	assert_int_equal(lstat(olink, &st), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_publish_records_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_state_builds_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_source_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_publisher, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_path_publishes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_object_publishes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_approve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_missing_generation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
