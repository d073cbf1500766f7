/* config: sluice.conf in two passes. Pass 1 (config_scan.c) runs libinih over the text through our own
 * line reader (to know every line number and to check what libinih would silently truncate) and records
 * sections and raw values. Pass 2, here, applies the key tables: each key's section, how its value is
 * parsed, where it is stored and its default. Source keys are the ones every type shares (here) plus the
 * type's own (core/config_<type>.c, reached through the source's format row). Every problem found is part
 * of the cause, in line order. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cfgcheck.h"
#include "core/config_int.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/units.h"

const char *const sl_cfg_sec_names[SEC_COUNT] = { "sluice", "syncd", "served", "publish", "scan", "alert",
						   "import", "export", "source" };

#define CFG(f) offsetof(struct sl_config, f)
#define SRC(f) SL_CFG_SRC(f)
#define MIN_MS (60 * 1000LL)

static const char *const approve_names[] = { "manual", "auto", NULL };
static const char *const from_names[] = { "upstream", "bundle", NULL };
static const char *const no_yes_names[] = { "no", "yes", NULL };

/* The keys of every section, and the source keys every type shares; a type's own source keys are in its
 * file (core/config_<type>.c). Add a key there or here, in config.h and in schemas/sluice.conf.5.md. */
static const struct key_def key_defs[] = {
	{ SEC_SLUICE, "state_dir", 1, K_DIR, CFG(state_dir), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SLUICE, "log_level", 0, K_LOGLEVEL, CFG(log_level), 0, 0, 0, "info", NULL, NULL },

	{ SEC_SYNCD, "max_parallel_sources", 0, K_UINT, CFG(max_parallel_sources), 0, 1, SL_MAX_SOURCES,
	  "2", NULL, NULL },
	{ SEC_SYNCD, "bandwidth", 0, K_RATE, CFG(bandwidth_bps), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SYNCD, "max_connections", 0, K_UINT, CFG(max_connections), 0, 1, 1024, "16", NULL, NULL },
	{ SEC_SYNCD, "max_connections_per_host", 0, K_UINT, CFG(max_connections_per_host), 0, 1, 256, "4",
	  NULL, NULL },
	{ SEC_SYNCD, "request_interval", 0, K_DURATION, CFG(request_interval_ms), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SYNCD, "low_speed_time", 0, K_DURATION, CFG(low_speed_time_ms), 0, 0, 0, "30s", NULL, NULL },
	{ SEC_SYNCD, "low_speed_limit", 0, K_RATE, CFG(low_speed_bps), 0, 0, 0, "1024", NULL, NULL },
	{ SEC_SYNCD, "verify_every", 0, K_DURATION, CFG(verify_every_ms), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SYNCD, "transfer_timeout", 0, K_DURATION, CFG(transfer_timeout_ms), 0, 1000, 0, "1h", NULL,
	  NULL },
	{ SEC_SYNCD, "retries", 0, K_UINT, CFG(retries), 0, 0, 100, "4", NULL, NULL },
	{ SEC_SYNCD, "proxy", 0, K_PROXY, CFG(proxy), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SYNCD, "ca_file", 0, K_FILE, CFG(ca_file), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SYNCD, "user", 0, K_WORD, CFG(user), 0, 0, 0, NULL, sl_cfgcheck_user, NULL },

	{ SEC_SERVED, "listen", 0, K_LISTEN, CFG(listen), 0, 0, 0, "127.0.0.1:8080", NULL, NULL },
	{ SEC_SERVED, "threads", 0, K_UINT, CFG(threads), 0, 1, 1024, NULL, NULL, NULL },
	{ SEC_SERVED, "max_connections", 0, K_UINT, CFG(served_max_connections), 0, 1, 1000000, "1024",
	  NULL, NULL },
	{ SEC_SERVED, "max_connections_per_ip", 0, K_UINT, CFG(max_connections_per_ip), 0, 1, 1000000, "64",
	  NULL, NULL },
	{ SEC_SERVED, "connection_timeout", 0, K_DURATION, CFG(connection_timeout_ms), 0, 1000, 0, "30s",
	  NULL, NULL },
	{ SEC_SERVED, "header_timeout", 0, K_DURATION, CFG(header_timeout_ms), 0, 1000, 0, "10s", NULL, NULL },
	{ SEC_SERVED, "tls_cert", 0, K_FILE, CFG(tls_cert), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SERVED, "tls_key", 0, K_FILE, CFG(tls_key), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SERVED, "tls_client_ca", 0, K_FILE, CFG(tls_client_ca), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SERVED, "allow", 0, K_LIST, CFG(allow), 0, 0, 0, NULL, sl_cfgcheck_cidr, NULL },
	{ SEC_SERVED, "access_log", 0, K_LOGDEST, CFG(access_log), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SERVED, "user", 0, K_WORD, CFG(served_user), 0, 0, 0, NULL, sl_cfgcheck_user, NULL },
	{ SEC_SERVED, "map_budget", 0, K_SIZE, CFG(map_budget), 0, 0, SL_MAX_MAP_BUDGET, "24M", NULL, NULL },

	{ SEC_PUBLISH, "gnupg_home", 0, K_DIR, CFG(gnupg_home), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_PUBLISH, "grace", 0, K_DURATION, CFG(grace_ms), 0, 0, 0, "1h", NULL, NULL },

	/* Transfer bundles: what the inside trusts, and how the DMZ checks the inside's acknowledgements. */
	{ SEC_IMPORT, "keyring", 0, K_FILE, CFG(import_keyring), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_IMPORT, "signed_by", 0, K_CSLIST, CFG(import_signers), 0, 0, 0, NULL, sl_cfgcheck_fingerprint, NULL },
	{ SEC_IMPORT, "max_age", 0, K_DURATION, CFG(import_max_age_ms), 0, 0, 0, "0", NULL, NULL },
	{ SEC_EXPORT, "valid_for", 0, K_DURATION, CFG(export_valid_for_ms), 0, 60000, 0, "30d", NULL, NULL },
	{ SEC_EXPORT, "ack_keyring", 0, K_FILE, CFG(export_ack_keyring), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_EXPORT, "rebuild_compressed", 0, K_BOOL, CFG(export_rebuild_compressed), 0, 0, 0, "yes", NULL,
	  no_yes_names },

	{ SEC_SCAN, "clamav_source", 0, K_WORD, CFG(scan_source), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SCAN, "max_filesize", 0, K_SIZE, CFG(scan_max_filesize), 0, 0, SL_MAX_ARTIFACT_BYTES, "100M", NULL,
	  NULL },
	{ SEC_SCAN, "max_scansize", 0, K_SIZE, CFG(scan_max_scansize), 0, 0, SL_MAX_ARTIFACT_BYTES, "400M", NULL,
	  NULL },
	{ SEC_SCAN, "max_recursion", 0, K_UINT, CFG(scan_max_recursion), 0, 1, 64, "17", NULL, NULL },
	{ SEC_ALERT, "webhook", 0, K_URL, CFG(alert_webhook), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_ALERT, "smtp", 0, K_WORD, CFG(alert_smtp), 0, 0, 0, NULL, sl_cfgcheck_smtp, NULL },
	{ SEC_ALERT, "mail_from", 0, K_WORD, CFG(alert_mail_from), 0, 0, 0, NULL, sl_cfgcheck_mail, NULL },
	{ SEC_ALERT, "mail_to", 0, K_LIST, CFG(alert_mail_to), 0, 0, 0, NULL, sl_cfgcheck_mail, NULL },
	{ SEC_ALERT, "failures", 0, K_UINT, CFG(alert_failures), 0, 1, 1000, "3", NULL, NULL },

	{ SEC_SOURCE, "type", 1, K_TYPE, SRC(format), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "from", 0, K_BOOL, SRC(from_bundle), 0, 0, 0, NULL, NULL, from_names },
	{ SEC_SOURCE, "url", 0, K_URL, SRC(url), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "every", 0, K_DURATION, SRC(every_ms), 0, MIN_MS, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "jitter", 0, K_DURATION, SRC(jitter_ms), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SOURCE, "window", 0, K_WINDOW, SRC(window_start_min), SRC(window_end_min), 0, 0, NULL, NULL,
	  NULL },
	{ SEC_SOURCE, "timeout", 0, K_DURATION, SRC(timeout_ms), 0, 1000, 0, "1h", NULL, NULL },
	{ SEC_SOURCE, "approve", 0, K_BOOL, SRC(auto_approve), 0, 0, 0, NULL, NULL, approve_names },
	{ SEC_SOURCE, "approve_within", 0, K_DURATION, SRC(approve_within_ms), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SOURCE, "keep", 0, K_UINT, SRC(keep), 0, 1, 100000, NULL, NULL, NULL },
	{ SEC_SOURCE, "bandwidth", 0, K_RATE, SRC(bandwidth_bps), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SOURCE, "request_interval", 0, K_DURATION, SRC(request_interval_ms), 0, 0, 0, NULL, NULL,
	  NULL },
	{ SEC_SOURCE, "max_connections", 0, K_UINT, SRC(max_connections), 0, 0, 256, "0", NULL, NULL },
	{ SEC_SOURCE, "proxy", 0, K_PROXY, SRC(proxy), 0, 0, 0, NULL, NULL, NULL },
};

