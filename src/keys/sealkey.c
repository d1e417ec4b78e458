/*
 * sealkey.c - custody of an organisation's electronic seal key (segel
 * elektronik; the BSrE API's idSubscriber): a key pair generated here, its
 * certificate issued by the instance's CA with the "seal" profile (subject
 * the organisation), and the private key kept only wrapped under the
 * instance's key-wrapping key (wrap.c: AES-256-GCM, AAD
 * "openams-seal-key" 0x00 idSubscriber), in table org_seal.  A seal has no
 * passphrase: who may use it is decided above (src/esign: the agency's
 * client application, an activation code e-mailed to the seal's address,
 * a one-time code per request); every signature is audited
 * ("keys.seal_sign") before it leaves.
 *
 * Must never: write the clear key anywhere but a secret buffer, or sign
 * with a seal whose certificate is not usable.
 */
#include "keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "../audit/audit.h"
#include "../common/util.h"
#include "keysInt.h"

static size_t seal_aad(const char *id, uint8_t *out, size_t outsz)
{
	static const char label[] = "openams-seal-key";
	size_t n = strlen(id);

	if (sizeof label + n > outsz)
		return 0;
	memcpy(out, label, sizeof label);
	memcpy(out + sizeof label, id, n);
	return sizeof label + n;
}

int keys_seal_id_valid(const char *id)
{
	return id && oa_is_hex(id, 32);
}

oa_err keys_seal_create(inst *in, const keys_seal_req *q, char id[33], char serial[41])
{
	store *db = inst_store(in);
	EVP_PKEY *k = NULL;
	ca_request cr = {0};
	ca_issued is = {0};
	uint8_t rnd[16], *der = NULL, *ct = NULL, nonce[KEYS_NONCE_LEN], tag[KEYS_TAG_LEN], aad[64];
	size_t n = 0, aad_len;
	store_stmt *st;
	char object[48], detail[160];
	const char *kt = q->key_type && *q->key_type ? q->key_type : "ec-p256";
	oa_err rc;

	id[0] = serial[0] = '\0';
	if (!ca_key_type_valid(kt))
		return oa_fail(OA_ERR_INVALID, "unknown key type '%.20s'", kt);
	if (q->org == NULL || q->o == NULL || q->cn == NULL || q->email == NULL)
		return oa_fail(OA_ERR_INVALID, "a seal needs its organisation, names and e-mail");
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return oa_fail_ssl(OA_ERR_CRYPTO, "random idSubscriber");
	oa_hex(id, rnd, sizeof rnd);
	aad_len = seal_aad(id, aad, sizeof aad);
	if ((rc = ca_generate_key(kt, &k)) || (rc = keys_pkcs8_of(k, &der, &n)) ||
	    (rc = keys_kek_wrap(in, aad, aad_len, der, n, nonce, &ct, tag)))
		goto out;
	cr.profile = "seal";
	cr.key = k;
	cr.cn = q->cn;
	cr.o = q->o;
	cr.email = q->email;
	cr.actor = q->actor;
	cr.ref = "seal";
	if ((rc = store_begin(db)))
		goto out;
	if ((rc = ca_issue(inst_ca(in), &cr, &is)))
		goto tx;
	snprintf(serial, 41, "%s", is.serial);
	if ((st = store_prepare(db, "INSERT INTO org_seal (id, org, serial, key_type, email, nonce,"
	                            " ciphertext, tag, created_by, created_at)"
	                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) == NULL) {
		rc = OA_ERR_STORE;
		goto tx;
	}
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, q->org);
	store_bind_text(st, 3, is.serial);
	store_bind_text(st, 4, kt);
	store_bind_text(st, 5, q->email);
	store_bind_blob(st, 6, nonce, sizeof nonce);
	store_bind_blob(st, 7, ct, n);
	store_bind_blob(st, 8, tag, sizeof tag);
	store_bind_text(st, 9, q->actor ? q->actor : "system");
	store_bind_int(st, 10, oa_now());
	if ((rc = keys_run_or_constraint(db, st, "storing the seal")))
		goto tx;
	snprintf(object, sizeof object, "org_seal:%s", id);
	snprintf(detail, sizeof detail, "org=%s serial=%s key=%s wrap=aes-256-gcm kek=file", q->org,
	    is.serial, kt);
	rc = audit_append(db, q->actor ? q->actor : "system", "keys.seal_create", object, detail);
tx:
	if (rc == OA_OK)
		rc = store_commit(db);
	if (rc) {
		store_rollback(db);
		id[0] = serial[0] = '\0';
	}
out:
	ca_issued_free(&is);
	keys_secret_free(der, n);
	free(ct);
	EVP_PKEY_free(k);
	return rc;
}

oa_err keys_seal_get(inst *in, const char *id, keys_seal_info *out)
{
	store_stmt *st = store_prepare(inst_store(in), "SELECT id, org, serial, key_type, email,"
	                                            " created_at FROM org_seal WHERE id = ?");
	int step;

	memset(out, 0, sizeof *out);
	if (st == NULL)
		return OA_ERR_STORE;
	if (!keys_seal_id_valid(id))
		return oa_fail(OA_ERR_NOTFOUND, "no seal '%.40s'", id ? id : "");
	store_bind_text(st, 1, id);
	if ((step = store_step(st)) == STORE_ROW) {
		snprintf(out->id, sizeof out->id, "%s", store_col_text(st, 0));
		snprintf(out->org, sizeof out->org, "%s", store_col_text(st, 1));
		snprintf(out->serial, sizeof out->serial, "%s", store_col_text(st, 2));
		snprintf(out->key_type, sizeof out->key_type, "%s", store_col_text(st, 3));
		snprintf(out->email, sizeof out->email, "%s", store_col_text(st, 4));
		out->created_at = store_col_int(st, 5);
	}
	store_reset(st);
	if (step == STORE_ROW)
		return OA_OK;
	return step == STORE_DONE ? oa_fail(OA_ERR_NOTFOUND, "no seal %s", id) : OA_ERR_STORE;
}

