/* gpg: OpenPGP verification through GPGME in an isolated GnuPG home per source. The verdict is GPGME's;
 * this file only decides which of the signatures GPGME reports count. */
#include "verify/gpg.h"

#include <errno.h>
#include <gpgme.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"

#define KEYRING_STAMP "sluice-keyring.sha256"   /* SHA-256 of the keyring last imported into the home */
#define GPG_CONF "gpg.conf"

/* Written on every sl_gpg_new(): the home is sluice's, not a place for hand edits. */
static const char gpg_conf_text[] =
	"# Written by sluice; overwritten on every start. Verification only: no agent, no network.\n"
	"no-autostart\n"
	"no-auto-key-retrieve\n"
	"no-greeting\n";

/* Files of a GnuPG home that hold public keys or trust; removed before a fresh import. */
static const char *const keyring_files[] = {
	"pubring.kbx", "pubring.kbx~", "pubring.gpg", "pubring.gpg~", "trustdb.gpg", KEYRING_STAMP,
};

struct sl_gpg {
	gpgme_ctx_t ctx;
	char *homedir;
	char *keyring;
	char (*allowed)[41];
	size_t n_allowed;
};

struct sig_copy {
	char fpr[41];            /* as reported: primary or subkey fingerprint, or a key ID when unknown */
	gpgme_error_t status;
	unsigned summary;
	bool wrong_key_usage;
	gpgme_hash_algo_t hash;
};

struct reason {
	char buf[SL_MAX_REASON];
	size_t len;
};

static void reason_add(struct reason *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reason_add(struct reason *r, const char *fmt, ...)
{
	if (r->len + 1 >= sizeof r->buf)
		return;
	if (r->len > 0) {
		r->buf[r->len++] = ';';
		r->buf[r->len++] = ' ';
		r->buf[r->len] = '\0';
		if (r->len + 1 >= sizeof r->buf)
			return;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r->buf + r->len, sizeof r->buf - r->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	r->len += (size_t)n;
	if (r->len >= sizeof r->buf)
		r->len = sizeof r->buf - 1;
}


/* 40 hex digits, either case -> uppercase. */
static bool normalize_fpr(const char *in, char out[41])
{
	size_t n = strlen(in);
	if (n != 40)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
			return false;
		out[i] = c;
	}
	out[40] = '\0';
	return true;
}

static int init_gpgme(char **cause)
{
	/* gpgme_check_version() initialises the library; it must run before any other call. */
	if (!gpgme_check_version(GPGME_VERSION)) {
		sl_cause(cause, 0, "GPGME is older than %s", GPGME_VERSION);
		return -SL_E_UNSUPPORTED;
	}
	gpgme_error_t err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (err) {
		sl_cause(cause, 0, "no usable gpg engine: %s", gpgme_strerror(err));
		return -SL_E_UNSUPPORTED;
	}
	return 0;
}

static int path_in(char *buf, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= cap)
		return -SL_E_TOOBIG;
	return 0;
}

/* Create the home 0700, or tighten an existing one: gpg warns about (and an admin should never have)
 * a home other users can write. */
static int prepare_home(const char *home, char **cause)
{
	int rc = sl_fs_mkdirs(home, 0700);
	if (rc < 0) {
		sl_cause(cause, 0, "%s: cannot create GnuPG home: %s", home, sl_strerror(rc));
		return rc;
	}
	struct stat st;
	if (stat(home, &st) < 0 || !S_ISDIR(st.st_mode)) {
		sl_cause(cause, 0, "%s: not a directory", home);
		return -ENOTDIR;
	}
	if ((st.st_mode & 077) != 0 && chmod(home, 0700) < 0) {
		rc = -errno;
		sl_cause(cause, 0, "%s: cannot restrict GnuPG home to 0700: %s", home, sl_strerror(rc));
		return rc;
	}
	char path[SL_MAX_PATH];
	rc = path_in(path, sizeof path, home, GPG_CONF);
	if (rc == 0)
		rc = sl_fs_write_atomic(path, gpg_conf_text, sizeof gpg_conf_text - 1, 0600);
	if (rc < 0)
		sl_cause(cause, 0, "%s: cannot write %s: %s", home, GPG_CONF, sl_strerror(rc));
	return rc;
}

