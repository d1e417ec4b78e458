/*
 * load.c - reads one SOP definition (YAML, libyaml's document API) into a
 * resolved sop_def, collecting every problem as "line: message".
 *
 * Responsible for: syntax, the shape of the file (known keys, required keys,
 * types), limits from limits.h, id syntax and uniqueness, and resolving every
 * reference (actor, document, reason, next/yes/no target) to an index.  The
 * rules about the step graph and the SOP kinds live in validate.c.
 *
 * Never trusts the file: every node is visited at most once (YAML aliases
 * are refused, so a small file cannot expand into a huge tree), every text
 * is bounded, valid UTF-8 and free of control characters.
 */
#include "sopLoadInt.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "../common/limits.h"
#include "../common/roleid.h"
#include "../common/yaml_bound.h"

static const char *const months[] = {
	"januari", "februari", "maret", "april", "mei", "juni", "juli",
	"agustus", "september", "oktober", "november", "desember",
};

/* "", "-", "11 Oktober 2022" or "2022-10-11"; NULL if bad (reported). */
static char *date(ld *l, yaml_node_t *n, const char *key)
{
	char *s = ld_text(l, n, "`dates`", key, 64);
	int day, year, m, len = 0;
	char month[16];

	if (s == NULL)
		return NULL;
	if (*s == '\0' || strcmp(s, "-") == 0) {
		s[0] = '\0';
		return s;
	}
	if (sscanf(s, "%d %15[A-Za-z] %d%n", &day, month, &year, &len) == 3 &&
	    s[len] == '\0') {
		for (m = 0; m < 12; m++)
			if (strcasecmp(month, months[m]) == 0)
				break;
		if (m < 12 && day >= 1 && day <= 31 && year >= 1945 && year <= 2200)
			return s;
	} else {
		int64_t t;

		if (strlen(s) == 10 && oa_time_parse(s, &t) == OA_OK)
			return s;
	}
	ld_err(l, n, "`dates`: `%s` \"%s\" is not a date; write e.g. \"11 Oktober 2022\", "
	    "\"2022-10-11\", or \"-\" when there is none", key, s);
	free(s);
	return NULL;
}

static void parse_agency(ld *l, yaml_node_t *n)
{
	static const struct field f[] = {
		{"government", 0, ""},
		{"name", F_REQ, "the agency's name, e.g. DINAS KOMUNIKASI DAN INFORMATIKA"},
		{"unit", 0, ""},
		{"address", 0, ""},
	};
	yaml_node_t *v[NF(f)];

	if (!ld_scan(l, n, "`agency`", f, NF(f), v))
		return;
	l->d->agency.government = v[0] ? ld_text(l, v[0], "`agency`", "government", OA_MAX_SOP_TEXT) : NULL;
	l->d->agency.name = v[1] ? ld_text_req(l, v[1], "`agency`", "name", OA_MAX_SOP_TEXT) : NULL;
	l->d->agency.unit = v[2] ? ld_text(l, v[2], "`agency`", "unit", OA_MAX_SOP_TEXT) : NULL;
	l->d->agency.address = v[3] ? ld_text(l, v[3], "`agency`", "address", OA_MAX_SOP_TEXT) : NULL;
}

static void parse_dates(ld *l, yaml_node_t *n)
{
	static const struct field f[] = {
		{"made", 0, ""},
		{"revised", 0, ""},
		{"effective", 0, ""},
	};
	yaml_node_t *v[NF(f)];

	if (!ld_scan(l, n, "`dates`", f, NF(f), v))
		return;
	l->d->made = v[0] ? date(l, v[0], "made") : NULL;
	l->d->revised = v[1] ? date(l, v[1], "revised") : NULL;
	l->d->effective = v[2] ? date(l, v[2], "effective") : NULL;
}

static void parse_approver(ld *l, yaml_node_t *n)
{
	static const struct field f[] = {
		{"title", F_REQ, "the official's position, e.g. KEPALA DINAS ..."},
		{"name", 0, ""},
		{"nip", 0, ""},
		{"signed_electronically", 0, ""},
		{"rank", 0, ""},
	};
	yaml_node_t *v[NF(f)];
	sop_def *d = l->d;

	if (!ld_scan(l, n, "`approved_by`", f, NF(f), v))
		return;
	d->approver.title = v[0] ? ld_text_req(l, v[0], "`approved_by`", "title", OA_MAX_SOP_TEXT) : NULL;
	d->approver.name = v[1] ? ld_text(l, v[1], "`approved_by`", "name", OA_MAX_SOP_TEXT) : NULL;
	if (v[2] && (d->approver.nip = ld_text(l, v[2], "`approved_by`", "nip", 64)) != NULL &&
	    *d->approver.nip) {
		size_t digits = 0;
		int bad = 0;

		for (const char *p = d->approver.nip; *p; p++) {
			if (isdigit((unsigned char)*p))
				digits++;
			else if (*p != ' ')
				bad = 1;
		}
		if (bad || digits != 18)
			ld_err(l, v[2], "`approved_by`: `nip` \"%s\" is not a NIP; a NIP has 18 digits "
			    "(spaces between groups are fine)", d->approver.nip);
	}
	if (v[3])
		d->approver.signed_electronically = ld_boolean(l, v[3], "`approved_by`",
		    "signed_electronically") == 1;
	d->approver.rank = v[4] ? ld_text(l, v[4], "`approved_by`", "rank", OA_MAX_SOP_TEXT) : NULL;
}

