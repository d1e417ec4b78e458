/*
 * init.c - `openams init`: a new data directory with its CA hierarchy.
 *
 * Everything is built in DIR.init-XXXXXX beside the target and renamed into
 * place at the end, so an interrupted or failed init leaves nothing, and an
 * existing instance is never touched.
 *
 * Hierarchy (RFC 5280 4.2.1.9/4.2.1.3, RFC 6960 4.2.2.2):
 *   root CA      self-signed, CA:TRUE (critical), keyCertSign+cRLSign
 *   issuing CA   CA:TRUE pathlen:0, keyCertSign+cRLSign+digitalSignature,
 *                CRL DP and caIssuers pointing at the root's publications
 *   OCSP         end entity of the issuing CA, digitalSignature,
 *                id-kp-OCSPSigning, id-pkix-ocsp-nocheck
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "caInt.h"

static oa_err add_ext(X509 *x, int nid, int crit, void *value)
{
	if (X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_DEFAULT) != 1)
		return oa_fail_ssl(OA_ERR_CRYPTO, "adding %s", OBJ_nid2sn(nid));
	return OA_OK;
}

enum kind { K_ROOT, K_ISSUING, K_OCSP, K_TSA };

/* A plain copy of a key's public half.  Certificates keep a reference to the
 * key they were given; a token key (libp11) must not outlive its session. */
static EVP_PKEY *plain_public(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_PUBKEY(k, &der);
	EVP_PKEY *pub;

	if (n <= 0)
		return NULL;
	p = der;
	pub = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	return pub;
}

