/* oci_sig: simple-signing (OpenPGP signed message, judged by verify/gpg) and cosign (ECDSA, OpenSSL) signatures over the
 * image payload JSON, and the payload's identity and digest rules. */
#include "verify/oci_sig.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/digest.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "verify/gpg.h"

#define SIG_PAYLOAD_MAX (64u << 10)   /* bytes of signed JSON: real payloads are < 1 KiB; bounds zip bombs */
#define SIG_B64_MAX     4096          /* bytes of a base64 cosign signature: ECDSA P-521 DER is < 200 */
#define SIG_PEM_MAX     (64u << 10)   /* bytes of a PEM public key file */

struct sl_oci_sig {
	struct sl_gpg *gpg;          /* simple signing: owns the home and keeps the keyring imported */
	EVP_PKEY *cosign;
};


static int load_pem(const char *path, EVP_PKEY **out, char **cause)
{
	char *pem = NULL;
	size_t len = 0;
	int rc = sl_fs_read_file(path, SIG_PEM_MAX, &pem, &len);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: cannot read: %s", path, sl_strerror(rc));
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free(pem);
	if (k == NULL)
		return sl_cause(cause, -SL_E_PARSE, "%s: not a PEM public key", path);
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
		EVP_PKEY_free(k);
		return sl_cause(cause, -SL_E_UNSUPPORTED, "%s: cosign keys are ECDSA (this is another key type)", path);
	}
	*out = k;
	return 0;
}

struct sl_oci_sig *sl_oci_sig_new(const char *gpg_home, const char *keyring, const char *cosign_pem,
				  char **cause)
{
	struct sl_oci_sig *s = calloc(1, sizeof *s);
	if (s == NULL) {
		sl_cause(cause, -ENOMEM, "out of memory");
		return NULL;
	}
	if (keyring != NULL) {
		/* sl_gpg prepares the isolated home and imports exactly this keyring; any key of it may sign. */
		s->gpg = sl_gpg_new(gpg_home, keyring, NULL, 0, cause);
		if (s->gpg == NULL) {
			sl_oci_sig_free(s);
			return NULL;
		}
	}
	if (cosign_pem != NULL && load_pem(cosign_pem, &s->cosign, cause) < 0) {
		sl_oci_sig_free(s);
		return NULL;
	}
	return s;
}

struct sl_oci_sig *sl_oci_sig_new_take(struct sl_gpg *gpg, const char *cosign_pem, char **cause)
{
	struct sl_oci_sig *s = calloc(1, sizeof *s);
	if (s == NULL) {
		sl_gpg_free(gpg);
		sl_cause(cause, -ENOMEM, "out of memory");
		return NULL;
	}
	s->gpg = gpg;
	if (cosign_pem != NULL && load_pem(cosign_pem, &s->cosign, cause) < 0) {
		sl_oci_sig_free(s);
		return NULL;
	}
	return s;
}

void sl_oci_sig_free(struct sl_oci_sig *s)
{
	if (s == NULL)
		return;
	sl_gpg_free(s->gpg);
	EVP_PKEY_free(s->cosign);
	free(s);
}

/* ---- payload ---- */

static bool is_domain(const char *c, size_t len)
{
	if (len == 9 && memcmp(c, "localhost", 9) == 0)
		return true;
	return memchr(c, '.', len) != NULL || memchr(c, ':', len) != NULL;
}

/* docker-reference "host[:port]/path[:tag][@sha256:hex]": does it name repo (and tag, and hex)? */
static bool reference_matches(const char *ref, const char *repo, const char *tag, const char *hex,
			      const char **why)
{
	char name[SL_MAX_OCI_REPO + 300];
	if (strlen(ref) >= sizeof name) {
		*why = "docker-reference too long";
		return false;
	}
	snprintf(name, sizeof name, "%s", ref);
	char *at = strchr(name, '@');
	const char *ref_digest = NULL, *ref_tag = NULL;
	if (at != NULL) {
		*at = '\0';
		ref_digest = at + 1;
	}
	char *slash = strrchr(name, '/'), *colon = strrchr(name, ':');
	if (colon != NULL && (slash == NULL || colon > slash)) {
		*colon = '\0';
		ref_tag = colon + 1;
	}
	const char *path = name;
	const char *first = strchr(name, '/');
	bool hub = false;
	if (first != NULL && is_domain(name, (size_t)(first - name))) {
		hub = (first - name == 9 && memcmp(name, "docker.io", 9) == 0) ||
		      (first - name == 15 && memcmp(name, "index.docker.io", 15) == 0);
		path = first + 1;
	} else {
		hub = true;   /* no domain: Docker Hub, by Docker's own normalisation */
	}
	char norm[sizeof name + 16];
	snprintf(norm, sizeof norm, "%s%s", hub && strchr(path, '/') == NULL ? "library/" : "", path);
	if (strcmp(norm, repo) != 0) {
		*why = "signature names another repository";
		return false;
	}
	if (ref_digest != NULL) {
		char rhex[SL_SHA256_HEX];
		if (sl_digest_parse_oci(ref_digest, rhex) != 0 || strcmp(rhex, hex) != 0) {
			*why = "signature's reference names another digest";
			return false;
		}
	}
	if (tag != NULL && ref_tag != NULL && strcmp(tag, ref_tag) != 0) {
		*why = "signature names another tag";
		return false;
	}
	return true;
}

