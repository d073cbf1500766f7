/* diff_apt: what an APT snapshot changes, per package and architecture (the candidate versions of
 * core/apt_candidates.c), with the advisories recorded on arrival (verify/advise_apt.c) on the upgrades
 * they describe. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/diff.h"
#include "core/apt_candidates.h"
#include "core/catalog.h"

struct run {
	struct sl_diff_out *out;
	json_t *summary;
	json_t *advisories;   /* snapshot path -> the advisory finding's detail */
};

static int collect_advisory(void *arg, const struct sl_finding *f)
{
	if (strcmp(f->kind, "advisory") == 0 && f->detail != NULL)
		json_object_set_new(arg, f->artifact, json_string(f->detail));
	return 0;
}

/* An advisory's detail is "CVE-A CVE-B (OLD -> NEW, urgency U, from SUITE)" (verify/advise_apt.c); it
 * describes this upgrade only when OLD and NEW are the diff's versions (a diff --against another
 * snapshot compares other versions). Adds "cves" and "urgency" to the change. */
static void attach_advisory(json_t *c, const char *detail, const char *old_v, const char *new_v)
{
	const char *paren = strstr(detail, " (");
	char versions[600];
	if (paren == NULL || snprintf(versions, sizeof versions, "%s -> %s", old_v, new_v) >= (int)sizeof versions ||
	    strncmp(paren + 2, versions, strlen(versions)) != 0)
		return;
	json_t *cves = json_array();
	for (const char *p = detail; p < paren;) {
		size_t n = strcspn(p, " ");
		if (n > 4 && strncmp(p, "CVE-", 4) == 0 && p + n <= paren)
			json_array_append_new(cves, json_stringn(p, n));
		p += n + 1;
	}
	if (json_array_size(cves) == 0) {
		json_decref(cves);
		return;
	}
	json_object_set_new(c, "cves", cves);
	const char *u = strstr(paren, ", urgency ");
	if (u != NULL) {
		u += 10;
		json_object_set_new(c, "urgency", json_stringn(u, strcspn(u, ",)")));
	}
}

static int emit(void *arg, const char *kind, const struct sl_apt_candidate *old_c,
		const struct sl_apt_candidate *new_c)
{
	struct run *r = arg;
	/* Where the change comes from: the new version's suite, or for a removal the old one's. */
	const struct sl_apt_candidate *from = new_c != NULL ? new_c : old_c;
	bool security = new_c != NULL && sl_apt_candidates_security(new_c->suite);
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:b}", "change", kind, "package", from->pkg, "arch",
			      from->arch, "suite", from->suite, "old", old_c ? old_c->ver : NULL, "new",
			      new_c ? new_c->ver : NULL, "security", security);
	if (c == NULL)
		return -ENOMEM;
	if (old_c != NULL && new_c != NULL && strcmp(kind, "upgraded") == 0) {
		const char *detail = json_string_value(json_object_get(r->advisories, new_c->path));
		if (detail != NULL)
			attach_advisory(c, detail, old_c->ver, new_c->ver);
	}
	sl_diff_bump(r->summary, kind);
	if (security)
		sl_diff_bump(r->summary, "security");
	return sl_diff_emit(r->out, c);
}

static int diff(struct sl_catalog *cat, int64_t old_id, int64_t new_id, struct sl_diff_out *out, json_t *summary)
{
	struct run r = { .out = out, .summary = summary, .advisories = json_object() };
	if (r.advisories == NULL)
		return -ENOMEM;
	int rc = sl_catalog_findings(cat, new_id, collect_advisory, r.advisories);
	if (rc == 0)
		rc = sl_apt_candidates_diff(cat, old_id, new_id, emit, &r);
	json_decref(r.advisories);
	return rc;
}

static void print(const json_t *c)
{
	const char *old_v = json_string_value(json_object_get(c, "old"));
	const char *new_v = json_string_value(json_object_get(c, "new"));
	/* "stable stable-updates" reads as [stable, stable-updates] */
	char suites[160];
	const char *s = json_string_value(json_object_get(c, "suite"));
	size_t n = 0;
	for (; s != NULL && *s != '\0' && n + 3 < sizeof suites; s++) {
		if (*s == ' ')
			suites[n++] = ',';
		suites[n++] = *s;
	}
	suites[n] = '\0';
	printf("  %-10s %-32s %-6s %s%s%s  [%s]%s", json_string_value(json_object_get(c, "change")),
	       json_string_value(json_object_get(c, "package")), json_string_value(json_object_get(c, "arch")),
	       old_v ? old_v : "", old_v && new_v ? " -> " : "", new_v ? new_v : "", suites,
	       json_is_true(json_object_get(c, "security")) ? "  SECURITY" : "");
	const json_t *cves = json_object_get(c, "cves");
	const char *urgency = json_string_value(json_object_get(c, "urgency"));
	if (json_array_size(cves) > 0) {
		printf("\n             fixes");
		size_t i;
		const json_t *v;
		json_array_foreach(cves, i, v)
			printf(" %s", json_string_value(v));
		if (urgency != NULL)
			printf(" (urgency %s)", urgency);
	}
	putchar('\n');
}

const struct sl_differ sl_apt_differ = { .diff = diff, .print = print, .ordered = true };
