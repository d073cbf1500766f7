/* keys: sluice's own signing keys through GPGME: create, list active signers, retire, export, sign. */
#include "admin/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"

#define RETIRED_FILE "sluice-retired"   /* one retired fingerprint per line */
#define LONGEST_SOCKET "/S.gpg-agent.browser"

extern char **environ;

struct sl_keys {
	gpgme_ctx_t ctx;
	char *home;
	char *gpgconf;       /* path of gpgconf, from GPGME's engine list */
	char (*retired)[41];
	size_t n_retired;
	int lock_fd;         /* flock on HOME/.sluice-lock, held from open to free */
};


static bool normalize_fpr(const char *in, char out[41])
{
	if (!in || strlen(in) != 40)
		return false;
	for (size_t i = 0; i < 40; i++) {
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

static int gpg_rc(gpgme_error_t err)
{
	if (gpg_err_code(err) == GPG_ERR_ENOMEM)
		return -ENOMEM;
	return -SL_E_SIGNATURE;
}

/* Run gpgconf with --homedir; its stdout (first line, trimmed) goes to `out` when given. */
static int gpgconf(struct sl_keys *k, const char *a1, const char *a2, char *out, size_t cap)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = { k->gpgconf, "--homedir", k->home, (char *)a1, (char *)a2, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, k->gpgconf, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		return -rc;
	}
	char buf[SL_MAX_GPGCONF_OUT];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(pfd[0], buf + len, sizeof buf - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof buf - 1)
			break;
	}
	close(pfd[0]);
	buf[len] = '\0';
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -SL_E_VERIFY;
	if (out) {
		buf[strcspn(buf, "\r\n")] = '\0';
		if (strlen(buf) >= cap)
			return -SL_E_TOOBIG;
		memcpy(out, buf, strlen(buf) + 1);
	}
	return 0;
}

/* gpg-agent binds a Unix socket named after the home unless GnuPG finds a /run/user socket directory;
 * a path longer than sun_path would fail obscurely at the first signature, so decide here. */
static int check_socket_path(struct sl_keys *k, char **cause)
{
	struct sockaddr_un sa;
	char dir[SL_MAX_PATH];
	int rc = gpgconf(k, "--list-dirs", "socketdir", dir, sizeof dir);
	if (rc == 0 && strlen(dir) + strlen(LONGEST_SOCKET) < sizeof sa.sun_path)
		return 0;
	/* Works only where /run/user/UID exists (a systemd login session). */
	(void)gpgconf(k, "--create-socketdir", NULL, NULL, 0);
	rc = gpgconf(k, "--list-dirs", "socketdir", dir, sizeof dir);
	if (rc == 0 && strlen(dir) + strlen(LONGEST_SOCKET) < sizeof sa.sun_path)
		return 0;
	sl_cause(cause, 0, "%s: GnuPG home path too long for gpg-agent's socket (%zu bytes, at most %zu): "
		  "use a shorter gnupg_home or provide /run/user/%u", k->home, strlen(k->home),
		  sizeof sa.sun_path - strlen(LONGEST_SOCKET) - 1, (unsigned)geteuid());
	return -ENAMETOOLONG;
}

static int load_retired(struct sl_keys *k, char **cause)
{
	char path[SL_MAX_PATH];
	int n = snprintf(path, sizeof path, "%s/%s", k->home, RETIRED_FILE);
	if (n < 0 || (size_t)n >= sizeof path)
		return -SL_E_TOOBIG;
	char *data = NULL;
	size_t len = 0;
	int rc = sl_fs_read_file(path, (size_t)SL_MAX_SIGNATURES * 64, &data, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		sl_cause(cause, 0, "%s: %s", path, sl_strerror(rc));
		return rc;
	}
	free(k->retired);
	k->retired = calloc(len / 40 + 1, sizeof *k->retired);
	k->n_retired = 0;
	if (!k->retired) {
		free(data);
		return -ENOMEM;
	}
	for (char *save = NULL, *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, " \t\r#")] = '\0';
		if (line[0] == '\0')
			continue;
		if (!normalize_fpr(line, k->retired[k->n_retired])) {
			sl_cause(cause, 0, "%s: '%s' is not a fingerprint", path, line);
			free(data);
			return -SL_E_PARSE;
		}
		k->n_retired++;
	}
	free(data);
	return 0;
}

static bool is_retired(const struct sl_keys *k, const char *fpr)
{
	for (size_t i = 0; i < k->n_retired; i++)
		if (strcasecmp(k->retired[i], fpr) == 0)
			return true;
	return false;
}

static const char *find_gpgconf(void)
{
	gpgme_engine_info_t info = NULL;
	if (gpgme_get_engine_info(&info) != 0)
		return NULL;
	for (; info; info = info->next)
		if (info->protocol == GPGME_PROTOCOL_GPGCONF && info->file_name)
			return info->file_name;
	return NULL;
}

