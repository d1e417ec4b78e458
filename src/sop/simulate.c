/*
 * simulate.c - walks an SOP definition with synthetic actors and documents
 * and records what a case would do: which step, who, which action, the
 * standard time, and the branch taken at each decision.
 *
 * The walk has no side effects and is bounded by SOP_SIM_MAX_STEPS, so a
 * definition whose loops are only left by "yes" still terminates: every
 * "no" is asked for explicitly, once per --no.
 */
#include "sopInt.h"

#include <stdlib.h>
#include <string.h>

static oa_err push(sop_trace *tr, sop_trace_entry e, size_t *cap)
{
	if (tr->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		sop_trace_entry *v = realloc(tr->v, nc * sizeof *v);

		if (v == NULL)
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		tr->v = v;
		*cap = nc;
	}
	tr->v[tr->n++] = e;
	return OA_OK;
}

oa_err sop_simulate(const sop_def *d, const char *const *no_steps, size_t n_no,
    sop_trace *tr)
{
	unsigned *nos;
	size_t cap = 0;
	int cur = 0;
	oa_err rc = OA_OK;

	memset(tr, 0, sizeof *tr);
	if (d->n_steps == 0)
		return oa_fail(OA_ERR_INVALID, "%s has no steps", d->path);
	if ((nos = calloc(d->n_steps, sizeof *nos)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n_no; i++) {
		int k = sop_step_index(d, no_steps[i]);

		if (k < 0) {
			rc = oa_fail(OA_ERR_NOTFOUND, "--no %s: there is no step `%s` in %s",
			    no_steps[i], no_steps[i], d->path);
			goto out;
		}
		if (d->steps[k].action != SOP_ACT_DECIDE) {
			rc = oa_fail(OA_ERR_INVALID, "--no %s: step %s is not a decision "
			    "(action %s)", no_steps[i], no_steps[i],
			    sop_action_name(d->steps[k].action));
			goto out;
		}
		nos[k]++;
	}
	while (cur != SOP_END) {
		const sop_step *s = &d->steps[cur];
		sop_trace_entry e = {cur, s->action, SOP_ACT_NONE, 0, SOP_NONE};

		if (tr->n >= SOP_SIM_MAX_STEPS) {
			rc = oa_fail(OA_ERR_LIMIT, "%s: stopped after %d steps without reaching "
			    "the end", d->path, SOP_SIM_MAX_STEPS);
			goto out;
		}
		if (s->action == SOP_ACT_DECIDE) {
			if (nos[cur] > 0) {
				nos[cur]--;
				e.decision = 2;
				e.next = s->no;
			} else {
				e.decision = 1;
				e.extra = s->yes_action;
				e.next = s->yes;
			}
		} else
			e.next = s->next;
		if (e.next == SOP_NONE) {
			rc = oa_fail(OA_ERR_INTERNAL, "step %s has no way on", s->id);
			goto out;
		}
		if (!s->time.none) {
			if (s->time.working) {
				tr->work_min_s += s->time.min_s;
				tr->work_max_s += s->time.max_s;
			} else {
				tr->min_s += s->time.min_s;
				tr->max_s += s->time.max_s;
			}
		} else
			tr->untimed++;
		if ((rc = push(tr, e, &cap)))
			goto out;
		cur = e.next;
	}
	for (size_t i = 0; i < d->n_steps; i++)
		if (nos[i] > 0) {
			rc = oa_fail(OA_ERR_INVALID, "--no %s was asked %u more time%s than the walk "
			    "reached that decision", d->steps[i].id, nos[i], nos[i] == 1 ? "" : "s");
			goto out;
		}
out:
	free(nos);
	return rc;
}

void sop_trace_free(sop_trace *tr)
{
	free(tr->v);
	memset(tr, 0, sizeof *tr);
}

static void actors_of(const sop_def *d, const sop_step *s, char *out, size_t outsz)
{
	size_t len = 0;

	out[0] = '\0';
	if (s->n_actors == 0)
		snprintf(out, outsz, "-");
	for (size_t i = 0; i < s->n_actors && len < outsz; i++) {
		snprintf(out + len, outsz - len, "%s%s", i ? "/" : "", d->actors[s->actors[i]].id);
		len = strlen(out);
	}
}

static void span(char *out, size_t outsz, int64_t lo, int64_t hi)
{
	char a[64], b[64];

	sop_time_format(a, sizeof a, lo);
	if (lo == hi) {
		snprintf(out, outsz, "%s", a);
		return;
	}
	sop_time_format(b, sizeof b, hi);
	snprintf(out, outsz, "%s to %s", a, b);
}

void sop_trace_print(const sop_def *d, const sop_trace *tr, FILE *out)
{
	char actors[512], act[64], dec[96], total[160];

	fprintf(out, "# %s: %s (%s, %zu steps)\n", d->path, d->name, sop_kind_name(d->kind),
	    d->n_steps);
	fprintf(out, "# %4s  %-8s %-24s %-24s %-14s %s\n", "seq", "step", "actor", "action",
	    "time", "decision");
	for (size_t i = 0; i < tr->n; i++) {
		const sop_trace_entry *e = &tr->v[i];
		const sop_step *s = &d->steps[e->step];
		const char *to = e->next == SOP_END ? "end" : d->steps[e->next].id;

		actors_of(d, s, actors, sizeof actors);
		if (e->extra != SOP_ACT_NONE)
			snprintf(act, sizeof act, "%s+%s", sop_action_name(e->action),
			    sop_action_name(e->extra));
		else
			snprintf(act, sizeof act, "%s", e->action == SOP_ACT_NONE ? "-" :
			    sop_action_name(e->action));
		snprintf(dec, sizeof dec, "%s->%s", e->decision == 1 ? "yes" :
		    e->decision == 2 ? "no" : "", to);
		fprintf(out, "  %4zu  %-8s %-24s %-24s %-14s %s\n", i + 1, s->id, actors, act,
		    s->time.none ? "-" : s->time.text, dec);
	}
	span(total, sizeof total, tr->min_s, tr->max_s);
	fprintf(out, "end after %zu steps; total standard time: %s", tr->n, total);
	if (tr->work_max_s > 0) {
		span(total, sizeof total, tr->work_min_s, tr->work_max_s);
		fprintf(out, " plus %s in working days", total);
	}
	if (tr->untimed)
		fprintf(out, " (%zu step%s without a standard time)", tr->untimed,
		    tr->untimed == 1 ? "" : "s");
	fputc('\n', out);
}
