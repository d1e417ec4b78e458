/*
 * validate.c - the rules a loaded SOP must obey before an engine may run it:
 * the step graph (reachability, a way out of every loop, issue and revoke at
 * most once per path) and what each kind of SOP needs.
 *
 * The loader (load.c) has already resolved every reference; when one could
 * not be resolved (refs_ok == 0) the graph rules are skipped, because a
 * broken edge would only produce echoes of the error already reported.
 *
 * All walks are breadth-first over at most OA_MAX_SOP_STEPS nodes.
 */
#include "sopInt.h"

#include <stdlib.h>
#include <string.h>

#include "../common/limits.h"

/* An id for messages (NULL when the id itself was bad). */
#define ID(x) ((x) ? (x) : "?")

/* True if step s performs action a (itself, or as a decision's "yes"). */
static int performs(const sop_step *s, sop_action a)
{
	return s->action == a || (s->action == SOP_ACT_DECIDE && s->yes_action == a);
}

/* Where a case goes once step s has performed a: the step's exits after it. */
static int after(const sop_step *s, sop_action a, int out[2])
{
	if (s->action == SOP_ACT_DECIDE && s->yes_action == a) {
		out[0] = s->yes;
		return 1;
	}
	return sop_succ(s, out);
}

/*
 * Marks in seen[] every step reachable from starts (the starts included),
 * never walking past a step that performs avoid (SOP_ACT_NONE: no limit;
 * a decision whose "yes" performs avoid is left by its "no" only).
 * Returns 1 if the end can be reached.
 */
static int walk(const sop_def *d, const int *starts, size_t n_starts, sop_action avoid,
    unsigned char *seen)
{
	int queue[OA_MAX_SOP_STEPS + 2];
	size_t head = 0, tail = 0;
	int end = 0;

	memset(seen, 0, d->n_steps);
	for (size_t i = 0; i < n_starts; i++) {
		if (starts[i] == SOP_END)
			end = 1;
		else if (starts[i] >= 0 && !seen[starts[i]]) {
			seen[starts[i]] = 1;
			queue[tail++] = starts[i];
		}
	}
	while (head < tail) {
		const sop_step *s = &d->steps[queue[head++]];
		int succ[2], n;

		if (avoid != SOP_ACT_NONE && s->action == avoid)
			continue;
		if (avoid != SOP_ACT_NONE && s->action == SOP_ACT_DECIDE && s->yes_action == avoid) {
			succ[0] = s->no;
			n = 1;
		} else
			n = sop_succ(s, succ);
		for (int k = 0; k < n; k++) {
			if (succ[k] == SOP_END)
				end = 1;
			else if (succ[k] >= 0 && !seen[succ[k]]) {
				seen[succ[k]] = 1;
				queue[tail++] = succ[k];
			}
		}
	}
	return end;
}

static const char *act_verb(sop_action a)
{
	return a == SOP_ACT_ISSUE ? "issues a certificate" : "revokes a certificate";
}

/* issue and revoke: CA operators only, and at most once on any path. */
static void check_ca_steps(const sop_def *d, sop_errors *e, int graph, unsigned char *seen)
{
	static const sop_action acts[] = {SOP_ACT_ISSUE, SOP_ACT_REVOKE};

	for (size_t i = 0; i < d->n_steps; i++) {
		const sop_step *s = &d->steps[i];

		for (size_t k = 0; k < 2; k++) {
			sop_action a = acts[k];
			int out[2], n;

			if (!performs(s, a))
				continue;
			for (size_t j = 0; j < s->n_actors; j++) {
				const sop_actor *ac = &d->actors[s->actors[j]];

				if (!ac->ca_operator)
					sop_err_add(e, s->line, "step %s %s, but its actor `%s` is not the "
					    "CA-operator role; give the step a CA-operator actor (such as "
					    "BSrE or OP) or mark that actor `ca_operator: true`", ID(s->id),
					    act_verb(a), ID(ac->id));
			}
			/* No actor at all was already reported by the loader. */
			if (!graph)
				continue;
			n = after(s, a, out);
			walk(d, out, (size_t)n, SOP_ACT_NONE, seen);
			for (size_t j = 0; j < d->n_steps; j++)
				if (seen[j] && performs(&d->steps[j], a)) {
					if (j == i)
						sop_err_add(e, s->line, "step %s %s and a loop leads back "
						    "to it, so one case could do it twice; a case %s only "
						    "once: let the loop return before this step", ID(s->id),
						    act_verb(a), a == SOP_ACT_ISSUE ? "issues" : "revokes");
					else
						sop_err_add(e, s->line, "step %s %s and step %s can do it "
						    "again on the same path; a case %s only once: keep one "
						    "of them", ID(s->id), act_verb(a), ID(d->steps[j].id),
						    a == SOP_ACT_ISSUE ? "issues" : "revokes");
					break;
				}
		}
	}
}

