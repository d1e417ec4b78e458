/*
 * test_sign.c - sign_pdf() driven in-process: the signature checked with
 * OpenSSL's own CMS verifier (attributes counted, no signing-time), the
 * original kept as a prefix, keys and texts refused, and hostile input:
 * every truncation and many one-byte corruptions of a valid PDF are either
 * refused with OA_ERR_INVALID or signed with the input as prefix, never a
 * crash (the ASan build runs this too).  Prints the signing time per
 * signature of a one-page PDF for ECDSA P-256 and RSA 2048.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/util.h"
#include "sign/sign.h"

/* A one-page PDF with a classic cross-reference table, offsets computed. */
static void make_pdf(oa_buf *b)
{
	static const char *objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
		"<< /Length 42 >>\nstream\nBT /F1 12 Tf 72 720 Td (Surat Tugas) Tj ET\nendstream",
	};
	size_t off[4], x;

	assert_int_equal(oa_buf_printf(b, "%%PDF-1.7\n"), OA_OK);
	for (int i = 0; i < 4; i++) {
		off[i] = b->len;
		assert_int_equal(oa_buf_printf(b, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]), OA_OK);
	}
	x = b->len;
	assert_int_equal(oa_buf_printf(b, "xref\n0 5\n0000000000 65535 f\r\n"), OA_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(oa_buf_printf(b, "%010zu 00000 n\r\n", off[i]), OA_OK);
	assert_int_equal(oa_buf_printf(b, "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	    x), OA_OK);
}

static EVP_PKEY *make_key(const char *spec)
{
	EVP_PKEY *k;

	if (strncmp(spec, "rsa", 3) == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(spec + 4));
	else if (strcmp(spec, "ed25519") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", spec);
	assert_non_null(k);
	return k;
}

static X509 *make_cert(EVP_PKEY *k, const char *cn)
{
	X509 *c = X509_new();
	X509_NAME *n = X509_NAME_new();

	assert_non_null(c);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 4242);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(c, n);
	X509_set_issuer_name(c, n);
	X509_NAME_free(n);
	X509_set_pubkey(c, k);
	assert_true(X509_sign(c, k, EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) > 0);
	return c;
}

/* Checks a signed output: prefix, byte range, CMS verified by OpenSSL. */
static void check_signed(const oa_buf *in, const uint8_t *out, size_t n, X509 *cert)
{
	const char *br = NULL;
	unsigned long a, b, c, d;
	uint8_t *der;
	long dl;
	const unsigned char *p;
	oa_buf content = {0};
	CMS_ContentInfo *cms;
	BIO *bio;
	STACK_OF(X509) *certs = sk_X509_new_null();
	char *hex;

	assert_true(n > in->len);
	assert_memory_equal(out, in->data, in->len);
	for (size_t i = in->len; i + 10 < n; i++)
		if (memcmp(out + i, "/ByteRange", 10) == 0) {
			br = (const char *)out + i;
			break;
		}
	assert_non_null(br);
	assert_int_equal(sscanf(br, "/ByteRange [%lu %lu %lu %lu]", &a, &b, &c, &d), 4);
	assert_int_equal(a, 0);
	assert_int_equal(c + d, n);
	assert_int_equal(out[b], '<');
	assert_int_equal(out[c - 1], '>');
	hex = strndup((const char *)out + b + 1, c - b - 2);
	der = malloc(strlen(hex) / 2);
	assert_true(oa_unhex(der, strlen(hex) / 2, hex) > 0);
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)(strlen(hex) / 2));
	assert_non_null(cms);
	dl = p - der;
	assert_true(dl > 0);
	assert_int_equal(oa_buf_append(&content, out, b), OA_OK);
	assert_int_equal(oa_buf_append(&content, out + c, d), OA_OK);
	bio = BIO_new_mem_buf(content.data, (int)content.len);
	sk_X509_push(certs, cert);
	assert_int_equal(CMS_verify(cms, certs, NULL, bio, NULL,
	    CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | CMS_NOINTERN), 1);
	{
		CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
		assert_int_equal(CMS_signed_get_attr_count(si), 3);
		assert_int_equal(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1), -1);
		assert_true(CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1) >= 0);
	}
	BIO_free(bio);
	sk_X509_free(certs);
	CMS_ContentInfo_free(cms);
	oa_buf_free(&content);
	free(der);
	free(hex);
}

