/*
 * keys.c - holder key custody: create, bind, status, and the helpers of
 * the module's holder_key rows (keysInt.h); the attempts with a passphrase
 * (sign, change passphrase) are attempt.c.  See keys.h for the format, the
 * lifecycle and the error codes.
 *
 * An attempt with a passphrase (keys_sign, keys_change_passphrase) runs in
 * three short transactions around the slow, store-free unseal:
 *
 *   A  check the key (not locked, bound certificate usable), count the
 *      attempt (failures + 1), commit          -- the count is durable first
 *   -  Argon2id, verifier, AES-256-GCM open, sign or re-seal (no lock held)
 *   B  on a wrong passphrase: lock at keys.max_failures, audit, commit
 *   C  on success: re-check, forgive the failures counted before this
 *      attempt (not the attempts of others still in flight), write the new
 *      seal if any, audit, commit             -- only then the result leaves
 *
 * Must never: hold the store's write lock during Argon2id in keys_sign or
 * keys_change_passphrase, or hand out a signature whose audit record did
 * not commit.
 */
#include "keys.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "keysInt.h"

struct keys_draft {
	int64_t id;
	char holder[MAX_HOLDER + 1];
	char key_type[16];
	uint8_t *spki;
	size_t spki_len;
	keys_sealed sealed;
	char *csr_pem;
};


/* ---- helpers -------------------------------------------------------- */

/* Holder ids are account names: 1..64 of letters, digits and . _ @ + -. */
oa_err keys_check_holder(const char *h)
{
	size_t n = h ? strlen(h) : 0;

	if (n == 0 || n > MAX_HOLDER)
		return oa_fail(OA_ERR_INVALID, "holder id must be 1..%d characters", MAX_HOLDER);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && !strchr("._@+-", h[i]))
			return oa_fail(OA_ERR_INVALID,
			    "holder id may hold only letters, digits and . _ @ + -");
	return OA_OK;
}

keys_params keys_config_params(inst *in)
{
	const conf *cf = inst_conf(in);
	keys_params p = {
		(uint32_t)conf_int(cf, "keys.argon2_memory_kib"),
		(uint32_t)conf_int(cf, "keys.argon2_iterations"),
		(uint32_t)conf_int(cf, "keys.argon2_parallelism"),
	};
	return p;
}

int64_t keys_max_failures(inst *in)
{
	return conf_int(inst_conf(in), "keys.max_failures");
}

oa_err keys_run_or_constraint(store *db, store_stmt *st, const char *what)
{
	int r = store_step(st);

	store_reset(st);
	if (r == STORE_CONSTRAINT)
		return oa_fail(OA_ERR_STATE, "%s refused by the store: %s", what,
		    store_constraint_msg(db));
	if (r == STORE_ERROR)
		return OA_ERR_STORE;
	return OA_OK;
}

static oa_err spki_of(EVP_PKEY *k, uint8_t **der, size_t *n)
{
	unsigned char *p = NULL;
	int len = i2d_PUBKEY(k, &p);

	if (len <= 0 || len > MAX_SPKI) {
		OPENSSL_free(p);
		return oa_fail_ssl(OA_ERR_CRYPTO, "encoding the public key");
	}
	*der = p;
	*n = (size_t)len;
	return OA_OK;
}

/* The private key as PKCS#8 DER (RFC 5958) in a secret buffer. */
oa_err keys_pkcs8_of(EVP_PKEY *k, uint8_t **der, size_t *n)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k);
	unsigned char *buf = NULL, *p;
	int len;
	oa_err rc = OA_OK;

	*der = NULL;
	if (p8 == NULL || (len = i2d_PKCS8_PRIV_KEY_INFO(p8, NULL)) <= 0 || len > KEYS_MAX_CT) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "encoding the private key as PKCS#8");
		goto out;
	}
	if ((buf = keys_secret_alloc((size_t)len)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "secret buffer");
		goto out;
	}
	p = buf;
	if (i2d_PKCS8_PRIV_KEY_INFO(p8, &p) != len) {
		keys_secret_free(buf, (size_t)len);
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "encoding the private key as PKCS#8");
		goto out;
	}
	*der = buf;
	*n = (size_t)len;
out:
	PKCS8_PRIV_KEY_INFO_free(p8); /* clears its private key octets */
	return rc;
}