static int new_ctx(const char *home, gpgme_ctx_t *out, char **cause)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_error_t err = gpgme_new(&ctx);
	if (!err)
		err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	if (!err)
		err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home);
	/* Trust is decided here (keyring + allowed fingerprints), not by a web of trust. */
	if (!err)
		err = gpgme_set_ctx_flag(ctx, "trust-model", "always");
	if (err) {
		sl_cause(cause, 0, "%s: cannot set up GPGME: %s", home, gpgme_strerror(err));
		gpgme_release(ctx);
		return gpg_err_code(err) == GPG_ERR_ENOMEM ? -ENOMEM : -SL_E_VERIFY;
	}
	gpgme_set_offline(ctx, 1);
	gpgme_set_armor(ctx, 0);
	*out = ctx;
	return 0;
}

/* Import the keyring unless the home already holds exactly this keyring (same SHA-256). A changed keyring
 * replaces every key: the stamp is removed first and written last, so a crash in between re-imports. */
static int sync_keyring(struct sl_gpg *g, char **cause)
{
	char *data = NULL;
	size_t len = 0;
	int rc = sl_fs_read_file(g->keyring, SL_MAX_KEYRING_BYTES, &data, &len);
	if (rc < 0) {
		sl_cause(cause, 0, "%s: cannot read keyring: %s", g->keyring, sl_strerror(rc));
		return rc;
	}
	char hex[SL_SHA256_HEX];
	sl_digest_sha256(data, len, hex);

	char stamp_path[SL_MAX_PATH];
	rc = path_in(stamp_path, sizeof stamp_path, g->homedir, KEYRING_STAMP);
	if (rc < 0) {
		sl_cause(cause, 0, "%s: path too long", g->homedir);
		goto out;
	}
	char *old = NULL;
	size_t old_len = 0;
	if (sl_fs_read_file(stamp_path, SL_SHA256_HEX + 1, &old, &old_len) == 0) {
		bool same = old_len == SL_SHA256_HEX && old[SL_SHA256_HEX - 1] == '\n' &&
			    memcmp(old, hex, SL_SHA256_HEX - 1) == 0;
		free(old);
		if (same) {
			rc = 0;
			goto out;
		}
	}

	for (size_t i = 0; i < sizeof keyring_files / sizeof keyring_files[0]; i++) {
		char p[SL_MAX_PATH];
		rc = path_in(p, sizeof p, g->homedir, keyring_files[i]);
		if (rc == 0 && unlink(p) < 0 && errno != ENOENT)
			rc = -errno;
		if (rc < 0) {
			sl_cause(cause, 0, "%s: cannot remove old %s: %s", g->homedir, keyring_files[i],
				  sl_strerror(rc));
			goto out;
		}
	}

	gpgme_data_t kd = NULL;
	gpgme_error_t err = gpgme_data_new_from_mem(&kd, data, len, 0);
	if (!err)
		err = gpgme_op_import(g->ctx, kd);
	gpgme_data_release(kd);
	gpgme_import_result_t ir = err ? NULL : gpgme_op_import_result(g->ctx);
	if (err || !ir) {
		sl_cause(cause, 0, "%s: import into %s failed: %s", g->keyring, g->homedir,
			  err ? gpgme_strerror(err) : "no result");
		rc = -SL_E_VERIFY;
		goto out;
	}
	if (ir->imported + ir->unchanged == 0) {
		sl_cause(cause, 0, "%s: no usable OpenPGP public key in keyring (%d considered)", g->keyring,
			  ir->considered);
		rc = -SL_E_SIGNATURE;
		goto out;
	}
	char line[SL_SHA256_HEX + 1];
	memcpy(line, hex, SL_SHA256_HEX - 1);
	line[SL_SHA256_HEX - 1] = '\n';
	rc = sl_fs_write_atomic(stamp_path, line, SL_SHA256_HEX, 0600);
	if (rc < 0) {
		sl_cause(cause, 0, "%s: cannot write %s: %s", g->homedir, KEYRING_STAMP, sl_strerror(rc));
		goto out;
	}
	sl_log_info(NULL, "%s: imported %d key(s) into %s", g->keyring, ir->imported + ir->unchanged,
		    g->homedir);
out:
	free(data);
	return rc;
}

/* Every allowed fingerprint should name a primary key of the keyring; none at all is a configuration
 * error, some missing is worth a warning (a keyring update may drop an old archive key). */