static void parse_actors(ld *l, yaml_node_t *n)
{
	static const struct field f[] = {
		{"id", F_REQ, "a short id used by the steps, e.g. `id: verifikator`"},
		{"name", F_REQ, "the column header as on the form, e.g. VERIFIKATOR"},
		{"ca_operator", 0, ""},
	};
	yaml_node_item_t *it;
	size_t count;
	sop_def *d = l->d;

	it = ld_seq(l, n, "actors", OA_MAX_SOP_ACTORS, "OA_MAX_SOP_ACTORS", &count);
	if (ld_is_empty(n))
		ld_err(l, n, "`actors` is empty; list every actor (PELAKSANA) of the SOP");
	if (it == NULL || count == 0)
		return;
	if ((d->actors = ld_calloc(l, count, sizeof *d->actors)) == NULL)
		return;
	for (; it < n->data.sequence.items.top; it++) {
		yaml_node_t *v[NF(f)], *a = ld_node(l, *it);
		sop_actor *ac;
		int dup;

		if (!ld_scan(l, a, "an actor", f, NF(f), v))
			continue;
		ac = &d->actors[d->n_actors];
		ac->line = ld_line_of(a);
		if (v[0] && (ac->id = ld_ident(l, v[0], "actor", "id")) != NULL &&
		    !oa_role_valid(ac->id)) {
			/* the id is the role people are granted (common/roleid.h) */
			ld_err(l, v[0], "actor id `%s` can never be granted as a role: role names are 1 to "
			    "%d lowercase letters, digits and `_` (for example `kepala_dinas`)", ac->id,
			    OA_MAX_ROLE_ID);
			free(ac->id);
			ac->id = NULL;
		} else if (ac->id && (dup = sop_actor_index(d, ac->id)) >= 0) {
			ld_err(l, v[0], "duplicate actor id `%s` (first on line %d); ids must be unique",
			    ac->id, d->actors[dup].line);
			free(ac->id);
			ac->id = NULL;
		}
		if (v[1])
			ac->name = ld_text_req(l, v[1], "actor", "name", OA_MAX_SOP_TEXT);
		if (v[2])
			ac->ca_operator = ld_boolean(l, v[2], "actor", "ca_operator") == 1;
		d->n_actors++;
	}
}

static void parse_documents(ld *l, yaml_node_t *n)
{
	static const struct field f[] = {
		{"id", F_REQ, "a short id used by steps and reasons"},
		{"name", F_REQ, "the document's name as on the form"},
	};
	yaml_node_item_t *it;
	size_t count;
	sop_def *d = l->d;

	if ((it = ld_seq(l, n, "documents", OA_MAX_SOP_LIST, "OA_MAX_SOP_LIST", &count)) == NULL)
		return;
	if ((d->documents = ld_calloc(l, count, sizeof *d->documents)) == NULL)
		return;
	for (; it < n->data.sequence.items.top; it++) {
		yaml_node_t *v[NF(f)], *a = ld_node(l, *it);
		sop_document *doc;
		int dup;

		if (!ld_scan(l, a, "a document", f, NF(f), v))
			continue;
		doc = &d->documents[d->n_documents];
		doc->line = ld_line_of(a);
		if (v[0] && (doc->id = ld_ident(l, v[0], "document", "id")) != NULL &&
		    (dup = sop_document_index(d, doc->id)) >= 0) {
			ld_err(l, v[0], "duplicate document id `%s` (first on line %d); ids must be unique",
			    doc->id, d->documents[dup].line);
			free(doc->id);
			doc->id = NULL;
		}
		if (v[1])
			doc->name = ld_text_req(l, v[1], "document", "name", OA_MAX_SOP_TEXT);
		d->n_documents++;
	}
}

/* Resolves a document reference; -1 if unknown (reported). */
static int doc_ref(ld *l, yaml_node_t *n, const char *what)
{
	char *id = ld_ident(l, n, what, "doc");
	int i;

	if (id == NULL)
		return -1;
	if ((i = sop_document_index(l->d, id)) < 0)
		ld_err(l, n, "%s: unknown document `%s`; declare it under `documents:` or fix the id",
		    what, id);
	free(id);
	return i;
}

