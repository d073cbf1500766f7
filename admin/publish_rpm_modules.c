/* publish_rpm_modules: modules.yaml pruned to the shipped packages with libmodulemd (see publish_rpm_modules.h). */
#include "admin/publish_rpm_modules.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <createrepo_c/createrepo_c.h>
#include <modulemd.h>

#include "core/error.h"
#include "core/limits.h"
#include "core/strset.h"

/* The whole decompressed file, NUL-terminated (libmodulemd parses a string). */
static int slurp(const char *path, char **out, char **cause)
{
	GError *err = NULL;
	CR_FILE *f = cr_open(path, CR_CW_MODE_READ, CR_CW_AUTO_DETECT_COMPRESSION, &err);
	if (f == NULL) {
		int rc = sl_cause(cause, -SL_E_ARCHIVE, "modules.yaml: %s", err != NULL ? err->message : "cannot open");
		g_clear_error(&err);
		return rc;
	}
	size_t len = 0, cap = 64 << 10;
	char *buf = malloc(cap + 1);
	int rc = buf != NULL ? 0 : sl_cause(cause, -ENOMEM, "out of memory");
	while (rc == 0) {
		if (len == cap) {
			if (cap >= SL_MAX_RPM_MODULES_BYTES) {
				rc = sl_cause(cause, -SL_E_TOOBIG, "modules.yaml: more than %u bytes decompressed",
					      SL_MAX_RPM_MODULES_BYTES);
				break;
			}
			cap = cap * 2 > SL_MAX_RPM_MODULES_BYTES ? SL_MAX_RPM_MODULES_BYTES : cap * 2;
			char *nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				rc = sl_cause(cause, -ENOMEM, "out of memory");
				break;
			}
			buf = nb;
		}
		int n = cr_read(f, buf + len, (unsigned)(cap - len), &err);
		if (n < 0)
			rc = sl_cause(cause, -SL_E_ARCHIVE, "modules.yaml: %s", err != NULL ? err->message : "read failed");
		else if (n == 0)
			break;
		else
			len += (size_t)n;
	}
	g_clear_error(&err);
	cr_close(f, NULL);
	if (rc == 0 && memchr(buf, '\0', len) != NULL)
		rc = sl_cause(cause, -SL_E_PARSE, "modules.yaml: a NUL byte in YAML text");
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Prune one stream's artifacts in place: how many ship. libmodulemd has checked each is N-E:V-R.A, the
 * spelling of the shipped set. */
static guint prune_artifacts(ModulemdModuleStreamV2 *s, const struct sl_strset *nevras)
{
	GStrv arts = modulemd_module_stream_v2_get_rpm_artifacts_as_strv(s);
	guint kept = 0;
	for (guint i = 0; arts != NULL && arts[i] != NULL; i++) {
		if (sl_strset_has(nevras, arts[i]))
			kept++;
		else
			modulemd_module_stream_v2_remove_rpm_artifact(s, arts[i]);
	}
	g_strfreev(arts);
	return kept;
}

/* Copy into `out` what stays of one module. */
static int prune_module(ModulemdModule *m, ModulemdModuleIndex *out, const struct sl_strset *nevras,
			struct sl_rpm_prune_count *count, GError **err)
{
	GPtrArray *streams = modulemd_module_get_all_streams(m);
	GHashTable *kept = g_hash_table_new(g_str_hash, g_str_equal);   /* stream names that stay (borrowed) */
	for (guint i = 0; i < streams->len; i++) {
		ModulemdModuleStream *s = g_ptr_array_index(streams, i);
		if (!MODULEMD_IS_MODULE_STREAM_V2(s) || prune_artifacts(MODULEMD_MODULE_STREAM_V2(s), nevras) == 0) {
			count->dropped++;
			continue;
		}
		if (!modulemd_module_index_add_module_stream(out, s, err)) {
			g_hash_table_destroy(kept);
			return -SL_E_PARSE;
		}
		count->kept++;
		const char *sn = modulemd_module_stream_get_stream_name(s);
		if (sn != NULL && !g_hash_table_contains(kept, sn)) {
			g_hash_table_add(kept, (gpointer)sn);
			ModulemdTranslation *t = modulemd_module_get_translation(m, sn);
			if (t != NULL && !modulemd_module_index_add_translation(out, t, err)) {
				g_hash_table_destroy(kept);
				return -SL_E_PARSE;
			}
		}
	}
	bool any = g_hash_table_size(kept) > 0;
	ModulemdDefaults *d = modulemd_module_get_defaults(m);
	if (any && d != NULL) {
		const char *def = MODULEMD_IS_DEFAULTS_V1(d)
					  ? modulemd_defaults_v1_get_default_stream(MODULEMD_DEFAULTS_V1(d), NULL) : NULL;
		if ((def == NULL || g_hash_table_contains(kept, def)) && !modulemd_module_index_add_defaults(out, d, err)) {
			g_hash_table_destroy(kept);
			return -SL_E_PARSE;
		}
	}
	GPtrArray *obs = any ? modulemd_module_get_obsoletes(m) : NULL;
	for (guint i = 0; obs != NULL && i < obs->len; i++)
		if (!modulemd_module_index_add_obsoletes(out, g_ptr_array_index(obs, i), err)) {
			g_hash_table_destroy(kept);
			return -SL_E_PARSE;
		}
	g_hash_table_destroy(kept);
	return 0;
}

