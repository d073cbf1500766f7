/* config_value: pass 2's typing of one key's raw value (and its continuation lines) into its field of
 * struct sl_config or sl_source: paths made absolute and checked, URLs, sizes, durations, windows, enums,
 * lists split and checked item by item. Every refusal is recorded with fail() at the value's line. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cfgcheck.h"
#include "core/config_int.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/units.h"

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
	/* Every refusal below returns: the first bad item ends this key's checks, not the file's. */
	for (size_t i = 0; i < n; i++) {
		const char *t = v[i].text, *end = t + strlen(t);
		if (strchr(t, '=') != NULL) {
			fail(p, v[i].line, "%s: '%s' contains '='; an indented line continues the previous key, "
			     "so start each key at the beginning of its line", d->name, t);
			return;
		}
		while (t < end) {
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
void sl_cfg_apply(struct cfgp *p, const struct key_def *d, void *base, const struct entry *e)
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
		size_t before = nfailed(p);
		set_list(p, d, l, e->v, e->n);
		if (nfailed(p) == before && l->n == 0)
			fail(p, e->line, "empty value for '%s'", d->name);
		return;
	}
	if (e->n > 1) {
		fail(p, e->v[1].line, SL_CFG_SINGLE_VALUE, d->name);
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

void sl_cfg_apply_default(struct cfgp *p, const struct key_def *d, void *base, int line)
{
	struct piece def = { (char *)d->def, line };
	struct entry e = { .name = d->name, .line = line, .v = &def, .n = 1 };
	sl_cfg_apply(p, d, base, &e);
}
