/*
 * store_copy.c - store_copy_pg(): an SQLite database copied into an empty
 * PostgreSQL one (`openams store copy`).
 *
 * The source is opened read-only and read in one read transaction: a
 * consistent snapshot, taken while other processes go on writing (what they
 * write after it is not copied).  The target is checked before anything is
 * written to it: it is either a database without tables (the migrations then
 * make the schema at the source's version) or an openams schema at exactly
 * the source's version whose tables are all empty; anything else is
 * refused.  Then, in one transaction under the writers' lock: every table
 * but schema_version (which the migrations wrote) in dependency order
 * (parents before the tables that reference them), each in its stored order
 * (rowid, or the primary key of a WITHOUT ROWID table), so that the audit
 * chain and the CRL numbers arrive in the order their triggers accept; ids
 * kept; identity columns set past the largest id copied; row counts read
 * back.  The transaction is left open for the caller to verify (audit) and
 * commit or roll back.
 *
 * store_copy_pg_to_sqlite() goes the other way for store_copy_to() on a
 * PostgreSQL store (`openams backup`): one REPEATABLE READ snapshot of every
 * table, a new SQLite file migrated to the same schema version, the rows in
 * key order and dependency order, each table's count checked against the
 * snapshot's.
 *
 * Values are bound by their SQLite type, except that a column declared BLOB
 * is always bound as bytes (SQLite lets it hold text).  Table names come
 * from the source's schema and are checked to be plain identifiers before
 * they are put into SQL.
 */
#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "storeInt.h"

static oa_err pk_order(sqlite3 *db, const char *table, char *out, size_t outsz);
static oa_err tables_same(sqlite3 *src, store *d, const char *table);

