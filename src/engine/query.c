/*
 * query.c - reading cases: one case, its history, a person's tasks, the
 * overdue steps and the per-step SLA statistics (mutu baku).  Nothing here
 * writes.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "engineInt.h"

/* ---- queries -------------------------------------------------------- */

#define CASE_COLS "c.id, c.version_id, c.org, v.sop_id, v.kind, c.applicant, c.state," \
	" COALESCE(c.step, ''), COALESCE(c.serial, ''), COALESCE(c.issued_serial, '')," \
	" COALESCE(c.reason, ''), c.created_at, COALESCE(c.closed_at, 0)," \
	" COALESCE(c.step_opened_at, 0), COALESCE(c.step_due_at, 0), c.transitions," \
	" COALESCE(c.applicant_nik, ''), COALESCE(c.applicant_nip, ''), COALESCE(c.applicant_email, '')," \
	" c.turn"

static void case_row(store_stmt *st, engine_case *c)
{
	memset(c, 0, sizeof *c);
	c->id = store_col_int(st, 0);
	c->version_id = store_col_int(st, 1);
	snprintf(c->org, sizeof c->org, "%s", store_col_text(st, 2));
	snprintf(c->sop_id, sizeof c->sop_id, "%s", store_col_text(st, 3));
	snprintf(c->kind, sizeof c->kind, "%s", store_col_text(st, 4));
	snprintf(c->applicant, sizeof c->applicant, "%s", store_col_text(st, 5));
	snprintf(c->state, sizeof c->state, "%s", store_col_text(st, 6));
	snprintf(c->step, sizeof c->step, "%s", store_col_text(st, 7));
	snprintf(c->serial, sizeof c->serial, "%s", store_col_text(st, 8));
	snprintf(c->issued, sizeof c->issued, "%s", store_col_text(st, 9));
	snprintf(c->reason, sizeof c->reason, "%s", store_col_text(st, 10));
	c->created_at = store_col_int(st, 11);
	c->closed_at = store_col_int(st, 12);
	c->step_opened_at = store_col_int(st, 13);
	c->step_due_at = store_col_int(st, 14);
	c->transitions = (int)store_col_int(st, 15);
	snprintf(c->applicant_nik, sizeof c->applicant_nik, "%s", store_col_text(st, 16));
	snprintf(c->applicant_nip, sizeof c->applicant_nip, "%s", store_col_text(st, 17));
	snprintf(c->applicant_email, sizeof c->applicant_email, "%s", store_col_text(st, 18));
	c->turn = (int)store_col_int(st, 19);
}

/* Gives fn each case of st (a SELECT of CASE_COLS, bound) until it returns
 * nonzero; resets st. */
static oa_err walk_cases(store_stmt *st, int (*fn)(const engine_case *, void *), void *arg)
{
	engine_case c;
	int step;

	while ((step = store_step(st)) == STORE_ROW) {
		case_row(st, &c);
		if (fn(&c, arg))
			break;
	}
	store_reset(st);
	return step < 0 ? OA_ERR_STORE : OA_OK;
}

oa_err engine_cases_of(engine *e, const char *applicant, int64_t limit,
    int (*fn)(const engine_case *, void *), void *arg)
{
	store_stmt *st = store_prepare(engine_store(e), "SELECT " CASE_COLS " FROM sop_case c"
	    " JOIN sop_version v ON v.id = c.version_id WHERE c.applicant = ?"
	    " ORDER BY c.state = 'open' DESC, c.id DESC LIMIT ?");

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, applicant);
	store_bind_int(st, 2, limit > 0 ? limit : -1);
	return walk_cases(st, fn, arg);
}

