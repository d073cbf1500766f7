/* fuzz_cvd_body: a CVD's body (tar.gz or plain tar, its members, the <db>.info) and the .info text alone.
 * First byte: mode. Even: the rest is a body; it goes after a 512-byte header into a memfd, the header
 * names the body's real MD5 (so the tar walk is reached), then sl_cvd_check_body and, when that passes,
 * sl_cvd_check_info. Odd: the rest is a .info checked against a fixed body (daily.ndb, daily.hdb, COPYING,
 * daily.info). Both use one fixed header whose .info line is
 * "ClamAV-VDB:07 Dec 2026 10-00 +0000:27000:2:90:X:X:sluice:1796637600". Besides "never crash", asserts
 * what callers rely on: accepted members have flat names and a SHA-256, the .info text is NUL-terminated,
 * and an accepted DSIG lies inside the .info after the signed part. A violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/cvd.h"
#include "core/digest.h"
#include "core/fsutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (256u << 10)   /* bytes: bigger bodies only slow the fuzzer down */

/* A broken promise: say which, then abort so the fuzzer keeps the input. */
#define require(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: violated: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void fixed_header(struct sl_cvd_header *h)
{
	memset(h, 0, sizeof *h);
	snprintf(h->time, sizeof h->time, "07 Dec 2026 10-00 +0000");
	h->version = 27000;
	h->sigs = 2;
	h->flevel = 90;
	memset(h->md5, '0', 32);
	snprintf(h->dsig, sizeof h->dsig, "X");
	snprintf(h->builder, sizeof h->builder, "sluice");
	h->stime = 1796637600;
}

static void check_info(const struct sl_cvd_header *h, struct sl_cvd_body *b)
{
	size_t signed_len = 0, dsig_len = 0;
	const char *dsig = NULL;
	char *cause = NULL;
	if (sl_cvd_check_info(h, b, &signed_len, &dsig, &dsig_len, &cause) == 0) {
		require(b->info != NULL && signed_len < b->info_len);
		require(dsig == b->info + signed_len + 5 && dsig + dsig_len <= b->info + b->info_len);
		for (uint64_t i = 0; i < b->entries; i++) {
			const char *nm = b->files[i].name;
			size_t n = strlen(nm);
			require(b->files[i].listed || strcmp(nm, "COPYING") == 0 ||
				(n > 5 && strcmp(nm + n - 5, ".info") == 0));
		}
	} else {
		require(cause != NULL);
	}
	free(cause);
}

static void body_mode(const uint8_t *data, size_t size)
{
	int fd = memfd_create("cvd", MFD_CLOEXEC);
	require(fd >= 0);
	uint8_t pad[SL_CVD_HEADER];
	memset(pad, ' ', sizeof pad);
	require(sl_fs_write_all(fd, pad, sizeof pad) == 0);
	require(sl_fs_write_all(fd, data, size) == 0);
	struct sl_cvd_header h;
	fixed_header(&h);
	struct sl_hasher *md = sl_hasher_new(SL_HASH_MD5);
	require(md != NULL);
	char hex[129];
	require(sl_hasher_update(md, data, size) == 0 && sl_hasher_final(md, hex, NULL, NULL, NULL) == 0);
	sl_hasher_free(md);
	memcpy(h.md5, hex, 33);

	struct sl_cvd_body b;
	char *cause = NULL;
	if (sl_cvd_check_body(fd, &h, &b, &cause) == 0) {
		require(b.entries > 0 && b.files != NULL);
		uint64_t total = 0;
		for (uint64_t i = 0; i < b.entries; i++) {
			const char *nm = b.files[i].name;
			require(nm[0] != '\0' && strchr(nm, '/') == NULL && strcmp(nm, "..") != 0);
			require(sl_digest_valid_sha256(b.files[i].sha256));
			total += b.files[i].size;
		}
		require(total == b.bytes);
		require(b.info == NULL || (b.info_len <= SL_MAX_CVD_INFO && b.info[b.info_len] == '\0'));
		check_info(&h, &b);
	} else {
		require(cause != NULL);
	}
	free(cause);
	sl_cvd_body_release(&b);
	close(fd);
}

static void info_mode(const uint8_t *data, size_t size)
{
	static const struct {
		const char *name, *content;
	} members[] = {
		{ "daily.ndb", "Eicar-Test:0:*:58354f2150\n" },
		{ "daily.hdb", "" },
		{ "COPYING", "GPLv2\n" },
		{ "daily.info", "" },
	};
	struct sl_cvd_file files[4];
	memset(files, 0, sizeof files);
	for (size_t i = 0; i < 4; i++) {
		snprintf(files[i].name, sizeof files[i].name, "%s", members[i].name);
		files[i].size = strlen(members[i].content);
		sl_digest_sha256(members[i].content, files[i].size, files[i].sha256);
	}
	struct sl_cvd_header h;
	fixed_header(&h);
	/* The .info as sl_cvd_check_body leaves it: heap, exact size plus the NUL. */
	char *info = malloc(size + 1);
	require(info != NULL);
	memcpy(info, data, size);
	info[size] = '\0';
	struct sl_cvd_body b = { .entries = 4, .bytes = 0, .files = files, .info = info, .info_len = size };
	check_info(&h, &b);
	free(info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	if (data[0] & 1)
		info_mode(data + 1, size - 1);
	else
		body_mode(data + 1, size - 1);
	return 0;
}
