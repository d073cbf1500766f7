/* Tests for core/config: good files give the right values and defaults; every class of bad input is
 * refused with the exact FILE:LINE and a recognisable message. Bad cases live in tests/data/config/bad/,
 * each starting with "; expect: LINE: text"; cases that need generated input are inline here. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/limits.h"

static char *data_path(const char *rel)
{
	const char *root = getenv("SL_TEST_DATA");
	char *p = NULL;
	assert_non_null(root);
	assert_true(asprintf(&p, "%s/config/%s", root, rel) > 0);
	return p;
}

/* Parse inline text; expect failure with a cause of exactly "t.conf:LINE: " + something containing want. */
static void expect_parse_error(const char *text, size_t len, int line, const char *want)
{
	char *cause = NULL;
	char prefix[64];
	struct sl_config *cfg = sl_config_parse(text, len, "t.conf", &cause);
	if (cfg != NULL)
		fail_msg("accepted, expected line %d: %s", line, want);
	assert_non_null(cause);
	snprintf(prefix, sizeof prefix, "t.conf:%d: ", line);
	if (strncmp(cause, prefix, strlen(prefix)) != 0 || strstr(cause, want) == NULL)
		fail_msg("cause '%s', expected '%s...%s'", cause, prefix, want);
	free(cause);
}

static struct sl_config *parse_ok(const char *text)
{
	char *cause = NULL;
	struct sl_config *cfg = sl_config_parse(text, strlen(text), "t.conf", &cause);
	if (cfg == NULL)
		fail_msg("refused: %s", cause);
	assert_null(cause);
	return cfg;
}

/* Some line of the cause starts with prefix and contains want. */
static bool cause_has(const char *cause, const char *prefix, const char *want)
{
	for (const char *l = cause; l != NULL && *l != '\0';) {
		const char *nl = strchr(l, '\n');
		size_t n = nl != NULL ? (size_t)(nl - l) : strlen(l);
		char *line = strndup(l, n);
		assert_non_null(line);
		bool hit = strncmp(line, prefix, strlen(prefix)) == 0 && strstr(line, want) != NULL;
		free(line);
		if (hit)
			return true;
		l = nl != NULL ? nl + 1 : NULL;
	}
	return false;
}

/* Every line of the cause is "file:LINE: ...", with LINE never decreasing. */
static bool lines_in_order(const char *cause, const char *file)
{
	int last = 0;
	size_t fl = strlen(file);
	for (const char *l = cause; l != NULL && *l != '\0';) {
		int line = 0;
		if (strncmp(l, file, fl) != 0 || l[fl] != ':' || sscanf(l + fl + 1, "%d:", &line) != 1 || line < last) {
			print_error("out of order or without a line: %s\n", l);
			return false;
		}
		last = line;
		const char *nl = strchr(l, '\n');
		l = nl != NULL ? nl + 1 : NULL;
	}
	return true;
}

/* Every file in bad/ is refused with the line and text its first line announces. */
static void test_bad_files(void **state)
{
	(void)state;
	char *dir = data_path("bad");
	DIR *d = opendir(dir);
	assert_non_null(d);
	unsigned count = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".conf") != 0)
			continue;
		char *path = NULL;
		assert_true(asprintf(&path, "%s/%s", dir, de->d_name) > 0);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		char first[512];
		assert_non_null(fgets(first, sizeof first, f));
		fclose(f);
		first[strcspn(first, "\n")] = '\0';
		int line = 0, off = 0;
		if (sscanf(first, "; expect: %d: %n", &line, &off) != 1 || off == 0)
			fail_msg("%s: first line must be '; expect: LINE: text'", path);
		const char *want = first + off;

		char *cause = NULL;
		struct sl_config *cfg = sl_config_load(path, &cause);
		if (cfg != NULL)
			fail_msg("%s: accepted", de->d_name);
		assert_non_null(cause);
		char *prefix = NULL;
		assert_true(asprintf(&prefix, "%s:%d: ", path, line) > 0);
		/* The announced problem is one of the lines (a file may hold more than one problem). */
		if (!cause_has(cause, prefix, want))
			fail_msg("%s:\n  got      '%s'\n  expected a line '%s...%s'", de->d_name, cause, prefix, want);
		assert_true(lines_in_order(cause, path));
		free(prefix);
		free(cause);
		free(path);
		count++;
	}
	closedir(d);
	free(dir);
	/* Guards against a broken glob silently testing nothing. */
	assert_true(count >= 55);
}

