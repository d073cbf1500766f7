/* gpgtest: throwaway keys and signatures from the real gpg CLI, for tests of verify/gpg and admin/keys. */
#include "tests/unit/lib/gpgtest.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define MAX_ARGS 48
#define MAX_FILE (64u << 20)   /* bytes: test files are tiny; anything bigger is a bug */

struct sl_gpgtest {
	char root[64];
	char home[96];
	char dir[96];
	char log[112];
	unsigned seq;
	char sign_option[64];
};

const char *sl_gpgtest_home(const struct sl_gpgtest *t)
{
	return t->home;
}

const char *sl_gpgtest_dir(const struct sl_gpgtest *t)
{
	return t->dir;
}

void sl_gpgtest_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	/* fclose must run whatever fwrite did: two statements, not a short-circuit. */
	bool short_write = len > 0 && fwrite(data, 1, len, f) != len;
	bool close_failed = fclose(f) != 0;
	if (short_write || close_failed)
		fail_msg("%s: write failed", path);
}

char *sl_gpgtest_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	char *buf = malloc(MAX_FILE + 1);
	assert_non_null(buf);
	size_t n = fread(buf, 1, MAX_FILE + 1, f);
	fclose(f);
	assert_true(n <= MAX_FILE);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

void sl_gpgtest_rmtree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		fail_msg("cannot remove %s: %s", path, strerror(errno));
}

