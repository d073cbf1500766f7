/* rpm_xml: a capped, DTD-free streaming reader over libxml2 for RPM repodata (see rpm_xml.h). */
#include "core/rpm_xml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>

#include "core/error.h"
#include "core/limits.h"

#define DECL_TAIL 9   /* bytes kept across reads to spot "<![CDATA[" split by a chunk boundary */

struct sl_rpm_xml {
	xmlTextReaderPtr r;
	ssize_t (*read)(void *arg, void *buf, size_t cap);
	void *arg;
	const uint8_t *mem;               /* memory variant */
	size_t mem_len, mem_off;
	int read_err;                     /* first error of the input (callback, declaration) */
	char read_msg[256];
	char xml_msg[256];                /* libxml2's first message */
	uint8_t tail[DECL_TAIL];          /* last bytes of the previous chunk */
	size_t tail_len;
	bool pending_close;               /* an empty element's CLOSE is still to be reported */
	bool done;
};

/* "<!" starts a declaration unless it is a comment or CDATA: repodata has no DOCTYPE, ENTITY, ELEMENT or
 * ATTLIST, so any of them is refused before libxml2 ever parses it (no entity can be declared, hence none
 * expanded, whatever libxml2's own amplification limits are). */
static int scan_decl(struct sl_rpm_xml *x, const uint8_t *p, size_t n)
{
	uint8_t win[DECL_TAIL + 4096];
	for (size_t off = 0; off < n;) {
		size_t take = n - off < 4096 ? n - off : 4096;
		memcpy(win, x->tail, x->tail_len);
		memcpy(win + x->tail_len, p + off, take);
		size_t wl = x->tail_len + take;
		for (size_t i = 0; i + 1 < wl; i++) {
			if (win[i] != '<' || win[i + 1] != '!')
				continue;
			size_t rest = wl - i;
			if (rest >= 4 && memcmp(win + i, "<!--", 4) == 0)
				continue;
			if (rest < 9)
				continue;   /* stays in the tail: decided with the next bytes */
			if (memcmp(win + i, "<![CDATA[", 9) == 0)
				continue;
			snprintf(x->read_msg, sizeof x->read_msg,
				 "document type or entity declaration refused (repodata has none; entity expansion is off)");
			return -SL_E_PARSE;
		}
		size_t keep = wl < DECL_TAIL - 1 ? wl : DECL_TAIL - 1;
		memcpy(x->tail, win + wl - keep, keep);
		x->tail_len = keep;
		off += take;
	}
	return 0;
}

static int io_read(void *ctx, char *buf, int cap)
{
	struct sl_rpm_xml *x = ctx;
	if (x->read_err != 0)
		return -1;
	ssize_t n;
	if (x->read != NULL) {
		n = x->read(x->arg, buf, (size_t)cap);
	} else {
		n = (ssize_t)(x->mem_len - x->mem_off < (size_t)cap ? x->mem_len - x->mem_off : (size_t)cap);
		memcpy(buf, x->mem + x->mem_off, (size_t)n);
		x->mem_off += (size_t)n;
	}
	if (n < 0) {
		x->read_err = (int)n;
		snprintf(x->read_msg, sizeof x->read_msg, "reading input: %s", sl_strerror((int)n));
		return -1;
	}
	int rc = scan_decl(x, (const uint8_t *)buf, (size_t)n);
	if (rc < 0) {
		x->read_err = rc;
		return -1;
	}
	return (int)n;
}

static int io_close(void *ctx)
{
	(void)ctx;
	return 0;
}

static void on_error(void *arg, xmlErrorPtr e)
{
	struct sl_rpm_xml *x = arg;
	if (x->xml_msg[0] != '\0' || e == NULL)
		return;
	snprintf(x->xml_msg, sizeof x->xml_msg, "line %d: %s", e->line, e->message ? e->message : "XML error");
	size_t l = strlen(x->xml_msg);
	while (l > 0 && x->xml_msg[l - 1] == '\n')
		x->xml_msg[--l] = '\0';
}