static void test_full(void **state)
{
	(void)state;
	char *path = data_path("good/full.conf");
	char *dir = data_path("good");
	char *cause = NULL;
	struct sl_config *cfg = sl_config_load(path, &cause);
	if (cfg == NULL)
		fail_msg("%s", cause);
	char want[4096];

	assert_string_equal(cfg->path, path);
	snprintf(want, sizeof want, "%s/state", dir);
	assert_string_equal(cfg->state_dir, want);
	assert_string_equal(cfg->log_level, "debug");

	assert_int_equal(cfg->max_parallel_sources, 3);
	assert_true(cfg->bandwidth_bps == 10ULL << 20);
	assert_int_equal(cfg->max_connections, 8);
	assert_int_equal(cfg->max_connections_per_host, 2);
	assert_int_equal(cfg->request_interval_ms, 250);
	assert_int_equal(cfg->low_speed_time_ms, 60000);
	assert_int_equal(cfg->low_speed_bps, 4096);
	assert_int_equal(cfg->transfer_timeout_ms, 7200000);
	assert_int_equal(cfg->retries, 0);
	assert_string_equal(cfg->proxy, "socks5h://proxy.example.org:1080");
	snprintf(want, sizeof want, "%s/tls/ca.pem", dir);
	assert_string_equal(cfg->ca_file, want);
	assert_string_equal(cfg->user, "sluice");

	assert_string_equal(cfg->listen, "[::1]:8443");
	assert_int_equal(cfg->threads, 3);
	assert_int_equal(cfg->served_max_connections, 100);
	assert_int_equal(cfg->max_connections_per_ip, 10);
	assert_int_equal(cfg->connection_timeout_ms, 90000);
	assert_true(cfg->map_budget == 0);
	snprintf(want, sizeof want, "%s/tls/cert.pem", dir);
	assert_string_equal(cfg->tls_cert, want);
	snprintf(want, sizeof want, "%s/tls/key.pem", dir);
	assert_string_equal(cfg->tls_key, want);
	assert_int_equal(cfg->allow.n, 3);
	assert_string_equal(cfg->allow.v[0], "10.0.0.0/8");
	assert_string_equal(cfg->allow.v[1], "192.168.1.5");
	assert_string_equal(cfg->allow.v[2], "2001:db8::/32");
	assert_string_equal(cfg->access_log, "syslog");
	assert_string_equal(cfg->served_user, "www-data");
	snprintf(want, sizeof want, "%s/gnupg", dir);
	assert_string_equal(cfg->gnupg_home, want);
	assert_int_equal(cfg->grace_ms, 7200000);

	assert_int_equal(cfg->nsources, 3);
	const struct sl_source *deb = sl_config_source(cfg, "debian");
	assert_non_null(deb);
	assert_ptr_equal(deb->format, sl_format_find("apt"));
	assert_string_equal(deb->file, path);
	assert_int_equal(deb->line, 38);
	assert_string_equal(deb->url, "http://deb.example.org/debian");
	assert_int_equal(deb->suites.n, 2);
	assert_string_equal(deb->suites.v[1], "bookworm-updates");
	assert_int_equal(deb->components.n, 2);
	assert_int_equal(deb->architectures.n, 2);
	assert_int_equal(deb->packages.n, 4);
	assert_string_equal(deb->packages.v[0], "nginx");
	assert_string_equal(deb->packages.v[3], "ca-certificates");
	snprintf(want, sizeof want, "%s/keys/debian.gpg", dir);
	assert_string_equal(deb->keyring, want);
	assert_int_equal(deb->fingerprints.n, 2);
	assert_string_equal(deb->fingerprints.v[0], "4D64FEC119C2029067D6E791F8D2585B8783D481");
	assert_string_equal(deb->fingerprints.v[1], "A7236886F3CCCAAD148A27F80E98404D386FA1D9");
	assert_int_equal(deb->every_ms, 6 * 3600000LL);
	assert_int_equal(deb->jitter_ms, 1800000);
	assert_int_equal(deb->window_start_min, 22 * 60);
	assert_int_equal(deb->window_end_min, 6 * 60);
	assert_int_equal(deb->timeout_ms, 3 * 3600000LL);
	assert_true(deb->auto_approve);
	assert_int_equal(deb->approve_within_ms, 2 * 86400000LL);
	assert_int_equal(deb->keep, 5);
	assert_true(deb->bandwidth_bps == 1ULL << 20);
	assert_int_equal(deb->request_interval_ms, 1000);
	assert_int_equal(deb->max_connections, 2);
	assert_int_equal(deb->publish, SL_PUBLISH_RESIGN);
	assert_int_equal(deb->max_future_ms, 12 * 3600000LL);
	assert_null(deb->proxy);

	const struct sl_source *av = sl_config_source(cfg, "clamav");
	assert_non_null(av);
	assert_int_equal(av->databases.n, 2);
	assert_int_equal(av->cdiffs, 10);
	assert_string_equal(av->dns, "current.cvd.example.org");
	snprintf(want, sizeof want, "%s/keys/cvd.pem", dir);
	assert_string_equal(av->cvd_key, want);

	const struct sl_source *reg = sl_config_source(cfg, "images");
	assert_non_null(reg);
	assert_string_equal(reg->registry, "https://registry.example.org");
	assert_int_equal(reg->images.n, 3);
	assert_string_equal(reg->images.v[1], "library/nginx:1.25*");
	assert_int_equal(reg->platforms.n, 2);
	assert_string_equal(reg->username, "mirror@example.org");
	snprintf(want, sizeof want, "%s/keys/oci-keyring.gpg", dir);
	assert_string_equal(reg->signed_by, want);
	assert_int_equal(reg->fingerprints.n, 0);
	assert_string_equal(reg->proxy, "http://user:secret@proxy.example.org:3128");

	assert_null(sl_config_source(cfg, "nope"));
	sl_config_free(cfg);
	free(path);
	free(dir);
}