static void parse_reasons(ld *l, yaml_node_t *n)
{
	static const struct field f[] = {
		{"id", F_REQ, "a short id"},
		{"label", F_REQ, "the reason as the SOP words it"},
		{"rfc5280", F_REQ, "unspecified, keyCompromise, affiliationChanged, superseded or cessationOfOperation"},
		{"documents", 0, ""},
	};
	yaml_node_item_t *it;
	size_t count;
	sop_def *d = l->d;

	if ((it = ld_seq(l, n, "reasons", OA_MAX_SOP_LIST, "OA_MAX_SOP_LIST", &count)) == NULL)
		return;
	if ((d->reasons = ld_calloc(l, count, sizeof *d->reasons)) == NULL)
		return;
	for (; it < n->data.sequence.items.top; it++) {
		yaml_node_t *v[NF(f)], *a = ld_node(l, *it);
		sop_reason *r;
		char *s;
		int dup;

		if (!ld_scan(l, a, "a reason", f, NF(f), v))
			continue;
		r = &d->reasons[d->n_reasons++];
		r->line = ld_line_of(a);
		if (v[0] && (r->id = ld_ident(l, v[0], "reason", "id")) != NULL &&
		    (dup = sop_reason_index(d, r->id)) >= 0 && dup != (int)d->n_reasons - 1) {
			ld_err(l, v[0], "duplicate reason id `%s` (first on line %d); ids must be unique",
			    r->id, d->reasons[dup].line);
			free(r->id);
			r->id = NULL;
		}
		if (v[1])
			r->label = ld_text_req(l, v[1], "reason", "label", OA_MAX_SOP_TEXT);
		if (v[2] && (s = ld_text_req(l, v[2], "reason", "rfc5280", OA_MAX_SOP_ID)) != NULL) {
			int c = sop_crl_reason_from_name(s);

			if (c < 0)
				ld_err(l, v[2], "reason: unknown RFC 5280 reason `%s`; use unspecified, "
				    "keyCompromise, affiliationChanged, superseded or cessationOfOperation",
				    s);
			else
				r->crl = (sop_crl_reason)c;
			free(s);
		}
		if (v[3]) {
			size_t nd;
			yaml_node_item_t *di = ld_seq(l, v[3], "documents", OA_MAX_SOP_LIST,
			    "OA_MAX_SOP_LIST", &nd);

			if (di == NULL || (r->docs = ld_calloc(l, nd, sizeof *r->docs)) == NULL)
				continue;
			for (; di < v[3]->data.sequence.items.top; di++) {
				yaml_node_t *dn = ld_node(l, *di);
				int k;

				if (dn != NULL && (k = doc_ref(l, dn, "reason")) >= 0)
					r->docs[r->n_docs++] = k;
			}
		}
	}
}

/* The keys of a step, in the order of the struct field table below. */
enum {
	S_ID, S_ACTIVITY, S_ACTOR, S_REQUIRES, S_TIME, S_OUTPUT, S_NOTES, S_ACTION,
	S_YES_ACTION, S_REASON, S_NEXT, S_YES, S_NO, S_YES_LABEL, S_NO_LABEL, S_RECORDS_REASON,
	S_IN_TURN, S__N
};

static const struct field step_fields[S__N] = {
	[S_ID] = {"id", F_REQ, "the step number as on the form, e.g. `id: 1`"},
	[S_ACTIVITY] = {"activity", F_REQ, "the activity text (KEGIATAN)"},
	[S_ACTOR] = {"actor", 0, ""},
	[S_REQUIRES] = {"requires", 0, ""},
	[S_TIME] = {"time", 0, ""},
	[S_OUTPUT] = {"output", 0, ""},
	[S_NOTES] = {"notes", 0, ""},
	[S_ACTION] = {"action", 0, ""},
	[S_YES_ACTION] = {"yes_action", 0, ""},
	[S_REASON] = {"reason", 0, ""},
	[S_NEXT] = {"next", 0, ""},
	[S_YES] = {"yes", 0, ""},
	[S_NO] = {"no", 0, ""},
	[S_YES_LABEL] = {"yes_label", 0, ""},
	[S_NO_LABEL] = {"no_label", 0, ""},
	[S_RECORDS_REASON] = {"records_reason", 0, ""},
	[S_IN_TURN] = {"in_turn", 0, ""},
};

/* A next/yes/no target: a step index or SOP_END; SOP_NONE if bad. */
static int target(ld *l, yaml_node_t *n, const char *what, const char *key)
{
	char *s = ld_text_req(l, n, what, key, OA_MAX_SOP_ID);
	int i;

	if (s == NULL) {
		l->refs_ok = 0;
		return SOP_NONE;
	}
	if (strcmp(s, "end") == 0) {
		free(s);
		return SOP_END;
	}
	if ((i = sop_step_index(l->d, s)) < 0) {
		ld_err(l, n, "%s: `%s` names step `%s`, which does not exist; use a step id or `end`",
		    what, key, s);
		l->refs_ok = 0;
		i = SOP_NONE;
	}
	free(s);
	return i;
}