/* Builds and signs one CA-hierarchy certificate. */
static oa_err build_ca_cert(const conf *cfg, enum kind kind, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *issuer_key, int64_t now, int days, X509 **out)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
	AUTHORITY_KEYID *akid = NULL;
	STACK_OF(X509_EXTENSION) *more = sk_X509_EXTENSION_new_null();
	uint8_t sb[OA_SERIAL_BYTES];
	EVP_PKEY *pub = plain_public(key);
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char tsa_cn[192];
	const char *cn = kind == K_ROOT ? conf_str(cfg, "ca.root_name")
	               : kind == K_ISSUING ? conf_str(cfg, "ca.issuing_name")
	               : kind == K_OCSP ? conf_str(cfg, "ca.ocsp_name") : tsa_cn;
	oa_err rc = OA_OK;

	/* the TSA is named after the issuing CA that certifies it: unique per instance */
	snprintf(tsa_cn, sizeof tsa_cn, "%.150s TSA", conf_str(cfg, "ca.issuing_name"));
	*out = NULL;
	if (x == NULL || nm == NULL || bc == NULL || ku == NULL || ski == NULL || more == NULL ||
	    pub == NULL) {
		rc = oa_fail_ssl(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (RAND_bytes(sb, sizeof sb) != 1) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "random serial");
		goto out;
	}
	sb[0] = (uint8_t)((sb[0] & 0x7f) | 0x01);
	if ((bn = BN_bin2bn(sb, sizeof sb, NULL)) == NULL ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial) ||
	    !X509_NAME_add_entry_by_NID(nm, NID_countryName, V_ASN1_PRINTABLESTRING,
	        (const unsigned char *)conf_str(cfg, "ca.country"), -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(nm, NID_organizationName, MBSTRING_UTF8,
	        (const unsigned char *)conf_str(cfg, "ca.organization"), -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(nm, NID_commonName, MBSTRING_UTF8,
	        (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, nm) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : nm) ||
	    !ASN1_TIME_adj(X509_getm_notBefore(x), (time_t)now, 0, 0) ||
	    !ASN1_TIME_adj(X509_getm_notAfter(x), (time_t)now, days, 0) || !X509_set_pubkey(x, pub)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "building the %s certificate", cn);
		goto out;
	}
	/* DER encodes BOOLEAN TRUE as 0xff (X.690 11.1); OpenSSL writes the int as given. */
	bc->ca = kind != K_OCSP && kind != K_TSA ? 0xff : 0;
	if (kind == K_ISSUING) {
		bc->pathlen = ASN1_INTEGER_new();
		ASN1_INTEGER_set(bc->pathlen, 0);
	}
	if (kind == K_OCSP || kind == K_TSA)
		ASN1_BIT_STRING_set_bit(ku, 0, 1); /* digitalSignature */
	else {
		if (kind == K_ISSUING)
			ASN1_BIT_STRING_set_bit(ku, 0, 1);
		ASN1_BIT_STRING_set_bit(ku, 5, 1); /* keyCertSign */
		ASN1_BIT_STRING_set_bit(ku, 6, 1); /* cRLSign */
	}
	if ((rc = add_ext(x, NID_basic_constraints, 1, bc)) || (rc = add_ext(x, NID_key_usage, 1, ku)))
		goto out;
	if (!X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) || !ASN1_OCTET_STRING_set(ski, md, (int)mdlen)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "subject key identifier");
		goto out;
	}
	if ((rc = add_ext(x, NID_subject_key_identifier, 0, ski)))
		goto out;
	if (issuer) {
		if ((akid = AUTHORITY_KEYID_new()) == NULL ||
		    (akid->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(issuer))) == NULL) {
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = add_ext(x, NID_authority_key_identifier, 0, akid)))
			goto out;
	}
	/* ca.policies: the issuing CA asserts them, the root anyPolicy (so that
	 * a relying party that checks policies through the root accepts any
	 * its subordinates assert), each with the CPS pointer */
	if (kind == K_ROOT || kind == K_ISSUING) {
		char cp[CA_MAX_POLICIES][64];
		int n = conf_oids(cfg, "ca.policies", cp, CA_MAX_POLICIES);
		if (n > 0 && kind == K_ROOT) {
			snprintf(cp[0], sizeof cp[0], "2.5.29.32.0");
			n = 1;
		}
		if (n > 0 && (rc = profile_policies(more, (const char (*)[64])cp, n,
		                  conf_str(cfg, "ca.cps_uri"))))
			goto out;
	}
	if (kind == K_ISSUING) {
		if ((*conf_str(cfg, "ca.root_crl_url") &&
		        (rc = profile_crldp(more, conf_str(cfg, "ca.root_crl_url")))) ||
		    (rc = profile_aia(more, NULL, conf_str(cfg, "ca.root_issuers_url"))))
			goto out;
	}
	if (kind == K_OCSP) {
		EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
		ASN1_NULL *nul = ASN1_NULL_new();
		int ok = eku && nul && sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_OCSP_sign)) > 0;
		if (ok)
			rc = add_ext(x, NID_ext_key_usage, 0, eku);
		/* RFC 6960 4.2.2.2.1: id-pkix-ocsp-nocheck, value NULL. */
		if (ok && rc == OA_OK)
			rc = add_ext(x, NID_id_pkix_OCSP_noCheck, 0, nul);
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
		ASN1_NULL_free(nul);
		if (!ok)
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		if (rc)
			goto out;
	}
	if (kind == K_TSA) {
		/* RFC 3161 2.3: exactly id-kp-timeStamping, critical */
		EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
		int ok = eku && sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_time_stamp)) > 0;
		rc = ok ? add_ext(x, NID_ext_key_usage, 1, eku) : oa_fail(OA_ERR_NOMEM, "out of memory");
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
		if (rc == OA_OK && *conf_str(cfg, "ca.crl_url"))
			rc = profile_crldp(more, conf_str(cfg, "ca.crl_url"));
		if (rc == OA_OK)
			rc = profile_aia(more, *conf_str(cfg, "ca.ocsp_url") ? conf_str(cfg, "ca.ocsp_url")
			                                                     : NULL,
			    conf_str(cfg, "ca.issuers_url"));
		if (rc)
			goto out;
	}
	for (int i = 0; i < sk_X509_EXTENSION_num(more); i++)
		if (!X509_add_ext(x, sk_X509_EXTENSION_value(more, i), -1)) {
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "adding an extension");
			goto out;
		}
	{
		const char *t = signer_key_type_of(issuer_key);
		const EVP_MD *mdalg = t && strcmp(t, "ec-p384") == 0 ? EVP_sha384() : EVP_sha256();
		if (X509_sign(x, issuer_key, mdalg) <= 0) {
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "signing the %s certificate", cn);
			goto out;
		}
	}
	*out = x;
	x = NULL;
out:
	X509_free(x);
	X509_NAME_free(nm);
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	ASN1_OCTET_STRING_free(ski);
	AUTHORITY_KEYID_free(akid);
	sk_X509_EXTENSION_pop_free(more, X509_EXTENSION_free);
	EVP_PKEY_free(pub);
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	return rc;
}