oa_err keys_key_of_pkcs8(const uint8_t *der, size_t n, EVP_PKEY **out)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n);

	*out = p8 ? EVP_PKCS82PKEY(p8) : NULL;
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (*out == NULL) {
		oa_err_clear();
		return oa_fail(OA_ERR_CRYPTO, "unsealed key is not a valid PKCS#8 private key");
	}
	return OA_OK;
}

static oa_err make_csr(EVP_PKEY *k, const char *key_type, const char *cn, char **pem)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	const EVP_MD *md = strcmp(key_type, "ec-p384") == 0 ? EVP_sha384() : EVP_sha256();
	char *data;
	long n;
	oa_err rc = OA_OK;

	*pem = NULL;
	if (req == NULL || nm == NULL || b == NULL || !X509_REQ_set_version(req, 0) ||
	    !X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_UTF8, (const unsigned char *)"ID", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_REQ_set_subject_name(req, nm) || !X509_REQ_set_pubkey(req, k) ||
	    X509_REQ_sign(req, k, md) <= 0 || !PEM_write_bio_X509_REQ(b, req) ||
	    (n = BIO_get_mem_data(b, &data)) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "making the CSR");
		goto out;
	}
	if ((*pem = malloc((size_t)n + 1)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = 0;
out:
	X509_REQ_free(req);
	X509_NAME_free(nm);
	BIO_free(b);
	return rc;
}

/* A random id in 1..2^53-1. */
static oa_err random_id(int64_t *id)
{
	uint8_t b[8];
	uint64_t v = 0;

	do {
		if (RAND_bytes(b, sizeof b) != 1)
			return oa_fail_ssl(OA_ERR_CRYPTO, "random key id");
		for (int i = 0; i < 8; i++)
			v = (v << 8) | b[i];
		v &= (UINT64_C(1) << 53) - 1;
	} while (v == 0);
	*id = (int64_t)v;
	return OA_OK;
}

#define ROW_COLS "id, holder, key_type, spki, state, serial, failures, format, kdf_memory_kib," \
	" kdf_iterations, kdf_parallelism, salt, verifier, nonce, ciphertext, tag, created_at," \
	" sealed_at, locked_at, last_used_at"

static int copy_blob(store_stmt *st, int col, uint8_t *dst, size_t want)
{
	size_t n;
	const void *p = store_col_blob(st, col, &n);

	if (n != want || p == NULL)
		return -1;
	memcpy(dst, p, n);
	return 0;
}

/* Reads key id; the sealed part's ciphertext is malloc'd into r->s. */
oa_err keys_load_row(store *db, int64_t id, struct keyrow *r)
{
	store_stmt *st = store_prepare(db, "SELECT " ROW_COLS " FROM holder_key WHERE id = ?");
	const void *p;
	size_t n;
	int step;
	oa_err rc = OA_OK;

	memset(r, 0, sizeof *r);
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, id);
	if ((step = store_step(st)) != STORE_ROW) {
		store_reset(st);
		return step == STORE_DONE ? oa_fail(OA_ERR_NOTFOUND, "no holder key %" PRId64, id)
		                          : OA_ERR_STORE;
	}
	r->id = store_col_int(st, 0);
	snprintf(r->holder, sizeof r->holder, "%s", store_col_text(st, 1));
	snprintf(r->key_type, sizeof r->key_type, "%s", store_col_text(st, 2));
	p = store_col_blob(st, 3, &n);
	if (p == NULL || n > MAX_SPKI) {
		rc = oa_fail(OA_ERR_CRYPTO, "holder key %" PRId64 ": stored public key is invalid", id);
		goto out;
	}
	memcpy(r->spki, p, n);
	r->spki_len = n;
	snprintf(r->state, sizeof r->state, "%s", store_col_text(st, 4));
	snprintf(r->serial, sizeof r->serial, "%s", store_col_text(st, 5));
	r->failures = store_col_int(st, 6);
	if (store_col_int(st, 7) != KEYS_FORMAT) {
		rc = oa_fail(OA_ERR_CRYPTO, "holder key %" PRId64 ": unknown seal format", id);
		goto out;
	}
	r->s.kdf.memory_kib = (uint32_t)store_col_int(st, 8);
	r->s.kdf.iterations = (uint32_t)store_col_int(st, 9);
	r->s.kdf.parallelism = (uint32_t)store_col_int(st, 10);
	if (copy_blob(st, 11, r->s.salt, KEYS_SALT_LEN) ||
	    copy_blob(st, 12, r->s.verifier, KEYS_VERIFIER_LEN) ||
	    copy_blob(st, 13, r->s.nonce, KEYS_NONCE_LEN) ||
	    copy_blob(st, 15, r->s.tag, KEYS_TAG_LEN)) {
		rc = oa_fail(OA_ERR_CRYPTO, "holder key %" PRId64 ": sealed fields have wrong sizes", id);
		goto out;
	}
	p = store_col_blob(st, 14, &n);
	if (p == NULL || n == 0 || n > KEYS_MAX_CT || (r->s.ct = malloc(n)) == NULL) {
		rc = oa_fail(OA_ERR_CRYPTO, "holder key %" PRId64 ": ciphertext is invalid", id);
		goto out;
	}
	memcpy(r->s.ct, p, n);
	r->s.ct_len = n;
	r->created_at = store_col_int(st, 16);
	r->sealed_at = store_col_int(st, 17);
	r->locked_at = store_col_int(st, 18);
	r->last_used_at = store_col_int(st, 19);
out:
	store_reset(st);
	if (rc)
		keys_sealed_free(&r->s);
	return rc;
}

