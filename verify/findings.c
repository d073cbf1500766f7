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

/* A scan in flight: the artifact a worker holds (copied: the catalogue's entry is borrowed for one call). */
struct pending {
	bool used;
	char *path;
	char sha256[SL_SHA256_HEX];
	json_t *verdict;              /* its findings so far, for the cache */
};

struct gate {
	const struct sl_source *src;
	struct sl_catalog *cat;
	struct sl_store *store;
	struct sl_scanner *scanner;
	int64_t snap_id, now;
	const char *engine, *db;
	struct sl_findings_result *out;
	struct pending slot[SL_SCAN_MAX_WORKERS];
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
	struct pending *p = arg;
	json_array_append_new(p->verdict, json_pack("{s:s, s:s?, s:s}", "kind", kind, "member", member, "detail", detail));
}

/* Record the findings of a verdict (cached or fresh) for one artifact. */
static int record_verdict(struct gate *g, const char *path, const char *digest, const json_t *verdict)
{
	size_t i;
	json_t *v;
	json_array_foreach(verdict, i, v) {
		int rc = record(g, path, digest, json_string_value(json_object_get(v, "kind")),
				json_string_value(json_object_get(v, "member")),
				json_string_value(json_object_get(v, "detail")));
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void pending_release(struct pending *p)
{
	free(p->path);
	json_decref(p->verdict);
	memset(p, 0, sizeof *p);
}

/* A worker's answer for the artifact in p: recorded, and cached when complete. ran: false when the worker
 * died during the scan. */
static int settle_pending(struct gate *g, struct pending *p, bool ran)
{
	int rc;
	if (!ran) {
		/* That worker died: this artifact is a scan error (after what it found before dying, a signature
		 * match among it); nothing is cached. */
		rc = record_verdict(g, p->path, p->sha256, p->verdict);
		if (rc == 0)
			rc = record(g, p->path, p->sha256, "scan-error", NULL, "the scanner process ended during the scan");
		pending_release(p);
		return rc;
	}
	char *txt = json_dumps(p->verdict, JSON_COMPACT);
	rc = record_verdict(g, p->path, p->sha256, p->verdict);
	/* Only complete verdicts are cached: a scan error is asked again next time. */
	bool complete = true;
	size_t i;
	json_t *v;
	json_array_foreach(p->verdict, i, v)
		if (strcmp(json_string_value(json_object_get(v, "kind")), "scan-error") == 0)
			complete = false;
	if (rc == 0 && txt != NULL && complete)
		rc = sl_catalog_scan_verdict_put(g->cat, p->sha256, g->engine, g->db, txt, g->now);
	free(txt);
	pending_release(p);
	return rc;
}

/* Wait for one scan in flight and settle it: 1 when one was settled, 0 when none was in flight, or a
 * negative code when its findings could not be recorded. */
static int settle_one(struct gate *g)
{
	void *arg = NULL;
	int rc = sl_scanner_wait(g->scanner, &arg);
	if (rc == -ENOENT)
		return 0;
	if (arg == NULL)
		return rc < 0 ? rc : -SL_E_VERIFY;
	rc = settle_pending(g, arg, rc == 0);
	return rc < 0 ? rc : 1;
}

static int scan_entry(void *arg, const struct sl_entry *e)
{
	struct gate *g = arg;
	if (!scanned_role(g->src, e->role))
		return 0;
	char *cached = NULL;
	int rc = sl_catalog_scan_verdict_get(g->cat, e->sha256, g->engine, g->db, &cached);
	if (rc == 0) {
		json_t *v = json_loads(cached, 0, NULL);
		free(cached);
		if (json_is_array(v)) {
			g->out->cached++;
			rc = record_verdict(g, e->path, e->sha256, v);
			json_decref(v);
			g->err = rc;
			return rc < 0;
		}
		json_decref(v);   /* a cache row that does not parse: scan again */
	} else if (rc != -SL_E_NOTFOUND) {
		g->err = rc;
		return 1;
	}
	/* Scans overlap, one per worker: wait for a worker to be free. */
	while (sl_scanner_idle(g->scanner) == 0 && sl_scanner_workers(g->scanner) > 0) {
		rc = settle_one(g);
		if (rc < 0) {
			g->err = rc;
			return 1;
		}
	}
	struct pending *p = NULL;
	for (size_t i = 0; i < SL_SCAN_MAX_WORKERS && p == NULL; i++)
		if (!g->slot[i].used)
			p = &g->slot[i];
	char path[SL_MAX_PATH];
	if (p == NULL || sl_store_object_path(g->store, e->sha256, path, sizeof path) < 0) {
		g->err = p == NULL ? -SL_E_VERIFY : -SL_E_TOOBIG;
		return 1;
	}
	*p = (struct pending){ .used = true, .path = strdup(e->path), .verdict = json_array() };
	snprintf(p->sha256, sizeof p->sha256, "%s", e->sha256);
	if (p->path == NULL || p->verdict == NULL) {
		pending_release(p);
		g->err = -ENOMEM;
		return 1;
	}
	g->out->scanned++;
	rc = sl_scanner_submit(g->scanner, path, on_finding, p);
	if (rc < 0) {
		/* No worker is left: this artifact, and every later one, is a scan error. */
		rc = settle_pending(g, p, false);
		g->err = rc;
		return rc < 0;
	}
	return 0;
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

/* The gate's engine, spawned early (see findings.h). */
struct sl_findings_gate {
	struct sl_scanner *scanner;   /* NULL: why says why not */
	char db[SL_SHA256_HEX], why[256];
};

struct sl_findings_gate *sl_findings_gate_new(const struct sl_config *cfg, const struct sl_source *src,
					      struct sl_catalog *cat)
{
	if (cfg->scan_source == NULL || src->format->scan_roles == NULL)
		return NULL;
	struct sl_findings_gate *fg = calloc(1, sizeof *fg);
	if (fg == NULL)
		return NULL;
	char dir[SL_MAX_PATH];
	if (scan_databases(cfg, cat, dir, sizeof dir, fg->db, fg->why, sizeof fg->why) == 0) {
		struct sl_scan_limits lim = {
			.max_filesize = cfg->scan_max_filesize, .max_scansize = cfg->scan_max_scansize,
			.max_recursion = cfg->scan_max_recursion,
		};
		char *scause = NULL;
		fg->scanner = sl_scanner_spawn(dir, &lim, &scause);
		if (fg->scanner == NULL)
			snprintf(fg->why, sizeof fg->why, "%s", scause ? scause : "the scan engine did not start");
		free(scause);
	}
	return fg;
}

void sl_findings_gate_load(struct sl_findings_gate *fg)
{
	if (fg != NULL && fg->scanner != NULL)
		sl_scanner_go(fg->scanner);
}

void sl_findings_gate_free(struct sl_findings_gate *fg)
{
	if (fg == NULL)
		return;
	sl_scanner_stop(fg->scanner);
	free(fg);
}

int sl_findings_scan(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
		     struct sl_store *store, int64_t snap_id, struct sl_findings_result *out, char **cause)
{
	struct sl_findings_gate *fg = sl_findings_gate_new(cfg, src, cat);
	if (fg == NULL && cfg->scan_source != NULL && src->format->scan_roles != NULL) {
		memset(out, 0, sizeof *out);
		return sl_cause(cause, -ENOMEM, "scan gate: out of memory");
	}
	int rc = sl_findings_scan_gate(fg, cfg, src, cat, store, snap_id, out, cause);
	sl_findings_gate_free(fg);
	return rc;
}

int sl_findings_scan_gate(struct sl_findings_gate *fg, const struct sl_config *cfg, const struct sl_source *src,
			  struct sl_catalog *cat, struct sl_store *store, int64_t snap_id, struct sl_findings_result *out,
			  char **cause)
{
	memset(out, 0, sizeof *out);
	if (fg == NULL)
		return 0;
	out->enabled = true;
	struct gate g = { .src = src, .cat = cat, .store = store, .snap_id = snap_id, .now = time(NULL), .out = out };
	char *db = fg->db, *why = fg->why;
	size_t whycap = sizeof fg->why;
	int rc = 0;
	if (fg->scanner != NULL) {
		char *scause = NULL;
		if (sl_scanner_ready(fg->scanner, &scause) == 0) {
			g.scanner = fg->scanner;
		} else {
			snprintf(why, whycap, "%s", scause ? scause : "the scan engine did not start");
			sl_scanner_stop(fg->scanner);
			fg->scanner = NULL;
		}
		free(scause);
	}
	/* Fail closed: without an engine nothing is scanned, and the snapshot cannot pass as clean. */
	if (g.scanner == NULL) {
		rc = record(&g, "(scan)", NULL, "no-database", NULL, why);
	} else {
		g.engine = sl_scanner_engine(g.scanner);
		g.db = db;
		sl_log_info(src->name, "scan engine: libclamav %s, %u signatures loaded in %.2f s, %u worker(s)", g.engine,
			    sl_scanner_signatures(g.scanner), sl_scanner_load_seconds(g.scanner), sl_scanner_workers(g.scanner));
		rc = sl_catalog_snapshot_entries(cat, snap_id, scan_entry, &g);
		/* The scans still in flight: every artifact handed out gets its verdict before the gate ends. */
		int w = 1;
		while (g.err == 0 && w > 0)
			w = settle_one(&g);
		if (w < 0)
			g.err = w;
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
	for (size_t i = 0; i < SL_SCAN_MAX_WORKERS; i++)
		if (g.slot[i].used)
			pending_release(&g.slot[i]);   /* an error cut the gate short */
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

bool sl_findings_gated(const struct sl_config *cfg, const struct sl_source *src)
{
	return cfg->scan_source != NULL && src->format->scan_roles != NULL;
}

int sl_findings_waiting(const struct sl_config *cfg, const struct sl_source *src, struct sl_catalog *cat,
			int64_t snap_id)
{
	if (!sl_findings_gated(cfg, src))
		return 0;
	struct sl_scan_run r;
	int rc = sl_catalog_scan_run_last(cat, snap_id, &r);
	return rc == 0 ? 0 : rc == -SL_E_NOTFOUND ? 1 : rc;
}

struct queue_arg {
	const struct sl_config *cfg;
	const struct sl_source *src;
	struct sl_catalog *cat;
	int64_t after, best;
	const struct sl_source *best_src;
	int err;
};

static int queue_cb(void *arg, const struct sl_snapshot_info *s)
{
	struct queue_arg *q = arg;
	if (s->id <= q->after || (q->best != 0 && s->id >= q->best))
		return 0;
	int w = sl_findings_waiting(q->cfg, q->src, q->cat, s->id);
	if (w < 0) {
		q->err = w;
		return 1;
	}
	if (w == 1) {
		q->best = s->id;
		q->best_src = q->src;
	}
	return 0;
}

int sl_findings_next_queued(const struct sl_config *cfg, struct sl_catalog *cat, int64_t after_id,
			    const struct sl_source **src, int64_t *snap_id)
{
	struct queue_arg q = { .cfg = cfg, .cat = cat, .after = after_id };
	for (size_t i = 0; i < cfg->nsources && q.err == 0; i++) {
		int64_t sid = 0;
		q.src = &cfg->sources[i];
		if (!sl_findings_gated(cfg, q.src) || sl_catalog_source_id(cat, q.src->name, &sid) < 0)
			continue;
		int rc = sl_catalog_snapshots(cat, sid, SL_SNAP_PENDING, queue_cb, &q);
		if (rc < 0 && q.err == 0)
			q.err = rc;
	}
	if (q.err < 0)
		return q.err;
	*src = q.best_src;
	*snap_id = q.best;
	return q.best != 0;
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