oa_err keys_seal_list(inst *in, const char *org, int (*fn)(const keys_seal_info *, void *), void *arg)
{
	store_stmt *st = store_prepare(inst_store(in), org ? "SELECT id, org, serial, key_type, email,"
	                                                  " created_at FROM org_seal WHERE org = ?"
	                                                  " ORDER BY created_at, id"
	                                                : "SELECT id, org, serial, key_type, email,"
	                                                  " created_at FROM org_seal"
	                                                  " ORDER BY created_at, id");
	keys_seal_info i;
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	if (org)
		store_bind_text(st, 1, org);
	while ((step = store_step(st)) == STORE_ROW) {
		memset(&i, 0, sizeof i);
		snprintf(i.id, sizeof i.id, "%s", store_col_text(st, 0));
		snprintf(i.org, sizeof i.org, "%s", store_col_text(st, 1));
		snprintf(i.serial, sizeof i.serial, "%s", store_col_text(st, 2));
		snprintf(i.key_type, sizeof i.key_type, "%s", store_col_text(st, 3));
		snprintf(i.email, sizeof i.email, "%s", store_col_text(st, 4));
		i.created_at = store_col_int(st, 5);
		if (fn(&i, arg))
			break;
	}
	store_reset(st);
	return step == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}

/* The seal's key, unwrapped (caller frees). */
static oa_err seal_key(inst *in, const char *id, EVP_PKEY **key)
{
	store_stmt *st = store_prepare(inst_store(in), "SELECT nonce, ciphertext, tag FROM org_seal"
	                                            " WHERE id = ?");
	uint8_t nonce[KEYS_NONCE_LEN], tag[KEYS_TAG_LEN], aad[64], *ct = NULL, *pt = NULL;
	size_t n = 0, pl, aad_len = seal_aad(id, aad, sizeof aad);
	const void *p;
	int ok = 0;
	oa_err rc;

	*key = NULL;
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, id);
	if (store_step(st) == STORE_ROW && (p = store_col_blob(st, 0, &pl)) != NULL &&
	    pl == sizeof nonce) {
		memcpy(nonce, p, pl);
		if ((p = store_col_blob(st, 2, &pl)) != NULL && pl == sizeof tag) {
			memcpy(tag, p, pl);
			if ((p = store_col_blob(st, 1, &n)) != NULL && n > 0 && n <= KEYS_MAX_CT &&
			    (ct = malloc(n)) != NULL) {
				memcpy(ct, p, n);
				ok = 1;
			}
		}
	}
	store_reset(st);
	if (!ok) {
		free(ct);
		return oa_fail(OA_ERR_CRYPTO, "seal %s: the wrapped key is not valid", id);
	}
	if ((rc = keys_kek_unwrap(in, aad, aad_len, nonce, ct, n, tag, &pt)) == OA_OK)
		rc = keys_key_of_pkcs8(pt, n, key);
	keys_secret_free(pt, n);
	free(ct);
	return rc;
}

oa_err keys_seal_sign(inst *in, const char *id, const uint8_t digest[32], const char *actor,
    const char *ref, uint8_t **sig, size_t *siglen)
{
	store *db = inst_store(in);
	keys_seal_info si;
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t *s = NULL;
	size_t sn = 0;
	char object[48], detail[OA_MAX_AUDIT_DETAIL], hex[65];
	oa_err rc;

	*sig = NULL;
	*siglen = 0;
	if (ref && (!oa_is_clean_utf8(ref) || strlen(ref) > 256))
		return oa_fail(OA_ERR_INVALID, "reference must be clean text of at most 256 bytes");
	if ((rc = keys_seal_get(in, id, &si)) || (rc = keys_cert_usable(in, si.serial)) ||
	    (rc = seal_key(in, id, &k)))
		goto out;
	if ((ctx = EVP_PKEY_CTX_new(k, NULL)) == NULL || EVP_PKEY_sign_init(ctx) <= 0 ||
	    (EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0) ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_sign(ctx, NULL, &sn, digest, 32) <= 0 || (s = malloc(sn)) == NULL ||
	    EVP_PKEY_sign(ctx, s, &sn, digest, 32) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signing with seal %s", id);
		goto out;
	}
	snprintf(object, sizeof object, "org_seal:%s", id);
	oa_hex(hex, digest, 32);
	snprintf(detail, sizeof detail, "serial=%s digest=SHA256:%s%s%s", si.serial, hex,
	    ref ? " ref=" : "", ref ? ref : "");
	if ((rc = store_begin(db)))
		goto out;
	if ((rc = keys_cert_usable(in, si.serial)) ||
	    (rc = audit_append(db, actor ? actor : "system", "keys.seal_sign", object, detail)) ||
	    (rc = store_commit(db))) {
		store_rollback(db);
		goto out;
	}
	*sig = s;
	*siglen = sn;
	s = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	free(s);
	return rc;
}
