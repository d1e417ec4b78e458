/*
 * storeInt.h - what the store's backends share (private to src/store).
 *
 * store.h's functions live in store_sqlite.c; each one hands a handle whose
 * `pg` is set to its twin in store_pg.c (the PostgreSQL backend).  The
 * statement cache (one slot per distinct SQL text) is the same for both.
 */
#ifndef OA_STORE_INT_H
#define OA_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

#define CACHE_SLOTS 256

struct pgconn; /* store_pg.c */
struct pgstmt;

struct store_stmt {
	sqlite3_stmt *st;
	store *owner;
	char *sql;
	struct pgstmt *pg;      /* PostgreSQL: the statement (st is NULL) */
};

/* Transaction control, compiled once per handle (the group committer runs
 * several of them per request). */
enum { TX_BEGIN, TX_BEGIN_READ, TX_COMMIT, TX_ROLLBACK, TX_SAVEPOINT, TX_RELEASE, TX_ROLLBACK_TO,
	TX__MAX };

struct store {
	sqlite3 *db;            /* SQLite; NULL on PostgreSQL */
	struct pgconn *pg;      /* PostgreSQL; NULL on SQLite */
	int version;
	int in_tx;
	int savepoints;
	char constraint[256];
	sqlite3_stmt *tx[TX__MAX];
	int wal_pages;          /* after the last commit, with autocheckpoint off */
	struct store_stmt cache[CACHE_SLOTS];
};


/* The PostgreSQL backend: the same contract as store.h's functions of the
 * same name without pg_; s is a handle with s->pg set. */
oa_err pg_open(store *s, const char *url, int target);
void pg_close(store *s);
void pg_busy_timeout(store *s, int ms);
oa_err pg_probe(store *s, int ms);
oa_err pg_exec(store *s, const char *sql);
oa_err pg_prepare(store *s, struct store_stmt *e);
void pg_stmt_free(struct store_stmt *e);
void pg_reset(store_stmt *st);
oa_err pg_bind(store_stmt *st, int i, int type, const void *p, size_t n, int64_t v);
int pg_step(store_stmt *st);
int pg_col_isnull(store_stmt *st, int i);
const char *pg_col_text(store_stmt *st, int i);
int64_t pg_col_int(store_stmt *st, int i);
const void *pg_col_blob(store_stmt *st, int i, size_t *n);
int64_t pg_changes(store *s);
int64_t pg_last_id(store *s);
oa_err pg_tx(store *s, int which);
int pg_tx_alive(store *s);

/* Binding types of pg_bind(). */
enum { PGB_NULL, PGB_TEXT, PGB_INT, PGB_BLOB };

/* The SQLite-to-PostgreSQL rewrite of one SQL text (store_pg_sql.c):
 * placeholders ?, ?N to $N, GLOB, IS [NOT], INSERT OR IGNORE, instr(),
 * strftime('%s','now'), and, with ddl, the schema's types and triggers.
 * A malloc'd string, or NULL with a message.  *nparams: the highest $N. */
char *pg_rewrite(const char *sql, int ddl, int *nparams);

/* store_copy.c: a PostgreSQL store's consistent copy as a new SQLite file
 * (what store_copy_to makes of a PostgreSQL store). */
oa_err store_copy_pg_to_sqlite(store *s, const char *path);

#endif
