/* test_publish_apt: the APT publisher against real apt. Real .deb files (from this host's archive, or
 * built with dpkg-deb when it is unreachable), a real Packages from apt-ftparchive, a real signing key
 * (sluice's through admin/keys, the "upstream" one through the gpg CLI), and apt-get update + download
 * as the test user with a private configuration that reads nothing from /etc/apt. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

#include "admin/keys.h"
#include "admin/publish.h"
#include "admin/publish_apt.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/format.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "tests/unit/lib/snapfix.h"

#define SUITE "bookworm"
#define PKG_DIR "dists/" SUITE "/main/binary-amd64"
#define META "{\"suite\":\"bookworm\",\"origin\":\"Debian\",\"label\":\"Debian\",\"codename\":\"bookworm\"," \
	     "\"version\":\"12.5\",\"description\":\"Debian 12.5 Released 10 February 2024\"," \
	     "\"components\":[\"main\"],\"architectures\":[\"amd64\"],\"date\":1700000000," \
	     "\"valid_until\":0,\"acquire_by_hash\":true}"
#define MAX_DEBS 8

struct deb {
	char name[64];              /* package */
	char file[SL_MAX_PATH];     /* the .deb as fetched */
	char pool[512];             /* pool/main/h/hostname/hostname_..._amd64.deb */
};

/* Built once for the whole program (group setup). */
static struct {
	char work[64];              /* /tmp/sl-pubapt-XXXXXX */
	struct deb debs[MAX_DEBS];
	int ndebs;
	char repo[128];             /* work/repo: pool/ + dists/ as apt-ftparchive saw them */
	char upgpg[128];            /* the upstream's GnuPG home */
	char upkey[128];            /* its public key (binary) for signed-by */
} g;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	int st = system(cmd);
	free(cmd);
	return (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	size_t n = 0;
	if (sl_fs_read_file(path, 64u << 20, &data, &n) < 0)
		return NULL;
	if (len != NULL)
		*len = n;
	return data;
}

/* Tiny packages for when the archive cannot be reached: apt does not care where a .deb came from. */
static int build_local_debs(const char *dir)
{
	static const char *const names[] = { "sl-hello", "sl-world", "sl-tiny" };
	for (int i = 0; i < 3; i++) {
		if (sh("set -e; d=%s/build/%s; mkdir -p $d/DEBIAN $d/usr/share/doc/%s; "
		       "printf 'Package: %s\\nVersion: 1.0-%d\\nArchitecture: amd64\\nMaintainer: t <t@example.invalid>\\n"
		       "Description: sluice test package\\n' > $d/DEBIAN/control; echo %s > $d/usr/share/doc/%s/README; "
		       "dpkg-deb --root-owner-group -Zgzip -b $d %s/%s_1.0-%d_amd64.deb >/dev/null",
		       g.work, names[i], names[i], names[i], i, names[i], names[i], dir, names[i], i) != 0)
			return -1;
	}
	return 0;
}

static int setup_debs(void)
{
	char dir[128];
	snprintf(dir, sizeof dir, "%s/debs", g.work);
	if (mkdir(dir, 0755) < 0)
		return -1;
	const char *sandbox = geteuid() == 0 ? "-o APT::Sandbox::User=root" : "";
	if (sh("cd %s && timeout 120 apt-get download -q %s hostname base-files netbase > ../download.log 2>&1",
	       dir, sandbox) != 0) {
		printf("# archive unreachable (apt-get download said:); using .debs built with dpkg-deb\n");
		fflush(stdout);
		sh("tail -5 %s/download.log | sed 's/^/#   /'", g.work);
		sh("rm -f %s/*.deb", dir);
		if (build_local_debs(dir) != 0)
			return -1;
	}
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	for (struct dirent *e = readdir(d); e != NULL && g.ndebs < MAX_DEBS; e = readdir(d)) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".deb") != 0)
			continue;
		struct deb *db = &g.debs[g.ndebs++];
		snprintf(db->name, sizeof db->name, "%.*s", (int)strcspn(e->d_name, "_"), e->d_name);
		snprintf(db->file, sizeof db->file, "%s/%s", dir, e->d_name);
		char name[64];
		memcpy(name, db->name, sizeof name);
		snprintf(db->pool, sizeof db->pool, "pool/main/%c/%s/%s", name[0], name, e->d_name);
		if (sh("mkdir -p %s/$(dirname %s) && cp %s %s/%s", g.repo, db->pool, db->file, g.repo, db->pool) != 0)
			return -1;
	}
	closedir(d);
	return g.ndebs >= 2 ? 0 : -1;
}

