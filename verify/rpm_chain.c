/* rpm_chain: verify an RPM snapshot from repomd.xml.asc down to each package's signature (see rpm_chain.h). */
#include "verify/rpm_chain.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/rpm_primary.h"
#include "core/rpm_repomd.h"
#include "core/rpm_updateinfo.h"
#include "core/store.h"
#include "verify/gpg.h"
#include "verify/rpm_pkgkey.h"
#include "verify/rpm_pkgsig.h"

#define REPOMD "repodata/repomd.xml"
#define REPOMD_SIG "repodata/repomd.xml.asc"
#define MAX_PKG_FAILURES 50   /* failing packages recorded one by one; the rest are counted */

struct rpm_verify {
	struct sl_verify_ctx *v;
	struct sl_rpm_keyring *keys;
	struct sl_rpm_pkgkeys *life;   /* revocation and expiry of the same keys (GPGME) */
	const char *signer;            /* repomd signer fingerprint (signer_fpr), or NULL */
	char signer_fpr[41];
	bool payload;                  /* recompute payload digests (metadata unsigned) */
	uint64_t ok, failed, other_arch, not_selected, bytes, recorded_failures;
	char last_keyid[17];
	int err;                       /* a failure to run at all (catalogue, I/O) */
};

void sl_rpm_chain_root_digest(const void *repomd, size_t len, const void *sig, size_t sig_len,
			      const struct sl_source *src, char *hex)
{
	struct sl_hasher *h = sl_hasher_new(SL_HASH_SHA256);
	if (h == NULL) {
		hex[0] = '\0';
		return;
	}
	sl_hasher_update(h, repomd, len);
	sl_hasher_update(h, "\0sig\0", 5);
	if (sig != NULL)
		sl_hasher_update(h, sig, sig_len);
	/* What else a verdict depends on: a changed selection or key file path must verify afresh. */
	for (size_t i = 0; i < src->architectures.n; i++)
		sl_hasher_update(h, src->architectures.v[i], strlen(src->architectures.v[i]) + 1);
	const char *keys[] = { src->keyring, src->package_keyring, src->repo_signed ? "signed" : "unsigned" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		sl_hasher_update(h, keys[i] ? keys[i] : "", keys[i] ? strlen(keys[i]) + 1 : 1);
	for (size_t i = 0; i < src->fingerprints.n; i++)
		sl_hasher_update(h, src->fingerprints.v[i], strlen(src->fingerprints.v[i]) + 1);
	sl_hasher_final(h, NULL, NULL, hex, NULL);
	sl_hasher_free(h);
}

/* The object behind an entry is present with its size; in RECHECK also re-hashed. */
static int object_ok(struct sl_verify_ctx *v, const char *sha256, uint64_t size, char *why, size_t cap)
{
	if (v->mode == SL_VERIFY_RECHECK) {
		uint64_t got = 0;
		int rc = sl_store_check(v->store, sha256, &got);
		if (rc < 0) {
			snprintf(why, cap, "stored object %.16s...: %s", sha256, rc == -SL_E_DIGEST ?
				 "its bytes no longer match its SHA-256 (altered on disk)" : sl_strerror(rc));
			return rc;
		}
		if (got != size) {
			snprintf(why, cap, "stored object has %" PRIu64 " bytes, entry says %" PRIu64, got, size);
			return -SL_E_SIZE;
		}
		return 0;
	}
	if (!sl_store_has_size(v->store, sha256, size)) {
		snprintf(why, cap, "object %.16s... of %" PRIu64 " bytes is not in the store", sha256, size);
		return -SL_E_NOTFOUND;
	}
	return 0;
}

/* SHA-512 of a stored object (for records and packages that give one). */
static int hash512(struct sl_store *st, const char *sha256, char *out)
{
	int fd = -1;
	int rc = sl_store_open_object(st, sha256, &fd, NULL);
	if (rc < 0)
		return rc;
	struct sl_hasher *h = sl_hasher_new(SL_HASH_SHA512);
	uint8_t buf[64 << 10];
	ssize_t n;
	while (h != NULL && (n = read(fd, buf, sizeof buf)) > 0)
		sl_hasher_update(h, buf, (size_t)n);
	rc = h == NULL ? -ENOMEM : n < 0 ? -errno : 0;
	close(fd);
	if (rc == 0)
		sl_hasher_final(h, NULL, NULL, NULL, out);
	sl_hasher_free(h);
	return rc;
}

/* Size, then digest, of an entry against what its signed parent says. */
static bool check_digest(struct sl_verify_ctx *v, const char *subject, const char *fpr, const struct sl_entry *e,
			 int64_t size, const char *sum_type, const char *sum, char *why, size_t cap)
{
	if (size < 0 || (uint64_t)size != e->size) {
		snprintf(why, cap, "size: entry has %" PRIu64 " bytes, signed metadata says %s%" PRId64, e->size,
			 size < 0 ? "nothing (no size) " : "", size < 0 ? 0 : size);
		return false;
	}
	if (object_ok(v, e->sha256, e->size, why, cap) < 0)
		return false;
	if (sl_rpm_sum_bits(sum_type) == 512) {
		char s512[129];
		int rc = hash512(v->store, e->sha256, s512);
		if (rc < 0 || strcmp(s512, sum) != 0) {
			snprintf(why, cap, "SHA-512 %s", rc < 0 ? sl_strerror(rc) : "differs from the signed metadata");
			return false;
		}
	} else if (strcmp(e->sha256, sum) != 0) {
		snprintf(why, cap, "SHA-256 %.16s... differs from the signed metadata's %.16s...", e->sha256, sum);
		return false;
	}
	(void)subject;
	(void)fpr;
	snprintf(why, cap, "size %" PRIu64 " and %s match the signed metadata", e->size,
		 sl_rpm_sum_bits(sum_type) == 512 ? "SHA-512" : "SHA-256");
	return true;
}

static bool sum_strong(const char *type, const char *sum, char *why, size_t cap)
{
	unsigned bits = sl_rpm_sum_bits(type);
	if (type[0] == '\0' || sum[0] == '\0') {
		snprintf(why, cap, "empty checksum refused (SHA-256 or stronger required)");
		return false;
	}
	if (bits == 0) {
		snprintf(why, cap, "checksum type %.32s refused (SHA-256 or stronger required)", type);
		return false;
	}
	if (strlen(sum) != bits / 4 || strspn(sum, "0123456789abcdef") != bits / 4) {
		snprintf(why, cap, "%.32s checksum is not %u hex digits", type, bits / 4);
		return false;
	}
	snprintf(why, cap, "%s", type);
	return true;
}

/* ---- packages --------------------------------------------------------------------------------------------- */

static bool arch_selected(const struct sl_source *src, const char *arch)
{
	for (size_t i = 0; i < src->architectures.n; i++)
		if (strcmp(src->architectures.v[i], arch) == 0)
			return true;
	return false;
}

static void pkg_fail(struct rpm_verify *rv, const char *subject, const char *check, const char *fpr, const char *why)
{
	rv->failed++;
	if (rv->recorded_failures++ < MAX_PKG_FAILURES)
		sl_verify_check(rv->v, subject, check, fpr, false, "%s", why);
}

static bool same_epoch(const char *a, const char *b)
{
	return strcmp(a[0] ? a : "0", b[0] ? b : "0") == 0;
}

static void check_package(struct rpm_verify *rv, const struct sl_rpm_pkg *p, const struct sl_entry *e)
{
	struct sl_verify_ctx *v = rv->v;
	char why[1024];
	if (!check_digest(v, p->href, rv->signer, e, p->size, p->sum_type, p->sum, why, sizeof why)) {
		pkg_fail(rv, p->href, "package-hash", rv->signer, why);
		return;
	}
	char path[SL_MAX_PATH];
	int rc = sl_store_object_path(v->store, e->sha256, path, sizeof path);
	struct sl_rpm_hdr h;
	rc = rc < 0 ? rc : sl_rpm_pkgsig_check(rv->keys, path, p->href, rv->payload, &h);
	if (rc < 0) {
		pkg_fail(rv, p->href, "package-signature", NULL, rc == -SL_E_TOOBIG ? "path too long" : h.why);
		return;
	}
	/* librpm checked the signature against a key of the keyring; whether that key could still sign then: */
	if (sl_rpm_pkgkeys_check(rv->life, h.keyid, h.sig_time, (int64_t)v->now, why, sizeof why) < 0) {
		pkg_fail(rv, p->href, "package-signature", NULL, why);
		return;
	}
	snprintf(rv->last_keyid, sizeof rv->last_keyid, "%s", h.keyid);
	if (strcmp(h.name, p->name) != 0 || !same_epoch(h.epoch, p->epoch) || strcmp(h.ver, p->ver) != 0 ||
	    strcmp(h.rel, p->rel) != 0 || strcmp(h.arch, p->arch) != 0) {
		char want[600];
		sl_rpm_pkg_nevra(p, want, sizeof want);
		snprintf(why, sizeof why, "signed header is %.100s-%.20s%s%.60s-%.60s.%.20s, primary lists %.300s", h.name,
			 same_epoch(h.epoch, "0") ? "" : h.epoch, same_epoch(h.epoch, "0") ? "" : ":", h.ver, h.rel,
			 h.arch, want);
		pkg_fail(rv, p->href, "nevra", h.keyid, why);
		return;
	}
	rv->ok++;
	rv->bytes += e->size;
}

static int on_pkg(void *arg, const struct sl_rpm_pkg *p)
{
	struct rpm_verify *rv = arg;
	struct sl_verify_ctx *v = rv->v;
	char why[512];
	if (!arch_selected(v->src, p->arch)) {
		rv->other_arch++;
		return 0;
	}
	if (!sum_strong(p->sum_type, p->sum, why, sizeof why)) {
		pkg_fail(rv, p->href, "checksum-type", rv->signer, why);
		return 0;
	}
	if (sl_rpm_href_check(p->href, p->has_base, why, sizeof why) < 0) {
		pkg_fail(rv, p->href, "location", rv->signer, why);
		return 0;
	}
	struct sl_entry e;
	int rc = sl_catalog_snapshot_entry(v->cat, v->snap_id, p->href, &e);
	if (rc == -SL_E_NOTFOUND && v->src->packages.n > 0) {
		rv->not_selected++;   /* outside the `packages =` closure: not mirrored */
		return 0;
	}
	if (rc == -SL_E_NOTFOUND) {
		pkg_fail(rv, p->href, "package-present", rv->signer, "listed in primary but not in the snapshot");
		return 0;
	}
	if (rc < 0) {
		rv->err = rc;
		return rc;
	}
	if (strcmp(e.role, "package") != 0) {
		snprintf(why, sizeof why, "primary lists a file the snapshot holds as %s", e.role);
		pkg_fail(rv, p->href, "package-present", rv->signer, why);
	} else {
		check_package(rv, p, &e);
	}
	sl_entry_release(&e);
	return 0;
}

/* ---- metadata records ---------------------------------------------------------------------------------------- */

/* zchunk: libarchive has no zchunk decoder; the signed checksum of the compressed file covers its bytes,
 * and sluice itself never decompresses it (dnf does, and checks its header checksum). */
static bool zchunk(const struct sl_rpm_record *rec)
{
	size_t l = strlen(rec->type);
	return l > 4 && strcmp(rec->type + l - 4, "_zck") == 0;
}

static int no_advisory(void *arg, const struct sl_rpm_advisory *a)
{
	(void)arg;
	(void)a;
	return 0;
}

/* updateinfo is read by the resign publisher and the differ: it must parse with the defensive reader. */
static int parse_updateinfo(ssize_t (*read)(void *arg, void *buf, size_t cap), void *read_arg, void *arg, char **cause)
{
	(void)arg;
	return sl_rpm_updateinfo_parse(read, read_arg, no_advisory, NULL, cause);
}

/* Decompress (capped at open-size) and check open-checksum; parse primary (and updateinfo) on the way. */
static void check_open(struct rpm_verify *rv, const struct sl_rpm_record *rec, const struct sl_entry *e, bool primary)
{
	struct sl_verify_ctx *v = rv->v;
	char why[512];
	bool has_open = rec->open_sum_type[0] != '\0' || rec->open_sum[0] != '\0';
	if (has_open && !sum_strong(rec->open_sum_type, rec->open_sum, why, sizeof why)) {
		sl_verify_check(v, rec->href, "checksum-type", rv->signer, false, "open-checksum: %s", why);
		return;
	}
	int fd = -1;
	int rc = sl_store_open_object(v->store, e->sha256, &fd, NULL);
	if (rc < 0) {
		sl_verify_check(v, rec->href, "open-checksum", rv->signer, false, "cannot open: %s", sl_strerror(rc));
		return;
	}
	struct sl_rpm_open o = {
		.max_out = rec->open_size >= 0 && (uint64_t)rec->open_size < SL_MAX_RPM_META_BYTES
				   ? (uint64_t)rec->open_size : SL_MAX_RPM_META_BYTES,
		.alg = !has_open ? 0 : sl_rpm_sum_bits(rec->open_sum_type) == 512 ? SL_HASH_SHA512 : SL_HASH_SHA256,
	};
	char *pcause = NULL;
	if (primary)
		rc = sl_rpm_primary_parse_fd(fd, &o, on_pkg, rv, NULL, &pcause);
	else
		rc = sl_rpm_parse_fd(fd, &o, strcmp(rec->type, "updateinfo") == 0 ? parse_updateinfo : NULL, NULL, &pcause);
	close(fd);
	if (rc < 0 && rv->err == 0) {
		const char *check = rc == -SL_E_TOOBIG || rc == -SL_E_ARCHIVE ? "decompression" : "metadata-format";
		sl_verify_check(v, rec->href, check, rv->signer, false, "%s", pcause ? pcause : sl_strerror(rc));
	} else if (rc == 0 && has_open) {
		bool ok = strcmp(o.open_sum, rec->open_sum) == 0 &&
			  (rec->open_size < 0 || o.open_size == (uint64_t)rec->open_size);
		sl_verify_check(v, rec->href, "open-checksum", rv->signer, ok,
				ok ? "%" PRIu64 " bytes decompressed, %s matches the signed open-checksum"
				   : "%" PRIu64 " bytes decompressed, %s does not match the signed open-checksum/open-size",
				o.open_size, rec->open_sum_type);
	} else if (rc == 0) {
		bool plain = o.open_size == e->size;
		sl_verify_check(v, rec->href, "open-checksum", rv->signer, plain,
				plain ? "stored uncompressed: no open-checksum needed"
				      : "compressed, but the signed record has no open-checksum");
	}
	free(pcause);
}

static void check_record(struct rpm_verify *rv, const struct sl_rpm_record *rec)
{
	struct sl_verify_ctx *v = rv->v;
	char why[512];
	const char *subject = rec->href;
	bool ok = sum_strong(rec->sum_type, rec->sum, why, sizeof why);
	sl_verify_check(v, subject, "checksum-type", rv->signer, ok, ok ? "%s record" : "%s", why);
	bool loc = sl_rpm_href_check(rec->href, rec->has_base, why, sizeof why) == 0;
	sl_verify_check(v, subject, "location", rv->signer, loc, "%s", why);
	if (!ok || !loc)
		return;
	struct sl_entry e;
	int rc = sl_catalog_snapshot_entry(v->cat, v->snap_id, rec->href, &e);
	if (rc < 0) {
		sl_verify_check(v, subject, "record-present", rv->signer, false, "%s record is not in the snapshot (%s)",
				rec->type, sl_strerror(rc));
		return;
	}
	ok = check_digest(v, subject, rv->signer, &e, rec->size, rec->sum_type, rec->sum, why, sizeof why);
	sl_verify_check(v, subject, "checksum", rv->signer, ok, "%s", why);
	if (ok && zchunk(rec))
		sl_verify_check(v, subject, "open-checksum", rv->signer, true,
				"zchunk: not decompressed by sluice; its bytes are covered by the signed checksum");
	else if (ok)
		check_open(rv, rec, &e, strcmp(rec->type, "primary") == 0);
	sl_entry_release(&e);
}

/* ---- repomd.xml ------------------------------------------------------------------------------------------------ */

static int read_entry(struct sl_verify_ctx *v, const char *path, size_t cap, uint8_t **data, size_t *len)
{
	struct sl_entry e;
	int rc = sl_catalog_snapshot_entry(v->cat, v->snap_id, path, &e);
	if (rc < 0)
		return rc;
	rc = sl_store_read(v->store, e.sha256, cap, data, len);
	sl_entry_release(&e);
	return rc;
}

static void check_signature(struct rpm_verify *rv, const uint8_t *md, size_t md_len)
{
	struct sl_verify_ctx *v = rv->v;
	const struct sl_source *src = v->src;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int rc = read_entry(v, REPOMD_SIG, SL_MAX_RPM_SIG_BYTES, &sig, &sig_len);
	if (rc == -SL_E_NOTFOUND) {
		if (src->repo_signed)
			sl_verify_check(v, REPOMD, "openpgp-signature", NULL, false,
					"no repomd.xml.asc: the upstream metadata is unsigned (refused; set repo_signed = no "
					"only for an upstream that signs packages alone)");
		else
			sl_verify_check(v, REPOMD, "repo-signed", NULL, true,
					"repo_signed = no: repomd.xml is not signed upstream; trust rests on each package's "
					"signature and its signed payload digest");
		return;
	}
	if (rc < 0) {
		sl_verify_check(v, REPOMD_SIG, "openpgp-signature", NULL, false, "cannot read: %s", sl_strerror(rc));
		return;
	}
	char *gcause = NULL;
	struct sl_gpg *gpg = sl_verify_gpg(v, src->keyring, (const char *const *)src->fingerprints.v,
					   src->fingerprints.n, &gcause);
	if (gpg == NULL) {
		sl_verify_check(v, REPOMD, "openpgp-signature", NULL, false, "keyring: %s", gcause ? gcause : "unusable");
		free(gcause);
		free(sig);
		return;
	}
	struct sl_gpg_result g = { 0 };
	rc = sl_gpg_verify_detached(gpg, md, md_len, sig, sig_len, &g);
	sl_verify_check(v, REPOMD, "openpgp-signature", rc == 0 ? g.fpr : NULL, rc == 0, "%s",
			g.reason ? g.reason : sl_strerror(rc));
	if (rc == 0) {
		snprintf(rv->signer_fpr, sizeof rv->signer_fpr, "%s", g.fpr);
		rv->signer = rv->signer_fpr;
	}
	sl_gpg_result_release(&g);
	sl_gpg_free(gpg);
	free(sig);
}

static int state_i64(struct sl_verify_ctx *v, const char *key, int64_t *out, bool *have)
{
	char *val = NULL;
	*have = false;
	int rc = sl_catalog_state_get(v->cat, v->source_id, key, &val);
	if (rc == -SL_E_NOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	*out = strtoll(val, NULL, 10);
	*have = true;
	free(val);
	return 0;
}

static bool numeric(const char *s)
{
	return s[0] != '\0' && strlen(s) < 19 && strspn(s, "0123456789") == strlen(s);
}

static int check_rollback(struct rpm_verify *rv, const struct sl_rpm_repomd *md)
{
	struct sl_verify_ctx *v = rv->v;
	if (v->mode != SL_VERIFY_ARRIVAL)
		return 0;   /* later snapshots moved the trust state on by design (verifier.h) */
	int64_t last_rev = 0, last_ts = 0;
	bool have_rev, have_ts;
	int rc = state_i64(v, "rpm.revision", &last_rev, &have_rev);
	if (rc == 0)
		rc = state_i64(v, "rpm.timestamp", &last_ts, &have_ts);
	if (rc < 0)
		return rc;
	if (!have_rev && !have_ts) {
		sl_verify_check(v, REPOMD, "rollback", rv->signer, true,
				"revision %.100s, newest timestamp %" PRId64 "; first repomd.xml accepted for this source",
				md->revision[0] ? md->revision : "(none)", md->newest_timestamp);
		return 0;
	}
	bool rev_num = numeric(md->revision);
	int64_t rev = rev_num ? strtoll(md->revision, NULL, 10) : 0;
	bool ok_rev = !have_rev || !rev_num || rev >= last_rev;
	bool ok_ts = !have_ts || md->newest_timestamp >= last_ts;
	if (!ok_rev)
		sl_verify_check(v, REPOMD, "rollback", rv->signer, false,
				"revision %s is older than the last accepted revision %" PRId64, md->revision, last_rev);
	else if (!ok_ts)
		sl_verify_check(v, REPOMD, "rollback", rv->signer, false,
				"newest timestamp %" PRId64 " is older than the last accepted %" PRId64,
				md->newest_timestamp, last_ts);
	else
		sl_verify_check(v, REPOMD, "rollback", rv->signer, true,
				"revision %.100s and newest timestamp %" PRId64 " not older than the last accepted (%" PRId64
				", %" PRId64 ")", md->revision[0] ? md->revision : "(none)", md->newest_timestamp, last_rev,
				last_ts);
	return 0;
}

/* ---- the verifier --------------------------------------------------------------------------------------------- */

static int count_packages(void *arg, const struct sl_entry *e)
{
	if (strcmp(e->role, "package") == 0)
		(*(uint64_t *)arg)++;
	return 0;
}

static void check_packages_summary(struct rpm_verify *rv)
{
	struct sl_verify_ctx *v = rv->v;
	if (rv->failed > MAX_PKG_FAILURES)
		sl_verify_check(v, "packages", "packages", rv->signer, false, "%" PRIu64 " more package(s) failed",
				rv->failed - MAX_PKG_FAILURES);
	if (rv->failed == 0)
		sl_verify_check(v, "packages", "packages", rv->signer, true,
				"%" PRIu64 " package(s), %" PRIu64 " bytes: size and pkgid digest match primary, header "
				"signature by a pinned package key (last: %s), NEVRA equal to primary%s; %" PRIu64
				" of other architectures and %" PRIu64 " outside `packages =` not mirrored", rv->ok, rv->bytes,
				rv->last_keyid[0] ? rv->last_keyid : "none", rv->payload ? ", payload digest recomputed" : "",
				rv->other_arch, rv->not_selected);
}

static int rpm_verify(struct sl_verify_ctx *v, char **cause)
{
	const struct sl_source *src = v->src;
	struct rpm_verify rv = { .v = v, .payload = !src->repo_signed };
	uint8_t *md_bytes = NULL;
	size_t md_len = 0;
	int rc = read_entry(v, REPOMD, SL_MAX_RPM_REPOMD_BYTES, &md_bytes, &md_len);
	if (rc < 0) {
		sl_verify_check(v, REPOMD, "repomd", NULL, false, "%s", rc == -SL_E_NOTFOUND
				? "the snapshot has no repodata/repomd.xml" : sl_strerror(rc));
		return sl_verify_verdict(v, cause);
	}
	check_signature(&rv, md_bytes, md_len);

	struct sl_rpm_repomd md;
	char *pcause = NULL;
	rc = sl_rpm_repomd_parse(md_bytes, md_len, &md, &pcause);
	free(md_bytes);
	sl_verify_check(v, REPOMD, "repomd-format", rv.signer, rc == 0, "%s",
			rc == 0 ? "repomd.xml parsed" : pcause ? pcause : sl_strerror(rc));
	free(pcause);
	if (rc < 0) {
		sl_rpm_repomd_release(&md);
		return sl_verify_verdict(v, cause);
	}
	if (sl_rpm_repomd_find(&md, "primary") == NULL)
		sl_verify_check(v, REPOMD, "repomd-format", rv.signer, false, "repomd.xml lists no primary");
	rc = check_rollback(&rv, &md);

	const char *pkeyring = src->package_keyring != NULL ? src->package_keyring : src->keyring;
	char *kcause = NULL;
	rv.keys = rc == 0 ? sl_rpm_keyring_new(pkeyring, &kcause) : NULL;
	char home[SL_MAX_PATH];
	if (rv.keys != NULL && (sl_verify_gpg_home(v->cfg, src, home, sizeof home) < 0 ||
				strlen(home) + sizeof "/package-keys" > sizeof home)) {
		sl_rpm_keyring_free(rv.keys);
		rv.keys = NULL;
		kcause = strdup("GnuPG home: path too long");
	} else if (rv.keys != NULL) {
		/* Its own empty home: the source's holds the repomd keyring, which may differ. */
		strcat(home, "/package-keys");
		rv.life = sl_rpm_pkgkeys_new(home, pkeyring, &kcause);
		if (rv.life == NULL) {
			sl_rpm_keyring_free(rv.keys);
			rv.keys = NULL;
		}
	}
	if (rc == 0 && rv.keys == NULL)
		sl_verify_check(v, pkeyring, "package-keyring", NULL, false, "%s", kcause ? kcause : "unusable");
	free(kcause);

	for (size_t i = 0; rc == 0 && rv.keys != NULL && i < md.n && rv.err == 0; i++)
		check_record(&rv, &md.rec[i]);
	sl_rpm_repomd_release(&md);
	if (rc == 0)
		rc = rv.err;
	if (rc == 0 && rv.keys != NULL) {
		check_packages_summary(&rv);
		uint64_t entries = 0;
		rc = sl_catalog_snapshot_entries(v->cat, v->snap_id, count_packages, &entries);
		uint64_t listed = rv.ok + rv.failed;
		if (rc == 0)
			sl_verify_check(v, "packages", "inventory", rv.signer, entries <= listed,
					entries <= listed ? "%" PRIu64 " package entries, each listed in primary"
							  : "%" PRIu64 " package entries, only %" PRIu64 " listed in primary",
					entries, listed);
	}
	sl_rpm_keyring_free(rv.keys);
	sl_rpm_pkgkeys_free(rv.life);
	if (rc < 0)
		return sl_cause(cause, rc, "catalogue: %s", sl_strerror(rc));
	return sl_verify_verdict(v, cause);
}

/* Advance the trust state: the accepted revision and newest timestamp, and the root digest that lets the
 * next sync of the same repomd.xml stop early. */
static int rpm_accept(struct sl_verify_ctx *v, char **cause)
{
	uint8_t *md_bytes = NULL, *sig = NULL;
	size_t md_len = 0, sig_len = 0;
	int rc = read_entry(v, REPOMD, SL_MAX_RPM_REPOMD_BYTES, &md_bytes, &md_len);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: %s", REPOMD, sl_strerror(rc));
	if (read_entry(v, REPOMD_SIG, SL_MAX_RPM_SIG_BYTES, &sig, &sig_len) < 0)
		sig = NULL;
	struct sl_rpm_repomd md;
	rc = sl_rpm_repomd_parse(md_bytes, md_len, &md, NULL);
	char val[32], root[SL_SHA256_HEX];
	if (rc == 0 && numeric(md.revision))
		rc = sl_catalog_state_set(v->cat, v->source_id, "rpm.revision", md.revision);
	if (rc == 0) {
		snprintf(val, sizeof val, "%" PRId64, md.newest_timestamp);
		rc = sl_catalog_state_set(v->cat, v->source_id, "rpm.timestamp", val);
	}
	if (rc == 0) {
		sl_rpm_chain_root_digest(md_bytes, md_len, sig, sig_len, v->src, root);
		rc = sl_catalog_state_set(v->cat, v->source_id, SL_RPM_STATE_ACCEPTED, root);
	}
	sl_rpm_repomd_release(&md);
	free(md_bytes);
	free(sig);
	if (rc < 0)
		return sl_cause(cause, rc, "trust state: %s", sl_strerror(rc));
	return 0;
}

const struct sl_verifier sl_rpm_verifier = {
	.verify = rpm_verify,
	.accept = rpm_accept,
};
