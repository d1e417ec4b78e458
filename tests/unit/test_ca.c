/*
 * test_ca.c - the CA through its API: issuing from CSRs and server keys,
 * every refusal leaving the store unchanged, the one-active-per-NIK
 * policy, group commit, revocation, CRLs and OCSP read back with OpenSSL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca/caInt.h"
#include "sign/sign.h"
#include "common/limits.h"
#include "common/util.h"
#include "testutil.h"

static tu_inst T;
static int nik_seq;

static int group_setup(void **state)
{
	return tu_inst_new(&T, NULL, NULL);
}

static int group_teardown(void **state)
{
	tu_inst_free(&T);
	return 0;
}

static void next_nik(char out[17])
{
	snprintf(out, 17, "320101010180%04u", 1u + (unsigned)nik_seq++ % 9999u); /* a valid NIK (common/nik.h) */
}

static int64_t count(const char *sql)
{
	return tu_count(ca_store(T.c), sql);
}

static EVP_PKEY *key_of(const char *alg, const char *param)
{
	EVP_PKEY *k;

	if (strcmp(alg, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(param));
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, alg, param);
	assert_non_null(k);
	return k;
}

/* A DER CSR for key with subject entries given as "SN=value" strings. */
static uint8_t *make_csr(EVP_PKEY *key, size_t *len, const char *const *subj, int corrupt)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	unsigned char *der = NULL;
	int n;

	for (; *subj; subj++) {
		char f[64];
		const char *eq = strchr(*subj, '=');
		snprintf(f, sizeof f, "%.*s", (int)(eq - *subj), *subj);
		/* Raw string types, so that hostile values reach openams as sent. */
		assert_true(X509_NAME_add_entry_by_txt(nm, f,
		    strcmp(f, "C") == 0 ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING,
		    (const unsigned char *)eq + 1, -1, -1, 0));
	}
	assert_true(X509_REQ_set_subject_name(req, nm));
	assert_true(X509_REQ_set_pubkey(req, key));
	assert_true(X509_REQ_sign(req, key,
	    EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) > 0);
	n = i2d_X509_REQ(req, &der);
	assert_true(n > 0);
	if (corrupt)
		der[n - 3] ^= 0x55; /* inside the signature */
	*len = (size_t)n;
	X509_REQ_free(req);
	X509_NAME_free(nm);
	return der;
}

static const char *const std_subject[] = {"CN=Siti Rahmawati", "O=Dinas Kominfo",
    "OU=Bidang Persandian", "C=ID", NULL};

static X509 *parse(const ca_issued *i)
{
	const unsigned char *p = i->der;
	X509 *x = d2i_X509(NULL, &p, (long)i->der_len);
	assert_non_null(x);
	return x;
}

static oa_err issue_std(const char *nik, const char *email, ca_issued *out)
{
	EVP_PKEY *k = key_of("EC", "P-256");
	size_t n;
	uint8_t *csr = make_csr(k, &n, std_subject, 0);
	ca_request r = {.csr = csr, .csr_len = n, .nik = nik, .email = email, .actor = "test"};
	oa_err rc = ca_issue(T.c, &r, out);

	OPENSSL_free(csr);
	EVP_PKEY_free(k);
	return rc;
}

/* A standard individual certificate valid for days (0: the profile's). */
static oa_err issue_one(const char *nik, int days, ca_issued *out)
{
	EVP_PKEY *k = key_of("EC", "P-256");
	size_t n;
	uint8_t *csr = make_csr(k, &n, std_subject, 0);
	ca_request r = {.csr = csr, .csr_len = n, .nik = nik, .email = "budi@kominfo.go.id",
	    .actor = "test", .validity_days = days};
	oa_err rc = ca_issue(T.c, &r, out);

	OPENSSL_free(csr);
	EVP_PKEY_free(k);
	return rc;
}

static void test_issue_from_csr(void **state)
{
	char nik[17];
	ca_issued out;
	ca_cert_info info;
	int64_t certs = count("SELECT COUNT(*) FROM certificate");
	int64_t audits = count("SELECT COUNT(*) FROM audit");
	X509 *x;
	char sn[64];

	next_nik(nik);
	assert_int_equal(issue_std(nik, "siti@kominfo.merantikab.go.id", &out), OA_OK);
	assert_int_equal(strlen(out.serial), 32);
	assert_true(out.serial[0] >= '0' && out.serial[0] <= '7'); /* positive, 16 octets */
	x = parse(&out);
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_serialNumber, sn,
	                     sizeof sn) > 0, 1);
	assert_string_equal(sn, "PNOID-3201010101800001");
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
	assert_true(X509_get_extended_key_usage(x) & XKU_SMIME);
	X509_free(x);
	assert_int_equal(ca_status(T.c, out.serial, &info), OA_OK);
	assert_string_equal(info.status, "active");
	assert_string_equal(info.nik, nik);
	assert_string_equal(info.profile, "individual");
	/* Two calendar years less one second (profile validity_years: 2). */
	assert_int_equal(info.not_after, ca_add_months(info.not_before, 24) - 1);
	assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs + 1);
	assert_int_equal(count("SELECT COUNT(*) FROM audit"), audits + 1);
	ca_issued_free(&out);
}

