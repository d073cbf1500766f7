/* libFuzzer target for the registry's index of a published OCI generation (served/oci_index.c: the
 * _catalog, each repository's _manifests/<hex>, <hex>.type and _tags/<tag> files). The input is a small
 * tree: records separated by NUL bytes, each "<relative path>\n<content>", written under a fresh
 * generation directory that public/oci/src then points at. Besides "never crash", the index must hold
 * only valid repository names, sorted and unique, manifests whose cached bytes match their digest, and
 * tags that point at manifests of their own repository. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/oci.h"
#include "core/path.h"
#include "served/oci_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (64u << 10)   /* bytes: a few small files; manifests' caps are tested elsewhere */
#define FUZZ_MAX_FILES 64            /* records written per input */

static char root[64];
static char public_dir[128];
static unsigned long generation;

static void require(int cond)
{
	if (!cond)
		abort();
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void remove_root(void)
{
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup(void)
{
	if (root[0] != '\0')
		return 0;
	sl_log_open("fuzz_served_oci_index", true, SL_LOG_ERR);
	sl_log_set_level(SL_LOG_ERR);
	snprintf(root, sizeof root, "/tmp/sl-fuzz-ociix-XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	atexit(remove_root);
	snprintf(public_dir, sizeof public_dir, "%s/public", root);
	char p[256];
	snprintf(p, sizeof p, "%s/public/.gen", root);
	mkdir(public_dir, 0755);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/public/oci", root);
	mkdir(p, 0755);
	return 0;
}

/* mkdir -p of rel's parents beneath dir, then write the file. */
static void write_rel(const char *dir, const char *rel, const uint8_t *content, size_t len)
{
	char path[SL_MAX_PATH];
	if (snprintf(path, sizeof path, "%s/%s", dir, rel) >= (int)sizeof path)
		return;
	for (char *c = path + strlen(dir) + 1; *c != '\0'; c++) {
		if (*c == '/') {
			*c = '\0';
			mkdir(path, 0755);
			*c = '/';
		}
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (len > 0 && write(fd, content, len) < 0)
		(void)0;   /* a partial tree is an input like any other */
	close(fd);
}

static void check_index(const struct sl_oci_index *ix)
{
	for (size_t i = 0; i < ix->nrepos; i++) {
		const struct sl_oci_index_repo *rp = &ix->repos[i];
		require(sl_oci_valid_repo(rp->name));
		if (i > 0)
			require(strcmp(ix->repos[i - 1].name, rp->name) < 0);
		require(sl_oci_index_find_repo(ix, rp->name) == rp);
		for (size_t j = 0; j < rp->nmf; j++) {
			const struct sl_oci_index_manifest *m = &rp->mf[j];
			require(sl_digest_valid_sha256(m->hex));
			require(sl_oci_manifest_type_known(m->type));
			require(m->len > 0);
			if (m->data != NULL) {
				char actual[SL_SHA256_HEX];
				sl_digest_sha256(m->data, m->len, actual);
				require(strcmp(actual, m->hex) == 0);
			}
			require(sl_oci_index_find_manifest(rp, m->hex) != NULL);
		}
		for (size_t j = 0; j < rp->ntags; j++) {
			const struct sl_oci_index_tag *t = &rp->tags[j];
			require(sl_oci_valid_tag(t->name));
			require(t->m >= rp->mf && t->m < rp->mf + rp->nmf);
			require(sl_oci_index_find_tag(rp, t->name) != NULL);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT || setup() < 0)
		return 0;
	char gen[64], gendir[256], link[256], target[128];
	snprintf(gen, sizeof gen, "oci-src-%lu", ++generation);
	snprintf(gendir, sizeof gendir, "%s/.gen/%s", public_dir, gen);
	if (mkdir(gendir, 0755) < 0)
		return 0;
	size_t pos = 0;
	for (unsigned files = 0; pos < size && files < FUZZ_MAX_FILES; files++) {
		const uint8_t *rec = data + pos;
		const uint8_t *end = memchr(rec, '\0', size - pos);
		size_t rlen = end != NULL ? (size_t)(end - rec) : size - pos;
		pos += rlen + 1;
		const uint8_t *nl = memchr(rec, '\n', rlen);
		if (nl == NULL)
			continue;
		char rel[SL_MAX_REL_PATH + 1];
		size_t plen = (size_t)(nl - rec);
		if (plen == 0 || plen > SL_MAX_REL_PATH)
			continue;
		memcpy(rel, rec, plen);
		rel[plen] = '\0';
		/* Only paths inside the generation: the harness must not write elsewhere. */
		if (sl_path_check_relative(rel, plen) < 0)
			continue;
		write_rel(gendir, rel, nl + 1, rlen - plen - 1);
	}
	snprintf(link, sizeof link, "%s/oci/src", public_dir);
	snprintf(target, sizeof target, "../.gen/%s", gen);
	unlink(link);
	if (symlink(target, link) == 0) {
		int err = 0;
		struct sl_oci_index *ix = sl_oci_index_get(public_dir, "src", &err);
		if (ix != NULL) {
			check_index(ix);
			sl_oci_index_release(ix);
		} else {
			require(err < 0);
		}
	}
	nftw(gendir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
