/* apt_packages: validation of Packages stanzas and a streaming walk over a compressed index. */
#include "core/apt_packages.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/debver.h"
#include "core/decomp.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/path.h"

#define PKG_SHOW_MAX 80   /* bytes of an offending value quoted in a cause */


static void show(struct sl_blob b, char out[PKG_SHOW_MAX + 4])
{
	size_t n = b.len < PKG_SHOW_MAX ? b.len : PKG_SHOW_MAX;
	for (size_t i = 0; i < n; i++)
		out[i] = (b.p[i] >= 0x20 && b.p[i] < 0x7f) ? (char)b.p[i] : '?';
	strcpy(out + n, b.len > n ? "..." : "");
}

static bool lower_alnum(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool name_ok(struct sl_blob n)
{
	if (n.len < 2 || n.len > SL_MAX_REL_PATH || !lower_alnum(n.p[0]))
		return false;
	for (size_t i = 1; i < n.len; i++)
		if (!lower_alnum(n.p[i]) && n.p[i] != '+' && n.p[i] != '.' && n.p[i] != '-')
			return false;
	return true;
}

static bool arch_ok(struct sl_blob a)
{
	if (a.len == 0 || a.len > SL_MAX_NAME)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (!lower_alnum(a.p[i]) && a.p[i] != '-')
			return false;
	return true;
}

static bool sha256_ok(struct sl_blob h)
{
	if (h.len != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((h.p[i] >= '0' && h.p[i] <= '9') || (h.p[i] >= 'a' && h.p[i] <= 'f')))
			return false;
	return true;
}

static bool contains_dotdot(struct sl_blob f)
{
	for (size_t i = 0; i + 1 < f.len; i++)
		if (f.p[i] == '.' && f.p[i + 1] == '.' && (i == 0 || f.p[i - 1] == '/') &&
		    (i + 2 == f.len || f.p[i + 2] == '/'))
			return true;
	return false;
}

/* Why a Filename is refused, or NULL when it is fine. */
static const char *filename_problem(struct sl_blob f)
{
	if (f.len > 0 && f.p[0] == '/')
		return "is absolute";
	if (contains_dotdot(f))
		return "contains '..'";
	if (sl_path_check_relative((const char *)f.p, f.len) != 0)
		return "is not a safe relative path";
	if (f.len <= 5 || memcmp(f.p, "pool/", 5) != 0)
		return "is outside pool/";
	return NULL;
}

int sl_apt_pkg_from_para(const struct sl_deb822_para *p, struct sl_apt_pkg *out, char **cause)
{
	static const struct {
		const char *name;
		size_t off;
		bool required;
	} fields[] = {
		{ "Package", offsetof(struct sl_apt_pkg, package), true },
		{ "Version", offsetof(struct sl_apt_pkg, version), true },
		{ "Architecture", offsetof(struct sl_apt_pkg, architecture), true },
		{ "Filename", offsetof(struct sl_apt_pkg, filename), true },
		{ "SHA256", offsetof(struct sl_apt_pkg, sha256), true },
		{ "Depends", offsetof(struct sl_apt_pkg, depends), false },
		{ "Pre-Depends", offsetof(struct sl_apt_pkg, pre_depends), false },
		{ "Provides", offsetof(struct sl_apt_pkg, provides), false },
		{ "Multi-Arch", offsetof(struct sl_apt_pkg, multi_arch), false },
		{ "Source", offsetof(struct sl_apt_pkg, source), false },
		{ "Section", offsetof(struct sl_apt_pkg, section), false },
		{ "Priority", offsetof(struct sl_apt_pkg, priority), false },
	};
	char shown[PKG_SHOW_MAX + 4], pkg[PKG_SHOW_MAX + 4];
	struct sl_blob size;
	memset(out, 0, sizeof(*out));
	if (cause != NULL)
		*cause = NULL;
	struct sl_blob name = SL_BLOB_NULL;
	sl_deb822_get(p, "Package", &name);
	show(name, pkg);
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		struct sl_blob *dst = (struct sl_blob *)((char *)out + fields[i].off);
		if (!sl_deb822_get(p, fields[i].name, dst) && fields[i].required)
			return sl_cause(cause, -SL_E_PARSE, "line %u: package '%s': no %s field", p->line, pkg,
				     fields[i].name);
		if (fields[i].required && dst->len == 0)
			return sl_cause(cause, -SL_E_PARSE, "line %u: package '%s': empty %s field", p->line, pkg,
				     fields[i].name);
	}
	if (!sl_deb822_get(p, "Size", &size))
		return sl_cause(cause, -SL_E_PARSE, "line %u: package '%s': no Size field", p->line, pkg);
	if (!name_ok(out->package))
		return sl_cause(cause, -SL_E_BADNAME, "line %u: invalid package name '%s'", p->line, pkg);
	const char *why = NULL;
	if (sl_debver_parse(out->version, NULL, &why) != 0) {
		show(out->version, shown);
		return sl_cause(cause, -SL_E_PARSE, "line %u: package '%s': Version '%s': %s", p->line, pkg, shown, why);
	}
	if (!arch_ok(out->architecture)) {
		show(out->architecture, shown);
		return sl_cause(cause, -SL_E_PARSE, "line %u: package '%s': invalid Architecture '%s'", p->line, pkg,
			     shown);
	}
	if (sl_blob_to_u64(size, &out->size) != 0 || out->size > SL_MAX_ARTIFACT_BYTES) {
		show(size, shown);
		return sl_cause(cause, -SL_E_PARSE, "line %u: package '%s': invalid Size '%s'", p->line, pkg, shown);
	}
	if (!sha256_ok(out->sha256)) {
		show(out->sha256, shown);
		return sl_cause(cause, -SL_E_PARSE, "line %u: package '%s': invalid SHA256 '%s'", p->line, pkg, shown);
	}
	why = filename_problem(out->filename);
	if (why != NULL) {
		show(out->filename, shown);
		return sl_cause(cause, -SL_E_BADNAME, "line %u: package '%s': Filename '%s' %s", p->line, pkg, shown,
			     why);
	}
	if (out->multi_arch.p != NULL && !sl_blob_eq(out->multi_arch, "same") &&
	    !sl_blob_eq(out->multi_arch, "foreign") && !sl_blob_eq(out->multi_arch, "allowed") &&
	    !sl_blob_eq(out->multi_arch, "no")) {
		show(out->multi_arch, shown);
		return sl_cause(cause, -SL_E_PARSE, "line %u: package '%s': invalid Multi-Arch '%s'", p->line, pkg,
			     shown);
	}
	return 0;
}

