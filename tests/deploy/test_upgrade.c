/*
 * test_upgrade.c - every schema migration from a database an older openams
 * left behind (tests/deploy/fixtures/schema-N.sql, one per schema version,
 * made by mkfixture), and the refusal of a database newer than this build.
 *
 * For each fixture: load it into a fresh file, note every column of every
 * table, open it with store_open (migrating to the latest version), then
 * check that the version is the latest, that every row and every value of
 * the columns the fixture had are unchanged, that the audit chain verifies
 * and still takes records, and what the migrations themselves fill in.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <unistd.h>

#include "audit/audit.h"
#include "store/store.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, \
	__LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if ((buf = malloc((size_t)n + 1)) == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* One text fingerprint of a table's rows, over the named columns, in a
 * fixed order: every value quoted (blobs as hex). */
static char *fingerprint_where(sqlite3 *db, const char *table, const char *cols, const char *where)
{
	char *sql = sqlite3_mprintf("SELECT group_concat(r, char(10)) FROM (SELECT %s AS r FROM"
	    " \"%w\" WHERE %s ORDER BY 1)", cols, table, where);
	sqlite3_stmt *st;
	char *out = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		out = strdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
	else
		fprintf(stderr, "fingerprint %s: %s\n", table, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return out;
}

#define MAXT 64
struct snap {
	int n;
	char *table[MAXT], *cols[MAXT], *fp[MAXT];
	long rows[MAXT];
};

static char *fingerprint(sqlite3 *db, const char *table, const char *cols)
{
	return fingerprint_where(db, table, cols, "1");
}

/* Every table but schema_version: its columns (as one quote()d expression)
 * and the fingerprint of its rows. */
static void snap_take(sqlite3 *db, struct snap *sn)
{
	sqlite3_stmt *st, *ci;

	memset(sn, 0, sizeof *sn);
	sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT"
	    " LIKE 'sqlite_%' AND name <> 'schema_version' ORDER BY name", -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW && sn->n < MAXT) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		char *expr = sqlite3_mprintf("''"), *sql = sqlite3_mprintf("SELECT name FROM"
		    " pragma_table_info(%Q) ORDER BY cid", t), *cnt;
		sqlite3_prepare_v2(db, sql, -1, &ci, NULL);
		while (sqlite3_step(ci) == SQLITE_ROW) {
			char *e = sqlite3_mprintf("%s || '|' || quote(\"%w\")", expr,
			    (const char *)sqlite3_column_text(ci, 0));
			sqlite3_free(expr);
			expr = e;
		}
		sqlite3_finalize(ci);
		sqlite3_free(sql);
		sn->table[sn->n] = strdup(t);
		sn->cols[sn->n] = strdup(expr);
		sn->fp[sn->n] = fingerprint(db, t, expr);
		cnt = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", t);
		sqlite3_prepare_v2(db, cnt, -1, &ci, NULL);
		sn->rows[sn->n] = sqlite3_step(ci) == SQLITE_ROW ? sqlite3_column_int64(ci, 0) : -1;
		sqlite3_finalize(ci);
		sqlite3_free(cnt);
		sqlite3_free(expr);
		sn->n++;
	}
	sqlite3_finalize(st);
}

static void snap_free(struct snap *sn)
{
	for (int i = 0; i < sn->n; i++) {
		free(sn->table[i]);
		free(sn->cols[i]);
		free(sn->fp[i]);
	}
}

static long q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *q_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	char *v = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = strdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "(null)");
	sqlite3_finalize(st);
	return v;
}

