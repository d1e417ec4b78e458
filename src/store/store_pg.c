/*
 * store_pg.c - the PostgreSQL backend of store.h (libpq).
 *
 * store_open() takes it for a postgresql:// or postgres:// URL, or a
 * key=value conninfo string; the SQL is SQLite's, rewritten once per
 * statement (store_pg_sql.c) and prepared on the server once per handle.
 *
 * The contract kept:
 *   - store_begin() serialises writers as SQLite's BEGIN IMMEDIATE does: it
 *     takes one transaction-scoped advisory lock, so the audit chain's
 *     head, CRL numbers and serials are read and written in one order;
 *     store_begin_read() is a REPEATABLE READ snapshot;
 *   - a failed statement inside a transaction fails alone (SQLite's
 *     statement atomicity): a statement that writes runs under a savepoint
 *     of its own, rolled back to on failure; SAVEPOINT, the statement and
 *     RELEASE travel in one round trip (libpq's pipeline mode);
 *   - constraint failures (SQLSTATE class 23, and the schema's triggers,
 *     which raise 23000 with their message) are STORE_CONSTRAINT; lock
 *     waits past lock_timeout, serialisation failures and deadlocks are
 *     "busy" (store_last_busy());
 *   - commits are durable when store_commit() returns (synchronous_commit
 *     on, PostgreSQL's default; this backend never lowers it);
 *   - blobs are bytea, sent as binary parameters; integers are int8.
 * WAL checkpoints are PostgreSQL's own business: those calls do nothing.
 *
 * Must never: build SQL from values (everything is bound).
 */
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "migrations.h"
#include "storeInt.h"

/* The writers' lock (pg_advisory_xact_lock): "oams". */
#define WRITE_LOCK "1868655987"

#define BYTEAOID 17
#define INT8OID 20
#define TEXTOID 25

struct pgconn {
	PGconn *c;
	unsigned next_name;
	int64_t changes;
};

struct pgstmt {
	char name[24];
	char *sql;          /* rewritten */
	int nparams;
	int prepared;       /* on the server */
	int nprep_try;
	int *kind;          /* PGB_* of each binding */
	char **val;
	int *len, *fmt;
	PGresult *res;
	int row, nrows, executed, writes;
	unsigned char **blob; /* decoded bytea columns of the current row */
	size_t *bloblen;
	int nblob;
};

/* Defined in store_sqlite.c. */
void store_set_last_busy(int busy);

int store_path_is_pg(const char *path)
{
	return strncmp(path, "postgresql://", 13) == 0 || strncmp(path, "postgres://", 11) == 0 ||
	       strncmp(path, "dbname=", 7) == 0 || strncmp(path, "host=", 5) == 0;
}

oa_err store_path_join(char *out, size_t outsz, const char *dir, const char *path)
{
	if (!store_path_is_pg(path))
		return oa_path_join(out, outsz, dir, path);
	if (strlen(path) >= outsz)
		return oa_fail(OA_ERR_LIMIT, "store.path too long");
	strcpy(out, path);
	return OA_OK;
}

static void no_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* A failed result: the message set, busy and constraint noted.  Returns
 * STORE_CONSTRAINT or STORE_ERROR. */
static int pgfail(store *s, PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int busy;

	if (msg == NULL)
		msg = PQerrorMessage(s->pg->c);
	if (state == NULL)
		state = "";
	busy = strcmp(state, "55P03") == 0 || strcmp(state, "40001") == 0 ||
	       strcmp(state, "40P01") == 0 || strcmp(state, "57014") == 0;
	store_set_last_busy(busy);
	if (busy) {
		oa_fail(OA_ERR_STORE, "the database is busy: another process has held its lock"
		    " longer than the wait allows (database: %s: %s)", what, msg);
		return STORE_ERROR;
	}
	if (strncmp(state, "23", 2) == 0) {
		snprintf(s->constraint, sizeof s->constraint, "%s", msg);
		oa_fail(OA_ERR_STORE, "database constraint: %s", s->constraint);
		return STORE_CONSTRAINT;
	}
	if (strcmp(state, "53100") == 0)
		oa_fail(OA_ERR_STORE, "the disk is full (database: %s: %s)", what, msg);
	else
		oa_fail(OA_ERR_STORE, "database: %s: %s", what, msg);
	return STORE_ERROR;
}

