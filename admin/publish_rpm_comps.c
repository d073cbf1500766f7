/* publish_rpm_comps: comps pruned to the shipped packages, in two streaming passes (see publish_rpm_comps.h). */
#include "admin/publish_rpm_comps.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <createrepo_c/createrepo_c.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>

#include "core/error.h"
#include "core/limits.h"
#include "core/strset.h"

/* What the byte scan has seen of a "<!" declaration. Only comments, CDATA and one DOCTYPE without an
 * internal subset pass: no entity can be declared, so none can be expanded, whatever libxml2 would do.
 * Inside a comment or CDATA section "<!" is text, up to its "-->" or "]]>". */
enum decl { D_TEXT, D_LT, D_BANG, D_DOCTYPE, D_COMMENT, D_CDATA };

struct input {
	CR_FILE *f;
	const char *name;
	uint64_t total;
	enum decl st;
	char bang[8];                  /* bytes after "<!" until decided */
	size_t nbang;
	unsigned run;                  /* '-' or ']' just before, inside a comment or CDATA */
	bool doctype_seen;
	int err;                       /* first input error (read, cap, refused declaration) */
	char msg[256];
	char xml_msg[256];             /* libxml2's first message */
};

static int refuse(struct input *in, int rc, const char *why)
{
	if (in->err == 0) {
		in->err = rc;
		snprintf(in->msg, sizeof in->msg, "%s", why);
	}
	return -1;
}

static int scan(struct input *in, const unsigned char *p, size_t n)
{
	static const char *const ok[] = { "--", "[CDATA[", "DOCTYPE" };
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		switch (in->st) {
		case D_TEXT:
			if (c == '<')
				in->st = D_LT;
			break;
		case D_LT:
			in->st = c == '!' ? D_BANG : c == '<' ? D_LT : D_TEXT;
			in->nbang = 0;
			break;
		case D_BANG: {
			in->bang[in->nbang++] = (char)c;
			bool prefix = false;
			for (size_t k = 0; k < 3; k++) {
				size_t l = strlen(ok[k]);
				if (in->nbang > l || memcmp(in->bang, ok[k], in->nbang) != 0)
					continue;
				prefix = true;
				if (in->nbang < l)
					continue;
				if (k == 2 && in->doctype_seen)
					return refuse(in, -SL_E_PARSE, "a second document type declaration refused");
				in->doctype_seen = in->doctype_seen || k == 2;
				in->st = k == 0 ? D_COMMENT : k == 1 ? D_CDATA : D_DOCTYPE;
				in->run = 0;
			}
			if (!prefix)
				return refuse(in, -SL_E_PARSE, "entity or element declaration refused (comps has none; "
					      "entity expansion is off)");
			break;
		}
		case D_DOCTYPE:
			if (c == '[')
				return refuse(in, -SL_E_PARSE, "document type with an internal subset refused (comps "
					      "names its DTD only; entity expansion is off)");
			if (c == '>')
				in->st = D_TEXT;
			break;
		case D_COMMENT:
		case D_CDATA: {
			char end = in->st == D_COMMENT ? '-' : ']';
			if (c == '>' && in->run >= 2)
				in->st = D_TEXT;
			in->run = c == (unsigned char)end ? in->run + 1 : 0;
			break;
		}
		}
	}
	return 0;
}

static int in_read(void *ctx, char *buf, int cap)
{
	struct input *in = ctx;
	if (in->err != 0)
		return -1;
	GError *err = NULL;
	int n = cr_read(in->f, buf, (unsigned)cap, &err);
	if (n < 0) {
		refuse(in, -SL_E_ARCHIVE, err != NULL ? err->message : "decompression failed");
		g_clear_error(&err);
		return -1;
	}
	in->total += (uint64_t)n;
	if (in->total > SL_MAX_RPM_META_BYTES)
		return refuse(in, -SL_E_TOOBIG, "decompressed comps exceeds its cap");
	return scan(in, (const unsigned char *)buf, (size_t)n) < 0 ? -1 : n;
}

static int in_close(void *ctx)
{
	(void)ctx;
	return 0;
}

static void on_error(void *arg, xmlErrorPtr e)
{
	struct input *in = arg;
	if (in->xml_msg[0] == '\0' && e != NULL) {
		snprintf(in->xml_msg, sizeof in->xml_msg, "line %d: %s", e->line, e->message ? e->message : "XML error");
		in->xml_msg[strcspn(in->xml_msg, "\n")] = '\0';
	}
}

