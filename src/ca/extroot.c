/*
 * extroot.c - an issuing CA under an external root (a national root CA):
 * `openams init --external-root` makes the issuing key and a PKCS#10
 * request (pki/issuing.csr); `openams ca import-issuing` installs the
 * certificate the root signed, after checking it, and certifies the
 * instance's OCSP responder and TSA with it, as init does for a
 * self-rooted instance.
 *
 * Until the import the instance has no CA certificate in its store, and
 * opening its CA fails with OA_ERR_STATE naming CA_PENDING_TAG: nothing is
 * issued and no OCSP answer or CRL is signed.  The root's key is never
 * here: the root's CRLs are its operator's (crl.c refuses to make one).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "caInt.h"

/* Every limit of the import, explicit. */
#define EXTROOT_MAX_PEM_BYTES (256 * 1024) /* --cert, --chain, --root-crl files */
#define EXTROOT_MAX_CERTS 8                /* certificates in --cert and --chain together */
#define EXTROOT_MAX_KEY_BYTES (64 * 1024)  /* an encrypted key file */

static _Thread_local int allow_pending;

void ca_extroot_allow_pending(int on)
{
	allow_pending = on;
}

int ca_extroot_pending_allowed(void)
{
	return allow_pending;
}

int ca_root_external(const char *dir)
{
	char path[OA_MAX_PATH];

	return oa_path_join(path, sizeof path, dir, "pki/issuing.csr") == OA_OK &&
	       access(path, F_OK) == 0;
}

/* 1 when the store holds an issuing CA certificate, 0 not, -1 on error. */
static int has_issuing(store *db)
{
	store_stmt *st = store_prepare(db, "SELECT COUNT(*) FROM ca_cert WHERE role = 'issuing'");
	int64_t n = -1;

	if (st == NULL)
		return -1;
	if (store_step(st) == STORE_ROW)
		n = store_col_int(st, 0);
	store_reset(st);
	return n < 0 ? -1 : n > 0;
}

oa_err ca_extroot_pending(const char *dir, store *db)
{
	int h;

	if (!ca_root_external(dir))
		return OA_OK;
	if ((h = has_issuing(db)) < 0)
		return OA_ERR_STORE;
	if (h)
		return OA_OK;
	return oa_fail(OA_ERR_STATE, CA_PENDING_TAG ": the issuing CA waits for its certificate from"
	    " the external root: have %s/pki/issuing.csr signed, then run openams ca import-issuing"
	    " --cert FILE --chain FILE; until then nothing is issued, no OCSP answer or CRL is signed",
	    dir);
}

oa_err ca_issuing_name(const conf *cfg, X509_NAME *nm)
{
	if (!X509_NAME_add_entry_by_NID(nm, NID_countryName, V_ASN1_PRINTABLESTRING,
	        (const unsigned char *)conf_str(cfg, "ca.country"), -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(nm, NID_organizationName, MBSTRING_UTF8,
	        (const unsigned char *)conf_str(cfg, "ca.organization"), -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(nm, NID_commonName, MBSTRING_UTF8,
	        (const unsigned char *)conf_str(cfg, "ca.issuing_name"), -1, -1, 0))
		return oa_fail_ssl(OA_ERR_CRYPTO, "building the issuing CA's name");
	return OA_OK;
}

/* The request: the subject init would give the issuing CA, and the
 * extensions it asks for (RFC 2986 extensionRequest): basicConstraints
 * CA:TRUE pathlen:0 and keyUsage keyCertSign, cRLSign, both critical.  The
 * root decides what it signs; the import checks the result. */
oa_err ca_extroot_csr(const conf *cfg, EVP_PKEY *key, const char *path)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *e;
	EVP_PKEY *pub = NULL;
	BIO *b = NULL;
	char *d;
	long n;
	const char *t = signer_key_type_of(key);
	oa_err rc = OA_OK;

	if (req == NULL || nm == NULL || bc == NULL || ku == NULL || exts == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = ca_issuing_name(cfg, nm)))
		goto out;
	{
		/* a plain copy of the public half: a token key must not be kept */
		unsigned char *der = NULL;
		const unsigned char *p;
		int len = i2d_PUBKEY(key, &der);
		p = der;
		pub = len > 0 ? d2i_PUBKEY(NULL, &p, len) : NULL;
		OPENSSL_free(der);
	}
	bc->ca = 0xff;
	if (pub == NULL || (bc->pathlen = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set(bc->pathlen, 0) || !ASN1_BIT_STRING_set_bit(ku, 5, 1) ||
	    !ASN1_BIT_STRING_set_bit(ku, 6, 1) || !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, nm) || !X509_REQ_set_pubkey(req, pub)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "building the issuing CA's request");
		goto out;
	}
	if ((e = X509V3_EXT_i2d(NID_basic_constraints, 1, bc)) == NULL ||
	    sk_X509_EXTENSION_push(exts, e) <= 0 ||
	    (e = X509V3_EXT_i2d(NID_key_usage, 1, ku)) == NULL ||
	    sk_X509_EXTENSION_push(exts, e) <= 0 || !X509_REQ_add_extensions(req, exts)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "the request's extensions");
		goto out;
	}
	if (X509_REQ_sign(req, key, t && strcmp(t, "ec-p384") == 0 ? EVP_sha384() : EVP_sha256()) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signing the issuing CA's request");
		goto out;
	}
	if ((b = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509_REQ(b, req)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "PEM");
		goto out;
	}
	n = BIO_get_mem_data(b, &d);
	rc = oa_write_file_atomic(path, d, (size_t)n, 0600);
