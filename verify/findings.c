/* findings: the scan gate (see findings.h). */
#include "verify/findings.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alert.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/format.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/store.h"
#include "verify/advise.h"
#include "verify/scan.h"

struct gate {
	const struct sl_source *src;
	struct sl_catalog *cat;
	struct sl_store *store;
	struct sl_scanner *scanner;
	int64_t snap_id, now;
	const char *engine, *db;
	struct sl_findings_result *out;
	/* the artifact in hand */
	const struct sl_entry *e;
	json_t *verdict;              /* its findings, for the cache */
	char first_malware[512];      /* for the alert */
	int err;
};

static bool scanned_role(const struct sl_source *src, const char *role)
{
	const char *const *r = src->format->scan_roles;
	for (; r != NULL && *r != NULL; r++)
		if (strcmp(*r, role) == 0)
			return true;
	return false;
}

static int record(struct gate *g, const char *path, const char *digest, const char *kind, const char *member,
		  const char *detail)
{
	struct sl_finding f = {
		.snapshot_id = g->snap_id, .kind = kind, .blocking = true, .artifact = path, .digest = digest,
		.member = member, .detail = detail,
	};
	int rc = sl_catalog_finding_add(g->cat, &f, g->now, NULL);
	if (rc == 0)
		g->out->findings++;
	if (rc == 0 && strcmp(kind, "malware") == 0 && g->out->malware++ == 0)
		snprintf(g->first_malware, sizeof g->first_malware, "%s in %s%s%s", detail, path, member ? " -> " : "",
			 member ? member : "");
	return rc;
}

static void on_finding(void *arg, const char *kind, const char *member, const char *detail)
{
	struct gate *g = arg;
	json_array_append_new(g->verdict, json_pack("{s:s, s:s?, s:s}", "kind", kind, "member", member, "detail", detail));
}