oa_err engine_cases_find(engine *e, const engine_case_find *q,
    int (*fn)(const engine_case *, void *), void *arg)
{
	static const char *const states[] = {"open", "completed", "rejected", "withdrawn"};
	char like[2 * 64 + 3], serial[41];
	int64_t id = -1;
	int state_ok = q->state == NULL, have_serial = 0;
	store_stmt *st;
	oa_err rc;

	for (size_t i = 0; !state_ok && i < sizeof states / sizeof states[0]; i++)
		state_ok = strcmp(q->state, states[i]) == 0;
	if (q->org == NULL || !state_ok)
		return oa_fail(OA_ERR_INVALID, "a search names the agency, and a state among open, "
		                               "completed, rejected, withdrawn");
	if (q->limit < 1 || q->limit > OA_MAX_LIST_ROWS)
		return oa_fail(OA_ERR_LIMIT, "at most %d cases at a time", OA_MAX_LIST_ROWS);
	if (q->text && (!*q->text || strlen(q->text) > 64 || !oa_is_clean_utf8(q->text)))
		return oa_fail(OA_ERR_INVALID, "the text to search is 1 to 64 characters");
	if (q->text) {
		const char *t = q->text[0] == '#' ? q->text + 1 : q->text;
		size_t n = strlen(t);
		if (n > 0 && n <= 18 && strspn(t, "0123456789") == n)
			id = strtoll(t, NULL, 10);
		have_serial = ca_serial_normalize(q->text, serial) == OA_OK;
		oa_err_clear();
		if ((rc = oa_like_contains(like, sizeof like, q->text)))
			return rc;
	}
	st = store_prepare(engine_store(e), "SELECT " CASE_COLS " FROM sop_case c"
	    " JOIN sop_version v ON v.id = c.version_id WHERE c.org = ?1"
	    " AND (?2 IS NULL OR c.state = ?2)"
	    " AND (?3 IS NULL OR c.id = ?4 OR c.applicant_nik = ?3 OR c.serial = ?5"
	    "  OR c.issued_serial = ?5 OR c.applicant LIKE ?6 ESCAPE '\\'"
	    "  OR c.applicant IN (SELECT p.id FROM auth_person p WHERE p.org = ?1"
	    "   AND lower(p.name) LIKE ?6 ESCAPE '\\'))"
	    " ORDER BY c.id DESC LIMIT ?7");
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, q->org);
	store_bind_text(st, 2, q->state);
	store_bind_text(st, 3, q->text);
	store_bind_int(st, 4, id);
	store_bind_text(st, 5, have_serial ? serial : "");
	store_bind_text(st, 6, q->text ? like : "");
	store_bind_int(st, 7, q->limit);
	return walk_cases(st, fn, arg);
}

oa_err engine_case_get(engine *e, int64_t id, engine_case *out)
{
	store_stmt *st = store_prepare(engine_store(e), "SELECT " CASE_COLS " FROM sop_case c JOIN sop_version v"
	                                      " ON v.id = c.version_id WHERE c.id = ?");
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, id);
	step = store_step(st);
	if (step == STORE_ROW)
		case_row(st, out);
	store_reset(st);
	if (step == STORE_DONE)
		return oa_fail(OA_ERR_NOTFOUND, "no case %" PRId64, id);
	return step == STORE_ROW ? OA_OK : OA_ERR_STORE;
}

oa_err engine_case_def(engine *e, int64_t id, const sop_def **def)
{
	engine_case c;
	oa_err rc;

	if ((rc = engine_case_get(e, id, &c)))
		return rc;
	return engine_def(e, c.version_id, def);
}

oa_err engine_case_def_of(engine *e, const engine_case *c, const sop_def **def)
{
	return engine_def(e, c->version_id, def);
}

oa_err engine_case_history(engine *e, int64_t id, int (*fn)(const engine_transition *, void *),
    void *arg)
{
	store_stmt *st = store_prepare(engine_store(e),
	    "SELECT seq, step, action, actor, role, COALESCE(decision, ''), COALESCE(next_step, ''),"
	    " COALESCE(note, ''), opened_at, done_at, COALESCE(standard_s, -1), working"
	    " FROM sop_transition WHERE case_id = ? ORDER BY seq");
	engine_transition t;
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, id);
	while ((step = store_step(st)) == STORE_ROW) {
		memset(&t, 0, sizeof t);
		t.seq = (int)store_col_int(st, 0);
		snprintf(t.step, sizeof t.step, "%s", store_col_text(st, 1));
		snprintf(t.action, sizeof t.action, "%s", store_col_text(st, 2));
		snprintf(t.actor, sizeof t.actor, "%s", store_col_text(st, 3));
		snprintf(t.role, sizeof t.role, "%s", store_col_text(st, 4));
		snprintf(t.decision, sizeof t.decision, "%s", store_col_text(st, 5));
		snprintf(t.next, sizeof t.next, "%s", store_col_text(st, 6));
		t.note = store_col_text(st, 7);
		t.opened_at = store_col_int(st, 8);
		t.done_at = store_col_int(st, 9);
		t.standard_s = store_col_int(st, 10);
		t.working = (int)store_col_int(st, 11);
		if (fn(&t, arg))
			break;
	}
	store_reset(st);
	return step < 0 ? OA_ERR_STORE : OA_OK;
}