/* Packages by apt-ftparchive; an upstream Release by apt-ftparchive, clear-signed with a throwaway key. */
static int setup_repo(void)
{
	if (sh("set -e; cd %s; mkdir -p " PKG_DIR "; apt-ftparchive packages pool > " PKG_DIR "/Packages; "
	       "gzip -9nk " PKG_DIR "/Packages; xz -k " PKG_DIR "/Packages", g.repo) != 0)
		return -1;
	if (sh("set -e; mkdir -m 700 %s; gpg --homedir %s --batch --quiet --pinentry-mode loopback --passphrase '' "
	       "--quick-gen-key 'Upstream Test <upstream@example.invalid>' ed25519 sign never 2>/dev/null; "
	       "gpg --homedir %s --batch --export > %s",
	       g.upgpg, g.upgpg, g.upgpg, g.upkey) != 0)
		return -1;
	return sh("set -e; cd %s; apt-ftparchive -o APT::FTPArchive::Release::Origin=Upstream "
		  "-o APT::FTPArchive::Release::Suite=" SUITE " -o APT::FTPArchive::Release::Codename=" SUITE " "
		  "-o APT::FTPArchive::Release::Components=main -o APT::FTPArchive::Release::Architectures=amd64 "
		  "-o APT::FTPArchive::Release::Acquire-By-Hash=yes release dists/" SUITE " > ../Release.up; "
		  "gpg --homedir %s --batch --quiet --yes --clearsign -o ../InRelease.up ../Release.up",
		  g.repo, g.upgpg);
}