static int check_allowed_present(struct sl_gpg *g, char **cause)
{
	size_t found = 0;
	for (size_t i = 0; i < g->n_allowed; i++) {
		gpgme_key_t key = NULL;
		gpgme_error_t err = gpgme_get_key(g->ctx, g->allowed[i], &key, 0);
		bool primary = !err && key && key->subkeys && key->subkeys->fpr &&
			       strcasecmp(key->subkeys->fpr, g->allowed[i]) == 0;
		gpgme_key_unref(key);
		if (primary)
			found++;
		else
			sl_log_warn(NULL, "%s: allowed fingerprint %s is not a primary key of this keyring",
				    g->keyring, g->allowed[i]);
	}
	if (g->n_allowed > 0 && found == 0) {
		sl_cause(cause, 0, "%s: none of the %zu allowed fingerprints is a primary key of this keyring",
			  g->keyring, g->n_allowed);
		return -SL_E_CONFIG;
	}
	return 0;
}

struct sl_gpg *sl_gpg_new(const char *homedir, const char *keyring_path, const char *const *allowed_fprs,
			  size_t n_allowed, char **cause)
{
	if (cause)
		*cause = NULL;
	if (!homedir || !*homedir || !keyring_path || !*keyring_path || (n_allowed > 0 && !allowed_fprs)) {
		sl_cause(cause, 0, "GnuPG home and keyring path are required");
		return NULL;
	}
	if (n_allowed > SL_MAX_LIST_ITEMS) {
		sl_cause(cause, 0, "%s: too many allowed fingerprints (%zu)", keyring_path, n_allowed);
		return NULL;
	}
	if (init_gpgme(cause) < 0)
		return NULL;

	struct sl_gpg *g = calloc(1, sizeof *g);
	if (!g)
		goto nomem;
	g->homedir = strdup(homedir);
	g->keyring = strdup(keyring_path);
	if (!g->homedir || !g->keyring)
		goto nomem;
	if (n_allowed > 0) {
		g->allowed = calloc(n_allowed, sizeof *g->allowed);
		if (!g->allowed)
			goto nomem;
	}
	for (size_t i = 0; i < n_allowed; i++) {
		if (!allowed_fprs[i] || !normalize_fpr(allowed_fprs[i], g->allowed[i])) {
			sl_cause(cause, 0, "%s: allowed fingerprint '%s' is not 40 hex digits", keyring_path,
				  allowed_fprs[i] ? allowed_fprs[i] : "(null)");
			goto fail;
		}
	}
	g->n_allowed = n_allowed;

	if (prepare_home(homedir, cause) < 0)
		goto fail;
	if (new_ctx(homedir, &g->ctx, cause) < 0)
		goto fail;
	if (sync_keyring(g, cause) < 0)
		goto fail;
	if (check_allowed_present(g, cause) < 0)
		goto fail;
	return g;
nomem:
	sl_cause(cause, 0, "out of memory");
fail:
	sl_gpg_free(g);
	return NULL;
}

void sl_gpg_free(struct sl_gpg *g)
{
	if (!g)
		return;
	if (g->ctx)
		gpgme_release(g->ctx);
	free(g->homedir);
	free(g->keyring);
	free(g->allowed);
	free(g);
}

void sl_gpg_result_release(struct sl_gpg_result *r)
{
	if (!r)
		return;
	free(r->text);
	free(r->reason);
	memset(r, 0, sizeof *r);
}

static bool is_allowed(const struct sl_gpg *g, const char *primary)
{
	if (g->n_allowed == 0)
		return true;
	for (size_t i = 0; i < g->n_allowed; i++)
		if (strcasecmp(g->allowed[i], primary) == 0)
			return true;
	return false;
}

static bool weak_hash(gpgme_hash_algo_t h)
{
	return h == GPGME_MD_MD5 || h == GPGME_MD_SHA1 || h == GPGME_MD_RMD160 || h == GPGME_MD_MD2 ||
	       h == GPGME_MD_MD4 || h == GPGME_MD_TIGER || h == GPGME_MD_HAVAL;
}

enum verdict { SIG_IGNORED, SIG_ACCEPTED };

/* Decide about one signature GPGME called good: the key must exist here, be valid, signing-capable, and
 * its primary must be allowed. The signature's fingerprint may be a subkey's; `primary` gets the primary. */
