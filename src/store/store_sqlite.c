/*
 * store_sqlite.c - the SQLite backend of store.h.
 *
 * Must never: report a commit before SQLite has synced it (synchronous=FULL),
 * or build SQL from values (everything is bound).
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrations.h"
#include "storeInt.h"

static const char *const tx_sql[TX__MAX] = {"BEGIN IMMEDIATE", "BEGIN DEFERRED", "COMMIT",
    "ROLLBACK", "SAVEPOINT item", "RELEASE item", "ROLLBACK TO item"};

/* The message of a failed call; a full disk (SQLITE_FULL, or an I/O error
 * whose system error is ENOSPC or EDQUOT) says so first, rather than
 * "disk I/O error". */
static _Thread_local int last_busy;

int store_last_busy(void)
{
	return last_busy;
}

void store_set_last_busy(int busy)
{
	last_busy = busy != 0;
}

static oa_err dbfail_msg(store *s, const char *what, const char *msg)
{
	int ec = sqlite3_extended_errcode(s->db), se = sqlite3_system_errno(s->db);

	last_busy = (ec & 0xff) == SQLITE_BUSY || (ec & 0xff) == SQLITE_LOCKED;
	if (last_busy)
		return oa_fail(OA_ERR_STORE, "the database is busy: another process has held its lock"
		    " longer than the wait allows (database: %s: %s)", what, msg);
	if ((ec & 0xff) == SQLITE_FULL ||
	    ((ec & 0xff) == SQLITE_IOERR && (se == ENOSPC || se == EDQUOT)))
		return oa_fail(OA_ERR_STORE, "the disk is full (database: %s: %s%s%s)", what, msg,
		    se ? ": " : "", se ? strerror(se) : "");
	return oa_fail(OA_ERR_STORE, "database: %s: %s", what, msg);
}

static oa_err dbfail(store *s, const char *what)
{
	return dbfail_msg(s, what, sqlite3_errmsg(s->db));
}

void store_busy_timeout(store *s, int ms)
{
	if (s->pg) {
		pg_busy_timeout(s, ms);
		return;
	}
	sqlite3_busy_timeout(s->db, ms > 0 ? ms : STORE_BUSY_MS);
}

oa_err store_probe(store *s, int ms)
{
	store_stmt *st;
	int step;
	oa_err rc;

	if (store_in_tx(s))
		return oa_fail(OA_ERR_INTERNAL, "store_probe inside a transaction");
	if (s->pg)
		return pg_probe(s, ms);
	if ((st = store_prepare(s, "SELECT count(*) FROM sqlite_schema")) == NULL)
		return OA_ERR_STORE;
	store_busy_timeout(s, ms);
	step = store_step(st);
	store_reset(st);
	rc = step == STORE_ROW ? OA_OK : OA_ERR_STORE;
	if (rc == OA_OK && (rc = store_begin(s)) == OA_OK)
		store_rollback(s);
	store_busy_timeout(s, 0);
	return rc;
}

oa_err store_exec(store *s, const char *sql)
{
	char *msg = NULL;

	if (s->pg)
		return pg_exec(s, sql);
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		oa_err rc = dbfail_msg(s, "exec", msg ? msg : "error");
		sqlite3_free(msg);
		return rc;
	}
	return OA_OK;
}

static uint32_t fnv1a(const char *p)
{
	uint32_t h = 2166136261u;

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

store_stmt *store_prepare(store *s, const char *sql)
{
	uint32_t h = fnv1a(sql);

	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		struct store_stmt *e = &s->cache[(h + i) % CACHE_SLOTS];
		if (e->sql != NULL && strcmp(e->sql, sql) == 0) {
			if (s->pg) {
				pg_reset(e);
				return e;
			}
			sqlite3_reset(e->st);
			sqlite3_clear_bindings(e->st);
			return e;
		}
		if (e->sql == NULL && s->pg) {
			if ((e->sql = strdup(sql)) == NULL) {
				oa_fail(OA_ERR_NOMEM, "out of memory");
				return NULL;
			}
			e->owner = s;
			if (pg_prepare(s, e) != OA_OK) {
				free(e->sql);
				e->sql = NULL;
				return NULL;
			}
			return e;
		}
		if (e->sql == NULL) {
			if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			        &e->st, NULL) != SQLITE_OK) {
				dbfail(s, "prepare");
				e->st = NULL;
				return NULL;
			}
			if ((e->sql = strdup(sql)) == NULL) {
				sqlite3_finalize(e->st);
				e->st = NULL;
				oa_fail(OA_ERR_NOMEM, "out of memory");
				return NULL;
			}
			e->owner = s;
			return e;
		}
	}
	oa_fail(OA_ERR_INTERNAL, "statement cache full");
	return NULL;
}