/* 1 if who may act at the case's current step. */
static int is_task_of(engine *e, const engine_who *who, const engine_case *c)
{
	const sop_def *d;
	const sop_step *s;
	int i;
	const char *arole;

	if (engine_def(e, c->version_id, &d) != OA_OK || (i = sop_step_index(d, c->step)) < 0)
		return 0;
	s = &d->steps[i];
	arole = d->actors[d->steps[0].actors[0]].id;
	for (size_t j = 0; j < s->n_actors; j++) {
		const char *r = d->actors[s->actors[j]].id;
		int is_applicant = strcmp(who->person, c->applicant) == 0;
		if (!engine_holds(who, r) || (s->in_turn && (int)j != c->turn))
			continue;
		if (strcmp(r, arole) == 0 ? is_applicant : !is_applicant)
			return 1;
	}
	return 0;
}

/*
 * The ids and due times of a person's tasks, numbered: ?1 org, ?2..?17
 * roles, ?18 person (the statements using it number theirs from ?19).
 *
 * A case is a task when one of the person's roles acts at its step (in an
 * in_turn step, at its turn: pos = turn; pos < 0 is any actor of the step),
 * the applicant's role on their own case and any other role on the cases
 * of others.  Found from the person's roles, never by walking the agency's
 * open cases, in three disjoint parts:
 *   - others' cases at a step of one of the roles, not in turn;
 *   - others' cases at an in_turn step, at the turn of one of the roles;
 *   - the person's own cases where the applicant's role acts and they hold it.
 * The first two take a step of a version only for a role that is not the
 * version's applicant role.  Every case of a version has the same
 * applicant_role (the first actor of the first step, set at opening and
 * never changed), so any one case of the version says which role that is
 * (the first at sop_case_task); a version without cases has no tasks.  The
 * first two read sop_case_task (migration 17) in ranges of (org, version,
 * step[, turn]), the third sop_case_applicant.
 */
#define TASK_ROLES "(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
#define TASK_STEPS(cols, pos) \
	" (SELECT DISTINCT " cols " FROM sop_version v0 JOIN sop_step_role r ON r.version_id = v0.id" \
	" WHERE v0.org = ?1 AND r.role IN " TASK_ROLES " AND " pos " AND r.role <>" \
	" (SELECT c0.applicant_role FROM sop_case c0 WHERE c0.org = ?1" \
	" AND c0.version_id = r.version_id ORDER BY c0.step LIMIT 1)) s"
/* CROSS JOIN: SQLite reads the steps first, then sop_case_task by each. */
#define TASK_IDS \
	"SELECT c.id, c.step_due_at FROM" TASK_STEPS("r.version_id AS vid, r.step AS step", "r.pos < 0") \
	" CROSS JOIN sop_case c WHERE c.org = ?1 AND c.version_id = s.vid AND c.step = s.step" \
	" AND c.state = 'open' AND c.applicant <> ?18" \
	" UNION ALL SELECT c.id, c.step_due_at FROM" \
	TASK_STEPS("r.version_id AS vid, r.step AS step, r.pos AS pos", "r.pos >= 0") \
	" CROSS JOIN sop_case c WHERE c.org = ?1 AND c.version_id = s.vid AND c.step = s.step" \
	" AND c.state = 'open' AND c.turn = s.pos AND c.applicant <> ?18" \
	" UNION ALL SELECT c.id, c.step_due_at FROM sop_case c WHERE c.applicant = ?18" \
	" AND c.org = ?1 AND c.state = 'open' AND EXISTS (SELECT 1 FROM sop_step_role r" \
	" WHERE r.version_id = c.version_id AND r.step = c.step AND r.role = c.applicant_role" \
	" AND r.role IN " TASK_ROLES " AND (r.pos < 0 OR r.pos = c.turn))"

