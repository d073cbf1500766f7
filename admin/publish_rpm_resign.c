/* publish_rpm_resign: publish = resign for RPM sources — the snapshot's packages linked byte-identical, fresh
 * primary/filelists/other for exactly them (libcreaterepo_c, one package at a time into the compressed
 * files: never the whole set in memory), updateinfo, modules.yaml and comps pruned to the shipped packages
 * (empty advisories, streams and groups dropped; publish_rpm_modules.c, publish_rpm_comps.c), and a
 * repomd.xml with a strictly increasing revision signed with sluice's key (repomd.xml.asc). See
 * publish_rpm.h. */
#include "admin/publish_rpm.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <createrepo_c/createrepo_c.h>

#include "admin/keys.h"
#include "admin/publish_rpm_comps.h"
#include "admin/publish_rpm_modules.h"
#include "admin/publish_tree.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store.h"
#include "core/strset.h"

#define REVISION_KEY "rpm.publish.revision"   /* catalogue state: the last revision published */
#define CHANGELOG_LIMIT 10                    /* changelog entries per package in other.xml, as createrepo_c's default */

struct resign {
	const struct sl_publish_ctx *ctx;
	struct sl_tree *tree;
	const char *root;
	cr_XmlFile *xml[3];                       /* primary, filelists, other */
	struct sl_strset *shipped;                /* "name-epoch:version-release.arch" of every package */
	struct sl_strset *names;                  /* the names of the packages (comps names packages so) */
	uint64_t npkgs, done;
	char *updateinfo_sha, *extra_types[8], *extra_sha[8], *extra_path[8];
	uint64_t updateinfo_size;
	size_t nextra;
	char **cause;
	int rc;
};

/* Keep the first failure: "source S: WHAT: WHY". */
static int fail(struct resign *b, int rc, const char *what, const char *why)
{
	if (b->rc == 0) {
		b->rc = rc;
		sl_cause(b->cause, rc, "source %s: %s: %s", b->ctx->src->name, what, why);
	}
	return b->rc;
}

static int gfail(struct resign *b, const char *what, GError *err)
{
	int rc = fail(b, -SL_E_ARCHIVE, what, err != NULL ? err->message : "createrepo_c failed");
	g_clear_error(&err);
	return rc;
}

static void nevra_key(char *buf, size_t cap, const char *n, const char *e, const char *v, const char *r, const char *a)
{
	snprintf(buf, cap, "%s-%s:%s-%s.%s", n, e != NULL && e[0] ? e : "0", v, r, a);
}

/* ---- pass 1: count packages, keep the metadata this build reuses -------------------------------------------- */

static int scan(void *arg, const struct sl_entry *e)
{
	struct resign *b = arg;
	if (strcmp(e->role, "package") == 0) {
		b->npkgs++;
		return 0;
	}
	if (strcmp(e->role, "metadata") != 0 || e->meta_json == NULL)
		return 0;
	json_t *m = json_loads(e->meta_json, 0, NULL);
	const char *type = json_string_value(json_object_get(m, "type"));
	if (type != NULL && strcmp(type, "updateinfo") == 0) {
		free(b->updateinfo_sha);
		b->updateinfo_sha = strdup(e->sha256);
		b->updateinfo_size = e->size;
	} else if (type != NULL && b->nextra < 8 &&
		   (strcmp(type, "modules") == 0 || strcmp(type, "group") == 0 || strcmp(type, "group_gz") == 0 ||
		    strcmp(type, "group_xz") == 0)) {
		/* Rewritten for the subset in write_repomd; their zchunk variants are left out (a record that
		 * would still list what does not ship). */
		b->extra_types[b->nextra] = strdup(type);
		b->extra_sha[b->nextra] = strdup(e->sha256);
		b->extra_path[b->nextra] = strdup(e->path);
		b->nextra++;
	}
	json_decref(m);
	return 0;
}

/* ---- pass 2: link each package and write its XML -------------------------------------------------------------- */

