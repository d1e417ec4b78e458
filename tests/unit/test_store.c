/*
 * test_store.c - the store: migrations, transactions, savepoints,
 * durability across handles, and the schema's invariants (CHECKs and
 * triggers) refusing what no code path may do.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/util.h"
#include "store/store.h"
#include "testutil.h"

struct fx {
	char dir[64];
	char path[OA_MAX_PATH];
	store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (f == NULL || tu_tmpdir(f->dir, sizeof f->dir) == NULL)
		return -1;
	if (tu_store_path(f->path, sizeof f->path, f->dir, "t.db") != 0)
		return -1;
	if (store_open(f->path, &f->s) != OA_OK)
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

static void insert_ca(store *s)
{
	assert_int_equal(store_exec(s, "INSERT INTO ca_cert(id, role, serial, subject, key_type,"
	                               " not_before, not_after, der, created_at)"
	                               " VALUES (1, 'issuing', '01', 'CN=x', 'ec-p256', 1, 2, x'00', 1)"),
	    OA_OK);
}

static oa_err insert_cert(store *s, const char *serial, const char *nik, const char *status)
{
	store_stmt *st = store_prepare(s,
	    "INSERT INTO certificate(serial, issuer_id, profile, subject, cn, nik, key_type,"
	    " key_source, not_before, not_after, issued_at, status, der)"
	    " VALUES (?, 1, 'individual', 'CN=a', 'a', ?, 'ec-p256', 'csr', 1, 9999999999, 1, ?, x'00')");
	assert_non_null(st);
	store_bind_text(st, 1, serial);
	store_bind_text(st, 2, nik);
	store_bind_text(st, 3, status);
	return store_run(st);
}

static void test_migrations(void **state)
{
	struct fx *f = *state;
	store *again;

	assert_true(store_schema_version(f->s) >= 2);
	/* Re-opening applies nothing twice. */
	assert_int_equal(store_open(f->path, &again), OA_OK);
	assert_int_equal(store_schema_version(again), store_schema_version(f->s));
	assert_int_equal(tu_count(again, "SELECT COUNT(*) FROM schema_version"),
	    store_schema_version(f->s));
	store_close(again);
}

static void test_commit_durable_and_visible(void **state)
{
	struct fx *f = *state;
	store *other;

	assert_int_equal(store_begin(f->s), OA_OK);
	insert_ca(f->s);
	assert_int_equal(store_commit(f->s), OA_OK);
	assert_int_equal(store_open(f->path, &other), OA_OK);
	assert_int_equal(tu_count(other, "SELECT COUNT(*) FROM ca_cert"), 1);
	store_close(other);
}

static void test_rollback_and_savepoints(void **state)
{
	struct fx *f = *state;

	insert_ca(f->s);
	assert_int_equal(store_begin(f->s), OA_OK);
	assert_true(store_in_tx(f->s));
	assert_int_equal(insert_cert(f->s, "0a", "1111111111111111", "active"), OA_OK);
	assert_int_equal(store_savepoint(f->s), OA_OK);
	assert_int_equal(insert_cert(f->s, "0b", "2222222222222222", "active"), OA_OK);
	store_rollback_to(f->s);
	assert_int_equal(store_savepoint(f->s), OA_OK);
	assert_int_equal(insert_cert(f->s, "0c", "3333333333333333", "active"), OA_OK);
	assert_int_equal(store_release(f->s), OA_OK);
	assert_int_equal(store_commit(f->s), OA_OK);
	assert_int_equal(tu_count(f->s, "SELECT COUNT(*) FROM certificate"), 2);
	assert_int_equal(tu_count(f->s, "SELECT COUNT(*) FROM certificate WHERE serial = '0b'"), 0);

	assert_int_equal(store_begin(f->s), OA_OK);
	assert_int_equal(insert_cert(f->s, "0d", "4444444444444444", "active"), OA_OK);
	store_rollback(f->s);
	assert_false(store_in_tx(f->s));
	assert_int_equal(tu_count(f->s, "SELECT COUNT(*) FROM certificate"), 2);
	/* A second begin inside a transaction is a bug, and says so. */
	assert_int_equal(store_begin(f->s), OA_OK);
	assert_int_equal(store_begin(f->s), OA_ERR_INTERNAL);
	store_rollback(f->s);
}

