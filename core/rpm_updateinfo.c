/* rpm_updateinfo: one advisory at a time out of updateinfo.xml (see rpm_updateinfo.h). */
#include "core/rpm_updateinfo.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/limits.h"
#include "core/rpm_xml.h"

enum field { F_NONE, F_ID, F_SEVERITY };

struct ustate {
	struct sl_rpm_advisory a;
	size_t cap_cves, cap_pkgs;
	bool in_update;
	enum field f;
};

static void clear(struct ustate *s)
{
	for (size_t i = 0; i < s->a.ncves; i++)
		free(s->a.cves[i]);
	for (size_t i = 0; i < s->a.npkgs; i++)
		free(s->a.pkgs[i]);
	char **c = s->a.cves, **p = s->a.pkgs;
	memset(&s->a, 0, sizeof s->a);
	s->a.cves = c;
	s->a.pkgs = p;
}

static int push(char ***v, size_t *n, size_t *cap, size_t max, const char *str)
{
	if (*n >= max)
		return -SL_E_TOOBIG;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		char **nv = realloc(*v, nc * sizeof *nv);
		if (nv == NULL)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[*n] = strdup(str);
	if ((*v)[*n] == NULL)
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int attr(struct sl_rpm_xml *x, const char *name, char *buf, size_t cap, char **cause)
{
	int rc = sl_rpm_xml_attr(x, name, buf, cap);
	if (rc < 0)
		return sl_cause(cause, rc, "line %d: attribute %s too long", sl_rpm_xml_line(x), name);
	return 0;
}

static int on_open(struct sl_rpm_xml *x, struct ustate *s, char **cause)
{
	const char *name = sl_rpm_xml_name(x);
	int depth = sl_rpm_xml_depth(x), line = sl_rpm_xml_line(x);
	if (depth == 0)
		return strcmp(name, "updates") == 0 ? 0
			       : sl_cause(cause, -SL_E_PARSE, "line %d: root element is <%s>, not <updates>", line, name);
	if (depth == 1 && strcmp(name, "update") == 0) {
		clear(s);
		s->in_update = true;
		s->a.line = line;
		return attr(x, "type", s->a.type, sizeof s->a.type, cause);
	}
	if (!s->in_update)
		return 0;
	if (depth == 2 && strcmp(name, "id") == 0) {
		s->f = F_ID;
	} else if (depth == 2 && strcmp(name, "severity") == 0) {
		s->f = F_SEVERITY;
	} else if (strcmp(name, "reference") == 0) {
		char type[32], id[256];
		int rc = attr(x, "type", type, sizeof type, cause);
		if (rc == 0)
			rc = attr(x, "id", id, sizeof id, cause);
		if (rc == 0 && strcmp(type, "cve") == 0 && id[0] != '\0') {
			rc = push(&s->a.cves, &s->a.ncves, &s->cap_cves, SL_MAX_RPM_ADVISORY_CVES, id);
			if (rc < 0)
				return sl_cause(cause, rc, "line %d: too many CVE references", line);
		}
		return rc;
	} else if (strcmp(name, "package") == 0) {
		char n[256], e[32], v[256], r[256], a[64], key[1024];
		int rc = attr(x, "name", n, sizeof n, cause);
		if (rc == 0)
			rc = attr(x, "epoch", e, sizeof e, cause);
		if (rc == 0)
			rc = attr(x, "version", v, sizeof v, cause);
		if (rc == 0)
			rc = attr(x, "release", r, sizeof r, cause);
		if (rc == 0)
			rc = attr(x, "arch", a, sizeof a, cause);
		if (rc < 0)
			return rc;
		snprintf(key, sizeof key, "%s-%s:%s-%s.%s", n, e[0] ? e : "0", v, r, a);
		rc = push(&s->a.pkgs, &s->a.npkgs, &s->cap_pkgs, SL_MAX_RPM_ADVISORY_PKGS, key);
		if (rc < 0)
			return sl_cause(cause, rc, "line %d: too many packages in one advisory", line);
	}
	return 0;
}

static void trim(char *s)
{
	size_t b = 0, l = strlen(s);
	while (b < l && isspace((unsigned char)s[b]))
		b++;
	while (l > b && isspace((unsigned char)s[l - 1]))
		l--;
	memmove(s, s + b, l - b);
	s[l - b] = '\0';
}

int sl_rpm_updateinfo_parse(ssize_t (*read)(void *arg, void *buf, size_t cap), void *read_arg,
			    int (*cb)(void *arg, const struct sl_rpm_advisory *a), void *cb_arg, char **cause)
{
	struct ustate *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -ENOMEM;
	struct sl_rpm_xml *x = sl_rpm_xml_new_io(read, read_arg, "updateinfo.xml", cause);
	if (x == NULL) {
		free(s);
		return -ENOMEM;
	}
	int ev = 0, rc = 0;
	while (rc == 0 && (ev = sl_rpm_xml_next(x, cause)) > 0) {
		if (ev == SL_RPM_XML_OPEN) {
			s->f = F_NONE;
			rc = on_open(x, s, cause);
		} else if (ev == SL_RPM_XML_TEXT && s->in_update && s->f != F_NONE) {
			char *dst = s->f == F_ID ? s->a.id : s->a.severity;
			size_t cap = s->f == F_ID ? sizeof s->a.id : sizeof s->a.severity;
			rc = sl_rpm_xml_text(x, dst, cap);
			if (rc < 0)
				rc = sl_cause(cause, rc, "line %d: text too long", sl_rpm_xml_line(x));
			else
				trim(dst);
			rc = rc > 0 ? 0 : rc;
		} else if (ev == SL_RPM_XML_CLOSE) {
			s->f = F_NONE;
			if (s->in_update && sl_rpm_xml_depth(x) == 1) {
				s->in_update = false;
				if (s->a.id[0] == '\0')
					rc = sl_cause(cause, -SL_E_PARSE, "line %d: update without an id", s->a.line);
				else
					rc = cb(cb_arg, &s->a);
			}
		}
	}
	if (rc == 0 && ev < 0)
		rc = ev;
	sl_rpm_xml_free(x);
	clear(s);
	free(s->a.cves);
	free(s->a.pkgs);
	free(s);
	return rc;
}
