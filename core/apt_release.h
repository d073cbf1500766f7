/* apt_release: the fields sluice needs from an APT Release file (the text GPGME returns for InRelease,
 * or a detached-signature Release), parsed strictly: exactly one paragraph; single-line fields free of
 * control characters; dates in RFC 2822 form; every SHA256 line "<64 hex> <size> <path>" with a path
 * that sl_path_check_relative accepts, no path twice; a malformed line is an error, never skipped,
 * and a Release without SHA256 is refused (MD5Sum and SHA1 alone are not trusted).
 * Architectures must be [a-z0-9-]+ and components safe relative paths, since both become paths.
 *
 * Ownership: sl_apt_release_parse fills a caller-provided struct that owns every string and array in
 * it; sl_apt_release_release frees them (also after a failed parse, which leaves the struct empty). */
#ifndef SL_APT_RELEASE_H
#define SL_APT_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sl_apt_release_file {
	char *path;         /* relative to dists/<suite>/ */
	uint64_t size;
	char sha256[65];    /* lowercase hex */
};

struct sl_apt_release {
	char *origin, *label, *suite, *codename, *version, *description;  /* NULL when absent */
	time_t date, valid_until;       /* 0 when absent */
	char **architectures;
	size_t narchitectures;
	char **components;
	size_t ncomponents;
	bool acquire_by_hash;
	struct sl_apt_release_file *files;   /* sorted by path */
	size_t nfiles;
};

/* 0, or -SL_E_PARSE / -SL_E_BADNAME / -SL_E_TOOBIG / -ENOMEM with *cause ("line N: ...", heap). */
int sl_apt_release_parse(const void *text, size_t len, struct sl_apt_release *out, char **cause);
void sl_apt_release_release(struct sl_apt_release *r);
/* The SHA256 entry for a path (e.g. "main/binary-amd64/Packages.xz"), or NULL. */
const struct sl_apt_release_file *sl_apt_release_find(const struct sl_apt_release *r, const char *path);
/* True when `arch` / `component` is listed. */
bool sl_apt_release_has_arch(const struct sl_apt_release *r, const char *arch);
bool sl_apt_release_has_component(const struct sl_apt_release *r, const char *component);

/* RFC 2822 dates as Debian writes them: "Sat, 10 Jun 2023 08:54:38 UTC" (the weekday is optional; the
 * zone may be UTC, GMT, Z or +hhmm/-hhmm). 0 or -SL_E_PARSE. */
int sl_apt_date_parse(const char *s, size_t len, time_t *out);
/* "Sat, 10 Jun 2023 08:54:38 UTC", locale-independent. 0 or -SL_E_TOOBIG (cap < 30) / -EOVERFLOW. */
int sl_apt_date_format(time_t t, char *buf, size_t cap);

#endif