/* Runs SQL without parameters; OA_OK or the failure. */
static oa_err run(store *s, const char *sql, const char *what)
{
	PGresult *res = PQexec(s->pg->c, sql);
	ExecStatusType t = PQresultStatus(res);

	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK && t != PGRES_EMPTY_QUERY) {
		pgfail(s, res, what ? what : sql);
		PQclear(res);
		return OA_ERR_STORE;
	}
	PQclear(res);
	return OA_OK;
}

static int in_server_tx(store *s)
{
	PGTransactionStatusType t = PQtransactionStatus(s->pg->c);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

void pg_busy_timeout(store *s, int ms)
{
	char sql[64];

	snprintf(sql, sizeof sql, "SET lock_timeout = %d", ms > 0 ? ms : STORE_BUSY_MS);
	if (run(s, sql, "lock_timeout") != OA_OK)
		oa_err_clear();
}

oa_err pg_probe(store *s, int ms)
{
	oa_err rc;

	pg_busy_timeout(s, ms);
	rc = run(s, "SELECT 1", "probe");
	if (rc == OA_OK && (rc = store_begin(s)) == OA_OK)
		store_rollback(s);
	pg_busy_timeout(s, 0);
	return rc;
}

oa_err pg_exec(store *s, const char *sql)
{
	char *q = pg_rewrite(sql, 1, NULL);
	oa_err rc;

	if (q == NULL)
		return OA_ERR_STORE;
	if (*q && in_server_tx(s)) {
		/* fails alone, as a prepared statement does (execute()) */
		if ((rc = run(s, "SAVEPOINT oa_stmt", NULL)) == OA_OK &&
		    (rc = run(s, q, "exec")) != OA_OK) {
			int busy = store_last_busy();
			char *msg = strdup(oa_errmsg());
			if (run(s, "ROLLBACK TO SAVEPOINT oa_stmt", NULL) == OA_OK && msg)
				oa_fail(OA_ERR_STORE, "%s", msg);
			store_set_last_busy(busy);
			free(msg);
		}
		if (run(s, "RELEASE SAVEPOINT oa_stmt", NULL) != OA_OK && rc == OA_OK)
			rc = OA_ERR_STORE;
	} else
		rc = *q ? run(s, q, "exec") : OA_OK;
	free(q);
	return rc;
}

static void clear_result(struct pgstmt *p)
{
	for (int i = 0; i < p->nblob; i++)
		PQfreemem(p->blob[i]);
	free(p->blob);
	free(p->bloblen);
	p->blob = NULL;
	p->bloblen = NULL;
	p->nblob = 0;
	PQclear(p->res);
	p->res = NULL;
	p->executed = 0;
	p->row = -1;
	p->nrows = 0;
}

static void clear_row(struct pgstmt *p)
{
	for (int i = 0; i < p->nblob; i++) {
		PQfreemem(p->blob[i]);
		p->blob[i] = NULL;
	}
}

static void clear_bindings(struct pgstmt *p)
{
	for (int i = 0; i < p->nparams; i++) {
		free(p->val[i]);
		p->val[i] = NULL;
		p->len[i] = 0;
		p->fmt[i] = 0;
		p->kind[i] = PGB_NULL;
	}
}

/* Whether the statement writes: it then runs under a savepoint of its own
 * inside a transaction. */
static int writes(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '(')
		sql++;
	return strncasecmp(sql, "SELECT", 6) != 0 && strncasecmp(sql, "VALUES", 6) != 0;
}

/* One PQprepare; inside a transaction under a savepoint, so that a
 * failure does not abort it.  STORE_DONE, or STORE_ERROR with *res kept
 * (the caller clears it) when the server refused. */