static xmlTextReaderPtr open_reader(struct input *in, const char *path, char **cause)
{
	GError *err = NULL;
	memset(in, 0, sizeof *in);
	in->f = cr_open(path, CR_CW_MODE_READ, CR_CW_AUTO_DETECT_COMPRESSION, &err);
	if (in->f == NULL) {
		sl_cause(cause, -SL_E_ARCHIVE, "comps: %s", err != NULL ? err->message : "cannot open");
		g_clear_error(&err);
		return NULL;
	}
	/* NONET: never fetch (the DOCTYPE's DTD included); no NOENT, DTDLOAD, DTDATTR or DTDVALID. */
	xmlTextReaderPtr r = xmlReaderForIO(in_read, in_close, in, "comps", NULL,
					   XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS);
	if (r == NULL) {
		cr_close(in->f, NULL);
		sl_cause(cause, -ENOMEM, "comps: cannot start the XML reader");
		return NULL;
	}
	xmlTextReaderSetStructuredErrorHandler(r, on_error, in);
	return r;
}

static void close_reader(struct input *in, xmlTextReaderPtr r)
{
	if (r != NULL)
		xmlFreeTextReader(r);
	if (in->f != NULL)
		cr_close(in->f, NULL);
	in->f = NULL;
}

/* After xmlTextReaderRead/Next returned rc: 1 on a node to handle, 0 at the end, or the refusal. */
static int reader_step(struct input *in, xmlTextReaderPtr r, int rc, char **cause)
{
	if (in->err != 0)
		return sl_cause(cause, in->err, "comps: %s", in->msg);
	if (rc < 0 || (rc == 0 && in->xml_msg[0] != '\0'))
		return sl_cause(cause, -SL_E_PARSE, "comps: %s", in->xml_msg[0] ? in->xml_msg : "malformed XML");
	if (rc == 0)
		return 0;
	int line = xmlTextReaderGetParserLineNumber(r);
	if (xmlTextReaderDepth(r) > SL_MAX_RPM_XML_DEPTH)
		return sl_cause(cause, -SL_E_TOOBIG, "comps: line %d: elements nested deeper than %d", line,
				SL_MAX_RPM_XML_DEPTH);
	int t = xmlTextReaderNodeType(r);
	if (t == XML_READER_TYPE_ENTITY_REFERENCE || t == XML_READER_TYPE_ENTITY)
		return sl_cause(cause, -SL_E_PARSE, "comps: line %d: entity reference refused", line);
	return 1;
}

static const char *local(xmlTextReaderPtr r)
{
	const xmlChar *n = xmlTextReaderConstLocalName(r);
	return n != NULL ? (const char *)n : "";
}

/* The text of a leaf, blanks around it trimmed, in place. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t l = strlen(s);
	while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\n' || s[l - 1] == '\r'))
		s[--l] = '\0';
	return s;
}

/* ---- pass 1: which groups keep a packagereq ---------------------------------------------------------- */

struct decide {
	uint8_t *keep;                 /* one bit per <group>, in document order */
	size_t ngroups;
	struct sl_strset *kept_ids;
};

static int leaf_kind(const char *n)
{
	return strcmp(n, "id") == 0 ? 1 : strcmp(n, "packagereq") == 0 ? 2 : strcmp(n, "groupid") == 0 ? 3 : 0;
}

static int end_group(struct decide *d, bool keep, const char *id)
{
	if (d->ngroups >= SL_MAX_RPM_COMPS_GROUPS)
		return -SL_E_TOOBIG;
	if (d->ngroups % 8 == 0) {
		uint8_t *k = realloc(d->keep, d->ngroups / 8 + 1);
		if (k == NULL)
			return -ENOMEM;
		d->keep = k;
		d->keep[d->ngroups / 8] = 0;
	}
	if (keep)
		d->keep[d->ngroups / 8] |= (uint8_t)(1u << (d->ngroups % 8));
	d->ngroups++;
	return keep && id[0] != '\0' && sl_strset_add(d->kept_ids, id) < 0 ? -ENOMEM : 0;
}