void store_reset(store_stmt *st)
{
	if (st == NULL)
		return;
	if (st->pg) {
		pg_reset(st);
		return;
	}
	sqlite3_reset(st->st);
	sqlite3_clear_bindings(st->st);
}

static oa_err bindrc(store_stmt *st, int rc)
{
	if (rc == SQLITE_OK)
		return OA_OK;
	return dbfail(st->owner, "bind");
}

oa_err store_bind_text(store_stmt *st, int i, const char *v)
{
	if (st->pg)
		return pg_bind(st, i, v ? PGB_TEXT : PGB_NULL, v, v ? strlen(v) : 0, 0);
	if (v == NULL)
		return bindrc(st, sqlite3_bind_null(st->st, i));
	return bindrc(st, sqlite3_bind_text(st->st, i, v, -1, SQLITE_TRANSIENT));
}

oa_err store_bind_int(store_stmt *st, int i, int64_t v)
{
	if (st->pg)
		return pg_bind(st, i, PGB_INT, NULL, 0, v);
	return bindrc(st, sqlite3_bind_int64(st->st, i, v));
}

oa_err store_bind_blob(store_stmt *st, int i, const void *p, size_t n)
{
	if (st->pg)
		return pg_bind(st, i, p ? PGB_BLOB : PGB_NULL, p, n, 0);
	if (p == NULL)
		return bindrc(st, sqlite3_bind_null(st->st, i));
	return bindrc(st, sqlite3_bind_blob64(st->st, i, p, n, SQLITE_TRANSIENT));
}

oa_err store_bind_null(store_stmt *st, int i)
{
	if (st->pg)
		return pg_bind(st, i, PGB_NULL, NULL, 0, 0);
	return bindrc(st, sqlite3_bind_null(st->st, i));
}

int store_step(store_stmt *st)
{
	int rc;

	if (st->pg)
		return pg_step(st);
	rc = sqlite3_step(st->st);

	switch (rc) {
	case SQLITE_ROW:
		return STORE_ROW;
	case SQLITE_DONE:
		return STORE_DONE;
	default:
		if ((rc & 0xff) == SQLITE_CONSTRAINT) {
			snprintf(st->owner->constraint, sizeof st->owner->constraint, "%s",
			    sqlite3_errmsg(st->owner->db));
			oa_fail(OA_ERR_STORE, "database constraint: %s", st->owner->constraint);
			sqlite3_reset(st->st);
			return STORE_CONSTRAINT;
		}
		dbfail(st->owner, "step");
		sqlite3_reset(st->st);
		return STORE_ERROR;
	}
}

oa_err store_run(store_stmt *st)
{
	int rc = store_step(st);

	store_reset(st);
	if (rc == STORE_DONE || rc == STORE_ROW)
		return OA_OK;
	return OA_ERR_STORE;
}

int store_col_isnull(store_stmt *st, int i)
{
	if (st->pg)
		return pg_col_isnull(st, i);
	return sqlite3_column_type(st->st, i) == SQLITE_NULL;
}

const char *store_col_text(store_stmt *st, int i)
{
	const unsigned char *p;

	if (st->pg)
		return pg_col_text(st, i);
	p = sqlite3_column_text(st->st, i);
	return p ? (const char *)p : "";
}

int64_t store_col_int(store_stmt *st, int i)
{
	if (st->pg)
		return pg_col_int(st, i);
	return sqlite3_column_int64(st->st, i);
}

const void *store_col_blob(store_stmt *st, int i, size_t *n)
{
	const void *p;

	if (st->pg)
		return pg_col_blob(st, i, n);
	p = sqlite3_column_blob(st->st, i);
	*n = (size_t)sqlite3_column_bytes(st->st, i);
	return p;
}

int64_t store_changes(store *s)
{
	if (s->pg)
		return pg_changes(s);
	return sqlite3_changes64(s->db);
}

int64_t store_last_id(store *s)
{
	if (s->pg)
		return pg_last_id(s);
	return sqlite3_last_insert_rowid(s->db);
}

const char *store_constraint_msg(store *s)
{
	return s->constraint;
}

/* Runs one transaction control statement, prepared on first use. */
static oa_err tx_run(store *s, int which)
{
	int rc;

	if (s->pg)
		return pg_tx(s, which);
	if (s->tx[which] == NULL &&
	    sqlite3_prepare_v3(s->db, tx_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->tx[which],
	        NULL) != SQLITE_OK) {
		s->tx[which] = NULL;
		return dbfail(s, tx_sql[which]);
	}
	if ((rc = sqlite3_step(s->tx[which])) != SQLITE_DONE) {
		oa_err e = dbfail(s, tx_sql[which]);
		sqlite3_reset(s->tx[which]);
		return e;
	}
	sqlite3_reset(s->tx[which]);
	return OA_OK;
}