static void test_issue_server_key_and_seal(void **state)
{
	EVP_PKEY *k = NULL;
	ca_issued out;
	ca_request r = {0};
	char nik[17], sn[64];
	X509 *x;

	assert_int_equal(ca_generate_key("rsa-2048", &k), OA_OK);
	next_nik(nik);
	r.key = k;
	r.cn = "Budi Santoso";
	r.o = "Dinas Kominfo";
	r.nik = nik;
	r.nip = "199001012015011001";
	r.email = "budi@kominfo.ciamiskab.go.id";
	assert_int_equal(ca_issue(T.c, &r, &out), OA_OK);
	x = parse(&out);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), k), 1);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_userId, sn, sizeof sn) > 0);
	assert_string_equal(sn, "199001012015011001");
	X509_free(x);
	ca_issued_free(&out);

	/* A seal carries no NIK even when one is given. */
	memset(&r, 0, sizeof r);
	r.key = k;
	r.profile = "seal";
	r.cn = "Segel Dinas Kominfo";
	r.o = "Pemerintah Kabupaten Ciamis";
	r.nik = "3201014512990099";
	assert_int_equal(ca_issue(T.c, &r, &out), OA_OK);
	x = parse(&out);
	assert_int_equal(X509_NAME_get_index_by_NID(X509_get_subject_name(x), NID_serialNumber, -1), -1);
	X509_free(x);
	ca_issued_free(&out);
	EVP_PKEY_free(k);
}

struct bad {
	const char *label;
	const char *const *subject;
	const char *key_alg, *key_param;
	const char *nik, *email, *profile;
	int days, corrupt;
	oa_err want;
	const char *fragment;
};

static const char *const subj_us[] = {"CN=A", "O=B", "C=US", NULL};
static const char *const subj_title[] = {"CN=A", "O=B", "C=ID", "title=Kepala", NULL};
static const char *const subj_ctl[] = {"CN=A\x01", "O=B", "C=ID", NULL};
static const char *const subj_long[] = {
    "CN=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "O=B", "C=ID", NULL};
static const char *const subj_no_o[] = {"CN=A", "C=ID", NULL};

static const struct bad bads[] = {
	{"e-mail off .go.id", std_subject, "EC", "P-256", "n", "a@gmail.com", NULL, 0, 0,
	    OA_ERR_LINT, "e_san_email_domain"},
	{"e-mail with a comma", std_subject, "EC", "P-256", "n", "a,b@x.go.id", NULL, 0, 0,
	    OA_ERR_LINT, "e_san_email_syntax"},
	{"e-mail with CR LF", std_subject, "EC", "P-256", "n", "a@x.go.id\r\nBcc: c@d", NULL, 0, 0,
	    OA_ERR_INVALID, "control characters"},
	{"no e-mail", std_subject, "EC", "P-256", "n", NULL, NULL, 0, 0, OA_ERR_INVALID, "e-mail"},
	{"short NIK", std_subject, "EC", "P-256", "123456789012345", "a@x.go.id", NULL, 0, 0,
	    OA_ERR_INVALID, "16 digits"},
	{"no NIK", std_subject, "EC", "P-256", NULL, "a@x.go.id", NULL, 0, 0, OA_ERR_INVALID, "NIK"},
	{"too long", std_subject, "EC", "P-256", "n", "a@x.go.id", NULL, 800, 0, OA_ERR_LINT,
	    "e_validity_too_long"},
	{"country", subj_us, "EC", "P-256", "n", "a@x.go.id", NULL, 0, 0, OA_ERR_LINT,
	    "e_subject_country"},
	{"no O", subj_no_o, "EC", "P-256", "n", "a@x.go.id", NULL, 0, 0, OA_ERR_LINT,
	    "e_subject_attr_missing"},
	{"title attribute", subj_title, "EC", "P-256", "n", "a@x.go.id", NULL, 0, 0, OA_ERR_INVALID,
	    "title"},
	{"control char", subj_ctl, "EC", "P-256", "n", "a@x.go.id", NULL, 0, 0, OA_ERR_INVALID,
	    "control"},
	{"CN of 65", subj_long, "EC", "P-256", "n", "a@x.go.id", NULL, 0, 0, OA_ERR_INVALID,
	    "longer than 64"},
	{"P-521", std_subject, "EC", "P-521", "n", "a@x.go.id", NULL, 0, 0, OA_ERR_INVALID,
	    "not supported"},
	{"RSA 1024", std_subject, "RSA", "1024", "n", "a@x.go.id", NULL, 0, 0, OA_ERR_INVALID,
	    "not supported"},
	{"ed25519", std_subject, "ED25519", NULL, "n", "a@x.go.id", NULL, 0, 0, OA_ERR_INVALID,
	    "not supported"},
	{"bad signature", std_subject, "EC", "P-256", "n", "a@x.go.id", NULL, 0, 1, OA_ERR_INVALID,
	    "proof of possession"},
	{"unknown profile", std_subject, "EC", "P-256", "n", "a@x.go.id", "tls-server", 0, 0,
	    OA_ERR_INVALID, "unknown profile"},
};

static void test_refusals_change_nothing(void **state)
{
	int64_t certs = count("SELECT COUNT(*) FROM certificate");
	int64_t audits = count("SELECT COUNT(*) FROM audit");

	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		const struct bad *b = &bads[i];
		EVP_PKEY *k = key_of(b->key_alg, b->key_param);
		size_t n;
		uint8_t *csr = make_csr(k, &n, b->subject, b->corrupt);
		char nik[17];
		ca_request r = {.csr = csr, .csr_len = n, .email = b->email, .profile = b->profile,
		    .validity_days = b->days};
		ca_issued out;
		oa_err rc;

		next_nik(nik);
		r.nik = b->nik && strcmp(b->nik, "n") == 0 ? nik : b->nik;
		rc = ca_issue(T.c, &r, &out);
		if (rc != b->want || strstr(oa_errmsg(), b->fragment) == NULL)
			fail_msg("%s: got %s '%s', want %s '%s'", b->label, oa_err_name(rc), oa_errmsg(),
			    oa_err_name(b->want), b->fragment);
		OPENSSL_free(csr);
		EVP_PKEY_free(k);
	}
	assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs);
	assert_int_equal(count("SELECT COUNT(*) FROM audit"), audits);
}