static int action(ld *l, yaml_node_t *n, const char *what, const char *key)
{
	char *s = ld_text_req(l, n, what, key, OA_MAX_SOP_ID);
	int a;

	if (s == NULL)
		return -1;
	if ((a = sop_action_from_name(s)) < 0)
		ld_err(l, n, "%s: unknown action `%s`; use one of forward, decide, upload, "
		    "register_account, fill_identity, approve_identity, set_passphrase, issue, "
		    "revoke, notify, sign_letter, done (or leave `%s` out for a manual step)",
		    what, s, key);
	free(s);
	return a;
}

static void step_actors(ld *l, sop_step *s, yaml_node_t *n, const char *what)
{
	yaml_node_item_t *it = NULL;
	size_t count = 1;

	if (n->type == YAML_SEQUENCE_NODE) {
		if ((it = ld_seq(l, n, "actor", OA_MAX_SOP_ACTORS, "OA_MAX_SOP_ACTORS", &count)) == NULL)
			return;
	} else if (n->type != YAML_SCALAR_NODE) {
		ld_err(l, n, "%s: `actor` must be an actor id or a list of ids, not %s", what,
		    ld_type_name(n));
		return;
	}
	if ((s->actors = ld_calloc(l, count, sizeof *s->actors)) == NULL)
		return;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *a = it ? ld_node(l, it[i]) : n;
		char *id;
		int k;

		if (a == NULL || (id = ld_ident(l, a, what, "actor")) == NULL)
			continue;
		if ((k = sop_actor_index(l->d, id)) < 0) {
			char list[512] = "";

			for (size_t j = 0; j < l->d->n_actors; j++)
				if (l->d->actors[j].id &&
				    strlen(list) + strlen(l->d->actors[j].id) + 3 < sizeof list) {
					strcat(list, *list ? ", " : "");
					strcat(list, l->d->actors[j].id);
				}
			ld_err(l, a, "%s: unknown actor `%s`; declare it under `actors:` or use one of: %s",
			    what, id, *list ? list : "(no actors declared)");
		} else {
			int dup = 0;

			for (size_t j = 0; j < s->n_actors; j++)
				dup |= s->actors[j] == k;
			if (dup)
				ld_err(l, a, "%s: actor `%s` is listed twice; list it once", what, id);
			else
				s->actors[s->n_actors++] = k;
		}
		free(id);
	}
}

static void step_requires(ld *l, sop_step *s, yaml_node_t *n, const char *what)
{
	yaml_node_item_t *it;
	size_t count;

	if ((it = ld_seq(l, n, "requires", OA_MAX_SOP_LIST, "OA_MAX_SOP_LIST", &count)) == NULL)
		return;
	if ((s->inputs = ld_calloc(l, count, sizeof *s->inputs)) == NULL)
		return;
	for (; it < n->data.sequence.items.top; it++) {
		yaml_node_t *v = ld_node(l, *it);
		sop_input *in = &s->inputs[s->n_inputs];

		if (v == NULL)
			continue;
		if (v->type == YAML_MAPPING_NODE) {
			static const struct field f[] = {
				{"doc", F_REQ, "a document id from `documents:`"},
				{"own", 0, ""},
			};
			yaml_node_t *dv[2];

			if (!ld_scan(l, v, "an item of `requires`", f, 2, dv) || dv[0] == NULL)
				continue;
			if ((in->doc = doc_ref(l, dv[0], what)) < 0)
				continue;
			in->own = dv[1] && ld_boolean(l, dv[1], what, "own") == 1;
		} else {
			if ((in->text = ld_text_req(l, v, what, "requires", OA_MAX_SOP_TEXT)) == NULL)
				continue;
			in->doc = SOP_NONE;
		}
		s->n_inputs++;
	}
}