static enum verdict judge_good(struct sl_gpg *g, const struct sig_copy *s, char primary[41],
			       struct reason *why)
{
	const unsigned bad_bits = GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED |
				  GPGME_SIGSUM_SIG_EXPIRED | GPGME_SIGSUM_KEY_MISSING |
				  GPGME_SIGSUM_BAD_POLICY | GPGME_SIGSUM_SYS_ERROR;
	if (s->summary & bad_bits) {
		reason_add(why, "signature by %s unusable:%s%s%s%s%s%s%s", s->fpr,
			   (s->summary & GPGME_SIGSUM_RED) ? " red" : "",
			   (s->summary & GPGME_SIGSUM_KEY_REVOKED) ? " key-revoked" : "",
			   (s->summary & GPGME_SIGSUM_KEY_EXPIRED) ? " key-expired" : "",
			   (s->summary & GPGME_SIGSUM_SIG_EXPIRED) ? " signature-expired" : "",
			   (s->summary & GPGME_SIGSUM_KEY_MISSING) ? " key-missing" : "",
			   (s->summary & GPGME_SIGSUM_BAD_POLICY) ? " bad-policy" : "",
			   (s->summary & GPGME_SIGSUM_SYS_ERROR) ? " system-error" : "");
		return SIG_IGNORED;
	}
	if (s->wrong_key_usage) {
		reason_add(why, "signature by %s made with a key not meant for signing", s->fpr);
		return SIG_IGNORED;
	}
	if (weak_hash(s->hash)) {
		reason_add(why, "signature by %s uses weak digest %s", s->fpr,
			   gpgme_hash_algo_name(s->hash) ? gpgme_hash_algo_name(s->hash) : "?");
		return SIG_IGNORED;
	}
	gpgme_key_t key = NULL;
	gpgme_error_t err = gpgme_get_key(g->ctx, s->fpr, &key, 0);
	if (err || !key || !key->subkeys || !key->subkeys->fpr) {
		reason_add(why, "signature by %s: key lookup failed: %s", s->fpr,
			   err ? gpgme_strerror(err) : "no key");
		gpgme_key_unref(key);
		return SIG_IGNORED;
	}
	enum verdict v = SIG_IGNORED;
	gpgme_subkey_t sub = key->subkeys;
	while (sub && !(sub->fpr && strcasecmp(sub->fpr, s->fpr) == 0))
		sub = sub->next;
	if (!normalize_fpr(key->subkeys->fpr, primary)) {
		reason_add(why, "signature by %s: key has no v4 fingerprint", s->fpr);
	} else if (!sub) {
		reason_add(why, "signature by %s: not a key of %s", s->fpr, primary);
	} else if (key->revoked || key->expired || key->disabled || key->invalid || sub->revoked ||
		   sub->expired || sub->disabled || sub->invalid || !sub->can_sign) {
		reason_add(why, "signature by %s (primary %s): key revoked, expired, disabled or not for signing",
			   s->fpr, primary);
	} else if (!is_allowed(g, primary)) {
		reason_add(why, "good signature by %s, which is not an allowed signer", primary);
	} else {
		reason_add(why, "good signature by allowed key %s", primary);
		v = SIG_ACCEPTED;
	}
	gpgme_key_unref(key);
	return v;
}

/* Run the verification and apply the rules to every signature GPGME reports. */
static int verify(struct sl_gpg *g, gpgme_data_t sig, gpgme_data_t signed_text, gpgme_data_t plain,
		  struct sl_gpg_result *out)
{
	struct reason why = { .len = 0 };
	why.buf[0] = '\0';
	int rc = -SL_E_SIGNATURE;
	size_t n = 0;
	struct sig_copy *sigs = NULL;

	gpgme_error_t err = gpgme_op_verify(g->ctx, sig, signed_text, plain);
	if (err) {
		gpg_err_code_t code = gpg_err_code(err);
		reason_add(&why, "%s", code == GPG_ERR_NO_DATA ? "no OpenPGP signature found" : gpgme_strerror(err));
		if (code == GPG_ERR_ENOMEM)
			rc = -ENOMEM;
		goto done;
	}
	gpgme_verify_result_t vr = gpgme_op_verify_result(g->ctx);
	for (gpgme_signature_t s = vr ? vr->signatures : NULL; s; s = s->next)
		n++;
	if (n == 0) {
		reason_add(&why, "not signed");
		goto done;
	}
	if (n > SL_MAX_SIGNATURES) {
		reason_add(&why, "%zu signatures, more than the %d allowed", n, SL_MAX_SIGNATURES);
		rc = -SL_E_TOOBIG;
		goto done;
	}
	/* Copy first: key look-ups below run further GPGME operations. */
	sigs = calloc(n, sizeof *sigs);
	if (!sigs) {
		rc = -ENOMEM;
		reason_add(&why, "out of memory");
		goto done;
	}
	size_t i = 0;
	for (gpgme_signature_t s = vr->signatures; s; s = s->next, i++) {
		snprintf(sigs[i].fpr, sizeof sigs[i].fpr, "%s", s->fpr ? s->fpr : "(unknown)");
		sigs[i].status = s->status;
		sigs[i].summary = s->summary;
		sigs[i].wrong_key_usage = s->wrong_key_usage;
		sigs[i].hash = s->hash_algo;
	}