static void test_garbage_csrs(void **state)
{
	static uint8_t big[OA_MAX_CSR_BYTES + 1];
	EVP_PKEY *k = key_of("EC", "P-256");
	size_t n;
	uint8_t *csr = make_csr(k, &n, std_subject, 0), *longer = malloc(n + 4);
	ca_request r = {.nik = "3201011507770077", .email = "a@x.go.id"};
	ca_issued out;
	int64_t certs = count("SELECT COUNT(*) FROM certificate");

	r.csr = (const uint8_t *)"not a csr at all";
	r.csr_len = 16;
	assert_int_equal(ca_issue(T.c, &r, &out), OA_ERR_INVALID);
	r.csr = (const uint8_t *)"";
	r.csr_len = 0;
	assert_int_equal(ca_issue(T.c, &r, &out), OA_ERR_INVALID);
	memset(big, 'A', sizeof big);
	r.csr = big;
	r.csr_len = sizeof big;
	assert_int_equal(ca_issue(T.c, &r, &out), OA_ERR_LIMIT);
	memcpy(longer, csr, n);
	memcpy(longer + n, "junk", 4);
	r.csr = longer;
	r.csr_len = n + 4;
	assert_int_equal(ca_issue(T.c, &r, &out), OA_ERR_INVALID);
	assert_non_null(strstr(oa_errmsg(), "trailing"));
	r.csr = csr;
	r.csr_len = n / 2; /* truncated */
	assert_int_equal(ca_issue(T.c, &r, &out), OA_ERR_INVALID);
	assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs);
	free(longer);
	OPENSSL_free(csr);
	EVP_PKEY_free(k);
}

static void test_validity_outside_issuer(void **state)
{
	char nik[17];
	ca_issued out;

	/* Nine and a half years on, a two-year certificate would outlive the
	 * ten-year issuing CA. */
	setenv("OPENAMS_NOW", "2036-05-01T00:00:00Z", 1);
	next_nik(nik);
	assert_int_equal(issue_std(nik, "a@x.go.id", &out), OA_ERR_LINT);
	unsetenv("OPENAMS_NOW");
	assert_non_null(strstr(oa_errmsg(), "e_validity_outside_issuer"));
}

static void test_policy_one_active(void **state)
{
	char nik[17];
	ca_issued first, second;

	next_nik(nik);
	assert_int_equal(issue_std(nik, "a@x.go.id", &first), OA_OK);
	assert_int_equal(issue_std(nik, "a@x.go.id", &second), OA_ERR_POLICY);
	assert_non_null(strstr(oa_errmsg(), first.serial));
	assert_int_equal(ca_revoke(T.c, first.serial, CA_REASON_SUPERSEDED, 0, "test"), OA_OK);
	assert_int_equal(issue_std(nik, "a@x.go.id", &second), OA_OK);
	ca_issued_free(&first);
	ca_issued_free(&second);

	/* An expired certificate does not block: issue one now, then the
	 * second one after the first's 2-year validity (relative to the
	 * real clock: the test CA starts today, so a fixed date would fall
	 * outside its validity one day). */
	next_nik(nik);
	assert_int_equal(issue_std(nik, "a@x.go.id", &first), OA_OK);
	{
		char later[32];
		time_t t = time(NULL) + 800 * 86400;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(later, sizeof later, "%Y-%m-%dT%H:%M:%SZ", &tm);
		setenv("OPENAMS_NOW", later, 1);
	}
	assert_int_equal(issue_std(nik, "a@x.go.id", &second), OA_OK);
	unsetenv("OPENAMS_NOW");
	{
		ca_cert_info i;
		assert_int_equal(ca_status(T.c, first.serial, &i), OA_OK);
		assert_string_equal(i.status, "expired");
	}
	ca_issued_free(&first);
	ca_issued_free(&second);
}

