/* Tests for core/cvd: the strict CVD header parser against hand-made headers (every bad-input class) and
 * against sigtool's reading of ClamAV's real test databases; CDIFF containers; the body check (MD5, tar
 * members, the signed .info binding); freshclam's DNS TXT record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/cvd.h"
#include "core/error.h"
#include "core/fsutil.h"

#define GOOD "ClamAV-VDB:22 Jun 2021 21-34 -0400:6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6ICRT5Hw:micasnyd:1624412045"

static int parse(const char *text, struct sl_cvd_header *h, char *why)
{
	uint8_t buf[SL_CVD_HEADER];
	memset(buf, ' ', sizeof buf);
	memcpy(buf, text, strlen(text) < sizeof buf ? strlen(text) : sizeof buf);
	return sl_cvd_parse_header(buf, sizeof buf, h, why, 256);
}

static void test_header_good(void **state)
{
	(void)state;
	struct sl_cvd_header h;
	char why[256];
	assert_int_equal(parse(GOOD, &h, why), 0);
	assert_string_equal(h.time, "22 Jun 2021 21-34 -0400");
	assert_int_equal(h.version, 6);
	assert_int_equal(h.sigs, 14);
	assert_int_equal(h.flevel, 81);
	assert_string_equal(h.md5, "3e249e00076b0b15bb54ced37be880c7");
	assert_string_equal(h.dsig, "Dou6ICRT5Hw");
	assert_string_equal(h.builder, "micasnyd");
	assert_int_equal(h.stime, 1624412045);
	char shown[80];
	sl_cvd_display_time(&h, shown, sizeof shown);
	assert_string_equal(shown, "22 Jun 2021 21:34 -0400");
	/* NUL padding (older builders) is padding too. */
	uint8_t buf[SL_CVD_HEADER] = { 0 };
	memcpy(buf, GOOD, strlen(GOOD));
	assert_int_equal(sl_cvd_parse_header(buf, sizeof buf, &h, why, sizeof why), 0);
}

static void test_header_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"ClamAV-VDX:22 Jun 2021 21-34 -0400:6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:1",
		"ClamAV-VDB:22 Jun 2021 21-34 -0400:6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd",
		"ClamAV-VDB:22 Jun 2021 21-34 -0400:6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:1:x",
		"ClamAV-VDB::6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:1",
		"ClamAV-VDB:t:0:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:1",
		"ClamAV-VDB:t:-6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:1",
		"ClamAV-VDB:t:06:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:1",
		"ClamAV-VDB:t:4294967296:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:1",
		"ClamAV-VDB:t:6:1x:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:1",
		"ClamAV-VDB:t:6:14::3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:1",
		"ClamAV-VDB:t:6:14:81:3E249E00076B0B15BB54CED37BE880C7:Dou6:micasnyd:1",
		"ClamAV-VDB:t:6:14:81:3e249e00076b0b15bb54ced37be880c:Dou6:micasnyd:1",
		"ClamAV-VDB:t:6:14:81:3e249e00076b0b15bb54ced37be880c7::micasnyd:1",
		"ClamAV-VDB:t:6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6=:micasnyd:1",
		"ClamAV-VDB:t:6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:mica snyd:1",
		"ClamAV-VDB:t:6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6::1",
		"ClamAV-VDB:t:6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:",
		"ClamAV-VDB:t:6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:99999999999999999999",
		"ClamAV-VDB:t\x01:6:14:81:3e249e00076b0b15bb54ced37be880c7:Dou6:micasnyd:1",
	};
	struct sl_cvd_header h;
	char why[256];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		if (parse(bad[i], &h, why) != -SL_E_PARSE)
			fail_msg("accepted: %s", bad[i]);
		assert_true(why[0] != '\0');
	}
	/* A NUL inside the text, garbage after the padding, a short buffer. */
	uint8_t buf[SL_CVD_HEADER];
	memset(buf, ' ', sizeof buf);
	memcpy(buf, GOOD, strlen(GOOD));
	buf[20] = '\0';
	assert_int_equal(sl_cvd_parse_header(buf, sizeof buf, &h, why, sizeof why), -SL_E_PARSE);
	memset(buf, ' ', sizeof buf);
	memcpy(buf, GOOD, strlen(GOOD));
	buf[400] = 'x';
	assert_int_equal(sl_cvd_parse_header(buf, sizeof buf, &h, why, sizeof why), -SL_E_PARSE);
	assert_int_equal(sl_cvd_parse_header(buf, 511, &h, why, sizeof why), -SL_E_PARSE);
	assert_non_null(strstr(why, "truncated"));
	/* An over-long signature field. */
	char longsig[SL_CVD_HEADER + 1];
	int n = snprintf(longsig, sizeof longsig, "ClamAV-VDB:t:6:14:81:3e249e00076b0b15bb54ced37be880c7:");
	memset(longsig + n, 'a', SL_CVD_DSIG_MAX + 1);
	snprintf(longsig + n + SL_CVD_DSIG_MAX + 1, sizeof longsig - (size_t)n - SL_CVD_DSIG_MAX - 1, ":b:1");
	assert_int_equal(parse(longsig, &h, why), -SL_E_PARSE);
}