int sl_oci_sig_payload_check(const void *payload, size_t len, const char *type, const char *repo,
			     const char *tag, const char *hex, char **reason)
{
	if (len > SIG_PAYLOAD_MAX)
		return sl_cause(reason, -SL_E_TOOBIG, "signature payload of %zu bytes exceeds the cap", len);
	json_error_t jerr;
	json_t *j = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *crit = json_object_get(j, "critical");
	const char *ptype = json_string_value(json_object_get(crit, "type"));
	const char *ref = json_string_value(json_object_get(json_object_get(crit, "identity"), "docker-reference"));
	const char *dig = json_string_value(json_object_get(json_object_get(crit, "image"),
							    "docker-manifest-digest"));
	int rc = 0;
	char dhex[SL_SHA256_HEX];
	const char *why = NULL;
	if (j == NULL)
		rc = sl_cause(reason, -SL_E_PARSE, "signature payload is not JSON: %s", jerr.text);
	else if (ptype == NULL || ref == NULL || dig == NULL)
		rc = sl_cause(reason, -SL_E_PARSE, "signature payload lacks critical.type, identity or image digest");
	else if (strcmp(ptype, type) != 0)
		rc = sl_cause(reason, -SL_E_PARSE, "signature payload type '%.80s', expected '%s'", ptype, type);
	else if (sl_digest_parse_oci(dig, dhex) != 0)
		rc = sl_cause(reason, -SL_E_PARSE, "signature payload digest '%.100s' is malformed", dig);
	else if (strcmp(dhex, hex) != 0)
		rc = sl_cause(reason, -SL_E_MISMATCH, "signature is for manifest sha256:%s, not sha256:%s", dhex, hex);
	else if (!reference_matches(ref, repo, tag, hex, &why))
		rc = sl_cause(reason, -SL_E_MISMATCH, "%s: '%.200s' is not %s%s%s", why, ref, repo, tag ? ":" : "",
			  tag ? tag : "");
	json_decref(j);
	return rc;
}

/* ---- simple signing ---- */

int sl_oci_sig_simple(struct sl_oci_sig *s, const void *sig, size_t len, const char *repo, const char *tag,
		      const char *hex, char fpr[41], char **reason)
{
	fpr[0] = '\0';
	if (s == NULL || s->gpg == NULL)
		return sl_cause(reason, -SL_E_VERIFY, "no signed_by keyring configured");
	if (len == 0)
		return sl_cause(reason, -SL_E_SIGNATURE, "empty signature");
	if (len > SL_MAX_SIGNATURE_BYTES)
		return sl_cause(reason, -SL_E_TOOBIG, "signature of %zu bytes exceeds the cap", len);
	struct sl_gpg_result res;
	int rc = sl_gpg_verify_signed(s->gpg, sig, len, &res);
	if (rc < 0) {
		sl_cause(reason, rc, "%s", res.reason ? res.reason : sl_strerror(rc));
	} else {
		/* Only the bytes GPGME vouched for were signed. */
		rc = sl_oci_sig_payload_check(res.text, res.len, SL_OCI_SIG_SIMPLE_TYPE, repo, tag, hex, reason);
		if (rc == 0) {
			memcpy(fpr, res.fpr, 41);
			sl_cause(reason, 0, "good simple-signing signature by %s", fpr);
		}
	}
	sl_gpg_result_release(&res);
	return rc;
}

/* ---- cosign ---- */

