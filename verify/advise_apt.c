/* advise_apt: for every upgraded package of an APT snapshot, the CVE IDs and urgency that its own
 * changelog.Debian.gz lists between the old and the new candidate version (core/deb_changelog.c), read
 * from the new .deb in the store (ar -> data.tar.* -> ./usr/share/doc/<pkg>/changelog.Debian.gz, all
 * streamed through libarchive, the gzip through core/decomp). The .deb's bytes are vouched for by the
 * signed chain already; what they say is still the packager's free text, parsed within caps. A package
 * whose doc directory is a symlink to a sibling's (libfoo-dev -> libfoo1) has no advisory of its own: the
 * sibling that holds the changelog carries it. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/apt_candidates.h"
#include "core/catalog.h"
#include "core/deb_changelog.h"
#include "core/decomp.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/store.h"
#include "verify/advise.h"

#define ADVISE_BLOCK (64u * 1024)   /* bytes per read of the outer ar member feeding the inner tar */

/* The upgrades first, into a temporary file: the advisories are recorded in the catalogue, which the
 * candidate walk is still reading. One line each: path, old version, new version, package, suites. */
static int spill_upgrade(void *arg, const char *kind, const struct sl_apt_candidate *old_c,
			 const struct sl_apt_candidate *new_c)
{
	if (strcmp(kind, "upgraded") != 0)
		return 0;
	return fprintf(arg, "%s\t%s\t%s\t%s\t%s\n", new_c->path, old_c->ver, new_c->ver, new_c->pkg, new_c->suite) < 0
		       ? -EIO
		       : 0;
}

struct feed {
	struct archive *outer;
	char buf[ADVISE_BLOCK];
};

static la_ssize_t feed_read(struct archive *inner, void *arg, const void **out)
{
	struct feed *f = arg;
	(void)inner;
	*out = f->buf;
	return archive_read_data(f->outer, f->buf, sizeof f->buf);
}

struct text {
	char *p;
	size_t len;
};

static int sink_text(void *arg, const void *data, size_t len)
{
	struct text *t = arg;
	size_t room = SL_MAX_CHANGELOG_BYTES - t->len;
	memcpy(t->p + t->len, data, len < room ? len : room);
	t->len += len < room ? len : room;
	return len < room ? 0 : 1;   /* full: the newest entries come first, the prefix is what matters */
}

/* The changelog member (at the inner archive's current entry) decompressed into text (heap, NUL-ended).
 * NULL when it cannot be read. */
static char *read_changelog(struct archive *inner, size_t *len)
{
	int fd = memfd_create("changelog", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	char buf[ADVISE_BLOCK];
	size_t total = 0;
	la_ssize_t got;
	while ((got = archive_read_data(inner, buf, sizeof buf)) > 0 && total <= SL_MAX_CHANGELOG_BYTES) {
		if (write(fd, buf, (size_t)got) != got)
			break;
		total += (size_t)got;
	}
	struct text t = { malloc(SL_MAX_CHANGELOG_BYTES + 1), 0 };
	int rc = got == 0 && t.p != NULL && lseek(fd, 0, SEEK_SET) == 0 ? 0 : -EIO;
	if (rc == 0)
		rc = sl_decomp_fd(fd, SL_MAX_CHANGELOG_BYTES, sink_text, &t);
	close(fd);
	/* A truncated gzip still yields its complete lines: what was decompressed is used. */
	if ((rc < 0 && t.len == 0) || t.p == NULL) {
		free(t.p);
		return NULL;
	}
	t.p[t.len] = '\0';
	*len = t.len;
	return t.p;
}

static bool is_changelog(const char *name, const char *pkg)
{
	if (strncmp(name, "./", 2) == 0)
		name += 2;
	else if (name[0] == '/')
		name++;
	size_t n = strlen(pkg);
	return strncmp(name, "usr/share/doc/", 14) == 0 && strncmp(name + 14, pkg, n) == 0 &&
	       strcmp(name + 14 + n, "/changelog.Debian.gz") == 0;
}

/* The package's changelog text from the .deb open on fd; NULL when it has none (a doc directory that is
 * a symlink to another package's) or the archive cannot be read. */
static char *deb_changelog(int fd, const char *pkg, size_t *len, char *member, size_t mcap)
{
	struct archive *outer = archive_read_new();
	struct feed *f = malloc(sizeof *f);
	char *text = NULL;
	if (outer == NULL || f == NULL)
		goto out;
	archive_read_support_format_ar(outer);
	struct archive_entry *ent;
	if (archive_read_open_fd(outer, fd, ADVISE_BLOCK) != ARCHIVE_OK)
		goto out;
	while (text == NULL && archive_read_next_header(outer, &ent) == ARCHIVE_OK) {
		if (strncmp(archive_entry_pathname(ent), "data.tar", 8) != 0)
			continue;
		struct archive *inner = archive_read_new();
		if (inner == NULL)
			break;
		/* Only libarchive's in-process decoders, as core/decomp: never an external program. */
		archive_read_support_format_tar(inner);
		archive_read_support_filter_gzip(inner);
		archive_read_support_filter_xz(inner);
		archive_read_support_filter_zstd(inner);
		archive_read_support_filter_bzip2(inner);
		archive_read_support_filter_lzma(inner);
		f->outer = outer;
		if (archive_read_open(inner, f, NULL, feed_read, NULL) == ARCHIVE_OK) {
			struct archive_entry *ie;
			while (archive_read_next_header(inner, &ie) == ARCHIVE_OK) {
				const char *name = archive_entry_pathname(ie);
				if (name == NULL || !is_changelog(name, pkg))
					continue;
				if (archive_entry_filetype(ie) == AE_IFREG) {
					snprintf(member, mcap, "%s", name);
					text = read_changelog(inner, len);
				}
				break;
			}
		}
		archive_read_free(inner);
		break;
	}
out:
	archive_read_free(outer);
	free(f);
	return text;
}

/* "CVE-A CVE-B (OLD -> NEW, urgency U, from SUITE)": admin/diff_apt.c reads it back. */
static void describe(const struct sl_changelog_advice *a, const char *old_v, const char *new_v, const char *suites,
		     char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < a->ncves && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "", a->cves[i]);
	if (a->truncated && n < cap)
		n += (size_t)snprintf(out + n, cap - n, " and more");
	if (n < cap)
		n += (size_t)snprintf(out + n, cap - n, " (%s -> %s", old_v, new_v);
	if (a->urgency[0] != '\0' && n < cap)
		n += (size_t)snprintf(out + n, cap - n, ", urgency %s", a->urgency);
	/* the security suite among those listing it ("bookworm-security"), named as the source of the fix */
	char sec[128] = "";
	char copy[128];
	snprintf(copy, sizeof copy, "%s", suites);
	for (char *save = NULL, *s = strtok_r(copy, " ", &save); s != NULL; s = strtok_r(NULL, " ", &save))
		if (sl_apt_candidates_security(s)) {
			snprintf(sec, sizeof sec, "%s", s);
			break;
		}
	if (sec[0] != '\0' && n < cap)
		n += (size_t)snprintf(out + n, cap - n, ", from %s", sec);
	if (n < cap)
		snprintf(out + n, cap - n, ")");
}