static void test_schema_invariants(void **state)
{
	struct fx *f = *state;

	insert_ca(f->s);
	/* CHECK constraints on enumerated and formatted columns. */
	assert_int_equal(insert_cert(f->s, "01", "1111111111111111", "bogus"), OA_ERR_STORE);
	assert_int_equal(insert_cert(f->s, "02", "12345", "active"), OA_ERR_STORE);
	assert_int_equal(insert_cert(f->s, "03", "111111111111111x", "active"), OA_ERR_STORE);
	/* One active individual certificate per NIK, even if code forgot. */
	assert_int_equal(insert_cert(f->s, "04", "1111111111111111", "active"), OA_OK);
	assert_int_equal(insert_cert(f->s, "05", "1111111111111111", "active"), OA_ERR_STORE);
	assert_int_equal(store_exec(f->s, "UPDATE certificate SET status='expired' WHERE serial='04'"),
	    OA_OK);
	assert_int_equal(insert_cert(f->s, "05", "1111111111111111", "active"), OA_OK);
	/* Revoked is final; expired never becomes active again; no deletes. */
	assert_int_equal(store_exec(f->s, "UPDATE certificate SET status='active' WHERE serial='04'"),
	    OA_ERR_STORE);
	assert_int_equal(store_exec(f->s, "UPDATE certificate SET status='revoked', revoked_at=5,"
	                                  " reason=1 WHERE serial='05'"),
	    OA_OK);
	assert_int_equal(store_exec(f->s, "UPDATE certificate SET status='active', revoked_at=NULL,"
	                                  " reason=NULL WHERE serial='05'"),
	    OA_ERR_STORE);
	assert_int_equal(store_exec(f->s, "UPDATE certificate SET reason=4 WHERE serial='05'"),
	    OA_ERR_STORE);
	assert_int_equal(store_exec(f->s, "DELETE FROM certificate WHERE serial='04'"), OA_ERR_STORE);
	/* A revocation needs its time and reason. */
	assert_int_equal(insert_cert(f->s, "06", "6666666666666666", "active"), OA_OK);
	assert_int_equal(store_exec(f->s, "UPDATE certificate SET status='revoked' WHERE serial='06'"),
	    OA_ERR_STORE);
	/* Unsupported CRL reasons are refused by the schema too. */
	assert_int_equal(store_exec(f->s, "UPDATE certificate SET status='revoked', revoked_at=5,"
	                                  " reason=2 WHERE serial='06'"),
	    OA_ERR_STORE);
	/* CRL numbers only increase. */
	assert_int_equal(store_exec(f->s, "INSERT INTO crl VALUES ('issuing', 5, 1, 2, 0, 'x')"), OA_OK);
	assert_int_equal(store_exec(f->s, "INSERT INTO crl VALUES ('issuing', 5, 1, 2, 0, 'x')"),
	    OA_ERR_STORE);
	assert_int_equal(store_exec(f->s, "INSERT INTO crl VALUES ('issuing', 4, 1, 2, 0, 'x')"),
	    OA_ERR_STORE);
	assert_int_equal(store_exec(f->s, "INSERT INTO crl VALUES ('root', 1, 1, 2, 0, 'x')"), OA_OK);
	assert_int_equal(store_exec(f->s, "INSERT INTO crl VALUES ('issuing', 6, 1, 2, 0, 'x')"), OA_OK);
}

static void test_prepare_errors(void **state)
{
	struct fx *f = *state;
	store_stmt *a, *b;

	assert_null(store_prepare(f->s, "SELEKT nonsense"));
	assert_int_equal(strncmp(oa_errmsg(), "database:", 9), 0);
	/* The cache hands back the same statement for the same SQL. */
	a = store_prepare(f->s, "SELECT 1");
	b = store_prepare(f->s, "SELECT 1");
	assert_ptr_equal(a, b);
	store_reset(a);
}

/* A statement refused inside a transaction fails alone: the transaction
 * goes on (SQLite's statement atomicity; PostgreSQL would abort the whole
 * transaction without the backend's savepoint per statement). */