/* Everything left out takes the documented default. */
static void test_defaults(void **state)
{
	(void)state;
	char *path = data_path("good/minimal.conf");
	char *cause = NULL;
	struct sl_config *cfg = sl_config_load(path, &cause);
	if (cfg == NULL)
		fail_msg("%s", cause);
	assert_string_equal(cfg->state_dir, "/var/lib/sluice");
	assert_string_equal(cfg->log_level, "info");
	assert_int_equal(cfg->max_parallel_sources, 2);
	assert_true(cfg->bandwidth_bps == 0);
	assert_int_equal(cfg->max_connections, 16);
	assert_int_equal(cfg->max_connections_per_host, 4);
	assert_int_equal(cfg->request_interval_ms, 0);
	assert_int_equal(cfg->low_speed_time_ms, 30000);
	assert_int_equal(cfg->low_speed_bps, 1024);
	assert_int_equal(cfg->transfer_timeout_ms, 3600000);
	assert_int_equal(cfg->retries, 4);
	assert_null(cfg->proxy);
	assert_null(cfg->ca_file);
	assert_null(cfg->user);
	assert_string_equal(cfg->listen, "127.0.0.1:8080");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	assert_int_equal(cfg->threads, cpus < 1 ? 1 : cpus);
	assert_int_equal(cfg->served_max_connections, 1024);
	assert_int_equal(cfg->max_connections_per_ip, 64);
	assert_int_equal(cfg->connection_timeout_ms, 30000);
	assert_true(cfg->map_budget == 24u << 20);
	assert_null(cfg->tls_cert);
	assert_int_equal(cfg->allow.n, 0);
	assert_null(cfg->access_log);
	assert_string_equal(cfg->gnupg_home, "/var/lib/sluice/keys");
	assert_int_equal(cfg->grace_ms, 3600000);

	const struct sl_source *deb = sl_config_source(cfg, "deb");
	assert_non_null(deb);
	assert_int_equal(deb->every_ms, sl_format_find("apt")->default_every_ms);
	assert_int_equal(deb->keep, sl_format_find("apt")->default_keep);
	assert_false(deb->auto_approve);
	assert_int_equal(deb->window_start_min, -1);
	assert_int_equal(deb->window_end_min, -1);
	assert_int_equal(deb->request_interval_ms, -1);
	assert_int_equal(deb->timeout_ms, 3600000);
	assert_int_equal(deb->jitter_ms, 0);
	assert_int_equal(deb->approve_within_ms, 0);
	assert_int_equal(deb->max_connections, 0);
	assert_int_equal(deb->components.n, 1);
	assert_string_equal(deb->components.v[0], "main");
	assert_int_equal(deb->architectures.n, 1);
	assert_string_equal(deb->architectures.v[0], "amd64");
	assert_int_equal(deb->packages.n, 0);
	assert_int_equal(deb->fingerprints.n, 0);
	assert_int_equal(deb->publish, SL_PUBLISH_RESIGN);
	assert_int_equal(deb->max_future_ms, 86400000);
	assert_int_equal(deb->databases.n, 0);   /* clamav keys stay empty on an apt source */

	const struct sl_source *av = sl_config_source(cfg, "av");
	assert_non_null(av);
	assert_true(av->auto_approve);   /* clamav's format default */
	assert_int_equal(av->every_ms, sl_format_find("clamav")->default_every_ms);
	assert_int_equal(av->keep, sl_format_find("clamav")->default_keep);
	assert_int_equal(av->databases.n, 3);
	assert_string_equal(av->databases.v[0], "main");
	assert_string_equal(av->databases.v[1], "daily");
	assert_string_equal(av->databases.v[2], "bytecode");
	assert_int_equal(av->cdiffs, 30);
	assert_null(av->dns);
	assert_int_equal(av->components.n, 0);

	const struct sl_source *reg = sl_config_source(cfg, "reg");
	assert_non_null(reg);
	assert_int_equal(reg->every_ms, sl_format_find("oci")->default_every_ms);
	assert_int_equal(reg->platforms.n, 0);
	assert_string_equal(reg->registry, "http://127.0.0.1:5000");
	sl_config_free(cfg);
	free(path);
}

