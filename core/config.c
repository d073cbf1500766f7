/* config: sluice.conf in two passes. Pass 1 (config_scan.c) runs libinih over the text through our own
 * line reader (to know every line number and to check what libinih would silently truncate) and records
 * sections and raw values. Pass 2, here, applies one static key table: each key's section, the source
 * types that accept it, how its value is parsed, where it is stored and its default. The first problem
 * found is the cause. */
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

const char *const sl_cfg_sec_names[SEC_COUNT] = { "sluice", "syncd", "served", "publish", "import", "export",
						 "source" };

#define CFG(f) offsetof(struct sl_config, f)
#define SRC(f) offsetof(struct sl_source, f)
#define AP SL_FK_APT
#define CL SL_FK_CLAMAV
#define OC SL_FK_OCI
#define MIN_MS (60 * 1000LL)
#define SINGLE_VALUE "'%s' takes a single value; this indented line would continue it " \
		     "(remove the indentation if it starts a new key)"

static const char *const approve_names[] = { "manual", "auto", NULL };
static const char *const publish_names[] = { "resign", "verbatim", NULL };
static const char *const from_names[] = { "upstream", "bundle", NULL };

/* The one list of keys. Add a key here, in config.h and in schemas/sluice.conf.5.md. */
static const struct key_def key_defs[] = {
	{ SEC_SLUICE, "state_dir", 0, 1, K_DIR, CFG(state_dir), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SLUICE, "log_level", 0, 0, K_LOGLEVEL, CFG(log_level), 0, 0, 0, "info", NULL, NULL },

	{ SEC_SYNCD, "max_parallel_sources", 0, 0, K_UINT, CFG(max_parallel_sources), 0, 1, SL_MAX_SOURCES,
	  "2", NULL, NULL },
	{ SEC_SYNCD, "bandwidth", 0, 0, K_RATE, CFG(bandwidth_bps), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SYNCD, "max_connections", 0, 0, K_UINT, CFG(max_connections), 0, 1, 1024, "16", NULL, NULL },
	{ SEC_SYNCD, "max_connections_per_host", 0, 0, K_UINT, CFG(max_connections_per_host), 0, 1, 256, "4",
	  NULL, NULL },
	{ SEC_SYNCD, "request_interval", 0, 0, K_DURATION, CFG(request_interval_ms), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SYNCD, "low_speed_time", 0, 0, K_DURATION, CFG(low_speed_time_ms), 0, 0, 0, "30s", NULL, NULL },
	{ SEC_SYNCD, "low_speed_limit", 0, 0, K_RATE, CFG(low_speed_bps), 0, 0, 0, "1024", NULL, NULL },
	{ SEC_SYNCD, "verify_every", 0, 0, K_DURATION, CFG(verify_every_ms), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SYNCD, "transfer_timeout", 0, 0, K_DURATION, CFG(transfer_timeout_ms), 0, 1000, 0, "1h", NULL,
	  NULL },
	{ SEC_SYNCD, "retries", 0, 0, K_UINT, CFG(retries), 0, 0, 100, "4", NULL, NULL },
	{ SEC_SYNCD, "proxy", 0, 0, K_PROXY, CFG(proxy), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SYNCD, "ca_file", 0, 0, K_FILE, CFG(ca_file), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SYNCD, "user", 0, 0, K_WORD, CFG(user), 0, 0, 0, NULL, sl_cfgcheck_user, NULL },

	{ SEC_SERVED, "listen", 0, 0, K_LISTEN, CFG(listen), 0, 0, 0, "127.0.0.1:8080", NULL, NULL },
	{ SEC_SERVED, "threads", 0, 0, K_UINT, CFG(threads), 0, 1, 1024, NULL, NULL, NULL },
	{ SEC_SERVED, "max_connections", 0, 0, K_UINT, CFG(served_max_connections), 0, 1, 1000000, "1024",
	  NULL, NULL },
	{ SEC_SERVED, "max_connections_per_ip", 0, 0, K_UINT, CFG(max_connections_per_ip), 0, 1, 1000000, "64",
	  NULL, NULL },
	{ SEC_SERVED, "connection_timeout", 0, 0, K_DURATION, CFG(connection_timeout_ms), 0, 1000, 0, "30s",
	  NULL, NULL },
	{ SEC_SERVED, "tls_cert", 0, 0, K_FILE, CFG(tls_cert), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SERVED, "tls_key", 0, 0, K_FILE, CFG(tls_key), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SERVED, "tls_client_ca", 0, 0, K_FILE, CFG(tls_client_ca), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SERVED, "allow", 0, 0, K_LIST, CFG(allow), 0, 0, 0, NULL, sl_cfgcheck_cidr, NULL },
	{ SEC_SERVED, "access_log", 0, 0, K_LOGDEST, CFG(access_log), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SERVED, "user", 0, 0, K_WORD, CFG(served_user), 0, 0, 0, NULL, sl_cfgcheck_user, NULL },
	{ SEC_SERVED, "map_budget", 0, 0, K_SIZE, CFG(map_budget), 0, 0, SL_MAX_MAP_BUDGET, "24M", NULL, NULL },

	{ SEC_PUBLISH, "gnupg_home", 0, 0, K_DIR, CFG(gnupg_home), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_PUBLISH, "grace", 0, 0, K_DURATION, CFG(grace_ms), 0, 0, 0, "1h", NULL, NULL },

	/* Transfer bundles: what the inside trusts, and how the DMZ checks the inside's acknowledgements. */
	{ SEC_IMPORT, "keyring", 0, 0, K_FILE, CFG(import_keyring), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_IMPORT, "signed_by", 0, 0, K_CSLIST, CFG(import_signers), 0, 0, 0, NULL, sl_cfgcheck_fingerprint, NULL },
	{ SEC_IMPORT, "max_age", 0, 0, K_DURATION, CFG(import_max_age_ms), 0, 0, 0, "0", NULL, NULL },
	{ SEC_EXPORT, "valid_for", 0, 0, K_DURATION, CFG(export_valid_for_ms), 0, 60000, 0, "30d", NULL, NULL },
	{ SEC_EXPORT, "ack_keyring", 0, 0, K_FILE, CFG(export_ack_keyring), 0, 0, 0, NULL, NULL, NULL },

	{ SEC_SOURCE, "type", 0, AP | CL | OC, K_TYPE, SRC(format), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "from", 0, 0, K_BOOL, SRC(from_bundle), 0, 0, 0, NULL, NULL, from_names },
	{ SEC_SOURCE, "url", 0, AP | CL, K_URL, SRC(url), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "every", 0, 0, K_DURATION, SRC(every_ms), 0, MIN_MS, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "jitter", 0, 0, K_DURATION, SRC(jitter_ms), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SOURCE, "window", 0, 0, K_WINDOW, SRC(window_start_min), SRC(window_end_min), 0, 0, NULL, NULL,
	  NULL },
	{ SEC_SOURCE, "timeout", 0, 0, K_DURATION, SRC(timeout_ms), 0, 1000, 0, "1h", NULL, NULL },
	{ SEC_SOURCE, "approve", 0, 0, K_BOOL, SRC(auto_approve), 0, 0, 0, NULL, NULL, approve_names },
	{ SEC_SOURCE, "approve_within", 0, 0, K_DURATION, SRC(approve_within_ms), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SOURCE, "keep", 0, 0, K_UINT, SRC(keep), 0, 1, 100000, NULL, NULL, NULL },
	{ SEC_SOURCE, "bandwidth", 0, 0, K_RATE, SRC(bandwidth_bps), 0, 0, 0, "0", NULL, NULL },
	{ SEC_SOURCE, "request_interval", 0, 0, K_DURATION, SRC(request_interval_ms), 0, 0, 0, NULL, NULL,
	  NULL },
	{ SEC_SOURCE, "max_connections", 0, 0, K_UINT, SRC(max_connections), 0, 0, 256, "0", NULL, NULL },
	{ SEC_SOURCE, "proxy", 0, 0, K_PROXY, SRC(proxy), 0, 0, 0, NULL, NULL, NULL },

	{ SEC_SOURCE, "suites", AP, AP, K_LIST, SRC(suites), 0, 0, 0, NULL, sl_cfgcheck_suite, NULL },
	{ SEC_SOURCE, "components", AP, 0, K_LIST, SRC(components), 0, 0, 0, "main", sl_cfgcheck_suite, NULL },
	{ SEC_SOURCE, "architectures", AP, 0, K_LIST, SRC(architectures), 0, 0, 0, "amd64", sl_cfgcheck_arch, NULL },
	{ SEC_SOURCE, "packages", AP, 0, K_LIST, SRC(packages), 0, 0, 0, NULL, sl_cfgcheck_package, NULL },
	{ SEC_SOURCE, "keyring", AP, AP, K_FILE, SRC(keyring), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "signed_by", AP, 0, K_CSLIST, SRC(fingerprints), 0, 0, 0, NULL, sl_cfgcheck_fingerprint,
	  NULL },
	{ SEC_SOURCE, "publish", AP, 0, K_ENUM, SRC(publish), 0, 0, 0, "resign", NULL, publish_names },
	{ SEC_SOURCE, "max_future", AP, 0, K_DURATION, SRC(max_future_ms), 0, 0, 0, "1d", NULL, NULL },

	{ SEC_SOURCE, "databases", CL, 0, K_LIST, SRC(databases), 0, 0, 0, "main daily bytecode",
	  sl_cfgcheck_database, NULL },
	{ SEC_SOURCE, "cdiffs", CL, 0, K_UINT, SRC(cdiffs), 0, 0, 1000, "30", NULL, NULL },
	{ SEC_SOURCE, "dns", CL, 0, K_WORD, SRC(dns), 0, 0, 0, NULL, sl_cfgcheck_host, NULL },
	{ SEC_SOURCE, "cvd_key", CL, 0, K_FILE, SRC(cvd_key), 0, 0, 0, NULL, NULL, NULL },

	{ SEC_SOURCE, "registry", OC, OC, K_URL, SRC(registry), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "images", OC, OC, K_LIST, SRC(images), 0, 0, 0, NULL, sl_cfgcheck_image, NULL },
	{ SEC_SOURCE, "platforms", OC, 0, K_LIST, SRC(platforms), 0, 0, 0, NULL, sl_cfgcheck_platform, NULL },
	{ SEC_SOURCE, "username", OC, 0, K_WORD, SRC(username), 0, 0, 0, NULL, sl_cfgcheck_username, NULL },
	{ SEC_SOURCE, "password_file", OC, 0, K_FILE, SRC(password_file), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "signed_by", OC, 0, K_FILE, SRC(signed_by), 0, 0, 0, NULL, NULL, NULL },
	{ SEC_SOURCE, "cosign_key", OC, 0, K_FILE, SRC(cosign_key), 0, 0, 0, NULL, NULL, NULL },
};