static void test_batch_group_commit(void **state)
{
	EVP_PKEY *k = key_of("EC", "P-256");
	size_t n;
	uint8_t *csr = make_csr(k, &n, std_subject, 0);
	ca_request r[4];
	ca_issued out[4];
	oa_err rcs[4];
	char msgs[4][256], niks[4][17];
	int64_t certs = count("SELECT COUNT(*) FROM certificate");

	for (int i = 0; i < 4; i++) {
		next_nik(niks[i]);
		r[i] = (ca_request){.csr = csr, .csr_len = n, .nik = niks[i], .email = "a@x.go.id"};
	}
	r[1].email = "a@gmail.com";   /* lint refusal */
	r[3].nik = niks[0];           /* policy refusal: same person as item 0 */
	assert_int_equal(ca_issue_batch(T.c, r, 4, out, rcs, msgs), OA_OK);
	assert_int_equal(rcs[0], OA_OK);
	assert_int_equal(rcs[1], OA_ERR_LINT);
	assert_int_equal(rcs[2], OA_OK);
	assert_int_equal(rcs[3], OA_ERR_POLICY);
	assert_non_null(strstr(msgs[3], out[0].serial));
	assert_null(out[1].der);
	assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs + 2);
	for (int i = 0; i < 4; i++)
		ca_issued_free(&out[i]);
	OPENSSL_free(csr);
	EVP_PKEY_free(k);
}

static void test_revoke_rules(void **state)
{
	char nik[17];
	ca_issued out;
	ca_cert_info i;
	int64_t audits;

	next_nik(nik);
	assert_int_equal(issue_std(nik, "a@x.go.id", &out), OA_OK);
	assert_int_equal(ca_revoke(T.c, "0123456789abcdef", CA_REASON_KEY_COMPROMISE, 0, "t"),
	    OA_ERR_NOTFOUND);
	assert_int_equal(ca_revoke(T.c, "xyz", CA_REASON_KEY_COMPROMISE, 0, "t"), OA_ERR_INVALID);
	assert_int_equal(ca_revoke(T.c, out.serial, 2, 0, "t"), OA_ERR_INVALID); /* cACompromise */
	assert_int_equal(ca_revoke(T.c, out.serial, CA_REASON_KEY_COMPROMISE, oa_now() + 3600, "t"),
	    OA_ERR_INVALID);
	/* Before notBefore: refused (security review, issue 16). */
	audits = count("SELECT COUNT(*) FROM audit");
	assert_int_equal(ca_revoke(T.c, out.serial, CA_REASON_KEY_COMPROMISE, oa_now() - 86400, "t"),
	    OA_ERR_INVALID);
	assert_non_null(strstr(oa_errmsg(), "before the certificate's notBefore"));
	assert_int_equal(count("SELECT COUNT(*) FROM audit"), audits);
	assert_int_equal(ca_revoke(T.c, out.serial, CA_REASON_KEY_COMPROMISE, oa_now(), "t"), OA_OK);
	audits = count("SELECT COUNT(*) FROM audit");
	assert_int_equal(ca_revoke(T.c, out.serial, CA_REASON_SUPERSEDED, 0, "t"), OA_ERR_STATE);
	assert_non_null(strstr(oa_errmsg(), "keyCompromise"));
	assert_int_equal(count("SELECT COUNT(*) FROM audit"), audits);
	assert_int_equal(ca_status(T.c, out.serial, &i), OA_OK);
	assert_string_equal(i.status, "revoked");
	assert_int_equal(i.reason, CA_REASON_KEY_COMPROMISE);
	assert_true(i.invalidity_date > 0);
	ca_issued_free(&out);
}

static X509_CRL *publish(int64_t *number)
{
	uint8_t *der;
	size_t n;
	const unsigned char *p;
	X509_CRL *crl;
	ASN1_INTEGER *num;

	assert_int_equal(ca_crl_publish(T.c, 0, &der, &n), OA_OK);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)n);
	assert_non_null(crl);
	assert_ptr_equal(p, der + n);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_non_null(num);
	*number = ASN1_INTEGER_get(num);
	ASN1_INTEGER_free(num);
	free(der);
	return crl;
}

static X509 *load_pem(const char *name)
{
	char path[OA_MAX_PATH];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof path, "%s/pki/%s", T.path, name);
	f = fopen(path, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static void test_crl(void **state)
{
	char nik[17];
	ca_issued out;
	int64_t n1, n2;
	X509_CRL *a = publish(&n1), *b;
	X509 *issuer = load_pem("issuing.crt");
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *serial;
	BIGNUM *bn;
	uint8_t sbytes[16];

	next_nik(nik);
	assert_int_equal(issue_std(nik, "a@x.go.id", &out), OA_OK);
	assert_int_equal(ca_revoke(T.c, out.serial, CA_REASON_AFFILIATION_CHANGED, 0, "t"), OA_OK);
	b = publish(&n2);
	assert_true(n2 > n1);
	assert_int_equal(X509_CRL_verify(b, X509_get0_pubkey(issuer)), 1);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(b), X509_get_subject_name(issuer)), 0);
	assert_int_equal(X509_CRL_get_version(b), 1);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(b)),
	    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(a)) + 1);
	oa_unhex(sbytes, sizeof sbytes, out.serial);
	bn = BN_bin2bn(sbytes, 16, NULL);
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	assert_int_equal(X509_CRL_get0_by_serial(b, &rev, serial), 1);
	{
		ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
		assert_non_null(reason);
		assert_int_equal(ASN1_ENUMERATED_get(reason), CA_REASON_AFFILIATION_CHANGED);
		ASN1_ENUMERATED_free(reason);
	}
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	X509_CRL_free(a);
	X509_CRL_free(b);
	X509_free(issuer);
	ca_issued_free(&out);
}