static int add_package(void *arg, const struct sl_entry *e)
{
	struct resign *b = arg;
	if (strcmp(e->role, "package") != 0)
		return 0;
	int rc = sl_tree_link(b->tree, e->path, e->sha256, e->size);
	if (rc < 0)
		return fail(b, rc, e->path, sl_tree_cause(b->tree));
	char path[SL_MAX_PATH];
	snprintf(path, sizeof path, "%s/%s", b->root, e->path);
	GError *err = NULL;
	cr_Package *pkg = cr_package_from_rpm(path, CR_CHECKSUM_SHA256, e->path, NULL, CHANGELOG_LIMIT, NULL,
					      CR_HDRR_NONE, &err);
	if (pkg == NULL)
		return gfail(b, e->path, err);
	char key[1024];
	nevra_key(key, sizeof key, pkg->name, pkg->epoch, pkg->version, pkg->release, pkg->arch);
	rc = sl_strset_add(b->shipped, key);
	if (rc >= 0)
		rc = sl_strset_add(b->names, pkg->name);
	struct cr_XmlStruct x = cr_xml_dump(pkg, &err);
	cr_package_free(pkg);
	if (x.primary == NULL || rc < 0) {
		g_free(x.primary);
		g_free(x.filelists);
		g_free(x.other);
		return err != NULL ? gfail(b, e->path, err) : fail(b, -ENOMEM, e->path, "out of memory");
	}
	const char *chunks[3] = { x.primary, x.filelists, x.other };
	for (int i = 0; i < 3 && b->rc == 0; i++)
		if (cr_xmlfile_add_chunk(b->xml[i], chunks[i], &err) != CRE_OK)
			gfail(b, e->path, err);
	g_free(x.primary);
	g_free(x.filelists);
	g_free(x.other);
	b->done++;
	return b->rc;
}

/* ---- updateinfo: advisories pruned to what ships -------------------------------------------------------------- */

static GSList *prune_packages(struct resign *b, GSList *pkgs)
{
	GSList *keep = NULL;
	for (GSList *l = pkgs; l != NULL; l = l->next) {
		cr_UpdateCollectionPackage *p = l->data;
		char key[1024];
		nevra_key(key, sizeof key, p->name ? p->name : "", p->epoch, p->version ? p->version : "",
			  p->release ? p->release : "", p->arch ? p->arch : "");
		if (sl_strset_has(b->shipped, key))
			keep = g_slist_append(keep, p);
		else
			cr_updatecollectionpackage_free(p);
	}
	g_slist_free(pkgs);
	return keep;
}

static int write_updateinfo(struct resign *b, char *path_out, size_t cap)
{
	char src[SL_MAX_PATH];
	int rc = sl_store_object_path(b->ctx->store, b->updateinfo_sha, src, sizeof src);
	if (rc < 0)
		return fail(b, rc, "updateinfo", sl_strerror(rc));
	cr_UpdateInfo *ui = cr_updateinfo_new();
	GError *err = NULL;
	if (cr_xml_parse_updateinfo(src, ui, NULL, NULL, &err) != CRE_OK) {
		cr_updateinfo_free(ui);
		return gfail(b, "updateinfo", err);
	}
	GSList *kept = NULL;
	for (GSList *l = ui->updates; l != NULL; l = l->next) {
		cr_UpdateRecord *u = l->data;
		GSList *cols = NULL;
		for (GSList *c = u->collections; c != NULL; c = c->next) {
			cr_UpdateCollection *col = c->data;
			col->packages = prune_packages(b, col->packages);
			if (col->packages != NULL)
				cols = g_slist_append(cols, col);
			else
				cr_updatecollection_free(col);
		}
		g_slist_free(u->collections);
		u->collections = cols;
		if (cols != NULL)
			kept = g_slist_append(kept, u);
		else
			cr_updaterecord_free(u);   /* an advisory about nothing that ships */
	}
	g_slist_free(ui->updates);
	ui->updates = kept;
	char *xml = cr_xml_dump_updateinfo(ui, &err);
	cr_updateinfo_free(ui);
	if (xml == NULL)
		return gfail(b, "updateinfo", err);
	snprintf(path_out, cap, "%s/repodata/updateinfo.xml.gz", b->root);
	CR_FILE *f = cr_open(path_out, CR_CW_MODE_WRITE, CR_CW_GZ_COMPRESSION, &err);
	if (f == NULL || cr_puts(f, xml, &err) < 0) {
		if (f != NULL)
			cr_close(f, NULL);
		g_free(xml);
		return gfail(b, "updateinfo", err);
	}
	g_free(xml);
	if (cr_close(f, &err) != CRE_OK)
		return gfail(b, "updateinfo", err);
	return 0;
}

