/*
 * issue.c - issuing certificates.
 *
 * Order of work for one request, so that nothing is signed that would not
 * be stored and nothing is stored that was not checked:
 *   1. prepare (no store access, may run in any thread): parse the CSR and
 *      verify its self-signature (proof of possession), gather the subject
 *      values, build the to-be-signed certificate from the profile, lint it;
 *   2. in the write transaction: the one-active-certificate policy, serial
 *      uniqueness, sign, insert with its audit record;
 *   3. commit (durable) and only then hand the certificate out.
 * ca_issue_batch() runs step 2 for many requests under one commit (group
 * commit), each inside its own savepoint so one refusal spoils nothing else.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/nik.h"
#include "caInt.h"

struct prepared {
	const ca_profile *p;
	X509 *x;
	char serial[41];
	char subject[512];
	char cn[4 * OA_MAX_NAME_CHARS + 1];
	char nik[17], nip[19];
	char email[OA_MAX_EMAIL_CHARS + 1];
	const char *key_type;
	const char *key_source;
	int64_t not_before, not_after;
};

/* Values gathered from the CSR and the request, UTF-8, bounded. */
struct values {
	char c[3], st[4 * 128 + 1], l[4 * 128 + 1], o[4 * 64 + 1], ou[4 * 64 + 1];
	char cn[4 * 64 + 1], nik[32], nip[32], email[OA_MAX_EMAIL_CHARS + 1];
};

static void prepared_clear(struct prepared *pp)
{
	X509_free(pp->x);
	memset(pp, 0, sizeof *pp);
}

oa_err ca_serial_hex(const ASN1_INTEGER *ai, char out[41])
{
	int n = ASN1_STRING_length(ai);
	const unsigned char *d = ASN1_STRING_get0_data(ai);

	while (n > 1 && d[0] == 0) {
		d++;
		n--;
	}
	if (n <= 0 || n > 20 || ASN1_STRING_type(ai) == V_ASN1_NEG_INTEGER)
		return oa_fail(OA_ERR_INVALID, "serial number out of range");
	oa_hex(out, d, (size_t)n);
	return OA_OK;
}

static oa_err random_serial(X509 *x, char out[41])
{
	uint8_t b[OA_SERIAL_BYTES];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	oa_err rc = OA_OK;

	if (RAND_bytes(b, sizeof b) != 1)
		return oa_fail_ssl(OA_ERR_CRYPTO, "random serial");
	/* Positive and exactly 16 octets: first octet in 0x01..0x7f. */
	b[0] &= 0x7f;
	if (b[0] == 0)
		b[0] = 1;
	if ((bn = BN_bin2bn(b, sizeof b, NULL)) == NULL ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || !X509_set_serialNumber(x, ai))
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "setting the serial number");
	else
		oa_hex(out, b, sizeof b);
	BN_free(bn);
	ASN1_INTEGER_free(ai);
	return rc;
}

static oa_err copy_value(char *dst, size_t dstsz, const char *src, const char *what,
    size_t max_chars)
{
	if (src == NULL)
		return OA_OK;
	if (!oa_is_clean_utf8(src))
		return oa_fail(OA_ERR_INVALID, "%s has control characters or invalid UTF-8", what);
	if (strlen(src) >= dstsz || oa_utf8_chars(src) > max_chars)
		return oa_fail(OA_ERR_INVALID, "%s is longer than %zu characters", what, max_chars);
	strcpy(dst, src);
	return OA_OK;
}

