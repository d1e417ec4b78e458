/*
 * fuzz_crl_tbs.c - the signer's DER walk of a TBSCertList (checks.c, via
 * ca_signer_checks): the first byte picks the key (root or issuing CA),
 * the rest is the TBS.  With the clock pinned (OPENAMS_NOW) the check skips
 * its "is thisUpdate now" test, so old seeds still walk the whole TBS.
 */
#include "fuzz.h"

#include <stdlib.h>

#include "ca/caInt.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_ca(); /* made at the real time; only the checks see the pinned clock */
	setenv("OPENAMS_NOW", "2026-12-07T03:50:00Z", 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	signer_checks k = ca_signer_checks(fz_ca());

	if (n < 1)
		return 0;
	/* The TBS ends at an unreadable page: an over-read in OpenSSL faults. */
	(void)k.crl(k.ctx, d[0] & 1 ? SIGNER_ISSUING : SIGNER_ROOT, fz_guard(d + 1, n - 1), n - 1);
	return 0;
}
