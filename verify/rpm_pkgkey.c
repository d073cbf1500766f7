/* rpm_pkgkey: revocation and expiry of the pinned package keys, listed with GPGME (see rpm_pkgkey.h). */
#include "verify/rpm_pkgkey.h"

#include <errno.h>
#include <gpgme.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"

struct life {
	char keyid[17];          /* uppercase hex */
	char primary[41];        /* fingerprint of its primary key, for messages */
	bool revoked;            /* the subkey or its primary key */
	int64_t created, expires;   /* Unix seconds; expires 0: never */
};

struct sl_rpm_pkgkeys {
	struct life *v;
	size_t n, cap;
};

static int add(struct sl_rpm_pkgkeys *k, gpgme_key_t key, gpgme_subkey_t sk)
{
	if (sk->keyid == NULL || strlen(sk->keyid) != 16)
		return 0;
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 8;
		struct life *v = realloc(k->v, cap * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	struct life *l = &k->v[k->n++];
	snprintf(l->keyid, sizeof l->keyid, "%s", sk->keyid);
	snprintf(l->primary, sizeof l->primary, "%s", key->subkeys && key->subkeys->fpr ? key->subkeys->fpr : "");
	l->revoked = key->revoked || sk->revoked;
	l->created = sk->timestamp > 0 ? sk->timestamp : 0;
	l->expires = sk->expires > 0 ? sk->expires : 0;
	return 0;
}

static int list_keys(struct sl_rpm_pkgkeys *k, const char *home, const char *data, size_t len, char **cause)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t d = NULL;
	gpgme_error_t err = gpgme_new(&ctx);
	if (!err)
		err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	if (!err)
		err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home);
	if (!err) {
		gpgme_set_offline(ctx, 1);
		err = gpgme_data_new_from_mem(&d, data, len, 0);
	}
	if (!err)
		err = gpgme_op_keylist_from_data_start(ctx, d, 0);
	int rc = 0;
	gpgme_key_t key = NULL;
	while (!err && rc == 0 && !(err = gpgme_op_keylist_next(ctx, &key))) {
		for (gpgme_subkey_t sk = key->subkeys; sk != NULL && rc == 0; sk = sk->next)
			rc = add(k, key, sk);
		gpgme_key_unref(key);
	}
	if (err && gpg_err_code(err) == GPG_ERR_EOF)
		err = 0;
	if (ctx != NULL)
		gpgme_op_keylist_end(ctx);
	gpgme_data_release(d);
	gpgme_release(ctx);
	if (rc < 0)
		return sl_cause(cause, rc, "out of memory");
	if (err)
		return sl_cause(cause, -SL_E_VERIFY, "GnuPG cannot list the package keys: %s", gpgme_strerror(err));
	return 0;
}

struct sl_rpm_pkgkeys *sl_rpm_pkgkeys_new(const char *home, const char *keyring_path, char **cause)
{
	if (!gpgme_check_version(GPGME_VERSION)) {
		sl_cause(cause, -SL_E_UNSUPPORTED, "GPGME is older than %s", GPGME_VERSION);
		return NULL;
	}
	int rc = sl_fs_mkdirs(home, 0700);
	if (rc < 0) {
		sl_cause(cause, rc, "%s: cannot create GnuPG home: %s", home, sl_strerror(rc));
		return NULL;
	}
	char *data = NULL;
	size_t len = 0;
	rc = sl_fs_read_file(keyring_path, SL_MAX_RPM_KEYFILE_BYTES, &data, &len);
	if (rc < 0) {
		sl_cause(cause, rc, "%s: %s", keyring_path, sl_strerror(rc));
		return NULL;
	}
	struct sl_rpm_pkgkeys *k = calloc(1, sizeof *k);
	rc = k != NULL ? list_keys(k, home, data, len, cause) : sl_cause(cause, -ENOMEM, "out of memory");
	free(data);
	if (rc == 0 && k->n == 0)
		rc = sl_cause(cause, -SL_E_PARSE, "%s: GnuPG lists no key in it", keyring_path);
	if (rc < 0) {
		sl_rpm_pkgkeys_free(k);
		return NULL;
	}
	return k;
}

void sl_rpm_pkgkeys_free(struct sl_rpm_pkgkeys *k)
{
	if (k == NULL)
		return;
	free(k->v);
	free(k);
}

size_t sl_rpm_pkgkeys_count(const struct sl_rpm_pkgkeys *k)
{
	return k->n;
}

static void utc(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, cap, "@%" PRId64, t);
}

int sl_rpm_pkgkeys_check(const struct sl_rpm_pkgkeys *k, const char *keyid, int64_t sig_time, int64_t now,
			 char *why, size_t cap)
{
	const struct life *l = NULL;
	for (size_t i = 0; i < k->n && l == NULL; i++)
		if (strcasecmp(k->v[i].keyid, keyid) == 0)
			l = &k->v[i];
	char at[40], when[40] = "";
	utc(sig_time, at, sizeof at);
	if (l == NULL) {
		snprintf(why, cap, "key %s is not in the pinned package keyring (as GnuPG reads it)", keyid);
		return -SL_E_SIGNATURE;
	}
	if (l->revoked) {
		snprintf(why, cap, "key %s (primary %s) is revoked in the pinned package keyring", l->keyid, l->primary);
		return -SL_E_SIGNATURE;
	}
	if (l->expires != 0 && sig_time >= l->expires) {
		utc(l->expires, when, sizeof when);
		snprintf(why, cap, "key %s had expired (%s) when the package was signed (%s)", l->keyid, when, at);
		return -SL_E_SIGNATURE;
	}
	if (sig_time > now + SL_RPM_SIG_SKEW_S) {
		snprintf(why, cap, "header signature by key %s is dated %s, in the future (more than %d s ahead)",
			 l->keyid, at, SL_RPM_SIG_SKEW_S);
		return -SL_E_SIGNATURE;
	}
	if (sig_time + SL_RPM_SIG_SKEW_S < l->created) {
		utc(l->created, when, sizeof when);
		snprintf(why, cap, "header signature by key %s is dated %s, before the key was made (%s)", l->keyid,
			 at, when);
		return -SL_E_SIGNATURE;
	}
	return 0;
}