static int write_out(const char *path, int compression, const char *yaml, char **cause)
{
	GError *err = NULL;
	CR_FILE *f = cr_open(path, CR_CW_MODE_WRITE, (cr_CompressionType)compression, &err);
	int rc = 0;
	if (f == NULL || cr_puts(f, yaml, &err) < 0)
		rc = -SL_E_ARCHIVE;
	if (f != NULL && cr_close(f, rc == 0 ? &err : NULL) != CRE_OK)
		rc = -SL_E_ARCHIVE;
	if (rc < 0)
		sl_cause(cause, rc, "%s: %s", path, err != NULL ? err->message : "cannot write");
	g_clear_error(&err);
	return rc;
}

int sl_rpm_modules_prune(const char *in, const char *out, int compression, const struct sl_strset *nevras,
			 struct sl_rpm_prune_count *count, char **cause)
{
	*count = (struct sl_rpm_prune_count){ 0, 0 };
	char *yaml = NULL;
	int rc = slurp(in, &yaml, cause);
	if (rc < 0)
		return rc;
	ModulemdModuleIndex *idx = modulemd_module_index_new(), *kept = modulemd_module_index_new();
	GPtrArray *failures = NULL;
	GError *err = NULL;
	if (!modulemd_module_index_update_from_string(idx, yaml, FALSE, &failures, &err)) {
		const GError *why = err;
		if (why == NULL && failures != NULL && failures->len > 0)
			why = modulemd_subdocument_info_get_gerror(g_ptr_array_index(failures, 0));
		rc = sl_cause(cause, -SL_E_PARSE, "modules.yaml: %s", why != NULL ? why->message : "libmodulemd refused it");
	}
	free(yaml);
	if (failures != NULL)
		g_ptr_array_unref(failures);
	g_clear_error(&err);
	/* v1 streams become v2, so one artifact list shape is pruned. */
	if (rc == 0 && !modulemd_module_index_upgrade_streams(idx, MD_MODULESTREAM_VERSION_TWO, &err))
		rc = sl_cause(cause, -SL_E_PARSE, "modules.yaml: %s", err != NULL ? err->message : "cannot upgrade to v2");
	GStrv names = rc == 0 ? modulemd_module_index_get_module_names_as_strv(idx) : NULL;
	for (guint i = 0; rc == 0 && names != NULL && names[i] != NULL; i++)
		if (prune_module(modulemd_module_index_get_module(idx, names[i]), kept, nevras, count, &err) < 0)
			rc = sl_cause(cause, -SL_E_PARSE, "modules.yaml: module %s: %s", names[i],
				      err != NULL ? err->message : "libmodulemd refused it");
	g_strfreev(names);
	g_clear_error(&err);
	char *text = NULL;
	if (rc == 0 && count->kept > 0) {
		text = modulemd_module_index_dump_to_string(kept, &err);
		if (text == NULL)
			rc = sl_cause(cause, -SL_E_PARSE, "modules.yaml: %s", err != NULL ? err->message : "cannot emit");
		g_clear_error(&err);
	}
	if (text != NULL)
		rc = write_out(out, compression, text, cause);
	g_free(text);
	g_object_unref(kept);
	g_object_unref(idx);
	return rc;
}
