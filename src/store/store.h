/*
 * store.h - the database behind openams.
 *
 * Responsible for: opening the database, applying the numbered migrations
 * (src/store/migrations.c) at open, transactions, and prepared statements.
 * Every module owns its own tables and writes its own SQL through this
 * interface; no sqlite3 type crosses it, so that a PostgreSQL backend can be
 * added behind the same functions without touching callers.  SQL given here
 * uses `?` placeholders and portable types (INTEGER, TEXT, BLOB).
 *
 * Durability: WAL with synchronous=FULL, so store_commit() returns only after
 * the commit is on disk.  Nothing may be reported done before that.
 *
 * A store handle belongs to one thread at a time.  Several handles (threads,
 * processes) may open the same database; writers serialise on
 * store_begin(), which waits up to busy_timeout.
 */
#ifndef OA_STORE_H
#define OA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

typedef struct store store;
typedef struct store_stmt store_stmt;

/* Results of store_step(). */
enum {
	STORE_ROW = 1,
	STORE_DONE = 0,
	STORE_ERROR = -1,      /* message set with oa_fail(OA_ERR_STORE, ...) */
	STORE_CONSTRAINT = -2, /* a UNIQUE/CHECK/trigger constraint refused it */
};

/*
 * Opens (creating if needed) the database at path and applies pending
 * migrations.  The caller frees the handle with store_close().
 */
oa_err store_open(const char *path, store **out);
/*
 * Like store_open() but applies the migrations only up to schema version
 * target (0: all): what tests and the upgrade fixtures use to make a
 * database as an older openams left it.  OA_ERR_INVALID for a version this
 * program does not know.
 *
 * Both refuse (OA_ERR_STATE, "newer than this openams knows") a database
 * whose schema version is above store_latest_version(), and change nothing
 * in it.
 */
oa_err store_open_at(const char *path, int target, store **out);
/*
 * Where store_open() finds the database that the configuration's store.path
 * names: a PostgreSQL URL (postgresql://, postgres://) or conninfo string
 * (host=..., dbname=...) as it is; a file name relative to the data
 * directory dir joined to it.  OA_ERR_LIMIT if it does not fit.
 */
oa_err store_path_join(char *out, size_t outsz, const char *dir, const char *path);
/* Whether path names a PostgreSQL database (postgresql:// or postgres://
 * URL, or a key=value conninfo string with dbname= or host=). */
int store_path_is_pg(const char *path);

/* The highest schema version this program's migrations make. */
int store_latest_version(void);

/* How long a statement waits for a lock another connection holds. */
#define STORE_BUSY_MS 30000
/* Sets that wait on s (ms <= 0: STORE_BUSY_MS again). */
void store_busy_timeout(store *s, int ms);
/* Whether the store answers a read and its write lock can be had within
 * ms milliseconds (BEGIN IMMEDIATE, rolled back): what a health check asks.
 * Not inside a transaction of s. */
oa_err store_probe(store *s, int ms);
/* 1 if the last store failure of this thread was a lock held too long by
 * another connection (SQLITE_BUSY / SQLITE_LOCKED): the caller may say
 * "unavailable, try again" (HTTP 503) rather than a fault. */
int store_last_busy(void);
/* Sets that flag on this thread: for code that carries a store failure
 * from the thread that met it to another (the server's group committer). */
void store_set_last_busy(int busy);
/* Closes the handle and finalises cached statements.  Accepts NULL. */
void store_close(store *s);

/* Current schema version after open. */
int store_schema_version(store *s);

/* Starts a write transaction (takes the write lock now, not lazily). */
oa_err store_begin(store *s);
/* Starts a read transaction: a consistent snapshot until commit/rollback. */
oa_err store_begin_read(store *s);
/* Commits; returns only when the commit is durable. */
oa_err store_commit(store *s);
/* Rolls back the open transaction, if any.  Never fails. */
void store_rollback(store *s);
/* Nested sub-transaction around one item of a batch. */
oa_err store_savepoint(store *s);
oa_err store_release(store *s);
void store_rollback_to(store *s);
/* True while a transaction is open. */
int store_in_tx(store *s);
/* True while the transaction store_begin() opened still stands: SQLite
 * rolls a transaction back by itself after some errors (disk full, I/O),
 * and later statements would then commit one by one.  A caller running
 * many items in one transaction (group commit) checks it after each. */
int store_tx_alive(store *s);
/*
 * One mutating call as its own write transaction, or, when the caller has one
 * open (group commit), as a savepoint inside it: a failure then undoes only
 * that call, and everything becomes durable at the caller's commit.
 * store_tx_end() commits (or releases) when rc is OA_OK, rolls back otherwise,
 * and returns rc or the commit's error.
 */
oa_err store_tx_begin(store *s, int *own);
oa_err store_tx_end(store *s, int own, oa_err rc);