oa_err ca_build_service_cert(const conf *cfg, int tsa, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *issuer_key, int64_t now, int days, X509 **out)
{
	return build_ca_cert(cfg, tsa ? K_TSA : K_OCSP, key, issuer, issuer_key, now, days, out);
}

/* The names of the hierarchy: whatever the configuration sets, else names
 * that identify this instance (two instances' CAs must never share a
 * subject: NSS and other stores tell CAs apart by it).  O is instance.name;
 * each CN is "<instance.org> <role> <tag>", the tag being the first four
 * octets of the SHA-256 of the root's SubjectPublicKeyInfo.  The names used
 * are set in cfg, so openams.conf records them. */
static oa_err ca_names(conf *cfg, EVP_PKEY *root_key)
{
	static const char *const key[] = {"ca.root_name", "ca.issuing_name", "ca.ocsp_name"};
	static const char *const role[] = {"Root CA", "Issuing CA", "OCSP Responder"};
	const char *org = conf_str(cfg, "instance.org");
	unsigned char *spki = NULL, md[32];
	int n = i2d_PUBKEY(root_key, &spki);
	char tag[9], cn[128];
	oa_err rc = OA_OK;

	if (n <= 0 || !EVP_Digest(spki, (size_t)n, md, NULL, EVP_sha256(), NULL)) {
		OPENSSL_free(spki);
		return oa_fail_ssl(OA_ERR_CRYPTO, "hashing the root key");
	}
	OPENSSL_free(spki);
	snprintf(tag, sizeof tag, "%02X%02X%02X%02X", md[0], md[1], md[2], md[3]);
	if (!*conf_str(cfg, "ca.organization") &&
	    (rc = conf_set(cfg, "ca.organization", conf_str(cfg, "instance.name"))))
		return rc;
	for (int i = 0; i < 3 && rc == OA_OK; i++) {
		/* At most 64 characters (RFC 5280 ub-common-name): the org is cut. */
		int room = 64 - (int)strlen(role[i]) - (int)strlen(tag) - 2;
		if (*conf_str(cfg, key[i]))
			continue;
		snprintf(cn, sizeof cn, "%.*s %s %s", room, org, role[i], tag);
		rc = conf_set(cfg, key[i], cn);
	}
	return rc;
}

oa_err ca_write_pem_cert(const char *dir, const char *name, X509 *x, oa_buf *chain)
{
	char path[OA_MAX_PATH];
	BIO *b = BIO_new(BIO_s_mem());
	char *d;
	long n;
	oa_err rc;

	if (b == NULL || !PEM_write_bio_X509(b, x)) {
		BIO_free(b);
		return oa_fail_ssl(OA_ERR_CRYPTO, "PEM");
	}
	n = BIO_get_mem_data(b, &d);
	rc = oa_path_join(path, sizeof path, dir, name);
	if (rc == OA_OK)
		rc = oa_write_file_atomic(path, d, (size_t)n, 0600);
	if (rc == OA_OK && chain)
		rc = oa_buf_append(chain, d, (size_t)n);
	BIO_free(b);
	return rc;
}

oa_err ca_store_cert(store *db, const char *role, X509 *x, const char *key_type, int64_t now,
    const char *actor, const char *action)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	char serial[41], subject[512];
	store_stmt *st;
	oa_err rc;

	if (n <= 0)
		return oa_fail_ssl(OA_ERR_CRYPTO, "DER");
	if ((rc = ca_serial_hex(X509_get0_serialNumber(x), serial))) {
		OPENSSL_free(der);
		return rc;
	}
	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
	st = store_prepare(db, "INSERT INTO ca_cert(role, serial, subject, key_type, not_before,"
	                       " not_after, der, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL) {
		OPENSSL_free(der);
		return OA_ERR_STORE;
	}
	{
		struct tm nb, na;
		ASN1_TIME_to_tm(X509_get0_notBefore(x), &nb);
		ASN1_TIME_to_tm(X509_get0_notAfter(x), &na);
		store_bind_text(st, 1, role);
		store_bind_text(st, 2, serial);
		store_bind_text(st, 3, subject);
		store_bind_text(st, 4, key_type);
		store_bind_int(st, 5, (int64_t)timegm(&nb));
		store_bind_int(st, 6, (int64_t)timegm(&na));
		store_bind_blob(st, 7, der, (size_t)n);
		store_bind_int(st, 8, now);
	}
	rc = store_run(st);
	OPENSSL_free(der);
	if (rc == OA_OK) {
		char object[80];
		snprintf(object, sizeof object, "ca_cert:%s:%s", role, serial);
		rc = audit_append(db, actor, action, object, subject);
	}
	return rc;
}