	bool bad = false, accepted = false;
	for (i = 0; i < n; i++) {
		const struct sig_copy *s = &sigs[i];
		gpg_err_code_t code = gpg_err_code(s->status);
		char primary[41] = "";
		if (code == GPG_ERR_BAD_SIGNATURE) {
			reason_add(&why, "BAD signature by %s", s->fpr);
			bad = true;
		} else if (code == GPG_ERR_NO_PUBKEY) {
			reason_add(&why, "signature by unknown key %s ignored", s->fpr);
		} else if (code != GPG_ERR_NO_ERROR) {
			reason_add(&why, "signature by %s unusable: %s", s->fpr, gpgme_strerror(s->status));
		} else if (judge_good(g, s, primary, &why) == SIG_ACCEPTED && !accepted) {
			accepted = true;
			memcpy(out->fpr, primary, sizeof out->fpr);
		}
	}
	if (bad) {
		out->fpr[0] = '\0';
		goto done;
	}
	if (!accepted) {
		reason_add(&why, "no good signature by an allowed key");
		goto done;
	}
	rc = 0;
done:
	free(sigs);
	out->reason = strdup(why.buf);
	if (!out->reason && rc == 0)
		rc = -ENOMEM;
	if (rc < 0)
		out->fpr[0] = '\0';
	return rc;
}

static int fail_early(struct sl_gpg_result *out, int rc, const char *why)
{
	free(out->reason);
	out->reason = strdup(why);
	return out->reason ? rc : -ENOMEM;
}

static bool starts_line(const char *p, size_t left, const char *s)
{
	size_t n = strlen(s);
	return left >= n && memcmp(p, s, n) == 0;
}

static const char clear_head[] = "-----BEGIN PGP SIGNED MESSAGE-----";

/* Lines of p that start with s. */
static size_t count_lines_starting(const char *p, size_t len, const char *s)
{
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		if (starts_line(p + i, len - i, s))
			n++;
		const char *nl = memchr(p + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - p) + 1;
	}
	return n;
}

/* The input must be exactly one clear-signed block: it starts with the header and holds one header and one
 * signature armor. Concatenated blocks would otherwise hand the caller the text of more than one. */
static const char *check_one_block(const char *p, size_t len)
{
	if (!starts_line(p, len, clear_head))
		return "not a clear-signed message (no '-----BEGIN PGP SIGNED MESSAGE-----' at the start)";
	if (count_lines_starting(p, len, clear_head) != 1 || count_lines_starting(p, len, "-----BEGIN PGP ") != 2)
		return "more than one OpenPGP block: refusing concatenated or nested signed messages";
	return NULL;
}

/* The plaintext GPGME writes out, grown on demand up to SL_MAX_MEMORY_BODY: an opaque message may be
 * compressed, and a few KiB must not inflate into gigabytes here. */
struct plain_buf {
	char *p;
	size_t len, cap;
	bool over, nomem;
};

