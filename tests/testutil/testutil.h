/*
 * testutil.h - helpers shared by the C test programs (tests/) and the
 * benchmarks (bench/): temporary directories, fresh instances, the clock
 * the code under test reads, row counts, and certificate requests.
 *
 * Built once as the static library `testutil` (tests/meson.build); a
 * program gets it with `dependencies : testutil_dep`.  Every function is
 * named tu_<noun>_<verb> or tu_<noun>.
 *
 * tu_must, tu_expect, tu_count and tu_countf fail the running cmocka test
 * (fail_msg): tu_must and tu_expect when a call did not end as wanted,
 * tu_count and tu_countf when their statement does not give a row.  Call
 * them from a test, a setup or a teardown only.  Everything else reports failure by its return value
 * and may be used anywhere, benchmarks included.
 */
#ifndef OA_TESTUTIL_H
#define OA_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ca/ca.h"
#include "engine/engine.h"
#include "store/store.h"

/* ---- temporary directories ------------------------------------------ */

/* Every directory tu_tmpdir makes starts with this; tu_rmrf removes no other. */
#define TU_TMP_PREFIX "/tmp/openams-test-"

/* Makes a fresh, empty directory TU_TMP_PREFIX "XXXXXX" and writes its path
 * to buf (n bytes, at least 25).  Returns buf, or NULL (errno set). */
char *tu_tmpdir(char *buf, size_t n);

/* Removes dir and everything below it.  Does nothing unless dir starts with
 * TU_TMP_PREFIX (so NULL, "" and a stray path are harmless); complains on
 * stderr when the removal fails. */
void tu_rmrf(const char *dir);

/* Where the shipped files (sop/, profiles/, etc/) are read from: the
 * environment's OPENAMS_SHARE, else the source tree of this build.
 * Borrowed; do not free. */
const char *tu_share(void);

/* ---- the store's backend ---------------------------------------------- */

/*
 * Where a test keeps a new store: with OPENAMS_TEST_PG set (the conninfo of
 * a PostgreSQL server without dbname, as tests/lib/pg.sh exports it) a new,
 * empty database made on that server, as a postgresql:// URL; else
 * dir/name.  out: at least OA_MAX_PATH.  0, or -1 with the reason on stderr.
 */
int tu_store_path(char *out, size_t n, const char *dir, const char *name);
/* 1 when tests run on PostgreSQL (OPENAMS_TEST_PG set). */
int tu_store_pg(void);

/* ---- fresh instances ------------------------------------------------- */

/* An instance of its own: made by tu_inst_new, removed by tu_inst_free. */
typedef struct tu_inst {
	char dir[64];   /* the temporary directory holding everything */
	char path[256]; /* dir/inst: the instance (data directory) */
	inst *in;       /* the open instance */
	ca *c;          /* its CA (inst_ca(in)) */
} tu_inst;

/*
 * Makes a new temporary directory, initialises an instance (its store in a
 * new PostgreSQL database when OPENAMS_TEST_PG is set: tu_store_path()) at dir/inst from
 * tu_share() and opens it into t->in (its CA in t->c).
 *   config: NULL, or the text of a configuration file written to
 *           dir/test.conf and given to ca_init (ca_init_opts.config_file);
 *   append: NULL, or text appended to dir/inst/openams.conf after ca_init
 *           and before ca_open.
 * Returns 0, or -1 with the failing step and oa_errmsg() on stderr; what
 * was made is left for tu_inst_free either way.  From a group setup return
 * -1 on failure; from a test, fail_msg().
 */
int tu_inst_new(tu_inst *t, const char *config, const char *append);

/* Closes t->in and removes t->dir, then zeroes t.  Accepts a zeroed t (never
 * made, or already freed). */
void tu_inst_free(tu_inst *t);

/* Appends text to the openams.conf of the instance at instpath (a
 * tu_inst's path).  0, or -1 when the file cannot be opened. */
int tu_conf_append(const char *instpath, const char *text);

/* Opens the SOP engine on in into *e and installs for org every shipped
 * SOP definition (tu_share()/sop), as "admin".  0, or -1 with the failing
 * step and oa_errmsg() on stderr (*e, if opened, is the caller's to free). */
int tu_engine_new(inst *in, const char *org, engine **e);

/* ---- the clock ------------------------------------------------------- */

/* The code under test reads the time through oa_now(), which honours
 * OPENAMS_NOW.  tu_clock_set(t) sets it to t (Unix seconds), tu_clock_tick
 * moves it on by secs, tu_clock_now returns what was last set (0 before
 * the first set), and tu_clock_clear unsets OPENAMS_NOW again. */
void tu_clock_set(int64_t t);
void tu_clock_tick(int64_t secs);
int64_t tu_clock_now(void);
void tu_clock_clear(void);

/* s ("2026-11-23T01:00:00Z") as Unix seconds; aborts on a malformed s (a
 * bug in the test itself). */
int64_t tu_iso(const char *s);

/* ---- results (cmocka) ------------------------------------------------ */

/* Fails the test unless call gives OA_OK: "FILE:LINE: call: CODE (message)". */
#define tu_must(call) tu_must_at((call), #call, __FILE__, __LINE__)
/* Fails the test unless call gives want and, when substr is not NULL, the
 * error message holds substr. */
#define tu_expect(call, want, substr) tu_expect_at((call), (want), (substr), #call, __FILE__, __LINE__)
void tu_must_at(oa_err rc, const char *call, const char *file, int line);
void tu_expect_at(oa_err rc, oa_err want, const char *substr, const char *call, const char *file,
    int line);

/* ---- the store (cmocka) ---------------------------------------------- */

/* The integer in the first column of the first row of sql on s, typically
 * a COUNT(*).  Fails the test when sql does not prepare or gives no row. */
int64_t tu_count(store *s, const char *sql);

/* tu_count of the statement printf-formatted from fmt (at most 1023 bytes). */
int64_t tu_countf(store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- keys and certificates ------------------------------------------- */

/* A PEM certificate request, subject CN=cn, for a fresh EC P-256 key that
 * is thrown away.  The caller frees the text with free(). */
char *tu_csr_pem(const char *cn);

/*
 * Issues at c a certificate for nik from tu_csr_pem("Pemohon Uji"), as the
 * SOP tests' holder: CN Siti Rahmawati, O Pemkab, e-mail
 * siti@kominfo.merantikab.go.id; validity days (0: the profile's default).
 * On OA_OK the new serial is in serial.  Returns ca_issue's result.
 */
oa_err tu_issue_nik(ca *c, const char *nik, int days, char serial[41]);

#endif