/* Copies *.yaml from src to dst (skipping if src does not exist and !required). */
static oa_err copy_yaml_dir(const char *src, const char *dst, int required)
{
	DIR *d = opendir(src);
	struct dirent *e;
	oa_err rc = OA_OK;
	int copied = 0;

	if (d == NULL)
		return required ? oa_fail(OA_ERR_NOTFOUND, "%s: %s (set OPENAMS_SHARE to the"
		                                         " openams source directory)", src, strerror(errno))
		                : OA_OK;
	if ((rc = oa_mkdir_p(dst, 0700)))
		goto out;
	while ((e = readdir(d)) != NULL && rc == OA_OK) {
		size_t l = strlen(e->d_name);
		char from[OA_MAX_PATH], to[OA_MAX_PATH];
		uint8_t *data;
		size_t n;
		if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".yaml") != 0)
			continue;
		if ((rc = oa_path_join(from, sizeof from, src, e->d_name)) ||
		    (rc = oa_path_join(to, sizeof to, dst, e->d_name)) ||
		    (rc = oa_read_file(from, OA_MAX_SOP_BYTES, &data, &n)))
			break;
		rc = oa_write_file_atomic(to, data, n, 0600);
		free(data);
		copied++;
	}
	if (rc == OA_OK && required && copied == 0)
		rc = oa_fail(OA_ERR_NOTFOUND, "%s: no *.yaml files", src);
out:
	closedir(d);
	return rc;
}

static int dir_state(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n == 0 ? 1 : 2; /* 1: empty directory, 2: has files */
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char sub[OA_MAX_PATH];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (oa_path_join(sub, sizeof sub, path, e->d_name) == OA_OK)
			remove_tree(sub);
	}
	closedir(d);
	rmdir(path);
}

/* The TSA's certificate is a file (pki/tsa.crt), not a CA row: its record. */
oa_err ca_audit_tsa(store *db, X509 *x, const char *actor)
{
	char serial[41] = "", detail[600], subject[512] = "";
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;

	if (h && strlen(h) < sizeof serial)
		for (size_t i = 0; h[i]; i++)
			serial[i] = (char)(h[i] >= 'A' && h[i] <= 'F' ? h[i] - 'A' + 'a' : h[i]);
	OPENSSL_free(h);
	BN_free(bn);
	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
	snprintf(detail, sizeof detail, "role=tsa serial=%s subject=%s", serial, subject);
	return audit_append(db, actor, "ca.create", "tsa", detail);
}

/* A database that already holds a CA (a PostgreSQL one named by store.path
 * can outlive a data directory) is not made a second instance. */
static oa_err store_empty(store *db)
{
	store_stmt *st = store_prepare(db, "SELECT COUNT(*) FROM ca_cert");
	int64_t n = -1;

	if (st == NULL)
		return OA_ERR_STORE;
	if (store_step(st) == STORE_ROW)
		n = store_col_int(st, 0);
	store_reset(st);
	if (n < 0)
		return OA_ERR_STORE;
	if (n > 0)
		return oa_fail(OA_ERR_EXISTS, "the database (store.path) already holds an instance's"
		    " CA certificates: init makes a new instance in an empty database only");
	return OA_OK;
}