out:
	BIO_free(b);
	EVP_PKEY_free(pub);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ASN1_BIT_STRING_free(ku);
	BASIC_CONSTRAINTS_free(bc);
	X509_NAME_free(nm);
	X509_REQ_free(req);
	return rc;
}

/* ---- the import ---- */

/* Appends the PEM certificates of file to sk (at most EXTROOT_MAX_CERTS in all). */
static oa_err read_certs(const char *file, STACK_OF(X509) *sk)
{
	uint8_t *data = NULL;
	size_t n = 0;
	BIO *b;
	X509 *x;
	int before = sk_X509_num(sk);
	oa_err rc;

	if ((rc = oa_read_file(file, EXTROOT_MAX_PEM_BYTES, &data, &n)))
		return rc;
	if ((b = BIO_new_mem_buf(data, (int)n)) == NULL) {
		free(data);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(sk) >= EXTROOT_MAX_CERTS) {
			X509_free(x);
			rc = oa_fail(OA_ERR_LIMIT, "%s: more than %d certificates in --cert and --chain",
			    file, EXTROOT_MAX_CERTS);
			break;
		}
		if (sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			break;
		}
	}
	ERR_clear_error();
	BIO_free(b);
	free(data);
	if (rc == OA_OK && sk_X509_num(sk) == before)
		rc = oa_fail(OA_ERR_INVALID, "%s: no PEM certificate", file);
	return rc;
}

static oa_err read_crl(const char *file, X509_CRL **out)
{
	uint8_t *data = NULL;
	size_t n = 0;
	BIO *b;
	oa_err rc;

	if ((rc = oa_read_file(file, EXTROOT_MAX_PEM_BYTES, &data, &n)))
		return rc;
	if ((b = BIO_new_mem_buf(data, (int)n)) != NULL &&
	    (*out = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) == NULL) {
		const unsigned char *p = data;
		*out = d2i_X509_CRL(NULL, &p, (long)n);
	}
	ERR_clear_error();
	BIO_free(b);
	free(data);
	if (*out == NULL)
		return oa_fail(OA_ERR_INVALID, "%s: not a CRL (PEM or DER)", file);
	return OA_OK;
}

static void name_of(X509_NAME *nm, char *out, size_t outsz)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *d;
	long n;

	out[0] = 0;
	if (b && X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_get_mem_data(b, &d);
		snprintf(out, outsz, "%.*s", (int)(n < (long)outsz ? n : (long)outsz - 1), d);
	}
	BIO_free(b);
}

static int64_t time_of(const ASN1_TIME *t)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

/* The certificate is a CA that may sign certificates and CRLs, and has the
 * key identifier the end-entity certificates' AKI will carry. */