/* sigtool --info and sl_cvd_parse_header read every fixture the same way. */
static void test_header_matches_sigtool(void **state)
{
	(void)state;
	const char *src = getenv("SL_SOURCE_DIR");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/../shared/fixtures/clamav", src ? src : ".");
	char probe[4200];
	snprintf(probe, sizeof probe, "%s/test-1.cvd", dir);
	if (access(probe, R_OK) != 0 || system("command -v sigtool >/dev/null 2>&1") != 0) {
		fprintf(stderr, "SKIP: needs ../shared/fixtures/clamav and sigtool\n");
		skip();
	}
	for (int v = 1; v <= 6; v++) {
		char path[4200], cmd[4400], *data = NULL;
		size_t len;
		snprintf(path, sizeof path, "%s/test-%d.cvd", dir, v);
		assert_int_equal(sl_fs_read_file(path, 1u << 20, &data, &len), 0);
		struct sl_cvd_header h;
		char why[256], shown[80];
		assert_int_equal(sl_cvd_parse_header((uint8_t *)data, len, &h, why, sizeof why), 0);
		sl_cvd_display_time(&h, shown, sizeof shown);
		snprintf(cmd, sizeof cmd, "sigtool --info '%s' 2>&1", path);
		FILE *p = popen(cmd, "r");
		assert_non_null(p);
		char line[1024];
		unsigned seen = 0;
		while (fgets(line, sizeof line, p) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			char want[600];
			if (strncmp(line, "Version: ", 9) == 0) {
				snprintf(want, sizeof want, "Version: %u", h.version);
			} else if (strncmp(line, "Signatures: ", 12) == 0) {
				snprintf(want, sizeof want, "Signatures: %u", h.sigs);
			} else if (strncmp(line, "Functionality level: ", 21) == 0) {
				snprintf(want, sizeof want, "Functionality level: %u", h.flevel);
			} else if (strncmp(line, "Builder: ", 9) == 0) {
				snprintf(want, sizeof want, "Builder: %s", h.builder);
			} else if (strncmp(line, "MD5: ", 5) == 0) {
				snprintf(want, sizeof want, "MD5: %s", h.md5);
			} else if (strncmp(line, "Digital signature: ", 19) == 0) {
				snprintf(want, sizeof want, "Digital signature: %s", h.dsig);
			} else if (strncmp(line, "Build time: ", 12) == 0) {
				snprintf(want, sizeof want, "Build time: %s", shown);
			} else {
				continue;
			}
			assert_string_equal(line, want);
			seen++;
		}
		assert_int_equal(pclose(p), 0);
		assert_int_equal(seen, 7);
		free(data);
	}
}

static void test_cdiff(void **state)
{
	(void)state;
	/* A hand-made container: header, a tiny gzip stream of "OPEN x\n", ':' and a signature. */
	static const uint8_t gz[] = { 0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xf3, 0x0f,
				      0x70, 0xf5, 0x53, 0xa8, 0xe0, 0x02, 0x00, 0x2e, 0x76, 0x07, 0xf7, 0x07,
				      0x00, 0x00, 0x00 };
	uint8_t buf[256];
	size_t n = (size_t)snprintf((char *)buf, sizeof buf, "ClamAV-Diff:7:7:");
	memcpy(buf + n, gz, sizeof gz);
	n += sizeof gz;
	memcpy(buf + n, ":abcXYZ+/", 9);
	n += 9;
	struct sl_cdiff c;
	char why[256];
	assert_int_equal(sl_cdiff_parse(buf, n, &c, why, sizeof why), 0);
	assert_int_equal(c.version, 7);
	assert_int_equal(c.script_len, 7);
	assert_int_equal(c.dsig_len, 8);
	assert_memory_equal(c.dsig, "abcXYZ+/", 8);
	assert_int_equal(c.signed_len, n - 9);
	assert_int_equal(sl_cdiff_check_script(buf, &c, NULL), 0);
	c.script_len = 6;
	char *cause = NULL;
	assert_int_not_equal(sl_cdiff_check_script(buf, &c, &cause), 0);
	assert_non_null(cause);
	free(cause);

	assert_int_equal(sl_cdiff_parse(buf, n - 9, &c, why, sizeof why), -SL_E_PARSE);   /* no signature */
	assert_int_equal(sl_cdiff_parse((const uint8_t *)"ClamAV-Diff:x:7:", 16, &c, why, sizeof why), -SL_E_PARSE);
	assert_int_equal(sl_cdiff_parse((const uint8_t *)"ClamAV-Diff:1:0::ab", 19, &c, why, sizeof why), -SL_E_PARSE);
	assert_int_equal(sl_cdiff_parse((const uint8_t *)"ClamAV-VDB:1:7:xx:ab", 20, &c, why, sizeof why), -SL_E_PARSE);
	uint8_t notgz[64];
	n = (size_t)snprintf((char *)notgz, sizeof notgz, "ClamAV-Diff:2:5:plain text, not gzip......:sig");
	assert_int_equal(sl_cdiff_parse(notgz, n, &c, why, sizeof why), -SL_E_PARSE);
	assert_non_null(strstr(why, "gzip"));
}