static void bind_who(store_stmt *st, const engine_who *who)
{
	store_bind_text(st, 1, who->org);
	for (size_t i = 0; i < 16; i++)
		store_bind_text(st, (int)i + 2, i < who->nroles ? who->roles[i] : NULL);
	store_bind_text(st, 18, who->person);
}

/* Whether the open case w (of task_ids' walk) is a task of ?1/?2..?17/?18:
 * a role of the person acts at its step (at its turn), the applicant's role
 * exactly on their own case. */
#define TASK_OF_W \
	" EXISTS (SELECT 1 FROM sop_step_role r WHERE r.version_id = w.version_id" \
	" AND r.step = w.step AND r.role IN " TASK_ROLES " AND (r.pos < 0 OR r.pos = w.turn)" \
	" AND (r.role = w.applicant_role) = (w.applicant = ?18))"

/* The walk of task_ids: at most this many tasks before the page's end (the
 * inbox's first 8 pages; beyond, or for the API's 1,000, the sort is cheaper
 * than probing 4 (skip + n) cases). */
#define TASK_WALK_MAX 200

struct task_ids {
	int64_t *id;
	size_t n, cap;
};

/*
 * Into out, the ids of one part of who's tasks (part 0: the steps with a due
 * time, by due time then number; 1: those without, by number): skip of them,
 * then at most n; avail is how many the part holds (counted).  A desk's
 * tasks are most of the agency's open cases: the first try walks those in
 * the part's order (sop_case_org_due, no sort), asking of each whether it is
 * a task, and stops at the page's end or after 4 (skip + n) + 64 cases; it
 * is enough when it found the page or the part's end.  Otherwise (tasks are
 * few among the open cases, or the page is deep) the ids of the part's
 * tasks are sorted (TASK_IDS).
 */
static oa_err task_ids(engine *e, const engine_who *who, int part, int64_t skip, int64_t n,
    int64_t avail, struct task_ids *out)
{
	store_stmt *st;
	int step;
	int64_t seen;

	out->n = 0;
	for (int walk = skip + n <= TASK_WALK_MAX; walk >= 0; walk--) {
		if (walk)
			st = store_prepare(engine_store(e), part == 0 ?
			    "SELECT w.id," TASK_OF_W " FROM sop_case w WHERE w.org = ?1"
			    " AND w.state = 'open' AND w.step_due_at IS NOT NULL"
			    " ORDER BY w.step_due_at, w.id LIMIT ?19" :
			    "SELECT w.id," TASK_OF_W " FROM sop_case w WHERE w.org = ?1"
			    " AND w.state = 'open' AND w.step_due_at IS NULL"
			    " ORDER BY w.id LIMIT ?19");
		else
			st = store_prepare(engine_store(e), part == 0 ?
			    "SELECT t.id, 1 FROM (" TASK_IDS ") t WHERE t.step_due_at IS NOT NULL"
			    " ORDER BY t.step_due_at, t.id LIMIT ?20 OFFSET ?21" :
			    "SELECT t.id, 1 FROM (" TASK_IDS ") t WHERE t.step_due_at IS NULL"
			    " ORDER BY t.id LIMIT ?20 OFFSET ?21");
		if (st == NULL)
			return OA_ERR_STORE;
		bind_who(st, who);
		if (walk)
			store_bind_int(st, 19, 4 * (skip + n) + 64);
		else {
			store_bind_int(st, 20, n);
			store_bind_int(st, 21, skip);
		}
		out->n = 0;
		step = STORE_DONE;
		seen = walk ? 0 : skip; /* tasks passed: the walk skips its own */
		while ((int64_t)out->n < n && (step = store_step(st)) == STORE_ROW) {
			if (!store_col_int(st, 1) || seen++ < skip)
				continue;
			if (out->n == out->cap) {
				size_t cap = out->cap ? 2 * out->cap : 64;
				int64_t *id = realloc(out->id, cap * sizeof *id);
				if (id == NULL) {
					store_reset(st);
					return oa_fail(OA_ERR_NOMEM, "out of memory");
				}
				out->id = id;
				out->cap = cap;
			}
			out->id[out->n++] = store_col_int(st, 0);
		}
		store_reset(st);
		if (step < 0)
			return OA_ERR_STORE;
		if ((int64_t)out->n == n || skip + (int64_t)out->n >= avail)
			break;
	}
	return OA_OK;
}

