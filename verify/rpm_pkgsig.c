/* rpm_pkgsig: one package's header signature and identity through librpm (see rpm_pkgsig.h). */
#include "verify/rpm_pkgsig.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rpm/header.h>
#include <rpm/rpmio.h>
#include <rpm/rpmkeyring.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmpgp.h>
#include <rpm/rpmts.h>

#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"

struct sl_rpm_keyring {
	rpmKeyring ring;
	size_t n;
};

static pthread_once_t rpm_once = PTHREAD_ONCE_INIT;
static int rpm_init_rc;
static char log_buf[400];          /* librpm's last message of the current check */

static int log_cb(rpmlogRec rec, rpmlogCallbackData data)
{
	(void)data;
	const char *m = rpmlogRecMessage(rec);
	if (m != NULL && log_buf[0] == '\0') {
		snprintf(log_buf, sizeof log_buf, "%s", m);
		size_t l = strlen(log_buf);
		while (l > 0 && log_buf[l - 1] == '\n')
			log_buf[--l] = '\0';
	}
	return 0;   /* never let librpm print or exit */
}

static void rpm_init(void)
{
	rpm_init_rc = rpmReadConfigFiles(NULL, NULL) == 0 ? 0 : -SL_E_VERIFY;
	rpmlogSetCallback(log_cb, NULL);
}

static int add_key(struct sl_rpm_keyring *k, const uint8_t *pkt, size_t len)
{
	rpmPubkey key = rpmPubkeyNew(pkt, len);
	if (key == NULL)
		return -SL_E_PARSE;
	if (rpmKeyringAddKey(k->ring, key) == 0)
		k->n++;
	int nsub = 0;
	rpmPubkey *subs = rpmGetSubkeys(key, &nsub);
	for (int i = 0; i < nsub; i++) {
		if (rpmKeyringAddKey(k->ring, subs[i]) == 0)
			k->n++;
		rpmPubkeyFree(subs[i]);
	}
	free(subs);
	rpmPubkeyFree(key);
	return 0;
}