/* One user of the key home at a time, across processes: sl_keys_free() stops the gpg-agent, which would
 * cut off another administrator signing at the same moment (two concurrent approvals). Publishing is short,
 * so the second one simply waits. */
static int lock_home(struct sl_keys *k, char **cause)
{
	char path[SL_MAX_PATH];
	int n = snprintf(path, sizeof path, "%s/.sluice-lock", k->home);
	if (n < 0 || (size_t)n >= sizeof path)
		return sl_cause(cause, -SL_E_TOOBIG, "%s: path too long", k->home);
	k->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (k->lock_fd < 0)
		return sl_cause(cause, -errno, "%s: %s", path, strerror(errno));
	while (flock(k->lock_fd, LOCK_EX) != 0) {
		if (errno != EINTR)
			return sl_cause(cause, -errno, "%s: cannot lock: %s", path, strerror(errno));
	}
	return 0;
}

struct sl_keys *sl_keys_open(const char *gnupg_home, int allow_empty, char **cause)
{
	if (cause)
		*cause = NULL;
	if (!gnupg_home || !*gnupg_home) {
		sl_cause(cause, 0, "no GnuPG home given");
		return NULL;
	}
	if (!gpgme_check_version(GPGME_VERSION) || gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)) {
		sl_cause(cause, 0, "no usable GPGME/gpg engine");
		return NULL;
	}
	struct stat st;
	if (stat(gnupg_home, &st) < 0) {
		int rc = errno == ENOENT && allow_empty ? sl_fs_mkdirs(gnupg_home, 0700) : -errno;
		if (rc < 0 || stat(gnupg_home, &st) < 0) {
			sl_cause(cause, 0, "%s: GnuPG home: %s", gnupg_home, sl_strerror(rc < 0 ? rc : -errno));
			return NULL;
		}
	}
	/* Secret keys without passphrase: the directory is the only protection. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		sl_cause(cause, 0, "%s: GnuPG home must be a directory owned by uid %u with mode 0700 (is %04o, uid %u)",
			  gnupg_home, (unsigned)geteuid(), (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
		return NULL;
	}

	struct sl_keys *k = calloc(1, sizeof *k);
	const char *gc = find_gpgconf();
	if (!k || !(k->home = strdup(gnupg_home)) || !(k->gpgconf = strdup(gc ? gc : "/usr/bin/gpgconf"))) {
		sl_cause(cause, 0, "out of memory");
		goto fail;
	}
	k->lock_fd = -1;
	if (lock_home(k, cause) < 0 || check_socket_path(k, cause) < 0 || load_retired(k, cause) < 0)
		goto fail;

	gpgme_error_t err = gpgme_new(&k->ctx);
	if (!err)
		err = gpgme_set_protocol(k->ctx, GPGME_PROTOCOL_OpenPGP);
	if (!err)
		err = gpgme_ctx_set_engine_info(k->ctx, GPGME_PROTOCOL_OpenPGP, NULL, k->home);
	/* Keys have no passphrase; loopback makes any unexpected prompt fail instead of hang. */
	if (!err)
		err = gpgme_set_pinentry_mode(k->ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	if (err) {
		sl_cause(cause, 0, "%s: cannot set up GPGME: %s", k->home, gpgme_strerror(err));
		goto fail;
	}
	gpgme_set_offline(k->ctx, 1);
	if (!allow_empty) {
		char fpr[1][41];
		int n = sl_keys_signers(k, fpr, 1);
		if (n <= 0) {
			sl_cause(cause, 0, "%s: no usable secret signing key (run `sluice init`)", k->home);
			goto fail;
		}
	}
	return k;
fail:
	sl_keys_free(k);
	return NULL;
}

void sl_keys_free(struct sl_keys *k)
{
	if (!k)
		return;
	if (k->ctx) {
		gpgme_release(k->ctx);
		/* Stop the agent GPGME started for this home; a CLI run must not leave daemons behind. */
		if (gpgconf(k, "--kill", "gpg-agent", NULL, 0) < 0)
			sl_log_warn(NULL, "%s: could not stop gpg-agent", k->home);
	}
	if (k->lock_fd >= 0)
		close(k->lock_fd); /* releases the flock, after the agent is gone */
	free(k->home);
	free(k->gpgconf);
	free(k->retired);
	free(k);
}

