/*
 * test_sign_holder.c - signing a PDF with a holder's sealed key
 * (sign_pdf_holder) and reading it back (sign_verify_pdf), in a fresh
 * instance with small Argon2id parameters:
 *
 *   - the signature verifies with OpenSSL's CMS_verify over the byte ranges
 *     and with sign_verify_pdf (intact, trusted to the instance's root,
 *     "good"), and poppler's pdfsig says it is valid;
 *   - "keys.sign" is in the audit log with the serial and the document's
 *     SHA-256 and client;
 *   - a wrong passphrase is OA_ERR_DENIED and counted; keys.max_failures of
 *     them lock the key (OA_ERR_STATE, "locked"); a success forgives;
 *   - a NIK without a certificate is OA_ERR_NOTFOUND, a certificate made
 *     from a CSR (no key here) OA_ERR_NOTFOUND, a revoked one OA_ERR_STATE;
 *   - a broken PDF is refused before the key is touched: no attempt counted.
 *   - the verifier: the one-pass hash gives each of several signatures its
 *     own digest (three signatures, each intact), a changed byte is
 *     reported, bytes appended are "changed after".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "ca/ca.h"
#include "common/util.h"
#include "keys/keys.h"
#include "sign/sign.h"
#include "store/store.h"
#include "testutil.h"

#define PASS "kopi tubruk di pagi hari 7"
#define WRONG "teh manis di sore hari 99"
#define HOLDER "budi.santoso"
#define NIK "3201015505900001"

static const keys_person person = {
	.name = "Budi Santoso",
	.nik = NIK,
	.email = "budi.santoso@kominfo.go.id",
};

#define SMALL_KDF "keys.argon2_memory_kib = 64\nkeys.argon2_iterations = 1\n" \
                  "keys.argon2_parallelism = 1\nkeys.max_failures = 3\n"

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

/* An instance, a sealed key for NIK with its certificate bound. */
typedef struct fx {
	tu_inst t;
	int64_t key_id;
	char serial[41];
	oa_buf pdf;
} fx;

static int setup(void **st)
{
	fx *f = calloc(1, sizeof *f);
	char *csr = NULL;
	ca_request r = {0};
	ca_issued out = {0};

	if (!f || tu_inst_new(&f->t, NULL, SMALL_KDF) != 0)
		return -1;
	if (keys_create(f->t.in, HOLDER, "ec-p256", PASS, &person, &f->key_id, &csr) != OA_OK)
		return -1;
	r.csr = (const uint8_t *)csr;
	r.csr_len = strlen(csr);
	r.nik = NIK;
	r.email = person.email;
	r.o = "Kominfo";
	r.actor = "test";
	if (ca_issue(f->t.c, &r, &out) != OA_OK)
		return -1;
	snprintf(f->serial, sizeof f->serial, "%s", out.serial);
	ca_issued_free(&out);
	free(csr);
	if (keys_bind_certificate(f->t.in, f->key_id, f->serial, "test") != OA_OK)
		return -1;
	make_pdf(&f->pdf);
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	fx *f = *st;
	oa_buf_free(&f->pdf);
	tu_inst_free(&f->t);
	free(f);
	return 0;
}

static oa_err hsign(fx *f, const char *nik, const char *serial, const char *pass,
    const uint8_t *pdf, size_t len, uint8_t **out, size_t *out_len, char used[41])
{
	sign_holder h = {.nik = nik, .serial = serial, .passphrase = pass, .client = "e-office"};
	sign_opts o = {.reason = "Persetujuan", .location = "Selatpanjang"};
	return sign_pdf_holder(f->t.in, &h, pdf, len, &o, out, out_len, used);
}

static int failures(fx *f)
{
	keys_info ki;
	tu_must(keys_status(f->t.in, f->key_id, &ki));
	return ki.failures;
}