static int prepare_once(store *s, struct pgstmt *p, const Oid *types, PGresult **res)
{
	int sp = in_server_tx(s), rc = STORE_DONE;

	*res = NULL;
	if (sp && run(s, "SAVEPOINT oa_prepare", NULL) != OA_OK)
		return STORE_ERROR;
	*res = PQprepare(s->pg->c, p->name, p->sql, p->nparams, types);
	if (PQresultStatus(*res) != PGRES_COMMAND_OK) {
		rc = STORE_ERROR;
		if (sp && run(s, "ROLLBACK TO SAVEPOINT oa_prepare", NULL) != OA_OK) {
			PQclear(*res);
			*res = NULL;
		}
	} else
		p->prepared = 1;
	if (sp && run(s, "RELEASE SAVEPOINT oa_prepare", NULL) != OA_OK && rc == STORE_DONE)
		rc = STORE_ERROR;
	return rc;
}

static int sqlstate_is(PGresult *res, const char *a, const char *b)
{
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return st && (strcmp(st, a) == 0 || (b && strcmp(st, b) == 0));
}

/*
 * Prepares on the server.  Without types (typed 0) PostgreSQL infers each
 * parameter's from its use; returns 1 when it cannot (`? IS NULL` alone),
 * and the statement waits for its first bindings (typed 1): integers are
 * int8, blobs bytea, and a parameter still undetermined (bound text or
 * NULL) is tried as text, then bytea, then int8, until the statement
 * compiles.
 */
static int server_prepare(store *s, struct pgstmt *p, int typed)
{
	static const Oid guesses[] = {TEXTOID, BYTEAOID, INT8OID};
	Oid *types = NULL;
	int *guess = NULL, last = -1, rc = STORE_ERROR;
	PGresult *res = NULL;

	if (!typed || p->nparams == 0) {
		if ((rc = prepare_once(s, p, NULL, &res)) == STORE_DONE) {
			PQclear(res);
			return rc;
		}
		if (res && sqlstate_is(res, "42P18", "42P08") && p->nparams > 0)
			rc = 1; /* cannot tell a type yet */
		else
			rc = pgfail(s, res, "prepare");
		PQclear(res);
		return rc;
	}
	if ((types = calloc((size_t)p->nparams, sizeof *types)) == NULL ||
	    (guess = calloc((size_t)p->nparams, sizeof *guess)) == NULL) {
		free(types);
		oa_fail(OA_ERR_NOMEM, "out of memory");
		return STORE_ERROR;
	}
	for (int i = 0; i < p->nparams; i++)
		types[i] = p->kind[i] == PGB_INT ? INT8OID : p->kind[i] == PGB_BLOB ? BYTEAOID : 0;
	for (int tries = 0; tries < 4 * p->nparams + 1; tries++) {
		const char *m, *d;
		int n;

		if ((rc = prepare_once(s, p, types, &res)) == STORE_DONE || res == NULL)
			break;
		m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (sqlstate_is(res, "42P18", "42P08") && m && (d = strchr(m, '$')) != NULL &&
		    (n = atoi(d + 1)) >= 1 && n <= p->nparams && types[n - 1] == 0) {
			types[n - 1] = guesses[0];
			guess[n - 1] = 1;
			last = n - 1;
		} else if (sqlstate_is(res, "42883", "42804") && last >= 0 &&
		           guess[last] < (int)(sizeof guesses / sizeof guesses[0])) {
			types[last] = guesses[guess[last]++];
		} else
			break;
		PQclear(res);
		res = NULL;
	}
	if (rc != STORE_DONE)
		rc = pgfail(s, res, "prepare");
	PQclear(res);
	free(types);
	free(guess);
	return rc;
}