#define NDEFS (sizeof key_defs / sizeof key_defs[0])

/* ---- messages ---------------------------------------------------------------------------------- */

/* The key of type `fmt`'s own keys spelt `name`, or NULL. */
static const struct key_def *own_key(const struct sl_format_ops *fmt, const char *name)
{
	const struct sl_cfg_keys *k = fmt->config;
	for (size_t i = 0; k != NULL && i < k->n; i++)
		if (strcmp(k->v[i].name, name) == 0)
			return &k->v[i];
	return NULL;
}

/* Names of the types that have `key` of their own (every type when key is NULL), as "apt, oci". */
static void type_names(const char *key, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; sl_formats[i] != NULL && used < cap; i++) {
		if (key != NULL && own_key(sl_formats[i], key) == NULL)
			continue;
		int w = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", sl_formats[i]->name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* ---- key table lookups ------------------------------------------------------------------------ */

/* A shared key of `sec` spelt `name`, or NULL. */
static const struct key_def *shared_key(enum sec sec, const char *name)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (key_defs[i].sec == sec && strcmp(key_defs[i].name, name) == 0)
			return &key_defs[i];
	return NULL;
}

const struct key_def *sl_cfg_find_key(enum sec sec, const char *name)
{
	const struct key_def *d = shared_key(sec, name);
	for (unsigned f = 0; d == NULL && sec == SEC_SOURCE && sl_formats[f] != NULL; f++)
		d = own_key(sl_formats[f], name);
	return d;
}