static size_t count_performing(const sop_def *d, sop_action a)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_steps; i++)
		n += performs(&d->steps[i], a) != 0;
	return n;
}

/* First step (file order) marked in seen[] that performs a; -1 if none. */
static int first_seen(const sop_def *d, const unsigned char *seen, sop_action a)
{
	for (size_t i = 0; i < d->n_steps; i++)
		if (seen[i] && performs(&d->steps[i], a))
			return (int)i;
	return -1;
}

/* The exits after every step performing a, collected into out. */
static size_t afters(const sop_def *d, sop_action a, int *out)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_steps; i++)
		if (performs(&d->steps[i], a))
			n += (size_t)after(&d->steps[i], a, out + n);
	return n;
}

static void check_kind(const sop_def *d, sop_errors *e, int graph, unsigned char *seen,
    int *starts)
{
	size_t n_issue = count_performing(d, SOP_ACT_ISSUE);
	size_t n_revoke = count_performing(d, SOP_ACT_REVOKE);
	int first = 0, line = d->n_steps ? d->steps[0].line : 1, j;
	const char *kind = sop_kind_name(d->kind);

	switch (d->kind) {
	case SOP_KIND_ISSUANCE:
		if (n_issue == 0)
			sop_err_add(e, line, "an issuance SOP needs a step with `action: issue` "
			    "(done by the CA-operator actor) where the certificate is issued; add it");
		if (n_revoke > 0)
			sop_err_add(e, line, "an issuance SOP must not revoke; use kind renewal or "
			    "passphrase_reset for SOPs that replace a certificate");
		break;
	case SOP_KIND_REVOCATION:
		if (n_revoke == 0)
			sop_err_add(e, line, "a revocation SOP needs a step with `action: revoke` "
			    "(or a decision with `yes_action: revoke`) done by the CA-operator actor; "
			    "add it");
		if (n_issue > 0)
			sop_err_add(e, line, "a revocation SOP must not issue; use kind "
			    "passphrase_reset for revoke-then-issue");
		break;
	case SOP_KIND_RENEWAL:
	case SOP_KIND_PASSPHRASE_RESET:
		if (n_issue == 0)
			sop_err_add(e, line, "a %s SOP needs a step with `action: issue` for the new "
			    "certificate; add it", kind);
		if (n_revoke == 0)
			sop_err_add(e, line, "a %s SOP needs a step with `action: revoke` for the old "
			    "certificate; add it", kind);
		break;
	default:
		return;
	}
	{
		size_t recorders = 0;
		int app = d->n_steps && d->steps[0].n_actors ? d->steps[0].actors[0] : -1;

		for (size_t i = 0; i < d->n_steps; i++) {
			const sop_step *s = &d->steps[i];
			if (!s->records_reason)
				continue;
			recorders++;
			if (d->kind != SOP_KIND_REVOCATION && d->kind != SOP_KIND_PASSPHRASE_RESET)
				sop_err_add(e, s->line, "step %s: `records_reason` is for revocation and "
				    "passphrase_reset SOPs; a %s SOP revokes for a fixed reason", ID(s->id),
				    kind);
			else if (s->action == SOP_ACT_NOTIFY || s->action == SOP_ACT_DONE)
				sop_err_add(e, s->line, "step %s runs by itself: nobody there can record "
				    "the revocation reason; put `records_reason` on a step a person does",
				    ID(s->id));
			else if (s->n_actors && s->actors[0] == app)
				sop_err_add(e, s->line, "step %s: the applicant chooses a reason when "
				    "opening the case (`reasons:`); `records_reason` is for the staff who "
				    "read it in the applicant's letter", ID(s->id));
		}
		if ((d->kind == SOP_KIND_REVOCATION || d->kind == SOP_KIND_PASSPHRASE_RESET) &&
		    d->n_reasons == 0 && recorders == 0)
			sop_err_add(e, line, "a %s SOP needs `reasons:`, the revocation reasons the "
			    "applicant may choose, each with its RFC 5280 reason, or a step with "
			    "`records_reason: true` where staff record the reason; add one", kind);
	}
	if (d->kind == SOP_KIND_RENEWAL) {
		/* The old certificate is superseded by the new one (RFC 5280 5.3.1). */
		for (size_t i = 0; i < d->n_steps; i++) {
			const sop_step *s = &d->steps[i];

			if (performs(s, SOP_ACT_REVOKE) && (s->reason < 0 ||
			    d->reasons[s->reason].crl != SOP_CRL_SUPERSEDED))
				sop_err_add(e, s->line, "step %s: in a renewal the new certificate "
				    "supersedes the old one; give this step `reason: ID` naming a "
				    "reason with `rfc5280: superseded`", ID(s->id));
		}
	}
	if (!graph || n_issue == 0 || n_revoke == 0)
		return;
	if (d->kind == SOP_KIND_RENEWAL) {
		walk(d, &first, 1, SOP_ACT_ISSUE, seen);
		if ((j = first_seen(d, seen, SOP_ACT_REVOKE)) >= 0)
			sop_err_add(e, d->steps[j].line, "step %s revokes the old certificate before "
			    "the new one is issued; in a renewal the issue step comes first, then "
			    "the old certificate is revoked as superseded", ID(d->steps[j].id));
		for (size_t i = 0; i < d->n_steps; i++) {
			int out[2], n;

			if (!performs(&d->steps[i], SOP_ACT_ISSUE))
				continue;
			n = after(&d->steps[i], SOP_ACT_ISSUE, out);
			if (walk(d, out, (size_t)n, SOP_ACT_REVOKE, seen))
				sop_err_add(e, d->steps[i].line, "after step %s issues the new "
				    "certificate the SOP can end without revoking the old one; add a "
				    "revoke step (reason superseded) on every path after it",
				    ID(d->steps[i].id));
		}
	} else if (d->kind == SOP_KIND_PASSPHRASE_RESET) {
		size_t n;

		walk(d, &first, 1, SOP_ACT_REVOKE, seen);
		if ((j = first_seen(d, seen, SOP_ACT_ISSUE)) >= 0)
			sop_err_add(e, d->steps[j].line, "step %s issues a new certificate on a path "
			    "that has not revoked the old one; a passphrase reset revokes first "
			    "(one active certificate per person), then issues", ID(d->steps[j].id));
		n = afters(d, SOP_ACT_REVOKE, starts);
		walk(d, starts, n, SOP_ACT_SET_PASSPHRASE, seen);
		if ((j = first_seen(d, seen, SOP_ACT_ISSUE)) >= 0)
			sop_err_add(e, d->steps[j].line, "step %s issues the new certificate but the "
			    "holder has not set a new passphrase since the revocation; add a step "
			    "with `action: set_passphrase` between the revoke and the issue steps",
			    ID(d->steps[j].id));
		if (count_performing(d, SOP_ACT_SET_PASSPHRASE) == 0)
			sop_err_add(e, line, "a passphrase_reset SOP needs a step with "
			    "`action: set_passphrase` where the holder chooses the new passphrase");
	}
}