oa_err store_begin(store *s)
{
	oa_err rc;

	if (s->in_tx)
		return oa_fail(OA_ERR_INTERNAL, "transaction already open");
	if ((rc = tx_run(s, TX_BEGIN)))
		return rc;
	s->in_tx = 1;
	return OA_OK;
}

oa_err store_begin_read(store *s)
{
	oa_err rc;

	if (s->in_tx)
		return oa_fail(OA_ERR_INTERNAL, "transaction already open");
	if ((rc = tx_run(s, TX_BEGIN_READ)))
		return rc;
	s->in_tx = 1;
	return OA_OK;
}

oa_err store_commit(store *s)
{
	oa_err rc;

	if (!s->in_tx)
		return oa_fail(OA_ERR_INTERNAL, "commit without transaction");
	if ((rc = tx_run(s, TX_COMMIT))) {
		store_rollback(s);
		return rc;
	}
	s->in_tx = 0;
	s->savepoints = 0;
	return OA_OK;
}

void store_rollback(store *s)
{
	if (!s->in_tx)
		return;
	/* Fails harmlessly when SQLite already rolled back on its own. */
	if ((s->pg || !sqlite3_get_autocommit(s->db)) && tx_run(s, TX_ROLLBACK) != OA_OK)
		oa_err_clear();
	s->in_tx = 0;
	s->savepoints = 0;
}

oa_err store_savepoint(store *s)
{
	oa_err rc = tx_run(s, TX_SAVEPOINT);
	if (rc == OA_OK)
		s->savepoints++;
	return rc;
}

oa_err store_release(store *s)
{
	oa_err rc = tx_run(s, TX_RELEASE);
	if (rc == OA_OK)
		s->savepoints--;
	return rc;
}

void store_rollback_to(store *s)
{
	/* Both fail only if the transaction is gone (store_tx_alive says so). */
	if (tx_run(s, TX_ROLLBACK_TO) != OA_OK || tx_run(s, TX_RELEASE) != OA_OK)
		oa_err_clear();
	s->savepoints--;
}

int store_in_tx(store *s)
{
	return s->in_tx;
}

int store_tx_alive(store *s)
{
	if (s->pg)
		return s->in_tx && pg_tx_alive(s);
	return s->in_tx && !sqlite3_get_autocommit(s->db);
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	store *s = arg;

	(void)db;
	(void)name;
	s->wal_pages = pages;
	return SQLITE_OK;
}

oa_err store_autocheckpoint(store *s, int pages)
{
	if (s->pg) /* PostgreSQL checkpoints by itself */
		return OA_OK;
	if (pages > 0) {
		if (sqlite3_wal_autocheckpoint(s->db, pages) != SQLITE_OK)
			return dbfail(s, "wal_autocheckpoint");
		return OA_OK;
	}
	/* Replaces the automatic checkpoint's own hook. */
	sqlite3_wal_hook(s->db, wal_hook, s);
	return OA_OK;
}

int store_wal_pages(store *s)
{
	return s->wal_pages;
}

oa_err store_checkpoint(store *s, int *wal_pages)
{
	int log = 0, done = 0;

	if (s->pg) {
		if (wal_pages)
			*wal_pages = 0;
		return OA_OK;
	}
	if (sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) !=
	    SQLITE_OK)
		return dbfail(s, "checkpoint");
	if (wal_pages)
		*wal_pages = log;
	return OA_OK;
}

oa_err store_tx_begin(store *s, int *own)
{
	*own = !s->in_tx;
	return *own ? store_begin(s) : store_savepoint(s);
}

oa_err store_tx_end(store *s, int own, oa_err rc)
{
	if (rc) {
		if (own)
			store_rollback(s);
		else
			store_rollback_to(s);
		return rc;
	}
	if ((rc = own ? store_commit(s) : store_release(s)) && !own)
		store_rollback_to(s);
	return rc;
}

int store_schema_version(store *s)
{
	return s->version;
}

