/* path: the one place that decides whether a name from untrusted input may become part of a filesystem
 * path. Repository-relative paths (APT Filename:, served request paths, OCI repository names) are checked
 * here before anything is joined or opened. */
#ifndef SL_PATH_H
#define SL_PATH_H

#include <stddef.h>

/* A relative path that stays inside its root: non-empty, at most SL_MAX_REL_PATH bytes and
 * SL_MAX_PATH_DEPTH components, no leading '/', no "." or ".." or empty component, no NUL, backslash,
 * control characters or bytes >= 0x7f, no component longer than 255 bytes (NAME_MAX). 0 or -SL_E_BADNAME. */
int sl_path_check_relative(const char *p, size_t len);
/* Join root + "/" + rel into buf after checking rel (trailing slashes of root are not doubled; root must
 * be non-empty). 0, -SL_E_BADNAME, or -SL_E_TOOBIG; buf is "" on failure. */
int sl_path_join(char *buf, size_t cap, const char *root, const char *rel);
/* Decode %XX escapes of a URL path into buf (NUL-terminated), refusing encoded '/', '\\', NUL and
 * malformed escapes. 0, -SL_E_BADNAME or -SL_E_TOOBIG; buf is "" on failure. `in` is the path only (no
 * query string); '+' is not a space in a path. Decodes once: the result must still go through
 * sl_path_check_relative ("%2e%2e" becomes ".."). */
int sl_path_url_decode(const char *in, char *buf, size_t cap);

#endif