static void sign_with(const char *spec)
{
	oa_buf pdf = {0};
	EVP_PKEY *k = make_key(spec);
	X509 *c = make_cert(k, "Budi Santoso");
	sign_opts o = {.reason = "Persetujuan", .location = "Selatpanjang", .when = 1796601600};
	uint8_t *out = NULL, *out2 = NULL;
	size_t n = 0, n2 = 0;
	oa_buf s1 = {0};

	make_pdf(&pdf);
	assert_int_equal(sign_pdf(pdf.data, pdf.len, k, c, NULL, &o, &out, &n), OA_OK);
	check_signed(&pdf, out, n, c);
	assert_non_null(memmem(out, n, "/M (D:20261207000000+00'00')", 28));
	/* a second signature over the first: the first stays a prefix */
	assert_int_equal(sign_pdf(out, n, k, c, NULL, &o, &out2, &n2), OA_OK);
	assert_int_equal(oa_buf_append(&s1, out, n), OA_OK);
	check_signed(&s1, out2, n2, c);
	oa_buf_free(&s1);
	free(out);
	free(out2);
	X509_free(c);
	EVP_PKEY_free(k);
	oa_buf_free(&pdf);
}

static void test_sign_p256(void **st) { (void)st; sign_with("P-256"); }
static void test_sign_p384(void **st) { (void)st; sign_with("P-384"); }
static void test_sign_rsa(void **st) { (void)st; sign_with("rsa:2048"); }

static void test_keys_refused(void **st)
{
	oa_buf pdf = {0};
	EVP_PKEY *k = make_key("P-256"), *k2 = make_key("P-256"), *weak = make_key("rsa:1024"),
		 *p521 = make_key("P-521"), *ed = make_key("ed25519");
	X509 *c = make_cert(k, "A"), *cw = make_cert(weak, "W"), *c5 = make_cert(p521, "P"),
	     *ce = make_cert(ed, "E");
	uint8_t *out = NULL;
	size_t n = 0;

	(void)st;
	make_pdf(&pdf);
	assert_int_equal(sign_pdf(pdf.data, pdf.len, k2, c, NULL, NULL, &out, &n), OA_ERR_INVALID);
	assert_non_null(strstr(oa_errmsg(), "does not match"));
	assert_int_equal(sign_pdf(pdf.data, pdf.len, weak, cw, NULL, NULL, &out, &n), OA_ERR_INVALID);
	assert_int_equal(sign_pdf(pdf.data, pdf.len, p521, c5, NULL, NULL, &out, &n), OA_ERR_INVALID);
	assert_int_equal(sign_pdf(pdf.data, pdf.len, ed, ce, NULL, NULL, &out, &n), OA_ERR_INVALID);
	assert_int_equal(sign_pdf(pdf.data, pdf.len, NULL, c, NULL, NULL, &out, &n), OA_ERR_INVALID);
	assert_null(out);
	X509_free(c);
	X509_free(cw);
	X509_free(c5);
	X509_free(ce);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(weak);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(ed);
	oa_buf_free(&pdf);
}

static void test_texts(void **st)
{
	oa_buf pdf = {0};
	EVP_PKEY *k = make_key("P-256");
	X509 *c = make_cert(k, "Siti Aminah");
	char big[SIGN_MAX_TEXT_BYTES + 2];
	sign_opts o = {.reason = "Disetujui \xe2\x80\x94 Kepala Dinas (a\\b)", .location = "Bogor"};
	uint8_t *out = NULL;
	size_t n = 0;

	(void)st;
	make_pdf(&pdf);
	assert_int_equal(sign_pdf(pdf.data, pdf.len, k, c, NULL, &o, &out, &n), OA_OK);
	assert_non_null(memmem(out, n, "/Reason <FEFF0044", 17));
	assert_non_null(memmem(out, n, "/Name (Siti Aminah)", 19));
	check_signed(&pdf, out, n, c);
	free(out);
	out = NULL;
	o.reason = "(balanced) \\ back";
	assert_int_equal(sign_pdf(pdf.data, pdf.len, k, c, NULL, &o, &out, &n), OA_OK);
	assert_non_null(memmem(out, n, "/Reason (\\(balanced\\) \\\\ back)",
	    strlen("/Reason (\\(balanced\\) \\\\ back)")));
	free(out);
	out = NULL;
	o.reason = "\xff\xfe";
	assert_int_equal(sign_pdf(pdf.data, pdf.len, k, c, NULL, &o, &out, &n), OA_ERR_INVALID);
	o.reason = "\xc0\xaf"; /* overlong '/' */
	assert_int_equal(sign_pdf(pdf.data, pdf.len, k, c, NULL, &o, &out, &n), OA_ERR_INVALID);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	o.reason = big;
	assert_int_equal(sign_pdf(pdf.data, pdf.len, k, c, NULL, &o, &out, &n), OA_ERR_LIMIT);
	o.reason = NULL;
	o.name = big;
	assert_int_equal(sign_pdf(pdf.data, pdf.len, k, c, NULL, &o, &out, &n), OA_ERR_LIMIT);
	o.name = "";
	assert_int_equal(sign_pdf(pdf.data, pdf.len, k, c, NULL, &o, &out, &n), OA_OK);
	assert_null(memmem(out, n, "/Name", 5));
	free(out);
	out = NULL;
	assert_null(out);
	X509_free(c);
	EVP_PKEY_free(k);
	oa_buf_free(&pdf);
}

