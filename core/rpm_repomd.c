/* rpm_repomd: extract revision and data records from repomd.xml (see rpm_repomd.h). */
#include "core/rpm_repomd.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <strings.h>

#include "core/error.h"
#include "core/limits.h"
#include "core/path.h"
#include "core/rpm_xml.h"

enum field { F_NONE, F_REVISION, F_SUM, F_OPEN_SUM, F_TIMESTAMP, F_SIZE, F_OPEN_SIZE };

unsigned sl_rpm_sum_bits(const char *type)
{
	if (strcasecmp(type, "sha256") == 0)
		return 256;
	if (strcasecmp(type, "sha512") == 0)
		return 512;
	return 0;
}

static int parse_int(const char *s, int64_t *out)
{
	char *end = NULL;
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -SL_E_PARSE;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	while (end != NULL && isspace((unsigned char)*end))
		end++;
	if (errno != 0 || end == NULL || *end != '\0' || v < 0)
		return -SL_E_PARSE;
	*out = v;
	return 0;
}

static void trim_lower(char *s)
{
	size_t b = 0, l = strlen(s);
	while (b < l && isspace((unsigned char)s[b]))
		b++;
	while (l > b && isspace((unsigned char)s[l - 1]))
		l--;
	memmove(s, s + b, l - b);
	s[l - b] = '\0';
	for (char *c = s; *c; c++)
		*c = (char)tolower((unsigned char)*c);
}

static int on_open(struct sl_rpm_xml *x, struct sl_rpm_repomd *m, struct sl_rpm_record **cur, enum field *f,
		   char **cause)
{
	const char *name = sl_rpm_xml_name(x);
	int line = sl_rpm_xml_line(x);
	int rc = 0;
	if (sl_rpm_xml_depth(x) == 0) {
		if (strcmp(name, "repomd") != 0)
			return sl_cause(cause, -SL_E_PARSE, "line %d: root element is <%s>, not <repomd>", line, name);
		return 0;
	}
	if (sl_rpm_xml_depth(x) == 1 && strcmp(name, "revision") == 0) {
		*f = F_REVISION;
	} else if (sl_rpm_xml_depth(x) == 1 && strcmp(name, "data") == 0) {
		if (m->n >= SL_MAX_RPM_RECORDS)
			return sl_cause(cause, -SL_E_TOOBIG, "line %d: more than %d <data> records", line,
					SL_MAX_RPM_RECORDS);
		struct sl_rpm_record *nr = realloc(m->rec, (m->n + 1) * sizeof *nr);
		if (nr == NULL)
			return -ENOMEM;
		m->rec = nr;
		*cur = &m->rec[m->n++];
		memset(*cur, 0, sizeof **cur);
		(*cur)->size = (*cur)->open_size = -1;
		rc = sl_rpm_xml_attr(x, "type", (*cur)->type, sizeof (*cur)->type);
		if (rc <= 0)
			return sl_cause(cause, rc < 0 ? rc : -SL_E_PARSE, "line %d: <data> without a usable type", line);
	} else if (*cur != NULL && sl_rpm_xml_depth(x) == 2) {
		struct sl_rpm_record *r = *cur;
		if (strcmp(name, "checksum") == 0) {
			*f = F_SUM;
			rc = sl_rpm_xml_attr(x, "type", r->sum_type, sizeof r->sum_type);
		} else if (strcmp(name, "open-checksum") == 0) {
			*f = F_OPEN_SUM;
			rc = sl_rpm_xml_attr(x, "type", r->open_sum_type, sizeof r->open_sum_type);
		} else if (strcmp(name, "location") == 0) {
			rc = sl_rpm_xml_attr(x, "href", r->href, sizeof r->href);
			r->has_base = sl_rpm_xml_has_attr_any_ns(x, "base");
		} else if (strcmp(name, "timestamp") == 0) {
			*f = F_TIMESTAMP;
		} else if (strcmp(name, "size") == 0) {
			*f = F_SIZE;
		} else if (strcmp(name, "open-size") == 0) {
			*f = F_OPEN_SIZE;
		}
		if (rc < 0)
			return sl_cause(cause, rc, "line %d: <%s> attribute too long", line, name);
	}
	return 0;
}