const char *sl_cfg_key_name(enum sec sec, size_t i)
{
	for (size_t k = 0; k < NDEFS; k++)
		if (key_defs[k].sec == sec && i-- == 0)
			return key_defs[k].name;
	for (unsigned f = 0; sec == SEC_SOURCE && sl_formats[f] != NULL; f++) {
		const struct sl_cfg_keys *k = sl_formats[f]->config;
		if (k != NULL && i < k->n)
			return k->v[i].name;
		i -= k != NULL ? k->n : 0;
	}
	return NULL;
}

int sl_cfg_grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *nv = reallocarray(*v, ncap, size);
	if (nv == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

const struct entry *sl_cfg_find_entry(const struct section *sec, const char *name)
{
	if (sec == NULL)
		return NULL;
	for (size_t i = 0; i < sec->n; i++)
		if (strcmp(sec->e[i].name, name) == 0)
			return &sec->e[i];
	return NULL;
}

/* The definition of `name` for a source of type `fmt`: a shared key or one of its own; NULL if neither. */
static const struct key_def *source_key(const char *name, const struct sl_format_ops *fmt)
{
	const struct key_def *d = shared_key(SEC_SOURCE, name);
	return d != NULL ? d : own_key(fmt, name);
}

/* Whether type `fmt` requires the shared key `d`. */
static bool type_requires(const struct sl_format_ops *fmt, const struct key_def *d)
{
	const char *const *r = fmt->config != NULL ? fmt->config->requires : NULL;
	for (; r != NULL && *r != NULL; r++)
		if (strcmp(*r, d->name) == 0)
			return true;
	return false;
}

/* A key this source did not set: the required one is missing (unless a problem of this source already
 * explains it), else its default applies. */
static void unset_source_key(struct cfgp *p, const struct section *sec, struct sl_source *src,
			     const struct key_def *d, bool required, bool clean)
{
	/* A key missing after a problem in this source is most often that problem (a key swallowed by an
	 * indented line, a misspelt name): said once, by the problem itself. */
	if (required && src->from_bundle && d->kind == K_URL)
		return;   /* url / registry: a bundle-fed source is never fetched */
	if (required && clean)
		fail(p, sec->line, "source '%s' (type %s) is missing required key '%s'", sec->name,
		     src->format->name, d->name);
	else if (d->def != NULL)
		sl_cfg_apply_default(p, d, src, sec->line);
}

static void build_global(struct cfgp *p, enum sec kind, const struct section *sec)
{
	bool set[NDEFS] = { false };
	struct sl_config *cfg = p->cfg;
	int line = sec != NULL ? sec->line : 1;
	for (size_t i = 0; sec != NULL && i < sec->n; i++) {
		const struct key_def *d = sl_cfg_find_key(kind, sec->e[i].name);
		sl_cfg_apply(p, d, cfg, &sec->e[i]);
		set[d - key_defs] = true;
	}
	for (size_t i = 0; i < NDEFS; i++) {
		const struct key_def *d = &key_defs[i];
		if (d->sec != kind || set[i])
			continue;
		if (d->required && sec == NULL)
			fail(p, 1, "no [%s] section; '%s' is required", sl_cfg_sec_names[kind], d->name);
		else if (d->required)
			fail(p, line, "[%s] is missing required key '%s'", sl_cfg_sec_names[kind], d->name);
		else if (d->def != NULL)
			sl_cfg_apply_default(p, d, cfg, line);
	}
	if (kind != SEC_SERVED)
		return;
	const struct entry *cert = sl_cfg_find_entry(sec, "tls_cert"), *key = sl_cfg_find_entry(sec, "tls_key");
	const struct entry *ca = sl_cfg_find_entry(sec, "tls_client_ca");
	if (cert != NULL && key == NULL)
		fail(p, cert->line, "tls_cert needs tls_key");
	else if (key != NULL && cert == NULL)
		fail(p, key->line, "tls_key needs tls_cert");
	else if (ca != NULL && cert == NULL)
		fail(p, ca->line, "tls_client_ca needs tls_cert and tls_key (client certificates need TLS)");
}

static void build_source(struct cfgp *p, const struct section *sec, struct sl_source *src)
{
	char names[128];
	src->name = strdup(sec->name);
	src->file = strdup(p->file);
	src->line = sec->line;
	src->window_start_min = -1;
	src->window_end_min = -1;
	src->request_interval_ms = -1;
	if (src->name == NULL || src->file == NULL) {
		fail(p, 0, "out of memory");
		return;
	}
	type_names(NULL, names, sizeof names);
	const struct entry *te = sl_cfg_find_entry(sec, "type");
	if (te == NULL) {
		fail(p, sec->line, "source '%s' has no 'type' (one of %s)", sec->name, names);
		return;
	}
	if (te->n == 0) {
		fail(p, te->line, "empty value for 'type'");
		return;
	}
	if (te->n > 1) {
		fail(p, te->v[1].line, SL_CFG_SINGLE_VALUE, "type");
		return;
	}
	const struct sl_format_ops *fmt = sl_format_find(te->v[0].text);
	if (fmt == NULL) {
		fail(p, te->line, "unknown type '%s' (known types: %s)", te->v[0].text, names);
		return;
	}
	src->format = fmt;
	src->every_ms = fmt->default_every_ms;
	src->auto_approve = fmt->default_auto_approve != 0;
	src->keep = fmt->default_keep;

	size_t before = nfailed(p);
	for (size_t i = 0; i < sec->n; i++) {
		const struct entry *e = &sec->e[i];
		if (e == te)
			continue;
		const struct key_def *d = source_key(e->name, fmt);
		if (d == NULL) {
			type_names(e->name, names, sizeof names);
			fail(p, e->line, "'%s' is not valid for type %s sources (only for %s)", e->name, fmt->name,
			     names);
			continue;
		}
		sl_cfg_apply(p, d, src, e);
	}
	/* Pass 1 keeps one entry per key name, so an entry is a key this source set. */
	for (size_t i = 0; i < NDEFS; i++) {
		const struct key_def *d = &key_defs[i];
		if (d->sec == SEC_SOURCE && d->kind != K_TYPE && sl_cfg_find_entry(sec, d->name) == NULL)
			unset_source_key(p, sec, src, d, type_requires(fmt, d), nfailed(p) == before);
	}
	const struct sl_cfg_keys *own = fmt->config;
	for (size_t i = 0; own != NULL && i < own->n; i++)
		if (sl_cfg_find_entry(sec, own->v[i].name) == NULL)
			unset_source_key(p, sec, src, &own->v[i], own->v[i].required != 0, nfailed(p) == before);
	if (own != NULL && own->defaults != NULL)
		own->defaults(sec, src);
	if (own != NULL && own->check != NULL && nfailed(p) == before)
		own->check(p, sec, src);
	const struct entry *from = sl_cfg_find_entry(sec, "from"), *url = sl_cfg_find_entry(sec, "url");
	if (url == NULL)
		url = sl_cfg_find_entry(sec, "registry");
	if (nfailed(p) == before && src->from_bundle && url != NULL)
		fail(p, url->line, "'%s' with from = bundle (line %d): this source is only fed by transfer bundles "
		     "and never fetched; remove '%s'", url->name, from->line, url->name);
}

/* [scan] clamav_source must name a source of this file whose kind provides scan databases. */
static void check_scan_source(struct cfgp *p, struct sl_config *cfg)
{
	if (cfg->scan_source == NULL || failed(p))
		return;
	for (size_t i = 0; i < cfg->nsources; i++)
		if (strcmp(cfg->sources[i].name, cfg->scan_source) == 0 && cfg->sources[i].format->scan_databases)
			return;
	int line = 0;
	for (size_t i = 0; i < p->nsecs; i++) {
		const struct entry *e = p->secs[i].kind == SEC_SCAN ? sl_cfg_find_entry(&p->secs[i], "clamav_source") : NULL;
		if (e != NULL)
			line = e->line;
	}
	fail(p, line, "clamav_source: '%s' is not a source of this file with signature databases (type = clamav)",
	     cfg->scan_source);
}

static void build(struct cfgp *p)
{
	struct sl_config *cfg = p->cfg;
	bool seen[SEC_COUNT] = { false };
	if (p->nsources > 0) {
		cfg->sources = calloc(p->nsources, sizeof *cfg->sources);
		if (cfg->sources == NULL) {
			fail(p, 0, "out of memory");
			return;
		}
	}
	for (size_t i = 0; i < p->nsecs; i++) {
		const struct section *sec = &p->secs[i];
		seen[sec->kind] = true;
		if (sec->kind == SEC_SOURCE)
			build_source(p, sec, &cfg->sources[cfg->nsources++]);
		else
			build_global(p, sec->kind, sec);
	}
	for (int k = 0; k < SEC_SOURCE; k++)
		if (!seen[k])
			build_global(p, (enum sec)k, NULL);
	if (failed(p))
		return;
	if (cfg->threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		cfg->threads = n < 1 ? 1 : n > 1024 ? 1024 : (unsigned)n;
	}
	if (cfg->gnupg_home == NULL && asprintf(&cfg->gnupg_home, "%s/keys", cfg->state_dir) < 0) {
		cfg->gnupg_home = NULL;
		fail(p, 0, "out of memory");
	}
	check_scan_source(p, cfg);
	if (!failed(p) && cfg->alert_smtp != NULL && (cfg->alert_mail_from == NULL || cfg->alert_mail_to.n == 0))
		fail(p, 0, "[alert] smtp needs mail_from and mail_to");
}

/* ---- public ------------------------------------------------------------------------------------ */

static void free_field(const struct key_def *d, void *base)
{
	char *field = (char *)base + d->off;
	switch (d->kind) {
	case K_WORD:
	case K_LOGLEVEL:
	case K_DIR:
	case K_FILE:
	case K_LOGDEST:
	case K_URL:
	case K_PROXY:
	case K_LISTEN:
		free(*(char **)field);
		*(char **)field = NULL;
		break;
	case K_LIST:
	case K_CSLIST: {
		struct sl_strlist *l = (struct sl_strlist *)field;
		for (size_t k = 0; k < l->n; k++)
			free(l->v[k]);
		free(l->v);
		l->v = NULL;
		l->n = 0;
		break;
	}
	default:
		break;
	}
}

/* The fields of the keys every section or source shares, and for a source its type's own keys
 * (core/config_<type>.c), which live only in its row. */
static void free_fields(void *base, bool source)
{
	for (size_t i = 0; i < NDEFS; i++)
		if ((key_defs[i].sec == SEC_SOURCE) == source)
			free_field(&key_defs[i], base);
	const struct sl_source *src = base;
	const struct sl_cfg_keys *own = source && src->format != NULL ? src->format->config : NULL;
	for (size_t i = 0; own != NULL && i < own->n; i++)
		free_field(&own->v[i], base);
}

void sl_config_free(struct sl_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nsources; i++) {
		free_fields(&cfg->sources[i], true);
		free(cfg->sources[i].name);
		free(cfg->sources[i].file);
	}
	free(cfg->sources);
	free_fields(cfg, false);
	free(cfg->path);
	free(cfg);
}