static int b64_decode(const char *in, unsigned char *out, size_t cap, size_t *len)
{
	size_t inlen = strlen(in);
	if (inlen == 0 || inlen > SIG_B64_MAX || cap < inlen)
		return -SL_E_PARSE;
	EVP_ENCODE_CTX *c = EVP_ENCODE_CTX_new();
	if (c == NULL)
		return -ENOMEM;
	int n1 = 0, n2 = 0;
	EVP_DecodeInit(c);
	int rc = EVP_DecodeUpdate(c, out, &n1, (const unsigned char *)in, (int)inlen) < 0 ||
			 EVP_DecodeFinal(c, out + n1, &n2) != 1
		 ? -SL_E_PARSE
		 : 0;
	EVP_ENCODE_CTX_free(c);
	*len = (size_t)(n1 + n2);
	return rc;
}

int sl_oci_sig_cosign(struct sl_oci_sig *s, const void *payload, size_t len, const char *sig_b64,
		      const char *repo, const char *hex, char **reason)
{
	if (s == NULL || s->cosign == NULL)
		return sl_cause(reason, -SL_E_VERIFY, "no cosign_key configured");
	if (sig_b64 == NULL)
		return sl_cause(reason, -SL_E_SIGNATURE, "cosign layer without a %s annotation", SL_OCI_SIG_COSIGN_ANNOTATION);
	if (len > SIG_PAYLOAD_MAX)
		return sl_cause(reason, -SL_E_TOOBIG, "cosign payload of %zu bytes exceeds the cap", len);
	unsigned char der[SIG_B64_MAX];
	size_t dlen = 0;
	if (b64_decode(sig_b64, der, sizeof der, &dlen) < 0)
		return sl_cause(reason, -SL_E_SIGNATURE, "cosign signature is not base64");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md == NULL)
		return sl_cause(reason, -ENOMEM, "out of memory");
	int v = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, s->cosign) == 1
			? EVP_DigestVerify(md, der, dlen, payload, len)
			: -1;
	EVP_MD_CTX_free(md);
	if (v != 1)
		return sl_cause(reason, -SL_E_SIGNATURE, "cosign signature does not verify with cosign_key");
	int rc = sl_oci_sig_payload_check(payload, len, SL_OCI_SIG_COSIGN_TYPE, repo, NULL, hex, reason);
	if (rc == 0)
		sl_cause(reason, 0, "good cosign signature by cosign_key");
	return rc;
}

int sl_oci_sig_cosign_manifest(struct sl_oci_sig *s, const void *manifest, size_t len,
			       int (*read_blob)(void *arg, const char *hex, size_t cap, uint8_t **data, size_t *len),
			       void *arg, const char *repo, const char *hex, char **reason)
{
	if (len > SL_MAX_OCI_MANIFEST)
		return sl_cause(reason, -SL_E_TOOBIG, "signature manifest of %zu bytes exceeds the cap", len);
	json_t *j = json_loadb(manifest, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *layers = json_object_get(j, "layers");
	int rc = -SL_E_SIGNATURE;
	char *why = NULL;
	for (size_t i = 0; rc != 0 && i < json_array_size(layers) && i < SL_MAX_SIGNATURES; i++) {
		json_t *l = json_array_get(layers, i);
		const char *mt = json_string_value(json_object_get(l, "mediaType"));
		const char *b64 = json_string_value(json_object_get(json_object_get(l, "annotations"),
								    SL_OCI_SIG_COSIGN_ANNOTATION));
		char lhex[SL_SHA256_HEX];
		uint8_t *payload = NULL;
		size_t plen = 0;
		if (mt == NULL || strcmp(mt, SL_OCI_SIG_COSIGN_LAYER) != 0 ||
		    sl_digest_parse_oci(json_string_value(json_object_get(l, "digest")), lhex) != 0 ||
		    read_blob(arg, lhex, SIG_PAYLOAD_MAX, &payload, &plen) < 0)
			continue;
		free(why);
		why = NULL;
		rc = sl_oci_sig_cosign(s, payload, plen, b64, repo, hex, &why);
		free(payload);
	}
	json_decref(j);
	if (why == NULL && rc != 0)
		sl_cause(&why, rc, "no usable %s layer with a signature", SL_OCI_SIG_COSIGN_LAYER);
	sl_cause(reason, rc, "%s", why ? why : "");
	free(why);
	return rc;
}