/* Everything of a step except its id (pass 2: all ids are known). */
static void parse_step(ld *l, size_t idx, yaml_node_t *map, yaml_node_t **v)
{
	sop_def *d = l->d;
	sop_step *s = &d->steps[idx];
	char what[OA_MAX_SOP_ID + 16];
	int a;

	snprintf(what, sizeof what, "step %s", s->id ? s->id : "?");
	if (v[S_ACTIVITY])
		s->activity = ld_text_req(l, v[S_ACTIVITY], what, "activity", OA_MAX_SOP_TEXT);
	if (v[S_ACTION] && (a = action(l, v[S_ACTION], what, "action")) >= 0)
		s->action = (sop_action)a;
	if (v[S_ACTOR])
		step_actors(l, s, v[S_ACTOR], what);
	else if (s->action != SOP_ACT_DONE)
		ld_err(l, map, "%s is missing `actor` (who does it: an actor id, or a list of ids "
		    "for \"A / B\"); add it", what);
	if (v[S_REQUIRES])
		step_requires(l, s, v[S_REQUIRES], what);
	if (v[S_TIME]) {
		char *t = ld_text(l, v[S_TIME], what, "time", 64);

		if (t != NULL) {
			if (sop_time_parse(t, d->working_days, &s->time) != OA_OK) {
				ld_err(l, v[S_TIME], "%s: %s", what, oa_errmsg());
				free(t);
			} else
				s->time.text = t;
		}
	} else
		s->time.none = 1;
	if (v[S_OUTPUT])
		s->output = ld_text(l, v[S_OUTPUT], what, "output", OA_MAX_SOP_TEXT);
	if (v[S_NOTES])
		ld_text_list(l, v[S_NOTES], what, "notes", 1, &s->notes);

	s->yes_action = SOP_ACT_NONE;
	s->reason = SOP_NONE;
	s->next = s->yes = s->no = SOP_NONE;
	if (v[S_YES_ACTION]) {
		if (s->action != SOP_ACT_DECIDE)
			ld_err(l, v[S_YES_ACTION], "%s: `yes_action` is only for decisions; add "
			    "`action: decide` or write the action as `action:`", what);
		else if ((a = action(l, v[S_YES_ACTION], what, "yes_action")) >= 0) {
			if (a == SOP_ACT_DECIDE || a == SOP_ACT_DONE)
				ld_err(l, v[S_YES_ACTION], "%s: `yes_action` cannot be `%s`; use a separate "
				    "step", what, sop_action_name((sop_action)a));
			else
				s->yes_action = (sop_action)a;
		}
	}
	if (v[S_REASON]) {
		char *r = ld_ident(l, v[S_REASON], what, "reason");

		if (r != NULL) {
			if (s->action != SOP_ACT_REVOKE && s->yes_action != SOP_ACT_REVOKE)
				ld_err(l, v[S_REASON], "%s: `reason` fixes the revocation reason of a "
				    "revoke step; this step does not revoke; remove it", what);
			else if ((a = sop_reason_index(d, r)) < 0)
				ld_err(l, v[S_REASON], "%s: unknown reason `%s`; declare it under "
				    "`reasons:` or fix the id", what, r);
			else
				s->reason = a;
			free(r);
		}
	}
	if (v[S_RECORDS_REASON])
		s->records_reason = ld_boolean(l, v[S_RECORDS_REASON], what, "records_reason") == 1;
	if (v[S_IN_TURN])
		s->in_turn = ld_boolean(l, v[S_IN_TURN], what, "in_turn") == 1;
	/* what a decision's buttons say ("Lengkap - kirim tautan data diri") */
	for (int k = S_YES_LABEL; k <= S_NO_LABEL; k++) {
		const char *key = k == S_YES_LABEL ? "yes_label" : "no_label";
		char *t;
		if (!v[k])
			continue;
		if (s->action != SOP_ACT_DECIDE) {
			ld_err(l, v[k], "%s: `%s` names a decision's button; this step is not a decision; "
			    "remove it", what, key);
			continue;
		}
		if ((t = ld_text_req(l, v[k], what, key, OA_MAX_SOP_LABEL)) != NULL) {
			if (k == S_YES_LABEL)
				s->yes_label = t;
			else
				s->no_label = t;
		}
	}
	if (s->action == SOP_ACT_DECIDE) {
		if (v[S_NEXT])
			ld_err(l, v[S_NEXT], "%s: a decision goes on by `yes` and `no`, not `next`; "
			    "remove `next`", what);
		if (v[S_YES])
			s->yes = target(l, v[S_YES], what, "yes");
		if (v[S_NO])
			s->no = target(l, v[S_NO], what, "no");
		if (!v[S_YES] || !v[S_NO]) {
			ld_err(l, map, "%s is a decision without %s branch; add %s (a step id or `end`)",
			    what, !v[S_YES] && !v[S_NO] ? "a `yes` and a `no`" :
			    !v[S_YES] ? "a `yes`" : "a `no`",
			    !v[S_YES] && !v[S_NO] ? "`yes:` and `no:`" : !v[S_YES] ? "`yes:`" : "`no:`");
			l->refs_ok = 0;
		} else if (s->yes == s->no && s->yes != SOP_NONE)
			ld_err(l, v[S_NO], "%s: `yes` and `no` lead to the same place; a decision needs "
			    "two different branches", what);
		return;
	}
	if (v[S_YES] || v[S_NO]) {
		yaml_node_t *b = v[S_YES] ? v[S_YES] : v[S_NO];

		ld_err(l, b, "%s: `%s` is only for decisions; add `action: decide` or use `next`",
		    what, v[S_YES] ? "yes" : "no");
	}
	if (s->action == SOP_ACT_DONE) {
		if (v[S_NEXT])
			ld_err(l, v[S_NEXT], "%s: a `done` step ends the SOP; remove `next`", what);
		s->next = SOP_END;
		return;
	}
	if (v[S_NEXT])
		s->next = target(l, v[S_NEXT], what, "next");
	else
		s->next = idx + 1 < d->n_steps ? (int)idx + 1 : SOP_END;
}

