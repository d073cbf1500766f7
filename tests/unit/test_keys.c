/* test_keys: sluice's signing keys through GPGME, checked with the real gpgv that apt runs and with
 * verify/gpg. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "admin/keys.h"
#include "core/error.h"
#include "tests/unit/lib/gpgtest.h"
#include "verify/gpg.h"

static const char release[] = "Origin: sluice\nLabel: sluice\nSuite: stable\nCodename: bookworm\n"
			      "Date: Sat, 01 Jun 2024 00:00:00 UTC\nArchitectures: amd64\nComponents: main\n"
			      "SHA256:\n 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 12 "
			      "main/binary-amd64/Packages\n";

struct fx {
	struct sl_gpgtest *t;   /* scratch directory and command runner; its own home is unused */
	char home[256];
	unsigned seq;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->t = sl_gpgtest_new();
	snprintf(f->home, sizeof f->home, "%s/keys", sl_gpgtest_dir(f->t));
	*state = f;
	return 0;
}

/* True while any process still runs with `home` in its command line (a gpg-agent left behind). */
static bool agent_running(const char *home)
{
	DIR *d = opendir("/proc");
	assert_non_null(d);
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char path[300], buf[4096];
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		FILE *fp = fopen(path, "rb");
		if (!fp)
			continue;
		size_t n = fread(buf, 1, sizeof buf - 1, fp);
		fclose(fp);
		for (size_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		found = strstr(buf, "gpg-agent") && strstr(buf, home);
	}
	closedir(d);
	return found;
}

/* The agent exits right after acknowledging KILLAGENT; give it a bounded moment to finish. */
static bool agent_gone(const char *home)
{
	for (int i = 0; i < 500 && agent_running(home); i++)
		usleep(10000);
	return !agent_running(home);
}

static void wait_no_agent(const char *home)
{
	assert_true(agent_gone(home));
}

static int teardown(void **state)
{
	struct fx *f = *state;
	bool gone = agent_gone(f->home);
	/* Clean up even when the code under test left an agent behind, then report it. */
	const char *argv[] = { "gpgconf", "--homedir", f->home, "--kill", "all", NULL };
	(void)sl_gpgtest_run(f->t, argv);
	sl_gpgtest_free(f->t);
	free(f);
	assert_true(gone);
	return 0;
}

static struct sl_keys *open_keys(struct fx *f, int allow_empty)
{
	char *cause = NULL;
	struct sl_keys *k = sl_keys_open(f->home, allow_empty, &cause);
	if (!k)
		fail_msg("sl_keys_open: %s", cause);
	return k;
}

static char *path_of(struct fx *f, const char *name, char buf[300])
{
	snprintf(buf, 300, "%s/%s.%u", sl_gpgtest_dir(f->t), name, f->seq++);
	return buf;
}

/* Write the exported armored keys, dearmor them like apt does for Signed-By .asc files, and return the
 * binary keyring path for gpgv. */
static const char *keyring_for(struct fx *f, const char *armor, size_t len, char ring[300])
{
	char asc[300];
	sl_gpgtest_write(path_of(f, "export.asc", asc), armor, len);
	path_of(f, "export.gpg", ring);
	const char *argv[] = { "gpg", "--batch", "--yes", "--homedir", sl_gpgtest_home(f->t), "--dearmor",
			       "-o", ring, asc, NULL };
	assert_int_equal(sl_gpgtest_run(f->t, argv), 0);
	return ring;
}

/* gpgv as apt's gpgv method runs it: -1 when it refuses, else the number of VALIDSIG lines, each checked
 * for a digest apt accepts (SHA-256 or stronger; apt calls SHA-1 weak). */