oa_err pg_prepare(store *s, struct store_stmt *e)
{
	struct pgstmt *p = calloc(1, sizeof *p);
	int rc;

	if (p == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if ((p->sql = pg_rewrite(e->sql, 0, &p->nparams)) == NULL) {
		free(p);
		return OA_ERR_STORE;
	}
	p->row = -1;
	snprintf(p->name, sizeof p->name, "oa%u", s->pg->next_name++);
	p->writes = writes(p->sql);
	if (p->nparams > 0 &&
	    ((p->kind = calloc((size_t)p->nparams, sizeof *p->kind)) == NULL ||
	     (p->val = calloc((size_t)p->nparams, sizeof *p->val)) == NULL ||
	     (p->len = calloc((size_t)p->nparams, sizeof *p->len)) == NULL ||
	     (p->fmt = calloc((size_t)p->nparams, sizeof *p->fmt)) == NULL)) {
		e->pg = p;
		pg_stmt_free(e);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	e->pg = p;
	/* Compiled now, so that bad SQL fails here as on SQLite; a statement
	 * whose parameter types PostgreSQL cannot infer waits for its first
	 * bindings. */
	if ((rc = server_prepare(s, p, 0)) < 0) {
		pg_stmt_free(e);
		return OA_ERR_STORE;
	}
	return OA_OK;
}

void pg_stmt_free(struct store_stmt *e)
{
	struct pgstmt *p = e->pg;

	if (p == NULL)
		return;
	clear_result(p);
	clear_bindings(p);
	free(p->kind);
	free(p->val);
	free(p->len);
	free(p->fmt);
	free(p->sql);
	free(p);
	e->pg = NULL;
}

void pg_reset(store_stmt *st)
{
	clear_result(st->pg);
	clear_bindings(st->pg);
}

oa_err pg_bind(store_stmt *st, int i, int type, const void *v, size_t n, int64_t iv)
{
	struct pgstmt *p = st->pg;
	char num[24];

	if (i < 1 || i > p->nparams)
		return oa_fail(OA_ERR_STORE, "database: bind: column index out of range");
	i--;
	free(p->val[i]);
	p->val[i] = NULL;
	p->kind[i] = type;
	p->fmt[i] = 0;
	p->len[i] = 0;
	if (type == PGB_INT) {
		snprintf(num, sizeof num, "%lld", (long long)iv);
		v = num;
		n = strlen(num);
	}
	if (type == PGB_NULL)
		return OA_OK;
	if (n > 0x7fffffff)
		return oa_fail(OA_ERR_LIMIT, "database: bind: value too large");
	if ((p->val[i] = malloc(n + 1)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if (n)
		memcpy(p->val[i], v, n);
	p->val[i][n] = '\0';
	p->len[i] = (int)n;
	p->fmt[i] = type == PGB_BLOB;
	return OA_OK;
}

/* A writing statement inside a transaction, under a savepoint of its own
 * (SQLite's statement atomicity), in one round trip: SAVEPOINT, the
 * statement and RELEASE go out together in libpq's pipeline mode.  On
 * success p->res holds the statement's result and STORE_DONE is returned;
 * on failure the transaction is rolled back to the savepoint (one more
 * round trip) and the statement's failure returned, as execute() does. */
static int exec_savepointed(store *s, struct pgstmt *p)
{
	PGconn *c = s->pg->c;
	PGresult *r, *res = NULL;
	int rc = STORE_DONE, k = 0, bad = 0;
	ExecStatusType t;

	if (!PQenterPipelineMode(c) ||
	    !PQsendQueryParams(c, "SAVEPOINT oa_stmt", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsendQueryPrepared(c, p->name, p->nparams, (const char *const *)p->val, p->len,
	        p->fmt, 0) ||
	    !PQsendQueryParams(c, "RELEASE SAVEPOINT oa_stmt", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQpipelineSync(c)) {
		oa_fail(OA_ERR_STORE, "database: pipeline: %s", PQerrorMessage(c));
		bad = 1;
	}
	/* The three results, each followed by NULL, then the sync point. */
	while (!bad && (r = PQgetResult(c)) != NULL) {
		t = PQresultStatus(r);
		if (t == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		if (k == 1)
			res = r;
		else {
			if (k != 1 && t != PGRES_COMMAND_OK && t != PGRES_PIPELINE_ABORTED && rc == STORE_DONE)
				rc = pgfail(s, r, k == 0 ? "SAVEPOINT" : "RELEASE SAVEPOINT");
			PQclear(r);
		}
		/* the NULL that ends this command's results */
		if ((r = PQgetResult(c)) != NULL) {
			if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
				PQclear(r);
				break;
			}
			PQclear(r);
		}
		k++;
	}
	if (!PQexitPipelineMode(c) && !bad) {
		oa_fail(OA_ERR_STORE, "database: pipeline: %s", PQerrorMessage(c));
		bad = 1;
	}
	if (bad) {
		PQclear(res);
		return STORE_ERROR;
	}
	t = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
		int busy;
		char *msg;

		rc = pgfail(s, res, "step");
		PQclear(res);
		busy = store_last_busy();
		msg = strdup(oa_errmsg());
		if (run(s, "ROLLBACK TO SAVEPOINT oa_stmt; RELEASE SAVEPOINT oa_stmt", NULL))
			rc = STORE_ERROR;
		else if (msg)
			oa_fail(OA_ERR_STORE, "%s", msg);
		store_set_last_busy(busy);
		free(msg);
		return rc;
	}
	if (rc != STORE_DONE) {
		/* the statement ran but SAVEPOINT or RELEASE failed: the transaction
		 * is in doubt, and the caller's rollback ends it */
		PQclear(res);
		return STORE_ERROR;
	}
	p->res = res;
	return STORE_DONE;
}

static int execute(store_stmt *st)
{
	store *s = st->owner;
	struct pgstmt *p = st->pg;
	int sp = p->writes && in_server_tx(s), rc;
	ExecStatusType t;

	if (!p->prepared && (rc = server_prepare(s, p, 1)) != STORE_DONE)
		return rc < 0 ? rc : STORE_ERROR;
	if (sp) {
		if ((rc = exec_savepointed(s, p)) != STORE_DONE)
			return rc;
		t = PQresultStatus(p->res);
		goto done;
	}
	p->res = PQexecPrepared(s->pg->c, p->name, p->nparams, (const char *const *)p->val, p->len,
	    p->fmt, 0);
	t = PQresultStatus(p->res);
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
		rc = pgfail(s, p->res, "step");
		PQclear(p->res);
		p->res = NULL;
		return rc;
	}
done:
	p->executed = 1;
	p->row = -1;
	p->nrows = t == PGRES_TUPLES_OK ? PQntuples(p->res) : 0;
	s->pg->changes = t == PGRES_COMMAND_OK && *PQcmdTuples(p->res) ?
	                 strtoll(PQcmdTuples(p->res), NULL, 10) : 0;
	p->nblob = PQnfields(p->res);
	if (p->nblob > 0 && ((p->blob = calloc((size_t)p->nblob, sizeof *p->blob)) == NULL ||
	                     (p->bloblen = calloc((size_t)p->nblob, sizeof *p->bloblen)) == NULL)) {
		oa_fail(OA_ERR_NOMEM, "out of memory");
		clear_result(p);
		return STORE_ERROR;
	}
	return STORE_DONE;
}

int pg_step(store_stmt *st)
{
	struct pgstmt *p = st->pg;
	int rc;

	if (!p->executed && (rc = execute(st)) != STORE_DONE) {
		clear_result(p);
		return rc;
	}
	clear_row(p);
	if (p->row + 1 < p->nrows) {
		p->row++;
		return STORE_ROW;
	}
	p->row = p->nrows;
	return STORE_DONE;
}

static int has_col(struct pgstmt *p, int i)
{
	return p->res && p->row >= 0 && p->row < p->nrows && i >= 0 && i < PQnfields(p->res);
}

int pg_col_isnull(store_stmt *st, int i)
{
	struct pgstmt *p = st->pg;
	return !has_col(p, i) || PQgetisnull(p->res, p->row, i);
}

const char *pg_col_text(store_stmt *st, int i)
{
	struct pgstmt *p = st->pg;
	return has_col(p, i) ? PQgetvalue(p->res, p->row, i) : "";
}

int64_t pg_col_int(store_stmt *st, int i)
{
	struct pgstmt *p = st->pg;
	const char *v;

	if (!has_col(p, i) || PQgetisnull(p->res, p->row, i))
		return 0;
	v = PQgetvalue(p->res, p->row, i);
	if (v[0] == 't' && v[1] == '\0')
		return 1; /* a boolean */
	return strtoll(v, NULL, 10);
}

const void *pg_col_blob(store_stmt *st, int i, size_t *n)
{
	struct pgstmt *p = st->pg;

	*n = 0;
	if (!has_col(p, i) || PQgetisnull(p->res, p->row, i))
		return NULL;
	if (PQftype(p->res, i) != BYTEAOID) {
		*n = (size_t)PQgetlength(p->res, p->row, i);
		return PQgetvalue(p->res, p->row, i);
	}
	if (p->blob[i] == NULL &&
	    (p->blob[i] = PQunescapeBytea((const unsigned char *)PQgetvalue(p->res, p->row, i),
	         &p->bloblen[i])) == NULL)
		return NULL;
	*n = p->bloblen[i];
	return p->blob[i];
}

int64_t pg_changes(store *s)
{
	return s->pg->changes;
}

int64_t pg_last_id(store *s)
{
	PGresult *res = PQexec(s->pg->c, "SELECT lastval()");
	int64_t id = 0;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return id;
}

oa_err pg_tx(store *s, int which)
{
	static const char *const sql[TX__MAX] = {
	    [TX_BEGIN] = "BEGIN ISOLATION LEVEL READ COMMITTED",
	    [TX_BEGIN_READ] = "BEGIN ISOLATION LEVEL REPEATABLE READ",
	    [TX_COMMIT] = "COMMIT",
	    [TX_ROLLBACK] = "ROLLBACK",
	    [TX_SAVEPOINT] = "SAVEPOINT item",
	    [TX_RELEASE] = "RELEASE SAVEPOINT item",
	    [TX_ROLLBACK_TO] = "ROLLBACK TO SAVEPOINT item"};
	PGresult *res;
	oa_err rc;

	if (which == TX_COMMIT && PQtransactionStatus(s->pg->c) == PQTRANS_INERROR)
		return oa_fail(OA_ERR_STORE, "database: COMMIT: the transaction had failed");
	if ((rc = run(s, sql[which], sql[which])))
		return rc;
	if (which == TX_BEGIN) {
		/* The writers' lock, held to COMMIT or ROLLBACK. */
		res = PQexec(s->pg->c, "SELECT pg_advisory_xact_lock(" WRITE_LOCK ")");
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			pgfail(s, res, "BEGIN (the writers' lock)");
			PQclear(res);
			int busy = store_last_busy();
			char *msg = strdup(oa_errmsg());
			if (run(s, "ROLLBACK", NULL) != OA_OK)
				oa_err_clear();
			if (msg)
				oa_fail(OA_ERR_STORE, "%s", msg);
			free(msg);
			store_set_last_busy(busy);
			return OA_ERR_STORE;
		}
		PQclear(res);
	}
	return OA_OK;
}

int pg_tx_alive(store *s)
{
	return PQtransactionStatus(s->pg->c) == PQTRANS_INTRANS;
}

/* What SQLite has and PostgreSQL lacks, made again whenever a migration is
 * applied: glob for a pattern that is not a literal (store_pg_sql.c makes
 * literal ones regular expressions itself), and sum() of booleans
 * (SQLite's comparisons are integers: SUM(x < ?) counts). */
static const char support_sql[] =
    "CREATE OR REPLACE FUNCTION oa_glob(s text, p text) RETURNS boolean"
    " LANGUAGE sql IMMUTABLE AS $oa$ SELECT s ~ ('^' || replace(replace("
    " regexp_replace(p, '([.+(){}|$\\\\])', '\\\\\\1', 'g'), '*', '.*'), '?', '.') || '$') $oa$;"
    "CREATE OR REPLACE FUNCTION oa_sum_bool(bigint, boolean) RETURNS bigint"
    " LANGUAGE sql IMMUTABLE AS $oa$ SELECT CASE WHEN $2 IS NULL THEN $1"
    " ELSE COALESCE($1, 0) + $2::int END $oa$;"
    "CREATE OR REPLACE AGGREGATE sum(boolean) (SFUNC = oa_sum_bool, STYPE = bigint)";

/* Applies the migrations up to target (0: all), each in its own
 * transaction under the writers' lock, so that several processes opening
 * one new database apply each once. */
static oa_err migrate(store *s, int target)
{
	store_stmt *st;
	oa_err rc;

	for (;;) {
		const struct migration *m = NULL;
		char *sql;

		if ((rc = store_begin(s)))
			return rc;
		if ((rc = pg_exec(s, "CREATE TABLE IF NOT EXISTS schema_version ("
		                     " version INTEGER NOT NULL PRIMARY KEY,"
		                     " module TEXT NOT NULL,"
		                     " applied_at INTEGER NOT NULL)")))
			goto fail;
		if ((st = store_prepare(s, "SELECT COALESCE(MAX(version), 0) FROM schema_version")) ==
		    NULL) {
			rc = OA_ERR_STORE;
			goto fail;
		}
		if (store_step(st) != STORE_ROW) {
			store_reset(st);
			rc = OA_ERR_STORE;
			goto fail;
		}
		s->version = (int)store_col_int(st, 0);
		store_reset(st);
		if (s->version > store_latest_version()) {
			store_rollback(s);
			return oa_fail(OA_ERR_STATE, "the database's schema version %d is newer than this"
			    " openams knows (%d): it was made or upgraded by a newer openams; run that"
			    " version (or newer) on it, or restore a backup made by this one", s->version,
			    store_latest_version());
		}
		for (int i = 0; i < store_nmigrations; i++)
			if (store_migrations[i].version > s->version) {
				m = &store_migrations[i];
				break;
			}
		if (m == NULL || (target > 0 && m->version > target)) {
			store_rollback(s);
			return OA_OK;
		}
		if ((rc = run(s, support_sql, "support functions")))
			goto fail;
		if ((sql = pg_rewrite(m->sql, 1, NULL)) == NULL) {
			rc = OA_ERR_STORE;
			goto fail;
		}
		rc = run(s, sql, "migration");
		free(sql);
		if (rc) {
			store_rollback(s);
			return oa_fail(rc, "migration %d (%s): %s", m->version, m->module, oa_errmsg());
		}
		st = store_prepare(s, "INSERT INTO schema_version(version, module, applied_at)"
		                      " VALUES (?, ?, strftime('%s','now'))");
		if (st == NULL) {
			rc = OA_ERR_STORE;
			goto fail;
		}
		store_bind_int(st, 1, m->version);
		store_bind_text(st, 2, m->module);
		if ((rc = store_run(st)) || (rc = store_commit(s)))
			goto fail;
		s->version = m->version;
	}
fail:
	store_rollback(s);
	return rc;
}

oa_err pg_open(store *s, const char *url, int target)
{
	oa_err rc;

	if ((s->pg = calloc(1, sizeof *s->pg)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	s->pg->c = PQconnectdb(url);
	if (s->pg->c == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if (PQstatus(s->pg->c) != CONNECTION_OK) {
		const char *m = PQerrorMessage(s->pg->c);
		size_t n = strlen(m);
		while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		return oa_fail(OA_ERR_STORE, "PostgreSQL: cannot connect: %.*s", (int)n, m);
	}
	PQsetNoticeProcessor(s->pg->c, no_notice, NULL);
	if ((rc = run(s, "SET client_min_messages = warning; SET synchronous_commit = on;"
	                 " SET lock_timeout = 30000", "session settings")) ||
	    (rc = migrate(s, target)))
		return rc;
	return OA_OK;
}

void pg_close(store *s)
{
	if (s->pg == NULL)
		return;
	if (s->pg->c)
		PQfinish(s->pg->c);
	free(s->pg);
	s->pg = NULL;
}