static ssize_t plain_write(void *h, const void *src, size_t n)
{
	struct plain_buf *b = h;
	if (n > SL_MAX_MEMORY_BODY - b->len) {
		b->over = true;
		errno = EFBIG;
		return -1;
	}
	if (b->len + n + 1 > b->cap) {
		size_t want = b->cap ? b->cap : 4096;
		while (want < b->len + n + 1)
			want *= 2;
		char *p = realloc(b->p, want);
		if (!p) {
			b->nomem = true;
			errno = ENOMEM;
			return -1;
		}
		b->p = p;
		b->cap = want;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
	b->p[b->len] = '\0';
	return (ssize_t)n;
}

/* A message that carries its signed text (clear-signed or opaque): the same signature rules as a detached
 * signature, and out->text is what GPGME wrote out, never the input. */
static int verify_embedded(struct sl_gpg *g, const void *data, size_t len, const char *kind,
			   struct sl_gpg_result *out)
{
	struct plain_buf plain = { 0 };
	struct gpgme_data_cbs cbs = { .write = plain_write };
	gpgme_data_t in = NULL, pd = NULL;
	gpgme_error_t err = gpgme_data_new_from_mem(&in, data, len, 0);
	if (!err)
		err = gpgme_data_new_from_cbs(&pd, &cbs, &plain);
	int rc = err ? fail_early(out, -ENOMEM, "out of memory") : verify(g, in, NULL, pd, out);
	gpgme_data_release(in);
	gpgme_data_release(pd);
	if (plain.over)
		rc = fail_early(out, -SL_E_TOOBIG, "signed content larger than the cap");
	else if (plain.nomem)
		rc = fail_early(out, -ENOMEM, "out of memory");
	if (rc == 0 && !plain.p) {
		plain.p = calloc(1, 1);
		rc = plain.p ? 0 : -ENOMEM;
	}
	if (rc < 0) {
		free(plain.p);
		out->fpr[0] = '\0';
		sl_log_debug(NULL, "%s: %s verification failed: %s", g->homedir, kind, out->reason ? out->reason : "");
		return rc;
	}
	out->text = plain.p;
	out->len = plain.len;
	return 0;
}

int sl_gpg_verify_clearsigned(struct sl_gpg *g, const void *data, size_t len, struct sl_gpg_result *out)
{
	memset(out, 0, sizeof *out);
	if (len > SL_MAX_MEMORY_BODY)
		return fail_early(out, -SL_E_TOOBIG, "clear-signed input larger than the cap");
	const char *why = check_one_block(data, len);
	if (why)
		return fail_early(out, -SL_E_SIGNATURE, why);
	return verify_embedded(g, data, len, "clear-signed", out);
}

int sl_gpg_verify_signed(struct sl_gpg *g, const void *data, size_t len, struct sl_gpg_result *out)
{
	memset(out, 0, sizeof *out);
	if (len > SL_MAX_MEMORY_BODY)
		return fail_early(out, -SL_E_TOOBIG, "signed message larger than the cap");
	if (len == 0)
		return fail_early(out, -SL_E_SIGNATURE, "empty signed message: not signed");
	/* GPGME would verify a clear-signed block here too, without the one-block check above. Binary
	 * OpenPGP starts with a packet tag (bit 7 set); armored text must open with a MESSAGE armor. The
	 * signed text itself is never scanned: it may quote any header. */
	const char *p = data, *armor = NULL;
	for (size_t i = 0; !((unsigned char)p[0] & 0x80) && i < len;) {
		if (starts_line(p + i, len - i, "-----BEGIN PGP ")) {
			armor = p + i;
			break;
		}
		const char *nl = memchr(p + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - p) + 1;
	}
	if (armor && !starts_line(armor, len - (size_t)(armor - p), "-----BEGIN PGP MESSAGE-----"))
		return fail_early(out, -SL_E_SIGNATURE, starts_line(armor, len - (size_t)(armor - p), clear_head)
				  ? "a clear-signed message where an opaque signed message (gpg --sign) belongs"
				  : "armored, but not an OpenPGP MESSAGE block");
	return verify_embedded(g, data, len, "signed message", out);
}

int sl_gpg_verify_detached(struct sl_gpg *g, const void *data, size_t len, const void *sig, size_t siglen,
			   struct sl_gpg_result *out)
{
	memset(out, 0, sizeof *out);
	if (len > SL_MAX_MEMORY_BODY)
		return fail_early(out, -SL_E_TOOBIG, "signed data larger than the cap");
	if (siglen > SL_MAX_SIGNATURE_BYTES)
		return fail_early(out, -SL_E_TOOBIG, "detached signature larger than the cap");
	if (siglen == 0)
		return fail_early(out, -SL_E_SIGNATURE, "empty detached signature: not signed");

	gpgme_data_t sd = NULL, td = NULL;
	gpgme_error_t err = gpgme_data_new_from_mem(&sd, sig, siglen, 0);
	if (!err)
		err = gpgme_data_new_from_mem(&td, data, len, 0);
	if (err) {
		gpgme_data_release(sd);
		gpgme_data_release(td);
		return fail_early(out, -ENOMEM, "out of memory");
	}
	int rc = verify(g, sd, td, NULL, out);
	gpgme_data_release(sd);
	gpgme_data_release(td);
	if (rc == 0) {
		out->text = malloc(len + 1);
		if (!out->text)
			return -ENOMEM;
		if (len > 0)
			memcpy(out->text, data, len);
		out->text[len] = '\0';
		out->len = len;
	}
	return rc;
}