/* sl_config_parse resolves relative paths against the working directory. */
static void test_parse_relative_to_cwd(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/sl-config-XXXXXX";
	char *tmp = mkdtemp(tmpl);
	assert_non_null(tmp);
	char *old = getcwd(NULL, 0);
	assert_non_null(old);
	assert_int_equal(chdir(tmp), 0);
	char *cwd = getcwd(NULL, 0);   /* /tmp may be a symlink; compare with what getcwd says */
	FILE *f = fopen("ring.gpg", "w");
	assert_non_null(f);
	fclose(f);
	struct sl_config *cfg = parse_ok("[sluice]\nstate_dir = st\n[publish]\ngnupg_home = ./gpg\n"
					 "[served]\naccess_log = logs/access.log\n"
					 "[source d]\ntype = apt\nurl = https://deb.example.org\nsuites = s\n"
					 "keyring = ring.gpg\n");
	char want[4096];
	snprintf(want, sizeof want, "%s/st", cwd);
	assert_string_equal(cfg->state_dir, want);
	snprintf(want, sizeof want, "%s/./gpg", cwd);
	assert_string_equal(cfg->gnupg_home, want);
	snprintf(want, sizeof want, "%s/logs/access.log", cwd);
	assert_string_equal(cfg->access_log, want);
	snprintf(want, sizeof want, "%s/ring.gpg", cwd);
	assert_string_equal(cfg->sources[0].keyring, want);
	assert_string_equal(cfg->path, "t.conf");
	sl_config_free(cfg);
	assert_int_equal(unlink("ring.gpg"), 0);
	assert_int_equal(chdir(old), 0);
	assert_int_equal(rmdir(tmp), 0);
	free(old);
	free(cwd);
}

/* Several problems, found by both passes (a misspelt key and a bad section in pass 1, bad values in
 * pass 2), are all reported at once and in line order, a misspelt key with what it should be. */