/* Loads fixture schema-N into a new file at db; 0 on success. */
static int load(const char *src, int n, const char *db)
{
	char path[4096];
	char *sql, *err = NULL;
	sqlite3 *h;
	int rc;

	snprintf(path, sizeof path, "%s/tests/deploy/fixtures/schema-%d.sql", src, n);
	if ((sql = slurp(path)) == NULL) {
		fprintf(stderr, "%s: missing: every schema version needs its fixture"
		    " (tests/deploy/mkfixtures.sh)\n", path);
		return -1;
	}
	unlink(db);
	sqlite3_open(db, &h);
	rc = sqlite3_exec(h, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", path, err);
	sqlite3_free(err);
	sqlite3_close(h);
	free(sql);
	return rc == SQLITE_OK ? 0 : -1;
}

static void upgrade_from(const char *src, const char *dir, int n, int latest)
{
	char db[4096];
	struct snap before, after;
	audit_report r;
	sqlite3 *h;
	store *s;
	oa_err rc;

	snprintf(db, sizeof db, "%s/schema-%d.db", dir, n);
	if (load(src, n, db) != 0) {
		failures++;
		return;
	}
	sqlite3_open(db, &h);
	CHECK(q_int(h, "SELECT max(version) FROM schema_version") == n,
	    "fixture %d has schema version %ld", n, q_int(h, "SELECT max(version) FROM schema_version"));
	snap_take(h, &before);
	sqlite3_close(h);

	rc = store_open(db, &s);
	CHECK(rc == OA_OK, "schema-%d: open: %s: %s", n, oa_err_name(rc), oa_errmsg());
	if (rc != OA_OK) {
		snap_free(&before);
		return;
	}
	CHECK(store_schema_version(s) == latest, "schema-%d: migrated to %d, not %d", n,
	    store_schema_version(s), latest);
	rc = audit_verify(s, &r);
	CHECK(rc == OA_OK && r.rows == n, "schema-%d: audit verify: %s (%ld rows): %s", n,
	    oa_err_name(rc), (long)r.rows, r.reason);
	/* The migrated database takes new records on the same chain. */
	rc = store_begin(s);
	if (rc == OA_OK)
		rc = audit_append(s, "test", "upgrade.check", "fixture", NULL);
	if (rc == OA_OK)
		rc = store_commit(s);
	CHECK(rc == OA_OK, "schema-%d: write after upgrade: %s", n, oa_errmsg());
	rc = audit_verify(s, &r);
	CHECK(rc == OA_OK && r.rows == n + 1, "schema-%d: audit after write: %s", n, r.reason);
	store_close(s);

	/* Every row and every value of the fixture's columns is still there. */
	sqlite3_open(db, &h);
	CHECK(q_int(h, "SELECT count(*) FROM schema_version") == latest,
	    "schema-%d: schema_version has %ld rows", n, q_int(h, "SELECT count(*) FROM schema_version"));
	for (int i = 0; i < before.n; i++) {
		int audit = strcmp(before.table[i], "audit") == 0;
		/* the audit log has the one record added above after the fixture's */
		char *fp = fingerprint_where(h, before.table[i], before.cols[i],
		    audit ? "seq <= (SELECT max(seq) - 1 FROM audit)" : "1");
		{
			CHECK(fp != NULL && strcmp(fp, before.fp[i]) == 0,
			    "schema-%d: table %s changed by the upgrade", n, before.table[i]);
		}
		free(fp);
	}
	snap_take(h, &after);
	CHECK(after.n >= before.n, "schema-%d: tables lost", n);
	/* What the migrations fill in themselves: migration 7 gives open cases
	 * their applicant's identity from the account. */
	if (n < 7 && n >= 5) {
		char *nik = q_text(h, "SELECT applicant_nik FROM sop_case WHERE id = 1");
		CHECK(nik != NULL && strcmp(nik, "3201011505900001") == 0,
		    "schema-%d: open case's applicant_nik %s", n, nik ? nik : "?");
		free(nik);
		CHECK(q_int(h, "SELECT count(*) FROM sop_case WHERE id = 2 AND applicant_nik IS NULL") == 1,
		    "schema-%d: a closed case never changes", n);
	}
	if (n >= 3) {
		long rows = 0;
		for (int i = 0; i < before.n; i++)
			rows += before.rows[i];
		CHECK(rows > n, "schema-%d: the fixture holds data (%ld rows)", n, rows);
	}
	sqlite3_close(h);
	printf("ok schema-%d -> %d: %d tables, data kept\n", n, latest, before.n);
	snap_free(&before);
	snap_free(&after);
}

/* A database one version newer than this build: refused, not touched. */
static void newer_refused(const char *src, const char *dir, int latest)
{
	char db[4096], *fp0, *fp1, *sql;
	sqlite3 *h;
	store *s = NULL;
	oa_err rc;

	snprintf(db, sizeof db, "%s/newer.db", dir);
	if (load(src, latest, db) != 0) {
		failures++;
		return;
	}
	sqlite3_open(db, &h);
	sql = sqlite3_mprintf("INSERT INTO schema_version VALUES (%d, 'future', 1767225600);"
	    "CREATE TABLE future_table (x INTEGER);", latest + 1);
	CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK, "newer: %s", sqlite3_errmsg(h));
	sqlite3_free(sql);
	fp0 = q_text(h, "SELECT group_concat(type || name || coalesce(sql, ''), ';') FROM sqlite_schema");
	sqlite3_close(h);

	rc = store_open(db, &s);
	CHECK(rc == OA_ERR_STATE && s == NULL, "newer database opened: %s", oa_err_name(rc));
	CHECK(strstr(oa_errmsg(), "newer than this openams") != NULL, "message: %s", oa_errmsg());
	printf("ok newer refused: %s: %s\n", oa_err_name(rc), oa_errmsg());
	store_close(s);
	rc = store_open_at(db, latest - 1, &s);
	CHECK(rc == OA_ERR_STATE, "newer database opened at an older target: %s", oa_err_name(rc));
	store_close(s);

	sqlite3_open(db, &h);
	fp1 = q_text(h, "SELECT group_concat(type || name || coalesce(sql, ''), ';') FROM sqlite_schema");
	CHECK(fp0 && fp1 && strcmp(fp0, fp1) == 0, "the refused database's schema changed");
	CHECK(q_int(h, "SELECT max(version) FROM schema_version") == latest + 1,
	    "the refused database's version changed");
	sqlite3_close(h);
	free(fp0);
	free(fp1);

	/* An unknown target version is bad input. */
	rc = store_open_at(db, latest + 1, &s);
	CHECK(rc == OA_ERR_INVALID, "store_open_at(latest + 1): %s", oa_err_name(rc));
}

int main(void)
{
	const char *src = getenv("OPENAMS_SRC");
	char dir[] = "/tmp/oa-upgrade-XXXXXX", cmd[64];
	int latest = store_latest_version();

	if (src == NULL || mkdtemp(dir) == NULL) {
		fprintf(stderr, "OPENAMS_SRC unset or no temporary directory\n");
		return 1;
	}
	for (int n = 1; n <= latest; n++)
		upgrade_from(src, dir, n, latest);
	newer_refused(src, dir, latest);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		failures++;
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