static void parse_steps(ld *l, yaml_node_t *n)
{
	yaml_node_item_t *it;
	size_t count;
	sop_def *d = l->d;
	yaml_node_t *(*v)[S__N], **maps;

	it = ld_seq(l, n, "steps", OA_MAX_SOP_STEPS, "OA_MAX_SOP_STEPS", &count);
	if (it == NULL || count == 0) {
		if (ld_is_empty(n))
			ld_err(l, n, "`steps` is empty; an SOP needs at least one step");
		l->refs_ok = 0;
		return;
	}
	d->steps = ld_calloc(l, count, sizeof *d->steps);
	v = ld_calloc(l, count, sizeof *v);
	maps = ld_calloc(l, count, sizeof *maps);
	if (d->steps == NULL || v == NULL || maps == NULL) {
		free(v);
		free(maps);
		return;
	}
	/* Pass 1: the ids, so that targets may point forward. */
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *m = ld_node(l, it[i]);
		sop_step *s = &d->steps[d->n_steps];
		int dup;

		if (!ld_scan(l, m, "a step", step_fields, S__N, v[d->n_steps])) {
			l->refs_ok = 0;
			continue;
		}
		maps[d->n_steps] = m;
		s->line = ld_line_of(m);
		if (v[d->n_steps][S_ID] &&
		    (s->id = ld_ident(l, v[d->n_steps][S_ID], "step", "id")) != NULL &&
		    (dup = sop_step_index(d, s->id)) >= 0) {
			ld_err(l, v[d->n_steps][S_ID], "duplicate step id `%s` (first on line %d); "
			    "give each step its own id", s->id, d->steps[dup].line);
			free(s->id);
			s->id = NULL;
		}
		if (s->id == NULL)
			l->refs_ok = 0;
		d->n_steps++;
	}
	/* Pass 2: everything else. */
	for (size_t i = 0; i < d->n_steps; i++)
		parse_step(l, i, maps[i], v[i]);
	free(v);
	free(maps);
}

static void parse_renewal(ld *l, yaml_node_t *n)
{
	static const struct field f[] = {
		{"window_days", F_REQ, "how many days before expiry a renewal may start, e.g. 30"},
	};
	yaml_node_t *v[1];
	const char *s;
	char *end;
	long days;

	if (!ld_scan(l, n, "`renewal`", f, 1, v) || v[0] == NULL)
		return;
	if (v[0]->type == YAML_SCALAR_NODE) {
		s = (const char *)v[0]->data.scalar.value;
		days = strtol(s, &end, 10);
		if (*s && *end == '\0' && days >= 1 && days <= 365) {
			l->d->renewal_window_days = (int)days;
			return;
		}
	}
	ld_err(l, v[0], "`renewal`: `window_days` must be a whole number of days from 1 to 365");
}

enum {
	R_FORMAT, R_ID, R_SOURCE, R_NUMBER, R_NAME, R_KIND, R_AGENCY, R_DATES, R_APPROVER,
	R_LEGAL, R_QUALIF, R_RELATED, R_EQUIP, R_WARN_INTRO, R_WARN, R_RECORDS, R_FOOTER,
	R_WORKING, R_RENEWAL, R_ACTORS, R_DOCS, R_REASONS, R_STEPS, R__N
};

static const struct field root_fields[R__N] = {
	[R_FORMAT] = {"format", F_REQ, "the format version, `format: 1`"},
	[R_ID] = {"id", F_REQ, "a short machine id, e.g. `id: meranti-pencabutan`"},
	[R_SOURCE] = {"source", 0, ""},
	[R_NUMBER] = {"number", 0, ""},
	[R_NAME] = {"name", F_REQ, "NAMA SOP"},
	[R_KIND] = {"kind", F_REQ, "issuance, revocation, renewal or passphrase_reset"},
	[R_AGENCY] = {"agency", F_REQ, "the agency's name, unit and address"},
	[R_DATES] = {"dates", 0, ""},
	[R_APPROVER] = {"approved_by", F_REQ, "the approving official, DISAHKAN OLEH"},
	[R_LEGAL] = {"legal_basis", F_REQ, "the list of laws and regulations, DASAR HUKUM"},
	[R_QUALIF] = {"qualifications", 0, ""},
	[R_RELATED] = {"related", 0, ""},
	[R_EQUIP] = {"equipment", 0, ""},
	[R_WARN_INTRO] = {"warnings_intro", 0, ""},
	[R_WARN] = {"warnings", 0, ""},
	[R_RECORDS] = {"records", 0, ""},
	[R_FOOTER] = {"footer", 0, ""},
	[R_WORKING] = {"working_days", 0, ""},
	[R_RENEWAL] = {"renewal", 0, ""},
	[R_ACTORS] = {"actors", F_REQ, "the actors (PELAKSANA), one per column"},
	[R_DOCS] = {"documents", 0, ""},
	[R_REASONS] = {"reasons", 0, ""},
	[R_STEPS] = {"steps", F_REQ, "the activities, in the order of the form"},
};