#define NDEFS (sizeof key_defs / sizeof key_defs[0])

/* ---- messages ---------------------------------------------------------------------------------- */

void sl_cfg_vfail(struct cfgp *p, int line, const char *fmt, va_list ap)
{
	if (p->err != NULL)
		return;
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	int r = line > 0 ? asprintf(&p->err, "%s:%d: %s", p->file, line, msg)
			 : asprintf(&p->err, "%s: %s", p->file, msg);
	if (r < 0)
		p->err = NULL;
	p->err_line = line > 0 ? line : 1;
	if (p->err == NULL)
		p->err_line = -1;   /* still an error, without text */
}

/* Format names whose key bits intersect `types`, as "apt, oci". */
static void type_names(unsigned types, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; sl_formats[i] != NULL && used < cap; i++) {
		if (types != 0 && (sl_formats[i]->keys & types) == 0)
			continue;
		int w = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", sl_formats[i]->name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* ---- key table lookups ------------------------------------------------------------------------ */

const struct key_def *sl_cfg_find_key(enum sec sec, const char *name)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (key_defs[i].sec == sec && strcmp(key_defs[i].name, name) == 0)
			return &key_defs[i];
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

/* ---- pass 2: typed values ---------------------------------------------------------------------- */

static char *resolve_path(struct cfgp *p, const char *v)
{
	char *out = NULL;
	int r = v[0] == '/' ? asprintf(&out, "%s", v)
			    : asprintf(&out, "%s%s%s", p->base, strcmp(p->base, "/") == 0 ? "" : "/", v);
	if (r < 0)
		return NULL;
	return out;
}

static const char *check_readable(const char *path, char *why, size_t cap)
{
	struct stat st;
	/* stat first: open() of a FIFO for reading would block. */
	if (stat(path, &st) != 0) {
		snprintf(why, cap, "%s", strerror(errno));
		return why;
	}
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, cap, "%s", strerror(errno));
		return why;
	}
	close(fd);
	return NULL;
}

