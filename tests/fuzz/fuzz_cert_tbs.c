/*
 * fuzz_cert_tbs.c - the signer's check of a to-be-signed certificate
 * (checks.c check_cert via ca_signer_checks: parse, then the full lint
 * against a profile).  The first byte picks the profile, the rest is the
 * certificate DER as the signer receives it.
 */
#include "fuzz.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include "ca/caInt.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The instance is made before the first input (it takes seconds). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_ca();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	signer_checks k = ca_signer_checks(fz_ca());
	const unsigned char *p;
	X509 *x;

	if (n < 1)
		return 0;
	p = d + 1;
	if ((x = d2i_X509(NULL, &p, (long)(n - 1))) != NULL) {
		(void)k.cert(k.ctx, x, d[0] & 1 ? "seal" : "individual");
		X509_free(x);
	}
	ERR_clear_error();
	return 0;
}