static struct sl_rpm_xml *open_reader(struct sl_rpm_xml *x, const char *name, char **cause)
{
	/* NONET: never fetch; no NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR/DTDVALID; NOCDATA folds
	 * CDATA into text. No XML_PARSE_HUGE: libxml2's own per-node limits stay on. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS;
	x->r = xmlReaderForIO(io_read, io_close, x, name, NULL, opts);
	if (x->r == NULL) {
		sl_cause(cause, -ENOMEM, "%s: cannot start the XML reader", name);
		free(x);
		return NULL;
	}
	xmlTextReaderSetStructuredErrorHandler(x->r, on_error, x);
	return x;
}

struct sl_rpm_xml *sl_rpm_xml_new_memory(const void *data, size_t len, const char *name, char **cause)
{
	struct sl_rpm_xml *x = calloc(1, sizeof *x);
	if (x == NULL) {
		sl_cause(cause, -ENOMEM, "out of memory");
		return NULL;
	}
	x->mem = data;
	x->mem_len = len;
	return open_reader(x, name, cause);
}

struct sl_rpm_xml *sl_rpm_xml_new_io(ssize_t (*read)(void *arg, void *buf, size_t cap), void *arg,
				     const char *name, char **cause)
{
	struct sl_rpm_xml *x = calloc(1, sizeof *x);
	if (x == NULL) {
		sl_cause(cause, -ENOMEM, "out of memory");
		return NULL;
	}
	x->read = read;
	x->arg = arg;
	return open_reader(x, name, cause);
}

void sl_rpm_xml_free(struct sl_rpm_xml *x)
{
	if (x == NULL)
		return;
	if (x->r != NULL)
		xmlFreeTextReader(x->r);
	free(x);
}

static int fail(struct sl_rpm_xml *x, char **cause)
{
	x->done = true;
	if (x->read_err != 0 && x->read_err != -SL_E_PARSE)
		return sl_cause(cause, x->read_err, "%s", x->read_msg);
	if (x->read_err != 0)
		return sl_cause(cause, -SL_E_PARSE, "%s", x->read_msg);
	return sl_cause(cause, -SL_E_PARSE, "%s", x->xml_msg[0] ? x->xml_msg : "malformed XML");
}

int sl_rpm_xml_next(struct sl_rpm_xml *x, char **cause)
{
	if (x->pending_close) {
		x->pending_close = false;
		return SL_RPM_XML_CLOSE;
	}
	while (!x->done) {
		int rc = xmlTextReaderRead(x->r);
		if (rc < 0 || x->read_err != 0)
			return fail(x, cause);
		if (rc == 0) {
			x->done = true;
			if (x->xml_msg[0] != '\0')
				return fail(x, cause);
			return SL_RPM_XML_END;
		}
		int depth = xmlTextReaderDepth(x->r);
		if (depth > SL_MAX_RPM_XML_DEPTH) {
			x->done = true;
			return sl_cause(cause, -SL_E_TOOBIG, "line %d: elements nested deeper than %d",
					xmlTextReaderGetParserLineNumber(x->r), SL_MAX_RPM_XML_DEPTH);
		}
		switch (xmlTextReaderNodeType(x->r)) {
		case XML_READER_TYPE_ELEMENT:
			x->pending_close = xmlTextReaderIsEmptyElement(x->r) == 1;
			return SL_RPM_XML_OPEN;
		case XML_READER_TYPE_END_ELEMENT:
			return SL_RPM_XML_CLOSE;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
			return SL_RPM_XML_TEXT;
		case XML_READER_TYPE_DOCUMENT_TYPE:
		case XML_READER_TYPE_ENTITY_REFERENCE:
		case XML_READER_TYPE_ENTITY:
			x->done = true;
			return sl_cause(cause, -SL_E_PARSE, "line %d: document type or entity refused",
					xmlTextReaderGetParserLineNumber(x->r));
		default:
			continue;   /* comments, whitespace, processing instructions */
		}
	}
	return SL_RPM_XML_END;
}

const char *sl_rpm_xml_name(struct sl_rpm_xml *x)
{
	const xmlChar *n = xmlTextReaderConstLocalName(x->r);
	return n != NULL ? (const char *)n : "";
}

const char *sl_rpm_xml_ns(struct sl_rpm_xml *x)
{
	const xmlChar *n = xmlTextReaderConstNamespaceUri(x->r);
	return n != NULL ? (const char *)n : "";
}

int sl_rpm_xml_depth(struct sl_rpm_xml *x)
{
	return xmlTextReaderDepth(x->r);
}

int sl_rpm_xml_line(struct sl_rpm_xml *x)
{
	return xmlTextReaderGetParserLineNumber(x->r);
}

static int copy_out(xmlChar *v, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (v == NULL)
		return 0;
	size_t l = strlen((const char *)v);
	if (l >= cap || l >= SL_MAX_RPM_FIELD) {
		xmlFree(v);
		return -SL_E_TOOBIG;
	}
	memcpy(buf, v, l + 1);
	xmlFree(v);
	return 1;
}

int sl_rpm_xml_attr(struct sl_rpm_xml *x, const char *name, char *buf, size_t cap)
{
	return copy_out(xmlTextReaderGetAttributeNs(x->r, (const xmlChar *)name, NULL), buf, cap);
}

bool sl_rpm_xml_has_attr_any_ns(struct sl_rpm_xml *x, const char *name)
{
	bool found = false;
	if (xmlTextReaderMoveToFirstAttribute(x->r) != 1)
		return false;
	do {
		const xmlChar *n = xmlTextReaderConstLocalName(x->r);
		if (n != NULL && strcmp((const char *)n, name) == 0)
			found = true;
	} while (!found && xmlTextReaderMoveToNextAttribute(x->r) == 1);
	xmlTextReaderMoveToElement(x->r);
	return found;
}

int sl_rpm_xml_text(struct sl_rpm_xml *x, char *buf, size_t cap)
{
	const xmlChar *v = xmlTextReaderConstValue(x->r);
	buf[0] = '\0';
	if (v == NULL)
		return 0;
	size_t l = strlen((const char *)v);
	if (l >= cap || l >= SL_MAX_RPM_FIELD)
		return -SL_E_TOOBIG;
	memcpy(buf, v, l + 1);
	return 1;
}