static void set_list(struct cfgp *p, const struct key_def *d, struct sl_strlist *l, const struct piece *v,
		     size_t n)
{
	const char *seps = d->kind == K_CSLIST ? "," : ", \t";
	for (size_t i = 0; i < n && !failed(p); i++) {
		const char *t = v[i].text, *end = t + strlen(t);
		if (strchr(t, '=') != NULL) {
			fail(p, v[i].line, "%s: '%s' contains '='; an indented line continues the previous key, "
			     "so start each key at the beginning of its line", d->name, t);
			return;
		}
		while (t < end && !failed(p)) {
			size_t skip = strspn(t, seps);
			t += skip;
			size_t len = strcspn(t, seps);
			if (len == 0)
				break;
			char *item = strndup(t, len);
			t += len;
			if (item == NULL) {
				fail(p, 0, "out of memory");
				return;
			}
			/* Trim blanks that surround a comma-separated item. */
			char *s = (char *)sl_cfg_skip_space(item);
			size_t slen = strlen(s);
			while (slen > 0 && isspace((unsigned char)s[slen - 1]))
				s[--slen] = '\0';
			memmove(item, s, slen + 1);
			if (item[0] == '\0') {
				free(item);
				continue;
			}
			const char *why = d->check != NULL ? d->check(item) : NULL;
			if (why != NULL) {
				fail(p, v[i].line, "%s: '%s' %s", d->name, item, why);
				free(item);
				return;
			}
			for (size_t k = 0; k < l->n; k++) {
				if (strcmp(l->v[k], item) == 0) {
					fail(p, v[i].line, "%s: '%s' is listed twice", d->name, item);
					free(item);
					return;
				}
			}
			if (l->n >= SL_MAX_LIST_ITEMS) {
				fail(p, v[i].line, "%s: more than %d items", d->name, SL_MAX_LIST_ITEMS);
				free(item);
				return;
			}
			char **nv = reallocarray(l->v, l->n + 1, sizeof *nv);
			if (nv == NULL) {
				fail(p, 0, "out of memory");
				free(item);
				return;
			}
			l->v = nv;
			l->v[l->n++] = item;
		}
	}
}