static oa_err check_ca(X509 *x)
{
	uint32_t fl = X509_get_extension_flags(x);

	if (!(fl & EXFLAG_BCONS) || !(fl & EXFLAG_CA))
		return oa_fail(OA_ERR_INVALID, "not a CA certificate: basicConstraints CA:TRUE is"
		    " missing (the request asked for CA:TRUE pathlen:0)");
	if (!(fl & EXFLAG_KUSAGE) ||
	    (X509_get_key_usage(x) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) != (KU_KEY_CERT_SIGN | KU_CRL_SIGN))
		return oa_fail(OA_ERR_INVALID, "not a CA certificate for openams: keyUsage must hold"
		    " keyCertSign and cRLSign (the request asked for both)");
	if (X509_get0_subject_key_id(x) == NULL)
		return oa_fail(OA_ERR_INVALID, "the certificate has no subjectKeyIdentifier (RFC 5280"
		    " 4.2.1.2: a CA certificate must; the certificates it issues name it in their AKI)");
	return OA_OK;
}

/* X509_verify_cert up to the self-signed certificates among extra (the
 * trust anchors), the others as intermediates; with ca.policies, the chain
 * must permit them (explicit policy), as relying parties will check.  *chain
 * is the path found, issuing CA first and the root last. */
static oa_err verify_chain(const conf *cfg, X509 *x, STACK_OF(X509) *extra, STACK_OF(X509) **chain)
{
	X509_STORE *trust = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	char oids[CA_MAX_POLICIES][CONF_OID_MAX];
	int roots = 0, npol = conf_oids(cfg, "ca.policies", oids, CA_MAX_POLICIES);
	oa_err rc = OA_OK;

	*chain = NULL;
	if (trust == NULL || ctx == NULL || untrusted == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(extra); i++) {
		X509 *c = sk_X509_value(extra, i);
		int ss = (X509_get_extension_flags(c) & EXFLAG_SS) != 0;
		if (ss ? !X509_STORE_add_cert(trust, c) : sk_X509_push(untrusted, c) <= 0) {
			rc = oa_fail_ssl(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
		roots += ss;
	}
	if (roots == 0) {
		rc = oa_fail(OA_ERR_INVALID, "no root: give the external root's (self-signed)"
		    " certificate with --chain, after any intermediate CA certificates");
		goto out;
	}
	if (!X509_STORE_CTX_init(ctx, trust, x, untrusted)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "verification context");
		goto out;
	}
	if (npol > 0) {
		X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
		X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_POLICY_CHECK | X509_V_FLAG_EXPLICIT_POLICY);
		for (int i = 0; i < npol; i++) {
			ASN1_OBJECT *o = OBJ_txt2obj(oids[i], 1);
			if (o == NULL || !X509_VERIFY_PARAM_add0_policy(vp, o)) {
				ASN1_OBJECT_free(o);
				rc = oa_fail_ssl(OA_ERR_CONFIG, "ca.policies: %s", oids[i]);
				goto out;
			}
		}
	}
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);
		rc = oa_fail(OA_ERR_INVALID, "the chain does not verify the certificate: %s (depth %d)%s",
		    X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(ctx),
		    npol > 0 && (e == X509_V_ERR_NO_EXPLICIT_POLICY || e == X509_V_ERR_INVALID_POLICY_EXTENSION)
		        ? "; the chain must permit the policies of ca.policies" : "");
		goto out;
	}
	if ((*chain = X509_STORE_CTX_get1_chain(ctx)) == NULL || sk_X509_num(*chain) < 2)
		rc = oa_fail(OA_ERR_INTERNAL, "the verified chain is too short");
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(trust);
	sk_X509_free(untrusted);
	return rc;
}

/* The CA passphrase: the one the operator gave (o->passphrase), else as the
 * signer finds it: ca.key_passphrase_file (a path in the data directory),
 * else $OPENAMS_CA_PASSPHRASE; else the operator is asked (o->ask_passphrase,
 * which refuses when there is no terminal).  *given is 1 when it came from
 * the operator: the signer that publishes the first CRL cannot find it. */