static int gpgv(struct fx *f, const char *ring, const char *sig, size_t siglen, const char *data, size_t len)
{
	char sp[300], dp[300], status[300];
	sl_gpgtest_write(path_of(f, "sig", sp), sig, siglen);
	path_of(f, "status", status);
	const char *argv[] = { "gpgv", "--homedir", sl_gpgtest_home(f->t), "--status-fd", "1", "--keyring", ring,
			       sp, NULL, NULL };
	if (data) {
		sl_gpgtest_write(path_of(f, "data", dp), data, len);
		argv[8] = dp;
	}
	if (sl_gpgtest_run_out(f->t, argv, status) != 0)
		return -1;
	char *out = sl_gpgtest_read(status, NULL);
	int valid = 0;
	for (char *save = NULL, *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "[GNUPG:] VALIDSIG ", 18) != 0)
			continue;
		/* VALIDSIG fpr date ts expire version reserved pkalgo hashalgo class primary */
		char *field[11] = { 0 };
		int nf = 0;
		for (char *s2 = NULL, *w = strtok_r(line + 9, " ", &s2); w && nf < 11; w = strtok_r(NULL, " ", &s2))
			field[nf++] = w;
		assert_true(nf >= 9);
		int hash = atoi(field[8]);
		assert_true(hash == 8 || hash == 9 || hash == 10);   /* SHA256, SHA384, SHA512 */
		valid++;
	}
	free(out);
	return valid;
}

/* verify/gpg with only `allowed` trusted, against the exported keyring. */
static int verify_with(struct fx *f, const char *ring, const char *allowed, const char *sig, size_t siglen,
		       const char *data, char fpr[41])
{
	char home[300], *cause = NULL;
	const char *fprs[] = { allowed };
	struct sl_gpg *g = sl_gpg_new(path_of(f, "vhome", home), ring, fprs, 1, &cause);
	if (!g)
		fail_msg("sl_gpg_new: %s", cause);
	struct sl_gpg_result r;
	int rc = data ? sl_gpg_verify_detached(g, data, strlen(data), sig, siglen, &r)
		      : sl_gpg_verify_clearsigned(g, sig, siglen, &r);
	if (rc == 0) {
		assert_int_equal(r.len, strlen(release));
		assert_memory_equal(r.text, release, r.len);
	}
	if (fpr)
		memcpy(fpr, r.fpr, 41);
	sl_gpg_result_release(&r);
	sl_gpg_free(g);
	return rc;
}