static void test_all_errors_in_order(void **state)
{
	(void)state;
	const char *text = "[sluice]\n"                          /* 1 */
			   "state_dir = /var/lib/sluice\n"       /* 2 */
			   "log_level = loud\n"                   /* 3: bad value (pass 2) */
			   "[syncd]\n"                             /* 4 */
			   "max_conections = 4\n"                  /* 5: misspelt (pass 1) */
			   "retries = many\n"                      /* 6: bad value (pass 2) */
			   "[sourc x]\n"                           /* 7: unknown section (pass 1) */
			   "whatever = 1\n"                        /* 8: not checked: its section was refused */
			   "[source deb]\n"                        /* 9 */
			   "type = apt\n"                          /* 10 */
			   "url = http://mirror.invalid/debian\n"  /* 11 */
			   "suties = bookworm\n"                   /* 12: misspelt, letters swapped (pass 1) */
			   "every = 5s\n";                         /* 13: too short (pass 2) */
	char *cause = NULL;
	struct sl_config *cfg = sl_config_parse(text, strlen(text), "t.conf", &cause);
	assert_null(cfg);
	assert_non_null(cause);
	const char *want[] = {
		"t.conf:3: log_level: 'loud' is not one of",
		"t.conf:5: unknown key 'max_conections' in [syncd] (did you mean 'max_connections'?)",
		"t.conf:6: retries: 'many' is not a whole number",
		"t.conf:7: unknown section [sourc x]",
		"t.conf:12: unknown key 'suties' in [source NAME] (did you mean 'suites'?)",
		"t.conf:13: every: '5s' is too short",
	};
	const char *l = cause;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		if (l == NULL || strncmp(l, want[i], strlen(want[i])) != 0)
			fail_msg("problem %zu: want '%s...' in\n%s", i + 1, want[i], cause);
		const char *nl = strchr(l, '\n');
		l = nl != NULL ? nl + 1 : NULL;
	}
	if (l != NULL)
		fail_msg("more than the %zu problems expected:\n%s", sizeof want / sizeof want[0], cause);
	free(cause);

	/* Far from every key: no guess. */
	expect_parse_error("[sluice]\nstate_dir = /x\ncolour = blue\n", 37, 3, "unknown key 'colour' in [sluice]");
	cause = NULL;
	assert_null(sl_config_parse("[sluice]\nstate_dir = /x\ncolour = blue\n", 37, "t.conf", &cause));
	assert_null(strstr(cause, "did you mean"));
	free(cause);
}

static void test_inline_syntax(void **state)
{
	(void)state;
	/* Inline comments, ':' separators, CRLF, a BOM, blank and comment lines inside a list. */
	const char text[] = "\xEF\xBB\xBF[sluice]\r\nstate_dir: /s   ; comment\r\n# full-line comment\r\n"
			    "[served] ; the server\r\nallow = 10.0.0.0/8\r\n\r\n   ; note\r\n  127.0.0.1\r\n";
	struct sl_config *cfg = parse_ok(text);
	assert_string_equal(cfg->state_dir, "/s");
	assert_int_equal(cfg->allow.n, 2);
	assert_string_equal(cfg->allow.v[1], "127.0.0.1");
	sl_config_free(cfg);

	/* A ';' not preceded by a blank is part of the value. */
	const char semi[] = "[sluice]\nstate_dir = /s\n[syncd]\nretries = 3;x\n";
	expect_parse_error(semi, sizeof semi - 1, 4, "retries: '3;x'");
	/* Nothing at all: the one required key is missing. */
	expect_parse_error("", 0, 1, "no [sluice] section; 'state_dir' is required");
	expect_parse_error(NULL, 0, 1, "no [sluice] section");
	/* A continuation right after a header is a key line for libinih too. */
	cfg = parse_ok("[sluice]\n    state_dir = /s\n");
	assert_string_equal(cfg->state_dir, "/s");
	sl_config_free(cfg);
}

static void test_nul_byte(void **state)
{
	(void)state;
	const char text[] = "[sluice]\nstate_dir = /s\n[syncd]\nuser = a\0b\n";
	expect_parse_error(text, sizeof text - 1, 4, "NUL byte in line");
}

