/* bundle_land: a bundle whose every object is in the store becomes, per source, a candidate snapshot built
 * from the manifest in one transaction (entries, seal, the content digest checked against the manifest's)
 * and settled exactly like a sync: the format's verifier with this side's configuration and keyrings, then
 * pending / failed / unchanged, then auto-approval per the source's policy. Each step is recorded per
 * (exporter, sequence, source), so an import killed at any instant converges when run again. Also
 * `import --status`: what each bundle still lacks. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/bundle_delta.h"
#include "admin/bundle_int.h"
#include "admin/cli.h"
#include "core/bundle_manifest.h"
#include "core/catalog.h"
#include "core/catalog_bundle.h"
#include "core/config.h"
#include "core/error.h"
#include "core/store.h"
#include "core/units.h"
#include "syncd/sync.h"
#include "verify/findings.h"
#include "verify/settle.h"

FILE *sl_bundle_open_stored(struct sl_bundle_imp *im, const char *sha)
{
	int fd = -1;
	uint64_t size = 0;
	if (sl_store_open_object(im->store, sha, &fd, &size) < 0)
		return NULL;
	FILE *f = fdopen(fd, "r");
	if (f == NULL)
		close(fd);
	return f;
}

#define MAX_LISTED_VOLUMES 20    /* missing volumes named in one message; the count says the rest */

struct missing {
	uint64_t objects, bytes, entries, builds;
	unsigned bases;                  /* delta sources whose base snapshot is not here */
	unsigned volumes[MAX_LISTED_VOLUMES], nvol, more_vol;
};

struct base_check {
	struct sl_store *store;
	uint64_t missing;
};

static int base_object(void *arg, const struct sl_entry *e)
{
	struct base_check *b = arg;
	if (!sl_store_has_size(b->store, e->sha256, e->size))
		b->missing++;
	return 0;
}

/* Is the bundle's source one this side lands (configured, from = bundle, same type)? *why (if not NULL)
 * says why not. What start_source checks, so find_missing asks nothing of a source that will be skipped. */
static const struct sl_source *landing_source(struct sl_cli *cli, const struct sl_bundle_source *bs, char *why,
					      size_t cap)
{
	const struct sl_source *src = sl_config_source(cli->cfg, bs->name);
	if (src != NULL && src->from_bundle && strcmp(src->format->name, bs->type) == 0)
		return src;
	if (why == NULL)
		return NULL;
	if (src == NULL)
		snprintf(why, cap, "no source '%s' is configured here", bs->name);
	else if (!src->from_bundle)
		snprintf(why, cap, "source '%s' is fetched from its upstream here (not from = bundle)", bs->name);
	else
		snprintf(why, cap, "source '%s' is type %s here, %s in the bundle", bs->name, src->format->name, bs->type);
	return NULL;
}

/* A delta source's base: this side's copy (found by content digest) and every object of it. */
static int check_base(struct sl_bundle_imp *im, const char *source, const struct sl_bundle_delta *d,
		      struct missing *m)
{
	struct sl_catalog *cat = im->cli->cat;
	int64_t sid = 0, base = 0;
	int rc = sl_catalog_source_id(cat, source, &sid);
	if (rc == 0)
		rc = sl_catalog_bundle_find_base(cat, sid, d->base_digest, &base);
	if (rc == -SL_E_NOTFOUND) {
		m->bases++;
		return 0;
	}
	struct base_check b = { .store = im->store };
	if (rc == 0)
		rc = sl_catalog_snapshot_entries(cat, base, base_object, &b);
	if (rc < 0) {
		fprintf(stderr, "sluice: %s: the delta's base: %s\n", source, sl_strerror(rc));
		return rc;
	}
	m->entries += b.missing;
	return 0;
}