/* Every truncation and a sweep of one-byte changes: refused or signed. */
static void test_hostile(void **st)
{
	oa_buf pdf = {0};
	EVP_PKEY *k = make_key("P-256");
	X509 *c = make_cert(k, "A");
	uint8_t *out = NULL, *m;
	size_t n = 0;
	int refused = 0, signed_ = 0;
	static const uint8_t subst[] = {'x', '0', ' ', '<', '>', '/', 0, 0xff};

	(void)st;
	make_pdf(&pdf);
	assert_int_equal(sign_pdf(pdf.data, 0, k, c, NULL, NULL, &out, &n), OA_ERR_INVALID);
	/* a trailer /Size below the last object: the new numbers would collide */
	m = (uint8_t *)strstr((char *)pdf.data, "/Size 5");
	assert_non_null(m);
	m[6] = '4';
	assert_int_equal(sign_pdf(pdf.data, pdf.len, k, c, NULL, NULL, &out, &n), OA_ERR_INVALID);
	assert_non_null(strstr(oa_errmsg(), "broken PDF"));
	m[6] = '5';
	assert_int_equal(sign_pdf(pdf.data, (size_t)SIGN_MAX_PDF_BYTES + 1, k, c, NULL, NULL, &out,
	    &n), OA_ERR_LIMIT);
	for (size_t len = 1; len < pdf.len; len++) {
		oa_err rc = sign_pdf(pdf.data, len, k, c, NULL, NULL, &out, &n);
		if (rc == OA_OK) {
			assert_memory_equal(out, pdf.data, len);
			signed_++;
		} else {
			assert_true(rc == OA_ERR_INVALID);
			refused++;
		}
		free(out);
		out = NULL;
	}
	m = malloc(pdf.len);
	for (size_t i = 0; i < pdf.len; i++)
		for (size_t s = 0; s < sizeof subst; s++) {
			memcpy(m, pdf.data, pdf.len);
			if (m[i] == subst[s])
				continue;
			m[i] = subst[s];
			oa_err rc = sign_pdf(m, pdf.len, k, c, NULL, NULL, &out, &n);
			if (rc == OA_OK) {
				assert_memory_equal(out, m, pdf.len);
				signed_++;
			} else {
				assert_true(rc == OA_ERR_INVALID || rc == OA_ERR_LIMIT);
				refused++;
			}
			free(out);
			out = NULL;
		}
	printf("# hostile: %d refused, %d signed (prefix kept)\n", refused, signed_);
	free(m);
	X509_free(c);
	EVP_PKEY_free(k);
	oa_buf_free(&pdf);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Not a check: the figure for docs/SIGNING.md. */
static void test_timing(void **st)
{
	static const char *specs[] = {"P-256", "rsa:2048"};
	oa_buf pdf = {0};

	(void)st;
	make_pdf(&pdf);
	for (size_t s = 0; s < 2; s++) {
		EVP_PKEY *k = make_key(specs[s]);
		X509 *c = make_cert(k, "A");
		int iters = 200;
		double t0 = now_s();
		for (int i = 0; i < iters; i++) {
			uint8_t *out = NULL;
			size_t n = 0;
			assert_int_equal(sign_pdf(pdf.data, pdf.len, k, c, NULL, NULL, &out, &n), OA_OK);
			free(out);
		}
		double dt = (now_s() - t0) / iters;
		printf("# sign_pdf, one-page PDF of %zu bytes, %s: %.0f us/signature (%.0f/s, one core)\n",
		    pdf.len, specs[s], dt * 1e6, 1 / dt);
		X509_free(c);
		EVP_PKEY_free(k);
	}
	oa_buf_free(&pdf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_p256), cmocka_unit_test(test_sign_p384),
		cmocka_unit_test(test_sign_rsa), cmocka_unit_test(test_keys_refused),
		cmocka_unit_test(test_texts), cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_timing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