static int group_setup(void **state)
{
	snprintf(g.work, sizeof g.work, "/tmp/sl-pubapt-XXXXXX");
	if (mkdtemp(g.work) == NULL)
		return -1;
	snprintf(g.repo, sizeof g.repo, "%s/repo", g.work);
	snprintf(g.upgpg, sizeof g.upgpg, "%s/upgpg", g.work);
	snprintf(g.upkey, sizeof g.upkey, "%s/upstream.gpg", g.work);
	if (mkdir(g.repo, 0755) < 0 || setup_debs() != 0 || setup_repo() != 0) {
		fprintf(stderr, "test setup failed in %s\n", g.work);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	sh("gpgconf --homedir %s --kill all >/dev/null 2>&1", g.upgpg);
	sl_fs_rmtree(g.work);
	return 0;
}

/* ---- per test: a state dir, a source, optionally sluice's key ---- */

struct fix {
	struct sl_snapfix *sf;
	struct sl_source src;
	struct sl_config cfg;
	struct sl_publish_ctx ctx;
	struct sl_keys *keys;
	char home[128];
	char tree[256];             /* public/apt/deb */
};

static void fix_free(struct fix *f)
{
	if (f == NULL)
		return;
	sl_keys_free(f->keys);
	sl_snapfix_free(f->sf);
	free(f);
}

/* NULL (with a line on stderr) when the fixture cannot be made; nothing is left behind then. */
static struct fix *fix_new(enum sl_publish_mode mode, bool with_key)
{
	struct fix *f = calloc(1, sizeof *f);
	if (f == NULL)
		return NULL;
	f->sf = sl_snapfix_new("deb", "apt");
	if (f->sf == NULL) {
		free(f);
		return NULL;
	}
	f->src.name = (char *)"deb";
	f->src.format = sl_format_find("apt");
	f->src.publish = mode;
	f->cfg.sources = &f->src;
	f->cfg.nsources = 1;
	f->cfg.grace_ms = 3600 * 1000;
	if (with_key) {
		char *cause = NULL, fpr[41];
		snprintf(f->home, sizeof f->home, "%s/keys", sl_snapfix_state_dir(f->sf));
		f->keys = sl_keys_open(f->home, 1, &cause);
		int r = f->keys == NULL ? -1 : sl_keys_create(f->keys, "sluice test <sluice@example.invalid>", 0, fpr);
		if (r != 0) {
			fprintf(stderr, "sluice key: %s\n", cause != NULL ? cause : sl_strerror(r));
			free(cause);
			fix_free(f);
			return NULL;
		}
	}
	f->ctx = (struct sl_publish_ctx){
		.cfg = &f->cfg,
		.src = &f->src,
		.cat = sl_snapfix_catalog(f->sf),
		.store = sl_snapfix_store(f->sf),
		.keys = f->keys,
		.public_dir = sl_snapfix_public_dir(f->sf),
	};
	snprintf(f->tree, sizeof f->tree, "%s/apt/deb", f->ctx.public_dir);
	return f;
}

/* Per-test fixtures through cmocka's setup/teardown, so a failing test still removes its state dir. */
static int setup_resign(void **state)
{
	*state = fix_new(SL_PUBLISH_RESIGN, true);
	return *state != NULL ? 0 : -1;
}

static int setup_verbatim(void **state)
{
	*state = fix_new(SL_PUBLISH_VERBATIM, false);
	return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	fix_free(*state);
	return 0;
}

/* The syncer's view of the repository: pool files, then indices of the mode's role, then the release. */
static int64_t repo_snapshot(struct fix *f, enum sl_publish_mode mode, enum sl_snap_state state)
{
	struct sl_snapfix_entry e[MAX_DEBS + 8];
	char paths[MAX_DEBS + 8][SL_MAX_PATH];
	size_t n = 0;
	for (int i = 0; i < g.ndebs; i++)
		e[n++] = (struct sl_snapfix_entry){ .path = g.debs[i].pool, .role = "pool", .file = g.debs[i].file };
	static const char *const idx_resign[] = { "Packages", "Packages.gz", "Packages.xz" };
	static const char *const idx_verbatim[] = { "Packages.gz", "Packages.xz" };
	const char *const *idx = mode == SL_PUBLISH_RESIGN ? idx_resign : idx_verbatim;
	size_t nidx = mode == SL_PUBLISH_RESIGN ? 3 : 2;
	for (size_t i = 0; i < nidx; i++) {
		snprintf(paths[n], sizeof paths[n], "%s/" PKG_DIR "/%s", g.repo, idx[i]);
		e[n].path = paths[n] + strlen(g.repo) + 1;
		e[n].role = mode == SL_PUBLISH_RESIGN ? "index" : "upstream-index";
		e[n].file = paths[n];
		e[n].data = NULL;
		e[n].meta_json = NULL;
		n++;
	}
	snprintf(paths[n], sizeof paths[n], "%s/InRelease.up", g.work);
	e[n] = (struct sl_snapfix_entry){ .path = "dists/" SUITE "/InRelease", .role = "release",
					  .file = paths[n], .meta_json = META };
	n++;
	int64_t id = 0;
	assert_int_equal(sl_snapfix_snapshot(f->sf, e, n, state, &id), 0);
	return id;
}

static void publish_ok(struct fix *f, int64_t snap, int expect)
{
	char *cause = NULL;
	int r = sl_publish_snapshot(&f->ctx, snap, expect, "approve", "tester", NULL, &cause);
	if (r != 0)
		fail_msg("publish %lld: %s: %s", (long long)snap, sl_strerror(r), cause ? cause : "");
	free(cause);
}

/* apt-get update + download against `tree` with only `key` trusted; every .deb must come back
 * byte-identical. Returns apt's verdict (0: clean) so negative cases can assert a refusal. */
static int run_apt(const char *tree, const char *key, const char *tag, bool expect_ok)
{
	char a[256];
	snprintf(a, sizeof a, "%s/apt-%s", g.work, tag);
	assert_int_equal(sh("rm -rf %s; mkdir -p %s/etc/apt.conf.d %s/etc/sources.list.d %s/etc/trusted.gpg.d "
			    "%s/etc/preferences.d %s/state/lists/partial %s/cache/archives/partial %s/dl %s/log; "
			    ": > %s/status", a, a, a, a, a, a, a, a, a, a), 0);
	char conf[512];
	snprintf(conf, sizeof conf, "%s/apt.conf", a);
	FILE *fp = fopen(conf, "w");
	assert_non_null(fp);
	fprintf(fp, "Dir::Etc \"%s/etc/\";\nDir::Etc::main \"apt.conf\";\nDir::Etc::parts \"apt.conf.d\";\n"
		"Dir::Etc::sourcelist \"sources.list\";\nDir::Etc::sourceparts \"sources.list.d\";\n"
		"Dir::Etc::trusted \"trusted.gpg\";\nDir::Etc::trustedparts \"trusted.gpg.d\";\n"
		"Dir::State \"%s/state/\";\nDir::State::status \"%s/status\";\nDir::Cache \"%s/cache/\";\n"
		"Dir::Log \"%s/log/\";\nAPT::Architecture \"amd64\";\nAPT::Architectures { \"amd64\"; };\n"
		"Debug::NoLocking \"1\";\nAcquire::Languages \"none\";\nAcquire::Check-Date \"true\";\n"
		"Acquire::Check-Valid-Until \"true\";\nAcquire::By-Hash \"yes\";\n%s",
		a, a, a, a, a, geteuid() == 0 ? "APT::Sandbox::User \"root\";\n" : "");
	fclose(fp);
	char list[512];
	snprintf(list, sizeof list, "%s/etc/sources.list", a);
	fp = fopen(list, "w");
	assert_non_null(fp);
	fprintf(fp, "deb [signed-by=%s] copy:%s " SUITE " main\n", key, tree);
	fclose(fp);

	int r = sh("cd %s && APT_CONFIG=%s apt-get -q update > update.log 2>&1 && "
		   "! grep -E '^(W|E|Err):' update.log", a, conf);
	if (!expect_ok) {
		sh("grep -E '^(W|E|Err):' %s/update.log | head -3 | sed 's/^/#   apt: /'", a);
		return r;
	}
	if (r != 0) {
		sh("sed 's/^/#   /' %s/update.log", a);
		fail_msg("apt-get update against %s failed", tree);
	}
	char names[512] = "";
	for (int i = 0; i < g.ndebs; i++) {
		strcat(names, " ");
		strcat(names, g.debs[i].name);
	}
	r = sh("cd %s/dl && APT_CONFIG=%s apt-get -q download%s > ../download.log 2>&1", a, conf, names);
	if (r != 0) {
		sh("sed 's/^/#   /' %s/download.log", a);
		fail_msg("apt-get download from %s failed", tree);
	}
	for (int i = 0; i < g.ndebs; i++) {
		char got[SL_MAX_PATH];
		snprintf(got, sizeof got, "%s/dl/%s", a, strrchr(g.debs[i].file, '/') + 1);
		size_t la, lb;
		char *x = slurp(g.debs[i].file, &la), *y = slurp(got, &lb);
		assert_non_null(x);
		if (y == NULL)
			fail_msg("apt did not download %s", got);
		assert_int_equal(la, lb);
		assert_memory_equal(x, y, la);
		free(x);
		free(y);
	}
	return 0;
}

static void export_key(struct fix *f, char *path, size_t cap)
{
	char *armor = NULL;
	size_t len = 0;
	assert_int_equal(sl_keys_export(f->keys, &armor, &len), 0);
	snprintf(path, cap, "%s/sluice.asc", sl_snapfix_state_dir(f->sf));
	assert_int_equal(sl_fs_write_atomic(path, armor, len, 0644), 0);
	free(armor);
}

static void test_resign_passes_apt(void **state)
{
	struct fix *f = *state;
	int64_t snap = repo_snapshot(f, SL_PUBLISH_RESIGN, SL_SNAP_PENDING);
	publish_ok(f, snap, SL_SNAP_PENDING);
	/* Clients fetch the key from the published tree; it must be the one that signed. */
	char key[SL_MAX_PATH], mine[SL_MAX_PATH];
	snprintf(key, sizeof key, "%s/keys/sluice.asc", f->ctx.public_dir);
	export_key(f, mine, sizeof mine);
	size_t la, lb;
	char *x = slurp(key, &la), *y = slurp(mine, &lb);
	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(la, lb);
	assert_memory_equal(x, y, la);
	free(x);
	free(y);
	assert_int_equal(run_apt(f->tree, key, "resign", true), 0);
	/* The upstream's key must not be enough: the tree is sluice's now. */
	assert_int_not_equal(run_apt(f->tree, g.upkey, "resign-wrongkey", false), 0);
	/* Release.gpg (detached) verifies too, for clients that do not use InRelease. */
	assert_int_equal(sh("set -e; cd %s/dists/" SUITE "; gpg --batch --quiet --dearmor < %s > %s/k.gpg; "
			    "gpgv --quiet --keyring %s/k.gpg Release.gpg Release 2>/dev/null",
			    f->tree, key, g.work, g.work), 0);
}

static void test_verbatim_passes_apt(void **state)
{
	struct fix *f = *state;
	int64_t snap = repo_snapshot(f, SL_PUBLISH_VERBATIM, SL_SNAP_PENDING);
	publish_ok(f, snap, SL_SNAP_PENDING);
	assert_int_equal(run_apt(f->tree, g.upkey, "verbatim", true), 0);
	/* Upstream files are served byte-identical, and sluice wrote no Release of its own. */
	char served[SL_MAX_PATH], up[SL_MAX_PATH];
	snprintf(served, sizeof served, "%s/dists/" SUITE "/InRelease", f->tree);
	snprintf(up, sizeof up, "%s/InRelease.up", g.work);
	size_t la, lb;
	char *x = slurp(served, &la), *y = slurp(up, &lb);
	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(la, lb);
	assert_memory_equal(x, y, la);
	free(x);
	free(y);
	struct stat st;
	snprintf(served, sizeof served, "%s/dists/" SUITE "/Release", f->tree);
	assert_int_equal(lstat(served, &st), -1);
	/* A key that did not sign it is refused. */
	char other[SL_MAX_PATH];
	snprintf(other, sizeof other, "%s/empty.gpg", g.work);
	assert_int_equal(sh(": > %s", other), 0);
	assert_int_not_equal(run_apt(f->tree, other, "verbatim-wrongkey", false), 0);
}

/* Every line of each hash section names an index whose hash and size match, and its by-hash twin. */
static void check_release_section(const char *dir, const char *release, const char *section, unsigned alg,
				  int *listed)
{
	char head[32];
	snprintf(head, sizeof head, "\n%s:\n", section);
	const char *p = strstr(release, head);
	assert_non_null(p);
	p += strlen(head);
	*listed = 0;
	while (*p == ' ') {
		char hash[160], rel[512];
		uint64_t size;
		assert_int_equal(sscanf(p, " %159s %" SCNu64 " %511s", hash, &size, rel), 3);
		char path[SL_MAX_PATH];
		snprintf(path, sizeof path, "%s/%s", dir, rel);
		size_t len = 0;
		char *data = slurp(path, &len);
		assert_non_null(data);
		assert_int_equal(len, size);
		struct sl_hasher *h = sl_hasher_new(alg);
		assert_non_null(h);
		assert_int_equal(sl_hasher_update(h, data, len), 0);
		char md5[129], sha1[129], sha256[129], sha512[129];
		assert_int_equal(sl_hasher_final(h, md5, sha1, sha256, sha512), 0);
		sl_hasher_free(h);
		free(data);
		const char *want = alg == SL_HASH_MD5 ? md5 : alg == SL_HASH_SHA256 ? sha256 : sha512;
		assert_string_equal(hash, want);
		char byhash[SL_MAX_PATH];
		snprintf(byhash, sizeof byhash, "%s/%.*s/by-hash/%s/%s", dir, (int)(strrchr(rel, '/') - rel), rel,
			 section, hash);
		struct stat a, b;
		assert_int_equal(stat(path, &a), 0);
		if (stat(byhash, &b) != 0)
			fail_msg("missing %s", byhash);
		assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
		(*listed)++;
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
}

static void test_release_hashes_and_by_hash(void **state)
{
	struct fix *f = *state;
	int64_t snap = repo_snapshot(f, SL_PUBLISH_RESIGN, SL_SNAP_PENDING);
	publish_ok(f, snap, SL_SNAP_PENDING);
	char dir[512], path[SL_MAX_PATH];
	snprintf(dir, sizeof dir, "%s/dists/" SUITE, f->tree);
	snprintf(path, sizeof path, "%s/Release", dir);
	char *rel = slurp(path, NULL);
	assert_non_null(rel);
	static const char *const fields[] = {
		"Origin: Debian\n", "Label: Debian\n", "Suite: bookworm\n", "Codename: bookworm\n",
		"Version: 12.5\n", "Components: main\n", "Architectures: amd64\n", "Acquire-By-Hash: yes\n",
		"Description: Debian 12.5 Released 10 February 2024\n", "\nDate: ",
	};
	for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strstr(rel, fields[i]) == NULL)
			fail_msg("Release lacks \"%s\":\n%s", fields[i], rel);
	assert_null(strstr(rel, "Valid-Until"));
	int n;
	check_release_section(dir, rel, "MD5Sum", SL_HASH_MD5, &n);
	assert_int_equal(n, 3);
	check_release_section(dir, rel, "SHA256", SL_HASH_SHA256, &n);
	assert_int_equal(n, 3);
	check_release_section(dir, rel, "SHA512", SL_HASH_SHA512, &n);
	assert_int_equal(n, 3);
	/* InRelease is the same Release, clear-signed. */
	snprintf(path, sizeof path, "%s/InRelease", dir);
	char *inrel = slurp(path, NULL);
	assert_non_null(inrel);
	assert_non_null(strstr(inrel, "-----BEGIN PGP SIGNED MESSAGE-----"));
	assert_non_null(strstr(inrel, "SHA512:\n"));
	free(inrel);
	free(rel);
}

static void test_verbatim_by_hash(void **state)
{
	struct fix *f = *state;
	int64_t snap = repo_snapshot(f, SL_PUBLISH_VERBATIM, SL_SNAP_PENDING);
	publish_ok(f, snap, SL_SNAP_PENDING);
	/* The upstream Release's own hash lines lead to by-hash files with the same bytes. */
	char dir[512], up[SL_MAX_PATH];
	snprintf(dir, sizeof dir, "%s/dists/" SUITE, f->tree);
	snprintf(up, sizeof up, "%s/Release.up", g.work);
	char *rel = slurp(up, NULL);
	assert_non_null(rel);
	/* apt-ftparchive also lists the unserved uncompressed Packages; check only what is served. */
	static const char *const algs[] = { "SHA256", "SHA512" };
	for (unsigned k = 0; k < 2; k++) {
		char head[16];
		snprintf(head, sizeof head, "\n%s:\n", algs[k]);
		const char *p = strstr(rel, head);
		assert_non_null(p);
		p += strlen(head);
		int found = 0;
		while (*p == ' ') {
			char hash[160], name[512], path[SL_MAX_PATH * 2], byhash[SL_MAX_PATH * 2];
			uint64_t size;
			assert_int_equal(sscanf(p, " %159s %" SCNu64 " %511s", hash, &size, name), 3);
			snprintf(path, sizeof path, "%s/%s", dir, name);
			snprintf(byhash, sizeof byhash, "%s/main/binary-amd64/by-hash/%s/%s", dir, algs[k], hash);
			struct stat a, b;
			if (stat(path, &a) == 0) {
				assert_int_equal(stat(byhash, &b), 0);
				assert_true(a.st_ino == b.st_ino);
				assert_int_equal((uint64_t)a.st_size, size);
				found++;
			}
			p = strchr(p, '\n') + 1;
		}
		assert_int_equal(found, 2);
	}
	free(rel);
}

static int64_t release_date(const char *tree)
{
	char path[SL_MAX_PATH];
	snprintf(path, sizeof path, "%s/dists/" SUITE "/Release", tree);
	char *rel = slurp(path, NULL);
	assert_non_null(rel);
	const char *d = strstr(rel, "\nDate: ");
	assert_non_null(d);
	struct tm tm = { 0 };
	const char *end = strptime(d + 7, "%a, %d %b %Y %H:%M:%S UTC", &tm);
	assert_non_null(end);
	assert_true(*end == '\n');
	free(rel);
	return (int64_t)timegm(&tm);
}

/* A rollback republishes an older snapshot: its Release must still be newer than what clients have. */
static void test_date_increases_on_rollback(void **state)
{
	struct fix *f = *state;
	int64_t start = (int64_t)time(NULL);
	int64_t a = repo_snapshot(f, SL_PUBLISH_RESIGN, SL_SNAP_PENDING);
	int64_t b = repo_snapshot(f, SL_PUBLISH_RESIGN, SL_SNAP_PENDING);
	publish_ok(f, a, SL_SNAP_PENDING);
	int64_t d1 = release_date(f->tree);
	publish_ok(f, b, SL_SNAP_PENDING);
	int64_t d2 = release_date(f->tree);
	publish_ok(f, a, SL_SNAP_SUPERSEDED);
	int64_t d3 = release_date(f->tree);
	publish_ok(f, a, SL_SNAP_PUBLISHED);
	int64_t d4 = release_date(f->tree);
	printf("# Dates: %lld %lld %lld %lld (start %lld)\n", (long long)d1, (long long)d2, (long long)d3,
	       (long long)d4, (long long)start);
	assert_true(d1 >= start);
	assert_true(d1 < d2 && d2 < d3 && d3 < d4);
	/* Generation 1 keeps its own Release untouched. */
	char g1[SL_MAX_PATH];
	snprintf(g1, sizeof g1, "%s/.gen/apt-deb-1", f->ctx.public_dir);
	assert_int_equal(release_date(g1), d1);
}

struct bad_case {
	const char *what;
	enum sl_publish_mode mode;
	bool drop_key;
	struct sl_snapfix_entry e[4];
	size_t n;
	int err;
	const char *cause;          /* expected in the cause */
};

#define IDX(p) { .path = PKG_DIR "/" p, .role = "index", .data = "Package: x\n", .len = 11 }
#define REL(m) { .path = "dists/" SUITE "/InRelease", .role = "release", .data = "up", .len = 2, .meta_json = m }

static const struct bad_case bad_cases[] = {
	{ "resign without a key", SL_PUBLISH_RESIGN, true, { IDX("Packages"), REL(META) }, 2, -SL_E_CONFIG,
	  "signing key" },
	{ "newline smuggled into Description", SL_PUBLISH_RESIGN, false,
	  { IDX("Packages"), REL("{\"description\":\"x\\nSHA256:\\n 00 1 main/evil\"}") }, 2, -SL_E_PARSE,
	  "description" },
	{ "suite with a space", SL_PUBLISH_RESIGN, false, { IDX("Packages"), REL("{\"suite\":\"a b\"}") }, 2,
	  -SL_E_PARSE, "suite" },
	{ "meta not JSON", SL_PUBLISH_RESIGN, false, { IDX("Packages"), REL("{nope") }, 2, -SL_E_PARSE,
	  "meta_json" },
	{ "meta field not a string", SL_PUBLISH_RESIGN, false, { IDX("Packages"), REL("{\"origin\":5}") }, 2,
	  -SL_E_PARSE, "origin" },
	{ "release without meta", SL_PUBLISH_RESIGN, false, { IDX("Packages"), REL(NULL) }, 2, -SL_E_PARSE,
	  "meta_json" },
	{ "index without a release", SL_PUBLISH_RESIGN, false, { IDX("Packages") }, 1, -SL_E_NOTFOUND,
	  "no InRelease/Release" },
	{ "no index at all", SL_PUBLISH_RESIGN, false,
	  { REL(META), { .path = "pool/x.deb", .role = "pool", .data = "d", .len = 1 } }, 2, -SL_E_NOTFOUND,
	  "no 'index' entries" },
	{ "unknown role", SL_PUBLISH_RESIGN, false,
	  { IDX("Packages"), REL(META), { .path = "dists/" SUITE "/main/i18n/Translation-en", .role = "i18n",
					  .data = "t", .len = 1 } }, 3, -SL_E_UNSUPPORTED, "i18n" },
	{ "pool entry where Release goes", SL_PUBLISH_RESIGN, false,
	  { IDX("Packages"), REL(META), { .path = "dists/" SUITE "/Release", .role = "pool", .data = "f",
					  .len = 1 } }, 3, -SL_E_EXISTS, "Release" },
	{ "release outside dists", SL_PUBLISH_VERBATIM, false,
	  { { .path = "InRelease", .role = "release", .data = "x", .len = 1 } }, 1, -SL_E_BADNAME, "outside" },
	{ "verbatim index without a release", SL_PUBLISH_VERBATIM, false,
	  { { .path = PKG_DIR "/Packages.xz", .role = "upstream-index", .data = "x", .len = 1 } }, 1,
	  -SL_E_NOTFOUND, "no InRelease/Release" },
};

static void test_bad_snapshots_publish_nothing(void **state)
{
	struct fix *f = *state;
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		f->src.publish = c->mode;
		f->ctx.keys = c->drop_key ? NULL : f->keys;
		int64_t snap;
		assert_int_equal(sl_snapfix_snapshot(f->sf, c->e, c->n, SL_SNAP_PENDING, &snap), 0);
		char *cause = NULL;
		int r = sl_publish_snapshot(&f->ctx, snap, SL_SNAP_PENDING, "approve", "tester", NULL, &cause);
		printf("# %s: %s\n", c->what, cause ? cause : "(no cause)");
		if (r != c->err || cause == NULL || strstr(cause, c->cause) == NULL)
			fail_msg("%s: got %s (%s), want %s with \"%s\"", c->what, sl_strerror(r), cause ? cause : "",
				 sl_strerror(c->err), c->cause);
		free(cause);
		/* Nothing visible, nothing recorded, nothing left in .gen. */
		struct stat st;
		assert_int_equal(lstat(f->tree, &st), -1);
		char gen[SL_MAX_PATH];
		snprintf(gen, sizeof gen, "%s/.gen", f->ctx.public_dir);
		DIR *d = opendir(gen);
		if (d != NULL) {
			for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
				if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
					fail_msg("%s: left %s/%s", c->what, gen, e->d_name);
			closedir(d);
		}
		struct sl_snapshot_info info;
		assert_int_equal(sl_catalog_snapshot_get(f->ctx.cat, snap, &info), 0);
		assert_int_equal(info.state, SL_SNAP_PENDING);
		sl_snapshot_info_release(&info);
	}
}