/* What of the manifest is not in the store: objects (by volume) and entries neither carried nor held. */
static int find_missing(struct sl_bundle_imp *im, const char *msha, struct missing *m)
{
	memset(m, 0, sizeof *m);
	FILE *f = sl_bundle_open_stored(im, msha);
	struct sl_bundle_reader *r = f != NULL ? sl_bundle_reader_file(f) : NULL;
	if (r == NULL) {
		if (f != NULL)
			fclose(f);
		fprintf(stderr, "sluice: the manifest %s is not in the store any more\n", msha);
		return -SL_E_NOTFOUND;
	}
	int t = 0, rc = 0;
	char *cause = NULL, source[SL_MAX_NAME + 1] = "";
	bool lands = false;   /* the current source: a skipped one needs nothing here */
	while (rc == 0) {
		t = sl_bundle_next(r, &cause);
		if (t <= 0)
			break;
		if (t == SL_BREC_SOURCE) {
			snprintf(source, sizeof source, "%s", sl_bundle_source(r)->name);
			lands = landing_source(im->cli, sl_bundle_source(r), NULL, 0) != NULL;
		} else if (t == SL_BREC_DELTA && lands) {
			rc = check_base(im, source, sl_bundle_delta(r), m);
		} else if (t == SL_BREC_BUILD) {
			const struct sl_bundle_build *b = sl_bundle_build(r);
			if (!sl_store_has_size(im->store, b->target, b->size))
				m->builds++;
		} else if (t == SL_BREC_ENTRY && lands) {
			const struct sl_entry *e = sl_bundle_entry(r);
			if (!sl_store_has_size(im->store, e->sha256, e->size))
				m->entries++;
		} else if (t == SL_BREC_OBJECT) {
			const struct sl_bundle_object *o = sl_bundle_object(r);
			if (sl_store_has_size(im->store, o->sha256, o->size))
				continue;
			m->objects++;
			m->bytes += o->size;
			if (m->nvol > 0 && m->volumes[m->nvol - 1] == o->volume)
				continue;
			if (m->nvol < MAX_LISTED_VOLUMES)
				m->volumes[m->nvol++] = o->volume;
			else
				m->more_vol++;
		}
	}
	if (t < 0)
		fprintf(stderr, "sluice: stored manifest %s: %s\n", msha, cause ? cause : sl_strerror(t));
	free(cause);
	sl_bundle_reader_free(r);
	fclose(f);
	return rc < 0 ? rc : t;
}