int sl_keys_create(struct sl_keys *k, const char *uid, unsigned expire_days, char fpr_out[41])
{
	size_t n = uid ? strlen(uid) : 0;
	if (n == 0 || n >= SL_MAX_KEY_UID)
		return -SL_E_BADNAME;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)uid[i] < 0x20 || uid[i] == 0x7f)
			return -SL_E_BADNAME;
	if (expire_days > 36500)
		return -SL_E_CONFIG;
	unsigned flags = GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD | GPGME_CREATE_FORCE;
	if (expire_days == 0)
		flags |= GPGME_CREATE_NOEXPIRE;
	gpgme_error_t err = gpgme_op_createkey(k->ctx, uid, "ed25519", 0, (unsigned long)expire_days * 86400,
					       NULL, flags);
	gpgme_genkey_result_t res = err ? NULL : gpgme_op_genkey_result(k->ctx);
	if (err || !res || !res->fpr || !normalize_fpr(res->fpr, fpr_out)) {
		sl_log_err(NULL, "%s: creating signing key failed: %s", k->home,
			   err ? gpgme_strerror(err) : "no fingerprint");
		return err ? gpg_rc(err) : -SL_E_SIGNATURE;
	}
	sl_log_info(NULL, "%s: created signing key %s (%s)", k->home, fpr_out, uid);
	return 0;
}

struct signer {
	char fpr[41];
	long created;
};

static int by_newest(const void *a, const void *b)
{
	const struct signer *x = a, *y = b;
	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return strcmp(x->fpr, y->fpr);
}

/* Active signers, newest first; *out is heap. */
static int list_active(struct sl_keys *k, struct signer **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	struct signer *v = NULL;
	size_t n = 0;
	gpgme_set_keylist_mode(k->ctx, GPGME_KEYLIST_MODE_LOCAL);
	gpgme_error_t err = gpgme_op_keylist_start(k->ctx, NULL, 1);
	while (!err) {
		gpgme_key_t key = NULL;
		err = gpgme_op_keylist_next(k->ctx, &key);
		if (err)
			break;
		gpgme_subkey_t pk = key->subkeys;
		char fpr[41];
		bool ok = pk && pk->fpr && normalize_fpr(pk->fpr, fpr) && pk->secret && pk->can_sign &&
			  !key->revoked && !key->expired && !key->disabled && !key->invalid && !pk->revoked &&
			  !pk->expired && !pk->disabled && !pk->invalid && !is_retired(k, fpr);
		if (ok && n < SL_MAX_SIGNATURES) {
			struct signer *nv = realloc(v, (n + 1) * sizeof *v);
			if (!nv) {
				gpgme_key_unref(key);
				gpgme_op_keylist_end(k->ctx);
				free(v);
				return -ENOMEM;
			}
			v = nv;
			memcpy(v[n].fpr, fpr, sizeof fpr);
			v[n].created = pk->timestamp;
			n++;
		}
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(k->ctx);
	if (gpg_err_code(err) != GPG_ERR_EOF) {
		sl_log_err(NULL, "%s: listing secret keys failed: %s", k->home, gpgme_strerror(err));
		free(v);
		return gpg_rc(err);
	}
	if (n > 1)
		qsort(v, n, sizeof *v, by_newest);
	*out = v;
	*count = n;
	return 0;
}

int sl_keys_signers(struct sl_keys *k, char fprs[][41], int max)
{
	struct signer *v = NULL;
	size_t n = 0;
	int rc = list_active(k, &v, &n);
	if (rc < 0)
		return rc;
	int out = 0;
	for (size_t i = 0; i < n && out < max; i++)
		memcpy(fprs[out++], v[i].fpr, 41);
	free(v);
	return out;
}

int sl_keys_retire(struct sl_keys *k, const char *fpr)
{
	char want[41];
	if (!normalize_fpr(fpr, want))
		return -SL_E_BADNAME;
	if (is_retired(k, want))
		return 0;
	gpgme_key_t key = NULL;
	gpgme_error_t err = gpgme_get_key(k->ctx, want, &key, 1);
	bool found = !err && key && key->subkeys && key->subkeys->fpr && strcasecmp(key->subkeys->fpr, want) == 0;
	gpgme_key_unref(key);
	if (!found)
		return -SL_E_NOTFOUND;
	struct signer *v = NULL;
	size_t n = 0;
	int rc = list_active(k, &v, &n);
	if (rc < 0)
		return rc;
	bool other = false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].fpr, want) != 0)
			other = true;
	free(v);
	if (!other) {
		sl_log_err(NULL, "%s: refusing to retire %s: no other active signing key", k->home, want);
		return -SL_E_STATE;
	}

	size_t len = (k->n_retired + 1) * 41;
	char *text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	for (size_t i = 0; i < k->n_retired; i++) {
		memcpy(text + i * 41, k->retired[i], 40);
		text[i * 41 + 40] = '\n';
	}
	memcpy(text + k->n_retired * 41, want, 40);
	text[len - 1] = '\n';
	char path[SL_MAX_PATH];
	int pn = snprintf(path, sizeof path, "%s/%s", k->home, RETIRED_FILE);
	rc = (pn < 0 || (size_t)pn >= sizeof path) ? -SL_E_TOOBIG : sl_fs_write_atomic(path, text, len, 0600);
	free(text);
	if (rc < 0) {
		sl_log_err(NULL, "%s: cannot write: %s", path, sl_strerror(rc));
		return rc;
	}
	rc = load_retired(k, NULL);
	if (rc == 0)
		sl_log_info(NULL, "%s: retired signing key %s", k->home, want);
	return rc;
}