/* OpenSSL's own CMS verifier over the byte range of the last signature. */
static void cms_verify_last(const uint8_t *pdf, size_t n, ca *c)
{
	const char *br = NULL;
	long long a, b, cc, d;
	oa_buf content = {0}, pem = {0};
	uint8_t *der;
	const uint8_t *p;
	long derlen;
	CMS_ContentInfo *cms;
	BIO *in, *rb;
	X509_STORE *st = X509_STORE_new();
	X509 *root;

	for (const uint8_t *q = pdf; (q = memmem(q, n - (size_t)(q - pdf), "/ByteRange [", 12)); q++)
		br = (const char *)q;
	assert_non_null(br);
	assert_int_equal(sscanf(br, "/ByteRange [%lld %lld %lld %lld", &a, &b, &cc, &d), 4);
	assert_true(a == 0 && (size_t)(cc + d) <= n);
	tu_must(oa_buf_append(&content, pdf, (size_t)b));
	tu_must(oa_buf_append(&content, pdf + cc, (size_t)d));
	der = malloc((size_t)(cc - b));
	for (derlen = 0; derlen < (cc - b - 2) / 2; derlen++)
		der[derlen] = (uint8_t)(oa_hexval(pdf[b + 1 + 2 * derlen]) << 4 |
		    oa_hexval(pdf[b + 2 + 2 * derlen]));
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, derlen);
	assert_non_null(cms);
	tu_must(ca_chain_pem(c, 1, &pem));
	rb = BIO_new_mem_buf(pem.data, (int)pem.len);
	root = PEM_read_bio_X509(rb, NULL, NULL, NULL);
	assert_non_null(root);
	X509_STORE_add_cert(st, root);
	in = BIO_new_mem_buf(content.data, (int)content.len);
	if (CMS_verify(cms, NULL, st, in, NULL, CMS_BINARY) != 1) {
		ERR_print_errors_fp(stderr);
		fail_msg("CMS_verify refused the holder's signature");
	}
	BIO_free(in);
	BIO_free(rb);
	X509_free(root);
	X509_STORE_free(st);
	CMS_ContentInfo_free(cms);
	free(der);
	oa_buf_free(&content);
	oa_buf_free(&pem);
}

static void test_sign_and_verify(void **st)
{
	fx *f = *st;
	uint8_t *out = NULL, dg[32];
	size_t n = 0;
	char used[41], hex[65], path[300], cmd[2048];
	sign_report rep;
	FILE *fp;

	tu_must(hsign(f, NIK, NULL, PASS, f->pdf.data, f->pdf.len, &out, &n, used));
	assert_string_equal(used, f->serial);
	assert_true(n > f->pdf.len);
	assert_memory_equal(out, f->pdf.data, f->pdf.len);
	cms_verify_last(out, n, f->t.c);

	/* audit: serial, the document's SHA-256, the client */
	SHA256(f->pdf.data, f->pdf.len, dg);
	oa_hex(hex, dg, sizeof dg);
	assert_int_equal(tu_countf(ca_store(f->t.c), "SELECT count(*) FROM audit WHERE "
	    "action = 'keys.sign' AND detail LIKE '%%serial=%s%%pdf-sha256=%s client=e-office%%'",
	    f->serial, hex), 1);

	tu_must(sign_verify_pdf(f->t.c, NULL, out, n, &rep));
	assert_int_equal(rep.n, 1);
	assert_true(rep.sig[0].intact);
	assert_true(rep.sig[0].trusted);
	/* the default with a TSA is B-LT: a /DSS update after the signature, allowed */
	assert_true(rep.dss);
	assert_true(rep.sig[0].ltv);
	assert_false(rep.sig[0].whole);
	assert_false(rep.sig[0].changed_after);
	assert_true(rep.sig[0].issued_here);
	assert_string_equal(rep.sig[0].revocation, "good");
	assert_string_equal(rep.sig[0].serial, f->serial);
	assert_string_equal(rep.sig[0].reason, "Persetujuan");
	assert_string_equal(rep.sig[0].location, "Selatpanjang");
	assert_string_equal(rep.sig[0].signer_cn, "Budi Santoso");
	assert_string_equal(rep.sig[0].subfilter, "ETSI.CAdES.detached");
	/* the instance has a TSA: B-T, the token verified over the signature value */
	assert_true(rep.sig[0].timestamped);
	if (!rep.sig[0].timestamp_valid)
		fail_msg("time-stamp: %s", rep.sig[0].timestamp_problem);
	assert_true(rep.sig[0].timestamp_time >= oa_now() - 60 && rep.sig[0].timestamp_time <= oa_now());
	SHA256(out, n, dg);
	assert_memory_equal(rep.sha256, dg, 32);
	sign_report_free(&rep);

	/* poppler, which openams did not write, agrees */
	snprintf(path, sizeof path, "%s/holder-signed.pdf", f->t.dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(out, 1, n, fp), n);
	fclose(fp);
	snprintf(cmd, sizeof cmd, "pdfsig -no-ocsp '%s' 2>&1 | grep -q 'Signature is Valid'", path);
	assert_int_equal(system(cmd), 0);
	/* the /DSS, read by pikepdf and checked by openssl */
	{
		oa_buf chain = {0}, root = {0};
		char cp[300], rp[300];
		tu_must(ca_chain_pem(f->t.c, 0, &chain));
		tu_must(ca_chain_pem(f->t.c, 1, &root));
		snprintf(cp, sizeof cp, "%s/chain.pem", f->t.dir);
		snprintf(rp, sizeof rp, "%s/root.pem", f->t.dir);
		tu_must(oa_write_file_atomic(cp, chain.data, chain.len, 0600));
		tu_must(oa_write_file_atomic(rp, root.data, root.len, 0600));
		snprintf(cmd, sizeof cmd, "%s %s/tests/sign/dss.py '%s' '%s' '%s'",
		    getenv("PYTHON") ? getenv("PYTHON") : "python3",
		    getenv("OPENAMS_SRC") ? getenv("OPENAMS_SRC") : ".", path, cp, rp);
		if (system(cmd) != 0)
			fail_msg("dss.py refused the /DSS");
		oa_buf_free(&chain);
		oa_buf_free(&root);
	}
	free(out);
}