static void parse_root(ld *l, yaml_node_t *root)
{
	yaml_node_t *v[R__N];
	sop_def *d = l->d;
	char *s;
	int k;

	if (!ld_scan(l, root, "the SOP", root_fields, R__N, v)) {
		l->refs_ok = 0;
		return;
	}
	if (v[R_FORMAT] && (v[R_FORMAT]->type != YAML_SCALAR_NODE ||
	    strcmp((const char *)v[R_FORMAT]->data.scalar.value, "1") != 0))
		ld_err(l, v[R_FORMAT], "`format` must be 1 (the only version this openams reads)");
	if (v[R_ID])
		d->id = ld_ident(l, v[R_ID], "the SOP", "id");
	if (v[R_SOURCE])
		d->source = ld_text(l, v[R_SOURCE], "the SOP", "source", OA_MAX_SOP_TEXT);
	if (v[R_NUMBER])
		d->number = ld_text(l, v[R_NUMBER], "the SOP", "number", OA_MAX_SOP_TEXT);
	if (v[R_NAME])
		d->name = ld_text_req(l, v[R_NAME], "the SOP", "name", OA_MAX_SOP_TEXT);
	d->kind = SOP_KIND__MAX; /* until known; validate.c skips kind rules */
	if (v[R_KIND] && (s = ld_text_req(l, v[R_KIND], "the SOP", "kind", OA_MAX_SOP_ID))) {
		if ((k = sop_kind_from_name(s)) < 0)
			ld_err(l, v[R_KIND], "unknown kind `%s`; use issuance, revocation, renewal or "
			    "passphrase_reset", s);
		else
			d->kind = (sop_kind)k;
		free(s);
	}
	if (v[R_AGENCY])
		parse_agency(l, v[R_AGENCY]);
	if (v[R_DATES])
		parse_dates(l, v[R_DATES]);
	if (v[R_APPROVER])
		parse_approver(l, v[R_APPROVER]);
	ld_text_list(l, v[R_LEGAL], "the SOP", "legal_basis", 0, &d->legal_basis);
	if (ld_is_empty(v[R_LEGAL]))
		ld_err(l, v[R_LEGAL], "`legal_basis` is empty; list the laws and regulations "
		    "(DASAR HUKUM) of the SOP");
	ld_text_list(l, v[R_QUALIF], "the SOP", "qualifications", 0, &d->qualifications);
	ld_text_list(l, v[R_RELATED], "the SOP", "related", 0, &d->related);
	ld_text_list(l, v[R_EQUIP], "the SOP", "equipment", 0, &d->equipment);
	if (v[R_WARN_INTRO])
		d->warnings_intro = ld_text(l, v[R_WARN_INTRO], "the SOP", "warnings_intro",
		    OA_MAX_SOP_TEXT);
	ld_text_list(l, v[R_WARN], "the SOP", "warnings", 0, &d->warnings);
	ld_text_list(l, v[R_RECORDS], "the SOP", "records", 0, &d->records);
	if (v[R_FOOTER])
		d->footer = ld_text(l, v[R_FOOTER], "the SOP", "footer", OA_MAX_SOP_TEXT);
	if (v[R_WORKING])
		d->working_days = ld_boolean(l, v[R_WORKING], "the SOP", "working_days") == 1;
	if (v[R_RENEWAL]) {
		if (d->kind != SOP_KIND_RENEWAL)
			ld_err(l, v[R_RENEWAL], "`renewal` is only for SOPs of kind renewal; remove it");
		else
			parse_renewal(l, v[R_RENEWAL]);
	} else if (d->kind == SOP_KIND_RENEWAL)
		ld_err(l, root, "a renewal SOP needs `renewal: {window_days: N}`: how many days "
		    "before expiry a certificate may be renewed (30 in BSrE practice)");
	if (v[R_ACTORS])
		parse_actors(l, v[R_ACTORS]);
	if (v[R_DOCS])
		parse_documents(l, v[R_DOCS]);
	if (v[R_REASONS])
		parse_reasons(l, v[R_REASONS]);
	if (v[R_STEPS])
		parse_steps(l, v[R_STEPS]);
	else
		l->refs_ok = 0;
}