static int pass_decide(const char *path, const struct sl_strset *names, struct decide *d, char **cause)
{
	struct input in;
	xmlTextReaderPtr r = open_reader(&in, path, cause);
	if (r == NULL)
		return -SL_E_ARCHIVE;
	bool in_group = false, keep = false, root_seen = false;
	int leaf = 0, rc;
	char id[SL_MAX_RPM_FIELD] = "", text[SL_MAX_RPM_FIELD];
	size_t tl = 0;
	while ((rc = reader_step(&in, r, xmlTextReaderRead(r), cause)) == 1) {
		int t = xmlTextReaderNodeType(r), depth = xmlTextReaderDepth(r), line = xmlTextReaderGetParserLineNumber(r);
		const char *n = local(r);
		bool empty = t == XML_READER_TYPE_ELEMENT && xmlTextReaderIsEmptyElement(r) == 1;
		if (t == XML_READER_TYPE_ELEMENT && depth == 0 && strcmp(n, "comps") != 0) {
			rc = sl_cause(cause, -SL_E_PARSE, "comps: line %d: root element <%s>, not <comps>", line, n);
			break;
		}
		root_seen = root_seen || (t == XML_READER_TYPE_ELEMENT && depth == 0);
		if (t == XML_READER_TYPE_ELEMENT && leaf != 0) {
			rc = sl_cause(cause, -SL_E_PARSE, "comps: line %d: <%s> inside a text-only element", line, n);
			break;
		}
		if (t == XML_READER_TYPE_ELEMENT && depth == 1 && strcmp(n, "group") == 0) {
			in_group = true;
			keep = false;
			id[0] = '\0';
		} else if (t == XML_READER_TYPE_ELEMENT && leaf_kind(n) != 0 && (leaf_kind(n) != 1 || depth == 2)) {
			leaf = leaf_kind(n);
			tl = 0;
			text[0] = '\0';
		} else if ((t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA) && leaf != 0) {
			const char *v = (const char *)xmlTextReaderConstValue(r);
			size_t l = v != NULL ? strlen(v) : 0;
			if (tl + l >= sizeof text) {
				rc = sl_cause(cause, -SL_E_TOOBIG, "comps: line %d: text longer than %d bytes", line,
					      SL_MAX_RPM_FIELD);
				break;
			}
			memcpy(text + tl, v, l + 1);
			tl += l;
		}
		bool closes = t == XML_READER_TYPE_END_ELEMENT || empty;
		if (closes && leaf != 0 && leaf_kind(n) == leaf) {
			char *s = trim(text);
			if (leaf == 1 && in_group)
				snprintf(id, sizeof id, "%s", s);
			else if (leaf == 2 && in_group && sl_strset_has(names, s))
				keep = true;
			leaf = 0;
		} else if (closes && depth == 1 && in_group && strcmp(n, "group") == 0) {
			in_group = false;
			rc = end_group(d, keep, id);
			if (rc < 0) {
				sl_cause(cause, rc, "comps: line %d: %s", line, rc == -SL_E_TOOBIG ? "too many groups" : sl_strerror(rc));
				break;
			}
		}
	}
	if (rc == 0 && !root_seen)
		rc = sl_cause(cause, -SL_E_PARSE, "comps: no <comps> element");
	close_reader(&in, r);
	return rc;
}

/* ---- pass 2: write what stays ---------------------------------------------------------------------------- */

struct output {
	CR_FILE *f;
	int err;
	char msg[256];
};

static int out_write(void *ctx, const char *buf, int len)
{
	struct output *o = ctx;
	GError *err = NULL;
	if (o->err == 0 && cr_write(o->f, buf, (unsigned)len, &err) != len) {
		o->err = -SL_E_ARCHIVE;
		snprintf(o->msg, sizeof o->msg, "%s", err != NULL ? err->message : "write failed");
	}
	g_clear_error(&err);
	return o->err == 0 ? len : -1;
}

static int out_close(void *ctx)
{
	(void)ctx;
	return 0;
}

/* Copy the current element's start tag (and its end when it is empty). */
static int copy_start(xmlTextReaderPtr r, xmlTextWriterPtr w)
{
	bool empty = xmlTextReaderIsEmptyElement(r) == 1;
	if (xmlTextWriterStartElement(w, xmlTextReaderConstName(r)) < 0)
		return -1;
	for (int a = xmlTextReaderMoveToFirstAttribute(r); a == 1; a = xmlTextReaderMoveToNextAttribute(r))
		if (xmlTextWriterWriteAttribute(w, xmlTextReaderConstName(r), xmlTextReaderConstValue(r)) < 0)
			return -1;
	xmlTextReaderMoveToElement(r);
	return empty && xmlTextWriterEndElement(w) < 0 ? -1 : 0;
}

/* Whether the leaf at the reader stays: a packagereq naming a shipped package, a groupid of a kept group. */
static bool leaf_stays(xmlTextReaderPtr r, const char *n, const struct sl_strset *names, const struct decide *d)
{
	xmlChar *v = xmlTextReaderReadString(r);   /* pass 1 proved it text-only and short */
	char buf[SL_MAX_RPM_FIELD];
	snprintf(buf, sizeof buf, "%s", v != NULL ? (const char *)v : "");
	xmlFree(v);
	const char *s = trim(buf);
	return strcmp(n, "packagereq") == 0 ? sl_strset_has(names, s) : sl_strset_has(d->kept_ids, s);
}