/*
 * The counts of a person's tasks, kept between requests.  Counting costs in
 * proportion to the desk (about 2 ms of SQLite for 10,000 tasks), and the
 * counts change only when a case changes or when the clock passes a task's
 * due time.  So an entry holds, for one (org, person, roles): the counts;
 * the generation they were read at, which is the audit log's head (every
 * committed change of a case writes its audit record in the same
 * transaction, DESIGN.md invariant 7, by whichever process made it); the
 * time they were counted at; and the earliest due time at or after it.  It
 * is exact while the generation is unchanged and the clock is between the
 * two: no task becomes overdue before its due time has passed.  Never used
 * inside a caller's transaction, whose writes may still roll back (keep 0).
 * Direct-mapped, one mutex: a collision only evicts.
 */
#define COUNT_SLOTS 256
#define COUNT_KEY   (AUTH_MAX_ID * 18 + 20)

typedef struct count_entry {
	int used;
	char key[COUNT_KEY];
	size_t klen;
	int64_t gen, from, until; /* exact while gen and from <= now <= until */
	int64_t total, with_due, overdue;
} count_entry;

static count_entry counts_cache[COUNT_SLOTS];
static pthread_mutex_t counts_lock = PTHREAD_MUTEX_INITIALIZER;

/* who as one key (org, person, each role, NUL-separated); 0 if too long. */
static size_t count_key(const engine_who *who, char *out)
{
	size_t n = 0, l;
	const char *part[18];
	size_t np = 0;

	part[np++] = who->org;
	part[np++] = who->person;
	for (size_t i = 0; i < who->nroles && i < 16; i++)
		part[np++] = who->roles[i];
	for (size_t i = 0; i < np; i++) {
		if ((l = strlen(part[i]) + 1) > COUNT_KEY - n)
			return 0;
		memcpy(out + n, part[i], l);
		n += l;
	}
	return n;
}

static size_t count_slot(const char *key, size_t n)
{
	return (size_t)(oa_fnv1a(0, key, n) % COUNT_SLOTS);
}

/* Into total/with_due/overdue from the cache: 1 if an exact entry was there. */
static int counts_cached(const char *key, size_t klen, int64_t gen, int64_t now, int64_t *total,
    int64_t *with_due, int64_t *overdue)
{
	count_entry *c = &counts_cache[count_slot(key, klen)];
	int hit;

	pthread_mutex_lock(&counts_lock);
	hit = c->used && c->gen == gen && c->klen == klen && memcmp(c->key, key, klen) == 0 &&
	      c->from <= now && now <= c->until;
	if (hit) {
		*total = c->total;
		*with_due = c->with_due;
		*overdue = c->overdue;
	}
	pthread_mutex_unlock(&counts_lock);
	return hit;
}

static void counts_keep(const char *key, size_t klen, int64_t gen, int64_t now, int64_t until,
    int64_t total, int64_t with_due, int64_t overdue)
{
	count_entry *c = &counts_cache[count_slot(key, klen)];

	pthread_mutex_lock(&counts_lock);
	c->used = 1;
	memcpy(c->key, key, klen);
	c->klen = klen;
	c->gen = gen;
	c->from = now;
	c->until = until;
	c->total = total;
	c->with_due = with_due;
	c->overdue = overdue;
	pthread_mutex_unlock(&counts_lock);
}

/* The counts of who's tasks at now: from the cache, or counted in SQL over
 * the person's tasks only (and kept). */