/* Source names may be 64 bytes, more than libinih keeps of a section name (50). */
static void test_long_source_names(void **state)
{
	(void)state;
	char name1[SL_MAX_NAME + 1], name2[SL_MAX_NAME + 1], text[1024];
	memset(name1, 'a', SL_MAX_NAME);
	name1[SL_MAX_NAME] = '\0';
	memcpy(name2, name1, sizeof name2);
	name2[SL_MAX_NAME - 1] = 'b';
	snprintf(text, sizeof text, "[sluice]\nstate_dir = /s\n[source %s]\ntype = clamav\nurl = http://a.example\n"
		 "[source %s]\ntype = clamav\nurl = http://b.example\n", name1, name2);
	struct sl_config *cfg = parse_ok(text);
	assert_int_equal(cfg->nsources, 2);
	assert_string_equal(cfg->sources[0].name, name1);
	assert_string_equal(cfg->sources[1].name, name2);
	assert_string_equal(sl_config_source(cfg, name2)->url, "http://b.example");
	sl_config_free(cfg);

	assert_true(sl_config_valid_name("a"));
	assert_true(sl_config_valid_name("0debian-security.x_y"));
	assert_true(sl_config_valid_name(name1));
	assert_false(sl_config_valid_name(NULL));
	assert_false(sl_config_valid_name(""));
	assert_false(sl_config_valid_name("-a"));
	assert_false(sl_config_valid_name(".a"));
	assert_false(sl_config_valid_name("A"));
	assert_false(sl_config_valid_name("a/b"));
	assert_false(sl_config_valid_name("a b"));
	char name65[SL_MAX_NAME + 2];
	memset(name65, 'a', SL_MAX_NAME + 1);
	name65[SL_MAX_NAME + 1] = '\0';
	assert_false(sl_config_valid_name(name65));
}

/* A text buffer that grows, for generated configs. */
struct text {
	char *p;
	size_t len;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	t->p = realloc(t->p, t->len + (size_t)n + 1);
	assert_non_null(t->p);
	memcpy(t->p + t->len, s, (size_t)n + 1);
	t->len += (size_t)n;
	free(s);
}

static void test_list_too_long(void **state)
{
	(void)state;
	struct text t = { NULL, 0 };
	add(&t, "[sluice]\nstate_dir = /s\n[source r]\ntype = oci\nregistry = https://r.example\nimages =\n");
	for (int i = 0; i < SL_MAX_LIST_ITEMS; i++)
		add(&t, "  img%d:1\n", i);
	/* Exactly the cap is fine. */
	struct sl_config *cfg = parse_ok(t.p);
	assert_int_equal(cfg->sources[0].images.n, SL_MAX_LIST_ITEMS);
	sl_config_free(cfg);
	add(&t, "  one-more:1\n");
	expect_parse_error(t.p, t.len, 7 + SL_MAX_LIST_ITEMS, "images: more than 4096 items");
	free(t.p);
}