oa_err store_copy_to(store *s, const char *path)
{
	store_stmt *st;
	struct stat sb;
	oa_err rc;

	if (store_in_tx(s))
		return oa_fail(OA_ERR_INTERNAL, "store_copy_to inside a transaction");
	if (stat(path, &sb) == 0)
		return oa_fail(OA_ERR_EXISTS, "%s exists", path);
	if (s->pg) /* the same rows in a new SQLite file, from one snapshot */
		return store_copy_pg_to_sqlite(s, path);
	/* the copy is made in a private directory: its mode is set after */
	if ((st = store_prepare(s, "VACUUM INTO ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, path);
	rc = store_run(st);
	if (rc == OA_OK)
		chmod(path, 0600);
	return rc;
}

int store_latest_version(void)
{
	return store_migrations[store_nmigrations - 1].version;
}

/* Applies the migrations up to target (0: all).  A database whose schema
 * is newer than every migration this program knows is refused before
 * anything is written: an older openams must never run on it. */
static oa_err migrate(store *s, int target)
{
	store_stmt *st;
	oa_err rc;

	if ((rc = store_exec(s, "CREATE TABLE IF NOT EXISTS schema_version ("
	                        " version INTEGER NOT NULL PRIMARY KEY,"
	                        " module TEXT NOT NULL,"
	                        " applied_at INTEGER NOT NULL)")))
		return rc;
	if ((st = store_prepare(s, "SELECT COALESCE(MAX(version), 0) FROM schema_version")) == NULL)
		return OA_ERR_STORE;
	if (store_step(st) != STORE_ROW) {
		store_reset(st);
		return OA_ERR_STORE;
	}
	s->version = (int)store_col_int(st, 0);
	store_reset(st);
	if (s->version > store_latest_version())
		return oa_fail(OA_ERR_STATE, "the database's schema version %d is newer than this"
		    " openams knows (%d): it was made or upgraded by a newer openams; run that"
		    " version (or newer) on it, or restore a backup made by this one", s->version,
		    store_latest_version());
	for (int i = 0; i < store_nmigrations; i++) {
		const struct migration *m = &store_migrations[i];
		if (m->version <= s->version)
			continue;
		if (target > 0 && m->version > target)
			break;
		if ((rc = store_begin(s)))
			return rc;
		if ((rc = store_exec(s, m->sql))) {
			store_rollback(s);
			return oa_fail(rc, "migration %d (%s): %s", m->version, m->module,
			    oa_errmsg());
		}
		st = store_prepare(s, "INSERT INTO schema_version(version, module, applied_at)"
		                      " VALUES (?, ?, strftime('%s','now'))");
		if (st == NULL) {
			store_rollback(s);
			return OA_ERR_STORE;
		}
		store_bind_int(st, 1, m->version);
		store_bind_text(st, 2, m->module);
		if ((rc = store_run(st)) || (rc = store_commit(s))) {
			store_rollback(s);
			return rc;
		}
		s->version = m->version;
	}
	return OA_OK;
}

oa_err store_open(const char *path, store **out)
{
	return store_open_at(path, 0, out);
}

oa_err store_open_at(const char *path, int target, store **out)
{
	store *s;
	oa_err rc;

	*out = NULL;
	if (target < 0 || target > store_latest_version())
		return oa_fail(OA_ERR_INVALID, "schema version %d: this openams knows 1..%d", target,
		    store_latest_version());
	if ((s = calloc(1, sizeof *s)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if (store_path_is_pg(path)) {
		if ((rc = pg_open(s, path, target))) {
			store_close(s);
			return rc;
		}
		*out = s;
		return OA_OK;
	}
	/* A new database file is the owner's alone (0600); SQLite gives its
	 * WAL and shared-memory files the database file's mode.  An existing
	 * file loses any permission for others.  Never open() and close() an
	 * existing database here: closing any descriptor of the file drops the
	 * POSIX locks this process's other connections hold on it. */
	if (strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0) {
		struct stat sb;
		if (stat(path, &sb) != 0) {
			int fd = errno == ENOENT ? open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
			if (fd < 0 && errno != EEXIST) {
				rc = oa_fail(OA_ERR_STORE, "%s: %s", path, strerror(errno));
				free(s);
				return rc;
			}
			if (fd >= 0)
				close(fd);
		} else if ((sb.st_mode & 07) != 0)
			chmod(path, sb.st_mode & 0770);
	}
	if (sqlite3_open_v2(path, &s->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK) {
		rc = oa_fail(OA_ERR_STORE, "%s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "cannot open");
		store_close(s);
		return rc;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	/* Plans that do not depend on the values bound: without this, a query
	 * whose parameter meets a partial index's condition (the CA's
	 * one-active-certificate check: profile = ? against the index's
	 * profile = 'individual') is compiled again at every new binding. */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_QPSG, 1, NULL);
	if ((rc = store_exec(s, "PRAGMA journal_mode=WAL")) ||
	    (rc = store_exec(s, "PRAGMA synchronous=FULL")) ||
	    (rc = store_exec(s, "PRAGMA foreign_keys=ON")) ||
	    (rc = store_exec(s, "PRAGMA trusted_schema=OFF")) ||
	    (rc = migrate(s, target))) {
		store_close(s);
		return rc;
	}
	*out = s;
	return OA_OK;
}

void store_close(store *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		sqlite3_finalize(s->cache[i].st);
		pg_stmt_free(&s->cache[i]);
		free(s->cache[i].sql);
	}
	if (s->pg) {
		pg_close(s);
		free(s);
		return;
	}
	for (int i = 0; i < TX__MAX; i++)
		sqlite3_finalize(s->tx[i]);
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	free(s);
}
