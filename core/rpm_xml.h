/* rpm_xml: the one safe way sluice reads RPM repodata XML (repomd.xml, primary.xml) — libxml2's streaming
 * xmlTextReader with the network off (XML_PARSE_NONET), no entity substitution (no XML_PARSE_NOENT), no
 * external DTD loading or DTD defaults, and no document type at all: repodata never has one, so a
 * <!DOCTYPE>, an entity declaration or an entity reference is refused outright (the entity-bomb and XXE
 * shapes, CVE-2018-10897's kin). Element depth and the bytes of any kept text are capped (core/limits.h).
 * libxml2's own messages are captured into the cause, never printed.
 *
 * Ownership: sl_rpm_xml_new_memory()/_new_io() -> sl_rpm_xml_free(). The memory variant borrows the buffer
 * for the reader's life; the io variant calls `read` until it returns 0 (end) or < 0 (error, kept).
 * Failure: -SL_E_PARSE with a cause naming the line; -SL_E_TOOBIG past a cap; the read callback's code. */
#ifndef SL_RPM_XML_H
#define SL_RPM_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sl_rpm_xml;

enum sl_rpm_xml_ev {
	SL_RPM_XML_END = 0,   /* end of document */
	SL_RPM_XML_OPEN,      /* start of an element (attributes readable with sl_rpm_xml_attr) */
	SL_RPM_XML_CLOSE,     /* end of an element (also right after OPEN for <empty/>) */
	SL_RPM_XML_TEXT,      /* text or CDATA inside the current element */
};

struct sl_rpm_xml *sl_rpm_xml_new_memory(const void *data, size_t len, const char *name, char **cause);
struct sl_rpm_xml *sl_rpm_xml_new_io(ssize_t (*read)(void *arg, void *buf, size_t cap), void *arg,
				     const char *name, char **cause);
void sl_rpm_xml_free(struct sl_rpm_xml *x);

/* The next event: > 0 (enum sl_rpm_xml_ev), 0 at the end, or a negative code with *cause. */
int sl_rpm_xml_next(struct sl_rpm_xml *x, char **cause);
/* Local name of the current element (OPEN/CLOSE), without namespace prefix. */
const char *sl_rpm_xml_name(struct sl_rpm_xml *x);
/* Namespace URI of the current element, or "". */
const char *sl_rpm_xml_ns(struct sl_rpm_xml *x);
/* Depth of the current node (the root element is 0). */
int sl_rpm_xml_depth(struct sl_rpm_xml *x);
/* Copy attribute `name` (no namespace) of the current element into buf: 1 found, 0 absent, -SL_E_TOOBIG
 * when longer than cap - 1 (buf then ""). */
int sl_rpm_xml_attr(struct sl_rpm_xml *x, const char *name, char *buf, size_t cap);
/* Whether the current element has an attribute with local name `name` in any namespace (xml:base). */
bool sl_rpm_xml_has_attr_any_ns(struct sl_rpm_xml *x, const char *name);
/* Text of the current TEXT event into buf (as sl_rpm_xml_attr). */
int sl_rpm_xml_text(struct sl_rpm_xml *x, char *buf, size_t cap);
/* Line of the current node, for messages. */
int sl_rpm_xml_line(struct sl_rpm_xml *x);

#endif