static void test_too_many_sources(void **state)
{
	(void)state;
	struct text t = { NULL, 0 };
	add(&t, "[sluice]\nstate_dir = /s\n");
	for (int i = 0; i < SL_MAX_SOURCES; i++)
		add(&t, "[source s%d]\ntype = clamav\nurl = http://c.example\n", i);
	struct sl_config *cfg = parse_ok(t.p);
	assert_int_equal(cfg->nsources, SL_MAX_SOURCES);
	sl_config_free(cfg);
	add(&t, "[source last]\ntype = clamav\nurl = http://c.example\n");
	expect_parse_error(t.p, t.len, 3 + 3 * SL_MAX_SOURCES, "too many sources (at most 256)");
	free(t.p);
}

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/sl-config-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_file_errors(void **state)
{
	(void)state;
	char *tmp = make_tmpdir();
	char path[1024], cause_want[4096];
	char *cause = NULL;

	snprintf(path, sizeof path, "%s/missing.conf", tmp);
	assert_null(sl_config_load(path, &cause));
	snprintf(cause_want, sizeof cause_want, "%s: cannot open: No such file or directory", path);
	assert_string_equal(cause, cause_want);
	free(cause);

	assert_null(sl_config_load(tmp, &cause));
	snprintf(cause_want, sizeof cause_want, "%s: not a regular file", tmp);
	assert_string_equal(cause, cause_want);
	free(cause);

	/* One byte over the cap is refused before parsing. */
	snprintf(path, sizeof path, "%s/big.conf", tmp);
	char *big = malloc(SL_MAX_CONFIG_BYTES + 1);
	assert_non_null(big);
	memset(big, '\n', SL_MAX_CONFIG_BYTES + 1);
	memcpy(big, "[sluice]\nstate_dir = /s\n", 24);
	write_file(path, big, SL_MAX_CONFIG_BYTES + 1);
	assert_null(sl_config_load(path, &cause));
	assert_non_null(strstr(cause, "larger than 1048576 bytes"));
	free(cause);
	/* Exactly the cap is read. */
	write_file(path, big, SL_MAX_CONFIG_BYTES);
	struct sl_config *cfg = sl_config_load(path, &cause);
	if (cfg == NULL)
		fail_msg("%s", cause);
	sl_config_free(cfg);
	assert_int_equal(unlink(path), 0);
	free(big);

	/* A keyring without read permission; root reads anything, so only checked unprivileged. */
	char ring[1024];
	snprintf(ring, sizeof ring, "%s/ring.gpg", tmp);
	write_file(ring, "x", 1);
	assert_int_equal(chmod(ring, 0), 0);
	snprintf(path, sizeof path, "%s/sluice.conf", tmp);
	const char conf[] = "[sluice]\nstate_dir = s\n[source d]\ntype = apt\nurl = http://d.example\n"
			    "suites = s\nkeyring = ring.gpg\n";
	write_file(path, conf, sizeof conf - 1);
	cfg = sl_config_load(path, &cause);
	if (geteuid() != 0) {
		assert_null(cfg);
		snprintf(cause_want, sizeof cause_want, "%s:7: keyring: cannot read '%s': Permission denied",
			 path, ring);
		assert_string_equal(cause, cause_want);
		free(cause);
	} else {
		assert_non_null(cfg);
		sl_config_free(cfg);
	}
	/* Relative paths are relative to the file, not to the working directory. */
	assert_int_equal(chmod(ring, 0644), 0);
	cfg = sl_config_load(path, &cause);
	assert_non_null(cfg);
	assert_string_equal(cfg->sources[0].keyring, ring);
	snprintf(cause_want, sizeof cause_want, "%s/s", tmp);
	assert_string_equal(cfg->state_dir, cause_want);
	sl_config_free(cfg);

	assert_int_equal(unlink(ring), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmp), 0);
	free(tmp);
}

/* Without a cause pointer, failures still free everything (checked under ASan). */
static void test_no_cause(void **state)
{
	(void)state;
	const char text[] = "[sluice]\nstate_dir = /s\n[source d]\ntype = apt\nsuites = a b\n";
	assert_null(sl_config_parse(text, sizeof text - 1, NULL, NULL));
	char *cause = NULL;
	assert_null(sl_config_parse(text, sizeof text - 1, NULL, &cause));
	assert_non_null(strstr(cause, "<string>:3: source 'd' (type apt) is missing required key 'url'"));
	free(cause);
	sl_config_free(NULL);
	assert_null(sl_config_source(NULL, "x"));
}

/* The commented example in contrib/ is a valid configuration. */
static void test_example(void **state)
{
	(void)state;
	const char *src = getenv("SL_SOURCE_DIR");
	assert_non_null(src);
	if (access("/usr/share/keyrings/debian-archive-keyring.gpg", R_OK) != 0) {
		fprintf(stderr, "skip: debian-archive-keyring is not installed\n");
		skip();
	}
	char *path = NULL;
	assert_true(asprintf(&path, "%s/contrib/examples/sluice.conf", src) > 0);
	char *cause = NULL;
	struct sl_config *cfg = sl_config_load(path, &cause);
	if (cfg == NULL)
		fail_msg("%s", cause);
	assert_int_equal(cfg->nsources, 3);
	assert_non_null(sl_config_source(cfg, "debian"));
	assert_true(sl_config_source(cfg, "debian")->packages.n > 0);
	assert_non_null(sl_config_source(cfg, "clamav"));
	assert_non_null(sl_config_source(cfg, "images"));
	sl_config_free(cfg);
	free(path);
}

