/* text: capped growable buffer for in-memory response bodies. */
#include "served/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/limits.h"

void sl_text_init(struct sl_text *t)
{
	t->p = NULL;
	t->len = t->cap = 0;
	t->failed = false;
}

void sl_text_release(struct sl_text *t)
{
	free(t->p);
	sl_text_init(t);
}

static bool reserve(struct sl_text *t, size_t more)
{
	if (t->failed)
		return false;
	if (more >= SL_MAX_MEMORY_BODY || t->len + more >= SL_MAX_MEMORY_BODY) {
		t->failed = true;
		return false;
	}
	if (t->len + more < t->cap)
		return true;
	size_t cap = t->cap ? t->cap : 1024;
	while (cap <= t->len + more)
		cap *= 2;
	char *p = realloc(t->p, cap);
	if (p == NULL) {
		t->failed = true;
		return false;
	}
	t->p = p;
	t->cap = cap;
	return true;
}

void sl_text_append(struct sl_text *t, const char *s, size_t len)
{
	if (!reserve(t, len))
		return;
	memcpy(t->p + t->len, s, len);
	t->len += len;
	t->p[t->len] = '\0';
}

void sl_text_printf(struct sl_text *t, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = true;
		return;
	}
	if ((size_t)n < sizeof small) {
		sl_text_append(t, small, (size_t)n);
		return;
	}
	if (!reserve(t, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void sl_text_html(struct sl_text *t, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sl_text_append(t, "&amp;", 5); break;
		case '<': sl_text_append(t, "&lt;", 4); break;
		case '>': sl_text_append(t, "&gt;", 4); break;
		case '"': sl_text_append(t, "&quot;", 6); break;
		case '\'': sl_text_append(t, "&#39;", 5); break;
		default: sl_text_append(t, s, 1); break;
		}
	}
}

void sl_text_label(struct sl_text *t, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			sl_text_append(t, "\\", 1);
		if (*s == '\n')
			sl_text_append(t, "\\n", 2);
		else
			sl_text_append(t, s, 1);
	}
}

int sl_text_take(struct sl_text *t, char **out, size_t *len)
{
	if (t->failed) {
		int err = t->len + 1 >= SL_MAX_MEMORY_BODY ? -SL_E_TOOBIG : -ENOMEM;
		sl_text_release(t);
		return err;
	}
	if (t->p == NULL)
		sl_text_append(t, "", 0);
	if (t->failed || t->p == NULL) {
		sl_text_release(t);
		return -ENOMEM;
	}
	*out = t->p;
	*len = t->len;
	sl_text_init(t);
	return 0;
}
