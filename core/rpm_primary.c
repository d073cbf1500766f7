/* rpm_primary: one <package> at a time out of primary.xml (see rpm_primary.h). */
#include "core/rpm_primary.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/decomp.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/rpm_xml.h"

enum field { F_NONE, F_NAME, F_ARCH, F_SUM };

struct pstate {
	struct sl_rpm_pkg pkg;
	bool in_pkg, has_version;
	enum field f;
	uint64_t count;
};

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

void sl_rpm_pkg_nevra(const struct sl_rpm_pkg *p, char *buf, size_t cap)
{
	bool epoch = p->epoch[0] != '\0' && strcmp(p->epoch, "0") != 0;
	snprintf(buf, cap, "%s-%s%s%s-%s.%s", p->name, epoch ? p->epoch : "", epoch ? ":" : "", p->ver, p->rel,
		 p->arch);
}

static int attr(struct sl_rpm_xml *x, const char *name, char *buf, size_t cap, char **cause)
{
	int rc = sl_rpm_xml_attr(x, name, buf, cap);
	if (rc < 0)
		return sl_cause(cause, rc, "line %d: attribute %s too long", sl_rpm_xml_line(x), name);
	return 0;
}

static int on_open(struct sl_rpm_xml *x, struct pstate *s, int64_t *declared, char **cause)
{
	const char *name = sl_rpm_xml_name(x);
	int depth = sl_rpm_xml_depth(x), line = sl_rpm_xml_line(x);
	if (depth == 0) {
		if (strcmp(name, "metadata") != 0)
			return sl_cause(cause, -SL_E_PARSE, "line %d: root element is <%s>, not <metadata>", line, name);
		char n[32];
		int rc = attr(x, "packages", n, sizeof n, cause);
		if (rc < 0)
			return rc;
		if (declared != NULL)
			*declared = n[0] != '\0' ? strtoll(n, NULL, 10) : -1;
		return 0;
	}
	if (depth == 1 && strcmp(name, "package") == 0) {
		if (++s->count > SL_MAX_RPM_PACKAGES)
			return sl_cause(cause, -SL_E_TOOBIG, "line %d: more than %d packages", line, SL_MAX_RPM_PACKAGES);
		memset(&s->pkg, 0, sizeof s->pkg);
		s->pkg.size = -1;
		s->pkg.line = line;
		s->in_pkg = true;
		s->has_version = false;
		return 0;
	}
	if (!s->in_pkg || depth != 2)
		return 0;
	struct sl_rpm_pkg *p = &s->pkg;
	int rc = 0;
	if (strcmp(name, "name") == 0) {
		s->f = F_NAME;
	} else if (strcmp(name, "arch") == 0) {
		s->f = F_ARCH;
	} else if (strcmp(name, "version") == 0) {
		s->has_version = true;
		rc = attr(x, "epoch", p->epoch, sizeof p->epoch, cause);
		if (rc == 0)
			rc = attr(x, "ver", p->ver, sizeof p->ver, cause);
		if (rc == 0)
			rc = attr(x, "rel", p->rel, sizeof p->rel, cause);
	} else if (strcmp(name, "checksum") == 0) {
		s->f = F_SUM;
		rc = attr(x, "type", p->sum_type, sizeof p->sum_type, cause);
	} else if (strcmp(name, "size") == 0) {
		char n[32];
		rc = attr(x, "package", n, sizeof n, cause);
		if (rc == 0 && n[0] != '\0') {
			char *end = NULL;
			errno = 0;
			long long v = strtoll(n, &end, 10);
			if (errno != 0 || end == n || *end != '\0' || v < 0)
				return sl_cause(cause, -SL_E_PARSE, "line %d: size package=\"%s\" is not a size", line, n);
			p->size = v;
		}
	} else if (strcmp(name, "location") == 0) {
		rc = attr(x, "href", p->href, sizeof p->href, cause);
		p->has_base = sl_rpm_xml_has_attr_any_ns(x, "base");
	}
	return rc;
}