/* Transfer bundles: a source fed by `sluice import` needs no url/registry; [import] and [export] keys. */
static void test_from_bundle(void **state)
{
	(void)state;
	char *keys = data_path("good/keys/debian.gpg");
	char *text = NULL;
	assert_true(asprintf(&text, "[sluice]\nstate_dir = /s\n[import]\nkeyring = %s\nsigned_by = "
				     "0123456789abcdef0123456789abcdef01234567\nmax_age = 14d\n[export]\n"
				     "ack_keyring = %s\n[source deb]\ntype = apt\nfrom = bundle\nsuites = bookworm\n"
				     "keyring = %s\n[source hub]\ntype = oci\nfrom = bundle\nimages = a/b:1\n"
				     "[source clam]\ntype = clamav\nfrom = upstream\nurl = http://c.example\n",
			      keys, keys, keys) > 0);
	struct sl_config *cfg = parse_ok(text);
	const struct sl_source *deb = sl_config_source(cfg, "deb"), *hub = sl_config_source(cfg, "hub");
	assert_true(deb->from_bundle && hub->from_bundle && !sl_config_source(cfg, "clam")->from_bundle);
	assert_null(deb->url);
	assert_null(hub->registry);
	assert_string_equal(cfg->import_keyring, keys);
	assert_int_equal(cfg->import_signers.n, 1);
	assert_string_equal(cfg->import_signers.v[0], "0123456789ABCDEF0123456789ABCDEF01234567");
	assert_int_equal(cfg->import_max_age_ms, 14 * 86400000LL);
	assert_int_equal(cfg->export_valid_for_ms, 30 * 86400000LL);
	assert_string_equal(cfg->export_ack_keyring, keys);
	sl_config_free(cfg);
	/* Without from = bundle, url stays required. */
	const char *no_url = "[sluice]\nstate_dir = /s\n[source c]\ntype = clamav\n";
	expect_parse_error(no_url, strlen(no_url), 3, "missing required key 'url'");
	free(text);
	free(keys);
}

/* RPM publish: resign is the default with `packages =` (the metadata must be regenerated for the subset),
 * verbatim without; an explicit verbatim with packages is refused at the publish line. */
static void test_rpm_publish_default(void **state)
{
	(void)state;
	char *keys = data_path("good/keys/debian.gpg");
	char *text = NULL;
	assert_true(asprintf(&text, "[sluice]\nstate_dir = /s\n"
				     "[source sub]\ntype = rpm\nurl = http://r.example/el9\nkeyring = %s\npackages = bash\n"
				     "[source whole]\ntype = rpm\nurl = http://r.example/el9\nkeyring = %s\n"
				     "[source whole-resign]\ntype = rpm\nurl = http://r.example/el9\nkeyring = %s\n"
				     "publish = resign\n"
				     "[source sub-resign]\ntype = rpm\nurl = http://r.example/el9\nkeyring = %s\n"
				     "packages = bash\npublish = resign\n",
			      keys, keys, keys, keys) > 0);
	struct sl_config *cfg = parse_ok(text);
	assert_int_equal(sl_config_source(cfg, "sub")->publish, SL_PUBLISH_RESIGN);
	assert_int_equal(sl_config_source(cfg, "whole")->publish, SL_PUBLISH_VERBATIM);
	assert_int_equal(sl_config_source(cfg, "whole-resign")->publish, SL_PUBLISH_RESIGN);
	assert_int_equal(sl_config_source(cfg, "sub-resign")->publish, SL_PUBLISH_RESIGN);
	sl_config_free(cfg);
	free(text);
	assert_true(asprintf(&text, "[sluice]\nstate_dir = /s\n[source sub]\ntype = rpm\nurl = http://r.example/el9\n"
				     "keyring = %s\npackages = bash\npublish = verbatim\n", keys) > 0);
	expect_parse_error(text, strlen(text), 8, "publish = verbatim cannot be combined with packages = (line 7)");
	free(text);
	free(keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_relative_to_cwd),
		cmocka_unit_test(test_inline_syntax),
		cmocka_unit_test(test_all_errors_in_order),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_long_source_names),
		cmocka_unit_test(test_list_too_long),
		cmocka_unit_test(test_too_many_sources),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_no_cause),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_from_bundle),
		cmocka_unit_test(test_rpm_publish_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
