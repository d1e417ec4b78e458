/*
 * fuzz_ocsp.c - the OCSP responder (ca_ocsp_respond): a DER OCSPRequest as
 * POSTed or base64-decoded from a GET, answered and signed in-process.
 * Every input must yield a response.
 */
#include "fuzz.h"

#include <stdlib.h>

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
	uint8_t *resp = NULL;
	size_t len = 0;

	if (ca_ocsp_respond(fz_ca(), d, n, &resp, &len) == OA_OK && (resp == NULL || len == 0))
		__builtin_trap();
	free(resp);
	return 0;
}