/* level_bb: no time-stamp even though the instance has a TSA. */
static void test_level_bb(void **st)
{
	fx *f = *st;
	uint8_t *out = NULL;
	size_t n = 0;
	char used[41];
	sign_holder h = {.nik = NIK, .passphrase = PASS, .level = SIGN_LEVEL_BB};
	sign_report rep;

	tu_must(sign_pdf_holder(f->t.in, &h, f->pdf.data, f->pdf.len, NULL, &out, &n, used));
	tu_must(sign_verify_pdf(f->t.c, NULL, out, n, &rep));
	assert_int_equal(rep.n, 1);
	assert_true(rep.sig[0].intact);
	assert_false(rep.sig[0].timestamped);
	assert_false(rep.dss);
	assert_true(rep.sig[0].whole);
	sign_report_free(&rep);
	free(out);
	/* B-T: time-stamped, no /DSS, the signature covers the whole document */
	h.level = SIGN_LEVEL_BT;
	tu_must(sign_pdf_holder(f->t.in, &h, f->pdf.data, f->pdf.len, NULL, &out, &n, used));
	tu_must(sign_verify_pdf(f->t.c, NULL, out, n, &rep));
	assert_true(rep.sig[0].timestamp_valid);
	assert_false(rep.dss);
	assert_true(rep.sig[0].whole);
	sign_report_free(&rep);
	free(out);
}

static void test_wrong_passphrase_and_lock(void **st)
{
	fx *f = *st;
	uint8_t *out = NULL;
	size_t n = 0;
	char used[41];

	tu_expect(hsign(f, NIK, NULL, WRONG, f->pdf.data, f->pdf.len, &out, &n, used), OA_ERR_DENIED, NULL);
	assert_null(out);
	assert_int_equal(failures(f), 1);
	/* a success forgives */
	tu_must(hsign(f, NIK, NULL, PASS, f->pdf.data, f->pdf.len, &out, &n, used));
	free(out);
	out = NULL;
	assert_int_equal(failures(f), 0);
	/* a broken PDF never reaches the key: no attempt counted */
	tu_expect(hsign(f, NIK, NULL, WRONG, (const uint8_t *)"%PDF-1.7\ngarbage", 17, &out, &n, used),
	    OA_ERR_INVALID, "broken PDF");
	assert_int_equal(failures(f), 0);
	/* keys.max_failures = 3 wrong ones lock it, for the right one too */
	for (int i = 0; i < 3; i++)
		tu_expect(hsign(f, NIK, NULL, WRONG, f->pdf.data, f->pdf.len, &out, &n, used),
		    i < 2 ? OA_ERR_DENIED : OA_ERR_DENIED, NULL);
	tu_expect(hsign(f, NIK, NULL, PASS, f->pdf.data, f->pdf.len, &out, &n, used), OA_ERR_STATE,
	    "locked");
	assert_null(out);
}

static void test_no_certificate(void **st)
{
	fx *f = *st;
	uint8_t *out = NULL;
	size_t n = 0;
	char used[41], serial[41];

	tu_expect(hsign(f, "3201015505900099", NULL, PASS, f->pdf.data, f->pdf.len, &out, &n, used),
	    OA_ERR_NOTFOUND, "no certificate for NIK");
	tu_expect(hsign(f, "12345", NULL, PASS, f->pdf.data, f->pdf.len, &out, &n, used),
	    OA_ERR_INVALID, "16 digits");
	/* a certificate from a CSR: the key is not here */
	tu_must(tu_issue_nik(f->t.c, "3201015505900077", 0, serial));
	tu_expect(hsign(f, "3201015505900077", NULL, PASS, f->pdf.data, f->pdf.len, &out, &n, used),
	    OA_ERR_NOTFOUND, "no certificate with a key sealed");
	tu_expect(hsign(f, NULL, serial, PASS, f->pdf.data, f->pdf.len, &out, &n, used),
	    OA_ERR_NOTFOUND, "no holder key");
	assert_null(out);
}