static void test_statement_fails_alone(void **state)
{
	struct fx *f = *state;
	store_stmt *st;

	insert_ca(f->s);
	assert_int_equal(store_begin(f->s), OA_OK);
	assert_int_equal(insert_cert(f->s, "0a", "1111111111111111", "active"), OA_OK);
	st = store_prepare(f->s,
	    "INSERT INTO certificate(serial, issuer_id, profile, subject, cn, nik, key_type,"
	    " key_source, not_before, not_after, issued_at, status, der)"
	    " VALUES (?, 1, 'individual', 'CN=a', 'a', ?, 'ec-p256', 'csr', 1, 9999999999, 1, ?, x'00')");
	assert_non_null(st);
	store_bind_text(st, 1, "0b");
	store_bind_text(st, 2, "1111111111111111");
	store_bind_text(st, 3, "active");
	assert_int_equal(store_step(st), STORE_CONSTRAINT);
	store_reset(st);
	assert_true(store_constraint_msg(f->s)[0] != '\0');
	assert_true(store_tx_alive(f->s));
	assert_int_equal(insert_cert(f->s, "0c", "3333333333333333", "active"), OA_OK);
	/* a trigger's refusal is a constraint too, with its message */
	assert_int_equal(store_exec(f->s, "DELETE FROM certificate WHERE serial = '0a'"), OA_ERR_STORE);
	assert_non_null(strstr(oa_errmsg(), "certificates are never deleted"));
	assert_true(store_tx_alive(f->s));
	assert_int_equal(store_commit(f->s), OA_OK);
	assert_int_equal(tu_count(f->s, "SELECT COUNT(*) FROM certificate"), 2);
}

/* Writers serialise on store_begin(); a wait past the busy timeout is
 * "busy" (HTTP 503), and the lock is free again after the holder ends. */
static void test_writers_serialise_busy(void **state)
{
	struct fx *f = *state;
	store *other;

	assert_int_equal(store_open(f->path, &other), OA_OK);
	assert_int_equal(store_begin(f->s), OA_OK);
	store_busy_timeout(other, 200);
	store_set_last_busy(0);
	assert_int_equal(store_begin(other), OA_ERR_STORE);
	assert_int_equal(store_last_busy(), 1);
	assert_false(store_in_tx(other));
	assert_int_equal(store_probe(other, 100), OA_ERR_STORE);
	store_rollback(f->s);
	assert_int_equal(store_begin(other), OA_OK);
	store_rollback(other);
	assert_int_equal(store_probe(other, 100), OA_OK);
	store_close(other);
}

/* A lease is held by one process at a time: taken when free, renewed by its
 * holder, refused to another until it has expired, then taken over; bad
 * arguments are refused and change nothing. */
static void test_lease(void **state)
{
	struct fx *f = *state;
	store *other;
	int held = -1;

	assert_int_equal(store_open(f->path, &other), OA_OK);
	assert_int_equal(store_lease(f->s, "scheduler", "a:1", NULL, 1000, 30, &held), OA_OK);
	assert_int_equal(held, 1);
	assert_int_equal(store_lease(other, "scheduler", "b:2", NULL, 1010, 30, &held), OA_OK);
	assert_int_equal(held, 0);
	/* the holder renews: until 1050 now */
	assert_int_equal(store_lease(f->s, "scheduler", "a:1", NULL, 1020, 30, &held), OA_OK);
	assert_int_equal(held, 1);
	assert_int_equal(store_lease(other, "scheduler", "b:2", NULL, 1040, 30, &held), OA_OK);
	assert_int_equal(held, 0);
	/* another name is free */
	assert_int_equal(store_lease(other, "other-duty", "b:2", NULL, 1040, 30, &held), OA_OK);
	assert_int_equal(held, 1);
	/* expired (the holder stopped renewing): taken over, and the old holder
	 * gets it back only once the new one stops */
	assert_int_equal(store_lease(other, "scheduler", "b:2", NULL, 1050, 30, &held), OA_OK);
	assert_int_equal(held, 1);
	assert_int_equal(store_lease(f->s, "scheduler", "a:1", NULL, 1060, 30, &held), OA_OK);
	assert_int_equal(held, 0);
	assert_int_equal(store_lease(f->s, "scheduler", "a:1", NULL, 1080, 30, &held), OA_OK);
	assert_int_equal(held, 1);
	assert_int_equal(store_lease(f->s, "", "a:1", NULL, 1080, 30, &held), OA_ERR_INVALID);
	assert_int_equal(held, 0);
	assert_int_equal(store_lease(f->s, "scheduler", "a:1", NULL, 1080, 0, &held), OA_ERR_INVALID);
	/* inside a caller's transaction: it joins it */
	assert_int_equal(store_begin(other), OA_OK);
	assert_int_equal(store_lease(other, "scheduler", "b:2", NULL, 1200, 30, &held), OA_OK);
	assert_int_equal(held, 1);
	store_rollback(other);
	assert_int_equal(store_lease(f->s, "scheduler", "a:1", NULL, 1200, 30, &held), OA_OK);
	assert_int_equal(held, 1);
	/* a holder known to be gone (stale) is replaced at once, unexpired */
	{
		char who[129];
		assert_int_equal(store_lease_holder(other, "scheduler", who, sizeof who), OA_OK);
		assert_string_equal(who, "a:1");
		assert_int_equal(store_lease(other, "scheduler", "b:2", "x:9", 1201, 30, &held), OA_OK);
		assert_int_equal(held, 0);
		assert_int_equal(store_lease(other, "scheduler", "b:2", "a:1", 1201, 30, &held), OA_OK);
		assert_int_equal(held, 1);
		/* a clean stop gives it up; only its holder can */
		assert_int_equal(store_lease_release(f->s, "scheduler", "a:1"), OA_OK);
		assert_int_equal(store_lease_holder(f->s, "scheduler", who, sizeof who), OA_OK);
		assert_string_equal(who, "b:2");
		assert_int_equal(store_lease_release(other, "scheduler", "b:2"), OA_OK);
		assert_int_equal(store_lease_holder(f->s, "scheduler", who, sizeof who), OA_OK);
		assert_string_equal(who, "");
		assert_int_equal(store_lease(f->s, "scheduler", "a:1", NULL, 1202, 30, &held), OA_OK);
		assert_int_equal(held, 1);
	}
	store_close(other);
}

