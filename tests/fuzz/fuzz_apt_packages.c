/* fuzz_apt_packages: Packages stanzas into sl_apt_pkg_from_para, the gate between an upstream index and
 * anything that uses a package's name, version or Filename as a name or a path. First byte, bit 0: the
 * rest is parsed by deb822 and every paragraph judged (all of them, not only up to the first refusal);
 * set: the rest goes through sl_apt_packages_foreach_fd from a memfd (any compression, as syncd reads an
 * index). Asserts what callers rely on for an accepted stanza: a lowercase name, a version dpkg accepts,
 * a 64-digit lowercase SHA256, a Filename under pool/ with no "..", absolute or empty component, and a
 * known Multi-Arch; a refused one has a cause and one of the documented codes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/apt_packages.h"
#include "core/debver.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (256u << 10)   /* bytes of input */

/* A broken promise: say which, then abort so the fuzzer keeps the input. */
#define require(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: violated: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void check_pkg(const struct sl_apt_pkg *k)
{
	require(k->package.len >= 2 && k->package.p[0] >= '0' && k->package.p[0] <= 'z');
	for (size_t i = 0; i < k->package.len; i++)
		require(strchr("abcdefghijklmnopqrstuvwxyz0123456789+.-", k->package.p[i]) != NULL &&
			k->package.p[i] != '\0');
	require(sl_debver_valid(k->version));
	require(k->architecture.len > 0);
	require(k->sha256.len == 64);
	for (size_t i = 0; i < 64; i++)
		require(strchr("0123456789abcdef", k->sha256.p[i]) != NULL && k->sha256.p[i] != '\0');
	require(k->size <= SL_MAX_ARTIFACT_BYTES);
	const uint8_t *f = k->filename.p;
	size_t n = k->filename.len;
	require(n > 5 && memcmp(f, "pool/", 5) == 0);
	/* Component by component: none empty, none "." or "..", no NUL. */
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && f[i] == '\0')
			abort();
		if (i == n || f[i] == '/') {
			size_t len = i - start;
			require(len > 0);
			require(!(len == 1 && f[start] == '.') && !(len == 2 && f[start] == '.' && f[start + 1] == '.'));
			start = i + 1;
		}
	}
	if (k->multi_arch.p != NULL)
		require(sl_blob_eq(k->multi_arch, "same") || sl_blob_eq(k->multi_arch, "foreign") ||
			sl_blob_eq(k->multi_arch, "allowed") || sl_blob_eq(k->multi_arch, "no"));
}

static int judge(void *arg, const struct sl_deb822_para *p)
{
	(void)arg;
	struct sl_apt_pkg k;
	char *cause = NULL;
	int rc = sl_apt_pkg_from_para(p, &k, &cause);
	if (rc == 0) {
		require(cause == NULL);
		check_pkg(&k);
	} else {
		require((rc == -SL_E_PARSE || rc == -SL_E_BADNAME) && cause != NULL);
	}
	free(cause);
	return 0;
}

static int accepted(void *arg, const struct sl_apt_pkg *k, const struct sl_deb822_para *p)
{
	(void)p;
	check_pkg(k);
	(*(unsigned *)arg)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	unsigned mode = data[0];
	data++;
	size--;
	if (!(mode & 1)) {
		(void)sl_deb822_parse(data, size, judge, NULL);
		return 0;
	}
	int fd = memfd_create("packages", MFD_CLOEXEC);
	require(fd >= 0);
	require(sl_fs_write_all(fd, data, size) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	unsigned n = 0;
	char *cause = NULL;
	int rc = sl_apt_packages_foreach_fd(fd, 1u << 20, accepted, &n, &cause);
	require(rc == 0 || cause != NULL);
	free(cause);
	close(fd);
	return 0;
}