static oa_err ca_passphrase(const ca_import_opts *o, const conf *cfg, char **out, int *given)
{
	const char *v = conf_str(cfg, "ca.key_passphrase_file"), *env;
	char path[OA_MAX_PATH];
	size_t n;
	oa_err rc;

	*out = NULL;
	*given = 0;
	if (o->passphrase != NULL) {
		if ((*out = strdup(o->passphrase)) == NULL)
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		*given = 1;
		return OA_OK;
	}
	if (*v && strcmp(v, "prompt") != 0) {
		if ((rc = oa_path_join(path, sizeof path, o->dir, v)))
			return rc;
		if ((rc = oa_read_secret_file(path, OA_MAX_PASSPHRASE_BYTES, out, &n)))
			return rc;
		while (n > 0 && ((*out)[n - 1] == '\n' || (*out)[n - 1] == '\r'))
			(*out)[--n] = 0;
		return OA_OK;
	}
	if ((env = getenv("OPENAMS_CA_PASSPHRASE")) == NULL || !*env) {
		if (o->ask_passphrase != NULL) {
			*given = 1;
			return o->ask_passphrase(out);
		}
		return oa_fail(OA_ERR_CONFIG, "the import signs the OCSP responder's certificate with"
		    " the issuing key: set OPENAMS_CA_PASSPHRASE to the CA passphrase");
	}
	if ((*out = strdup(env)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	return OA_OK;
}

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *p = u;
	int n = (int)strlen(p);

	(void)rwflag;
	if (n > size)
		return -1;
	memcpy(buf, p, (size_t)n);
	return n;
}

/* DIR/keys/NAME decrypted; *out NULL (and OA_OK) when optional and absent. */
static oa_err load_key(const char *dir, const char *name, const char *pass, int optional,
    EVP_PKEY **out)
{
	char path[OA_MAX_PATH], sub[64];
	uint8_t *pem = NULL;
	size_t n = 0;
	BIO *b;
	oa_err rc;

	*out = NULL;
	snprintf(sub, sizeof sub, "keys/%s", name);
	if ((rc = oa_path_join(path, sizeof path, dir, sub)))
		return rc;
	if (optional && access(path, F_OK) != 0)
		return OA_OK;
	if ((rc = oa_read_file(path, EXTROOT_MAX_KEY_BYTES, &pem, &n)))
		return rc;
	if ((b = BIO_new_mem_buf(pem, (int)n)) != NULL)
		*out = PEM_read_bio_PrivateKey(b, NULL, pass_cb, (void *)pass);
	BIO_free(b);
	oa_wipe(pem, n);
	free(pem);
	if (*out == NULL)
		return oa_fail_ssl(OA_ERR_CRYPTO, "%s: cannot decrypt the key (wrong CA passphrase or"
		    " damaged file)", sub);
	return OA_OK;
}

/* The issuing, OCSP and (file backend, when present) TSA keys for the
 * import: from the key files under the CA passphrase pass, or the token
 * (*p11 to unload). */
static oa_err load_keys(const char *dir, const conf *cfg, const char *pass,
    EVP_PKEY *key[SIGNER__MAX], void **p11)
{
	char *secret = NULL;
	size_t n;
	oa_err rc;

	if (strcmp(conf_str(cfg, "signer.backend"), "pkcs11") == 0) {
		EVP_PKEY *tk[SIGNER__MAX] = {0};
		const char *pf = conf_str(cfg, "signer.pkcs11_pin_file"), *env;
		if (*pf) {
			if ((rc = oa_read_secret_file(pf, OA_MAX_PASSPHRASE_BYTES, &secret, &n)))
				return rc;
			while (n > 0 && (secret[n - 1] == '\n' || secret[n - 1] == '\r'))
				secret[--n] = 0;
		} else if ((env = getenv("OPENAMS_PKCS11_PIN")) != NULL && *env) {
			if ((secret = strdup(env)) == NULL)
				return oa_fail(OA_ERR_NOMEM, "out of memory");
		} else
			return oa_fail(OA_ERR_CONFIG, "the token's PIN: signer.pkcs11_pin_file or"
			    " $OPENAMS_PKCS11_PIN");
		rc = signer_p11_load(conf_str(cfg, "signer.pkcs11_module"),
		    conf_str(cfg, "signer.pkcs11_token"), secret, tk, p11);
		oa_free_secret(secret);
		if (rc)
			return rc;
		/* borrowed from the token session, released before it is unloaded */
		for (int k = SIGNER_ISSUING; k <= SIGNER_OCSP; k++) {
			key[k] = tk[k];
			EVP_PKEY_up_ref(key[k]);
		}
		return OA_OK;
	}
	if ((rc = load_key(dir, "issuing.key", pass, 0, &key[SIGNER_ISSUING])) == OA_OK &&
	    (rc = load_key(dir, "ocsp.key", pass, 0, &key[SIGNER_OCSP])) == OA_OK)
		rc = load_key(dir, "tsa.key", pass, 1, &key[SIGNER_TSA]);
	return rc;
}

/* Days from now to x's notAfter, at most max. */
static int days_within(X509 *x, int64_t now, int64_t max)
{
	int64_t left = (time_of(X509_get0_notAfter(x)) - now) / 86400;

	return (int)(left < max ? left : max);
}

oa_err ca_import_issuing(const ca_import_opts *o, ca_import_result *out)
{
	static const char *const written[] = {"pki/root.crt", "pki/ocsp.crt", "pki/tsa.crt",
	    "pki/chain.pem", "pki/root.crl", "pki/issuing.crt"};
	conf *cfg = NULL;
	store *db = NULL;
	ca *c = NULL;
	STACK_OF(X509) *given = sk_X509_new_null(), *chain = NULL;
	X509 *x = NULL, *root, *svc[SIGNER__MAX] = {0};
	X509_REQ *req = NULL;
	X509_CRL *crl = NULL;
	EVP_PKEY *key[SIGNER__MAX] = {0};
	void *p11 = NULL;
	oa_buf pem = {0};
	uint8_t *csr = NULL;
	size_t csr_len = 0;
	char path[OA_MAX_PATH], want[256], got[256], pki[OA_MAX_PATH], *secret = NULL;
	const char *kt, *rkt;
	int64_t now = oa_now();
	int h, wrote = 0, committed = 0, from_operator = 0, set_env = 0;
	oa_err rc;

	memset(out, 0, sizeof *out);
	if (given == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if ((rc = conf_load_instance(o->dir, &cfg)))
		goto out;
	if (!ca_root_external(o->dir)) {
		rc = oa_fail(OA_ERR_STATE, "%s is not an instance under an external root (it has no"
		    " pki/issuing.csr: see openams init --external-root)", o->dir);
		goto out;
	}
	if ((rc = store_path_join(path, sizeof path, o->dir, conf_str(cfg, "store.path"))) ||
	    (rc = store_open(path, &db)))
		goto out;
	if ((h = has_issuing(db)) != 0) {
		rc = h < 0 ? OA_ERR_STORE : oa_fail(OA_ERR_EXISTS, "the issuing CA certificate is"
		    " imported already; nothing was changed");
		goto out;
	}
	/* The request this instance made. */
	if ((rc = oa_path_join(path, sizeof path, o->dir, "pki/issuing.csr")) ||
	    (rc = oa_read_file(path, OA_MAX_CSR_BYTES, &csr, &csr_len)))
		goto out;
	{
		BIO *b = BIO_new_mem_buf(csr, (int)csr_len);
		req = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (req == NULL) {
			rc = oa_fail_ssl(OA_ERR_CONFIG, "%s: not a PEM certificate request", path);
			goto out;
		}
	}
	/* What was given: the certificate first, then the chain. */
	if ((rc = read_certs(o->cert_file, given)) ||
	    (o->chain_file && (rc = read_certs(o->chain_file, given))))
		goto out;
	x = sk_X509_shift(given);
	/* 1. The key this instance holds (the request's; the key files or the
	 * token are compared with it below, once unlocked). */
	if (EVP_PKEY_eq(X509_get0_pubkey(x), X509_REQ_get0_pubkey(req)) != 1) {
		rc = oa_fail(OA_ERR_INVALID, "%s: the certificate is for another key: its public key is"
		    " not the one of pki/issuing.csr", o->cert_file);
		goto out;
	}
	/* 2. The subject the request asked for: the instance's names (TSA,
	 * configuration) follow it, so another is refused, not recorded. */
	name_of(X509_REQ_get_subject_name(req), want, sizeof want);
	name_of(X509_get_subject_name(x), got, sizeof got);
	if (X509_NAME_cmp(X509_get_subject_name(x), X509_REQ_get_subject_name(req)) != 0) {
		rc = oa_fail(OA_ERR_INVALID, "the certificate's subject is '%s', the request asked for"
		    " '%s' (ask the root to keep the requested subject)", got, want);
		goto out;
	}
	/* 3. A CA. */
	if ((rc = check_ca(x)))
		goto out;
	/* 4. Within its validity, with a day left for the responder. */
	if (X509_cmp_time(X509_get0_notBefore(x), NULL) > 0) {
		rc = oa_fail(OA_ERR_INVALID, "the certificate is not valid yet (notBefore is in the"
		    " future)");
		goto out;
	}
	if (time_of(X509_get0_notAfter(x)) - now < 86400) {
		rc = oa_fail(OA_ERR_INVALID, "the certificate has expired, or expires within a day");
		goto out;
	}
	kt = signer_key_type_of(X509_get0_pubkey(x));
	if (kt == NULL || strcmp(kt, conf_str(cfg, "ca.key_type")) != 0) {
		rc = oa_fail(OA_ERR_INVALID, "the certificate's key is not the instance's %s key",
		    conf_str(cfg, "ca.key_type"));
		goto out;
	}
	/* 5. The chain to the external root. */
	if ((rc = verify_chain(cfg, x, given, &chain)))
		goto out;
	root = sk_X509_value(chain, sk_X509_num(chain) - 1);
	if ((rkt = signer_key_type_of(X509_get0_pubkey(root))) == NULL) {
		rc = oa_fail(OA_ERR_INVALID, "the root's key is of a type openams does not record"
		    " (ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096)");
		goto out;
	}
	/* 6. The root's CRL, when given: the root's own, signed by it. */
	if (o->root_crl_file) {
		EVP_PKEY *rk = X509_get0_pubkey(root);
		if ((rc = read_crl(o->root_crl_file, &crl)))
			goto out;
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(root)) != 0 ||
		    rk == NULL || X509_CRL_verify(crl, rk) != 1) {
			ERR_clear_error();
			rc = oa_fail(OA_ERR_INVALID, "%s: not a CRL signed by the root", o->root_crl_file);
			goto out;
		}
	}
	/* The keys: the issuing key must be the certificate's.  A passphrase the
	 * operator gave reaches the signer of the first CRL as init's does, in
	 * its environment (which the signer wipes), wiped here at the end. */
	if (strcmp(conf_str(cfg, "signer.backend"), "pkcs11") != 0) {
		if ((rc = ca_passphrase(o, cfg, &secret, &from_operator)))
			goto out;
		if (from_operator && setenv("OPENAMS_CA_PASSPHRASE", secret, 1) != 0) {
			rc = oa_fail(OA_ERR_IO, "setenv");
			goto out;
		}
		set_env = from_operator;
	}
	rc = load_keys(o->dir, cfg, secret, key, &p11);
	oa_free_secret(secret);
	secret = NULL;
	if (rc)
		goto out;
	if (X509_check_private_key(x, key[SIGNER_ISSUING]) != 1) {
		ERR_clear_error();
		rc = oa_fail(OA_ERR_INVALID, "the issuing CA's private key does not match the"
		    " certificate");
		goto out;
	}
	/* The OCSP responder and the TSA, as init makes them, within the issuing
	 * CA's validity. */
	if ((rc = ca_build_service_cert(cfg, 0, key[SIGNER_OCSP], x, key[SIGNER_ISSUING], now,
	         days_within(x, now, conf_int(cfg, "ca.ocsp_validity_days")), &svc[SIGNER_OCSP])) ||
	    (key[SIGNER_TSA] &&
	        (rc = ca_build_service_cert(cfg, 1, key[SIGNER_TSA], x, key[SIGNER_ISSUING], now,
	             days_within(x, now, CA_TSA_VALIDITY_DAYS), &svc[SIGNER_TSA]))))
		goto out;

	/* Files, then the store in one transaction; pki/issuing.crt last.  A
	 * failure removes what was written: the instance still waits. */
	wrote = 1;
	if ((rc = oa_path_join(pki, sizeof pki, o->dir, "pki")) ||
	    (rc = ca_write_pem_cert(pki, "root.crt", root, NULL)) ||
	    (rc = ca_write_pem_cert(pki, "ocsp.crt", svc[SIGNER_OCSP], NULL)) ||
	    (svc[SIGNER_TSA] && (rc = ca_write_pem_cert(pki, "tsa.crt", svc[SIGNER_TSA], NULL))))
		goto out;
	{
		BIO *b = BIO_new(BIO_s_mem());
		char *d;
		long n;
		int ok = b != NULL;
		for (int i = 0; ok && i < sk_X509_num(chain); i++)
			ok = PEM_write_bio_X509(b, sk_X509_value(chain, i));
		if (!ok) {
			BIO_free(b);
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "PEM");
			goto out;
		}
		n = BIO_get_mem_data(b, &d);
		rc = oa_buf_append(&pem, d, (size_t)n);
		BIO_free(b);
		if (rc || (rc = oa_path_join(path, sizeof path, o->dir, "pki/chain.pem")) ||
		    (rc = oa_write_file_atomic(path, pem.data, pem.len, 0600)))
			goto out;
	}
	if (crl) {
		unsigned char *der = NULL;
		int n = i2d_X509_CRL(crl, &der);
		if (n <= 0) {
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "DER");
			goto out;
		}
		rc = oa_path_join(path, sizeof path, o->dir, "pki/root.crl");
		if (rc == OA_OK)
			rc = oa_write_file_atomic(path, der, (size_t)n, 0600);
		OPENSSL_free(der);
		if (rc)
			goto out;
	}
	name_of(X509_get_subject_name(root), out->root, sizeof out->root);
	{
		char detail[700];
		snprintf(detail, sizeof detail, "subject=%s root=%.200s intermediates=%d", got,
		    out->root, sk_X509_num(chain) - 2);
		if ((rc = store_begin(db)))
			goto out;
		if ((rc = ca_store_cert(db, "root", root, rkt, now, o->actor, "ca.import")) ||
		    (rc = ca_store_cert(db, "issuing", x, kt, now, o->actor, "ca.import")) ||
		    (rc = ca_store_cert(db, "ocsp", svc[SIGNER_OCSP], kt, now, o->actor, "ca.create")) ||
		    (svc[SIGNER_TSA] && (rc = ca_audit_tsa(db, svc[SIGNER_TSA], o->actor))) ||
		    (rc = audit_append(db, o->actor, "ca.import_issuing", "issuing", detail)) ||
		    (rc = store_commit(db))) {
			store_rollback(db);
			goto out;
		}
	}
	committed = 1;
	if ((rc = ca_write_pem_cert(pki, "issuing.crt", x, NULL)))
		goto out;
	out->intermediates = sk_X509_num(chain) - 2;
	out->not_after = time_of(X509_get0_notAfter(x));
	snprintf(out->subject, sizeof out->subject, "%s", got);
	if ((rc = ca_serial_hex(X509_get0_serialNumber(x), out->serial)))
		goto out;
	/* The token is released before the signer process opens it itself. */
	for (int k = 0; k < SIGNER__MAX; k++) {
		EVP_PKEY_free(key[k]);
		key[k] = NULL;
	}
	signer_p11_unload(p11);
	p11 = NULL;
	/* The first CRL of the issuing CA, through the normal path. */
	if ((rc = ca_open(o->dir, &c)) || (rc = ca_crl_publish(c, 0, NULL, NULL))) {
		char why[512];
		snprintf(why, sizeof why, "%s", oa_errmsg());
		rc = oa_fail(rc, "the certificate is imported, but the first CRL could not be"
		    " published (run openams ca crl): %s", why);
	}
out:
	if (wrote && !committed)
		for (size_t i = 0; i < sizeof written / sizeof written[0]; i++)
			if (oa_path_join(path, sizeof path, o->dir, written[i]) == OA_OK)
				unlink(path);
	ca_free(c);
	for (int k = 0; k < SIGNER__MAX; k++) {
		EVP_PKEY_free(key[k]);
		X509_free(svc[k]);
	}
	signer_p11_unload(p11);
	oa_free_secret(secret);
	if (set_env)
		oa_wipe_env("OPENAMS_CA_PASSPHRASE");
	oa_buf_free(&pem);
	X509_CRL_free(crl);
	X509_REQ_free(req);
	X509_free(x);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(given, X509_free);
	free(csr);
	store_close(db);
	conf_free(cfg);
	return rc;
}
