/*
 * fuzz_sop.c - the SOP YAML loader (sop_parse: libyaml, the checked node
 * accessors, validation), as for a definition an administrator uploads.
 */
#include "fuzz.h"

#include "sop/sop.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	sop_errors e = {0};
	sop_def *def = NULL;

	d = fz_guard(d, n); /* an over-read in libyaml faults */
	if (sop_parse("fuzz.yaml", (const char *)d, n, &def, &e) == OA_OK && def == NULL)
		__builtin_trap();
	sop_free(def);
	sop_errors_free(&e);
	return 0;
}