static oa_err task_counts(engine *e, const engine_who *who, int64_t now, int keep,
    int64_t *total, int64_t *with_due, int64_t *overdue)
{
	store *db = engine_store(e);
	store_stmt *st;
	char key[COUNT_KEY];
	size_t klen = count_key(who, key);
	int64_t gen = -1, until = INT64_MAX;
	int step;

	if (klen > 0 && keep && audit_head_seq(db, &gen) != OA_OK) {
		oa_err_clear();
		gen = -1;
	}
	if (gen >= 0 && klen > 0 && counts_cached(key, klen, gen, now, total, with_due, overdue))
		return OA_OK;
	if ((st = store_prepare(db, "SELECT COUNT(*), COUNT(t.step_due_at),"
	                            " COALESCE(SUM(CASE WHEN t.step_due_at > 0 AND"
	                            " t.step_due_at < ?19 THEN 1 ELSE 0 END), 0),"
	                            " MIN(CASE WHEN t.step_due_at >= ?19 THEN t.step_due_at END)"
	                            " FROM (" TASK_IDS ") t")) == NULL)
		return OA_ERR_STORE;
	bind_who(st, who);
	store_bind_int(st, 19, now);
	if ((step = store_step(st)) == STORE_ROW) {
		*total = store_col_int(st, 0);
		*with_due = store_col_int(st, 1);
		*overdue = store_col_int(st, 2);
		if (!store_col_isnull(st, 3))
			until = store_col_int(st, 3);
	}
	store_reset(st);
	if (step < 0)
		return OA_ERR_STORE;
	if (gen >= 0 && klen > 0)
		counts_keep(key, klen, gen, now, until, *total, *with_due, *overdue);
	return OA_OK;
}

oa_err engine_tasks_page(engine *e, const engine_who *who, int64_t now, int64_t offset,
    int64_t limit, int64_t *total, int64_t *overdue,
    int (*fn)(const engine_case *, void *), void *arg)
{
	engine_case c;
	struct task_ids ids = {0};
	int stop = 0, own = 0;
	int64_t with_due = 0;
	oa_err rc = OA_OK;

	*total = *overdue = 0;
	if ((rc = engine_check_who(who)))
		return rc;
	if (who->nroles == 0)
		return OA_OK;
	if (offset < 0 || limit < 0)
		return oa_fail(OA_ERR_INVALID, "offset and limit must not be negative");
	/* One read transaction for the counts and the page (unless the caller
	 * has a transaction): one snapshot, and SQLite takes its read lock once
	 * instead of once per statement (25 rows: half of the page's time). */
	if (!store_in_tx(engine_store(e))) {
		if ((rc = store_begin_read(engine_store(e))))
			return rc;
		own = 1;
	}
	if ((rc = task_counts(e, who, now, own, total, &with_due, overdue))) {
		if (own)
			store_rollback(engine_store(e));
		return rc;
	}
	/* The page in two parts, the steps with a due time first, then those
	 * without: the page's ids (task_ids), then only those rows read. */
	for (int part = 0; part < 2 && limit > 0 && !stop && *total > 0; part++) {
		int64_t skip = part == 0 ? offset : offset > with_due ? offset - with_due : 0;
		int64_t avail = part == 0 ? with_due : *total - with_due;
		if (skip >= avail)
			continue;
		if ((rc = task_ids(e, who, part, skip, limit < avail - skip ? limit : avail - skip, avail,
		         &ids)))
			break;
		for (size_t i = 0; i < ids.n && !stop; i++) {
			if ((rc = engine_case_get(e, ids.id[i], &c)))
				break;
			limit--;
			stop = is_task_of(e, who, &c) && fn(&c, arg);
		}
		if (rc)
			break;
	}
	free(ids.id);
	if (own)
		store_rollback(engine_store(e)); /* read only: nothing to keep */
	return rc;
}

/* All of who's tasks: one page as long as they are (the same walk, the
 * same order). */
oa_err engine_tasks(engine *e, const engine_who *who, int (*fn)(const engine_case *, void *),
    void *arg)
{
	int64_t total, overdue;

	return engine_tasks_page(e, who, oa_now(), 0, INT64_MAX, &total, &overdue, fn, arg);
}

oa_err engine_overdue(engine *e, const char *org, int64_t now,
    int (*fn)(const engine_case *, void *), void *arg)
{
	store_stmt *st = store_prepare(engine_store(e), "SELECT " CASE_COLS " FROM sop_case c JOIN sop_version v"
	                                      " ON v.id = c.version_id WHERE c.org = ? AND"
	                                      " c.state = 'open' AND c.step_due_at < ?"
	                                      " ORDER BY c.step_due_at, c.id");

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, org);
	store_bind_int(st, 2, now);
	return walk_cases(st, fn, arg);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static int64_t percentile(const int64_t *v, size_t n, int pct)
{
	size_t rank = (size_t)((pct * n + 99) / 100);
	return v[rank ? rank - 1 : 0];
}