static void test_dns_record(void **state)
{
	(void)state;
	static const char rec[] = "0.103.8:62:27000:1690000000:1:90:49191:334";
	uint32_t v;
	int64_t at;
	assert_int_equal(sl_cvd_dns_version(rec, strlen(rec), "main", &v, &at), 0);
	assert_int_equal(v, 62);
	assert_int_equal(at, 1690000000);
	assert_int_equal(sl_cvd_dns_version(rec, strlen(rec), "daily", &v, &at), 0);
	assert_int_equal(v, 27000);
	assert_int_equal(sl_cvd_dns_version(rec, strlen(rec), "bytecode", &v, &at), 0);
	assert_int_equal(v, 334);
	assert_int_equal(sl_cvd_dns_version(rec, strlen(rec), "test", &v, &at), -SL_E_NOTFOUND);
	assert_int_equal(sl_cvd_dns_version("0.103:62", 8, "daily", &v, &at), -SL_E_PARSE);
	assert_int_equal(sl_cvd_dns_version("0.103:62:x:1:1", 14, "daily", &v, &at), -SL_E_PARSE);
	assert_int_equal(sl_cvd_dns_version("0.103:62:5:t:1", 14, "daily", &v, &at), -SL_E_PARSE);
}

static void test_dbname(void **state)
{
	(void)state;
	assert_true(sl_cvd_valid_dbname("daily"));
	assert_true(sl_cvd_valid_dbname("safebrowsing"));
	assert_true(sl_cvd_valid_dbname("my_db-2"));
	assert_false(sl_cvd_valid_dbname(""));
	assert_false(sl_cvd_valid_dbname("../x"));
	assert_false(sl_cvd_valid_dbname("Daily"));
	assert_false(sl_cvd_valid_dbname("-x"));
	assert_false(sl_cvd_valid_dbname("a/b"));
}

/* The body check on the real test-6.cvd, and the .info binding against a changed header. */
static void test_body_and_info(void **state)
{
	(void)state;
	const char *src = getenv("SL_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/../shared/fixtures/clamav/test-6.cvd", src ? src : ".");
	char *data = NULL;
	size_t len;
	if (sl_fs_read_file(path, 1u << 20, &data, &len) != 0) {
		fprintf(stderr, "SKIP: ../shared/fixtures/clamav is absent\n");
		skip();
	}
	int fd = memfd_create("cvd", 0);
	assert_true(fd >= 0);
	assert_int_equal(sl_fs_write_all(fd, data, len), 0);
	struct sl_cvd_header h;
	char why[256];
	assert_int_equal(sl_cvd_parse_header((uint8_t *)data, len, &h, why, sizeof why), 0);
	struct sl_cvd_body b;
	char *cause = NULL;
	assert_int_equal(sl_cvd_check_body(fd, &h, &b, &cause), 0);
	assert_true(b.entries >= 3);
	assert_non_null(b.info);
	size_t signed_len, dlen;
	const char *dsig;
	assert_int_equal(sl_cvd_check_info(&h, &b, &signed_len, &dsig, &dlen, &cause), 0);
	assert_true(signed_len > 0 && dlen > 300);
	struct sl_cvd_header h7 = h;
	h7.version = 7;
	for (uint64_t i = 0; i < b.entries; i++)
		b.files[i].listed = false;
	assert_int_equal(sl_cvd_check_info(&h7, &b, &signed_len, &dsig, &dlen, &cause), -SL_E_VERIFY);
	assert_non_null(strstr(cause, "does not match"));
	free(cause);
	cause = NULL;
	sl_cvd_body_release(&b);

	/* Another MD5 in the header; then a body cut short. */
	struct sl_cvd_header hx = h;
	hx.md5[0] = hx.md5[0] == '0' ? '1' : '0';
	assert_int_equal(sl_cvd_check_body(fd, &hx, &b, &cause), -SL_E_DIGEST);
	sl_cvd_body_release(&b);
	free(cause);
	cause = NULL;
	assert_int_equal(ftruncate(fd, (off_t)len - 100), 0);
	assert_int_not_equal(sl_cvd_check_body(fd, &h, &b, &cause), 0);
	sl_cvd_body_release(&b);
	free(cause);
	close(fd);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_good),
		cmocka_unit_test(test_header_bad),
		cmocka_unit_test(test_header_matches_sigtool),
		cmocka_unit_test(test_cdiff),
		cmocka_unit_test(test_dns_record),
		cmocka_unit_test(test_dbname),
		cmocka_unit_test(test_body_and_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