/* Record the findings of a verdict (cached or fresh) for the entry in hand. */
static int record_verdict(struct gate *g, const json_t *verdict)
{
	size_t i;
	json_t *v;
	json_array_foreach(verdict, i, v) {
		int rc = record(g, g->e->path, g->e->sha256, json_string_value(json_object_get(v, "kind")),
				json_string_value(json_object_get(v, "member")),
				json_string_value(json_object_get(v, "detail")));
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int scan_entry(void *arg, const struct sl_entry *e)
{
	struct gate *g = arg;
	if (!scanned_role(g->src, e->role))
		return 0;
	g->e = e;
	char *cached = NULL;
	int rc = sl_catalog_scan_verdict_get(g->cat, e->sha256, g->engine, g->db, &cached);
	if (rc == 0) {
		json_t *v = json_loads(cached, 0, NULL);
		free(cached);
		if (json_is_array(v)) {
			g->out->cached++;
			rc = record_verdict(g, v);
			json_decref(v);
			g->err = rc;
			return rc < 0;
		}
		json_decref(v);   /* a cache row that does not parse: scan again */
	} else if (rc != -SL_E_NOTFOUND) {
		g->err = rc;
		return 1;
	}
	char path[SL_MAX_PATH];
	g->verdict = json_array();
	if (g->verdict == NULL || sl_store_object_path(g->store, e->sha256, path, sizeof path) < 0) {
		json_decref(g->verdict);
		g->err = -ENOMEM;
		return 1;
	}
	rc = sl_scanner_scan(g->scanner, path, on_finding, g);
	g->out->scanned++;
	if (rc < 0) {
		/* The scanner died: this artifact, and every later one, is a scan error; nothing is cached. */
		json_decref(g->verdict);
		g->verdict = NULL;
		g->err = record(g, e->path, e->sha256, "scan-error", NULL, "the scanner process ended during the scan");
		return g->err < 0;
	}
	char *txt = json_dumps(g->verdict, JSON_COMPACT);
	rc = record_verdict(g, g->verdict);
	/* Only complete verdicts are cached: a scan error is asked again next time. */
	bool complete = true;
	size_t i;
	json_t *v;
	json_array_foreach(g->verdict, i, v)
		if (strcmp(json_string_value(json_object_get(v, "kind")), "scan-error") == 0)
			complete = false;
	if (rc == 0 && txt != NULL && complete)
		rc = sl_catalog_scan_verdict_put(g->cat, e->sha256, g->engine, g->db, txt, g->now);
	free(txt);
	json_decref(g->verdict);
	g->verdict = NULL;
	g->err = rc;
	return rc < 0;
}

/* The scan source's published tree and the content digest that names its database set. */
static int scan_databases(const struct sl_config *cfg, struct sl_catalog *cat, char *dir, size_t cap,
			  char db[SL_SHA256_HEX], char *why, size_t whycap)
{
	const struct sl_source *scan = sl_config_source(cfg, cfg->scan_source);
	int64_t sid = 0, snap = 0, gen = 0, at = 0;
	struct sl_snapshot_info si;
	if (scan == NULL) {
		snprintf(why, whycap, "[scan] clamav_source %s is not configured", cfg->scan_source);
		return -SL_E_NOTFOUND;
	}
	if (sl_catalog_source_id(cat, scan->name, &sid) < 0 || sl_catalog_published_get(cat, sid, &snap, &gen, &at) < 0 ||
	    sl_catalog_snapshot_get(cat, snap, &si) < 0) {
		snprintf(why, whycap, "ClamAV source %s has no published databases", scan->name);
		return -SL_E_NOTFOUND;
	}
	memcpy(db, si.content_digest, SL_SHA256_HEX);
	sl_snapshot_info_release(&si);
	int n = snprintf(dir, cap, "%s/public/%s/%s", cfg->state_dir, scan->format->name, scan->name);
	return n > 0 && (size_t)n < cap ? 0 : -SL_E_TOOBIG;
}

int sl_findings_scan(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
		     struct sl_store *store, int64_t snap_id, struct sl_findings_result *out, char **cause)
{
	memset(out, 0, sizeof *out);
	if (cfg->scan_source == NULL || src->format->scan_roles == NULL)
		return 0;
	out->enabled = true;
	struct gate g = { .src = src, .cat = cat, .store = store, .snap_id = snap_id, .now = time(NULL), .out = out };
	char dir[SL_MAX_PATH], db[SL_SHA256_HEX] = "", why[256] = "";
	int rc = scan_databases(cfg, cat, dir, sizeof dir, db, why, sizeof why);
	char *scause = NULL;
	if (rc == 0) {
		struct sl_scan_limits lim = {
			.max_filesize = cfg->scan_max_filesize, .max_scansize = cfg->scan_max_scansize,
			.max_recursion = cfg->scan_max_recursion,
		};
		g.scanner = sl_scanner_start(dir, &lim, &scause);
		if (g.scanner == NULL)
			snprintf(why, sizeof why, "%s", scause ? scause : "the scan engine did not start");
		free(scause);
	}
	/* Fail closed: without an engine nothing is scanned, and the snapshot cannot pass as clean. */
	if (g.scanner == NULL) {
		rc = record(&g, "(scan)", NULL, "no-database", NULL, why);
	} else {
		g.engine = sl_scanner_engine(g.scanner);
		g.db = db;
		rc = sl_catalog_snapshot_entries(cat, snap_id, scan_entry, &g);
		if (rc > 0 || g.err < 0)
			rc = g.err < 0 ? g.err : -SL_E_CATALOG;
	}
	struct sl_scan_run run = {
		.snapshot_id = snap_id, .at = g.now, .engine = g.engine, .db = db[0] ? db : NULL, .scanned = out->scanned,
		.cached = out->cached, .findings = out->findings,
	};
	if (rc == 0)
		rc = sl_catalog_scan_run_add(cat, &run);
	if (rc == 0)
		rc = sl_catalog_findings_undecided(cat, snap_id, &out->undecided);
	sl_scanner_stop(g.scanner);
	if (rc < 0)
		return sl_cause(cause, rc, "snapshot %lld: cannot record scan findings: %s", (long long)snap_id,
				sl_strerror(rc));
	if (out->malware > 0) {
		char dedup[64];
		snprintf(dedup, sizeof dedup, "malware:%lld", (long long)snap_id);
		sl_alert_raise(cfg, cat, "malware", src->name, snap_id, dedup,
			       json_pack("{s:I, s:I}", "malware", (json_int_t)out->malware, "undecided", (json_int_t)out->undecided),
			       "sluice: MALWARE in snapshot %lld of %s: %llu artifact member(s) matched a ClamAV signature "
			       "(first: %s). Approval is blocked until each finding is decided: sluice findings %lld.",
			       (long long)snap_id, src->name, (unsigned long long)out->malware, g.first_malware,
			       (long long)snap_id);
	}
	if (out->findings > 0)
		sl_log_warn(src->name, "snapshot %lld: %llu finding(s), %u blocking approval (sluice findings %lld)",
			    (long long)snap_id, (unsigned long long)out->findings, out->undecided, (long long)snap_id);
	return 0;
}

struct advise_arg {
	struct sl_catalog *cat;
	int64_t snap_id, now;
	unsigned n;
};

static int record_advisory(void *arg, const struct sl_advisory *a)
{
	struct advise_arg *aa = arg;
	struct sl_finding f = {
		.snapshot_id = aa->snap_id, .kind = "advisory", .blocking = false, .artifact = a->artifact,
		.digest = a->digest, .member = a->member, .detail = a->detail,
	};
	int rc = sl_catalog_finding_add(aa->cat, &f, aa->now, NULL);
	if (rc == 0)
		aa->n++;
	return rc;
}

int sl_findings_advise(const struct sl_source *src, struct sl_catalog *cat, struct sl_store *store, int64_t snap_id,
		       unsigned *n, char **cause)
{
	*n = 0;
	const struct sl_advisor *adv = src->format->advise;
	int64_t sid = 0, published = 0, gen = 0, at = 0;
	if (adv == NULL || sl_catalog_source_id(cat, src->name, &sid) < 0 ||
	    sl_catalog_published_get(cat, sid, &published, &gen, &at) < 0)
		return 0;   /* no advisor, or nothing published: an upgrade needs something to upgrade from */
	struct advise_arg aa = { .cat = cat, .snap_id = snap_id, .now = time(NULL) };
	int rc = adv->advise(cat, store, published, snap_id, record_advisory, &aa);
	*n = aa.n;
	if (rc < 0)
		return sl_cause(cause, rc, "snapshot %lld: advisories against snapshot %lld: %s", (long long)snap_id,
				(long long)published, sl_strerror(rc));
	if (aa.n > 0)
		sl_log_info(src->name, "snapshot %lld: %u upgraded package(s) list CVE fixes (sluice diff %lld)",
			    (long long)snap_id, aa.n, (long long)snap_id);
	return 0;
}