static oa_err step_stats(engine *e, const char *org, const char *sop_id, const sop_def *d,
    const sop_step *s, int64_t now, engine_step_stats *out)
{
	store_stmt *st;
	int64_t *v = NULL;
	size_t n = 0, cap = 0, within = 0;
	int step;

	memset(out, 0, sizeof *out);
	snprintf(out->sop_id, sizeof out->sop_id, "%s", sop_id);
	snprintf(out->step, sizeof out->step, "%s", s->id);
	out->working = s->time.working;
	out->standard_s = sla_standard(engine_cal(e), &s->time);
	/* Durations of completed steps (not closings by reject or withdraw, nor
	 * the earlier turns of an `in_turn` step). */
	st = store_prepare(engine_store(e), "SELECT t.opened_at, t.done_at, t.working, t.standard_s"
	                          " FROM sop_transition t JOIN sop_case c ON c.id = t.case_id"
	                          " JOIN sop_version v ON v.id = c.version_id"
	                          " WHERE c.org = ? AND v.sop_id = ? AND t.step = ?"
	                          " AND (t.decision IS NULL OR t.decision IN ('yes', 'no'))"
	                          " AND t.action <> 'turn'");   /* a step in turn: its last act */
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, org);
	store_bind_text(st, 2, sop_id);
	store_bind_text(st, 3, s->id);
	while ((step = store_step(st)) == STORE_ROW) {
		int64_t dur = sla_duration(engine_cal(e), (int)store_col_int(st, 2), store_col_int(st, 0),
		    store_col_int(st, 1));
		if (n == cap) {
			int64_t *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof *v);
			if (nv == NULL) {
				store_reset(st);
				free(v);
				return oa_fail(OA_ERR_NOMEM, "out of memory");
			}
			v = nv;
		}
		v[n++] = dur;
		if (!store_col_isnull(st, 3) && dur <= store_col_int(st, 3))
			within++;
	}
	store_reset(st);
	if (step < 0) {
		free(v);
		return OA_ERR_STORE;
	}
	out->count = (int64_t)n;
	if (n) {
		qsort(v, n, sizeof *v, cmp64);
		out->median_s = percentile(v, n, 50);
		out->p90_s = percentile(v, n, 90);
	}
	out->within = out->standard_s < 0 || n == 0 ? -1.0 : (double)within / (double)n;
	free(v);
	st = store_prepare(engine_store(e), "SELECT COUNT(*), COALESCE(SUM(c.step_due_at < ?), 0)"
	                          " FROM sop_case c JOIN sop_version v ON v.id = c.version_id"
	                          " WHERE c.org = ? AND v.sop_id = ? AND c.state = 'open' AND c.step = ?");
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, now);
	store_bind_text(st, 2, org);
	store_bind_text(st, 3, sop_id);
	store_bind_text(st, 4, s->id);
	if (store_step(st) == STORE_ROW) {
		out->open = store_col_int(st, 0);
		out->overdue = store_col_int(st, 1);
	}
	store_reset(st);
	(void)d;
	return OA_OK;
}

oa_err engine_sla(engine *e, const char *org, const char *sop_id, int64_t now,
    int (*fn)(const engine_step_stats *, void *), void *arg)
{
	store_stmt *st;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int step;
	oa_err rc = OA_OK;

	/* Each SOP is measured against its active (else newest) definition's steps. */
	st = store_prepare(engine_store(e), "SELECT id FROM sop_version v WHERE org = ? AND (? IS NULL OR sop_id = ?)"
	                          " AND id = (SELECT id FROM sop_version w WHERE w.org = v.org AND"
	                          " w.sop_id = v.sop_id ORDER BY w.active DESC, w.version DESC LIMIT 1)"
	                          " ORDER BY sop_id");
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, org);
	store_bind_text(st, 2, sop_id);
	store_bind_text(st, 3, sop_id);
	/* Every SOP of the organisation: no silent cap on how many. */
	while ((step = store_step(st)) == STORE_ROW) {
		if (n == cap) {
			int64_t *p = realloc(ids, (cap = cap ? 2 * cap : 16) * sizeof *ids);
			if (p == NULL) {
				rc = oa_fail(OA_ERR_NOMEM, "out of memory");
				break;
			}
			ids = p;
		}
		ids[n++] = store_col_int(st, 0);
	}
	store_reset(st);
	if (rc == OA_OK && step < 0)
		rc = OA_ERR_STORE;
	for (size_t i = 0; i < n && rc == OA_OK; i++) {
		const sop_def *d;
		if ((rc = engine_def(e, ids[i], &d)))
			break;
		for (size_t j = 0; j < d->n_steps && rc == OA_OK; j++) {
			engine_step_stats ss;
			if ((rc = step_stats(e, org, d->id, d, &d->steps[j], now, &ss)))
				break;
			if (fn(&ss, arg))
				goto out;
		}
	}
