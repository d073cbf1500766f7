/* deb_changelog: CVE IDs and urgency of the changelog entries an upgrade brings (see deb_changelog.h). */
#include "core/deb_changelog.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/debver.h"

static int urgency_rank(const char *u)
{
	static const char *const order[] = { "low", "medium", "high", "emergency", "critical" };
	for (int i = 0; i < 5; i++)
		if (strcasecmp(u, order[i]) == 0)
			return i + 1;
	return 0;
}

/* "pkg (version) dists; urgency=high" -> version and urgency; false when the line is not a header. */
static bool parse_header(const char *line, size_t n, char *ver, size_t vcap, char *urg, size_t ucap)
{
	if (n == 0 || isspace((unsigned char)line[0]))
		return false;
	const char *open = memchr(line, '(', n), *close = open ? memchr(open, ')', n - (size_t)(open - line)) : NULL;
	const char *semi = close ? memchr(close, ';', n - (size_t)(close - line)) : NULL;
	if (open == NULL || close == NULL || semi == NULL || (size_t)(close - open - 1) >= vcap || close == open + 1)
		return false;
	memcpy(ver, open + 1, (size_t)(close - open - 1));
	ver[close - open - 1] = '\0';
	urg[0] = '\0';
	const char *u = NULL;
	for (const char *p = semi; p + 8 <= line + n; p++)
		if (strncasecmp(p, "urgency=", 8) == 0) {
			u = p + 8;
			break;
		}
	if (u != NULL) {
		size_t k = 0;
		while (u + k < line + n && isalpha((unsigned char)u[k]) && k + 1 < ucap)
			k++;
		memcpy(urg, u, k);
		urg[k] = '\0';
	}
	return true;
}

static void add_cve(struct sl_changelog_advice *out, const char *p, size_t n)
{
	for (size_t i = 0; i < out->ncves; i++)
		if (strlen(out->cves[i]) == n && memcmp(out->cves[i], p, n) == 0)
			return;
	if (out->ncves == SL_MAX_ADVISORY_CVES) {
		out->truncated = true;
		return;
	}
	memcpy(out->cves[out->ncves], p, n);
	out->cves[out->ncves++][n] = '\0';
}

/* CVE-YYYY-NNNN... in one line. */
static void scan_cves(struct sl_changelog_advice *out, const char *line, size_t n)
{
	for (size_t i = 0; i + 13 <= n; i++) {
		if (strncasecmp(line + i, "CVE-", 4) != 0 || (i > 0 && isalnum((unsigned char)line[i - 1])))
			continue;
		size_t j = i + 4, y = 0, d = 0;
		while (j < n && isdigit((unsigned char)line[j]) && y < 4)
			j++, y++;
		if (y != 4 || j >= n || line[j] != '-')
			continue;
		j++;
		while (j < n && isdigit((unsigned char)line[j]) && d < 7)
			j++, d++;
		if (d < 4 || (j < n && isdigit((unsigned char)line[j])))
			continue;
		char id[24];
		memcpy(id, line + i, j - i);
		id[0] = 'C', id[1] = 'V', id[2] = 'E';   /* canonical case: "cve-2024-1" is the same ID */
		add_cve(out, id, j - i);
		i = j - 1;
	}
}

int sl_deb_changelog_advice(const char *text, size_t len, const char *old_ver, const char *new_ver,
			    struct sl_changelog_advice *out)
{
	if (text == NULL || new_ver == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof *out);
	bool inside = false;
	int best = 0;
	size_t lines = 0;
	for (const char *p = text, *end = text + len; p < end && lines < SL_MAX_CHANGELOG_LINES; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char ver[SL_MAX_DEBVER], urg[16];
		if (parse_header(p, n, ver, sizeof ver, urg, sizeof urg)) {
			/* Newest first: once at or below the installed version, the rest is history. */
			if (old_ver != NULL ? sl_debver_cmp_str(ver, old_ver) <= 0 : out->entries > 0)
				break;
			inside = sl_debver_cmp_str(ver, new_ver) <= 0;
			if (inside) {
				out->entries++;
				int r = urgency_rank(urg);
				if (r > best) {
					best = r;
					snprintf(out->urgency, sizeof out->urgency, "%s", urg);
					for (char *c = out->urgency; *c; c++)
						*c = (char)tolower((unsigned char)*c);
				}
			}
		} else if (inside) {
			scan_cves(out, p, n);
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}