/*
 * WAL checkpoints: by default the connection that commits copies the WAL
 * into the database once it holds `pages` pages (1000), inside its commit.
 * A process with one busy writer sets 0 on it (store_wal_pages() then tells
 * the WAL's size after each of its commits) and calls store_checkpoint()
 * from another handle instead (passive: never waits for, nor blocks,
 * readers and the writer).  *wal_pages (may be NULL): the WAL's size.
 */
oa_err store_autocheckpoint(store *s, int pages);
int store_wal_pages(store *s);
oa_err store_checkpoint(store *s, int *wal_pages);

/*
 * Writes a consistent copy of the whole database to path (a new file: an
 * existing one is OA_ERR_EXISTS), as of one instant, while other handles
 * and processes go on writing (SQLite's VACUUM INTO: one read snapshot).
 * A PostgreSQL store is copied into a new SQLite file at the same schema
 * version, from one REPEATABLE READ snapshot, every table's rows counted.
 * Not inside a transaction of s.  What `openams backup` copies.
 */
oa_err store_copy_to(store *s, const char *path);

/*
 * `openams store copy`: the SQLite database at sqlite_path copied into the
 * PostgreSQL database url (store_copy.c says how).  The source is opened
 * read-only and read in one snapshot; the target must have no tables, or
 * be an openams schema at the source's version with every table empty,
 * else it is refused (OA_ERR_EXISTS, OA_ERR_STATE) and not changed.  On
 * OA_OK, *out is the target's handle with the copy's transaction still
 * open: the caller verifies (r's counts, audit_verify) and then calls
 * store_commit() or store_rollback(), and store_close().  schema_version is
 * not copied: the migrations made it.
 */
#define STORE_COPY_MAX_TABLES 128
#define STORE_COPY_NAME 64
typedef struct store_copy_table {
	char name[STORE_COPY_NAME];
	int64_t src_rows;  /* count(*) in the source's snapshot */
	int64_t copied;    /* rows read and inserted */
	int64_t dst_rows;  /* count(*) in the target after the copy */
} store_copy_table;
typedef struct store_copy_report {
	int version;       /* the schema version of both */
	int fresh;         /* the target had no tables: the migrations made them */
	int ntables;
	int64_t rows;      /* rows copied, all tables */
	store_copy_table t[STORE_COPY_MAX_TABLES]; /* in the order copied */
} store_copy_report;
oa_err store_copy_pg(const char *sqlite_path, const char *url, store_copy_report *r,
    store **out);

/* Runs SQL without parameters or results (DDL, PRAGMA). */
oa_err store_exec(store *s, const char *sql);

/*
 * Takes or renews the lease name for holder until now + ttl seconds (store/
 * lease.c): *held is 1 if holder has it after the call (it was free,
 * expired, or holder's), 0 if another holder's is still running.  Several
 * processes on one database run a duty only while they hold its lease.
 */
oa_err store_lease(store *s, const char *name, const char *holder, const char *stale,
    int64_t now, int64_t ttl, int *held);
/* stale (may be NULL): a holder the caller knows is gone (a process of this
 * host that no longer exists), whose lease is taken at once. */
/* The lease's holder into out ("" if nobody holds it). */
oa_err store_lease_holder(store *s, const char *name, char *out, size_t outsz);
/* Gives the lease up if holder has it (a clean stop). */
oa_err store_lease_release(store *s, const char *name, const char *holder);

/*
 * Returns a prepared statement for sql, cached on the handle and reset.
 * The statement is borrowed: call store_reset() when done with it, never
 * free it.  NULL (with a message) if the SQL does not compile.
 */
store_stmt *store_prepare(store *s, const char *sql);
/* Resets bindings and cursor so the statement can be reused. */
void store_reset(store_stmt *st);

/* Bindings are numbered from 1.  A NULL text binds SQL NULL. */
oa_err store_bind_text(store_stmt *st, int i, const char *v);
oa_err store_bind_int(store_stmt *st, int i, int64_t v);
oa_err store_bind_blob(store_stmt *st, int i, const void *p, size_t n);
oa_err store_bind_null(store_stmt *st, int i);

/* One step: STORE_ROW, STORE_DONE, STORE_ERROR or STORE_CONSTRAINT. */
int store_step(store_stmt *st);
/* Steps a statement that returns no rows and resets it. */
oa_err store_run(store_stmt *st);

/* Columns are numbered from 0 and valid until the next step or reset. */
int store_col_isnull(store_stmt *st, int i);
const char *store_col_text(store_stmt *st, int i); /* "" for NULL */
int64_t store_col_int(store_stmt *st, int i);
const void *store_col_blob(store_stmt *st, int i, size_t *n);

/* Rows changed by the last statement; id of the last inserted row. */
int64_t store_changes(store *s);
int64_t store_last_id(store *s);

/* Describes the last constraint failure (borrowed, "" if none). */
const char *store_constraint_msg(store *s);

#endif