out:
	free(ids);
	return rc;
}


/* ---- documents and data of a case ----------------------------------- */

/* The columns doc_row() reads, in its order. */
#define DOC_COLS "doc, sha256, filename, added_by, added_at, step"

static void doc_row(store_stmt *st, engine_doc *d)
{
	memset(d, 0, sizeof *d);
	snprintf(d->doc, sizeof d->doc, "%s", store_col_text(st, 0));
	snprintf(d->sha256, sizeof d->sha256, "%s", store_col_text(st, 1));
	snprintf(d->filename, sizeof d->filename, "%s", store_col_text(st, 2));
	snprintf(d->added_by, sizeof d->added_by, "%s", store_col_text(st, 3));
	d->added_at = store_col_int(st, 4);
	snprintf(d->step, sizeof d->step, "%s", store_col_text(st, 5));
}

oa_err engine_case_documents(engine *e, int64_t id, int (*fn)(const engine_doc *, void *),
    void *arg)
{
	store_stmt *st = store_prepare(engine_store(e),
	    "SELECT " DOC_COLS " FROM sop_case_document"
	    " WHERE case_id = ? ORDER BY added_at, doc");
	engine_doc d;
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, id);
	while ((step = store_step(st)) == STORE_ROW) {
		doc_row(st, &d);
		if (fn(&d, arg))
			break;
	}
	store_reset(st);
	return step == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}

oa_err engine_case_document(engine *e, int64_t id, const char *sha256, engine_doc *out)
{
	store_stmt *st = store_prepare(engine_store(e),
	    "SELECT " DOC_COLS " FROM sop_case_document"
	    " WHERE case_id = ? AND sha256 = ? ORDER BY added_at, doc LIMIT 1");
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_text(st, 2, sha256);
	if ((step = store_step(st)) == STORE_ROW)
		doc_row(st, out);
	store_reset(st);
	if (step == STORE_DONE)
		return oa_fail(OA_ERR_NOTFOUND, "case %" PRId64 " has no such document", id);
	return step == STORE_ROW ? OA_OK : OA_ERR_STORE;
}

oa_err engine_case_datum(engine *e, int64_t id, const char *key, char *value, size_t valsz,
    char *set_by, size_t bysz, int64_t *set_at)
{
	store_stmt *st = store_prepare(engine_store(e),
	    "SELECT value, set_by, set_at FROM sop_case_data WHERE case_id = ? AND key = ?");
	int step;

	value[0] = 0;
	if (set_by && bysz)
		set_by[0] = 0;
	if (set_at)
		*set_at = 0;
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, id);
	store_bind_text(st, 2, key);
	if ((step = store_step(st)) == STORE_ROW) {
		snprintf(value, valsz, "%s", store_col_text(st, 0));
		if (set_by && bysz)
			snprintf(set_by, bysz, "%s", store_col_text(st, 1));
		if (set_at)
			*set_at = store_col_int(st, 2);
	}
	store_reset(st);
	return step == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}

oa_err engine_case_counts(engine *e, int64_t now, int (*fn)(const char *org, int64_t open,
    int64_t overdue, void *arg), void *arg)
{
	store_stmt *st = store_prepare(engine_store(e),
	    "SELECT org, COUNT(*), COALESCE(SUM(step_due_at > 0 AND step_due_at < ?), 0)"
	    " FROM sop_case WHERE state = 'open' GROUP BY org ORDER BY org");
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, now);
	while ((step = store_step(st)) == STORE_ROW)
		if (fn(store_col_text(st, 0), store_col_int(st, 1), store_col_int(st, 2), arg))
			break;
	store_reset(st);
	return step == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}
