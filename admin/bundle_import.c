/* bundle_import: `sluice import` (and `sluice export --check`) on the inside. Per volume, in this order:
 * the first two members must be the manifest and its signature, checked against [import] keyring before
 * any object is read; the manifest is parsed strictly and checked against the catalogue (expiry, replay);
 * then every object streams through SHA-256 into the store (hostile members refused by name, type and
 * manifest membership); the volume counts only with its END member. When every object of the bundle is in
 * the store, each source's candidate snapshot is rebuilt from the manifest in one transaction and settled
 * by the format's verifier with this side's own configuration (bundle_land.c). */
#include "admin/bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/bundle_int.h"
#include "admin/cli.h"
#include "core/bundle_manifest.h"
#include "core/catalog.h"
#include "core/catalog_bundle.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/store.h"
#include "verify/gpg.h"

#define SMALL_MEMBER 128   /* bytes: VOLUME and END are one short line */

struct vol {
	const char *path;
	struct archive *a;
	struct sl_bundle_header h;
	struct sl_bundle_end end;
	char manifest_sha[SL_SHA256_HEX];
	char *manifest;                  /* in memory until checked and stored */
	size_t mlen;
	unsigned k;
	uint64_t objects, already, new_bytes;
};

static int refuse(struct sl_bundle_imp *im, struct vol *v, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(struct sl_bundle_imp *im, struct vol *v, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "sluice: %s: ", v->path);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	(void)im;
	return code;
}

/* The member's name and kind; anything but a plain regular file with a name a bundle uses is refused. */
static int next_member(struct sl_bundle_imp *im, struct vol *v, struct archive_entry **e, char sha[SL_SHA256_HEX])
{
	int rc = archive_read_next_header(v->a, e);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK)
		return refuse(im, v, -SL_E_ARCHIVE, "damaged or truncated volume: %s",
			      archive_error_string(v->a) ? archive_error_string(v->a) : "tar error");
	const char *name = archive_entry_pathname(*e), *why = NULL;
	if (name == NULL)
		return refuse(im, v, -SL_E_BADNAME, "member without a name");
	if (archive_entry_hardlink(*e) != NULL)
		return refuse(im, v, -SL_E_BADNAME, "member '%s' is a hard link", name);
	if (archive_entry_symlink(*e) != NULL || archive_entry_filetype(*e) == AE_IFLNK)
		return refuse(im, v, -SL_E_BADNAME, "member '%s' is a symbolic link", name);
	if (archive_entry_filetype(*e) != AE_IFREG)
		return refuse(im, v, -SL_E_BADNAME, "member '%s' is not a regular file (device, directory or fifo)",
			      name);
	int kind = sl_bundle_member_parse(name, sha, &why);
	if (kind < 0)
		return refuse(im, v, kind, "hostile member '%.200s': %s", name, why);
	if (archive_entry_size(*e) < 0)
		return refuse(im, v, -SL_E_PARSE, "member '%s' has no size", name);
	return kind;
}

/* A member's bytes into a heap buffer of at most cap bytes. */
static int read_small(struct sl_bundle_imp *im, struct vol *v, struct archive_entry *e, size_t cap, char **out,
		      size_t *len)
{
	la_int64_t size = archive_entry_size(e);
	if (size < 0 || (uint64_t)size > cap)
		return refuse(im, v, -SL_E_TOOBIG, "member '%s' is larger than %zu bytes", archive_entry_pathname(e), cap);
	char *b = malloc((size_t)size + 1);
	if (b == NULL)
		return refuse(im, v, -ENOMEM, "out of memory");
	size_t got = 0;
	while (got < (size_t)size) {
		la_ssize_t n = archive_read_data(v->a, b + got, (size_t)size - got);
		if (n <= 0) {
			free(b);
			return refuse(im, v, -SL_E_ARCHIVE, "truncated member '%s'", archive_entry_pathname(e));
		}
		got += (size_t)n;
	}
	b[got] = '\0';
	*out = b;
	*len = got;
	return 0;
}