static void volumes_text(const struct missing *m, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < m->nvol && used < cap; i++) {
		int w = snprintf(buf + used, cap - used, "%s%u", i ? ", " : "", m->volumes[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (m->more_vol > 0 && used < cap)
		snprintf(buf + used, cap - used, " and %u more", m->more_vol);
}

/* ---- one source ---- */

struct land {
	struct sl_bundle_imp *im;
	const char *exporter;
	int64_t seq;
	struct sl_bundle_source bs;     /* summary: heap copy below */
	char *summary;
	const struct sl_source *src;
	int64_t source_id, snap_id;
	int64_t run_id;                 /* an import is recorded as the source's run, as a sync would be */
	bool building, in_tx;
	int err;
	unsigned skipped;               /* sources not configured here: the bundle stays open for them */
	unsigned done, total;
};

static void record(struct land *l, const char *verdict, int64_t snap_id, const char *why, int code)
{
	struct sl_cli *cli = l->im->cli;
	sl_catalog_bundle_source_set(cli->cat, l->exporter, l->seq, l->bs.name, l->bs.snapshot_id,
				     l->bs.content_digest, snap_id, verdict);
	if (code > l->im->exit)
		l->im->exit = code;
	char reason[SL_MAX_REASON];
	snprintf(reason, sizeof reason, "bundle %lld of exporter %s (its snapshot %lld): %s%s%s", (long long)l->seq,
		 l->exporter, (long long)l->bs.snapshot_id, verdict, why ? ": " : "", why ? why : "");
	struct sl_audit_entry e = {
		.actor = cli->actor, .action = "import", .source = l->bs.name, .snapshot_id = snap_id,
		.content_digest = l->bs.content_digest, .reason = reason,
	};
	if (sl_catalog_audit_append(cli->cat, &e) < 0)
		fprintf(stderr, "sluice: warning: cannot record the import in the audit log\n");
}

/* Record the verdict and tell the administrator, one line. */
static void say(struct land *l, const char *verdict, int64_t snap_id, const char *why, int code)
{
	record(l, verdict, snap_id, why, code);
	struct sl_cli *cli = l->im->cli;
	if (cli->json) {
		json_array_append_new(l->im->results, json_pack("{s:s, s:I, s:s, s:I, s:s?}", "source", l->bs.name,
								 "sequence", (json_int_t)l->seq, "verdict", verdict,
								 "snapshot", (json_int_t)snap_id, "reason", why));
		return;
	}
	char snap[48] = "";
	if (snap_id)
		snprintf(snap, sizeof snap, " (snapshot %lld)", (long long)snap_id);
	printf("%s: %s%s%s%s\n", l->bs.name, verdict, snap, why ? ": " : "", why ? why : "");
}

/* The inside scans what crossed the gap with its own mirrored ClamAV databases, exactly as a sync does on
 * arrival (also a pending snapshot whose scan an earlier, killed import cut short). */
static void arrival_scan(struct land *l, int64_t snap)
{
	struct sl_cli *cli = l->im->cli;
	if (sl_findings_waiting(cli->cfg, l->src, cli->cat, snap) != 1)
		return;
	struct sl_sync_report rep = { .snap_id = snap };
	int rc = sl_sync_scan_arrival(cli->cfg, l->src, cli->cat, cli->store, snap, NULL, &rep);
	if (!cli->json)
		printf("%s: %s\n", l->bs.name, rep.message ? rep.message : "");
	int code = rc < 0 ? SL_EXIT_FAIL : SL_EXIT_OK;
	if (code > l->im->exit)
		l->im->exit = code;
	sl_sync_report_release(&rep);
}

/* A pending snapshot's arrival: its scan, then approve = auto. */
static void approve_if_auto(struct land *l, int64_t snap)
{
	arrival_scan(l, snap);
	if (!l->src->auto_approve)
		return;
	int p = sl_cli_publish(l->im->cli, l->src, snap, SL_SNAP_PENDING, "auto-approve", "source policy approve = auto");
	if (p != SL_EXIT_OK && p > l->im->exit)
		l->im->exit = p;
	else if (p == SL_EXIT_OK && !l->im->cli->json)
		printf("%s: snapshot %lld auto-approved (approve = auto) and published\n", l->bs.name, (long long)snap);
}

/* Was this source of this bundle settled before (an earlier run, maybe killed)? 1: nothing left to do. */
static int resume(struct land *l)
{
	struct sl_cli *cli = l->im->cli;
	int64_t snap = 0;
	char verdict[32];
	int rc = sl_catalog_bundle_source_get(cli->cat, l->exporter, l->seq, l->bs.name, &snap, verdict, sizeof verdict);
	if (rc < 0)
		return rc;
	if (verdict[0] == '\0' || (strcmp(verdict, "building") != 0 && strcmp(verdict, "skipped") != 0))
		return verdict[0] == '\0' ? 0 : 1;
	if (strcmp(verdict, "skipped") == 0)
		return 0;   /* the configuration may have changed since */
	struct sl_snapshot_info s;
	rc = sl_catalog_snapshot_get(cli->cat, snap, &s);
	if (rc == -SL_E_NOTFOUND) {
		say(l, "unchanged", 0, "identical to a snapshot already here", SL_EXIT_OK);
		return 1;
	}
	if (rc < 0)
		return rc;
	enum sl_snap_state st = s.state;
	int64_t old_run = s.run_id;
	bool interrupted = st == SL_SNAP_SYNCING || st == SL_SNAP_VERIFIED ||
			   (st == SL_SNAP_FAILED && s.reason != NULL && strcmp(s.reason, "interrupted") == 0);
	sl_snapshot_info_release(&s);
	if (interrupted) {
		/* Killed while settling: that candidate never counted; build a fresh one. */
		sl_catalog_snapshot_transition(cli->cat, snap, st, SL_SNAP_FAILED, "interrupted import");
		if (old_run != 0)
			sl_catalog_run_end(cli->cat, old_run, SL_RUN_INTERRUPTED, 0, 0, "interrupted import");
		return 0;
	}
	if (st == SL_SNAP_FAILED) {
		say(l, "failed", snap, "verification refused it (see sluice show)", SL_EXIT_VERIFY);
		return 1;
	}
	say(l, "pending", snap, NULL, SL_EXIT_OK);
	if (st == SL_SNAP_PENDING)
		approve_if_auto(l, snap);
	return 1;
}

static void start_source(struct land *l, const struct sl_bundle_source *bs)
{
	struct sl_cli *cli = l->im->cli;
	l->bs = *bs;
	free(l->summary);
	l->summary = bs->summary != NULL ? strdup(bs->summary) : NULL;
	l->bs.summary = l->summary;
	l->building = false;
	char why[256];
	l->src = landing_source(cli, bs, why, sizeof why);
	if (l->src == NULL) {
		say(l, "skipped", 0, why, SL_EXIT_FAIL);
		l->skipped++;
		return;
	}
	int rc = resume(l);
	if (rc != 0) {
		if (rc < 0)
			l->err = rc;
		return;
	}
	/* Run, snapshot and entries in one transaction: killed before the commit, nothing of it exists. */
	l->run_id = 0;
	rc = sl_catalog_begin(cli->cat);
	if (rc == 0) {
		l->in_tx = true;
		rc = sl_catalog_source_ensure(cli->cat, bs->name, bs->type, &l->source_id);
	}
	if (rc == 0)
		rc = sl_catalog_run_begin(cli->cat, l->source_id, &l->run_id);
	if (rc == 0)
		rc = sl_catalog_snapshot_new(cli->cat, l->source_id, l->run_id, &l->snap_id);
	if (rc < 0) {
		l->err = rc;
		return;
	}
	l->building = true;
}

/* A delta: the candidate starts as this side's copy of the base (checked present before landing). */
static void start_delta(struct land *l, const struct sl_bundle_delta *d)
{
	if (!l->building || l->err < 0)
		return;
	struct sl_cli *cli = l->im->cli;
	int64_t base = 0;
	int rc = sl_catalog_bundle_find_base(cli->cat, l->source_id, d->base_digest, &base);
	if (rc == 0)
		rc = sl_catalog_bundle_copy_entries(cli->cat, base, l->snap_id);
	if (rc < 0) {
		fprintf(stderr, "sluice: %s: the delta's base (snapshot %lld of the exporter) is not here: %s\n",
			l->bs.name, (long long)d->base_snapshot, sl_strerror(rc));
		l->err = rc;
	}
}

static void drop_entry(struct land *l, const char *path)
{
	if (!l->building || l->err < 0)
		return;
	int rc = sl_catalog_bundle_drop_entry(l->im->cli->cat, l->snap_id, path);
	if (rc < 0) {
		fprintf(stderr, "sluice: %s: the delta removes %s, which its base does not hold: %s\n", l->bs.name, path,
			rc == -SL_E_NOTFOUND ? "inconsistent bundle" : sl_strerror(rc));
		l->err = rc == -SL_E_NOTFOUND ? -SL_E_VERIFY : rc;
	}
}

static void add_entry(struct land *l, const struct sl_entry *e)
{
	if (!l->building || l->err < 0)
		return;
	struct sl_cli *cli = l->im->cli;
	int rc = sl_catalog_artifact_add(cli->cat, e->sha256, e->size, NULL, NULL);
	if (rc == 0)
		rc = sl_catalog_snapshot_add_entry(cli->cat, l->snap_id, e);
	if (rc < 0) {
		fprintf(stderr, "sluice: %s: entry %s: %s\n", l->bs.name, e->path, sl_strerror(rc));
		l->err = rc;
	}
}

static void end_run(struct land *l, enum sl_run_outcome outcome, const char *message)
{
	if (l->run_id != 0)
		sl_catalog_run_end(l->im->cli->cat, l->run_id, outcome, 0, 0, message);
	l->run_id = 0;
}

static void finish_source(struct land *l)
{
	if (!l->building)
		return;
	l->building = false;
	struct sl_cli *cli = l->im->cli;
	int rc = l->err;
	if (rc == 0)
		rc = sl_catalog_snapshot_seal(cli->cat, l->snap_id, l->bs.upstream_date, l->summary);
	struct sl_snapshot_info s = { 0 };
	if (rc == 0)
		rc = sl_catalog_snapshot_get(cli->cat, l->snap_id, &s);
	bool same = rc == 0 && strcmp(s.content_digest, l->bs.content_digest) == 0 && s.n_entries == l->bs.n_entries;
	sl_snapshot_info_release(&s);
	if (rc == 0 && !same) {
		/* The entries do not add up to the identity the exporter signed: nothing of it is kept. */
		sl_catalog_rollback(cli->cat);   /* the run goes with it; the audit log records the refusal */
		l->in_tx = false;
		l->run_id = 0;
		say(l, "refused", 0, "the entries do not match the manifest's content digest", SL_EXIT_VERIFY);
		return;
	}
	if (rc == 0)
		rc = sl_catalog_bundle_source_set(cli->cat, l->exporter, l->seq, l->bs.name, l->bs.snapshot_id,
						  l->bs.content_digest, l->snap_id, "building");
	if (rc == 0)
		rc = sl_catalog_commit(cli->cat);
	if (rc < 0) {
		sl_catalog_rollback(cli->cat);
		l->in_tx = false;
		fprintf(stderr, "sluice: %s: cannot record the candidate: %s\n", l->bs.name, sl_strerror(rc));
		l->err = rc;
		l->run_id = 0;   /* rolled back with the candidate */
		return;
	}
	l->in_tx = false;
	/* Exactly what a sync does once its syncer returned: the format's verifier decides, from the store. */
	struct sl_settle_result st;
	char *cause = NULL;
	rc = sl_settle_snapshot(cli->cfg, l->src, cli->cat, cli->store, l->source_id, l->snap_id, &st, &cause);
	if (rc < 0) {
		fprintf(stderr, "sluice: %s: cannot settle snapshot %lld: %s\n", l->bs.name, (long long)l->snap_id,
			cause ? cause : sl_strerror(rc));
		free(cause);
		l->err = rc;
		end_run(l, SL_RUN_FAILED, "cannot settle the imported snapshot");
		return;
	}
	free(cause);
	char msg[SL_MAX_REASON];
	if (st.verdict == SL_SETTLED_FAILED) {
		say(l, "failed", l->snap_id, st.reason, SL_EXIT_VERIFY);
		end_run(l, SL_RUN_FAILED, st.reason);
	} else if (st.verdict == SL_SETTLED_UNCHANGED) {
		say(l, "unchanged", st.same_as, st.reason, SL_EXIT_OK);
		snprintf(msg, sizeof msg, "imported bundle %lld: unchanged (%s)", (long long)l->seq, st.reason);
		end_run(l, SL_RUN_UNCHANGED, msg);
	} else {
		say(l, "pending", l->snap_id, st.reason, SL_EXIT_OK);
		snprintf(msg, sizeof msg, "imported bundle %lld of exporter %s: snapshot %lld verified, pending approval",
			 (long long)l->seq, l->exporter, (long long)l->snap_id);
		end_run(l, SL_RUN_OK, msg);
		approve_if_auto(l, l->snap_id);   /* scans on arrival first */
		if (!l->src->auto_approve && !cli->json)
			printf("%s: review with: sluice diff %lld; then sluice approve %lld --reason '...'\n", l->bs.name,
			       (long long)l->snap_id, (long long)l->snap_id);
	}
}

int sl_bundle_land(struct sl_bundle_imp *im, const char *exporter, int64_t seq, const char *manifest_sha)
{
	struct sl_cli *cli = im->cli;
	/* Objects were committed without a per-object fsync: durable before anything relies on them. */
	int rc = sl_store_sync(im->store);
	if (rc < 0) {
		fprintf(stderr, "sluice: cannot flush the content store: %s\n", sl_strerror(rc));
		return rc;
	}
	struct missing m;
	rc = find_missing(im, manifest_sha, &m);
	if (rc < 0)
		return rc;
	if (m.objects == 0 && m.bases > 0) {
		printf("bundle %lld of exporter %s: %u source(s) are changes to a snapshot this side does not hold (an "
		       "earlier bundle not imported, or removed here): import that bundle first, or export again with "
		       "the --ack of this side (sluice ack)\n", (long long)seq, exporter, m.bases);
		return 0;
	}
	if (m.objects == 0 && m.builds > 0) {
		/* Every carried object is here: make what the inside builds from patches, then look again. */
		FILE *mf = sl_bundle_open_stored(im, manifest_sha);
		uint64_t built = 0;
		char *cause = NULL;
		rc = mf != NULL ? sl_bundle_builds_run(im->store, mf, &built, &cause) : -SL_E_NOTFOUND;
		if (mf != NULL)
			fclose(mf);
		if (rc < 0) {
			fprintf(stderr, "sluice: bundle %lld of exporter %s: %s\n", (long long)seq, exporter,
				cause ? cause : sl_strerror(rc));
			free(cause);
			return rc;
		}
		if (!cli->json)
			printf("bundle %lld of exporter %s: %" PRIu64 " file(s) rebuilt from patches and what this side "
			       "holds\n", (long long)seq, exporter, built);
		rc = sl_store_sync(im->store);
		if (rc == 0)
			rc = find_missing(im, manifest_sha, &m);
		if (rc < 0)
			return rc;
	}
	if (m.objects > 0 || m.entries > 0) {
		char vols[256], size[32];
		volumes_text(&m, vols, sizeof vols);
		sl_units_format_size(m.bytes, size, sizeof size);
		if (m.objects > 0)
			printf("bundle %lld of exporter %s: waiting for volume(s) %s (%" PRIu64 " object(s), %s); nothing "
			       "lands until they arrive (sluice import --status)\n", (long long)seq, exporter, vols, m.objects,
			       size);
		else
			printf("bundle %lld of exporter %s: %" PRIu64 " file(s) are neither in the bundle nor here (its base "
			       "names content this side does not hold): export again with --ack or without --since\n",
			       (long long)seq, exporter, m.entries);
		return 0;
	}
	FILE *f = sl_bundle_open_stored(im, manifest_sha);
	struct sl_bundle_reader *r = f != NULL ? sl_bundle_reader_file(f) : NULL;
	if (r == NULL) {
		if (f != NULL)
			fclose(f);
		return -ENOMEM;
	}
	struct land l = { .im = im, .exporter = exporter, .seq = seq };
	int t = 0;   /* l.err may end the loop before the first record */
	char *cause = NULL;
	while (l.err == 0 && (t = sl_bundle_next(r, &cause)) > 0) {
		if (t == SL_BREC_ENTRY) {
			add_entry(&l, sl_bundle_entry(r));
			continue;
		}
		if (t == SL_BREC_DELTA) {
			start_delta(&l, sl_bundle_delta(r));
			continue;
		}
		if (t == SL_BREC_DROP) {
			drop_entry(&l, sl_bundle_entry(r)->path);
			continue;
		}
		finish_source(&l);
		if (t == SL_BREC_SOURCE && l.err == 0)
			start_source(&l, sl_bundle_source(r));
	}
	if (l.err == 0)
		finish_source(&l);
	if (l.in_tx) {
		sl_catalog_rollback(cli->cat);   /* run and candidate alike */
		l.run_id = 0;
	}
	end_run(&l, SL_RUN_FAILED, "import failed while settling the snapshot");
	if (t < 0 && l.err == 0) {
		fprintf(stderr, "sluice: stored manifest: %s\n", cause ? cause : sl_strerror(t));
		l.err = t;
	}
	free(cause);
	free(l.summary);
	sl_bundle_reader_free(r);
	fclose(f);
	if (l.err < 0)
		return l.err;
	if (l.skipped > 0) {
		/* Not landed: once the configuration names those sources, importing a volume again lands them. */
		printf("bundle %lld of exporter %s: %u source(s) skipped; configure them (from = bundle) and import "
		       "again\n", (long long)seq, exporter, l.skipped);
		return 0;
	}
	rc = sl_catalog_bundle_import_landed(cli->cat, exporter, seq);
	if (rc == 0 && !cli->json)
		printf("bundle %lld of exporter %s imported\n", (long long)seq, exporter);
	return rc;
}

/* ---- gc ---- */

struct keep {
	struct sl_bundle_imp *im;
	int err;
};

static int keep_one(void *arg, const struct sl_bundle_import *b)
{
	struct keep *k = arg;
	struct sl_catalog *cat = k->im->cli->cat;
	int64_t now = (int64_t)time(NULL), max_age = k->im->cli->cfg->import_max_age_ms / 1000;
	/* Landed, or refused if imported again (expired): nothing of it will ever be needed. */
	if (b->landed || b->valid_until < now || (max_age > 0 && now - b->created_at > max_age))
		return 0;
	int rc = sl_catalog_bundle_gc_keep(cat, b->manifest_digest);
	FILE *f = rc == 0 ? sl_bundle_open_stored(k->im, b->manifest_digest) : NULL;
	struct sl_bundle_reader *r = f != NULL ? sl_bundle_reader_file(f) : NULL;
	char *cause = NULL;
	while (rc == 0 && r != NULL) {
		int t = sl_bundle_next(r, &cause);
		if (t <= 0)
			break;
		if (t == SL_BREC_OBJECT) {
			rc = sl_catalog_bundle_gc_keep(cat, sl_bundle_object(r)->sha256);
		} else if (t == SL_BREC_BUILD) {
			const struct sl_bundle_build *bd = sl_bundle_build(r);
			rc = sl_catalog_bundle_gc_keep(cat, bd->target);
			if (rc == 0)
				rc = sl_catalog_bundle_gc_keep(cat, bd->in1);
			if (rc == 0 && bd->in2[0])
				rc = sl_catalog_bundle_gc_keep(cat, bd->in2);
		} else if (t == SL_BREC_ENTRY) {
			rc = sl_catalog_bundle_gc_keep(cat, sl_bundle_entry(r)->sha256);
		}
	}
	free(cause);   /* an unreadable manifest keeps nothing more: import --status reports it */
	sl_bundle_reader_free(r);
	if (f != NULL)
		fclose(f);
	if (rc < 0)
		k->err = rc;
	return rc < 0 ? 1 : 0;
}

int sl_bundle_gc_keep(struct sl_cli *cli)
{
	struct sl_bundle_imp im = { .cli = cli, .store = cli->store };
	struct keep k = { .im = &im };
	int rc = sl_catalog_bundle_imports(cli->cat, keep_one, &k);
	return rc < 0 ? rc : k.err;
}

/* ---- import --status ---- */

struct status {
	struct sl_bundle_imp *im;
	json_t *arr;
	unsigned receiving;
};

static int status_one(void *arg, const struct sl_bundle_import *b)
{
	struct status *s = arg;
	struct sl_cli *cli = s->im->cli;
	char created[32];
	sl_cli_time(b->created_at, created, sizeof created);
	if (b->landed) {
		if (s->arr != NULL)
			json_array_append_new(s->arr, json_pack("{s:s, s:I, s:s, s:I, s:I}", "exporter", b->exporter,
								"sequence", (json_int_t)b->seq, "state", "landed",
								"volumes", (json_int_t)b->volumes, "landed_at",
								(json_int_t)b->landed_at));
		else
			printf("bundle %lld of exporter %s (made %s): imported\n", (long long)b->seq, b->exporter, created);
		return 0;
	}
	s->receiving++;
	if (b->valid_until < (int64_t)time(NULL)) {
		if (s->arr != NULL)
			json_array_append_new(s->arr, json_pack("{s:s, s:I, s:s}", "exporter", b->exporter, "sequence",
								(json_int_t)b->seq, "state", "expired"));
		else
			printf("bundle %lld of exporter %s (made %s): expired before it could land; it never will "
			       "(export again; sluice gc frees what it brought)\n", (long long)b->seq, b->exporter, created);
		return 0;
	}
	struct missing m;
	if (find_missing(s->im, b->manifest_digest, &m) < 0)
		return 0;
	char vols[256], size[32], have[256] = "";
	volumes_text(&m, vols, sizeof vols);
	sl_units_format_size(m.bytes, size, sizeof size);
	size_t used = 0;
	for (unsigned k = 1; k <= b->volumes && used < sizeof have - 16; k++) {
		bool has = false;
		if (sl_catalog_bundle_import_has_volume(cli->cat, b->exporter, b->seq, k, &has) == 0 && has)
			used += (size_t)snprintf(have + used, sizeof have - used, "%s%u", used ? ", " : "", k);
	}
	if (s->arr != NULL) {
		json_array_append_new(s->arr, json_pack("{s:s, s:I, s:s, s:I, s:s, s:s, s:I, s:I, s:I}", "exporter", b->exporter,
							"sequence", (json_int_t)b->seq, "state", "receiving",
							"volumes", (json_int_t)b->volumes, "volumes_received", have,
							"volumes_missing", vols, "objects_missing",
							(json_int_t)m.objects, "bytes_missing", (json_int_t)m.bytes,
							"bases_missing", (json_int_t)m.bases));
		return 0;
	}
	printf("bundle %lld of exporter %s (made %s): receiving; volumes received: %s of %u\n", (long long)b->seq,
	       b->exporter, created, have[0] ? have : "none", b->volumes);
	if (m.objects > 0)
		printf("  missing: volume(s) %s (%" PRIu64 " object(s), %s): import them to land the bundle\n", vols,
		       m.objects, size);
	else if (m.bases > 0)
		printf("  %u source(s) are changes to a snapshot not held here: import the bundle that carried it, then "
		       "any volume of this one again\n", m.bases);
	else
		printf("  every object is here: run sluice import on any of its volumes again to land it\n");
	return 0;
}

int sl_bundle_import_status(struct sl_cli *cli)
{
	struct sl_bundle_imp im = { .cli = cli, .store = cli->store };
	struct status s = { .im = &im, .arr = cli->json ? json_array() : NULL };
	int rc = sl_catalog_bundle_imports(cli->cat, status_one, &s);
	if (s.arr != NULL)
		sl_cli_json_out(s.arr);
	else if (rc == 0 && s.receiving == 0)
		printf("no bundle is waiting for volumes\n");
	return rc < 0 ? SL_EXIT_FAIL : SL_EXIT_OK;
}