/* Reads the CSR's subject into v; refuses attributes openams does not issue. */
static oa_err csr_values(X509_REQ *req, struct values *v)
{
	const X509_NAME *nm = X509_REQ_get_subject_name(req);
	int n = X509_NAME_entry_count(nm), prev_set = -1;
	STACK_OF(X509_EXTENSION) *exts;
	oa_err rc = OA_OK;

	if (n > OA_MAX_SUBJECT_ATTRS)
		return oa_fail(OA_ERR_LIMIT, "CSR subject has %d attributes, limit %d", n,
		    OA_MAX_SUBJECT_ATTRS);
	for (int i = 0; i < n && rc == OA_OK; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		unsigned char *u = NULL;
		int ul;
		char *dst;
		size_t dstsz, maxc;
		const char *what;

		if (X509_NAME_ENTRY_set(e) == prev_set)
			return oa_fail(OA_ERR_INVALID, "CSR subject has a multi-valued RDN");
		prev_set = X509_NAME_ENTRY_set(e);
		switch (nid) {
		case NID_countryName: dst = v->c; dstsz = sizeof v->c; maxc = 2; what = "C"; break;
		case NID_stateOrProvinceName: dst = v->st; dstsz = sizeof v->st; maxc = 128; what = "ST"; break;
		case NID_localityName: dst = v->l; dstsz = sizeof v->l; maxc = 128; what = "L"; break;
		case NID_organizationName: dst = v->o; dstsz = sizeof v->o; maxc = 64; what = "O"; break;
		case NID_organizationalUnitName: dst = v->ou; dstsz = sizeof v->ou; maxc = 64; what = "OU"; break;
		case NID_commonName: dst = v->cn; dstsz = sizeof v->cn; maxc = 64; what = "CN"; break;
		case NID_pkcs9_emailAddress: dst = v->email; dstsz = sizeof v->email; maxc = OA_MAX_EMAIL_CHARS; what = "emailAddress"; break;
		case NID_serialNumber: dst = v->nik; dstsz = sizeof v->nik; maxc = 22; what = "serialNumber"; break;
		case NID_userId: dst = v->nip; dstsz = sizeof v->nip; maxc = 18; what = "UID"; break;
		default:
			return oa_fail(OA_ERR_INVALID,
			    "CSR subject attribute %s is not accepted (use CN, O, OU, L, ST, C, emailAddress)",
			    nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown OID)");
		}
		if ((ul = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e))) < 0)
			return oa_fail(OA_ERR_INVALID, "CSR subject attribute %s cannot be decoded", what);
		if ((int)strlen((char *)u) != ul)
			rc = oa_fail(OA_ERR_INVALID, "CSR subject attribute %s contains a NUL byte", what);
		else if (dst[0])
			rc = oa_fail(OA_ERR_INVALID, "CSR subject attribute %s appears twice", what);
		else
			rc = copy_value(dst, dstsz, (char *)u, what, maxc);
		OPENSSL_free(u);
	}
	if (rc)
		return rc;
	/* An e-mail in the CSR's requested subjectAltName counts too. */
	if ((exts = X509_REQ_get_extensions(req)) != NULL) {
		GENERAL_NAMES *gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
		for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && rc == OA_OK; i++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
			if (g->type == GEN_EMAIL && !v->email[0]) {
				const ASN1_IA5STRING *s = g->d.rfc822Name;
				int len = ASN1_STRING_length(s);
				if (len <= 0 || len > OA_MAX_EMAIL_CHARS ||
				    memchr(ASN1_STRING_get0_data(s), 0, (size_t)len))
					rc = oa_fail(OA_ERR_INVALID, "CSR e-mail address is empty, too long or has a NUL");
				else {
					memcpy(v->email, ASN1_STRING_get0_data(s), (size_t)len);
					v->email[len] = 0;
				}
			}
		}
		GENERAL_NAMES_free(gens);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	return rc;
}