#define PERF_PACKAGES 2500

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Measurement, not a threshold: the target is <= 0.5 s for 2,500 packages (index, signatures, links). */
static void test_perf_2500_packages(void **state)
{
	struct fix *f = *state;
	char dir[256];
	snprintf(dir, sizeof dir, "%s/perf", sl_snapfix_state_dir(f->sf));
	assert_int_equal(sl_fs_mkdirs(dir, 0755), 0);
	size_t n = PERF_PACKAGES + 4;
	struct sl_snapfix_entry *e = calloc(n, sizeof *e);
	char **bufs = calloc(n * 2, sizeof *bufs);
	assert_non_null(e);
	assert_non_null(bufs);
	char pk[SL_MAX_PATH];
	snprintf(pk, sizeof pk, "%s/Packages", dir);
	FILE *fp = fopen(pk, "w");
	assert_non_null(fp);
	for (int i = 0; i < PERF_PACKAGES; i++) {
		char *path, *data;
		assert_true(asprintf(&path, "pool/main/p/pkg%04d/pkg%04d_1.%d-1_amd64.deb", i, i, i) > 0);
		assert_true(asprintf(&data, "!<arch>\nfake package %d %0512d\n", i, i) > 0);
		char sha[SL_SHA256_HEX];
		sl_digest_sha256(data, strlen(data), sha);
		fprintf(fp, "Package: pkg%04d\nVersion: 1.%d-1\nArchitecture: amd64\nMaintainer: t <t@example.invalid>\n"
			"Installed-Size: 12\nDepends: libc6 (>= 2.36)\nFilename: %s\nSize: %zu\nSHA256: %s\n"
			"Section: misc\nPriority: optional\nDescription: package number %d\n synthetic\n\n",
			i, i, path, strlen(data), sha, i);
		e[i] = (struct sl_snapfix_entry){ .path = path, .role = "pool", .data = data, .len = strlen(data) };
		bufs[2 * i] = path;
		bufs[2 * i + 1] = data;
	}
	fclose(fp);
	assert_int_equal(sh("cd %s && gzip -9nk Packages && xz -k Packages", dir), 0);
	static const char *const idx[] = { "Packages", "Packages.gz", "Packages.xz" };
	char files[3][SL_MAX_PATH];
	for (int k = 0; k < 3; k++) {
		snprintf(files[k], sizeof files[k], "%s/%s", dir, idx[k]);
		char *p;
		assert_true(asprintf(&p, PKG_DIR "/%s", idx[k]) > 0);
		bufs[2 * (PERF_PACKAGES + k)] = p;
		e[PERF_PACKAGES + k] = (struct sl_snapfix_entry){ .path = p, .role = "index", .file = files[k] };
	}
	e[PERF_PACKAGES + 3] = (struct sl_snapfix_entry)REL(META);
	double t0 = now_s();
	int64_t a, b;
	assert_int_equal(sl_snapfix_snapshot(f->sf, e, n, SL_SNAP_PENDING, &a), 0);
	assert_int_equal(sl_snapfix_snapshot(f->sf, e, n, SL_SNAP_PENDING, &b), 0);
	double t1 = now_s();
	publish_ok(f, a, SL_SNAP_PENDING);
	double t2 = now_s();
	publish_ok(f, b, SL_SNAP_PENDING);
	double t3 = now_s();
	publish_ok(f, a, SL_SNAP_SUPERSEDED);
	double t4 = now_s();
	printf("# perf: fixture of 2 x %d packages in %.2f s\n", PERF_PACKAGES, t1 - t0);
	printf("# perf: publish (resign: links + Release + InRelease + Release.gpg + by-hash) of %d packages: "
	       "%.3f s, second %.3f s, rollback %.3f s (target <= 0.5 s)\n", PERF_PACKAGES, t2 - t1, t3 - t2,
	       t4 - t3);
	char last[SL_MAX_PATH];
	snprintf(last, sizeof last, "%s/pool/main/p/pkg%04d/pkg%04d_1.%d-1_amd64.deb", f->tree, PERF_PACKAGES - 1,
		 PERF_PACKAGES - 1, PERF_PACKAGES - 1);
	struct stat st;
	assert_int_equal(stat(last, &st), 0);
	for (size_t i = 0; i < n * 2; i++)
		free(bufs[i]);
	free(bufs);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resign_passes_apt, setup_resign, teardown),
		cmocka_unit_test_setup_teardown(test_verbatim_passes_apt, setup_verbatim, teardown),
		cmocka_unit_test_setup_teardown(test_release_hashes_and_by_hash, setup_resign, teardown),
		cmocka_unit_test_setup_teardown(test_verbatim_by_hash, setup_verbatim, teardown),
		cmocka_unit_test_setup_teardown(test_date_increases_on_rollback, setup_resign, teardown),
		cmocka_unit_test_setup_teardown(test_bad_snapshots_publish_nothing, setup_resign, teardown),
		cmocka_unit_test_setup_teardown(test_perf_2500_packages, setup_resign, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