void keys_object_of(char *out, size_t n, int64_t id)
{
	snprintf(out, n, "holder_key:%" PRId64, id);
}

/* The certificate may be used for signing now: active and within validity.
 * OA_ERR_STATE naming the status otherwise. */
oa_err keys_cert_usable(inst *in, const char *serial)
{
	ca_cert_info ci;
	char when[32];
	oa_err rc;

	if ((rc = ca_status(inst_ca(in), serial, &ci)))
		return rc == OA_ERR_NOTFOUND
		    ? oa_fail(OA_ERR_STATE, "certificate %s bound to the key does not exist", serial)
		    : rc;
	if (strcmp(ci.status, "revoked") == 0) {
		oa_time_iso(when, sizeof when, ci.revoked_at);
		return oa_fail(OA_ERR_STATE, "certificate %s is revoked (%s, %s): the key may not sign",
		    serial, ca_reason_name(ci.reason), when);
	}
	if (strcmp(ci.status, "expired") == 0 || ci.not_after <= oa_now()) {
		oa_time_iso(when, sizeof when, ci.not_after);
		return oa_fail(OA_ERR_STATE, "certificate %s is expired (not after %s): the key may not sign",
		    serial, when);
	}
	if (strcmp(ci.status, "active") != 0)
		return oa_fail(OA_ERR_STATE, "certificate %s is %s: the key may not sign", serial,
		    ci.status);
	if (ci.not_before > oa_now()) {
		oa_time_iso(when, sizeof when, ci.not_before);
		return oa_fail(OA_ERR_STATE, "certificate %s is not yet valid (not before %s)", serial,
		    when);
	}
	return OA_OK;
}

/* The certificate's SubjectPublicKeyInfo equals spki. */
oa_err keys_cert_holds(inst *in, const char *serial, const uint8_t *spki, size_t spki_len,
    int64_t key_id)
{
	uint8_t *der = NULL, *pk = NULL;
	size_t n = 0;
	const unsigned char *p;
	X509 *x = NULL;
	int len;
	oa_err rc;

	if ((rc = ca_cert_der(inst_ca(in), serial, &der, &n)))
		return rc;
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)n)) == NULL ||
	    (len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &pk)) <= 0)
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "reading certificate %s", serial);
	else if ((size_t)len != spki_len || memcmp(pk, spki, spki_len) != 0)
		rc = oa_fail(OA_ERR_POLICY,
		    "certificate %s does not hold the public key of holder key %" PRId64, serial,
		    key_id);
	OPENSSL_free(pk);
	X509_free(x);
	free(der);
	return rc;
}

/* ---- creating ------------------------------------------------------- */

oa_err keys_check_passphrase(inst *in, const char *holder, const char *passphrase,
    const keys_person *p)
{
	keys_person none = {0};

	if (p == NULL)
		p = &none;
	return keys_rules_check(holder, passphrase,
	    (size_t)conf_int(inst_conf(in), "keys.passphrase_min_length"), p->name, p->nik, p->nip,
	    p->email, p->birth_date);
}

void keys_draft_free(keys_draft *d)
{
	if (d == NULL)
		return;
	OPENSSL_free(d->spki);
	keys_sealed_free(&d->sealed);
	free(d->csr_pem);
	free(d);
}