struct walk {
	struct sl_deb822 *d;
	int (*cb)(void *arg, const struct sl_apt_pkg *pkg, const struct sl_deb822_para *para);
	void *arg;
	char **cause;
	size_t count;
};

static int walk_para(void *arg, const struct sl_deb822_para *p)
{
	struct walk *w = arg;
	struct sl_apt_pkg pkg;
	if (++w->count > SL_MAX_PACKAGES)
		return sl_cause(w->cause, -SL_E_TOOBIG, "line %u: more than %u packages in one index", p->line,
			     SL_MAX_PACKAGES);
	int rc = sl_apt_pkg_from_para(p, &pkg, w->cause);
	if (rc != 0)
		return rc;
	return w->cb(w->arg, &pkg, p);
}

static int walk_feed(void *arg, const void *data, size_t len)
{
	struct walk *w = arg;
	return sl_deb822_feed(w->d, data, len);
}

int sl_apt_packages_foreach_fd(int fd, uint64_t max_out,
			       int (*cb)(void *arg, const struct sl_apt_pkg *pkg, const struct sl_deb822_para *para),
			       void *arg, char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	struct walk w = { .cb = cb, .arg = arg, .cause = cause };
	w.d = sl_deb822_new(walk_para, &w);
	if (w.d == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	char *dcause = NULL;
	int rc = sl_decomp_fd_cause(fd, max_out, walk_feed, &w, &dcause);
	if (rc == 0)
		rc = sl_deb822_finish(w.d);
	if (rc != 0 && *sl_deb822_error(w.d) != '\0')
		sl_cause(cause, rc, "line %u: %s", sl_deb822_line(w.d), sl_deb822_error(w.d));
	else if (rc != 0 && dcause != NULL)
		sl_cause(cause, rc, "%s", dcause);
	free(dcause);
	sl_deb822_free(w.d);
	return rc;
}
