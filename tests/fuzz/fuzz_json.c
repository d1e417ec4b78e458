/*
 * fuzz_json.c - the JSON request bodies of /api/v1: web_json_parse (the
 * depth pre-check, then Jansson with duplicate keys refused).
 */
#include "fuzz.h"

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	json_t *j = NULL;

	d = fz_guard(d, n); /* an over-read in Jansson faults */
	if (web_json_parse((const char *)d, n, &j) == OA_OK && j == NULL)
		__builtin_trap();
	json_decref(j);
	return 0;
}