/* Run argv; stdout goes to `out` (or the log), stderr to the log. */
static int run_to(struct sl_gpgtest *t, const char *const *argv, const char *out)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int lg = open(t->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int o = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600) : lg;
		if (in < 0 || lg < 0 || o < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(lg, 2) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int sl_gpgtest_run(struct sl_gpgtest *t, const char *const *argv)
{
	return run_to(t, argv, NULL);
}

int sl_gpgtest_run_out(struct sl_gpgtest *t, const char *const *argv, const char *out)
{
	return run_to(t, argv, out);
}

static void dump_log(struct sl_gpgtest *t)
{
	size_t len = 0;
	char *s = sl_gpgtest_read(t->log, &len);
	fprintf(stderr, "--- gpg log (%s) ---\n%s--- end ---\n", t->log, s);
	free(s);
}

/* gpg with the home, batch mode and the given extra arguments; fails the test unless it exits 0. */
static void gpg(struct sl_gpgtest *t, time_t when, const char *out, const char *const *args)
{
	const char *argv[MAX_ARGS];
	char faked[32];
	size_t n = 0;
	argv[n++] = "gpg";
	argv[n++] = "--homedir";
	argv[n++] = t->home;
	argv[n++] = "--batch";
	argv[n++] = "--yes";
	argv[n++] = "--no-tty";
	argv[n++] = "--pinentry-mode";
	argv[n++] = "loopback";
	argv[n++] = "--passphrase";
	argv[n++] = "";
	if (when != 0) {
		snprintf(faked, sizeof faked, "%lld!", (long long)when);
		argv[n++] = "--faked-system-time";
		argv[n++] = faked;
	}
	for (size_t i = 0; args[i]; i++) {
		assert_true(n < MAX_ARGS - 1);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	int rc = run_to(t, argv, out);
	if (rc != 0) {
		dump_log(t);
		fail_msg("gpg %s ... exited %d", args[0], rc);
	}
}

struct sl_gpgtest *sl_gpgtest_new(void)
{
	struct sl_gpgtest *t = calloc(1, sizeof *t);
	assert_non_null(t);
	snprintf(t->root, sizeof t->root, "/tmp/slgpg.XXXXXX");
	if (!mkdtemp(t->root))
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(t->home, sizeof t->home, "%s/h", t->root);
	snprintf(t->dir, sizeof t->dir, "%s/d", t->root);
	snprintf(t->log, sizeof t->log, "%s/gpg.log", t->root);
	assert_int_equal(mkdir(t->home, 0700), 0);
	assert_int_equal(mkdir(t->dir, 0700), 0);
	return t;
}

void sl_gpgtest_free(struct sl_gpgtest *t)
{
	if (!t)
		return;
	const char *argv[] = { "gpgconf", "--homedir", t->home, "--kill", "all", NULL };
	(void)run_to(t, argv, NULL);
	sl_gpgtest_rmtree(t->root);
	free(t);
}

void sl_gpgtest_set_sign_option(struct sl_gpgtest *t, const char *opt)
{
	snprintf(t->sign_option, sizeof t->sign_option, "%s", opt ? opt : "");
}

/* Fingerprints of `key` in listing order: [0] primary, then subkeys. Returns how many. */
static size_t list_fprs(struct sl_gpgtest *t, const char *key, char fprs[][41], size_t max)
{
	char out[160];
	snprintf(out, sizeof out, "%s/list.%u", t->root, t->seq++);
	const char *args[] = { "--with-colons", "--list-keys", key, NULL };
	gpg(t, 0, out, args);
	char *s = sl_gpgtest_read(out, NULL);
	size_t n = 0;
	for (char *line = strtok(s, "\n"); line && n < max; line = strtok(NULL, "\n")) {
		if (strncmp(line, "fpr:::::::::", 12) == 0 && strlen(line) >= 12 + 40) {
			memcpy(fprs[n], line + 12, 40);
			fprs[n][40] = '\0';
			n++;
		}
	}
	free(s);
	unlink(out);
	return n;
}

void sl_gpgtest_genkey(struct sl_gpgtest *t, const char *uid, time_t when, const char *expire, char fpr[41])
{
	const char *args[] = { "--quick-gen-key", uid, "ed25519", "sign", expire ? expire : "never", NULL };
	gpg(t, when, NULL, args);
	char fprs[4][41];
	char pattern[256];
	snprintf(pattern, sizeof pattern, "=%s", uid);
	assert_true(list_fprs(t, pattern, fprs, 4) >= 1);
	memcpy(fpr, fprs[0], 41);
}

void sl_gpgtest_addsubkey(struct sl_gpgtest *t, const char *fpr, char sub[41])
{
	const char *args[] = { "--quick-add-key", fpr, "ed25519", "sign", "never", NULL };
	gpg(t, 0, NULL, args);
	char fprs[8][41];
	size_t n = list_fprs(t, fpr, fprs, 8);
	assert_true(n >= 2);
	memcpy(sub, fprs[n - 1], 41);
}

void sl_gpgtest_revoke(struct sl_gpgtest *t, const char *fpr)
{
	char path[192], fixed[192];
	snprintf(path, sizeof path, "%s/openpgp-revocs.d/%s.rev", t->home, fpr);
	snprintf(fixed, sizeof fixed, "%s/revoke.%u.asc", t->dir, t->seq++);
	size_t len = 0;
	char *s = sl_gpgtest_read(path, &len);
	/* gpg stores the certificate with a ':' before the armor line so it cannot be imported by accident. */
	char *armor = strstr(s, ":-----BEGIN PGP PUBLIC KEY BLOCK-----");
	assert_non_null(armor);
	armor++;
	sl_gpgtest_write(fixed, armor, len - (size_t)(armor - s));
	free(s);
	const char *args[] = { "--import", fixed, NULL };
	gpg(t, 0, NULL, args);
}

void sl_gpgtest_export(struct sl_gpgtest *t, const char *const *fprs, bool armor, const char *path)
{
	const char *args[MAX_ARGS];
	size_t n = 0;
	if (armor)
		args[n++] = "--armor";
	args[n++] = "-o";
	args[n++] = path;
	args[n++] = "--export";
	for (size_t i = 0; fprs[i]; i++) {
		assert_true(n < MAX_ARGS - 16);
		args[n++] = fprs[i];
	}
	args[n] = NULL;
	gpg(t, 0, NULL, args);
}

char *sl_gpgtest_sign(struct sl_gpgtest *t, const char *const *signers, enum sl_gpgtest_mode mode,
		      const void *data, size_t len, time_t when, size_t *out_len)
{
	char in[160], out[160];
	unsigned seq = t->seq++;
	snprintf(in, sizeof in, "%s/sign-in.%u", t->root, seq);
	snprintf(out, sizeof out, "%s/sign-out.%u", t->root, seq);
	sl_gpgtest_write(in, data, len);
	const char *args[MAX_ARGS];
	size_t n = 0;
	for (size_t i = 0; signers[i]; i++) {
		assert_true(n < MAX_ARGS - 16);
		args[n++] = "-u";
		args[n++] = signers[i];
	}
	if (t->sign_option[0])
		args[n++] = t->sign_option;
	switch (mode) {
	case SL_GPGTEST_CLEAR:
		args[n++] = "--clearsign";
		break;
	case SL_GPGTEST_DETACH:
		args[n++] = "--detach-sign";
		break;
	case SL_GPGTEST_DETACH_ARMOR:
		args[n++] = "--armor";
		args[n++] = "--detach-sign";
		break;
	case SL_GPGTEST_INLINE:
		args[n++] = "--sign";
		break;
	}
	args[n++] = "-o";
	args[n++] = out;
	args[n++] = in;
	args[n] = NULL;
	gpg(t, when, NULL, args);
	char *sig = sl_gpgtest_read(out, out_len);
	unlink(in);
	unlink(out);
	return sig;
}