oa_err ca_init(const ca_init_opts *o)
{
	char tmp[OA_MAX_PATH], path[OA_MAX_PATH], src[OA_MAX_PATH], *pass = NULL;
	conf *cfg = conf_new();
	EVP_PKEY *key[SIGNER__MAX] = {0};
	void *p11 = NULL;
	int use_p11 = o->pkcs11_module != NULL, ext = o->external_root;
	X509 *cert[SIGNER__MAX] = {0};
	store *db = NULL;
	ca *c = NULL;
	oa_buf chain = {0};
	FILE *f;
	const char *key_type;
	int64_t now = oa_now();
	int st, made_tmp = 0;
	oa_err rc = OA_OK;

	if (cfg == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if ((st = dir_state(o->dir)) == 2) {
		rc = oa_fail(OA_ERR_EXISTS, "%s already exists and is not empty; nothing was changed",
		    o->dir);
		goto out;
	}
	if (st < 0) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", o->dir, strerror(errno));
		goto out;
	}
	if (o->config_file && (rc = conf_load(cfg, o->config_file)))
		goto out;
	if (o->demo && (rc = conf_set(cfg, "instance.name", "openams demo")))
		goto out;
	key_type = o->key_type ? o->key_type : conf_str(cfg, "ca.key_type");
	if ((rc = conf_set(cfg, "ca.key_type", key_type)))
		goto out;
	key_type = conf_str(cfg, "ca.key_type");
	if (use_p11) {
		if (o->pkcs11_token == NULL || o->pkcs11_pin == NULL) {
			rc = oa_fail(OA_ERR_INVALID, "a PKCS#11 token needs its label and PIN");
			goto out;
		}
		if ((rc = conf_set(cfg, "signer.backend", "pkcs11")) ||
		    (rc = conf_set(cfg, "signer.pkcs11_module", o->pkcs11_module)) ||
		    (rc = conf_set(cfg, "signer.pkcs11_token", o->pkcs11_token)) ||
		    (rc = conf_set(cfg, "signer.pkcs11_pin_file",
		         o->pkcs11_pin_file ? o->pkcs11_pin_file : "")) ||
		    (rc = conf_set(cfg, "ca.key_passphrase_file", "")))
			goto out;
		pass = strdup("");
	} else if (o->passphrase) {
		if (strlen(o->passphrase) < 12) {
			rc = oa_fail(OA_ERR_INVALID, "the CA passphrase must have at least 12 characters");
			goto out;
		}
		if ((rc = conf_set(cfg, "ca.key_passphrase_file", "")))
			goto out;
		pass = strdup(o->passphrase);
	} else {
		uint8_t rnd[32];
		if (RAND_bytes(rnd, sizeof rnd) != 1) {
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "random passphrase");
			goto out;
		}
		if ((pass = malloc(65)) != NULL)
			oa_hex(pass, rnd, sizeof rnd);
		oa_wipe(rnd, sizeof rnd);
	}
	if (pass == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.init-XXXXXX", o->dir) >= sizeof tmp) {
		rc = oa_fail(OA_ERR_LIMIT, "path too long");
		goto out;
	}
	{
		/* mkdtemp needs the parent to exist. */
		char parent[OA_MAX_PATH];
		char *slash;
		snprintf(parent, sizeof parent, "%s", o->dir);
		if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
			*slash = 0;
			if ((rc = oa_mkdir_p(parent, 0755)))
				goto out;
		}
	}
	if (mkdtemp(tmp) == NULL) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	made_tmp = 1;
	/* Everything in the data directory is the owner's alone: files 0600,
	 * directories 0700 (the store's files too, see store_open()). */
	chmod(tmp, 0700);
	if ((rc = oa_path_join(path, sizeof path, tmp, "keys")) || (rc = oa_mkdir_p(path, 0700)) ||
	    (rc = oa_path_join(path, sizeof path, tmp, "pki")) || (rc = oa_mkdir_p(path, 0700)))
		goto out;
	if (!o->passphrase && !use_p11) {
		if ((rc = oa_path_join(path, sizeof path, tmp, "secrets")) ||
		    (rc = oa_mkdir_p(path, 0700)) ||
		    (rc = oa_path_join(path, sizeof path, tmp, conf_str(cfg, "ca.key_passphrase_file"))) ||
		    (rc = oa_write_file_atomic(path, pass, strlen(pass), 0600)))
			goto out;
	}

	/* The hierarchy: keys in the token, or fresh key pairs for key files. */
	if (use_p11) {
		EVP_PKEY *tk[SIGNER__MAX];
		if ((rc = signer_p11_generate(o->pkcs11_module, o->pkcs11_token, o->pkcs11_pin,
		         key_type)) ||
		    (rc = signer_p11_load(o->pkcs11_module, o->pkcs11_token, o->pkcs11_pin, tk, &p11)))
			goto out;
		for (int k = 0; k < SIGNER_CA_KEYS; k++) {
			/* Borrowed from the token session; never freed here. */
			key[k] = tk[k];
			EVP_PKEY_up_ref(key[k]);
		}
	} else
		for (int k = 0; k < SIGNER__MAX; k++)
			if (!(ext && k == SIGNER_ROOT) && (rc = signer_generate(key_type, &key[k])))
				goto out;
	/* Under an external root: the issuing CA's request only; its certificate,
	 * the OCSP responder's and the TSA's come with ca_import_issuing(). */
	if (ext) {
		if ((rc = ca_names(cfg, key[SIGNER_ISSUING])) ||
		    (rc = oa_path_join(path, sizeof path, tmp, "pki/issuing.csr")) ||
		    (rc = ca_extroot_csr(cfg, key[SIGNER_ISSUING], path)))
			goto out;
	} else if ((rc = ca_names(cfg, key[SIGNER_ROOT])) ||
	    (rc = build_ca_cert(cfg, K_ROOT, key[SIGNER_ROOT], NULL, key[SIGNER_ROOT], now,
	         (int)conf_int(cfg, "ca.root_validity_days"), &cert[SIGNER_ROOT])) ||
	    (rc = build_ca_cert(cfg, K_ISSUING, key[SIGNER_ISSUING], cert[SIGNER_ROOT],
	         key[SIGNER_ROOT], now, (int)conf_int(cfg, "ca.issuing_validity_days"),
	         &cert[SIGNER_ISSUING])) ||
	    (rc = build_ca_cert(cfg, K_OCSP, key[SIGNER_OCSP], cert[SIGNER_ISSUING],
	         key[SIGNER_ISSUING], now, (int)conf_int(cfg, "ca.ocsp_validity_days"),
	         &cert[SIGNER_OCSP])))
		goto out;
	/* The time-stamping authority (file backend; a token's TSA key is not made yet). */
	if (!use_p11 && !ext) {
		int64_t days = conf_int(cfg, "ca.issuing_validity_days");
		if ((rc = build_ca_cert(cfg, K_TSA, key[SIGNER_TSA], cert[SIGNER_ISSUING],
		         key[SIGNER_ISSUING], now, (int)(days < CA_TSA_VALIDITY_DAYS ? days
		                                                                : CA_TSA_VALIDITY_DAYS),
		         &cert[SIGNER_TSA])))
			goto out;
	}
	if (!ext &&
	    conf_int(cfg, "ca.issuing_validity_days") > conf_int(cfg, "ca.root_validity_days")) {
		rc = oa_fail(OA_ERR_CONFIG, "ca.issuing_validity_days must not exceed ca.root_validity_days");
		goto out;
	}
	{
		static const char *const kf[SIGNER__MAX] = {"keys/root.key", "keys/issuing.key",
		    "keys/ocsp.key", "keys/tsa.key"};
		for (int k = 0; !use_p11 && k < SIGNER__MAX; k++)
			if (key[k] && ((rc = oa_path_join(path, sizeof path, tmp, kf[k])) ||
			                  (rc = signer_write_key(path, key[k], pass))))
				goto out;
	}
	if (!ext && ((rc = oa_path_join(path, sizeof path, tmp, "pki")) ||
	    (rc = ca_write_pem_cert(path, "root.crt", cert[SIGNER_ROOT], NULL)) ||
	    (rc = ca_write_pem_cert(path, "ocsp.crt", cert[SIGNER_OCSP], NULL)) ||
	    (cert[SIGNER_TSA] && (rc = ca_write_pem_cert(path, "tsa.crt", cert[SIGNER_TSA], NULL))) ||
	    (rc = ca_write_pem_cert(path, "issuing.crt", cert[SIGNER_ISSUING], &chain)) ||
	    (rc = oa_buf_append(&chain, "", 0))))
		goto out;
	if (!ext) {
		BIO *b = BIO_new(BIO_s_mem());
		char *d;
		long n;
		if (b == NULL || !PEM_write_bio_X509(b, cert[SIGNER_ROOT])) {
			BIO_free(b);
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "PEM");
			goto out;
		}
		n = BIO_get_mem_data(b, &d);
		rc = oa_buf_append(&chain, d, (size_t)n);
		BIO_free(b);
		if (rc || (rc = oa_path_join(path, sizeof path, tmp, "pki/chain.pem")) ||
		    (rc = oa_write_file_atomic(path, chain.data, chain.len, 0600)))
			goto out;
	}

	/* Configuration, definitions, database. */
	if ((rc = oa_path_join(path, sizeof path, tmp, "openams.conf")))
		goto out;
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
			rc = oa_fail(OA_ERR_IO, "%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
	}
	conf_write_example(cfg, f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		rc = oa_fail(OA_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	fclose(f);
	if ((rc = oa_path_join(src, sizeof src, o->share, "profiles")) ||
	    (rc = oa_path_join(path, sizeof path, tmp, conf_str(cfg, "profiles.dir"))) ||
	    (rc = copy_yaml_dir(src, path, 1)) ||
	    (rc = oa_path_join(src, sizeof src, o->share, "sop")) ||
	    (rc = oa_path_join(path, sizeof path, tmp, conf_str(cfg, "sop.dir"))) ||
	    (rc = copy_yaml_dir(src, path, 0)))
		goto out;
	if ((rc = store_path_join(path, sizeof path, tmp, conf_str(cfg, "store.path"))) ||
	    (rc = store_open(path, &db)) || (rc = store_begin(db)) || (rc = store_empty(db)))
		goto out;
	if (ext) {
		char subject[512];
		X509_NAME *nm = X509_NAME_new();
		if (nm == NULL || (rc = ca_issuing_name(cfg, nm)) == OA_OK)
			X509_NAME_oneline(nm, subject, sizeof subject);
		X509_NAME_free(nm);
		if (nm == NULL)
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		if (rc || (rc = audit_append(db, "init", "ca.request", "issuing", subject)))
			goto out;
	} else if ((rc = ca_store_cert(db, "root", cert[SIGNER_ROOT], key_type, now, "init", "ca.create")) ||
	    (rc = ca_store_cert(db, "issuing", cert[SIGNER_ISSUING], key_type, now, "init",
	         "ca.create")) ||
	    (rc = ca_store_cert(db, "ocsp", cert[SIGNER_OCSP], key_type, now, "init", "ca.create")) ||
	    (cert[SIGNER_TSA] && (rc = ca_audit_tsa(db, cert[SIGNER_TSA], "init"))))
		goto out;
	if ((rc = audit_append(db, "init", "instance.create", o->dir, o->demo ? "demo" : "")) ||
	    (rc = store_commit(db)))
		goto out;
	store_close(db);
	db = NULL;

	/* The token is released before the signer process opens it itself. */
	for (int k = 0; use_p11 && k < SIGNER_CA_KEYS; k++) {
		EVP_PKEY_free(key[k]);
		key[k] = NULL;
	}
	signer_p11_unload(p11);
	p11 = NULL;
	if (use_p11 && o->pkcs11_pin && !o->pkcs11_pin_file &&
	    setenv("OPENAMS_PKCS11_PIN", o->pkcs11_pin, 1) != 0) {
		rc = oa_fail(OA_ERR_IO, "setenv");
		goto out;
	}
	/* The first CRLs, through the normal path. */
	if (o->passphrase && setenv("OPENAMS_CA_PASSPHRASE", o->passphrase, 1) != 0) {
		rc = oa_fail(OA_ERR_IO, "setenv");
		goto out;
	}
	if (!ext && ((rc = ca_open(tmp, &c)) || (rc = ca_crl_publish(c, 1, NULL, NULL)) ||
	                (rc = ca_crl_publish(c, 0, NULL, NULL))))
		goto out;
	ca_free(c);
	c = NULL;
	/* The instance's own setup opens a CA handle: one still waiting for its
	 * certificate is let open here, and signs nothing. */
	ca_extroot_allow_pending(ext);
	rc = o->prepare ? o->prepare(tmp, o->prepare_arg) : OA_OK;
	ca_extroot_allow_pending(0);
	if (rc)
		goto out;
	if (rename(tmp, o->dir) != 0) {
		rc = oa_fail(OA_ERR_IO, "renaming %s to %s: %s", tmp, o->dir, strerror(errno));
		goto out;
	}
	made_tmp = 0;
	chmod(o->dir, 0700);
out:
	if (made_tmp)
		remove_tree(tmp);
	ca_free(c);
	store_close(db);
	oa_free_secret(pass);
	for (int k = 0; k < SIGNER__MAX; k++) {
		EVP_PKEY_free(key[k]);
		X509_free(cert[k]);
	}
	signer_p11_unload(p11);
	oa_buf_free(&chain);
	conf_free(cfg);
	return rc;
}
