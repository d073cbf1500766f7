/* libFuzzer target for the scanner's walk into hostile archives (verify/scan_walk.c): .deb (ar), tars in
 * every compression, cpio, nested, truncated — with a signature-less engine, so what is exercised is the
 * member extraction, the limits and the finding lines. Besides "never crash", it asserts what scan.c's
 * parser relies on: every output line is "F\tKIND\tMEMBER\tDETAIL" with a known kind and no raw control
 * byte in member or detail (hostile member names are %XX-escaped). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "verify/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (1u << 20)   /* bytes: archives beyond this only slow the fuzzer */

static void require(int cond)
{
	if (!cond)
		abort();
}

static void check_line(char *line)
{
	static const char *const kinds[] = { "malware", "limit", "unreadable", "scan-error" };
	char *f[5] = { 0 }, *p = line;
	for (int i = 0; i < 4; i++)
		f[i] = strsep(&p, "\t");
	require(p == NULL && f[3] != NULL && strcmp(f[0], "F") == 0);
	int known = 0;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		known |= strcmp(f[1], kinds[i]) == 0;
	require(known);
	for (int k = 2; k < 4; k++)
		for (const char *c = f[k]; *c; c++)
			require((unsigned char)*c >= 0x20 && *c != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	static struct sl_scan_engine *e;
	if (e == NULL) {
		/* Small limits, so the limit paths are reached with small inputs too. */
		/* mem_member under max_filesize: members take both paths, memory and temporary file. */
		struct sl_scan_limits lim = { .max_filesize = 64 * 1024, .max_scansize = 256 * 1024, .max_recursion = 4,
					      .mem_member = 8 * 1024 };
		e = sl_scan_engine_dry(&lim);
		require(e != NULL);
	}
	int in = memfd_create("in", 0), out = memfd_create("out", 0);
	require(in >= 0 && out >= 0);
	require(write(in, data, size) == (ssize_t)size);
	sl_scan_engine_scan(e, in, out);
	off_t n = lseek(out, 0, SEEK_CUR);
	require(n >= 0);
	char *buf = malloc((size_t)n + 1);
	require(buf != NULL && pread(out, buf, (size_t)n, 0) == n);
	buf[n] = '\0';
	require(n == 0 || buf[n - 1] == '\n');
	for (char *line = buf, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		check_line(line);
	}
	free(buf);
	close(in);
	close(out);
	return 0;
}