static int plain_ident(const char *s)
{
	if (*s == '\0' || strlen(s) >= STORE_COPY_NAME)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static oa_err sqlite_fail(sqlite3 *db, const char *what)
{
	return oa_fail(OA_ERR_STORE, "source database: %s: %s", what, sqlite3_errmsg(db));
}

/* One integer from a query without parameters. */
static oa_err sqlite_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	oa_err rc = OA_OK;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(db, sql);
	if (sqlite3_step(st) == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else
		rc = sqlite_fail(db, sql);
	sqlite3_finalize(st);
	return rc;
}

struct tab {
	char name[STORE_COPY_NAME];
	int rowid;   /* has a rowid (not WITHOUT ROWID) */
	int done;
	char deps[16][STORE_COPY_NAME];
	int ndeps;
};

/* The source's tables with the tables each references. */
static oa_err list_tables(sqlite3 *db, struct tab *t, int *n)
{
	sqlite3_stmt *st = NULL, *fk = NULL;
	oa_err rc = OA_OK;
	int step;

	*n = 0;
	if (sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
	        " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_version'"
	        " ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(db, "list tables");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *sql = (const char *)sqlite3_column_text(st, 1);
		char q[128];

		if (name == NULL || !plain_ident(name)) {
			rc = oa_fail(OA_ERR_STATE, "source database: table name '%s' is not one openams"
			    " makes", name ? name : "");
			goto out;
		}
		if (*n == STORE_COPY_MAX_TABLES) {
			rc = oa_fail(OA_ERR_LIMIT, "source database: more than %d tables",
			    STORE_COPY_MAX_TABLES);
			goto out;
		}
		memset(&t[*n], 0, sizeof t[*n]);
		snprintf(t[*n].name, sizeof t[*n].name, "%s", name);
		t[*n].rowid = sql == NULL || strstr(sql, "WITHOUT ROWID") == NULL;
		snprintf(q, sizeof q, "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list('%s')",
		    name);
		if (sqlite3_prepare_v2(db, q, -1, &fk, NULL) != SQLITE_OK) {
			rc = sqlite_fail(db, "foreign keys");
			goto out;
		}
		while (sqlite3_step(fk) == SQLITE_ROW) {
			const char *p = (const char *)sqlite3_column_text(fk, 0);
			if (p == NULL || strcmp(p, name) == 0)
				continue; /* a row refers to an earlier row: stored order keeps it */
			if (t[*n].ndeps == 16 || !plain_ident(p)) {
				rc = oa_fail(OA_ERR_STATE, "source database: table %s: its references"
				    " are not ones openams makes", name);
				goto out;
			}
			snprintf(t[*n].deps[t[*n].ndeps++], STORE_COPY_NAME, "%s", p);
		}
		sqlite3_finalize(fk);
		fk = NULL;
		(*n)++;
	}
	if (step != SQLITE_DONE)
		rc = sqlite_fail(db, "list tables");
out:
	sqlite3_finalize(fk);
	sqlite3_finalize(st);
	return rc;
}

/* Orders t so that every table comes after those it references. */
static oa_err order_tables(struct tab *t, int n, int *order)
{
	for (int k = 0; k < n; k++) {
		int pick = -1;
		for (int i = 0; i < n && pick < 0; i++) {
			int ready = !t[i].done;
			for (int d = 0; ready && d < t[i].ndeps; d++)
				for (int j = 0; j < n; j++)
					if (!t[j].done && strcmp(t[j].name, t[i].deps[d]) == 0)
						ready = 0;
			if (ready)
				pick = i;
		}
		if (pick < 0)
			return oa_fail(OA_ERR_STATE, "source database: the tables' references form a"
			    " cycle; no order to copy them in");
		t[pick].done = 1;
		order[k] = pick;
	}
	return OA_OK;
}

/*
 * Looks at the target before store_open() migrates it: *fresh is 1 when it
 * has no tables at all; otherwise it must be an openams schema at version.
 */
static oa_err check_target(const char *url, int version, int *fresh)
{
	PGconn *c = PQconnectdb(url);
	PGresult *res = NULL;
	oa_err rc = OA_OK;
	int64_t ntab, have = 0;

	if (c == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if (PQstatus(c) != CONNECTION_OK) {
		const char *m = PQerrorMessage(c);
		size_t k = strlen(m);
		while (k > 0 && (m[k - 1] == '\n' || m[k - 1] == ' '))
			k--;
		rc = oa_fail(OA_ERR_STORE, "PostgreSQL: cannot connect: %.*s", (int)k, m);
		goto out;
	}
	res = PQexec(c, "SELECT count(*), count(*) FILTER (WHERE tablename = 'schema_version')"
	                " FROM pg_catalog.pg_tables WHERE schemaname = current_schema()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = oa_fail(OA_ERR_STORE, "PostgreSQL: %s", PQerrorMessage(c));
		goto out;
	}
	ntab = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*fresh = ntab == 0;
	if (ntab > 0 && strcmp(PQgetvalue(res, 0, 1), "1") != 0) {
		rc = oa_fail(OA_ERR_EXISTS, "the target database holds %lld tables and none of them"
		    " is openams's schema_version: not an empty database; nothing was changed",
		    (long long)ntab);
		goto out;
	}
	if (ntab == 0)
		goto out;
	PQclear(res);
	res = PQexec(c, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = oa_fail(OA_ERR_STORE, "PostgreSQL: %s", PQerrorMessage(c));
		goto out;
	}
	have = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (have != version)
		rc = oa_fail(OA_ERR_STATE, "the target database's schema is at version %lld, the"
		    " source's at %d: copy only into a database without tables, or one at the"
		    " same version; nothing was changed", (long long)have, version);
out:
	PQclear(res);
	PQfinish(c);
	return rc;
}

/* Rows of table in the target (inside its transaction). */
static oa_err dst_count(store *d, const char *table, int64_t *n)
{
	char q[128];
	store_stmt *st;
	oa_err rc = OA_OK;

	snprintf(q, sizeof q, "SELECT count(*) FROM %s", table);
	if ((st = store_prepare(d, q)) == NULL)
		return OA_ERR_STORE;
	if (store_step(st) == STORE_ROW)
		*n = store_col_int(st, 0);
	else
		rc = OA_ERR_STORE;
	store_reset(st);
	return rc;
}

/* A table's columns as the SQLite schema declares them (the same on both
 * sides of a copy): the statement that reads them (in order, when given)
 * and the one that inserts a row, in memory of their own (table_sql_free),
 * and each column's kind. */
enum { KIND_TEXT, KIND_INT, KIND_BLOB };
struct tabsql {
	char *sel, *ins;
	int kind[256];
	int n;
};

static void table_sql_free(struct tabsql *q)
{
	free(q->sel);
	free(q->ins);
	q->sel = q->ins = NULL;
}

static oa_err table_sql(sqlite3 *db, const char *table, const char *order, struct tabsql *q)
{
	char info[64 + STORE_COPY_NAME];
	sqlite3_stmt *ti = NULL;
	size_t cap = 64 + 2 * STORE_COPY_NAME + 256 * (STORE_COPY_NAME + 5) + (order ? strlen(order) : 0);
	size_t sl, il;
	oa_err rc = OA_OK;

	memset(q, 0, sizeof *q);
	snprintf(info, sizeof info, "SELECT name, upper(type) FROM pragma_table_info('%s')", table);
	if (sqlite3_prepare_v2(db, info, -1, &ti, NULL) != SQLITE_OK)
		return sqlite_fail(db, "table columns");
	if ((q->sel = malloc(cap)) == NULL || (q->ins = malloc(cap)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	sl = (size_t)snprintf(q->sel, cap, "SELECT ");
	il = (size_t)snprintf(q->ins, cap, "INSERT INTO %s (", table);
	while (sqlite3_step(ti) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(ti, 0);
		const char *ty = (const char *)sqlite3_column_text(ti, 1);
		if (c == NULL || !plain_ident(c) || q->n == 256) {
			rc = oa_fail(OA_ERR_STATE, "table %s: a column openams does not make", table);
			goto out;
		}
		q->kind[q->n] = ty && strstr(ty, "BLOB") ? KIND_BLOB : ty && strstr(ty, "INT") ? KIND_INT
		                                                                                : KIND_TEXT;
		sl += (size_t)snprintf(q->sel + sl, cap - sl, "%s%s", q->n ? ", " : "", c);
		il += (size_t)snprintf(q->ins + il, cap - il, "%s%s", q->n ? ", " : "", c);
		q->n++;
	}
	if (q->n == 0) {
		rc = oa_fail(OA_ERR_STATE, "table %s has no columns", table);
		goto out;
	}
	snprintf(q->sel + sl, cap - sl, " FROM %s%s%s", table, order ? " ORDER BY " : "",
	    order ? order : "");
	il += (size_t)snprintf(q->ins + il, cap - il, ") VALUES (");
	for (int i = 0; i < q->n; i++)
		il += (size_t)snprintf(q->ins + il, cap - il, "%s?", i ? ", " : "");
	snprintf(q->ins + il, cap - il, ")");
out:
	sqlite3_finalize(ti);
	if (rc)
		table_sql_free(q);
	return rc;
}

/* Copies one table's rows; *rows: how many. */
static oa_err copy_table(sqlite3 *src, store *d, const struct tab *t, int64_t *rows)
{
	struct tabsql q;
	sqlite3_stmt *st = NULL;
	store_stmt *w = NULL;
	int step;
	oa_err rc;

	*rows = 0;
	if ((rc = table_sql(src, t->name, t->rowid ? "rowid" : NULL, &q)))
		return oa_fail(rc, "source database: %s", oa_errmsg());
	if (sqlite3_prepare_v2(src, q.sel, -1, &st, NULL) != SQLITE_OK) {
		rc = sqlite_fail(src, t->name);
		goto out;
	}
	if ((w = store_prepare(d, q.ins)) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < q.n && rc == OA_OK; i++) {
			int ty = sqlite3_column_type(st, i);
			if (ty == SQLITE_NULL)
				rc = store_bind_null(w, i + 1);
			else if (q.kind[i] == KIND_BLOB || ty == SQLITE_BLOB) {
				const void *p = sqlite3_column_blob(st, i);
				rc = store_bind_blob(w, i + 1, p ? p : "",
				    (size_t)sqlite3_column_bytes(st, i));
			} else if (ty == SQLITE_INTEGER)
				rc = store_bind_int(w, i + 1, sqlite3_column_int64(st, i));
			else
				rc = store_bind_text(w, i + 1, (const char *)sqlite3_column_text(st, i));
		}
		if (rc || (rc = store_run(w))) {
			rc = oa_fail(rc, "table %s, row %lld: %s", t->name, (long long)*rows + 1,
			    oa_errmsg());
			goto out;
		}
		(*rows)++;
	}
	if (step != SQLITE_DONE)
		rc = sqlite_fail(src, t->name);
out:
	if (w)
		store_reset(w);
	sqlite3_finalize(st);
	table_sql_free(&q);
	return rc;
}

/* Sets every identity column of the target past the largest value in it. */
static oa_err set_identities(store *d)
{
	char names[STORE_COPY_MAX_TABLES][2][STORE_COPY_NAME];
	int n = 0, step;
	store_stmt *st;
	oa_err rc = OA_OK;

	if ((st = store_prepare(d, "SELECT table_name, column_name FROM information_schema.columns"
	                           " WHERE table_schema = current_schema() AND is_identity = 'YES'"
	                           " ORDER BY table_name")) == NULL)
		return OA_ERR_STORE;
	while ((step = store_step(st)) == STORE_ROW && n < STORE_COPY_MAX_TABLES) {
		snprintf(names[n][0], STORE_COPY_NAME, "%s", store_col_text(st, 0));
		snprintf(names[n][1], STORE_COPY_NAME, "%s", store_col_text(st, 1));
		n++;
	}
	store_reset(st);
	if (step == STORE_ERROR || step == STORE_CONSTRAINT)
		return OA_ERR_STORE;
	for (int i = 0; i < n && rc == OA_OK; i++) {
		char q[256 + 6 * STORE_COPY_NAME];
		if (!plain_ident(names[i][0]) || !plain_ident(names[i][1]))
			return oa_fail(OA_ERR_STATE, "target: an identity column openams does not make");
		/* is_called false with 1 for an empty table: the next id is 1 */
		snprintf(q, sizeof q, "SELECT setval(pg_get_serial_sequence('%s', '%s'),"
		    " COALESCE((SELECT MAX(%s) FROM %s), 1), (SELECT COUNT(*) > 0 FROM %s))",
		    names[i][0], names[i][1], names[i][1], names[i][0], names[i][0]);
		if ((st = store_prepare(d, q)) == NULL)
			return OA_ERR_STORE;
		if (store_step(st) != STORE_ROW)
			rc = OA_ERR_STORE;
		store_reset(st);
	}
	return rc;
}

oa_err store_copy_pg(const char *sqlite_path, const char *url, store_copy_report *r,
    store **out)
{
	sqlite3 *src = NULL;
	store *d = NULL;
	struct tab *t = NULL;
	int order[STORE_COPY_MAX_TABLES], n = 0, fresh = 0, in_read = 0;
	int64_t v = 0;
	oa_err rc;

	memset(r, 0, sizeof *r);
	*out = NULL;
	if (!store_path_is_pg(url))
		return oa_fail(OA_ERR_INVALID, "'%s' is not a PostgreSQL URL (postgresql://...)", url);
	if (store_path_is_pg(sqlite_path))
		return oa_fail(OA_ERR_STATE, "the instance's store is already PostgreSQL (%s)",
		    sqlite_path);
	if ((t = calloc(STORE_COPY_MAX_TABLES, sizeof *t)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if (sqlite3_open_v2(sqlite_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = oa_fail(OA_ERR_IO, "%s: cannot open: %s", sqlite_path,
		    src ? sqlite3_errmsg(src) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(src, STORE_BUSY_MS);
	if (sqlite3_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		rc = sqlite_fail(src, "BEGIN");
		goto out;
	}
	in_read = 1;
	/* the first read fixes the snapshot */
	if ((rc = sqlite_int(src, "SELECT COALESCE(MAX(version), 0) FROM schema_version", &v)))
		goto out;
	r->version = (int)v;
	if (v < 1 || v > store_latest_version()) {
		rc = oa_fail(OA_ERR_STATE, "%s: schema version %lld is not one this openams knows"
		    " (1..%d)", sqlite_path, (long long)v, store_latest_version());
		goto out;
	}
	if ((rc = list_tables(src, t, &n)) || (rc = order_tables(t, n, order)) ||
	    (rc = check_target(url, r->version, &fresh)))
		goto out;
	if ((rc = store_open_at(url, r->version, &d)))
		goto out;
	if (store_schema_version(d) != r->version) {
		rc = oa_fail(OA_ERR_STATE, "the target's schema is at version %d, the source's at"
		    " %d", store_schema_version(d), r->version);
		goto out;
	}
	if ((rc = store_begin(d)))
		goto out;
	/* empty, checked again under the writers' lock */
	for (int k = 0; k < n; k++) {
		int64_t have = 0;
		if ((rc = dst_count(d, t[k].name, &have)))
			goto out;
		if (have != 0) {
			rc = oa_fail(OA_ERR_EXISTS, "the target database is not empty (table %s has"
			    " %lld rows): copy only into an empty database; nothing was changed",
			    t[k].name, (long long)have);
			goto out;
		}
	}
	r->fresh = fresh;
	for (int k = 0; k < n; k++) {
		struct tab *x = &t[order[k]];
		store_copy_table *e = &r->t[r->ntables++];
		char q[64 + STORE_COPY_NAME];

		snprintf(e->name, sizeof e->name, "%s", x->name);
		snprintf(q, sizeof q, "SELECT count(*) FROM %s", x->name);
		if ((rc = sqlite_int(src, q, &e->src_rows)) || (rc = copy_table(src, d, x, &e->copied)))
			goto out;
		r->rows += e->copied;
	}
	if ((rc = set_identities(d)))
		goto out;
	for (int k = 0; k < r->ntables; k++)
		if ((rc = dst_count(d, r->t[k].name, &r->t[k].dst_rows)) ||
		    (rc = tables_same(src, d, r->t[k].name)))
			goto out;
	*out = d;
	d = NULL;
out:
	if (in_read)
		sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(src);
	if (d) {
		store_rollback(d);
		store_close(d);
	}
	free(t);
	return rc;
}

/* The source's primary key columns of table t (from the SQLite copy of the
 * schema, which is the same), as an ORDER BY list; "1" when it has none. */
static oa_err pk_order(sqlite3 *db, const char *table, char *out, size_t outsz)
{
	char q[128 + STORE_COPY_NAME];
	sqlite3_stmt *st = NULL;
	size_t len = 0;

	out[0] = '\0';
	snprintf(q, sizeof q, "SELECT name FROM pragma_table_info('%s') WHERE pk > 0 ORDER BY pk",
	    table);
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		return sqlite_fail(db, "primary key");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		if (c == NULL || !plain_ident(c) || len + strlen(c) + 3 >= outsz) {
			sqlite3_finalize(st);
			return oa_fail(OA_ERR_STATE, "table %s: a key openams does not make", table);
		}
		len += (size_t)snprintf(out + len, outsz - len, "%s%s", len ? ", " : "", c);
	}
	sqlite3_finalize(st);
	if (len == 0)
		snprintf(out, outsz, "1");
	return OA_OK;
}

/* Copies table t of the PostgreSQL store s into the SQLite store d (same
 * schema), in key order; *rows: how many. */
static oa_err copy_table_back(store *s, store *d, const struct tab *t, int64_t *rows)
{
	char order[512];
	struct tabsql q;
	store_stmt *r = NULL, *w = NULL;
	int step;
	oa_err rc;

	*rows = 0;
	if ((rc = pk_order(d->db, t->name, order, sizeof order)) ||
	    (rc = table_sql(d->db, t->name, order, &q)))
		return rc;
	if ((r = store_prepare(s, q.sel)) == NULL || (w = store_prepare(d, q.ins)) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	while ((step = store_step(r)) == STORE_ROW) {
		for (int i = 0; i < q.n && rc == OA_OK; i++) {
			if (store_col_isnull(r, i))
				rc = store_bind_null(w, i + 1);
			else if (q.kind[i] == KIND_BLOB) {
				size_t n = 0;
				const void *p = store_col_blob(r, i, &n);
				rc = store_bind_blob(w, i + 1, p ? p : "", n);
			} else if (q.kind[i] == KIND_INT)
				rc = store_bind_int(w, i + 1, store_col_int(r, i));
			else
				rc = store_bind_text(w, i + 1, store_col_text(r, i));
		}
		if (rc || (rc = store_run(w))) {
			rc = oa_fail(rc ? rc : OA_ERR_STORE, "table %s, row %lld: %s", t->name,
			    (long long)*rows + 1, oa_errmsg());
			goto out;
		}
		(*rows)++;
	}
	if (step != STORE_DONE)
		rc = OA_ERR_STORE;
out:
	if (r)
		store_reset(r);
	if (w)
		store_reset(w);
	table_sql_free(&q);
	return rc;
}

oa_err store_copy_pg_to_sqlite(store *s, const char *path)
{
	store *d = NULL;
	struct tab *t = NULL;
	int order[STORE_COPY_MAX_TABLES], n = 0, version;
	oa_err rc;

	if (s->pg == NULL)
		return oa_fail(OA_ERR_INTERNAL, "store_copy_pg_to_sqlite: not a PostgreSQL store");
	if ((t = calloc(STORE_COPY_MAX_TABLES, sizeof *t)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	/* one snapshot of the source for every table */
	if ((rc = store_begin_read(s)))
		goto out;
	version = store_schema_version(s);
	if ((rc = store_open_at(path, version, &d)))
		goto out;
	chmod(path, 0600);
	if (store_schema_version(d) != version) {
		rc = oa_fail(OA_ERR_STATE, "the copy's schema is at version %d, the database's at %d",
		    store_schema_version(d), version);
		goto out;
	}
	if ((rc = list_tables(d->db, t, &n)) || (rc = order_tables(t, n, order)) ||
	    (rc = store_begin(d)))
		goto out;
	for (int k = 0; k < n; k++) {
		struct tab *x = &t[order[k]];
		int64_t copied = 0, src = 0, dst = 0;
		if ((rc = copy_table_back(s, d, x, &copied)) || (rc = dst_count(s, x->name, &src)) ||
		    (rc = dst_count(d, x->name, &dst)))
			goto out;
		if (src != copied || dst != copied) {
			rc = oa_fail(OA_ERR_STATE, "table %s: %lld rows in the database, %lld copied, %lld"
			    " in the copy", x->name, (long long)src, (long long)copied, (long long)dst);
			goto out;
		}
	}
	rc = store_commit(d);
out:
	store_rollback(s);
	if (d) {
		store_rollback(d);
		store_close(d);
	}
	if (rc)
		unlink(path);
	free(t);
	return rc;
}

/* One value into the digest, typed: N (NULL), I (integer, decimal), T or B
 * (text or bytes, with their length), so that no two rows hash alike. */
static void digest_value(EVP_MD_CTX *md, int kind, int isnull, int64_t i, const void *p,
    size_t n)
{
	char head[32];
	int hl;

	if (isnull)
		hl = snprintf(head, sizeof head, "N;");
	else if (kind == KIND_INT)
		hl = snprintf(head, sizeof head, "I%lld;", (long long)i);
	else
		hl = snprintf(head, sizeof head, "%c%zu:", kind == KIND_BLOB ? 'B' : 'T', n);
	EVP_DigestUpdate(md, head, (size_t)hl);
	if (!isnull && kind != KIND_INT && n)
		EVP_DigestUpdate(md, p, n);
}

/*
 * Value by value: the SHA-256 of table's rows in key order, each value
 * typed by its declared column type, read from the source (SQLite, its
 * snapshot) and from the target (in the copy's transaction) must be the
 * same, else OA_ERR_STATE naming the table.
 */
static oa_err tables_same(sqlite3 *src, store *d, const char *table)
{
	char order[512];
	struct tabsql q = {0};
	sqlite3_stmt *a = NULL;
	store_stmt *b = NULL;
	EVP_MD_CTX *ma = EVP_MD_CTX_new(), *mb = EVP_MD_CTX_new();
	uint8_t ha[32], hb[32];
	int step;
	oa_err rc = OA_OK;

	if (ma == NULL || mb == NULL || !EVP_DigestInit_ex(ma, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(mb, EVP_sha256(), NULL)) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pk_order(src, table, order, sizeof order)) ||
	    (rc = table_sql(src, table, order, &q)))
		goto out;
	if (sqlite3_prepare_v2(src, q.sel, -1, &a, NULL) != SQLITE_OK) {
		rc = sqlite_fail(src, table);
		goto out;
	}
	while ((step = sqlite3_step(a)) == SQLITE_ROW)
		for (int i = 0; i < q.n; i++) {
			/* one accessor per kind (another may convert the value) */
			int isnull = sqlite3_column_type(a, i) == SQLITE_NULL;
			if (q.kind[i] == KIND_INT)
				digest_value(ma, KIND_INT, isnull, sqlite3_column_int64(a, i), NULL, 0);
			else {
				const void *p = q.kind[i] == KIND_BLOB ? sqlite3_column_blob(a, i) :
				                                         (const void *)sqlite3_column_text(a, i);
				digest_value(ma, q.kind[i], isnull, 0, p, (size_t)sqlite3_column_bytes(a, i));
			}
		}
	if (step != SQLITE_DONE) {
		rc = sqlite_fail(src, table);
		goto out;
	}
	if ((b = store_prepare(d, q.sel)) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	while ((step = store_step(b)) == STORE_ROW)
		for (int i = 0; i < q.n; i++) {
			size_t n = 0;
			const void *p = q.kind[i] == KIND_BLOB ? store_col_blob(b, i, &n) : NULL;
			if (q.kind[i] == KIND_TEXT) {
				p = store_col_text(b, i);
				n = strlen(p);
			}
			digest_value(mb, q.kind[i], store_col_isnull(b, i), q.kind[i] == KIND_INT ?
			    store_col_int(b, i) : 0, p, n);
		}
	if (step != STORE_DONE) {
		rc = OA_ERR_STORE;
		goto out;
	}
	EVP_DigestFinal_ex(ma, ha, NULL);
	EVP_DigestFinal_ex(mb, hb, NULL);
	if (memcmp(ha, hb, sizeof ha) != 0)
		rc = oa_fail(OA_ERR_STATE, "table %s: the copy's values differ from the source's",
		    table);
out:
	if (b)
		store_reset(b);
	sqlite3_finalize(a);
	EVP_MD_CTX_free(ma);
	EVP_MD_CTX_free(mb);
	table_sql_free(&q);
	return rc;
}