/* Sends a request for the given serials (of our issuer unless other) and
 * returns the parsed response. */
static OCSP_RESPONSE *ask(X509 *issuer, const char *const *serials, int nonce)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	uint8_t *resp;
	size_t rl;
	int n;
	const unsigned char *p;
	OCSP_RESPONSE *r;

	for (; *serials; serials++) {
		uint8_t b[20];
		long bl = oa_unhex(b, sizeof b, *serials);
		BIGNUM *bn = BN_bin2bn(b, (int)bl, NULL);
		ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
		OCSP_CERTID *id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer),
		    X509_get0_pubkey_bitstr(issuer), ai);
		assert_non_null(OCSP_request_add0_id(req, id));
		ASN1_INTEGER_free(ai);
		BN_free(bn);
	}
	if (nonce)
		assert_true(OCSP_request_add1_nonce(req, NULL, -1));
	n = i2d_OCSP_REQUEST(req, &der);
	assert_int_equal(ca_ocsp_respond(T.c, der, (size_t)n, &resp, &rl), OA_OK);
	p = resp;
	r = d2i_OCSP_RESPONSE(NULL, &p, (long)rl);
	assert_non_null(r);
	if (nonce && OCSP_response_status(r) == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
		assert_int_equal(OCSP_check_nonce(req, bs), 1);
		OCSP_BASICRESP_free(bs);
	}
	OPENSSL_free(der);
	free(resp);
	OCSP_REQUEST_free(req);
	return r;
}

/* The serial (stored form) of the responder certificate c answers with,
 * for a request about issuer's serial 7f..ff (unknown: still signed). */
static void responder_of(ca *c, X509 *issuer, char out[41])
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai;
	unsigned char *der = NULL;
	uint8_t *resp;
	size_t rl;
	const unsigned char *p;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	int n;

	assert_true(BN_hex2bn(&bn, "7fffffffffffffffffffffffffffffff") > 0);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	assert_non_null(OCSP_request_add0_id(req, OCSP_cert_id_new(EVP_sha1(),
	    X509_get_subject_name(issuer), X509_get0_pubkey_bitstr(issuer), ai)));
	n = i2d_OCSP_REQUEST(req, &der);
	assert_int_equal(ca_ocsp_respond(c, der, (size_t)n, &resp, &rl), OA_OK);
	p = resp;
	assert_non_null(r = d2i_OCSP_RESPONSE(NULL, &p, (long)rl));
	assert_int_equal(OCSP_response_status(r), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_non_null(bs = OCSP_response_get1_basic(r));
	assert_int_equal(sk_X509_num(OCSP_resp_get0_certs(bs)), 1);
	assert_int_equal(ca_serial_hex(X509_get0_serialNumber(sk_X509_value(OCSP_resp_get0_certs(bs), 0)),
	                     out),
	    OA_OK);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	free(resp);
	OPENSSL_free(der);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	OCSP_REQUEST_free(req);
}

static int take_ocsp_expiry(const ca_cert_expiry *e, void *arg)
{
	if (strcmp(e->role, "ocsp") == 0)
		*(ca_cert_expiry *)arg = *e;
	return 0;
}

/* The delegated responder renewed inside its window (a quarter of an
 * 8-day life), with the clock moved; handles opened before pick it up; the
 * signer refuses a validity outside the issuing CA's, and a signer that no
 * longer holds the passphrase cannot seal a new key. */