static oa_err parse_csr(const uint8_t *in, size_t n, X509_REQ **out)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pk;

	*out = NULL;
	if (n == 0)
		return oa_fail(OA_ERR_INVALID, "the CSR is empty");
	if (n > OA_MAX_CSR_BYTES)
		return oa_fail(OA_ERR_LIMIT, "the CSR is larger than %d bytes", OA_MAX_CSR_BYTES);
	if (n > 10 && memcmp(in, "-----BEGIN", 10) == 0) {
		BIO *b = BIO_new_mem_buf(in, (int)n);
		req = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	} else {
		const unsigned char *p = in;
		req = d2i_X509_REQ(NULL, &p, (long)n);
		if (req != NULL && p != in + n) {
			X509_REQ_free(req);
			return oa_fail(OA_ERR_INVALID, "the CSR has trailing data after the DER");
		}
	}
	if (req == NULL)
		return oa_fail_ssl(OA_ERR_INVALID, "the CSR is not a PKCS#10 request (PEM or DER)");
	if ((pk = X509_REQ_get0_pubkey(req)) == NULL) {
		X509_REQ_free(req);
		return oa_fail_ssl(OA_ERR_INVALID, "the CSR's public key cannot be read");
	}
	if (signer_key_type_of(pk) == NULL) {
		X509_REQ_free(req);
		return oa_fail(OA_ERR_INVALID,
		    "the CSR's key type is not supported (EC P-256/P-384, RSA 2048/3072/4096)");
	}
	/* RFC 2986 / RFC 4211 proof of possession: the request is signed by the
	 * private half of the key it carries. */
	if (X509_REQ_verify(req, pk) != 1) {
		X509_REQ_free(req);
		return oa_fail_ssl(OA_ERR_INVALID,
		    "the CSR's signature does not verify (proof of possession failed)");
	}
	ERR_clear_error();
	*out = req;
	return OA_OK;
}

/*
 * Puts the CSR's SubjectPublicKeyInfo into x as bytes.  X509_set_pubkey()
 * would encode the decoded key again and decode the result through
 * OpenSSL 3.0's decoder chain, the largest single cost of issuing
 * (docs/BENCHMARKS.md).  Without a CSR (a server-generated key) the key is
 * set the ordinary way.
 */
static int set_pubkey(X509 *x, X509_REQ *req, EVP_PKEY *pk)
{
	X509_PUBKEY *src;
	ASN1_OBJECT *pkalg, *oid;
	const unsigned char *bits;
	int nbits, ptype;
	X509_ALGOR *alg;
	const ASN1_OBJECT *aobj;
	const void *pval;
	void *pv = NULL;
	unsigned char *enc;

	if (req == NULL || (src = X509_REQ_get_X509_PUBKEY(req)) == NULL)
		return X509_set_pubkey(x, pk);
	if (!X509_PUBKEY_get0_param(&pkalg, &bits, &nbits, &alg, src) || nbits <= 0)
		return 0;
	X509_ALGOR_get0(&aobj, &ptype, &pval, alg);
	if (ptype == V_ASN1_OBJECT)
		pv = OBJ_dup(pval);
	else if (ptype == V_ASN1_SEQUENCE)
		pv = ASN1_STRING_dup(pval);
	else if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF)
		return 0;
	if ((ptype == V_ASN1_OBJECT || ptype == V_ASN1_SEQUENCE) && pv == NULL)
		return 0;
	enc = OPENSSL_memdup(bits, (size_t)nbits);
	oid = OBJ_dup(aobj);
	if (enc == NULL || oid == NULL ||
	    !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), oid, ptype, pv, enc, nbits)) {
		OPENSSL_free(enc);
		ASN1_OBJECT_free(oid);
		if (ptype == V_ASN1_OBJECT)
			ASN1_OBJECT_free(pv);
		else
			ASN1_STRING_free(pv);
		return 0;
	}
	return 1;
}

static oa_err add_name(X509_NAME *nm, int nid, int type, const char *v)
{
	if (v == NULL || !*v)
		return OA_OK;
	if (!X509_NAME_add_entry_by_NID(nm, nid, type, (const unsigned char *)v, -1, -1, 0))
		return oa_fail_ssl(OA_ERR_INVALID, "subject attribute %s cannot be encoded",
		    OBJ_nid2sn(nid));
	return OA_OK;
}