static int find_name(const char *const *names, const char *v)
{
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return -1;
}

static void set_scalar(struct cfgp *p, const struct key_def *d, void *base, char *v, int line)
{
	char *field = (char *)base + d->off;
	char **str = (char **)field;
	char why[256];
	const char *bad = NULL;
	uint64_t u;
	int64_t ms;
	enum sl_log_level level;

	switch (d->kind) {
	case K_WORD:
		bad = d->check != NULL ? d->check(v) : NULL;
		if (bad == NULL && strpbrk(v, " \t") != NULL)
			bad = "must not contain blanks";
		if (bad == NULL)
			*str = strdup(v);
		break;
	case K_LOGLEVEL:
		if (sl_log_parse_level(v, &level) != 0)
			bad = "is not one of error, warn, info, debug";
		else
			*str = strdup(v);
		break;
	case K_LOGDEST:
		*str = strcmp(v, "syslog") == 0 ? strdup(v) : resolve_path(p, v);
		break;
	case K_DIR:
		*str = resolve_path(p, v);
		break;
	case K_FILE:
		*str = resolve_path(p, v);
		bad = *str != NULL ? check_readable(*str, why, sizeof why) : NULL;
		if (bad != NULL) {
			fail(p, line, "%s: cannot read '%s': %s", d->name, *str, bad);
			return;
		}
		break;
	case K_URL:
	case K_PROXY:
		bad = sl_cfgcheck_url(v, d->kind == K_PROXY);
		if (bad == NULL) {
			size_t n = strlen(v);
			/* Callers append "/dists/..." or "/v2/..."; one canonical form avoids "//". */
			while (d->kind == K_URL && n > 0 && v[n - 1] == '/' && strstr(v, "://") + 3 < v + n - 1)
				v[--n] = '\0';
			*str = strdup(v);
		}
		break;
	case K_LISTEN:
		bad = sl_cfgcheck_hostport(v, strlen(v), true);
		if (bad == NULL)
			*str = strdup(v);
		break;
	case K_UINT:
		if (!sl_cfgcheck_uint(v, &u) || u < (uint64_t)d->min || u > (uint64_t)d->max) {
			fail(p, line, "%s: '%s' is not a whole number from %lld to %lld", d->name, v,
			     (long long)d->min, (long long)d->max);
			return;
		}
		*(unsigned *)field = (unsigned)u;
		return;
	case K_RATE:
	case K_SIZE: {
		size_t n = strlen(v);
		if (d->kind == K_RATE && n > 2 && strcmp(v + n - 2, "/s") == 0)
			v[n - 2] = '\0';
		if (sl_units_parse_size(v, &u) != 0)
			bad = d->kind == K_RATE ? "is not a size (examples: 0, 512K, 10M, 1GiB, 10M/s)"
						: "is not a size (examples: 0, 512K, 10M, 1GiB)";
		else if (d->kind == K_SIZE && u > (uint64_t)d->max) {
			fail(p, line, "%s: '%s' is more than %lld bytes", d->name, v, (long long)d->max);
			return;
		} else
			*(uint64_t *)field = u;
		break;
	}
	case K_DURATION:
		if (sl_units_parse_duration(v, &ms) != 0) {
			bad = "is not a duration (examples: 90s, 10m, 6h, 1d, 1h30m, 500ms)";
		} else if (ms < d->min) {
			char min[32];
			sl_units_format_duration(d->min, min, sizeof min);
			fail(p, line, "%s: '%s' is too short (at least %s)", d->name, v, min);
			return;
		} else {
			*(int64_t *)field = ms;
		}
		break;
	case K_WINDOW:
		if (sl_units_parse_window(v, (int *)field, (int *)((char *)base + d->off2)) != 0)
			bad = "is not a time window HH:MM-HH:MM (e.g. 22:00-06:00; start and end differ)";
		break;
	case K_BOOL:
	case K_ENUM: {
		int i = find_name(d->names, v);
		if (i < 0) {
			fail(p, line, "%s: '%s' is not one of %s%s%s", d->name, v, d->names[0],
			     d->names[1] ? ", " : "", d->names[1] ? d->names[1] : "");
			return;
		}
		if (d->kind == K_BOOL)
			*(bool *)field = i == 1;
		else
			*(int *)field = i;
		return;
	}
	case K_TYPE:
	case K_LIST:
	case K_CSLIST:
		return;
	}
	if (bad != NULL) {
		fail(p, line, "%s: '%s' %s", d->name, v, bad);
		return;
	}
	bool is_str = d->kind != K_RATE && d->kind != K_SIZE && d->kind != K_DURATION && d->kind != K_WINDOW;
	if (is_str && *str == NULL)
		fail(p, 0, "out of memory");
}

