/*
 * lease.c - a named lease in the database, so that a duty runs in one
 * process at a time when several `openams serve` share one database (issue
 * 20, "scheduled duties run once"): the holder renews it on every round; a
 * process that stopped renewing (killed, hung, partitioned) loses it once it
 * has expired, and another takes it over.  One upsert, the same SQL on
 * SQLite (3.24 and later) and PostgreSQL.
 */
#include <stdio.h>
#include <string.h>

#include "store.h"

oa_err store_lease(store *s, const char *name, const char *holder, const char *stale,
    int64_t now, int64_t ttl, int *held)
{
	store_stmt *st;
	int own, step;
	oa_err rc;

	*held = 0;
	if (name == NULL || !*name || strlen(name) > 64 || holder == NULL || !*holder ||
	    strlen(holder) > 128 || ttl < 1 || ttl > 86400)
		return oa_fail(OA_ERR_INVALID, "a lease: a name of 1..64 bytes, a holder of 1..128, "
		                               "1..86400 seconds");
	if ((rc = store_tx_begin(s, &own)))
		return rc;
	/* Taken when free, expired, or already ours (then renewed). */
	if ((st = store_prepare(s, "INSERT INTO lease(name, holder, until_at) VALUES (?1, ?2, ?3)"
	                           " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
	                           " until_at = excluded.until_at"
	                           " WHERE lease.holder = excluded.holder OR lease.until_at <= ?4"
	                           " OR lease.holder = ?5")) == NULL)
		return store_tx_end(s, own, OA_ERR_STORE);
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, holder);
	store_bind_int(st, 3, now + ttl);
	store_bind_int(st, 4, now);
	store_bind_text(st, 5, stale && *stale ? stale : NULL);
	if ((rc = store_run(st)))
		return store_tx_end(s, own, rc);
	if ((st = store_prepare(s, "SELECT holder FROM lease WHERE name = ?")) == NULL)
		return store_tx_end(s, own, OA_ERR_STORE);
	store_bind_text(st, 1, name);
	if ((step = store_step(st)) == STORE_ROW)
		*held = strcmp(store_col_text(st, 0), holder) == 0;
	store_reset(st);
	return store_tx_end(s, own, step == STORE_ROW ? OA_OK : OA_ERR_STORE);
}

oa_err store_lease_holder(store *s, const char *name, char *out, size_t outsz)
{
	store_stmt *st = store_prepare(s, "SELECT holder FROM lease WHERE name = ?");
	int step;

	if (outsz)
		out[0] = 0;
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, name);
	if ((step = store_step(st)) == STORE_ROW && outsz)
		snprintf(out, outsz, "%s", store_col_text(st, 0));
	store_reset(st);
	return step == STORE_ROW || step == STORE_DONE ? OA_OK : OA_ERR_STORE;
}

oa_err store_lease_release(store *s, const char *name, const char *holder)
{
	store_stmt *st;
	int own;
	oa_err rc;

	if ((rc = store_tx_begin(s, &own)))
		return rc;
	if ((st = store_prepare(s, "DELETE FROM lease WHERE name = ? AND holder = ?")) == NULL)
		return store_tx_end(s, own, OA_ERR_STORE);
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, holder);
	return store_tx_end(s, own, store_run(st));
}