static int advise_one(struct sl_catalog *cat, struct sl_store *store, int64_t new_id, char *line,
		      int (*cb)(void *arg, const struct sl_advisory *a), void *arg)
{
	char *f[5], *p = line;
	line[strcspn(line, "\n")] = '\0';
	for (int i = 0; i < 5; i++)
		if ((f[i] = strsep(&p, "\t")) == NULL)
			return 0;
	struct sl_entry e;
	int rc = sl_catalog_snapshot_entry(cat, new_id, f[0], &e);
	if (rc < 0)
		return rc == -SL_E_NOTFOUND ? 0 : rc;
	int fd = -1;
	uint64_t size = 0;
	rc = sl_store_open_object(store, e.sha256, &fd, &size);
	if (rc < 0) {
		sl_entry_release(&e);
		return rc == -SL_E_NOTFOUND ? 0 : rc;   /* nothing to read: no advisory, the verifier judges the store */
	}
	char member[SL_MAX_PATH];
	size_t len = 0;
	char *text = deb_changelog(fd, f[3], &len, member, sizeof member);
	close(fd);
	struct sl_changelog_advice adv;
	rc = 0;
	if (text != NULL && sl_deb_changelog_advice(text, len, f[1], f[2], &adv) == 0 && adv.ncves > 0) {
		char detail[SL_MAX_ADVISORY_CVES * 24 + 1024];
		describe(&adv, f[1], f[2], f[4], detail, sizeof detail);
		struct sl_advisory a = { .artifact = f[0], .digest = e.sha256, .member = member, .detail = detail };
		rc = cb(arg, &a);
	}
	free(text);
	sl_entry_release(&e);
	return rc;
}

static int advise(struct sl_catalog *cat, struct sl_store *store, int64_t old_id, int64_t new_id,
		  int (*cb)(void *arg, const struct sl_advisory *a), void *arg)
{
	if (old_id == 0 || old_id == new_id)
		return 0;
	FILE *up = tmpfile();
	if (up == NULL)
		return -errno;
	int rc = sl_apt_candidates_diff(cat, old_id, new_id, spill_upgrade, up);
	if (rc == 0 && (fflush(up) != 0 || fseek(up, 0, SEEK_SET) != 0))
		rc = -errno;
	char line[2048];   /* path (<= SL_MAX_REL_PATH) + two versions + package + suites, tab-separated */
	while (rc == 0 && fgets(line, sizeof line, up) != NULL)
		rc = advise_one(cat, store, new_id, line, cb, arg);
	fclose(up);
	return rc;
}

const struct sl_advisor sl_apt_advisor = { .advise = advise };
