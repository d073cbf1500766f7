/* libFuzzer target for transfer bundles' untrusted text: the manifest reader (core/bundle_manifest) and the
 * tar member name gate. Besides "never crash", it asserts what import relies on: an accepted manifest is
 * canonical (writing its records back yields the very same bytes, so one bundle has one manifest text),
 * objects come in strictly increasing digest order with volumes 1, 2, ... and counts that add up, a build
 * names its inputs as its operation needs them; an
 * accepted member name is one of the five a volume holds, never absolute and never with "..". */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bundle_manifest.h"
#include "core/digest.h"
#include "core/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (1u << 20)   /* bytes: a few thousand records exercise every path */

static void require(int cond)
{
	if (!cond)
		abort();
}

static void members(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1);
	if (name == NULL)
		return;
	memcpy(name, data, size);
	name[size] = '\0';
	char sha[SL_SHA256_HEX];
	const char *why = NULL;
	int kind = sl_bundle_member_parse(name, sha, &why);
	if (kind < 0) {
		require(kind == -SL_E_BADNAME && why != NULL);
	} else {
		require(name[0] != '/' && strstr(name, "..") == NULL);
		require(kind != SL_MEMBER_OBJECT || (sl_digest_valid_sha256(sha) && strcmp(name + 8, sha) == 0));
	}
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	members(data, size < 256 ? size : 256);
	struct sl_bundle_reader *r = sl_bundle_reader_mem(data, size);
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	if (r == NULL || f == NULL) {
		sl_bundle_reader_free(r);
		if (f != NULL)
			fclose(f);
		free(out);
		return 0;
	}
	char *cause = NULL, last[SL_SHA256_HEX] = "";
	unsigned volume = 0;
	int t;
	while ((t = sl_bundle_next(r, &cause)) > 0) {
		switch (t) {
		case SL_BREC_HEADER:
			require(sl_bundle_write_header(f, sl_bundle_header(r)) == 0);
			break;
		case SL_BREC_SOURCE:
			require(sl_bundle_write_source(f, sl_bundle_source(r)) == 0);
			break;
		case SL_BREC_ENTRY: {
			const struct sl_entry *e = sl_bundle_entry(r);
			require(e->path[0] != '\0' && sl_digest_valid_sha256(e->sha256) && e->role[0] != '\0');
			require(sl_bundle_write_entry(f, e) == 0);
			break;
		}
		case SL_BREC_OBJECT: {
			const struct sl_bundle_object *o = sl_bundle_object(r);
			require(strcmp(o->sha256, last) > 0);
			require(o->volume == volume || o->volume == volume + 1);
			memcpy(last, o->sha256, sizeof last);
			volume = o->volume;
			require(sl_bundle_write_object(f, o) == 0);
			break;
		}
		case SL_BREC_DELTA:
			require(sl_bundle_write_delta_of(f, sl_bundle_delta(r)) == 0);
			break;
		case SL_BREC_DROP:
			require(sl_bundle_entry(r)->path[0] != '\0' && sl_bundle_entry(r)->sha256 == NULL);
			require(sl_bundle_write_drop(f, sl_bundle_entry(r)->path) == 0);
			break;
		case SL_BREC_BUILD: {
			const struct sl_bundle_build *b = sl_bundle_build(r);
			require(sl_digest_valid_sha256(b->target) && sl_digest_valid_sha256(b->in1));
			require((b->op == SL_BUILD_PATCH) == (b->in2[0] != '\0'));
			require((b->op == SL_BUILD_PACK) == (b->token[0] != '\0'));
			require(sl_bundle_write_build(f, b) == 0);
			break;
		}
		case SL_BREC_END:
			require(sl_bundle_end(r)->volumes >= volume);
			require(sl_bundle_write_end(f, sl_bundle_header(r)->format, sl_bundle_end(r)) == 0);
			break;
		default:
			abort();
		}
	}
	fclose(f);
	if (t == 0) {
		require(cause == NULL);
		require(outlen == size && memcmp(out, data, size) == 0);   /* canonical */
		require(sl_bundle_manifest_check(data, size, NULL, NULL, NULL) == 0);
	} else {
		require(t == -SL_E_PARSE || t == -SL_E_TOOBIG || t == -ENOMEM);
	}
	free(cause);
	free(out);
	sl_bundle_reader_free(r);
	return 0;
}