static int load_armored(struct sl_rpm_keyring *k, char *text, char **cause)
{
	static const char begin[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
	for (char *p = strstr(text, begin); p != NULL; p = strstr(p + 1, begin)) {
		uint8_t *pkt = NULL;
		size_t len = 0;
		if (pgpParsePkts(p, &pkt, &len) != PGPARMOR_PUBKEY || pkt == NULL)
			return sl_cause(cause, -SL_E_PARSE, "an armored key block does not parse");
		int rc = add_key(k, pkt, len);
		free(pkt);
		if (rc < 0)
			return sl_cause(cause, rc, "an armored key block is not an OpenPGP public key librpm accepts");
	}
	return 0;
}

struct sl_rpm_keyring *sl_rpm_keyring_new(const char *path, char **cause)
{
	pthread_once(&rpm_once, rpm_init);
	if (rpm_init_rc < 0) {
		sl_cause(cause, rpm_init_rc, "librpm: cannot read its configuration");
		return NULL;
	}
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		sl_cause(cause, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(SL_MAX_RPM_KEYFILE_BYTES + 1);
	size_t len = buf != NULL ? fread(buf, 1, SL_MAX_RPM_KEYFILE_BYTES + 1, f) : 0;
	fclose(f);
	struct sl_rpm_keyring *k = calloc(1, sizeof *k);
	if (buf == NULL || k == NULL || len > SL_MAX_RPM_KEYFILE_BYTES) {
		sl_cause(cause, len > SL_MAX_RPM_KEYFILE_BYTES ? -SL_E_TOOBIG : -ENOMEM, "%s: %s", path,
			 len > SL_MAX_RPM_KEYFILE_BYTES ? "key file too large" : "out of memory");
		free(buf);
		free(k);
		return NULL;
	}
	buf[len] = '\0';
	k->ring = rpmKeyringNew();
	int rc;
	if (memmem(buf, len, "-----BEGIN PGP", 14) != NULL)
		rc = load_armored(k, buf, cause);
	else
		rc = add_key(k, (const uint8_t *)buf, len) < 0
			     ? sl_cause(cause, -SL_E_PARSE, "%s: not an OpenPGP public key librpm accepts", path) : 0;
	free(buf);
	if (rc == 0 && k->n == 0)
		rc = sl_cause(cause, -SL_E_PARSE, "%s: no public key in the file", path);
	if (rc < 0) {
		sl_rpm_keyring_free(k);
		return NULL;
	}
	return k;
}

void sl_rpm_keyring_free(struct sl_rpm_keyring *k)
{
	if (k == NULL)
		return;
	rpmKeyringFree(k->ring);
	free(k);
}

size_t sl_rpm_keyring_count(const struct sl_rpm_keyring *k)
{
	return k->n;
}

static const char *hash_name(unsigned a)
{
	switch (a) {
	case PGPHASHALGO_MD5: return "MD5";
	case PGPHASHALGO_SHA1: return "SHA-1";
	case PGPHASHALGO_SHA224: return "SHA-224";
	case PGPHASHALGO_SHA256: return "SHA-256";
	case PGPHASHALGO_SHA384: return "SHA-384";
	case PGPHASHALGO_SHA512: return "SHA-512";
	default: return "an unknown digest";
	}
}

/* The header's signature packet: signer key id and digest algorithm. -SL_E_SIGNATURE when there is none. */
static int sig_params(Header h, struct sl_rpm_hdr *out, unsigned *hash)
{
	static const rpmTagVal tags[] = { RPMTAG_RSAHEADER, RPMTAG_DSAHEADER };
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		struct rpmtd_s td;
		if (!headerGet(h, tags[i], &td, HEADERGET_MINMEM))
			continue;
		pgpDigParams dig = NULL;
		int bad = pgpPrtParams(td.data, td.count, PGPTAG_SIGNATURE, &dig);
		rpmtdFreeData(&td);
		if (bad != 0 || dig == NULL) {
			pgpDigParamsFree(dig);
			snprintf(out->why, sizeof out->why, "header signature packet does not parse");
			return -SL_E_SIGNATURE;
		}
		const uint8_t *id = pgpDigParamsSignID(dig);
		for (int b = 0; b < 8; b++)
			snprintf(out->keyid + 2 * b, 3, "%02x", id[b]);
		*hash = pgpDigParamsAlgo(dig, PGPVAL_HASHALGO);
		out->sig_time = (int64_t)pgpDigParamsCreationTime(dig);
		pgpDigParamsFree(dig);
		return 0;
	}
	snprintf(out->why, sizeof out->why, "package has no header signature (unsigned)");
	return -SL_E_SIGNATURE;
}

static void copy_tag(Header h, rpmTagVal tag, char *buf, size_t cap)
{
	const char *s = headerGetString(h, tag);
	snprintf(buf, cap, "%s", s != NULL ? s : "");
}

/* Recompute the payload digest the signed header promises, from the file position after the header. */
static int check_payload(Header h, FD_t fd, struct sl_rpm_hdr *out)
{
	const char *want = NULL;
	struct rpmtd_s td;
	if (headerGet(h, RPMTAG_PAYLOADDIGEST, &td, HEADERGET_MINMEM)) {
		want = rpmtdNextString(&td);
	}
	uint64_t algo = headerGetNumber(h, RPMTAG_PAYLOADDIGESTALGO);
	unsigned alg = algo == PGPHASHALGO_SHA256 ? SL_HASH_SHA256 : algo == PGPHASHALGO_SHA512 ? SL_HASH_SHA512 : 0;
	if (want == NULL || alg == 0) {
		rpmtdFreeData(&td);
		snprintf(out->why, sizeof out->why, "header has no SHA-256/512 payload digest to bind the payload to "
			 "the signature");
		return -SL_E_SIGNATURE;
	}
	struct sl_hasher *hs = sl_hasher_new(alg);
	uint8_t buf[64 << 10];
	ssize_t n;
	while (hs != NULL && (n = Fread(buf, 1, sizeof buf, fd)) > 0)
		sl_hasher_update(hs, buf, (size_t)n);
	char s256[SL_SHA256_HEX], s512[129];
	int rc = hs != NULL && Ferror(fd) == 0 ? 0 : -EIO;
	if (rc == 0) {
		sl_hasher_final(hs, NULL, NULL, s256, s512);
		const char *got = alg == SL_HASH_SHA512 ? s512 : s256;
		if (strcmp(got, want) != 0) {
			snprintf(out->why, sizeof out->why, "payload digest %.16s... differs from the signed header's %.16s...",
				 got, want);
			rc = -SL_E_SIGNATURE;
		}
	}
	sl_hasher_free(hs);
	rpmtdFreeData(&td);
	return rc;
}

int sl_rpm_pkgsig_check(struct sl_rpm_keyring *k, const char *path, const char *name, bool payload,
			struct sl_rpm_hdr *out)
{
	memset(out, 0, sizeof *out);
	rpmts ts = rpmtsCreate();
	if (ts == NULL)
		return -ENOMEM;
	rpmtsSetKeyring(ts, k->ring);
	rpmtsSetVSFlags(ts, RPMVSF_DEFAULT);
	FD_t fd = Fopen(path, "r.ufdio");
	if (fd == NULL || Ferror(fd)) {
		if (fd != NULL)
			Fclose(fd);
		rpmtsFree(ts);
		snprintf(out->why, sizeof out->why, "cannot open the package");
		return -EIO;
	}
	Header h = NULL;
	log_buf[0] = '\0';
	rpmRC rrc = rpmReadPackageFile(ts, fd, name, &h);
	int rc = 0;
	switch (rrc) {
	case RPMRC_OK:
		break;
	case RPMRC_NOKEY:
	case RPMRC_NOTTRUSTED:
		rc = -SL_E_SIGNATURE;
		break;
	case RPMRC_NOTFOUND:
		rc = -SL_E_PARSE;
		snprintf(out->why, sizeof out->why, "not an RPM package: %s", log_buf[0] ? log_buf : "bad lead/header");
		break;
	default:
		rc = -SL_E_SIGNATURE;
		break;
	}
	unsigned hash = 0;
	if (h != NULL) {
		copy_tag(h, RPMTAG_NAME, out->name, sizeof out->name);
		copy_tag(h, RPMTAG_VERSION, out->ver, sizeof out->ver);
		copy_tag(h, RPMTAG_RELEASE, out->rel, sizeof out->rel);
		copy_tag(h, RPMTAG_ARCH, out->arch, sizeof out->arch);
		snprintf(out->epoch, sizeof out->epoch, "%" PRIu64,
			 headerIsEntry(h, RPMTAG_EPOCH) ? headerGetNumber(h, RPMTAG_EPOCH) : (uint64_t)0);
		int src = sig_params(h, out, &hash);
		if (rc == 0 && src < 0)
			rc = src;
	}
	if (rc == -SL_E_SIGNATURE && out->why[0] == '\0')
		snprintf(out->why, sizeof out->why, "%s", log_buf[0] ? log_buf : "header signature refused by librpm");
	if (rc == 0 && (hash == PGPHASHALGO_MD5 || hash == PGPHASHALGO_SHA1 || hash == PGPHASHALGO_SHA224 ||
			!(hash == PGPHASHALGO_SHA256 || hash == PGPHASHALGO_SHA384 || hash == PGPHASHALGO_SHA512))) {
		snprintf(out->why, sizeof out->why, "header signature by key %s uses %s (weak digest refused)",
			 out->keyid, hash_name(hash));
		rc = -SL_E_SIGNATURE;
	}
	if (rc == 0 && payload)
		rc = check_payload(h, fd, out);
	if (rc == 0)
		snprintf(out->why, sizeof out->why, "header signature (%s) by key %s verified", hash_name(hash), out->keyid);
	headerFree(h);
	Fclose(fd);
	rpmtsFree(ts);
	return rc;
}