static int on_text(struct sl_rpm_xml *x, struct sl_rpm_repomd *m, struct sl_rpm_record *cur, enum field f,
		   char **cause)
{
	char buf[SL_RPM_HEX_MAX + 64];
	int line = sl_rpm_xml_line(x);
	int rc = sl_rpm_xml_text(x, buf, sizeof buf);
	if (rc < 0)
		return sl_cause(cause, rc, "line %d: text too long", line);
	trim_lower(buf);
	switch (f) {
	case F_REVISION:
		if (strlen(buf) >= sizeof m->revision)
			return sl_cause(cause, -SL_E_TOOBIG, "line %d: revision too long", line);
		/* Keep the upstream's case: a revision is compared, not interpreted. */
		rc = sl_rpm_xml_text(x, m->revision, sizeof m->revision);
		return rc < 0 ? sl_cause(cause, rc, "line %d: revision too long", line) : 0;
	case F_SUM:
	case F_OPEN_SUM: {
		char *dst = f == F_SUM ? cur->sum : cur->open_sum;
		if (strlen(buf) >= SL_RPM_HEX_MAX)
			return sl_cause(cause, -SL_E_PARSE, "line %d: checksum longer than SHA-512", line);
		strcpy(dst, buf);
		return 0;
	}
	case F_TIMESTAMP:
	case F_SIZE:
	case F_OPEN_SIZE: {
		int64_t v = 0;
		if (parse_int(buf, &v) < 0)
			return sl_cause(cause, -SL_E_PARSE, "line %d: '%s' is not a non-negative integer", line, buf);
		if (f == F_TIMESTAMP) {
			cur->timestamp = v;
			if (v > m->newest_timestamp)
				m->newest_timestamp = v;
		} else if (f == F_SIZE) {
			cur->size = v;
		} else {
			cur->open_size = v;
		}
		return 0;
	}
	case F_NONE:
		break;
	}
	return 0;
}

int sl_rpm_repomd_parse(const void *data, size_t len, struct sl_rpm_repomd *out, char **cause)
{
	memset(out, 0, sizeof *out);
	if (len > SL_MAX_RPM_REPOMD_BYTES)
		return sl_cause(cause, -SL_E_TOOBIG, "repomd.xml is %zu bytes (cap %u)", len, SL_MAX_RPM_REPOMD_BYTES);
	struct sl_rpm_xml *x = sl_rpm_xml_new_memory(data, len, "repomd.xml", cause);
	if (x == NULL)
		return -ENOMEM;
	struct sl_rpm_record *cur = NULL;
	enum field f = F_NONE;
	bool root = false;
	int ev = 0, rc = 0;
	while (rc == 0 && (ev = sl_rpm_xml_next(x, cause)) > 0) {
		if (ev == SL_RPM_XML_OPEN) {
			root = true;
			f = F_NONE;
			rc = on_open(x, out, &cur, &f, cause);
		} else if (ev == SL_RPM_XML_TEXT && (cur != NULL || f == F_REVISION)) {
			rc = on_text(x, out, cur, f, cause);
		} else if (ev == SL_RPM_XML_CLOSE) {
			f = F_NONE;
			if (sl_rpm_xml_depth(x) == 1 && strcmp(sl_rpm_xml_name(x), "data") == 0) {
				if (cur->href[0] == '\0')
					rc = sl_cause(cause, -SL_E_PARSE, "line %d: <data type=\"%s\"> has no location",
						      sl_rpm_xml_line(x), cur->type);
				cur = NULL;
			}
		}
	}
	if (rc == 0 && ev < 0)
		rc = ev;
	if (rc == 0 && !root)
		rc = sl_cause(cause, -SL_E_PARSE, "repomd.xml has no <repomd> element");
	sl_rpm_xml_free(x);
	return rc;
}

void sl_rpm_repomd_release(struct sl_rpm_repomd *m)
{
	free(m->rec);
	memset(m, 0, sizeof *m);
}

const struct sl_rpm_record *sl_rpm_repomd_find(const struct sl_rpm_repomd *m, const char *type)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->rec[i].type, type) == 0)
			return &m->rec[i];
	return NULL;
}

int sl_rpm_href_check(const char *href, bool has_base, char *why, size_t cap)
{
	/* CVE-2018-10897 / CVE-2020-14352: a location outside the repository writes or reads outside it. */
	if (has_base) {
		snprintf(why, cap, "location has xml:base (content from outside the repository)");
		return -SL_E_BADNAME;
	}
	if (href[0] == '/') {
		snprintf(why, cap, "location href \"%.200s\" is absolute", href);
		return -SL_E_BADNAME;
	}
	if (strstr(href, "://") != NULL || strchr(href, '?') != NULL || strchr(href, '#') != NULL ||
	    strchr(href, '%') != NULL) {
		snprintf(why, cap, "location href \"%.200s\" is a URL, not a path under the repository", href);
		return -SL_E_BADNAME;
	}
	if (sl_path_check_relative(href, strlen(href)) < 0) {
		snprintf(why, cap, "location href \"%.200s\" leaves the repository (.., empty or hostile component)",
			 href);
		return -SL_E_BADNAME;
	}
	snprintf(why, cap, "location href %.200s stays under the repository", href);
	return 0;
}
