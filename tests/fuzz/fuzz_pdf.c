/*
 * fuzz_pdf.c - the PDF reader: a document as a client uploads it to be
 * verified (sign_verify_pdf: qpdf, the signature fields, byte ranges, the
 * CMS in /Contents) or signed (sign_pdf: qpdf's reading of the trailer,
 * catalog, first page and form, then the incremental update).  Byte 0 picks
 * which, and its bit 1 gives the password "x" (an encrypted PDF: crypt.c's
 * key derivation and the update's string and stream encryption); the rest
 * is the PDF.  A signed output must start with the input.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fuzz.h"

#include "common/err.h"
#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static EVP_PKEY *key;
static X509 *cert;

static void make_signer(void)
{
	X509_NAME *nm = X509_NAME_new();

	key = EVP_EC_gen("P-256");
	cert = X509_new();
	if (!key || !cert || !nm)
		abort();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)"Fuzz", -1, -1, 0);
	X509_set_subject_name(cert, nm);
	X509_set_issuer_name(cert, nm);
	X509_set_pubkey(cert, key);
	if (!X509_sign(cert, key, EVP_sha256()))
		abort();
	X509_NAME_free(nm);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	sign_report rep;
	sign_opts o = {0};
	uint8_t *out = NULL;
	size_t out_len = 0;

	if (n < 1)
		return 0;
	if (!key)
		make_signer();
	o.password = d[0] & 2 ? "x" : NULL;
	if (d[0] & 1) {
		const uint8_t *p = fz_guard(d + 1, n - 1); /* qpdf is not instrumented */
		if (sign_pdf(p, n - 1, key, cert, NULL, &o, &out, &out_len) == OA_OK &&
		    (out_len <= n - 1 || memcmp(out, p, n - 1) != 0))
			__builtin_trap(); /* the original must be a prefix of the output */
		free(out);
	} else {
		const uint8_t *p = fz_guard(d + 1, n - 1);
		if (sign_verify_pdf_pw(NULL, NULL, p, n - 1, o.password, &rep) == OA_OK) {
			for (size_t i = 0; i < rep.n; i++)
				if (rep.sig[i].intact && rep.sig[i].problem[0])
					__builtin_trap(); /* intact yet with a problem */
			sign_report_free(&rep);
		}
	}
	oa_err_clear();
	return 0;
}
