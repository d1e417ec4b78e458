/*
 * fuzz_link_token.c - one-time link tokens as they arrive in /link/...
 * URLs: auth_link_peek then auth_link_consume, for the kind the first byte
 * picks.  (No link exists in the instance: this is the token's reading and
 * lookup, which must refuse everything without a crash.)
 */
#include "fuzz.h"

#include <stdlib.h>

#include "auth/auth.h"

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
	static inst *in;
	static auth *a;
	char person[AUTH_MAX_ID + 1];
	int64_t case_id = 0;
	auth_link_kind kind;
	char *tok;

	/* auth on an instance handle of the shared instance (fz_dir makes it) */
	if (a == NULL && (inst_open(fz_dir(), &in) != OA_OK || auth_open(in, &a) != OA_OK))
		abort();
	if (n < 1)
		return 0;
	kind = (auth_link_kind)(d[0] % (AUTH_LINK__MAX + 1)); /* one past: a bad kind */
	tok = fz_str(d + 1, n - 1);
	if (auth_link_peek(a, kind, tok, person, &case_id) == OA_OK ||
	    auth_link_consume(a, kind, tok, person, &case_id) == OA_OK)
		__builtin_trap(); /* there is no link to find */
	free(tok);
	return 0;
}