static oa_err prepare(ca *c, const ca_request *r, struct prepared *pp)
{
	char why[128];
	struct values v = {0};
	X509_REQ *req = NULL;
	EVP_PKEY *pk;
	X509 *x = NULL;
	X509 *issuer = c->cert[SIGNER_ISSUING];
	X509_NAME *nm = NULL;
	const ca_profile *p;
	char snum[48];
	int days;
	int64_t now = oa_now();
	oa_err rc;

	memset(pp, 0, sizeof *pp);
	if ((p = profile_find(c, r->profile ? r->profile : "individual")) == NULL)
		return oa_fail(OA_ERR_INVALID, "unknown profile '%s'", r->profile);
	if ((r->csr == NULL) == (r->key == NULL))
		return oa_fail(OA_ERR_INVALID, "give either a CSR or a server-generated key");
	if (r->csr != NULL) {
		if ((rc = parse_csr(r->csr, r->csr_len, &req)) || (rc = csr_values(req, &v)))
			goto out;
		pk = X509_REQ_get0_pubkey(req);
		pp->key_source = "csr";
	} else {
		pk = r->key;
		pp->key_source = "server";
	}
	if ((pp->key_type = signer_key_type_of(pk)) == NULL) {
		rc = oa_fail(OA_ERR_INVALID, "key type not supported");
		goto out;
	}
	if ((rc = copy_value(v.cn, sizeof v.cn, r->cn, "CN (name)", 64)) ||
	    (rc = copy_value(v.o, sizeof v.o, r->o, "O (organisation)", 64)) ||
	    (rc = copy_value(v.ou, sizeof v.ou, r->ou, "OU (unit)", 64)) ||
	    (rc = copy_value(v.l, sizeof v.l, r->l, "L (locality)", 128)) ||
	    (rc = copy_value(v.st, sizeof v.st, r->st, "ST (province)", 128)) ||
	    (rc = copy_value(v.nik, sizeof v.nik, r->nik, "NIK", 16)) ||
	    (rc = copy_value(v.nip, sizeof v.nip, r->nip, "NIP", 18)) ||
	    (rc = copy_value(v.email, sizeof v.email, r->email, "e-mail", OA_MAX_EMAIL_CHARS)))
		goto out;
	if (!v.c[0])
		snprintf(v.c, sizeof v.c, "%s", p->country[0] ? p->country : "ID");
	if (strncmp(v.nik, "PNOID-", 6) == 0)
		memmove(v.nik, v.nik + 6, strlen(v.nik + 6) + 1);
	if (v.nik[0] && !oa_nik_valid(v.nik, why, sizeof why)) {
		rc = oa_fail(OA_ERR_INVALID, "%s", why);
		goto out;
	}
	/* The last line behind the engine's identity checks: a case's
	 * certificate is for the case's applicant, whatever the case data says. */
	if (r->holder_nik != NULL || (r->ref != NULL && strncmp(r->ref, "case:", 5) == 0)) {
		if (!oa_nik_valid(r->holder_nik, NULL, 0)) {
			rc = oa_fail(OA_ERR_POLICY, "%s: a case's certificate is issued only for the NIK of"
			    " the case's applicant, and none was given", r->ref ? r->ref : "request");
			goto out;
		}
		if (strcmp(v.nik, r->holder_nik) != 0) {
			rc = oa_fail(OA_ERR_POLICY, "%s: the certificate would name NIK %s, which is not"
			    " the NIK of the case's applicant: refused", r->ref ? r->ref : "request",
			    v.nik[0] ? v.nik : "(none)");
			goto out;
		}
	}
	if (v.nip[0] && !oa_is_digits(v.nip, 18)) {
		rc = oa_fail(OA_ERR_INVALID, "NIP must be exactly 18 digits");
		goto out;
	}
	if (p->nik == NEED_REQUIRED && !v.nik[0]) {
		rc = oa_fail(OA_ERR_INVALID, "profile %s needs the applicant's NIK (--nik)", p->name);
		goto out;
	}
	if (p->email == NEED_REQUIRED && !v.email[0]) {
		rc = oa_fail(OA_ERR_INVALID, "profile %s needs an e-mail address (--email)", p->name);
		goto out;
	}
	if (p->nik == NEED_NO)
		v.nik[0] = 0;
	if (p->nip == NEED_NO)
		v.nip[0] = 0;
	if (p->email == NEED_NO)
		v.email[0] = 0;
	/* The request's days, or the profile's days or calendar months. */
	days = r->validity_days ? r->validity_days : p->validity_days;
	if ((days != 0 || p->validity_months == 0) && (days < 1 || days > 3650)) {
		rc = oa_fail(OA_ERR_INVALID, "validity of %d days is out of range", days);
		goto out;
	}

	if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    (nm = X509_NAME_new()) == NULL) {
		rc = oa_fail_ssl(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = random_serial(x, pp->serial)))
		goto out;
	if (!X509_set_issuer_name(x, X509_get_subject_name(issuer)) ||
	    !ASN1_TIME_adj(X509_getm_notBefore(x), (time_t)now, 0, 0) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)ca_not_after(p, r->validity_days, now)) ||
	    !set_pubkey(x, req, pk)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "building the certificate");
		goto out;
	}
	/* Subject, most significant first.  C and serialNumber are
	 * PrintableString (RFC 5280 Appendix A), the rest UTF8String. */
	snprintf(snum, sizeof snum, "PNOID-%s", v.nik);
	if ((rc = add_name(nm, NID_countryName, V_ASN1_PRINTABLESTRING, v.c)) ||
	    (rc = add_name(nm, NID_stateOrProvinceName, MBSTRING_UTF8, v.st)) ||
	    (rc = add_name(nm, NID_localityName, MBSTRING_UTF8, v.l)) ||
	    (rc = add_name(nm, NID_organizationName, MBSTRING_UTF8, v.o)) ||
	    (rc = add_name(nm, NID_organizationalUnitName, MBSTRING_UTF8, v.ou)) ||
	    (rc = add_name(nm, NID_commonName, MBSTRING_UTF8, v.cn)) ||
	    (rc = add_name(nm, NID_serialNumber, V_ASN1_PRINTABLESTRING, v.nik[0] ? snum : NULL)) ||
	    (rc = add_name(nm, NID_userId, MBSTRING_UTF8, v.nip)))
		goto out;
	if (!X509_set_subject_name(x, nm)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "setting the subject");
		goto out;
	}
	for (int i = 0; i < sk_X509_EXTENSION_num(p->fixed_ext); i++)
		if (!X509_add_ext(x, sk_X509_EXTENSION_value(p->fixed_ext, i), -1)) {
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "adding an extension");
			goto out;
		}
	{
		/* RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
		int ok = ski && X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) &&
		    ASN1_OCTET_STRING_set(ski, md, (int)mdlen) &&
		    X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT) == 1;
		ASN1_OCTET_STRING_free(ski);
		if (!ok) {
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "adding the subject key identifier");
			goto out;
		}
	}
	if (v.email[0]) {
		GENERAL_NAMES *gens = GENERAL_NAMES_new();
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();
		int ok = gens && g && s && ASN1_STRING_set(s, v.email, (int)strlen(v.email));
		if (ok) {
			GENERAL_NAME_set0_value(g, GEN_EMAIL, s);
			s = NULL;
			ok = sk_GENERAL_NAME_push(gens, g) > 0;
			if (ok)
				g = NULL;
		}
		ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1;
		ASN1_IA5STRING_free(s);
		GENERAL_NAME_free(g);
		GENERAL_NAMES_free(gens);
		if (!ok) {
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "adding the e-mail address");
			goto out;
		}
	}
	if ((rc = ca_lint(p, c->cfg, x, issuer, pk)))
		goto out;

	pp->p = p;
	pp->x = x;
	x = NULL;
	{
		BIO *b = BIO_new(BIO_s_mem());
		char *d;
		long l;
		if (b == NULL || X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
			BIO_free(b);
			rc = oa_fail_ssl(OA_ERR_NOMEM, "printing the subject");
			goto out;
		}
		l = BIO_get_mem_data(b, &d);
		snprintf(pp->subject, sizeof pp->subject, "%.*s", (int)l, d);
		BIO_free(b);
	}
	strcpy(pp->cn, v.cn);
	strcpy(pp->nik, v.nik);
	strcpy(pp->nip, v.nip);
	strcpy(pp->email, v.email);
	pp->not_before = now;
	pp->not_after = ca_not_after(p, r->validity_days, now);
out:
	X509_REQ_free(req);
	X509_free(x);
	X509_NAME_free(nm);
	if (rc)
		prepared_clear(pp);
	return rc;
}

/* The policy: at most one active certificate per NIK for profiles that say so. */
static oa_err policy_check(ca *c, const struct prepared *pp)
{
	store_stmt *st;
	int64_t now = oa_now();
	int step;
	char blocking[41] = "", until[32] = "";

	if (!pp->p->one_active_per_nik || !pp->nik[0] ||
	    strcmp(conf_str(c->cfg, "policy.one_active_per_nik"), "yes") != 0)
		return OA_OK;
	if ((st = store_prepare(c->db, "SELECT serial, not_after FROM certificate"
	                               " WHERE nik = ? AND profile = ? AND status = 'active'")) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, pp->nik);
	store_bind_text(st, 2, pp->p->name);
	while ((step = store_step(st)) == STORE_ROW) {
		int64_t na = store_col_int(st, 1);
		if (na > now) {
			snprintf(blocking, sizeof blocking, "%s", store_col_text(st, 0));
			oa_time_iso(until, sizeof until, na);
			break;
		}
	}
	store_reset(st);
	if (step < 0)
		return OA_ERR_STORE;
	if (blocking[0])
		return oa_fail(OA_ERR_POLICY,
		    "NIK %s already has active certificate %s (valid until %s); it must be revoked "
		    "before a new one is issued",
		    pp->nik, blocking, until);
	/* Those found expired are marked so, so the unique index lets the new one in. */
	if ((st = store_prepare(c->db, "UPDATE certificate SET status = 'expired'"
	                               " WHERE nik = ? AND profile = ? AND status = 'active'"
	                               " AND not_after <= ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, pp->nik);
	store_bind_text(st, 2, pp->p->name);
	store_bind_int(st, 3, now);
	return store_run(st);
}

static oa_err serial_free(ca *c, const char *serial, int *is_free)
{
	store_stmt *st = store_prepare(c->db, "SELECT 1 FROM certificate WHERE serial = ?");
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, serial);
	step = store_step(st);
	store_reset(st);
	if (step < 0)
		return OA_ERR_STORE;
	*is_free = step == STORE_DONE;
	return OA_OK;
}

/* Step 2 for one prepared request: inside the caller's transaction. */
static oa_err commit_one(ca *c, struct prepared *pp, const ca_request *r, ca_issued *out)
{
	signer *sig;
	store_stmt *st;
	uint8_t *der = NULL;
	int len, is_free = 0;
	char detail[1024];
	oa_err rc;

	memset(out, 0, sizeof *out);
	if ((rc = policy_check(c, pp)))
		return rc;
	for (int tries = 0; !is_free; tries++) {
		if ((rc = serial_free(c, pp->serial, &is_free)))
			return rc;
		if (!is_free && (tries == 3 || (rc = random_serial(pp->x, pp->serial))))
			return rc ? rc : oa_fail(OA_ERR_INTERNAL, "no free serial number");
	}
	{
		size_t dlen;
		if ((rc = ca_signer(c, &sig)) ||
		    (rc = signer_sign_cert(sig, pp->x, pp->p->name, &der, &dlen)))
			return rc;
		len = (int)dlen;
	}
	st = store_prepare(c->db,
	    "INSERT INTO certificate(serial, issuer_id, profile, subject, cn, nik, nip, email,"
	    " key_type, key_source, not_before, not_after, issued_at, status, der)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)");
	if (st == NULL) {
		free(der);
		return OA_ERR_STORE;
	}
	store_bind_text(st, 1, pp->serial);
	store_bind_int(st, 2, c->cert_id[SIGNER_ISSUING]);
	store_bind_text(st, 3, pp->p->name);
	store_bind_text(st, 4, pp->subject);
	store_bind_text(st, 5, pp->cn);
	store_bind_text(st, 6, pp->nik[0] ? pp->nik : NULL);
	store_bind_text(st, 7, pp->nip[0] ? pp->nip : NULL);
	store_bind_text(st, 8, pp->email[0] ? pp->email : NULL);
	store_bind_text(st, 9, pp->key_type);
	store_bind_text(st, 10, pp->key_source);
	store_bind_int(st, 11, pp->not_before);
	store_bind_int(st, 12, pp->not_after);
	store_bind_int(st, 13, oa_now());
	store_bind_blob(st, 14, der, (size_t)len);
	if (store_step(st) != STORE_DONE) {
		store_reset(st);
		free(der);
		return oa_fail(OA_ERR_STORE, "storing the certificate: %s", oa_errmsg());
	}
	store_reset(st);
	snprintf(detail, sizeof detail, "profile=%s key=%s source=%s subject=%s%s%s",
	    pp->p->name, pp->key_type, pp->key_source, pp->subject, r->ref ? " ref=" : "",
	    r->ref ? r->ref : "");
	{
		char object[64];
		snprintf(object, sizeof object, "certificate:%s", pp->serial);
		if ((rc = audit_append(c->db, r->actor ? r->actor : "system", "cert.issue", object,
		         detail))) {
			free(der);
			return rc;
		}
	}
	out->der = der;
	out->der_len = (size_t)len;
	strcpy(out->serial, pp->serial);
	return OA_OK;
}

void ca_issued_free(ca_issued *i)
{
	if (i == NULL)
		return;
	free(i->der);
	i->der = NULL;
	i->der_len = 0;
}

oa_err ca_issue_batch(ca *c, const ca_request *r, size_t n, ca_issued *out, oa_err *rcs,
    char (*msgs)[256])
{
	struct prepared *pp;
	int own = !store_in_tx(c->db);
	oa_err rc = OA_OK;

	if ((pp = calloc(n ? n : 1, sizeof *pp)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof out[i]);
		rcs[i] = prepare(c, &r[i], &pp[i]);
		if (rcs[i] && msgs)
			snprintf(msgs[i], 256, "%s", oa_errmsg());
	}
	if (own && (rc = store_begin(c->db)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (rcs[i])
			continue;
		if ((rc = store_savepoint(c->db)))
			break;
		if ((rcs[i] = commit_one(c, &pp[i], &r[i], &out[i])) != OA_OK) {
			if (msgs)
				snprintf(msgs[i], 256, "%s", oa_errmsg());
			ca_issued_free(&out[i]);
			store_rollback_to(c->db);
		} else if ((rc = store_release(c->db)))
			break;
	}
	if (own) {
		if (rc == OA_OK)
			rc = store_commit(c->db);
		else
			store_rollback(c->db);
	}
	if (rc) {
		for (size_t i = 0; i < n; i++) {
			ca_issued_free(&out[i]);
			if (rcs[i] == OA_OK)
				rcs[i] = rc;
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		prepared_clear(&pp[i]);
	free(pp);
	return rc;
}

oa_err ca_issue(ca *c, const ca_request *r, ca_issued *out)
{
	oa_err one, rc;
	char msg[256] = "";

	rc = ca_issue_batch(c, r, 1, out, &one, &msg);
	if (rc)
		return rc;
	if (one)
		return oa_fail(one, "%s", msg);
	return OA_OK;
}
