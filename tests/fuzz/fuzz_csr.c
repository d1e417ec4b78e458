/*
 * fuzz_csr.c - CSR parsing and the whole issue path (ca_issue: PEM or DER
 * PKCS#10, proof of possession, subject and policy checks, lint, signing,
 * storing), inside a transaction that is rolled back so the instance never
 * grows.  A fresh NIK each time keeps "one active certificate per NIK"
 * from stopping the path early.
 */
#include "fuzz.h"

#include <stdio.h>

#include "ca/ca.h"
#include "store/store.h"

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
	static unsigned long count;
	ca *c = fz_ca();
	store *db = ca_store(c);
	ca_request r = {0};
	ca_issued out = {0};
	char nik[17];

	snprintf(nik, sizeof nik, "3201%012lu", ++count % 1000000000000UL);
	r.csr = fz_guard(d, n); /* an over-read in OpenSSL faults */
	r.csr_len = n;
	r.nik = nik;
	r.email = "fuzz@example.go.id"; /* the profile requires one */
	if (store_begin(db) != OA_OK)
		__builtin_trap();
	(void)ca_issue(c, &r, &out);
	store_rollback(db);
	ca_issued_free(&out);
	return 0;
}
