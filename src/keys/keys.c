/*
 * keys.c - holder key custody: create, bind, sign, change passphrase,
 * status (see keys.h for the format, the lifecycle and the error codes).
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

#define MAX_HOLDER 64
#define MAX_SPKI 2048

struct keys_draft {
	int64_t id;
	char holder[MAX_HOLDER + 1];
	char key_type[16];
	uint8_t *spki;
	size_t spki_len;
	keys_sealed sealed;
	char *csr_pem;
};

/* One holder_key row (no secret: the private key is sealed). */
struct keyrow {
	int64_t id;
	char holder[MAX_HOLDER + 1];
	char key_type[16];
	char state[12];
	char serial[41];
	uint8_t spki[MAX_SPKI];
	size_t spki_len;
	int64_t failures;
	keys_sealed s;
	int64_t created_at, sealed_at, locked_at, last_used_at;
};

/* ---- helpers -------------------------------------------------------- */

/* Holder ids are account names: 1..64 of letters, digits and . _ @ + -. */
static oa_err check_holder(const char *h)
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

static keys_params config_params(ca *c)
{
	const conf *cf = ca_config(c);
	keys_params p = {
		(uint32_t)conf_int(cf, "keys.argon2_memory_kib"),
		(uint32_t)conf_int(cf, "keys.argon2_iterations"),
		(uint32_t)conf_int(cf, "keys.argon2_parallelism"),
	};
	return p;
}

static int64_t max_failures(ca *c)
{
	return conf_int(ca_config(c), "keys.max_failures");
}

static oa_err run_or_constraint(store *db, store_stmt *st, const char *what)
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
static oa_err pkcs8_of(EVP_PKEY *k, uint8_t **der, size_t *n)
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

static oa_err key_of_pkcs8(const uint8_t *der, size_t n, EVP_PKEY **out)
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
static oa_err load_row(store *db, int64_t id, struct keyrow *r)
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

static void object_of(char *out, size_t n, int64_t id)
{
	snprintf(out, n, "holder_key:%" PRId64, id);
}

/* The certificate may be used for signing now: active and within validity.
 * OA_ERR_STATE naming the status otherwise. */