/* Every step reachable from the first, and the end reachable from every step. */
static void check_graph(const sop_def *d, sop_errors *e, unsigned char *seen)
{
	unsigned char *live;
	int first = 0, changed = 1;

	walk(d, &first, 1, SOP_ACT_NONE, seen);
	for (size_t i = 0; i < d->n_steps; i++)
		if (!seen[i])
			sop_err_add(e, d->steps[i].line, "step %s cannot be reached from the first "
			    "step (%s); point a `next`, `yes` or `no` at it, or remove it",
			    ID(d->steps[i].id), ID(d->steps[0].id));
	/* live[i]: the end can be reached from step i (a fixed point, at most n rounds). */
	if ((live = calloc(d->n_steps, 1)) == NULL)
		return;
	while (changed) {
		changed = 0;
		for (size_t i = 0; i < d->n_steps; i++) {
			int succ[2], n = sop_succ(&d->steps[i], succ);

			if (live[i])
				continue;
			for (int k = 0; k < n; k++)
				if (succ[k] == SOP_END || (succ[k] >= 0 && live[succ[k]])) {
					live[i] = 1;
					changed = 1;
				}
		}
	}
	for (size_t i = 0; i < d->n_steps; i++) {
		char list[256] = "";
		size_t more = 0;

		if (live[i] || !seen[i])
			continue;
		/* Report the first stuck step once, naming the others stuck with it. */
		for (size_t j = i + 1; j < d->n_steps; j++)
			if (!live[j] && seen[j]) {
				if (strlen(list) + strlen(ID(d->steps[j].id)) + 3 < sizeof list) {
					strcat(list, *list ? ", " : "");
					strcat(list, ID(d->steps[j].id));
				} else
					more++;
				live[j] = 1;
			}
		sop_err_add(e, d->steps[i].line, "from step %s%s%s%s no path reaches the end (a loop "
		    "with no exit); give a decision in the loop a branch that leaves it, or end "
		    "a step with `next: end`", ID(d->steps[i].id), *list ? " (and " : "", list,
		    *list ? (more ? ", ...)" : ")") : "");
		break;
	}
	free(live);
}