/* Manifest and signature: the exporter must be trusted before anything else of the volume is read. */
static int read_head(struct sl_bundle_imp *im, struct vol *v)
{
	struct archive_entry *e;
	char sha[SL_SHA256_HEX];
	int kind = next_member(im, v, &e, sha);
	if (kind < 0)
		return kind;
	if (kind != SL_MEMBER_MANIFEST)
		return refuse(im, v, -SL_E_PARSE, "not a sluice bundle volume (the first member is not MANIFEST)");
	int rc = read_small(im, v, e, SL_MAX_BUNDLE_MANIFEST, &v->manifest, &v->mlen);
	if (rc < 0)
		return rc;
	kind = next_member(im, v, &e, sha);
	if (kind < 0)
		return kind;
	if (kind != SL_MEMBER_SIGNATURE)
		return refuse(im, v, -SL_E_SIGNATURE, "the manifest is not followed by its signature (MANIFEST.sig)");
	char *sig = NULL;
	size_t siglen = 0;
	rc = read_small(im, v, e, SL_MAX_SIGNATURE_BYTES, &sig, &siglen);
	if (rc < 0)
		return rc;
	struct sl_gpg_result res = { 0 };
	rc = sl_gpg_verify_detached(im->gpg, v->manifest, v->mlen, sig, siglen, &res);
	free(sig);
	if (rc < 0) {
		rc = refuse(im, v, -SL_E_SIGNATURE, "not signed by a trusted exporter ([import] keyring %s): %s",
			    im->keyring, res.reason ? res.reason : sl_strerror(rc));
		sl_gpg_result_release(&res);
		return rc;
	}
	char *cause = NULL;
	rc = sl_bundle_manifest_check(v->manifest, v->mlen, &v->h, &v->end, &cause);
	if (rc < 0) {
		rc = refuse(im, v, rc, "malformed manifest: %s", cause ? cause : sl_strerror(rc));
		free(cause);
		sl_gpg_result_release(&res);
		return rc;
	}
	bool same = strcasecmp(res.fpr, v->h.exporter) == 0;
	sl_gpg_result_release(&res);
	if (!same)
		return refuse(im, v, -SL_E_SIGNATURE, "the manifest names exporter %s but another key signed it",
			      v->h.exporter);
	sl_digest_sha256(v->manifest, v->mlen, v->manifest_sha);
	time_t now = time(NULL);
	if (v->h.valid_until < now)
		return refuse(im, v, -SL_E_EXPIRED, "bundle %" PRIu64 " expired (valid until %" PRId64 ")", v->h.sequence,
			      v->h.valid_until);
	if (v->h.created > now + 86400)
		return refuse(im, v, -SL_E_FUTURE, "bundle %" PRIu64 " is dated in the future", v->h.sequence);
	if (im->max_age_s > 0 && now - v->h.created > im->max_age_s)
		return refuse(im, v, -SL_E_EXPIRED, "bundle %" PRIu64 " is older than [import] max_age", v->h.sequence);
	return 0;
}

/* Replay: a sequence lands once; an older one than the newest landed never does. 1: already imported. */
static int check_replay(struct sl_bundle_imp *im, struct vol *v)
{
	struct sl_bundle_import b;
	int rc = sl_catalog_bundle_import_get(im->cli->cat, v->h.exporter, (int64_t)v->h.sequence, &b);
	if (rc == 0 && strcmp(b.manifest_digest, v->manifest_sha) != 0)
		return refuse(im, v, -SL_E_ROLLBACK, "exporter %s already used sequence %" PRIu64 " for another "
			      "manifest: refused", v->h.exporter, v->h.sequence);
	if (rc == 0 && b.landed) {
		printf("%s: bundle %" PRIu64 " of exporter %s was already imported: nothing to do\n", v->path,
		       v->h.sequence, v->h.exporter);
		return 1;
	}
	if (rc < 0 && rc != -SL_E_NOTFOUND)
		return rc;
	int64_t last = 0;
	if (rc == -SL_E_NOTFOUND && sl_catalog_bundle_import_last(im->cli->cat, v->h.exporter, &last) == 0 &&
	    (int64_t)v->h.sequence < last)
		return refuse(im, v, -SL_E_ROLLBACK, "bundle %" PRIu64 " is older than bundle %" PRId64 " already "
			      "imported from exporter %s: replay refused", v->h.sequence, last, v->h.exporter);
	return 0;
}