/* A record for a file this build wrote, renamed to "<sha256>-<name>" as createrepo_c names them. */
static int add_record(struct resign *b, cr_Repomd *md, const char *type, const char *path)
{
	GError *err = NULL;
	cr_RepomdRecord *rec = cr_repomd_record_new(type, path);
	if (rec == NULL || cr_repomd_record_fill(rec, CR_CHECKSUM_SHA256, &err) != CRE_OK ||
	    cr_repomd_record_rename_file(rec, &err) != CRE_OK) {
		cr_repomd_record_free(rec);
		return gfail(b, type, err);
	}
	cr_repomd_set_record(md, rec);
	return 0;
}

/* ---- modules.yaml and comps: streams and groups of what ships ----------------------------------------------- */

/* The compression the upstream chose for the record, by its name. */
static cr_CompressionType compression_of(const char *path)
{
	static const struct { const char *sfx; cr_CompressionType t; } v[] = {
		{ ".gz", CR_CW_GZ_COMPRESSION }, { ".xz", CR_CW_XZ_COMPRESSION }, { ".bz2", CR_CW_BZ2_COMPRESSION },
	};
	size_t l = strlen(path);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		if (l > strlen(v[i].sfx) && strcmp(path + l - strlen(v[i].sfx), v[i].sfx) == 0)
			return v[i].t;
	return CR_CW_NO_COMPRESSION;
}

static int write_extra(struct resign *b, cr_Repomd *md, size_t i)
{
	const char *type = b->extra_types[i];
	bool modules = strcmp(type, "modules") == 0;
	char in[SL_MAX_PATH], out[SL_MAX_PATH], *why = NULL;
	int rc = sl_store_object_path(b->ctx->store, b->extra_sha[i], in, sizeof in);
	if (rc < 0)
		return fail(b, rc, b->extra_path[i], sl_strerror(rc));
	cr_CompressionType comp = compression_of(b->extra_path[i]);
	const char *sfx = comp == CR_CW_NO_COMPRESSION ? "" : cr_compression_suffix(comp);
	if (modules)
		snprintf(out, sizeof out, "%s/repodata/modules.yaml%s", b->root, sfx);
	else
		snprintf(out, sizeof out, "%s/repodata/%s-comps.xml%s", b->root, type, sfx);
	struct sl_rpm_prune_count n;
	rc = modules ? sl_rpm_modules_prune(in, out, (int)comp, b->shipped, &n, &why)
		     : sl_rpm_comps_prune(in, out, (int)comp, b->names, &n, &why);
	if (rc < 0) {
		fail(b, rc, b->extra_path[i], why != NULL ? why : sl_strerror(rc));
		free(why);
		return rc;
	}
	sl_log_info(b->ctx->src->name, "%s: %zu %s kept, %zu dropped (not shipped)", type, n.kept,
		    modules ? "module stream(s)" : "group(s)", n.dropped);
	if (n.kept == 0) {
		remove(out);   /* nothing of it ships: no record */
		return 0;
	}
	return add_record(b, md, type, out);
}

/* ---- repomd.xml ------------------------------------------------------------------------------------------------ */

static int next_revision(struct resign *b, char *out, size_t cap)
{
	int64_t sid, last = 0;
	int rc = sl_catalog_source_id(b->ctx->cat, b->ctx->src->name, &sid);
	char *v = NULL;
	if (rc == 0)
		rc = sl_catalog_state_get(b->ctx->cat, sid, REVISION_KEY, &v);
	if (rc == 0) {
		last = strtoll(v, NULL, 10);
		free(v);
	} else if (rc != -SL_E_NOTFOUND) {
		return fail(b, rc, REVISION_KEY, sl_strerror(rc));
	}
	/* Strictly increasing, so a client (and a verifying downstream sluice) never sees a rollback, also
	 * when an older snapshot is republished. */
	int64_t now = (int64_t)time(NULL), rev = now > last ? now : last + 1;
	snprintf(out, cap, "%" PRId64, rev);
	rc = sl_catalog_state_set(b->ctx->cat, sid, REVISION_KEY, out);
	return rc < 0 ? fail(b, rc, REVISION_KEY, sl_strerror(rc)) : 0;
}

