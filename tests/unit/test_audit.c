/*
 * test_audit.c - the hash chain: intact logs verify; a changed, deleted,
 * swapped or truncated-in-the-middle record is found and named, even by an
 * attacker who first drops the append-only triggers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/limits.h"
#include "common/util.h"
#include "testutil.h"

struct fx {
	char dir[64];
	store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char path[OA_MAX_PATH];

	if (f == NULL || tu_tmpdir(f->dir, sizeof f->dir) == NULL)
		return -1;
	if (tu_store_path(path, sizeof path, f->dir, "a.db") != 0)
		return -1;
	if (store_open(path, &f->s) != OA_OK)
		return -1;
	if (store_begin(f->s) != OA_OK)
		return -1;
	for (int i = 1; i <= 5; i++) {
		char obj[32];
		snprintf(obj, sizeof obj, "certificate:%02d", i);
		if (audit_append(f->s, "verifikator", "cert.issue", obj, "profile=individual"))
			return -1;
	}
	if (store_commit(f->s) != OA_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	tu_rmrf(f->dir);
	free(f);
	return 0;
}

static void attacker(store *s)
{
	assert_int_equal(store_exec(s, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete"),
	    OA_OK);
}

static void test_intact(void **state)
{
	struct fx *f = *state;
	audit_report r;

	assert_int_equal(audit_verify(f->s, &r), OA_OK);
	assert_int_equal(r.rows, 5);
	assert_int_equal(r.first_bad, 0);
	assert_int_equal(strlen(r.head), 64);
}

static void test_append_outside_tx_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(audit_append(f->s, "a", "b", "c", NULL), OA_ERR_INTERNAL);
}

static void test_triggers_refuse(void **state)
{
	struct fx *f = *state;

	assert_int_equal(store_exec(f->s, "UPDATE audit SET actor='x' WHERE seq=2"), OA_ERR_STORE);
	assert_int_equal(store_exec(f->s, "DELETE FROM audit WHERE seq=5"), OA_ERR_STORE);
}

static void test_changed(void **state)
{
	struct fx *f = *state;
	audit_report r;

	attacker(f->s);
	assert_int_equal(store_exec(f->s, "UPDATE audit SET detail='profile=seal' WHERE seq=3"), OA_OK);
	assert_int_equal(audit_verify(f->s, &r), OA_ERR_STATE);
	assert_int_equal(r.first_bad, 3);
	assert_non_null(strstr(r.reason, "changed"));
}

static void test_changed_and_rehashed(void **state)
{
	struct fx *f = *state;
	audit_report r;

	/* Rewriting one record's own hash still breaks the next link. */
	attacker(f->s);
	assert_int_equal(store_exec(f->s, "UPDATE audit SET hash=(SELECT hash FROM audit WHERE seq=4)"
	                                  " WHERE seq=2"),
	    OA_OK);
	assert_int_equal(audit_verify(f->s, &r), OA_ERR_STATE);
	assert_int_equal(r.first_bad, 2);
}

static void test_deleted(void **state)
{
	struct fx *f = *state;
	audit_report r;

	attacker(f->s);
	assert_int_equal(store_exec(f->s, "DELETE FROM audit WHERE seq=2"), OA_OK);
	assert_int_equal(audit_verify(f->s, &r), OA_ERR_STATE);
	assert_int_equal(r.first_bad, 2);
	assert_non_null(strstr(r.reason, "missing"));
}

static void test_deleted_and_renumbered(void **state)
{
	struct fx *f = *state;
	audit_report r;

	attacker(f->s);
	assert_int_equal(store_exec(f->s, "DELETE FROM audit WHERE seq=2;"
	                                  "UPDATE audit SET seq=seq-1 WHERE seq>2"),
	    OA_OK);
	assert_int_equal(audit_verify(f->s, &r), OA_ERR_STATE);
	assert_int_equal(r.first_bad, 2);
}

static void test_swapped(void **state)
{
	struct fx *f = *state;
	audit_report r;

	attacker(f->s);
	assert_int_equal(store_exec(f->s, "UPDATE audit SET seq=100 WHERE seq=3;"
	                                  "UPDATE audit SET seq=3 WHERE seq=4;"
	                                  "UPDATE audit SET seq=4 WHERE seq=100"),
	    OA_OK);
	assert_int_equal(audit_verify(f->s, &r), OA_ERR_STATE);
	assert_int_equal(r.first_bad, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_outside_tx_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triggers_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_and_rehashed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_and_renumbered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