/* One object member: stream it into the store (import) or through SHA-256 (check). */
static int take_object(struct sl_bundle_imp *im, struct vol *v, const struct sl_bundle_object *o)
{
	/* An object already in the store is still read and hashed (not kept): a volume whose bytes do not
	 * match their names is hostile or damaged whatever this side already holds. */
	bool have = im->store != NULL && sl_store_has_size(im->store, o->sha256, o->size);
	struct sl_store_expect ex = { .sha256 = o->sha256, .size = (int64_t)o->size };
	struct sl_store_writer *w = NULL;
	struct sl_hasher *h = NULL;
	char *cause = NULL;
	if (im->store != NULL && !have)
		w = sl_store_writer_new(im->store, &ex, SL_STORE_DEFER_SYNC, &cause);
	else
		h = sl_hasher_new(SL_HASH_SHA256);
	if (w == NULL && h == NULL) {
		int rc = refuse(im, v, -ENOMEM, "object %s: %s", o->sha256, cause ? cause : "cannot start writing");
		free(cause);
		return rc;
	}
	uint64_t got = 0;
	int rc = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(v->a, im->buf, SL_BUNDLE_COPY_BYTES);
		if (n == 0)
			break;
		if (n < 0) {
			rc = refuse(im, v, -SL_E_ARCHIVE, "damaged or truncated volume in object %s: %s", o->sha256,
				    archive_error_string(v->a) ? archive_error_string(v->a) : "read error");
			break;
		}
		got += (uint64_t)n;
		rc = w != NULL ? sl_store_writer_write(w, im->buf, (size_t)n) : sl_hasher_update(h, im->buf, (size_t)n);
		if (rc < 0) {
			rc = refuse(im, v, rc, "object %s: %s", o->sha256, sl_strerror(rc));
			break;
		}
		sl_bundle_progress_add(&im->prog, (uint64_t)n);
	}
	char digest[SL_SHA256_HEX] = "";
	if (w != NULL) {
		if (rc < 0) {
			sl_store_writer_abort(w, false);
		} else {
			rc = sl_store_writer_commit(w, digest);
			if (rc == -SL_E_DIGEST || rc == -SL_E_SIZE)
				rc = refuse(im, v, rc, "object %s: its bytes do not match its name (%" PRIu64 " bytes read): "
					    "hostile or damaged bundle", o->sha256, got);
			else if (rc < 0)
				rc = refuse(im, v, rc, "object %s: cannot store: %s", o->sha256, sl_strerror(rc));
		}
	} else {
		if (rc == 0 && (sl_hasher_final(h, NULL, NULL, digest, NULL) < 0 || strcmp(digest, o->sha256) != 0 ||
				got != o->size))
			rc = refuse(im, v, -SL_E_DIGEST, "object %s: its bytes do not match its name", o->sha256);
		sl_hasher_free(h);
	}
	if (rc == 0 && have) {
		v->already++;
	} else if (rc == 0) {
		v->objects++;
		v->new_bytes += got;
	}
	return rc;
}