static oa_err cert_usable(ca *c, const char *serial)
{
	ca_cert_info ci;
	char when[32];
	oa_err rc;

	if ((rc = ca_status(c, serial, &ci)))
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
static oa_err cert_holds(ca *c, const char *serial, const uint8_t *spki, size_t spki_len,
    int64_t key_id)
{
	uint8_t *der = NULL, *pk = NULL;
	size_t n = 0;
	const unsigned char *p;
	X509 *x = NULL;
	int len;
	oa_err rc;

	if ((rc = ca_cert_der(c, serial, &der, &n)))
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

oa_err keys_check_passphrase(ca *c, const char *holder, const char *passphrase,
    const keys_person *p)
{
	keys_person none = {0};

	if (p == NULL)
		p = &none;
	return keys_rules_check(holder, passphrase,
	    (size_t)conf_int(ca_config(c), "keys.passphrase_min_length"), p->name, p->nik, p->nip,
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

oa_err keys_prepare(ca *c, const char *holder, const char *key_type, const char *passphrase,
    const keys_person *p, keys_draft **out)
{
	keys_draft *d = NULL;
	EVP_PKEY *k = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	keys_params kp = config_params(c);
	keys_binding b;
	const char *cn;
	oa_err rc;

	*out = NULL;
	if ((rc = check_holder(holder)))
		return rc;
	if (key_type == NULL || !ca_key_type_valid(key_type))
		return oa_fail(OA_ERR_INVALID, "unknown key type '%.20s'", key_type ? key_type : "");
	if ((rc = keys_params_check(&kp)) || (rc = keys_check_passphrase(c, holder, passphrase, p)))
		return rc;
	if ((d = calloc(1, sizeof *d)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	snprintf(d->holder, sizeof d->holder, "%s", holder);
	snprintf(d->key_type, sizeof d->key_type, "%s", key_type);
	cn = p && p->name && *p->name && oa_is_clean_utf8(p->name) &&
	        oa_utf8_chars(p->name) <= OA_MAX_NAME_CHARS ? p->name : holder;
	if ((rc = random_id(&d->id)) || (rc = ca_generate_key(key_type, &k)) ||
	    (rc = spki_of(k, &d->spki, &d->spki_len)) ||
	    (rc = make_csr(k, key_type, cn, &d->csr_pem)) || (rc = pkcs8_of(k, &der, &der_len)))
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

oa_err keys_draft_store(ca *c, const keys_draft *d, const char *actor)
{
	store *db = ca_store(c);
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
	if ((rc = run_or_constraint(db, st, "storing the holder key")))
		goto out;
	object_of(object, sizeof object, d->id);
	snprintf(detail, sizeof detail,
	    "holder=%s type=%s seal=argon2id(m=%u,t=%u,p=%u)+aes-256-gcm format=%d", d->holder,
	    d->key_type, d->sealed.kdf.memory_kib, d->sealed.kdf.iterations,
	    d->sealed.kdf.parallelism, KEYS_FORMAT);
	rc = audit_append(db, actor ? actor : d->holder, "keys.create", object, detail);
out:
	return store_tx_end(db, own, rc);
}

oa_err keys_create(ca *c, const char *holder, const char *key_type, const char *passphrase,
    const keys_person *p, int64_t *key_id, char **csr_pem)
{
	keys_draft *d = NULL;
	oa_err rc;

	if (csr_pem)
		*csr_pem = NULL;
	if ((rc = keys_prepare(c, holder, key_type, passphrase, p, &d)) ||
	    (rc = keys_draft_store(c, d, holder)))
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

oa_err keys_bind_certificate(ca *c, int64_t key_id, const char *serial_in, const char *actor)
{
	store *db = ca_store(c);
	struct keyrow r;
	char serial[41], object[64], detail[128];
	store_stmt *st;
	int own;
	oa_err rc;

	if ((rc = ca_serial_normalize(serial_in ? serial_in : "", serial)))
		return rc;
	if ((rc = store_tx_begin(db, &own)))
		return rc;
	if ((rc = load_row(db, key_id, &r)))
		goto out;
	if (strcmp(r.serial, serial) == 0)
		goto out; /* already bound to it */
	if (strcmp(r.state, "pending") != 0) {
		rc = oa_fail(OA_ERR_STATE, "holder key %" PRId64 " is %s%s%s: it cannot be bound again",
		    key_id, r.state, r.serial[0] ? " under certificate " : "", r.serial);
		goto out;
	}
	if ((rc = cert_holds(c, serial, r.spki, r.spki_len, key_id)))
		goto out;
	if ((st = store_prepare(db, "UPDATE holder_key SET serial = ?, state = 'active'"
	                            " WHERE id = ? AND state = 'pending'")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, serial);
	store_bind_int(st, 2, key_id);
	if ((rc = run_or_constraint(db, st, "binding the certificate")))
		goto out;
	object_of(object, sizeof object, key_id);
	snprintf(detail, sizeof detail, "serial=%s", serial);
	rc = audit_append(db, actor ? actor : "system", "keys.bind", object, detail);
out:
	keys_sealed_free(&r.s);
	return store_tx_end(db, own, rc);
}

/* ---- attempts with a passphrase ------------------------------------ */

static oa_err lock_key(store *db, int64_t id, const char *actor, int64_t failures)
{
	store_stmt *st = store_prepare(db, "UPDATE holder_key SET state = 'locked', locked_at = ?"
	                                   " WHERE id = ? AND state <> 'locked'");
	char object[64], detail[64];
	oa_err rc;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, oa_now());
	store_bind_int(st, 2, id);
	if ((rc = run_or_constraint(db, st, "locking the key")))
		return rc;
	object_of(object, sizeof object, id);
	snprintf(detail, sizeof detail, "failures=%" PRId64, failures);
	return audit_append(db, actor, "keys.lock", object, detail);
}

static oa_err locked_error(int64_t id)
{
	return oa_fail(OA_ERR_STATE,
	    "holder key %" PRId64 " is locked after too many wrong passphrases; only the "
	    "passphrase-reset SOP (revoke and reissue with a new key) replaces it",
	    id);
}

/*
 * Transaction A: checks the key may be tried and counts the attempt.  On
 * OA_OK, r holds the row as it was (r->failures before this attempt).
 */
static oa_err attempt_begin(ca *c, const char *holder, int64_t id, int need_cert,
    const char *actor, struct keyrow *r)
{
	store *db = ca_store(c);
	store_stmt *st;
	int64_t max = max_failures(c);
	int locked_now = 0;
	oa_err rc;

	if (store_in_tx(db))
		return oa_fail(OA_ERR_INTERNAL,
		    "holder key attempts must run outside a transaction: the failure count commits "
		    "on its own");
	if ((rc = store_begin(db)))
		return rc;
	/* Another holder's key and no key read the same. */
	if ((rc = load_row(db, id, r)) == OA_ERR_NOTFOUND ||
	    (rc == OA_OK && strcmp(r->holder, holder) != 0))
		rc = oa_fail(OA_ERR_NOTFOUND, "no holder key %" PRId64 " for %s", id, holder);
	if (rc)
		goto out;
	if (strcmp(r->state, "locked") == 0) {
		rc = locked_error(id);
		goto out;
	}
	if (need_cert && strcmp(r->state, "active") != 0) {
		rc = oa_fail(OA_ERR_STATE, "holder key %" PRId64 " has no certificate bound yet", id);
		goto out;
	}
	if (need_cert && (rc = cert_usable(c, r->serial)))
		goto out;
	if (r->failures >= max) {
		/* keys.max_failures was lowered since: lock now. */
		if ((rc = lock_key(db, id, actor, r->failures)) == OA_OK)
			locked_now = 1;
		goto out;
	}
	if ((st = store_prepare(db, "UPDATE holder_key SET failures = failures + 1 WHERE id = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, id);
	rc = run_or_constraint(db, st, "counting the attempt");
out:
	if (rc == OA_OK)
		rc = store_commit(db);
	if (rc)
		store_rollback(db); /* nothing if the commit already ended it */
	else if (locked_now)
		rc = locked_error(id);
	if (rc)
		keys_sealed_free(&r->s);
	return rc;
}

/* Transaction B after a failed unseal.  Returns the code to report. */
static oa_err attempt_failed(ca *c, int64_t id, const char *actor, oa_err why)
{
	store *db = ca_store(c);
	store_stmt *st;
	char msg[512], object[64], detail[64];
	int64_t failures = 0, max = max_failures(c);
	int locked = 0, step;
	oa_err rc;

	snprintf(msg, sizeof msg, "%s", oa_errmsg());
	if ((rc = store_begin(db)))
		return rc;
	object_of(object, sizeof object, id);
	if (why == OA_ERR_CRYPTO) {
		/* Integrity failure: not the holder's fault, undo the count. */
		if ((st = store_prepare(db, "UPDATE holder_key SET failures = MAX(failures - 1, 0)"
		                            " WHERE id = ? AND state <> 'locked'")) == NULL)
			rc = OA_ERR_STORE;
		else if (store_bind_int(st, 1, id) == OA_OK &&
		    (rc = run_or_constraint(db, st, "uncounting the attempt")) == OA_OK)
			rc = audit_append(db, actor, "keys.integrity_failure", object, NULL);
		goto out;
	}
	if ((st = store_prepare(db, "SELECT failures, state = 'locked' FROM holder_key WHERE id = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, id);
	if ((step = store_step(st)) == STORE_ROW) {
		failures = store_col_int(st, 0);
		locked = (int)store_col_int(st, 1);
	}
	store_reset(st);
	if (step != STORE_ROW) {
		rc = OA_ERR_STORE;
		goto out;
	}
	snprintf(detail, sizeof detail, "failures=%" PRId64 " max=%" PRId64, failures, max);
	if ((rc = audit_append(db, actor, "keys.wrong_passphrase", object, detail)))
		goto out;
	if (!locked && failures >= max && (rc = lock_key(db, id, actor, failures)) == OA_OK)
		locked = 1;
out:
	if (rc) {
		store_rollback(db);
		return rc;
	}
	if ((rc = store_commit(db)))
		return rc;
	if (why == OA_ERR_DENIED)
		return locked ? oa_fail(OA_ERR_DENIED,
		                    "wrong passphrase for holder key %" PRId64 "; the key is now locked "
		                    "(%" PRId64 " failures): only the passphrase-reset SOP replaces it",
		                    id, failures)
		              : oa_fail(OA_ERR_DENIED,
		                    "wrong passphrase for holder key %" PRId64 " (%" PRId64 " of %" PRId64
		                    " failures before it locks)",
		                    id, failures, max);
	return oa_fail(why, "%s", msg);
}

/*
 * Unseals r's key with passphrase into *key, checking it matches the stored
 * public key.  A failure goes through transaction B.
 */
static oa_err attempt_unseal(ca *c, const struct keyrow *r, const char *passphrase,
    const char *actor, EVP_PKEY **key)
{
	keys_binding b = {r->holder, r->id, r->key_type};
	uint8_t *der = NULL, *pk = NULL;
	size_t n = 0;
	int len;
	oa_err rc;

	*key = NULL;
	rc = keys_unseal(passphrase, &r->s, &b, &der, &n);
	if (rc == OA_OK && (rc = key_of_pkcs8(der, n, key)) == OA_OK) {
		len = i2d_PUBKEY(*key, &pk);
		if (len <= 0 || (size_t)len != r->spki_len || memcmp(pk, r->spki, r->spki_len) != 0)
			rc = oa_fail(OA_ERR_CRYPTO,
			    "holder key %" PRId64 ": unsealed key does not match its public key", r->id);
		OPENSSL_free(pk);
	}
	keys_secret_free(der, n);
	if (rc == OA_OK)
		return OA_OK;
	EVP_PKEY_free(*key);
	*key = NULL;
	if (rc == OA_ERR_DENIED || rc == OA_ERR_CRYPTO)
		return attempt_failed(c, r->id, actor, rc);
	/* Out of memory and the like: the holder did nothing wrong either. */
	{
		char msg[512];
		snprintf(msg, sizeof msg, "%s", oa_errmsg());
		attempt_failed(c, r->id, actor, OA_ERR_CRYPTO);
		return oa_fail(rc, "%s", msg);
	}
}

/* The UPDATE of transaction C that forgives the failures before attempt r. */
static oa_err forgive(store *db, const struct keyrow *r)
{
	store_stmt *st = store_prepare(db, "UPDATE holder_key SET failures = MAX(failures - ?, 0),"
	                                   " last_used_at = ? WHERE id = ? AND state <> 'locked'");

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, r->failures + 1);
	store_bind_int(st, 2, oa_now());
	store_bind_int(st, 3, r->id);
	if (store_step(st) == STORE_ERROR) {
		store_reset(st);
		return OA_ERR_STORE;
	}
	store_reset(st);
	if (store_changes(db) != 1)
		return locked_error(r->id); /* locked by concurrent wrong guesses */
	return OA_OK;
}

/*
 * After the right passphrase, when the operation is refused or fails later:
 * forgive this attempt in a transaction of its own and keep the message.
 */
static oa_err forgive_only(ca *c, const struct keyrow *r, oa_err rc)
{
	store *db = ca_store(c);
	char msg[512];

	snprintf(msg, sizeof msg, "%s", oa_errmsg());
	if (store_begin(db) == OA_OK) {
		if (forgive(db, r) != OA_OK || store_commit(db) != OA_OK)
			store_rollback(db);
	}
	return oa_fail(rc, "%s", msg);
}

/* ---- signing -------------------------------------------------------- */

static oa_err sign_digest(EVP_PKEY *k, const keys_sign_req *r, uint8_t **sig, size_t *n)
{
	const EVP_MD *md = EVP_get_digestbynid(r->md_nid);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	int rsa = EVP_PKEY_is_a(k, "RSA");
	size_t len = 0;
	oa_err rc = OA_OK;

	*sig = NULL;
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx, r->scheme == KEYS_SIG_PSS
	                                                  ? RSA_PKCS1_PSS_PADDING
	                                                  : RSA_PKCS1_PADDING) <= 0) ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0 ||
	    (rsa && r->scheme == KEYS_SIG_PSS &&
	        (EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
	            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0)) ||
	    EVP_PKEY_sign(ctx, NULL, &len, r->digest, r->digest_len) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signing with the holder key");
		goto out;
	}
	if ((*sig = malloc(len)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_PKEY_sign(ctx, *sig, &len, r->digest, r->digest_len) <= 0) {
		free(*sig);
		*sig = NULL;
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signing with the holder key");
		goto out;
	}
	*n = len;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static oa_err check_sign_req(const keys_sign_req *r)
{
	const EVP_MD *md;
	oa_err rc;

	if ((rc = check_holder(r->holder)))
		return rc;
	if (r->passphrase == NULL || strlen(r->passphrase) > OA_MAX_PASSPHRASE_BYTES)
		return oa_fail(OA_ERR_INVALID, "passphrase missing or longer than %d bytes",
		    OA_MAX_PASSPHRASE_BYTES);
	if (r->md_nid != NID_sha256 && r->md_nid != NID_sha384 && r->md_nid != NID_sha512)
		return oa_fail(OA_ERR_INVALID, "digest must be SHA-256, SHA-384 or SHA-512");
	md = EVP_get_digestbynid(r->md_nid);
	if (md == NULL || r->digest == NULL || r->digest_len != (size_t)EVP_MD_get_size(md))
		return oa_fail(OA_ERR_INVALID, "digest length %zu does not match %s", r->digest_len,
		    OBJ_nid2sn(r->md_nid));
	if (r->scheme != KEYS_SIG_PKCS1 && r->scheme != KEYS_SIG_PSS)
		return oa_fail(OA_ERR_INVALID, "unknown signature scheme %d", r->scheme);
	if (r->ref && (!oa_is_clean_utf8(r->ref) || strlen(r->ref) > 256))
		return oa_fail(OA_ERR_INVALID, "reference must be clean text of at most 256 bytes");
	return OA_OK;
}

oa_err keys_sign(ca *c, const keys_sign_req *r, uint8_t **sig, size_t *siglen)
{
	store *db = ca_store(c);
	struct keyrow row;
	EVP_PKEY *k = NULL;
	const char *actor;
	char object[64], detail[OA_MAX_AUDIT_DETAIL], hex[2 * 64 + 1];
	uint8_t *s = NULL;
	size_t sn = 0;
	oa_err rc;

	*sig = NULL;
	*siglen = 0;
	memset(&row, 0, sizeof row);
	if ((rc = check_sign_req(r)))
		return rc;
	actor = r->actor ? r->actor : r->holder;
	if ((rc = attempt_begin(c, r->holder, r->key_id, 1, actor, &row)))
		return rc;
	if ((rc = attempt_unseal(c, &row, r->passphrase, actor, &k)))
		goto done;
	if (r->scheme == KEYS_SIG_PSS && !EVP_PKEY_is_a(k, "RSA"))
		rc = oa_fail(OA_ERR_INVALID, "PSS needs an RSA key; holder key %" PRId64 " is %s",
		    row.id, row.key_type);
	else if ((rc = cert_holds(c, row.serial, row.spki, row.spki_len, row.id)) == OA_OK)
		rc = sign_digest(k, r, &s, &sn);
	EVP_PKEY_free(k);
	if (rc) {
		rc = forgive_only(c, &row, rc);
		goto done;
	}
	/* Transaction C: the use is on record before the signature leaves. */
	if ((rc = store_begin(db))) {
		rc = forgive_only(c, &row, rc);
		goto done;
	}
	object_of(object, sizeof object, row.id);
	oa_hex(hex, r->digest, r->digest_len);
	snprintf(detail, sizeof detail, "serial=%s digest=%s:%s scheme=%s%s%s", row.serial,
	    OBJ_nid2sn(r->md_nid), hex,
	    strncmp(row.key_type, "rsa", 3) == 0 ? (r->scheme == KEYS_SIG_PSS ? "rsa-pss" : "rsa-pkcs1")
	                                         : "ecdsa",
	    r->ref ? " ref=" : "", r->ref ? r->ref : "");
	if ((rc = cert_usable(c, row.serial)) || (rc = forgive(db, &row)) ||
	    (rc = audit_append(db, actor, "keys.sign", object, detail)) || (rc = store_commit(db))) {
		store_rollback(db);
		rc = forgive_only(c, &row, rc); /* a no-op if the key was locked meanwhile */
		goto done;
	}
	*sig = s;
	*siglen = sn;
	s = NULL;
done:
	free(s);
	keys_sealed_free(&row.s);
	return rc;
}

/* ---- changing the passphrase --------------------------------------- */

oa_err keys_change_passphrase(ca *c, const char *holder, int64_t key_id, const char *old_pass,
    const char *new_pass, const keys_person *p)
{
	store *db = ca_store(c);
	struct keyrow row;
	EVP_PKEY *k = NULL;
	keys_sealed ns = {0};
	keys_params kp = config_params(c);
	keys_binding b;
	uint8_t *der = NULL;
	size_t der_len = 0;
	store_stmt *st;
	char object[64], detail[128];
	oa_err rc;

	memset(&row, 0, sizeof row);
	if ((rc = check_holder(holder)))
		return rc;
	if (old_pass == NULL || strlen(old_pass) > OA_MAX_PASSPHRASE_BYTES)
		return oa_fail(OA_ERR_INVALID, "current passphrase missing or too long");
	if ((rc = keys_params_check(&kp)) || (rc = keys_check_passphrase(c, holder, new_pass, p)))
		return rc;
	if (strcmp(old_pass, new_pass) == 0)
		return oa_fail(OA_ERR_POLICY, "the new passphrase is the same as the current one");
	if ((rc = attempt_begin(c, holder, key_id, 0, holder, &row)))
		return rc;
	if ((rc = attempt_unseal(c, &row, old_pass, holder, &k)))
		goto done;
	b = (keys_binding){row.holder, row.id, row.key_type};
	rc = pkcs8_of(k, &der, &der_len);
	EVP_PKEY_free(k);
	if (rc == OA_OK)
		rc = keys_seal(new_pass, &kp, &b, der, der_len, &ns);
	keys_secret_free(der, der_len);
	if (rc == OA_OK && (rc = store_begin(db)) == OA_OK) {
		if ((st = store_prepare(db,
		         "UPDATE holder_key SET kdf_memory_kib = ?, kdf_iterations = ?,"
		         " kdf_parallelism = ?, salt = ?, verifier = ?, nonce = ?, ciphertext = ?,"
		         " tag = ?, sealed_at = ? WHERE id = ? AND state <> 'locked'")) == NULL) {
			rc = OA_ERR_STORE;
			goto tx;
		}
		store_bind_int(st, 1, ns.kdf.memory_kib);
		store_bind_int(st, 2, ns.kdf.iterations);
		store_bind_int(st, 3, ns.kdf.parallelism);
		store_bind_blob(st, 4, ns.salt, KEYS_SALT_LEN);
		store_bind_blob(st, 5, ns.verifier, KEYS_VERIFIER_LEN);
		store_bind_blob(st, 6, ns.nonce, KEYS_NONCE_LEN);
		store_bind_blob(st, 7, ns.ct, ns.ct_len);
		store_bind_blob(st, 8, ns.tag, KEYS_TAG_LEN);
		store_bind_int(st, 9, oa_now());
		store_bind_int(st, 10, row.id);
		if ((rc = run_or_constraint(db, st, "re-sealing the key")))
			goto tx;
		object_of(object, sizeof object, row.id);
		snprintf(detail, sizeof detail, "seal=argon2id(m=%u,t=%u,p=%u)+aes-256-gcm",
		    ns.kdf.memory_kib, ns.kdf.iterations, ns.kdf.parallelism);
		if ((rc = forgive(db, &row)) == OA_OK)
			rc = audit_append(db, holder, "keys.passphrase_change", object, detail);
tx:
		if (rc == OA_OK)
			rc = store_commit(db);
		if (rc)
			store_rollback(db);
	}
	if (rc)
		rc = forgive_only(c, &row, rc); /* right passphrase: not a failure */
done:
	keys_sealed_free(&ns);
	keys_sealed_free(&row.s);
	return rc;
}

/* ---- reading -------------------------------------------------------- */

oa_err keys_status(ca *c, int64_t key_id, keys_info *out)
{
	struct keyrow r;
	oa_err rc;

	memset(out, 0, sizeof *out);
	if ((rc = load_row(ca_store(c), key_id, &r)))
		return rc;
	out->id = r.id;
	memcpy(out->holder, r.holder, sizeof out->holder);
	memcpy(out->key_type, r.key_type, sizeof out->key_type);
	memcpy(out->state, r.state, sizeof out->state);
	memcpy(out->serial, r.serial, sizeof out->serial);
	out->failures = (int)r.failures;
	out->max_failures = (int)max_failures(c);
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

oa_err keys_find_by_serial(ca *c, const char *serial_in, int64_t *key_id, char holder[65])
{
	char serial[41];
	store_stmt *st;
	int step;
	oa_err rc;

	if ((rc = ca_serial_normalize(serial_in ? serial_in : "", serial)))
		return rc;
	if ((st = store_prepare(ca_store(c), "SELECT id, holder FROM holder_key WHERE serial = ?")) == NULL)
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