static int take_data(gpgme_data_t d, char **out, size_t *len)
{
	size_t n = 0;
	char *p = gpgme_data_release_and_get_mem(d, &n);
	char *copy = malloc(n + 1);
	if (!copy) {
		gpgme_free(p);
		return -ENOMEM;
	}
	if (n > 0)
		memcpy(copy, p, n);
	copy[n] = '\0';
	gpgme_free(p);
	*out = copy;
	*len = n;
	return 0;
}

int sl_keys_export(struct sl_keys *k, char **armor, size_t *len)
{
	*armor = NULL;
	*len = 0;
	struct signer *v = NULL;
	size_t n = 0;
	int rc = list_active(k, &v, &n);
	if (rc < 0)
		return rc;
	if (n == 0) {
		free(v);
		return -SL_E_STATE;
	}
	const char **patterns = calloc(n + 1, sizeof *patterns);
	if (!patterns) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		patterns[i] = v[i].fpr;
	gpgme_data_t d = NULL;
	gpgme_error_t err = gpgme_data_new(&d);
	if (!err) {
		gpgme_set_armor(k->ctx, 1);
		err = gpgme_op_export_ext(k->ctx, patterns, 0, d);
	}
	free(patterns);
	free(v);
	if (err) {
		gpgme_data_release(d);
		sl_log_err(NULL, "%s: exporting public keys failed: %s", k->home, gpgme_strerror(err));
		return gpg_rc(err);
	}
	rc = take_data(d, armor, len);
	if (rc == 0 && *len == 0) {
		free(*armor);
		*armor = NULL;
		return -SL_E_SIGNATURE;
	}
	return rc;
}

static bool weak_hash(gpgme_hash_algo_t h)
{
	return h == GPGME_MD_MD5 || h == GPGME_MD_SHA1 || h == GPGME_MD_RMD160 || h == GPGME_MD_MD2 ||
	       h == GPGME_MD_MD4 || h == GPGME_MD_TIGER || h == GPGME_MD_HAVAL;
}

int sl_keys_sign(struct sl_keys *k, enum sl_sign_mode mode, const void *data, size_t len, char **sig,
		 size_t *sig_len)
{
	*sig = NULL;
	*sig_len = 0;
	if (len > SL_MAX_MEMORY_BODY)
		return -SL_E_TOOBIG;
	struct signer *v = NULL;
	size_t n = 0;
	int rc = list_active(k, &v, &n);
	if (rc < 0)
		return rc;
	if (n == 0) {
		free(v);
		sl_log_err(NULL, "%s: no active signing key", k->home);
		return -SL_E_STATE;
	}
	gpgme_signers_clear(k->ctx);
	gpgme_error_t err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		gpgme_key_t key = NULL;
		err = gpgme_get_key(k->ctx, v[i].fpr, &key, 1);
		if (!err)
			err = gpgme_signers_add(k->ctx, key);
		gpgme_key_unref(key);
	}
	gpgme_data_t in = NULL, out = NULL;
	if (!err)
		err = gpgme_data_new_from_mem(&in, data, len, 0);
	if (!err)
		err = gpgme_data_new(&out);
	if (!err) {
		gpgme_set_armor(k->ctx, 1);
		gpgme_set_textmode(k->ctx, 0);
		err = gpgme_op_sign(k->ctx, in, out,
				    mode == SL_SIGN_CLEAR ? GPGME_SIG_MODE_CLEAR : GPGME_SIG_MODE_DETACH);
	}
	gpgme_data_release(in);
	gpgme_sign_result_t res = err ? NULL : gpgme_op_sign_result(k->ctx);
	size_t made = 0;
	bool weak = false;
	for (gpgme_new_signature_t s = res ? res->signatures : NULL; s; s = s->next) {
		made++;
		weak = weak || weak_hash(s->hash_algo);
	}
	gpgme_signers_clear(k->ctx);
	if (err || !res || res->invalid_signers || made != n || weak) {
		sl_log_err(NULL, "%s: signing failed: %s (%zu of %zu signatures%s)", k->home,
			   err ? gpgme_strerror(err) : "invalid signer", made, n, weak ? ", weak digest" : "");
		gpgme_data_release(out);
		free(v);
		return err ? gpg_rc(err) : -SL_E_SIGNATURE;
	}
	free(v);
	return take_data(out, sig, sig_len);
}