static void test_revoked(void **st)
{
	fx *f = *st;
	uint8_t *out = NULL;
	size_t n = 0;
	char used[41];

	tu_must(ca_revoke(f->t.c, f->serial, 1, 0, "test"));
	tu_expect(hsign(f, NIK, NULL, PASS, f->pdf.data, f->pdf.len, &out, &n, used), OA_ERR_STATE,
	    "revoked");
	tu_expect(hsign(f, NULL, f->serial, PASS, f->pdf.data, f->pdf.len, &out, &n, used),
	    OA_ERR_STATE, "revoked");
	assert_null(out);
}

/* Three signatures: each intact (the one-pass hash forks right), a change found. */
static void test_verify_three(void **st)
{
	fx *f = *st;
	uint8_t *a = NULL, *b = NULL, *c = NULL;
	size_t na, nb, nc;
	char used[41];
	sign_report rep;

	tu_must(hsign(f, NIK, NULL, PASS, f->pdf.data, f->pdf.len, &a, &na, used));
	tu_must(hsign(f, NIK, NULL, PASS, a, na, &b, &nb, used));
	tu_must(hsign(f, NULL, f->serial, PASS, b, nb, &c, &nc, used));
	tu_must(sign_verify_pdf(f->t.c, NULL, c, nc, &rep));
	assert_int_equal(rep.n, 3);
	for (size_t i = 0; i < 3; i++) {
		if (!rep.sig[i].intact)
			fail_msg("signature %zu: %s", i + 1, rep.sig[i].problem);
		assert_true(rep.sig[i].trusted);
		assert_false(rep.sig[i].whole);         /* a /DSS update follows each */
		assert_false(rep.sig[i].changed_after); /* ... which is allowed */
		assert_true(rep.sig[i].ltv);
	}
	assert_true(rep.sig[0].covered < na && rep.sig[1].covered > na && rep.sig[1].covered < nb);
	sign_report_free(&rep);

	/* a byte inside the first signature's range: all three break */
	c[20] ^= 1;
	tu_must(sign_verify_pdf(f->t.c, NULL, c, nc, &rep));
	for (size_t i = 0; i < 3; i++)
		assert_false(rep.sig[i].intact);
	assert_non_null(strstr(rep.sig[0].problem, "do not match"));
	sign_report_free(&rep);
	c[20] ^= 1;
	/* a byte of the second revision only (its /Reason): the first stays intact */
	{
		uint8_t *r = memmem(c + na, nb - na, "Persetujuan", 11);
		assert_non_null(r);
		r[3] ^= 1;
	}
	tu_must(sign_verify_pdf(f->t.c, NULL, c, nc, &rep));
	assert_int_equal(rep.n, 3);
	assert_true(rep.sig[0].intact);
	assert_false(rep.sig[1].intact);
	assert_false(rep.sig[2].intact);
	sign_report_free(&rep);

	/* bytes appended after the last update: a change, for every signature */
	{
		uint8_t *x = malloc(nc + 32);
		memcpy(x, c, nc);
		memcpy(x + nc, "1 0 obj\n<< >>\nendobj\n", 21);
		tu_must(sign_verify_pdf(f->t.c, NULL, x, nc + 21, &rep));
		for (size_t i = 0; i < 3; i++)
			assert_true(rep.sig[i].changed_after);
		sign_report_free(&rep);
		free(x);
	}
	/* the unsigned original: no signature, no error (regression: the
	 * empty list was sorted through a null pointer, UBSan under fuzz_pdf) */
	tu_must(sign_verify_pdf(f->t.c, NULL, f->pdf.data, f->pdf.len, &rep));
	assert_int_equal(rep.n, 0);
	sign_report_free(&rep);
	/* no trust anchor given, no instance: intact, not trusted */
	tu_must(sign_verify_pdf(NULL, NULL, b, nb, &rep));
	assert_true(rep.sig[0].intact);
	assert_false(rep.sig[0].trusted);
	assert_string_equal(rep.sig[0].revocation, "unknown");
	sign_report_free(&rep);
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sign_and_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_bb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_passphrase_and_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_three, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