/* Blobs with NUL bytes, 64-bit integers and NULLs come back as bound; an
 * insert's id; GLOB patterns and IS with a parameter. */
static void test_values_round_trip(void **state)
{
	struct fx *f = *state;
	static const unsigned char der[] = {0x30, 0x00, 0xff, 0x00, 0x5c, 0x27};
	store_stmt *st;
	const void *p;
	size_t n;
	int64_t id;

	st = store_prepare(f->s, "INSERT INTO ca_cert(role, serial, subject, key_type, not_before,"
	                         " not_after, der, created_at) VALUES ('root', ?, 'CN=r', 'ec-p256', ?,"
	                         " ?, ?, 1)");
	assert_non_null(st);
	store_bind_text(st, 1, "7f");
	store_bind_int(st, 2, -5);
	store_bind_int(st, 3, INT64_C(9007199254740993));
	store_bind_blob(st, 4, der, sizeof der);
	assert_int_equal(store_run(st), OA_OK);
	assert_int_equal(store_changes(f->s), 1);
	id = store_last_id(f->s);
	assert_true(id > 0);
	st = store_prepare(f->s, "SELECT id, not_before, not_after, der, subject FROM ca_cert"
	                         " WHERE serial = ?");
	store_bind_text(st, 1, "7f");
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_int(st, 0), id);
	assert_int_equal(store_col_int(st, 1), -5);
	assert_true(store_col_int(st, 2) == INT64_C(9007199254740993));
	p = store_col_blob(st, 3, &n);
	assert_int_equal(n, sizeof der);
	assert_memory_equal(p, der, sizeof der);
	assert_string_equal(store_col_text(st, 4), "CN=r");
	assert_int_equal(store_step(st), STORE_DONE);
	store_reset(st);
	/* GLOB: literal patterns, a pattern built with a parameter, classes */
	assert_int_equal(tu_count(f->s, "SELECT COUNT(*) FROM ca_cert WHERE subject GLOB 'CN=*'"), 1);
	assert_int_equal(tu_count(f->s, "SELECT COUNT(*) FROM ca_cert WHERE subject GLOB 'cn=*'"), 0);
	assert_int_equal(tu_count(f->s, "SELECT COUNT(*) FROM ca_cert WHERE serial NOT GLOB '*[^0-9a-f]*'"), 1);
	assert_int_equal(tu_count(f->s, "SELECT COUNT(*) FROM ca_cert WHERE serial GLOB '?'"), 0);
	st = store_prepare(f->s, "SELECT COUNT(*) FROM ca_cert WHERE subject GLOB 'CN' || ? || '*'"
	                         " AND der IS ? AND ? IS NULL");
	store_bind_text(st, 1, "=");
	store_bind_blob(st, 2, der, sizeof der);
	store_bind_null(st, 3);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_int(st, 0), 1);
	store_reset(st);
	/* INSERT OR IGNORE ignores a duplicate, and says no row changed */
	assert_int_equal(store_exec(f->s, "INSERT OR IGNORE INTO auth_org VALUES ('o1', 'x', 1)"), OA_OK);
	st = store_prepare(f->s, "INSERT OR IGNORE INTO auth_org VALUES (?, 'y', 1)");
	store_bind_text(st, 1, "o1");
	assert_int_equal(store_run(st), OA_OK);
	assert_int_equal(store_changes(f->s), 0);
	assert_int_equal(tu_count(f->s, "SELECT COUNT(*) FROM auth_org WHERE name = 'x'"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_durable_and_visible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_and_savepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_invariants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statement_fails_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writers_serialise_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