/* VOLUME, the objects in digest order (each one the manifest assigns to this volume), END, nothing after. */
static int read_body(struct sl_bundle_imp *im, struct vol *v, struct sl_bundle_reader *r)
{
	struct archive_entry *e;
	char sha[SL_SHA256_HEX], *text = NULL;
	size_t len;
	int kind = next_member(im, v, &e, sha);
	if (kind < 0)
		return kind;
	if (kind != SL_MEMBER_VOLUME)
		return refuse(im, v, -SL_E_PARSE, "no VOLUME member after the signature");
	int rc = read_small(im, v, e, SMALL_MEMBER, &text, &len);
	uint64_t seq = 0;
	unsigned n = 0;
	if (rc == 0 && (sl_bundle_volume_parse(text, len, &seq, &v->k, &n) < 0 || seq != v->h.sequence ||
			n != v->end.volumes))
		rc = refuse(im, v, -SL_E_PARSE, "VOLUME does not match the manifest (bundle %" PRIu64 ", %u volumes)",
			    v->h.sequence, v->end.volumes);
	free(text);
	if (rc < 0)
		return rc;
	char last[SL_SHA256_HEX] = "";
	uint64_t members = 0, skipped = 0;
	bool have_obj = false;
	int t = 1;
	char *cause = NULL;
	while (rc == 0) {
		kind = next_member(im, v, &e, sha);
		if (kind <= 0) {
			rc = kind < 0 ? kind
				: refuse(im, v, -SL_E_ARCHIVE, "truncated volume %u of bundle %" PRIu64 ": no END member",
					 v->k, v->h.sequence);
			break;
		}
		if (kind == SL_MEMBER_END)
			break;
		if (kind != SL_MEMBER_OBJECT)
			return refuse(im, v, -SL_E_PARSE, "duplicate or misplaced member '%s'", archive_entry_pathname(e));
		if (members > 0 && strcmp(sha, last) <= 0)
			return refuse(im, v, -SL_E_PARSE, "duplicate or out-of-order member objects/%s", sha);
		memcpy(last, sha, sizeof last);
		members++;
		/* Walk the manifest's objects up to this digest. */
		int cmp = -1;
		while (cmp < 0) {
			if (have_obj) {
				const struct sl_bundle_object *o = sl_bundle_object(r);
				cmp = strcmp(o->sha256, sha);
				if (cmp >= 0)
					break;
				if (o->volume == v->k)
					skipped++;
				have_obj = false;
			}
			t = sl_bundle_next(r, &cause);
			if (t < 0) {
				rc = refuse(im, v, t, "manifest: %s", cause ? cause : sl_strerror(t));
				free(cause);
				return rc;
			}
			if (t == SL_BREC_EOF || t == SL_BREC_END)
				break;
			have_obj = t == SL_BREC_OBJECT;
		}
		const struct sl_bundle_object *o = have_obj ? sl_bundle_object(r) : NULL;
		if (o == NULL || strcmp(o->sha256, sha) != 0 || o->volume != v->k)
			return refuse(im, v, -SL_E_BADNAME, "member objects/%s is not in the manifest%s", sha,
				      o != NULL && strcmp(o->sha256, sha) == 0 ? " for this volume" : "");
		if ((uint64_t)archive_entry_size(e) != o->size)
			return refuse(im, v, -SL_E_SIZE, "member objects/%s has %lld bytes, the manifest says %" PRIu64, sha,
				      (long long)archive_entry_size(e), o->size);
		rc = take_object(im, v, o);
		have_obj = false;
	}
	if (rc < 0)
		return rc;
	unsigned ek = 0;
	uint64_t ecount = 0;
	rc = read_small(im, v, e, SMALL_MEMBER, &text, &len);
	if (rc == 0 && (sl_bundle_end_parse(text, len, &ek, &ecount) < 0 || ek != v->k || ecount != members))
		rc = refuse(im, v, -SL_E_PARSE, "END does not match the volume's %" PRIu64 " object(s)", members);
	free(text);
	if (rc < 0)
		return rc;
	/* Objects of this volume the manifest names but the volume lacks. */
	while ((t = sl_bundle_next(r, &cause)) > 0)
		if (t == SL_BREC_OBJECT && sl_bundle_object(r)->volume == v->k)
			skipped++;
	if (t < 0) {
		rc = refuse(im, v, t, "manifest: %s", cause ? cause : sl_strerror(t));
		free(cause);
		return rc;
	}
	if (skipped > 0)
		return refuse(im, v, -SL_E_PARSE, "volume %u lacks %" PRIu64 " object(s) the manifest assigns to it",
			      v->k, skipped);
	if (archive_read_next_header(v->a, &e) != ARCHIVE_EOF)
		return refuse(im, v, -SL_E_PARSE, "member after END");
	return 0;
}

/* A manifest reader over the stored manifest (import) or the in-memory one (check). */
static struct sl_bundle_reader *open_manifest(struct sl_bundle_imp *im, struct vol *v, FILE **fp)
{
	*fp = NULL;
	if (im->store == NULL)
		return sl_bundle_reader_mem(v->manifest, v->mlen);
	*fp = sl_bundle_open_stored(im, v->manifest_sha);
	return *fp != NULL ? sl_bundle_reader_file(*fp) : NULL;
}

static int read_volume(struct sl_bundle_imp *im, const char *path);

/* Progress counts whole volume files: what the objects did not account for is added once a volume is done. */
static int one_volume(struct sl_bundle_imp *im, const char *path)
{
	uint64_t before = im->prog.done, size = sl_bundle_path_bytes(path);
	int rc = read_volume(im, path);
	if (im->prog.done < before + size)
		sl_bundle_progress_add(&im->prog, before + size - im->prog.done);
	return rc;
}

