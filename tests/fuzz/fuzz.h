/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz share: one throw-away
 * instance per process (made on first use, removed at exit), signing in this
 * process so that a crash anywhere is the fuzzer's to see, and a
 * NUL-terminated copy of an input.
 *
 * Each harness is one fuzz_<name>.c defining LLVMFuzzerTestOneInput; it
 * must never keep state between inputs other than the instance.
 */
#ifndef OA_FUZZ_H
#define OA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "ca/ca.h"

/* The instance of this process (borrowed), created on the first call under
 * $OPENAMS_FUZZ_TMP (else /dev/shm, else /tmp) and removed at exit.  Aborts
 * if it cannot be made: a harness without its instance is no harness. */
ca *fz_ca(void);
/* Its data directory (borrowed). */
const char *fz_dir(void);
/* A malloc'd NUL-terminated copy of d[0..n); the caller frees.  Aborts on
 * out of memory. */
char *fz_str(const uint8_t *d, size_t n);

/*
 * A copy of d[0..n) that ends right before an unreadable page, or d itself
 * if n is over 1 MiB.  OpenSSL and the other libraries are not built with
 * the sanitizers, so ASan cannot see them read past an input; with this
 * copy such a read faults, and libFuzzer reports it.  Valid until the next
 * call (one buffer per process).
 */
const uint8_t *fz_guard(const uint8_t *d, size_t n);

#endif