int64_t keys_draft_id(const keys_draft *d)
{
	return d->id;
}

const char *keys_draft_csr(const keys_draft *d)
{
	return d->csr_pem;
}

oa_err keys_prepare(inst *in, const char *holder, const char *key_type, const char *passphrase,
    const keys_person *p, keys_draft **out)
{
	keys_draft *d = NULL;
	EVP_PKEY *k = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	keys_params kp = keys_config_params(in);
	keys_binding b;
	const char *cn;
	oa_err rc;

	*out = NULL;
	if ((rc = keys_check_holder(holder)))
		return rc;
	if (key_type == NULL || !ca_key_type_valid(key_type))
		return oa_fail(OA_ERR_INVALID, "unknown key type '%.20s'", key_type ? key_type : "");
	if ((rc = keys_params_check(&kp)) || (rc = keys_check_passphrase(in, holder, passphrase, p)))
		return rc;
	if ((d = calloc(1, sizeof *d)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	snprintf(d->holder, sizeof d->holder, "%s", holder);
	snprintf(d->key_type, sizeof d->key_type, "%s", key_type);
	cn = p && p->name && *p->name && oa_is_clean_utf8(p->name) &&
	        oa_utf8_chars(p->name) <= OA_MAX_NAME_CHARS ? p->name : holder;
	if ((rc = random_id(&d->id)) || (rc = ca_generate_key(key_type, &k)) ||
	    (rc = spki_of(k, &d->spki, &d->spki_len)) ||
	    (rc = make_csr(k, key_type, cn, &d->csr_pem)) || (rc = keys_pkcs8_of(k, &der, &der_len)))
		goto out;
	b = (keys_binding){d->holder, d->id, d->key_type};
	rc = keys_seal(passphrase, &kp, &b, der, der_len, &d->sealed);
out:
	keys_secret_free(der, der_len);
	EVP_PKEY_free(k); /* OpenSSL clears private key numbers on free */
	if (rc)
		keys_draft_free(d);
	else
		*out = d;
	return rc;
}

oa_err keys_draft_store(inst *in, const keys_draft *d, const char *actor)
{
	store *db = inst_store(in);
	store_stmt *st;
	char object[64], detail[256];
	int own;
	int64_t now = oa_now();
	oa_err rc;

	if ((rc = store_tx_begin(db, &own)))
		return rc;
	st = store_prepare(db,
	    "INSERT INTO holder_key (id, holder, key_type, spki, state, failures, format, kdf,"
	    " kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, verifier, nonce, ciphertext,"
	    " tag, created_at, sealed_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, 'argon2id', ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, d->id);
	store_bind_text(st, 2, d->holder);
	store_bind_text(st, 3, d->key_type);
	store_bind_blob(st, 4, d->spki, d->spki_len);
	store_bind_int(st, 5, KEYS_FORMAT);
	store_bind_int(st, 6, d->sealed.kdf.memory_kib);
	store_bind_int(st, 7, d->sealed.kdf.iterations);
	store_bind_int(st, 8, d->sealed.kdf.parallelism);
	store_bind_blob(st, 9, d->sealed.salt, KEYS_SALT_LEN);
	store_bind_blob(st, 10, d->sealed.verifier, KEYS_VERIFIER_LEN);
	store_bind_blob(st, 11, d->sealed.nonce, KEYS_NONCE_LEN);
	store_bind_blob(st, 12, d->sealed.ct, d->sealed.ct_len);
	store_bind_blob(st, 13, d->sealed.tag, KEYS_TAG_LEN);
	store_bind_int(st, 14, now);
	store_bind_int(st, 15, now);
	if ((rc = keys_run_or_constraint(db, st, "storing the holder key")))
		goto out;
	keys_object_of(object, sizeof object, d->id);
	snprintf(detail, sizeof detail,
	    "holder=%s type=%s seal=argon2id(m=%u,t=%u,p=%u)+aes-256-gcm format=%d", d->holder,
	    d->key_type, d->sealed.kdf.memory_kib, d->sealed.kdf.iterations,
	    d->sealed.kdf.parallelism, KEYS_FORMAT);
	rc = audit_append(db, actor ? actor : d->holder, "keys.create", object, detail);
out:
	return store_tx_end(db, own, rc);
}

oa_err keys_create(inst *in, const char *holder, const char *key_type, const char *passphrase,
    const keys_person *p, int64_t *key_id, char **csr_pem)
{
	keys_draft *d = NULL;
	oa_err rc;

	if (csr_pem)
		*csr_pem = NULL;
	if ((rc = keys_prepare(in, holder, key_type, passphrase, p, &d)) ||
	    (rc = keys_draft_store(in, d, holder)))
		goto out;
	if (key_id)
		*key_id = d->id;
	if (csr_pem) {
		*csr_pem = d->csr_pem;
		d->csr_pem = NULL;
	}
out:
	keys_draft_free(d);
	return rc;
}

/* ---- binding -------------------------------------------------------- */

oa_err keys_bind_certificate(inst *in, int64_t key_id, const char *serial_in, const char *actor)
{
	store *db = inst_store(in);
	struct keyrow r;
	char serial[41], object[64], detail[128];
	store_stmt *st;
	int own;
	oa_err rc;

	if ((rc = ca_serial_normalize(serial_in ? serial_in : "", serial)))
		return rc;
	if ((rc = store_tx_begin(db, &own)))
		return rc;
	if ((rc = keys_load_row(db, key_id, &r)))
		goto out;
	if (strcmp(r.serial, serial) == 0)
		goto out; /* already bound to it */
	if (strcmp(r.state, "pending") != 0) {
		rc = oa_fail(OA_ERR_STATE, "holder key %" PRId64 " is %s%s%s: it cannot be bound again",
		    key_id, r.state, r.serial[0] ? " under certificate " : "", r.serial);
		goto out;
	}
	if ((rc = keys_cert_holds(in, serial, r.spki, r.spki_len, key_id)))
		goto out;
	if ((st = store_prepare(db, "UPDATE holder_key SET serial = ?, state = 'active'"
	                            " WHERE id = ? AND state = 'pending'")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, serial);
	store_bind_int(st, 2, key_id);
	if ((rc = keys_run_or_constraint(db, st, "binding the certificate")))
		goto out;
	keys_object_of(object, sizeof object, key_id);
	snprintf(detail, sizeof detail, "serial=%s", serial);
	rc = audit_append(db, actor ? actor : "system", "keys.bind", object, detail);
out:
	keys_sealed_free(&r.s);
	return store_tx_end(db, own, rc);
}

/* ---- reading -------------------------------------------------------- */

oa_err keys_status(inst *in, int64_t key_id, keys_info *out)
{
	struct keyrow r;
	oa_err rc;

	memset(out, 0, sizeof *out);
	if ((rc = keys_load_row(inst_store(in), key_id, &r)))
		return rc;
	out->id = r.id;
	memcpy(out->holder, r.holder, sizeof out->holder);
	memcpy(out->key_type, r.key_type, sizeof out->key_type);
	memcpy(out->state, r.state, sizeof out->state);
	memcpy(out->serial, r.serial, sizeof out->serial);
	out->failures = (int)r.failures;
	out->max_failures = (int)keys_max_failures(in);
	out->locked = strcmp(r.state, "locked") == 0;
	out->memory_kib = r.s.kdf.memory_kib;
	out->iterations = r.s.kdf.iterations;
	out->parallelism = r.s.kdf.parallelism;
	out->created_at = r.created_at;
	out->sealed_at = r.sealed_at;
	out->locked_at = r.locked_at;
	out->last_used_at = r.last_used_at;
	keys_sealed_free(&r.s);
	return OA_OK;
}

oa_err keys_find_by_serial(inst *in, const char *serial_in, int64_t *key_id, char holder[65])
{
	char serial[41];
	store_stmt *st;
	int step;
	oa_err rc;

	if ((rc = ca_serial_normalize(serial_in ? serial_in : "", serial)))
		return rc;
	if ((st = store_prepare(inst_store(in), "SELECT id, holder FROM holder_key WHERE serial = ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, serial);
	step = store_step(st);
	if (step == STORE_ROW) {
		*key_id = store_col_int(st, 0);
		snprintf(holder, 65, "%s", store_col_text(st, 1));
	}
	store_reset(st);
	if (step == STORE_ROW)
		return OA_OK;
	return step == STORE_DONE ? oa_fail(OA_ERR_NOTFOUND, "no holder key for certificate %s", serial)
	                          : OA_ERR_STORE;
}
