/*
 * audit.h - the append-only, hash-chained audit log.
 *
 * Every state change in openams appends one record inside the same
 * transaction as the change itself, so a change and its record commit
 * together or not at all.  Record n stores
 *   hash_n = SHA-256(prev_hash || seq || at || actor || action || object || detail)
 * (each field length-prefixed), with prev_hash of record 1 = 64 zeros.
 * audit_verify() recomputes the chain and names the first record that was
 * changed, removed or reordered.  Triggers in the schema refuse UPDATE and
 * DELETE; the chain catches whoever bypasses them with a raw file editor.
 *
 * Details must never contain secrets: pass identifiers only.
 */
#ifndef OA_AUDIT_H
#define OA_AUDIT_H

#include <stdint.h>

#include "../common/err.h"
#include "../store/store.h"

/*
 * Appends one record.  Must be called inside a write transaction
 * (store_begin); OA_ERR_INTERNAL otherwise.  detail may be NULL.
 */
oa_err audit_append(store *s, const char *actor, const char *action,
    const char *object, const char *detail);

typedef struct audit_report {
	int64_t rows;      /* records checked */
	int64_t first_bad; /* seq of the first bad record, 0 if intact */
	char reason[256];  /* what is wrong with it */
	char head[65];     /* hash of the last record ("" if the log is empty) */
} audit_report;

/*
 * Walks the whole log.  Returns OA_OK when intact; OA_ERR_STATE when not,
 * with the first bad record in r.  Other codes are failures to read.
 * In its own read snapshot, or, when the caller holds a transaction of s
 * open, inside it (what `openams store copy` checks before it commits).
 */
oa_err audit_verify(store *s, audit_report *r);

typedef struct audit_record {
	int64_t seq, at;
	const char *actor, *action, *object, *detail, *hash; /* borrowed for the callback */
} audit_record;

typedef struct audit_query {
	const char *org;     /* only this agency's records; NULL: all (the instance's
	                      * administrators) */
	const char *actor;   /* NULL or "": any */
	const char *action;  /* NULL or "": any */
	int64_t limit;       /* 1..OA_MAX_AUDIT_PAGE */
	int64_t offset;
} audit_query;

/*
 * The records matching q, newest first; fn returning non-zero stops.  An
 * agency's records are those made by its people or about its objects (see
 * audit.c); verification (audit_verify) stays over the whole chain.
 */
oa_err audit_list(store *s, const audit_query *q, int (*fn)(const audit_record *, void *),
    void *arg);

/* The sequence number of the last record (0 for an empty log): it changes
 * with every state change, so caches of derived answers key on it. */
oa_err audit_head_seq(store *s, int64_t *seq);

#endif