static int on_text(struct sl_rpm_xml *x, struct pstate *s, char **cause)
{
	struct sl_rpm_pkg *p = &s->pkg;
	char *dst = s->f == F_NAME ? p->name : s->f == F_ARCH ? p->arch : p->sum;
	size_t cap = s->f == F_NAME ? sizeof p->name : s->f == F_ARCH ? sizeof p->arch : sizeof p->sum;
	int rc = sl_rpm_xml_text(x, dst, cap);
	if (rc < 0)
		return sl_cause(cause, rc, "line %d: text too long", sl_rpm_xml_line(x));
	trim(dst);
	if (s->f == F_SUM)
		for (char *c = dst; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	return 0;
}

static int on_package_end(struct sl_rpm_xml *x, struct pstate *s, int (*cb)(void *, const struct sl_rpm_pkg *),
			  void *cb_arg, char **cause)
{
	struct sl_rpm_pkg *p = &s->pkg;
	s->in_pkg = false;
	const char *missing = p->name[0] == '\0' ? "name" : p->arch[0] == '\0' ? "arch"
			      : !s->has_version || p->ver[0] == '\0' ? "version" : p->sum[0] == '\0' ? "checksum"
			      : p->href[0] == '\0' ? "location" : NULL;
	if (missing != NULL)
		return sl_cause(cause, -SL_E_PARSE, "line %d: package %s has no %s", p->line,
				p->name[0] ? p->name : "(unnamed)", missing);
	(void)x;
	int rc = cb(cb_arg, p);
	return rc;
}

int sl_rpm_primary_parse(ssize_t (*read)(void *arg, void *buf, size_t cap), void *read_arg,
			 int (*cb)(void *arg, const struct sl_rpm_pkg *p), void *cb_arg, int64_t *declared,
			 char **cause)
{
	if (declared != NULL)
		*declared = -1;
	struct pstate *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -ENOMEM;
	struct sl_rpm_xml *x = sl_rpm_xml_new_io(read, read_arg, "primary.xml", cause);
	if (x == NULL) {
		free(s);
		return -ENOMEM;
	}
	bool root = false;
	int ev = 0, rc = 0;
	while (rc == 0 && (ev = sl_rpm_xml_next(x, cause)) > 0) {
		if (ev == SL_RPM_XML_OPEN) {
			root = true;
			s->f = F_NONE;
			rc = on_open(x, s, declared, cause);
		} else if (ev == SL_RPM_XML_TEXT && s->in_pkg && s->f != F_NONE && sl_rpm_xml_depth(x) == 3) {
			rc = on_text(x, s, cause);
		} else if (ev == SL_RPM_XML_CLOSE) {
			s->f = F_NONE;
			if (s->in_pkg && sl_rpm_xml_depth(x) == 1)
				rc = on_package_end(x, s, cb, cb_arg, cause);
		}
	}
	if (rc == 0 && ev < 0)
		rc = ev;
	if (rc == 0 && !root)
		rc = sl_cause(cause, -SL_E_PARSE, "primary.xml has no <metadata> element");
	sl_rpm_xml_free(x);
	free(s);
	return rc;
}

struct fd_src {
	struct sl_decomp_reader *dr;
	struct sl_hasher *h;
	struct sl_rpm_open *o;
	int err;
	char msg[256];
};

static ssize_t fd_read(void *arg, void *buf, size_t cap)
{
	struct fd_src *f = arg;
	ssize_t n = sl_decomp_reader_read(f->dr, buf, cap);
	if (n < 0) {
		f->err = (int)n;
		snprintf(f->msg, sizeof f->msg, "%s", sl_decomp_reader_error(f->dr));
		return n;
	}
	f->o->open_size += (uint64_t)n;
	if (f->h != NULL && n > 0)
		sl_hasher_update(f->h, buf, (size_t)n);
	return n;
}

struct primary_args {
	int (*cb)(void *arg, const struct sl_rpm_pkg *p);
	void *cb_arg;
	int64_t *declared;
};

static int parse_primary(ssize_t (*read)(void *arg, void *buf, size_t cap), void *read_arg, void *arg, char **cause)
{
	struct primary_args *a = arg;
	return sl_rpm_primary_parse(read, read_arg, a->cb, a->cb_arg, a->declared, cause);
}

int sl_rpm_primary_parse_fd(int fd, struct sl_rpm_open *o, int (*cb)(void *arg, const struct sl_rpm_pkg *p),
			    void *cb_arg, int64_t *declared, char **cause)
{
	struct primary_args a = { cb, cb_arg, declared };
	return sl_rpm_parse_fd(fd, o, cb != NULL ? parse_primary : NULL, &a, cause);
}

int sl_rpm_parse_fd(int fd, struct sl_rpm_open *o,
		    int (*parse)(ssize_t (*read)(void *arg, void *buf, size_t cap), void *read_arg, void *arg, char **cause),
		    void *arg, char **cause)
{
	o->open_sum[0] = '\0';
	o->open_size = 0;
	struct fd_src f = { .o = o };
	f.dr = sl_decomp_reader_new(fd, o->max_out, cause);
	if (f.dr == NULL)
		return -SL_E_ARCHIVE;
	if (o->alg != 0) {
		f.h = sl_hasher_new(o->alg);
		if (f.h == NULL) {
			sl_decomp_reader_free(f.dr);
			return sl_cause(cause, -ENOMEM, "cannot start a hasher");
		}
	}
	int rc;
	if (parse != NULL) {
		char *pcause = NULL;
		rc = parse(fd_read, &f, arg, &pcause);
		if (rc == 0) {
			/* Read what the parser left (trailing bytes), so open-size and open-checksum cover it all. */
			uint8_t buf[16 << 10];
			ssize_t n;
			while ((n = fd_read(&f, buf, sizeof buf)) > 0)
				;
			if (n < 0)
				rc = (int)n;
		}
		if (rc < 0 && f.err != 0) {
			rc = f.err;
			if (rc == -SL_E_TOOBIG)
				sl_cause(cause, rc, "decompressed size exceeds %llu bytes (decompression bomb or open-size "
					 "lie)", (unsigned long long)o->max_out);
			else
				sl_cause(cause, rc, "decompression failed: %s", f.msg[0] ? f.msg : sl_strerror(rc));
		} else if (rc < 0) {
			sl_cause(cause, rc, "%s", pcause ? pcause : sl_strerror(rc));
		}
		free(pcause);
	} else {		uint8_t buf[64 << 10];
		ssize_t n;
		while ((n = fd_read(&f, buf, sizeof buf)) > 0)
			;
		rc = n < 0 ? (int)n : 0;
		if (rc == -SL_E_TOOBIG)
			sl_cause(cause, rc, "decompressed size exceeds %llu bytes (decompression bomb or open-size lie)",
				 (unsigned long long)o->max_out);
		else if (rc < 0)
			sl_cause(cause, rc, "decompression failed: %s", f.msg[0] ? f.msg : sl_strerror(rc));
	}
	if (f.h != NULL) {
		char sha256[SL_RPM_HEX_MAX], sha512[SL_RPM_HEX_MAX];
		sl_hasher_final(f.h, NULL, NULL, sha256, sha512);
		snprintf(o->open_sum, sizeof o->open_sum, "%s", o->alg == SL_HASH_SHA512 ? sha512 : sha256);
		sl_hasher_free(f.h);
	}
	sl_decomp_reader_free(f.dr);
	return rc;
}