/* One configured (or default) value into its field. */
static void apply(struct cfgp *p, const struct key_def *d, void *base, const struct entry *e)
{
	if (e->n == 0) {
		fail(p, e->line, "empty value for '%s'", d->name);
		return;
	}
	for (size_t i = 0; i < e->n; i++) {
		const char *t = e->v[i].text;
		for (const char *c = t; *c != '\0'; c++) {
			if ((unsigned char)*c < 0x20 && *c != '\t') {
				fail(p, e->v[i].line, "%s: control character in value", d->name);
				return;
			}
			if (*c == '#' && (c == t || isspace((unsigned char)c[-1]))) {
				fail(p, e->v[i].line, "%s: '#' starts a comment only at the beginning of a line; "
				     "write ' ; comment' after a value", d->name);
				return;
			}
		}
	}
	if (d->kind == K_LIST || d->kind == K_CSLIST) {
		struct sl_strlist *l = (struct sl_strlist *)((char *)base + d->off);
		set_list(p, d, l, e->v, e->n);
		if (!failed(p) && l->n == 0)
			fail(p, e->line, "empty value for '%s'", d->name);
		return;
	}
	if (e->n > 1) {
		fail(p, e->v[1].line, SINGLE_VALUE, d->name);
		return;
	}
	char *copy = strdup(e->v[0].text);
	if (copy == NULL) {
		fail(p, 0, "out of memory");
		return;
	}
	set_scalar(p, d, base, copy, e->v[0].line);
	free(copy);
}