static void test_create_sign_gpgv(void **state)
{
	struct fx *f = *state;
	struct sl_keys *k = open_keys(f, 1);
	struct stat st;
	assert_int_equal(stat(f->home, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	char fprs[4][41], *sig = NULL, *armor = NULL;
	size_t siglen = 0, alen = 0;
	assert_int_equal(sl_keys_signers(k, fprs, 4), 0);
	assert_int_equal(sl_keys_sign(k, SL_SIGN_CLEAR, release, strlen(release), &sig, &siglen), -SL_E_STATE);
	assert_null(sig);
	assert_int_equal(sl_keys_export(k, &armor, &alen), -SL_E_STATE);

	char fpr[41];
	assert_int_equal(sl_keys_create(k, "sluice repository signing key <sluice@test.invalid>", 0, fpr), 0);
	assert_int_equal(strlen(fpr), 40);
	assert_int_equal(sl_keys_signers(k, fprs, 4), 1);
	assert_string_equal(fprs[0], fpr);

	assert_int_equal(sl_keys_export(k, &armor, &alen), 0);
	assert_non_null(strstr(armor, "-----BEGIN PGP PUBLIC KEY BLOCK-----"));
	assert_null(strstr(armor, "PRIVATE KEY"));
	char ring[300];
	keyring_for(f, armor, alen, ring);

	/* InRelease, checked by the gpgv apt runs. */
	assert_int_equal(sl_keys_sign(k, SL_SIGN_CLEAR, release, strlen(release), &sig, &siglen), 0);
	assert_true(strncmp(sig, "-----BEGIN PGP SIGNED MESSAGE-----\n", 35) == 0);
	assert_int_equal(gpgv(f, ring, sig, siglen, NULL, 0), 1);
	char got[41];
	assert_int_equal(verify_with(f, ring, fpr, sig, siglen, NULL, got), 0);
	assert_string_equal(got, fpr);
	/* The check can fail: a changed byte makes gpgv refuse. */
	char *p = strstr(sig, "bookworm");
	assert_non_null(p);
	p[0] = 'B';
	assert_int_equal(gpgv(f, ring, sig, siglen, NULL, 0), -1);
	free(sig);

	/* Release.gpg, armored detached. */
	assert_int_equal(sl_keys_sign(k, SL_SIGN_DETACHED, release, strlen(release), &sig, &siglen), 0);
	assert_true(strncmp(sig, "-----BEGIN PGP SIGNATURE-----\n", 30) == 0);
	assert_int_equal(gpgv(f, ring, sig, siglen, release, strlen(release)), 1);
	assert_int_equal(verify_with(f, ring, fpr, sig, siglen, release, got), 0);
	assert_int_equal(gpgv(f, ring, sig, siglen, "Origin: evil\n", 13), -1);
	free(sig);
	free(armor);
	sl_keys_free(k);
	wait_no_agent(f->home);

	/* Reopening without allow_empty finds the key. */
	k = open_keys(f, 0);
	assert_int_equal(sl_keys_signers(k, fprs, 4), 1);
	sl_keys_free(k);
}

static void test_rotate_and_retire(void **state)
{
	struct fx *f = *state;
	struct sl_keys *k = open_keys(f, 1);
	const char *uid = "sluice repository signing key <sluice@test.invalid>";
	char old[41], new[41], fprs[4][41];
	assert_int_equal(sl_keys_create(k, uid, 0, old), 0);
	/* Same uid again: rotation; expiry in days is accepted. */
	assert_int_equal(sl_keys_create(k, uid, 365, new), 0);
	assert_string_not_equal(old, new);
	assert_int_equal(sl_keys_signers(k, fprs, 4), 2);
	/* Newest first (same second possible: then both present is what matters). */
	assert_true((strcmp(fprs[0], new) == 0 && strcmp(fprs[1], old) == 0) ||
		    (strcmp(fprs[0], old) == 0 && strcmp(fprs[1], new) == 0));
	assert_int_equal(sl_keys_signers(k, fprs, 1), 1);

	char *armor = NULL, *sig = NULL, *dsig = NULL, ring[300], got[41];
	size_t alen = 0, siglen = 0, dlen = 0;
	assert_int_equal(sl_keys_export(k, &armor, &alen), 0);
	keyring_for(f, armor, alen, ring);
	free(armor);

	/* Both keys sign during the overlap: a client knowing either one accepts. */
	assert_int_equal(sl_keys_sign(k, SL_SIGN_CLEAR, release, strlen(release), &sig, &siglen), 0);
	assert_int_equal(sl_keys_sign(k, SL_SIGN_DETACHED, release, strlen(release), &dsig, &dlen), 0);
	assert_int_equal(gpgv(f, ring, sig, siglen, NULL, 0), 2);
	assert_int_equal(gpgv(f, ring, dsig, dlen, release, strlen(release)), 2);
	assert_int_equal(verify_with(f, ring, old, sig, siglen, NULL, got), 0);
	assert_string_equal(got, old);
	assert_int_equal(verify_with(f, ring, new, sig, siglen, NULL, got), 0);
	assert_string_equal(got, new);
	assert_int_equal(verify_with(f, ring, old, dsig, dlen, release, got), 0);
	assert_string_equal(got, old);
	assert_int_equal(verify_with(f, ring, new, dsig, dlen, release, got), 0);
	assert_string_equal(got, new);
	free(sig);
	free(dsig);

	/* Retire the old key: it neither signs nor is exported, and that survives reopening. */
	assert_int_equal(sl_keys_retire(k, "0123456789ABCDEF0123456789ABCDEF01234567"), -SL_E_NOTFOUND);
	assert_int_equal(sl_keys_retire(k, "not-a-fingerprint"), -SL_E_BADNAME);
	assert_int_equal(sl_keys_retire(k, old), 0);
	assert_int_equal(sl_keys_retire(k, old), 0);
	assert_int_equal(sl_keys_signers(k, fprs, 4), 1);
	assert_string_equal(fprs[0], new);
	assert_int_equal(sl_keys_retire(k, new), -SL_E_STATE);
	sl_keys_free(k);

	k = open_keys(f, 0);
	assert_int_equal(sl_keys_signers(k, fprs, 4), 1);
	assert_string_equal(fprs[0], new);
	assert_int_equal(sl_keys_sign(k, SL_SIGN_CLEAR, release, strlen(release), &sig, &siglen), 0);
	assert_int_equal(verify_with(f, ring, new, sig, siglen, NULL, got), 0);
	assert_int_equal(verify_with(f, ring, old, sig, siglen, NULL, got), -SL_E_SIGNATURE);
	free(sig);

	char ring2[300], home[300], *cause = NULL;
	assert_int_equal(sl_keys_export(k, &armor, &alen), 0);
	keyring_for(f, armor, alen, ring2);
	free(armor);
	const char *want_old[] = { old };
	struct sl_gpg *g = sl_gpg_new(path_of(f, "vhome", home), ring2, want_old, 1, &cause);
	assert_null(g);   /* the retired key is no longer exported */
	assert_non_null(strstr(cause, "none of the 1 allowed"));
	free(cause);
	sl_keys_free(k);
}

static void expect_open_fails(const char *home, int allow_empty, const char *why)
{
	char *cause = NULL;
	struct sl_keys *k = sl_keys_open(home, allow_empty, &cause);
	assert_null(k);
	assert_non_null(cause);
	if (!strstr(cause, why))
		fail_msg("cause '%s' does not mention '%s'", cause, why);
	free(cause);
}

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	expect_open_fails(f->home, 0, "No such file");
	expect_open_fails("", 1, "no GnuPG home");
	assert_int_equal(access(f->home, F_OK), -1);   /* nothing created without allow_empty */

	assert_int_equal(mkdir(f->home, 0700), 0);
	expect_open_fails(f->home, 0, "no usable secret signing key");
	assert_int_equal(chmod(f->home, 0755), 0);
	expect_open_fails(f->home, 1, "mode 0700");
	assert_int_equal(chmod(f->home, 0700), 0);

	/* A home too long for gpg-agent's Unix socket is refused up front, unless /run/user/UID exists. */
	char longhome[300];
	int n = snprintf(longhome, sizeof longhome, "%s/", sl_gpgtest_dir(f->t));
	memset(longhome + n, 'x', 120);
	longhome[n + 120] = '\0';
	char runuser[64];
	snprintf(runuser, sizeof runuser, "/run/user/%u", (unsigned)geteuid());
	if (access(runuser, F_OK) != 0) {
		expect_open_fails(longhome, 1, "too long");
	} else {
		struct sl_keys *k = open_keys(f, 1);
		sl_keys_free(k);
	}

	struct sl_keys *k = open_keys(f, 1);
	char fpr[41];
	assert_int_equal(sl_keys_create(k, "", 0, fpr), -SL_E_BADNAME);
	assert_int_equal(sl_keys_create(k, "bad\nuid", 0, fpr), -SL_E_BADNAME);
	char *sig = NULL;
	size_t siglen = 0;
	assert_int_equal(sl_keys_sign(k, SL_SIGN_DETACHED, "x", 1, &sig, &siglen), -SL_E_STATE);
	sl_keys_free(k);
	sl_keys_free(NULL);
}

int main(void)
{
	setenv("HOME", "/nonexistent-sluice-test-home", 1);
	unsetenv("GNUPGHOME");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_sign_gpgv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_and_retire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