static void test_ocsp_renew(void **state)
{
	tu_inst I = {0};
	ca *c2 = NULL;
	X509 *issuer;
	ca_ocsp_renewal r;
	ca_cert_expiry e = {0};
	char first[41], got[41];
	int64_t now = oa_now();
	signer *sg;
	uint8_t *der = NULL, *pem = NULL;
	size_t dl, pl;

	if (tu_inst_new(&I, "ca.ocsp_validity_days = 8\n", NULL) != 0)
		fail_msg("instance: %s", oa_errmsg());
	issuer = X509_dup(I.c->cert[SIGNER_ISSUING]);
	assert_int_equal(ca_open(I.path, &c2), OA_OK);
	responder_of(c2, issuer, first);
	assert_int_equal(ca_cert_expiries(I.c, take_ocsp_expiry, &e), OA_OK);
	assert_string_equal(e.serial, first);
	assert_int_equal(e.renew_at, e.not_after - 2 * 86400);

	/* Not due yet: nothing changes. */
	assert_int_equal(ca_ocsp_renew(I.c, 0, "t", &r), OA_OK);
	assert_int_equal(r.renewed, 0);
	assert_int_equal(tu_count(ca_store(I.c), "SELECT count(*) FROM ca_cert WHERE role = 'ocsp'"), 1);

	/* A day before it expires: renewed, from the moved clock. */
	tu_clock_set(e.not_after - 86400);
	assert_int_equal(ca_ocsp_renew(I.c, 0, "t", &r), OA_OK);
	assert_int_equal(r.renewed, 1);
	assert_int_equal(r.new_key, 1);
	assert_string_equal(r.old_serial, first);
	assert_string_not_equal(r.new_serial, first);
	assert_int_equal(r.new_not_after, e.not_after - 86400 + 8 * 86400);
	assert_int_equal(tu_count(ca_store(I.c), "SELECT count(*) FROM ca_cert WHERE role = 'ocsp'"), 2);
	assert_int_equal(tu_count(ca_store(I.c), "SELECT count(*) FROM audit WHERE action = 'ca.renew'"
	                                         " AND actor = 't'"), 1);
	/* This handle and the one opened before answer with the new responder. */
	responder_of(I.c, issuer, got);
	assert_string_equal(got, r.new_serial);
	responder_of(c2, issuer, got);
	assert_string_equal(got, r.new_serial);
	assert_int_equal(ca_cert_expiries(c2, take_ocsp_expiry, &e), OA_OK);
	assert_int_equal(e.not_after, r.new_not_after);
	/* Right after a renewal it is not due again. */
	assert_int_equal(ca_ocsp_renew(c2, 0, "t", &r), OA_OK);
	assert_int_equal(r.renewed, 0);
	tu_clock_clear();

	/* An interrupted renewal (pki/ocsp.crt no longer the store's newest
	 * responder: a crash after the new certificate was written, before the
	 * store's commit) is finished by the next check, in or out of the window. */
	{
		char to[OA_MAX_PATH];
		signer *sr;
		BIO *b;
		assert_int_equal(ca_signer(I.c, &sr), OA_OK);
		assert_int_equal(signer_renew_ocsp(sr, now, now + 86400, &der, &dl, &pem, &pl), OA_OK);
		snprintf(to, sizeof to, "%s/pki/ocsp.crt", I.path);
		{
			const uint8_t *q = der;
			X509 *x = d2i_X509(NULL, &q, (long)dl);
			assert_non_null(x);
			assert_non_null(b = BIO_new_file(to, "w"));
			assert_true(PEM_write_bio_X509(b, x));
			BIO_free(b);
			X509_free(x);
		}
		free(der);
		der = NULL;
		if (pem) {
			oa_wipe(pem, pl);
			free(pem);
			pem = NULL;
		}
		assert_int_equal(ca_ocsp_renew(c2, 0, "t", &r), OA_OK);
		assert_int_equal(r.renewed, 1);
		responder_of(I.c, issuer, got);
		assert_string_equal(got, r.new_serial);
		assert_int_equal(ca_ocsp_renew(c2, 0, "t", &r), OA_OK);
		assert_int_equal(r.renewed, 0);
	}

	/* The signer's own checks: the validity must sit inside the issuing CA's. */
	{
		signer_opts o;
		signer *fresh;
		char pass[OA_MAX_PATH], pin[OA_MAX_PATH], exe[OA_MAX_PATH];
		char *argv[5];
		assert_int_equal(ca_signer_opts(I.c, &o, pass, pin, exe, argv), OA_OK);
		assert_int_equal(signer_open(&o, &fresh), OA_OK);
		assert_int_equal(signer_renew_ocsp(fresh, now, now + 1096 * 86400LL, &der, &dl, &pem, &pl),
		    OA_ERR_INVALID);
		assert_int_equal(signer_renew_ocsp(fresh, now, now - 1, &der, &dl, &pem, &pl),
		    OA_ERR_INVALID);
		assert_null(der);
		signer_free(fresh);
	}
	/* Every key unlocked (both CRLs, an OCSP answer, a time-stamp): the
	 * passphrase is gone. */
	assert_int_equal(ca_crl_publish(I.c, 1, NULL, NULL), OA_OK);
	assert_int_equal(ca_crl_publish(I.c, 0, NULL, NULL), OA_OK);
	responder_of(I.c, issuer, got);
	{
		uint8_t imprint[32] = {7}, *tok = NULL;
		size_t tl = 0;
		assert_int_equal(sign_tst_from_ca(I.c, imprint, &tok, &tl), OA_OK);
		assert_true(tl > 100);
		free(tok);
	}
	assert_int_equal(ca_signer(I.c, &sg), OA_OK);
	assert_int_equal(signer_renew_ocsp(sg, now, now + 86400, &der, &dl, &pem, &pl), OA_ERR_STATE);
	X509_free(issuer);
	ca_free(c2);
	tu_inst_free(&I);
}