static int read_volume(struct sl_bundle_imp *im, const char *path)
{
	struct vol v = { .path = path };
	v.a = archive_read_new();
	int rc = v.a != NULL && archive_read_support_format_tar(v.a) == ARCHIVE_OK &&
		 archive_read_open_filename(v.a, path, 64 << 10) == ARCHIVE_OK ? 0 : -SL_E_ARCHIVE;
	if (rc < 0) {
		rc = refuse(im, &v, rc, "cannot open: %s",
			    v.a && archive_error_string(v.a) ? archive_error_string(v.a) : "not a tar volume");
		archive_read_free(v.a);
		return rc;
	}
	rc = read_head(im, &v);
	if (rc == 0 && im->store != NULL)
		rc = check_replay(im, &v);
	if (rc == 1) {
		free(v.manifest);
		archive_read_free(v.a);
		return 0;
	}
	if (rc == 0 && im->store != NULL) {
		struct sl_store_expect ex = { .sha256 = v.manifest_sha, .size = (int64_t)v.mlen };
		rc = sl_store_put(im->store, v.manifest, v.mlen, &ex, NULL);
		if (rc < 0)
			refuse(im, &v, rc, "cannot store the manifest: %s", sl_strerror(rc));
		free(v.manifest);
		v.manifest = NULL;
	}
	FILE *mf = NULL;
	struct sl_bundle_reader *r = rc == 0 ? open_manifest(im, &v, &mf) : NULL;
	if (rc == 0 && r == NULL)
		rc = refuse(im, &v, -ENOMEM, "cannot re-read the manifest");
	if (rc == 0)
		rc = read_body(im, &v, r);
	sl_bundle_reader_free(r);
	if (mf != NULL)
		fclose(mf);
	free(v.manifest);
	archive_read_free(v.a);
	if (rc < 0)
		return rc;
	if (im->store == NULL) {
		printf("%s: ok: bundle %" PRIu64 " of exporter %s, volume %u of %u, %" PRIu64 " object(s) intact\n", path,
		       v.h.sequence, v.h.exporter, v.k, v.end.volumes, v.objects);
		return 0;
	}
	/* The volume is whole: only now does the catalogue learn of it. */
	struct sl_bundle_import b = { .seq = (int64_t)v.h.sequence, .created_at = v.h.created,
				      .valid_until = v.h.valid_until, .volumes = v.end.volumes };
	memcpy(b.exporter, v.h.exporter, sizeof b.exporter);
	memcpy(b.manifest_digest, v.manifest_sha, sizeof b.manifest_digest);
	rc = sl_catalog_bundle_import_add(im->cli->cat, &b);
	if (rc == 0)
		rc = sl_catalog_bundle_import_volume(im->cli->cat, b.exporter, b.seq, v.k);
	if (rc < 0)
		return rc;
	if (!im->cli->json)
		printf("%s: volume %u of %u of bundle %" PRIu64 " (exporter %s): %" PRIu64 " new object(s), %" PRIu64
		       " already here\n", path, v.k, v.end.volumes, v.h.sequence, v.h.exporter, v.objects, v.already);
	im->new_objects += v.objects;
	im->new_bytes += v.new_bytes;
	return sl_bundle_land(im, b.exporter, b.seq, b.manifest_digest);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory stands for the *.tar files in it, in name order. */
static int each_path(struct sl_bundle_imp *im, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "sluice: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode))
		return one_volume(im, path);
	char **names = NULL;
	size_t n = 0;
	int rc = sl_bundle_list_dir(path, &names, &n);
	if (rc < 0) {
		fprintf(stderr, "sluice: %s: %s\n", path, sl_strerror(rc));
		return rc;
	}
	qsort(names, n, sizeof *names, cmp_str);
	int worst = 0;
	for (size_t i = 0; i < n; i++) {
		int r = one_volume(im, names[i]);
		if (r < 0 && worst == 0)
			worst = r;
		free(names[i]);
	}
	free(names);
	if (n == 0)
		fprintf(stderr, "sluice: %s: no bundle volumes (*.tar) in this directory\n", path);
	return n == 0 ? -SL_E_NOTFOUND : worst;
}

static int open_gpg(struct sl_bundle_imp *im, const char *keyring, bool temp_home)
{
	struct sl_cli *cli = im->cli;
	im->keyring = keyring != NULL ? keyring : cli->cfg != NULL ? cli->cfg->import_keyring : NULL;
	if (im->keyring == NULL) {
		fprintf(stderr, "sluice: no [import] keyring configured (the exporting sluice's public key, from its "
				"sluice keys export)%s\n", temp_home ? "; or give --keyring FILE" : "");
		return SL_EXIT_USAGE;
	}
	if (temp_home) {
		snprintf(im->home, sizeof im->home, "%s/sluice-check.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (mkdtemp(im->home) == NULL) {
			fprintf(stderr, "sluice: %s: %s\n", im->home, strerror(errno));
			im->home[0] = '\0';
			return SL_EXIT_FAIL;
		}
	} else {
		snprintf(im->home, sizeof im->home, "%s/gnupg/import", cli->cfg->state_dir);
	}
	const struct sl_strlist *allowed = cli->cfg != NULL ? &cli->cfg->import_signers : NULL;
	char *cause = NULL;
	im->gpg = sl_gpg_new(im->home, im->keyring, allowed ? (const char *const *)allowed->v : NULL,
			     allowed ? allowed->n : 0, &cause);
	if (im->gpg == NULL) {
		fprintf(stderr, "sluice: [import] keyring %s: %s\n", im->keyring, cause ? cause : "unusable");
		free(cause);
		return SL_EXIT_FAIL;
	}
	im->temp_home = temp_home;
	return SL_EXIT_OK;
}

static void close_imp(struct sl_bundle_imp *im)
{
	sl_gpg_free(im->gpg);
	if (im->temp_home && im->home[0] != '\0')
		sl_fs_rmtree(im->home);
	free(im->buf);
}

static int run_paths(struct sl_bundle_imp *im, char **paths)
{
	im->buf = malloc(SL_BUNDLE_COPY_BYTES);
	if (im->buf == NULL)
		return SL_EXIT_FAIL;
	uint64_t total = 0;
	for (size_t i = 0; paths[i] != NULL; i++)
		total += sl_bundle_path_bytes(paths[i]);
	sl_bundle_progress_start(&im->prog, im->cli->tty && !im->cli->json, im->store ? "import" : "check", total);
	int worst = 0;
	for (size_t i = 0; paths[i] != NULL; i++) {
		int rc = each_path(im, paths[i]);
		if (rc < 0 && worst == 0)
			worst = rc;
	}
	sl_bundle_progress_end(&im->prog);
	if (worst == 0)
		return im->exit;
	bool refused = worst == -SL_E_SIGNATURE || worst == -SL_E_DIGEST || worst == -SL_E_SIZE ||
		       worst == -SL_E_BADNAME || worst == -SL_E_EXPIRED || worst == -SL_E_ROLLBACK ||
		       worst == -SL_E_PARSE || worst == -SL_E_FUTURE || worst == -SL_E_TOOBIG || worst == -SL_E_ARCHIVE;
	return refused ? SL_EXIT_VERIFY : SL_EXIT_FAIL;
}

int sl_bundle_check(struct sl_cli *cli, char **paths, const char *keyring)
{
	struct sl_bundle_imp im = { .cli = cli };
	int code = open_gpg(&im, keyring, true);
	if (code == SL_EXIT_OK)
		code = run_paths(&im, paths);
	close_imp(&im);
	return code;
}

/* One import at a time (STATE/run/import.lock): two landing the same bundle would build two candidates. */
static int import_lock(struct sl_cli *cli)
{
	char dir[SL_MAX_PATH], path[SL_MAX_PATH + 16];
	snprintf(dir, sizeof dir, "%s/run", cli->cfg->state_dir);
	int rc = sl_fs_mkdirs(dir, 0770);
	snprintf(path, sizeof path, "%s/import.lock", dir);
	int fd = rc < 0 ? rc : open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		fprintf(stderr, "sluice: another sluice import is running (%s)\n", path);
		return -SL_E_LOCKED;
	}
	if (fd < 0)
		fprintf(stderr, "sluice: %s: %s\n", path, fd == -1 ? strerror(errno) : sl_strerror(fd));
	return fd;
}

int sl_bundle_import(struct sl_cli *cli, char **paths)
{
	int lock = import_lock(cli);
	if (lock < 0)
		return lock == -SL_E_LOCKED ? SL_EXIT_CONFLICT : SL_EXIT_FAIL;
	struct sl_bundle_imp im = { .cli = cli, .store = cli->store, .max_age_s = cli->cfg->import_max_age_ms / 1000 };
	im.results = cli->json ? json_array() : NULL;
	int code = open_gpg(&im, NULL, false);
	if (code == SL_EXIT_OK)
		code = run_paths(&im, paths);
	close_imp(&im);
	close(lock);
	if (im.results != NULL)
		sl_cli_json_out(im.results);
	return code;
}