static void free_raw(struct cfgp *p)
{
	for (size_t i = 0; i < p->nsecs; i++) {
		struct section *sec = &p->secs[i];
		for (size_t k = 0; k < sec->n; k++) {
			for (size_t j = 0; j < sec->e[k].n; j++)
				free(sec->e[k].v[j].text);
			free(sec->e[k].v);
		}
		free(sec->e);
		free(sec->name);
	}
	free(p->secs);
	free(p->base);
}


/* `base` is taken over (heap). */
static struct sl_config *parse(const char *text, size_t len, const char *file, char *base, char **cause)
{
	struct cfgp p = { .file = file, .base = base, .text = text, .len = len };
	if (cause != NULL)
		*cause = NULL;
	p.cfg = calloc(1, sizeof *p.cfg);
	if (p.cfg == NULL || base == NULL) {
		free(p.cfg);
		free(base);
		sl_cause(cause, 0, "%s: out of memory", file);
		return NULL;
	}
	sl_cfg_scan(&p);
	build(&p);   /* also after problems in pass 1: the keys that were read are still checked */
	free_raw(&p);
	if (failed(&p)) {
		sl_config_free(p.cfg);
		char *all = sl_cfg_errors_join(&p);
		if (cause != NULL)
			*cause = all;
		else
			free(all);
		if (cause != NULL && *cause == NULL)
			sl_cause(cause, 0, "%s: out of memory", file);
		return NULL;
	}
	return p.cfg;
}