static void test_ocsp(void **state)
{
	char nik[17];
	ca_issued good, bad;
	X509 *issuer = load_pem("issuing.crt"), *root = load_pem("root.crt");
	X509_STORE *trust = X509_STORE_new();
	STACK_OF(X509) *chain = sk_X509_new_null();
	const char *serials[4];
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	int expect[3] = {V_OCSP_CERTSTATUS_GOOD, V_OCSP_CERTSTATUS_REVOKED, V_OCSP_CERTSTATUS_UNKNOWN};

	next_nik(nik);
	assert_int_equal(issue_std(nik, "a@x.go.id", &good), OA_OK);
	next_nik(nik);
	assert_int_equal(issue_std(nik, "a@x.go.id", &bad), OA_OK);
	assert_int_equal(ca_revoke(T.c, bad.serial, CA_REASON_CESSATION, 0, "t"), OA_OK);
	serials[0] = good.serial;
	serials[1] = bad.serial;
	serials[2] = "7fffffffffffffffffffffffffffffff";
	serials[3] = NULL;
	for (int nonce = 0; nonce < 2; nonce++) {
		r = ask(issuer, serials, nonce);
		assert_int_equal(OCSP_response_status(r), OCSP_RESPONSE_STATUS_SUCCESSFUL);
		bs = OCSP_response_get1_basic(r);
		X509_STORE_add_cert(trust, root);
		sk_X509_push(chain, issuer);
		assert_int_equal(OCSP_basic_verify(bs, chain, trust, 0), 1);
		assert_int_equal(OCSP_resp_count(bs), 3);
		for (int i = 0; i < 3; i++) {
			OCSP_SINGLERESP *s = OCSP_resp_get0(bs, i);
			int reason = -2;
			ASN1_GENERALIZEDTIME *rt = NULL, *tu = NULL, *nu = NULL;
			assert_int_equal(OCSP_single_get0_status(s, &reason, &rt, &tu, &nu), expect[i]);
			assert_non_null(nu);
			if (i == 1) {
				assert_int_equal(reason, CA_REASON_CESSATION);
				assert_non_null(rt);
			}
		}
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(r);
		sk_X509_pop(chain);
	}
	/* Another issuer's certificate: unauthorized (RFC 5019 2.2.3). */
	serials[1] = NULL;
	r = ask(root, serials, 0);
	assert_int_equal(OCSP_response_status(r), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	OCSP_RESPONSE_free(r);
	/* Garbage: malformedRequest, not an error. */
	{
		uint8_t *resp;
		size_t rl;
		const unsigned char *p;
		assert_int_equal(ca_ocsp_respond(T.c, (const uint8_t *)"\x30\x03\x02\x01", 4, &resp, &rl),
		    OA_OK);
		p = resp;
		r = d2i_OCSP_RESPONSE(NULL, &p, (long)rl);
		assert_int_equal(OCSP_response_status(r), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
		OCSP_RESPONSE_free(r);
		free(resp);
	}
	sk_X509_free(chain);
	X509_STORE_free(trust);
	X509_free(issuer);
	X509_free(root);
	ca_issued_free(&good);
	ca_issued_free(&bad);
}

static void test_serial_normalize(void **state)
{
	char out[41];

	assert_int_equal(ca_serial_normalize("0x00AB:CD", out), OA_OK);
	assert_string_equal(out, "abcd");
	assert_int_equal(ca_serial_normalize("abc", out), OA_OK);
	assert_string_equal(out, "0abc");
	assert_int_equal(ca_serial_normalize("", out), OA_ERR_INVALID);
	assert_int_equal(ca_serial_normalize("12g4", out), OA_ERR_INVALID);
	assert_int_equal(ca_serial_normalize("1234567890123456789012345678901234567890ff", out),
	    OA_ERR_INVALID);
	assert_int_equal(ca_serial_normalize("'; DROP TABLE certificate; --", out), OA_ERR_INVALID);
}

static int count_row(const ca_cert_info *i, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_list_filters(void **state)
{
	ca_filter f = {0};
	int all = 0, revoked = 0, active = 0, one = 0, soon = 0, far = 0;
	char nik[17];
	ca_issued out;

	next_nik(nik);
	assert_int_equal(issue_std(nik, "a@x.go.id", &out), OA_OK);
	assert_int_equal(ca_list(T.c, &f, count_row, &all), OA_OK);
	f.status = "revoked";
	assert_int_equal(ca_list(T.c, &f, count_row, &revoked), OA_OK);
	f.status = "active";
	assert_int_equal(ca_list(T.c, &f, count_row, &active), OA_OK);
	assert_int_equal(revoked, count("SELECT COUNT(*) FROM certificate WHERE status='revoked'"));
	assert_true(active > 0 && revoked > 0 && active + revoked < all + 1);
	f.status = NULL;
	f.nik = nik;
	assert_int_equal(ca_list(T.c, &f, count_row, &one), OA_OK);
	assert_int_equal(one, 1);
	f.nik = NULL;
	f.expiring_days = 30;
	assert_int_equal(ca_list(T.c, &f, count_row, &soon), OA_OK);
	assert_int_equal(soon, 0);
	f.expiring_days = 800;
	assert_int_equal(ca_list(T.c, &f, count_row, &far), OA_OK);
	{
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM certificate WHERE status='active'"
		    " AND not_after > %lld AND not_after <= %lld", (long long)oa_now(),
		    (long long)oa_now() + 800LL * 86400);
		assert_int_equal(far, count(sql));
		assert_true(far > 0);
	}
	f.status = "bogus";
	assert_int_equal(ca_list(T.c, &f, count_row, &far), OA_ERR_INVALID);
	ca_issued_free(&out);
}

static void test_init_refuses_existing(void **state)
{
	ca_init_opts o = {.dir = T.path, .share = getenv("OPENAMS_SHARE")};
	char path[OA_MAX_PATH];
	uint8_t *before, *after;
	size_t nb, na;

	snprintf(path, sizeof path, "%s/pki/root.crt", T.path);
	assert_int_equal(oa_read_file(path, 1 << 20, &before, &nb), OA_OK);
	assert_int_equal(ca_init(&o), OA_ERR_EXISTS);
	assert_int_equal(oa_read_file(path, 1 << 20, &after, &na), OA_OK);
	assert_int_equal(nb, na);
	assert_memory_equal(before, after, nb);
	free(before);
	free(after);
}

static void test_chain(void **state)
{
	oa_buf b = {0};
	const char *p;
	int n = 0;

	assert_int_equal(ca_chain_pem(T.c, 0, &b), OA_OK);
	for (p = (const char *)b.data; (p = strstr(p, "BEGIN CERTIFICATE")) != NULL; p++)
		n++;
	assert_int_equal(n, 2);
	oa_buf_free(&b);
	assert_int_equal(ca_chain_pem(T.c, 1, &b), OA_OK);
	assert_non_null(strstr((const char *)b.data, "BEGIN CERTIFICATE"));
	assert_null(strstr(strstr((const char *)b.data, "END CERTIFICATE"), "BEGIN"));
	oa_buf_free(&b);
}

static int64_t utc(const char *s)
{
	int64_t t;
	assert_int_equal(oa_time_parse(s, &t), OA_OK);
	return t;
}

/* Calendar validity (issue 16): months added to the date, the time of day
 * kept, the month's last day when the date does not exist. */
static void test_calendar_months(void **state)
{
	(void)state;
	assert_int_equal(ca_add_months(utc("2026-12-07T03:04:05Z"), 24), utc("2028-12-07T03:04:05Z"));
	assert_int_equal(ca_add_months(utc("2028-02-29T12:00:00Z"), 24), utc("2030-02-28T12:00:00Z"));
	assert_int_equal(ca_add_months(utc("2028-02-29T12:00:00Z"), 48), utc("2032-02-29T12:00:00Z"));
	assert_int_equal(ca_add_months(utc("2027-01-31T00:00:00Z"), 1), utc("2027-02-28T00:00:00Z"));
	assert_int_equal(ca_add_months(utc("2027-08-31T23:59:59Z"), 18), utc("2029-02-28T23:59:59Z"));
	assert_int_equal(ca_add_months(utc("2099-12-31T00:00:00Z"), 2), utc("2100-02-28T00:00:00Z"));
	assert_int_equal(ca_add_months(utc("2099-12-31T00:00:00Z"), 14), utc("2101-02-28T00:00:00Z"));
	assert_int_equal(ca_add_months(utc("1999-12-31T00:00:00Z"), 2), utc("2000-02-29T00:00:00Z"));
	assert_int_equal(ca_add_months(utc("2026-05-31T10:00:00Z"), 12), utc("2027-05-31T10:00:00Z"));
}

/* Issued at a fixed time (OPENAMS_NOW): notAfter = notBefore + 2 calendar
 * years - 1 s, a Feb 29 start included; --days keeps exact days. */
static void test_issue_calendar_validity(void **state)
{
	static const char *const starts[][2] = {
	    {"2027-03-15T08:30:00Z", "2029-03-15T08:29:59Z"},
	    {"2028-02-29T12:00:00Z", "2030-02-28T11:59:59Z"},
	    {"2027-12-31T23:59:59Z", "2029-12-31T23:59:58Z"},
	};
	char nik[17];
	(void)state;
	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		ca_issued out;
		ca_cert_info info;
		X509 *x;
		struct tm tm;
		setenv("OPENAMS_NOW", starts[i][0], 1);
		next_nik(nik);
		assert_int_equal(issue_one(nik, 0, &out), OA_OK);
		x = parse(&out);
		assert_true(ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm));
		assert_int_equal((int64_t)timegm(&tm), utc(starts[i][0]));
		assert_true(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm));
		assert_int_equal((int64_t)timegm(&tm), utc(starts[i][1]));
		assert_int_equal(ca_status(T.c, out.serial, &info), OA_OK);
		assert_int_equal(info.not_after, utc(starts[i][1]));
		X509_free(x);
		ca_issued_free(&out);
	}
	setenv("OPENAMS_NOW", "2028-02-29T12:00:00Z", 1);
	{
		ca_issued out;
		ca_cert_info info;
		next_nik(nik);
		assert_int_equal(issue_one(nik, 10, &out), OA_OK);
		assert_int_equal(ca_status(T.c, out.serial, &info), OA_OK);
		assert_int_equal(info.not_after - info.not_before, 10 * 86400);
		ca_issued_free(&out);
	}
	unsetenv("OPENAMS_NOW");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_from_csr),
		cmocka_unit_test(test_issue_server_key_and_seal),
		cmocka_unit_test(test_refusals_change_nothing),
		cmocka_unit_test(test_garbage_csrs),
		cmocka_unit_test(test_validity_outside_issuer),
		cmocka_unit_test(test_policy_one_active),
		cmocka_unit_test(test_batch_group_commit),
		cmocka_unit_test(test_revoke_rules),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_ocsp),
		cmocka_unit_test(test_serial_normalize),
		cmocka_unit_test(test_list_filters),
		cmocka_unit_test(test_init_refuses_existing),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_ocsp_renew),
		cmocka_unit_test(test_calendar_months),
		cmocka_unit_test(test_issue_calendar_validity),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
