/* oci_state: the resolved-references record behind the OCI syncer's HEAD-only unchanged check. */
#include "verify/oci_state.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/digest.h"
#include "core/fsutil.h"
#include "core/limits.h"

struct sl_oci_state {
	json_t *tags;
};

struct sl_oci_state *sl_oci_state_new(void)
{
	struct sl_oci_state *st = calloc(1, sizeof *st);
	if (st == NULL)
		return NULL;
	st->tags = json_object();
	if (st->tags == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

void sl_oci_state_free(struct sl_oci_state *st)
{
	if (st == NULL)
		return;
	json_decref(st->tags);
	free(st);
}

int sl_oci_state_add(struct sl_oci_state *st, const char *repo, const char *tag, const char *hex)
{
	char key[SL_MAX_OCI_REPO + 200];
	snprintf(key, sizeof key, "%s%c%s", repo, tag[0] ? ':' : '@', tag[0] ? tag : hex);
	return json_object_set_new(st->tags, key, json_string(hex)) == 0 ? 0 : -ENOMEM;
}

/* What the snapshot depends on besides the upstream: a changed configuration or key is never
 * "unchanged". */
static void fingerprint(const struct sl_source *s, char out[SL_SHA256_HEX])
{
	out[0] = '\0';
	struct sl_hasher *h = sl_hasher_new(SL_HASH_SHA256);
	if (h == NULL)
		return;
	const char *fields[] = { s->registry, s->url, s->username, s->signed_by, s->cosign_key };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		sl_hasher_update(h, fields[i] ? fields[i] : "", fields[i] ? strlen(fields[i]) + 1 : 1);
	const struct sl_strlist *lists[] = { &s->images, &s->platforms };
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->n; i++)
			sl_hasher_update(h, lists[l]->v[i], strlen(lists[l]->v[i]) + 1);
		sl_hasher_update(h, "\n", 1);
	}
	const char *files[] = { s->signed_by, s->cosign_key };
	for (size_t i = 0; i < 2; i++) {
		char *data = NULL;
		size_t len = 0;
		if (files[i] != NULL && sl_fs_read_file(files[i], SL_MAX_KEYRING_BYTES, &data, &len) == 0)
			sl_hasher_update(h, data, len);
		free(data);
	}
	sl_hasher_final(h, NULL, NULL, out, NULL);
	sl_hasher_free(h);
}

char *sl_oci_state_text(const struct sl_oci_state *st, const struct sl_source *src)
{
	char fpr[SL_SHA256_HEX];
	fingerprint(src, fpr);
	json_t *o = json_pack("{s:s, s:O}", "fingerprint", fpr, "tags", st->tags);
	char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return txt;
}