struct sl_config *sl_config_parse(const char *text, size_t len, const char *name, char **cause)
{
	const char *file = name != NULL ? name : "<string>";
	char *cwd = getcwd(NULL, 0);
	if (cwd == NULL) {
		sl_cause(cause, 0, "%s: cannot resolve relative paths: %s", file, strerror(errno));
		return NULL;
	}
	struct sl_config *cfg = parse(text != NULL ? text : "", text != NULL ? len : 0, file, cwd, cause);
	if (cfg == NULL)
		return NULL;
	cfg->path = strdup(file);
	if (cfg->path == NULL) {
		sl_config_free(cfg);
		sl_cause(cause, 0, "%s: out of memory", file);
		return NULL;
	}
	return cfg;
}

/* Whole file into *buf, refusing anything but a regular file of at most SL_MAX_CONFIG_BYTES. */
static int read_config(const char *path, char **buf, size_t *len, char **cause)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int err = errno;
		sl_cause(cause, 0, "%s: cannot open: %s", path, strerror(err));
		return -err;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		sl_cause(cause, 0, "%s: not a regular file", path);
		return -SL_E_CONFIG;
	}
	char *data = malloc(SL_MAX_CONFIG_BYTES + 1);
	if (data == NULL) {
		close(fd);
		sl_cause(cause, 0, "%s: out of memory", path);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got <= SL_MAX_CONFIG_BYTES) {
		ssize_t n = read(fd, data + got, SL_MAX_CONFIG_BYTES + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			close(fd);
			free(data);
			sl_cause(cause, 0, "%s: read error: %s", path, strerror(err));
			return -err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > SL_MAX_CONFIG_BYTES) {
		free(data);
		sl_cause(cause, 0, "%s: larger than %u bytes; this is not a sluice configuration", path,
			  SL_MAX_CONFIG_BYTES);
		return -SL_E_TOOBIG;
	}
	*buf = data;
	*len = got;
	return 0;
}