/* 1-based line of a byte offset, for reader errors that carry no mark. */
static int line_at(const char *text, size_t len, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off && i < len; i++)
		line += text[i] == '\n';
	return line;
}

oa_err sop_parse(const char *name, const char *text, size_t len, sop_def **out,
    sop_errors *errs)
{
	int bline;

	yaml_parser_t parser;
	yaml_document_t extra;
	yaml_node_t *root;
	sop_errors local = {0};
	ld l = {0};
	size_t before;
	oa_err rc = OA_OK;

	*out = NULL;
	if (errs == NULL)
		errs = &local;
	before = errs->n;
	l.e = errs;
	l.refs_ok = 1;
	if (len > OA_MAX_SOP_BYTES) {
		sop_err_add(errs, 0, "larger than %d bytes (OA_MAX_SOP_BYTES); split the SOP",
		    OA_MAX_SOP_BYTES);
		rc = OA_ERR_LIMIT;
		goto done;
	}
	/* Nesting, nodes, aliases and anchors, before libyaml loads: linear. */
	if ((rc = oa_yaml_bounded(text, len, &bline))) {
		if (rc != OA_ERR_NOMEM) {
			sop_err_add(errs, bline, "%s%s", oa_errmsg(),
			    rc == OA_ERR_LIMIT ? "; an SOP definition is far smaller" : "");
			rc = OA_ERR_INVALID;
		}
		goto done;
	}
	if (!yaml_parser_initialize(&parser)) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto done;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &l.doc)) {
		int line = parser.error == YAML_READER_ERROR ?
		    line_at(text, len, parser.problem_offset) : (int)parser.problem_mark.line + 1;

		if (parser.error == YAML_MEMORY_ERROR)
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		else {
			sop_err_add(errs, line, "YAML syntax error: %s%s%s; check the indentation, "
			    "colons and quotes here", parser.problem ? parser.problem : "unknown",
			    parser.context ? " " : "", parser.context ? parser.context : "");
			rc = OA_ERR_INVALID;
		}
		yaml_parser_delete(&parser);
		goto done;
	}
	root = yaml_document_get_root_node(&l.doc);
	if (root == NULL) {
		sop_err_add(errs, 1, "the file is empty; an SOP definition starts with `format: 1`");
		yaml_document_delete(&l.doc);
		yaml_parser_delete(&parser);
		rc = OA_ERR_INVALID;
		goto done;
	}
	if (yaml_parser_load(&parser, &extra)) {
		yaml_node_t *r2 = yaml_document_get_root_node(&extra);

		if (r2 != NULL)
			sop_err_add(errs, ld_line_of(r2), "a second YAML document (after ---); keep "
			    "one SOP per file");
		yaml_document_delete(&extra);
	} else
		sop_err_add(errs, (int)parser.problem_mark.line + 1,
		    "YAML syntax error after the first document: %s",
		    parser.problem ? parser.problem : "unknown");
	yaml_parser_delete(&parser);

	l.n_nodes = (size_t)(l.doc.nodes.top - l.doc.nodes.start);
	if ((l.seen = calloc(l.n_nodes, 1)) == NULL || (l.d = calloc(1, sizeof *l.d)) == NULL ||
	    (l.d->path = strdup(name)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto free_doc;
	}
	parse_root(&l, ld_node(&l, 1));
	if (l.nomem) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory loading %s", name);
		goto free_doc;
	}
	sop_validate(l.d, errs, l.refs_ok);
	if (errs->n > before)
		rc = OA_ERR_INVALID;
free_doc:
	yaml_document_delete(&l.doc);
	free(l.seen);
	if (rc == OA_OK)
		*out = l.d;
	else
		sop_free(l.d);
done:
	sop_errors_sort(errs);
	if (rc == OA_ERR_INVALID)
		oa_fail(rc, "%s: %zu problem%s in the SOP definition", name, errs->n - before,
		    errs->n - before == 1 ? "" : "s");
	else if (rc == OA_ERR_LIMIT)
		oa_fail(rc, "%s: larger than %d bytes", name, OA_MAX_SOP_BYTES);
	sop_errors_free(&local);
	return rc;
}

oa_err sop_load(const char *path, sop_def **out, sop_errors *errs)
{
	uint8_t *data;
	size_t len;
	oa_err rc;

	*out = NULL;
	if ((rc = oa_read_file(path, OA_MAX_SOP_BYTES, &data, &len))) {
		if (rc == OA_ERR_LIMIT)
			sop_err_add(errs, 0, "larger than %d bytes (OA_MAX_SOP_BYTES); split the SOP",
			    OA_MAX_SOP_BYTES);
		else
			sop_err_add(errs, 0, "cannot read the file: %s", oa_errmsg());
		return rc;
	}
	rc = sop_parse(path, (const char *)data, len, out, errs);
	free(data);
	return rc;
}