static void apply_default(struct cfgp *p, const struct key_def *d, void *base, int line)
{
	struct piece def = { (char *)d->def, line };
	struct entry e = { .name = d->name, .line = line, .v = &def, .n = 1 };
	apply(p, d, base, &e);
}

static const struct entry *find_entry(const struct section *sec, const char *name)
{
	if (sec == NULL)
		return NULL;
	for (size_t i = 0; i < sec->n; i++)
		if (strcmp(sec->e[i].name, name) == 0)
			return &sec->e[i];
	return NULL;
}

/* The definition of `name` for a source whose type accepts `keys`; NULL if that type does not. */
static const struct key_def *source_key(const char *name, unsigned keys)
{
	for (size_t i = 0; i < NDEFS; i++) {
		const struct key_def *d = &key_defs[i];
		if (d->sec == SEC_SOURCE && strcmp(d->name, name) == 0 && (d->types == 0 || (d->types & keys)))
			return d;
	}
	return NULL;
}

static void build_global(struct cfgp *p, enum sec kind, const struct section *sec)
{
	bool set[NDEFS] = { false };
	struct sl_config *cfg = p->cfg;
	int line = sec != NULL ? sec->line : 1;
	for (size_t i = 0; sec != NULL && i < sec->n && !failed(p); i++) {
		const struct key_def *d = sl_cfg_find_key(kind, sec->e[i].name);
		apply(p, d, cfg, &sec->e[i]);
		set[d - key_defs] = true;
	}
	for (size_t i = 0; i < NDEFS && !failed(p); i++) {
		const struct key_def *d = &key_defs[i];
		if (d->sec != kind || set[i])
			continue;
		if (d->required && sec == NULL)
			fail(p, 1, "no [%s] section; '%s' is required", sl_cfg_sec_names[kind], d->name);
		else if (d->required)
			fail(p, line, "[%s] is missing required key '%s'", sl_cfg_sec_names[kind], d->name);
		else if (d->def != NULL)
			apply_default(p, d, cfg, line);
	}
	if (failed(p) || kind != SEC_SERVED)
		return;
	const struct entry *cert = find_entry(sec, "tls_cert"), *key = find_entry(sec, "tls_key");
	const struct entry *ca = find_entry(sec, "tls_client_ca");
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
	type_names(0, names, sizeof names);
	const struct entry *te = find_entry(sec, "type");
	if (te == NULL) {
		fail(p, sec->line, "source '%s' has no 'type' (one of %s)", sec->name, names);
		return;
	}
	if (te->n == 0) {
		fail(p, te->line, "empty value for 'type'");
		return;
	}
	if (te->n > 1) {
		fail(p, te->v[1].line, SINGLE_VALUE, "type");
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

	bool set[NDEFS] = { false };
	for (size_t i = 0; i < sec->n && !failed(p); i++) {
		const struct entry *e = &sec->e[i];
		if (e == te)
			continue;
		const struct key_def *d = source_key(e->name, fmt->keys);
		if (d == NULL) {
			unsigned types = 0;
			for (size_t k = 0; k < NDEFS; k++)
				if (key_defs[k].sec == SEC_SOURCE && strcmp(key_defs[k].name, e->name) == 0)
					types |= key_defs[k].types;
			type_names(types, names, sizeof names);
			fail(p, e->line, "'%s' is not valid for type %s sources (only for %s)", e->name, fmt->name,
			     names);
			return;
		}
		apply(p, d, src, e);
		set[d - key_defs] = true;
	}
	for (size_t i = 0; i < NDEFS && !failed(p); i++) {
		const struct key_def *d = &key_defs[i];
		if (d->sec != SEC_SOURCE || d->kind == K_TYPE || set[i] || (d->types && !(d->types & fmt->keys)))
			continue;
		if ((d->required & fmt->keys) && src->from_bundle && d->kind == K_URL)
			continue;   /* url / registry: a bundle-fed source is never fetched */
		if (d->required & fmt->keys)
			fail(p, sec->line, "source '%s' (type %s) is missing required key '%s'", sec->name,
			     fmt->name, d->name);
		else if (d->def != NULL)
			apply_default(p, d, src, sec->line);
	}
	const struct entry *from = find_entry(sec, "from"), *url = find_entry(sec, "url");
	if (url == NULL)
		url = find_entry(sec, "registry");
	if (!failed(p) && src->from_bundle && url != NULL)
		fail(p, url->line, "'%s' with from = bundle (line %d): this source is only fed by transfer bundles "
		     "and never fetched; remove '%s'", url->name, from->line, url->name);
	const struct entry *pub = find_entry(sec, "publish"), *pkgs = find_entry(sec, "packages");
	if (!failed(p) && src->publish == SL_PUBLISH_VERBATIM && src->packages.n > 0)
		fail(p, pub != NULL ? pub->line : sec->line, "publish = verbatim serves the upstream's complete "
		     "signed indices; it cannot be combined with packages (line %d)",
		     pkgs != NULL ? pkgs->line : sec->line);
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
	for (size_t i = 0; i < p->nsecs && !failed(p); i++) {
		const struct section *sec = &p->secs[i];
		seen[sec->kind] = true;
		if (sec->kind == SEC_SOURCE)
			build_source(p, sec, &cfg->sources[cfg->nsources++]);
		else
			build_global(p, sec->kind, sec);
	}
	for (int k = 0; k < SEC_SOURCE && !failed(p); k++)
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
}

/* ---- public ------------------------------------------------------------------------------------ */

static void free_fields(void *base, bool source)
{
	for (size_t i = 0; i < NDEFS; i++) {
		const struct key_def *d = &key_defs[i];
		if ((d->sec == SEC_SOURCE) != source)
			continue;
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
	if (!failed(&p))
		build(&p);
	free_raw(&p);
	if (failed(&p)) {
		sl_config_free(p.cfg);
		if (cause != NULL)
			*cause = p.err != NULL ? p.err : NULL;
		else
			free(p.err);
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