struct sl_config *sl_config_load(const char *path, char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	char *abs = NULL;
	if (path[0] == '/') {
		abs = strdup(path);
	} else {
		char *cwd = getcwd(NULL, 0);
		if (cwd == NULL || asprintf(&abs, "%s/%s", cwd, path) < 0)
			abs = NULL;
		free(cwd);
	}
	if (abs == NULL) {
		sl_cause(cause, 0, "%s: cannot make the path absolute", path);
		return NULL;
	}
	char *text = NULL;
	size_t len = 0;
	if (read_config(path, &text, &len, cause) != 0) {
		free(abs);
		return NULL;
	}
	/* Relative paths inside are relative to the file, wherever the daemon was started from. */
	char *base = strndup(abs, (size_t)(strrchr(abs, '/') - abs));
	if (base != NULL && base[0] == '\0') {
		free(base);
		base = strdup("/");
	}
	struct sl_config *cfg = parse(text, len, path, base, cause);
	free(text);
	if (cfg == NULL) {
		free(abs);
		return NULL;
	}
	cfg->path = abs;
	return cfg;
}

const struct sl_source *sl_config_source(const struct sl_config *cfg, const char *name)
{
	if (cfg == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->nsources; i++)
		if (strcmp(cfg->sources[i].name, name) == 0)
			return &cfg->sources[i];
	return NULL;
}

bool sl_config_valid_name(const char *name)
{
	if (name == NULL || name[0] == '\0')
		return false;
	if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
		return false;
	size_t n = 0;
	for (const char *c = name; *c != '\0'; c++, n++) {
		if (n >= SL_MAX_NAME)
			return false;
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && strchr("._-", *c) == NULL)
			return false;
	}
	return true;
}