static int write_repomd(struct resign *b, const char *const paths[3])
{
	static const char *const types[3] = { "primary", "filelists", "other" };
	cr_Repomd *md = cr_repomd_new();
	char rev[32];
	int rc = next_revision(b, rev, sizeof rev);
	cr_repomd_set_revision(md, rev);
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = add_record(b, md, types[i], paths[i]);
	char ui[SL_MAX_PATH];
	if (rc == 0 && b->updateinfo_sha != NULL)
		rc = write_updateinfo(b, ui, sizeof ui);
	if (rc == 0 && b->updateinfo_sha != NULL)
		rc = add_record(b, md, "updateinfo", ui);
	for (size_t i = 0; i < b->nextra && rc == 0; i++)
		rc = write_extra(b, md, i);
	GError *err = NULL;
	char *xml = NULL;
	if (rc == 0) {
		cr_repomd_sort_records(md);
		xml = cr_xml_dump_repomd(md, &err);
		if (xml == NULL)
			rc = gfail(b, "repomd.xml", err);
	}
	cr_repomd_free(md);
	if (rc < 0)
		return rc;
	rc = sl_tree_write(b->tree, "repodata/repomd.xml", xml, strlen(xml));
	char *sig = NULL;
	size_t sig_len = 0;
	if (rc == 0)
		rc = sl_keys_sign(b->ctx->keys, SL_SIGN_DETACHED, xml, strlen(xml), &sig, &sig_len);
	if (rc == 0)
		rc = sl_tree_write(b->tree, "repodata/repomd.xml.asc", sig, sig_len);
	g_free(xml);
	free(sig);
	return rc < 0 ? fail(b, rc, "repodata/repomd.xml", sl_strerror(rc)) : 0;
}

int sl_rpm_publish_resign(const struct sl_publish_ctx *ctx, int64_t snap_id, const char *dir, char **cause)
{
	if (ctx->keys == NULL)
		return sl_cause(cause, -SL_E_STATE, "source %s: publish = resign needs sluice's signing key", ctx->src->name);
	struct resign b = { .ctx = ctx, .cause = cause, .root = dir };
	b.tree = sl_tree_new(ctx, dir, cause);
	b.shipped = sl_strset_new();
	b.names = sl_strset_new();
	if (b.tree == NULL || b.shipped == NULL || b.names == NULL) {
		sl_tree_free(b.tree);
		sl_strset_free(b.shipped);
		sl_strset_free(b.names);
		return b.tree == NULL ? -EIO : -ENOMEM;
	}
	cr_xml_dump_init();
	cr_package_parser_init();
	int rc = sl_catalog_snapshot_entries(ctx->cat, snap_id, scan, &b);
	char paths[3][SL_MAX_PATH];
	static const char *const names[3] = { "primary.xml.gz", "filelists.xml.gz", "other.xml.gz" };
	GError *err = NULL;
	if (rc == 0)
		rc = sl_tree_mkparents(b.tree, "repodata/x");
	for (int i = 0; i < 3 && rc == 0; i++) {
		snprintf(paths[i], sizeof paths[i], "%s/repodata/%s", dir, names[i]);
		b.xml[i] = cr_xmlfile_open(paths[i], (cr_XmlFileType)(CR_XMLFILE_PRIMARY + i), CR_CW_GZ_COMPRESSION, &err);
		if (b.xml[i] == NULL || cr_xmlfile_set_num_of_pkgs(b.xml[i], (long)b.npkgs, &err) != CRE_OK)
			rc = gfail(&b, names[i], err);
	}
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(ctx->cat, snap_id, add_package, &b);
	for (int i = 0; i < 3; i++)
		if (b.xml[i] != NULL && cr_xmlfile_close(b.xml[i], rc == 0 ? &err : NULL) != CRE_OK && rc == 0)
			rc = gfail(&b, names[i], err);
	if (rc == 0 && b.rc == 0) {
		const char *p[3] = { paths[0], paths[1], paths[2] };
		rc = write_repomd(&b, p);
	}
	if (rc == 0)
		rc = b.rc;
	if (rc < 0 && b.rc == 0)
		sl_cause(cause, rc, "source %s: %s", ctx->src->name, sl_strerror(rc));
	cr_package_parser_cleanup();
	cr_xml_dump_cleanup();
	for (size_t i = 0; i < b.nextra; i++) {
		free(b.extra_types[i]);
		free(b.extra_sha[i]);
		free(b.extra_path[i]);
	}
	free(b.updateinfo_sha);
	sl_strset_free(b.shipped);
	sl_strset_free(b.names);
	sl_tree_free(b.tree);
	if (rc == 0)
		sl_log_info(ctx->src->name, "resigned repository: %" PRIu64 " package(s), primary/filelists/other regenerated",
			    b.done);
	return rc;
}