/* `in_turn: true`: at least two different actors, all staff, acting one
 * after the other on a step a person does. */
static void check_in_turn(const sop_def *d, sop_errors *e)
{
	int app = d->n_steps && d->steps[0].n_actors ? d->steps[0].actors[0] : -1;

	for (size_t i = 0; i < d->n_steps; i++) {
		const sop_step *s = &d->steps[i];
		if (!s->in_turn)
			continue;
		if (i == 0)
			sop_err_add(e, s->line, "step %s: the first step is the applicant's; "
			    "`in_turn` is for a later step done by several staff actors in turn",
			    ID(s->id));
		else if (s->action == SOP_ACT_NOTIFY || s->action == SOP_ACT_DONE)
			sop_err_add(e, s->line, "step %s runs by itself: nobody there acts in turn; "
			    "remove `in_turn`", ID(s->id));
		else if (s->n_actors < 2)
			sop_err_add(e, s->line, "step %s: `in_turn` needs a list of at least two actors "
			    "(`actor: [verifikator, kepala]`), who act in that order", ID(s->id));
		for (size_t j = 0; i > 0 && j < s->n_actors; j++) {
			if (s->actors[j] == app)
				sop_err_add(e, s->line, "step %s: the applicant acts alone; `in_turn` is "
				    "for staff actors (remove %s from the list)", ID(s->id),
				    ID(d->actors[app].id));
			for (size_t k = 0; k < j; k++)
				if (s->actors[k] == s->actors[j])
					sop_err_add(e, s->line, "step %s: actor %s is listed twice; in turn, "
					    "each actor acts once", ID(s->id), ID(d->actors[s->actors[j]].id));
		}
	}
}

void sop_validate(const sop_def *d, sop_errors *e, int refs_ok)
{
	unsigned char *seen;
	int *starts;

	if (d->n_steps == 0)
		return;
	seen = calloc(d->n_steps, 1);
	starts = calloc(2 * d->n_steps, sizeof *starts);
	if (seen == NULL || starts == NULL) {
		sop_err_add(e, 0, "out of memory while validating");
		goto out;
	}
	if (refs_ok)
		check_graph(d, e, seen);
	check_ca_steps(d, e, refs_ok, seen);
	check_kind(d, e, refs_ok, seen, starts);
	check_in_turn(d, e);
out:
	free(seen);
	free(starts);
}
