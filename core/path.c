/* path: the single gate between hostile names (APT Filename:, request paths, OCI repository names) and the
 * filesystem. Everything is refused unless it is plainly a relative path of printable ASCII that cannot
 * leave its root; callers never "clean up" a name, they reject it. */
#include "core/path.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/limits.h"

#define SL_NAME_MAX 255   /* bytes in one component: Linux NAME_MAX; longer can never name a file */

/* A byte that may appear in a relative path. */
static bool byte_ok(unsigned char c)
{
	/* NUL would truncate the name the kernel sees, so what was checked is not what gets opened. */
	if (c == '\0')
		return false;
	/* Backslash is a separator to Windows-minded clients and proxies; "..\\x" must not pass here and be
	 * reinterpreted further along. */
	if (c == '\\')
		return false;
	/* Control characters (newline, ESC...) forge log lines and terminal output; DEL likewise. */
	if (c < 0x20 || c == 0x7f)
		return false;
	/* Bytes >= 0x80: overlong UTF-8 ("%c0%ae" = '.') and Unicode look-alikes (U+2215, fullwidth dots)
	 * have fooled normalising layers before; Debian pool names and OCI names are ASCII. */
	if (c >= 0x80)
		return false;
	return true;
}

/* A component between two '/' (or the ends). */
static int component_ok(const char *c, size_t n)
{
	/* Empty: "a//b", a trailing "/" or a leading "/" (absolute path). Each means a caller built or
	 * received something other than a plain relative name. */
	if (n == 0)
		return -SL_E_BADNAME;
	/* "." is harmless to the kernel but lets one file have many names (cache/ACL bypass); ".." escapes. */
	if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
		return -SL_E_BADNAME;
	if (n > SL_NAME_MAX)
		return -SL_E_BADNAME;
	return 0;
}

int sl_path_check_relative(const char *p, size_t len)
{
	if (p == NULL || len == 0 || len > SL_MAX_REL_PATH)
		return -SL_E_BADNAME;
	/* Absolute paths would ignore the root they are joined to. */
	if (p[0] == '/')
		return -SL_E_BADNAME;
	size_t start = 0;
	unsigned depth = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '/') {
			if (!byte_ok((unsigned char)p[i]))
				return -SL_E_BADNAME;
			continue;
		}
		int rc = component_ok(p + start, i - start);
		if (rc != 0)
			return rc;
		/* Depth is capped so a name cannot make a walker or mkdirs recurse without bound. */
		if (++depth > SL_MAX_PATH_DEPTH)
			return -SL_E_BADNAME;
		start = i + 1;
	}
	return 0;
}

int sl_path_join(char *buf, size_t cap, const char *root, const char *rel)
{
	if (buf == NULL || cap == 0)
		return -SL_E_TOOBIG;
	buf[0] = '\0';
	if (root == NULL || root[0] == '\0' || rel == NULL)
		return -SL_E_BADNAME;
	int rc = sl_path_check_relative(rel, strlen(rel));
	if (rc != 0)
		return rc;
	/* "root/" and "root" give the same result; "/" stays "/" so the join is "/rel". */
	size_t rlen = strlen(root);
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	const char *sep = (rlen == 1 && root[0] == '/') ? "" : "/";
	if (rlen > SL_MAX_PATH)
		return -SL_E_TOOBIG;
	int n = snprintf(buf, cap, "%.*s%s%s", (int)rlen, root, sep, rel);
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = '\0';
		return -SL_E_TOOBIG;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sl_path_url_decode(const char *in, char *buf, size_t cap)
{
	if (buf == NULL || cap == 0)
		return -SL_E_TOOBIG;
	buf[0] = '\0';
	if (in == NULL)
		return -SL_E_BADNAME;
	size_t o = 0;
	for (size_t i = 0; in[i] != '\0'; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%') {
			/* "%", "%4" and "%zz" are malformed; guessing what they meant is how decoders disagree. */
			int hi = hexval(in[i + 1]);
			int lo = hi < 0 ? -1 : hexval(in[i + 2]);
			if (hi < 0 || lo < 0) {
				buf[0] = '\0';
				return -SL_E_BADNAME;
			}
			c = (unsigned char)(hi << 4 | lo);
			/* An encoded '/' or '\\' would be a separator the router did not see; an encoded NUL would
			 * cut the name after it was checked. "%2e%2e" decodes to ".." and is refused by
			 * sl_path_check_relative, which callers run on the result. Decoding happens exactly once,
			 * so "%252e" stays the literal "%2e". */
			if (c == '/' || c == '\\' || c == '\0') {
				buf[0] = '\0';
				return -SL_E_BADNAME;
			}
			i += 2;
		}
		if (o + 1 >= cap) {
			buf[0] = '\0';
			return -SL_E_TOOBIG;
		}
		buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return 0;
}