static int pass_write(const char *path, const char *out_path, int compression, const struct sl_strset *names,
		      const struct decide *d, struct sl_rpm_prune_count *count, char **cause)
{
	struct input in;
	xmlTextReaderPtr r = open_reader(&in, path, cause);
	if (r == NULL)
		return -SL_E_ARCHIVE;
	GError *err = NULL;
	struct output o = { .f = cr_open(out_path, CR_CW_MODE_WRITE, (cr_CompressionType)compression, &err) };
	xmlOutputBufferPtr ob = o.f != NULL ? xmlOutputBufferCreateIO(out_write, out_close, &o, NULL) : NULL;
	xmlTextWriterPtr w = ob != NULL ? xmlNewTextWriter(ob) : NULL;
	if (w == NULL) {
		if (ob != NULL)
			xmlOutputBufferClose(ob);
		if (o.f != NULL)
			cr_close(o.f, NULL);
		close_reader(&in, r);
		int rc = sl_cause(cause, -SL_E_ARCHIVE, "%s: %s", out_path, err != NULL ? err->message : "cannot write");
		g_clear_error(&err);
		return rc;
	}
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, (const xmlChar *)"  ");
	int rc = xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0 ? -1 : 0;
	size_t ordinal = 0;
	int step = xmlTextReaderRead(r);
	while (rc == 0 && (rc = reader_step(&in, r, step, cause)) == 1) {
		rc = 0;
		int t = xmlTextReaderNodeType(r);
		const char *n = local(r);
		bool drop = false;
		if (t == XML_READER_TYPE_ELEMENT && xmlTextReaderDepth(r) == 1 && strcmp(n, "group") == 0) {
			drop = ordinal >= d->ngroups || !(d->keep[ordinal / 8] & (1u << (ordinal % 8)));
			ordinal++;
			if (drop)
				count->dropped++;
			else
				count->kept++;
		} else if (t == XML_READER_TYPE_ELEMENT && (strcmp(n, "packagereq") == 0 || strcmp(n, "groupid") == 0)) {
			drop = !leaf_stays(r, n, names, d);
		}
		if (drop) {
			step = xmlTextReaderNext(r);   /* past the element and everything in it */
			continue;
		}
		if (t == XML_READER_TYPE_ELEMENT)
			rc = copy_start(r, w);
		else if (t == XML_READER_TYPE_END_ELEMENT)
			rc = xmlTextWriterEndElement(w) < 0 ? -1 : 0;
		else if (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA)
			rc = xmlTextWriterWriteString(w, xmlTextReaderConstValue(r)) < 0 ? -1 : 0;
		/* the DOCTYPE, comments, processing instructions and blanks are not copied */
		step = xmlTextReaderRead(r);
	}
	if (rc == -1)
		rc = sl_cause(cause, o.err != 0 ? o.err : -ENOMEM, "%s: %s", out_path, o.err != 0 ? o.msg : "cannot write XML");
	if (rc == 0 && xmlTextWriterEndDocument(w) < 0)
		rc = sl_cause(cause, -SL_E_ARCHIVE, "%s: %s", out_path, o.err != 0 ? o.msg : "cannot write XML");
	xmlFreeTextWriter(w);   /* flushes and closes ob */
	if (rc == 0 && o.err != 0)
		rc = sl_cause(cause, o.err, "%s: %s", out_path, o.msg);
	if (cr_close(o.f, &err) != CRE_OK && rc == 0)
		rc = sl_cause(cause, -SL_E_ARCHIVE, "%s: %s", out_path, err != NULL ? err->message : "close failed");
	g_clear_error(&err);
	close_reader(&in, r);
	return rc;
}

int sl_rpm_comps_prune(const char *in, const char *out, int compression, const struct sl_strset *names,
		       struct sl_rpm_prune_count *count, char **cause)
{
	struct decide d = { .kept_ids = sl_strset_new() };
	*count = (struct sl_rpm_prune_count){ 0, 0 };
	if (d.kept_ids == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	int rc = pass_decide(in, names, &d, cause);
	if (rc == 0)
		rc = pass_write(in, out, compression, names, &d, count, cause);
	free(d.keep);
	sl_strset_free(d.kept_ids);
	return rc;
}
