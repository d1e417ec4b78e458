/*
 * engine_walk.c - the walker of the SOP engine rule tests: drives a case
 * along its definition with the right people and documents, runs the
 * refusal battery at each step, and checks that the CA issues or revokes
 * exactly once, at the step whose action says so (engine_fixture.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine_fixture.h"

/* 1 if the case holds doc (attached at step at, when not NULL). */
static int has_doc(int64_t case_id, const char *doc, const char *at)
{
	if (at)
		return (int)count("SELECT COUNT(*) FROM sop_case_document WHERE case_id = %" PRId64
		                  " AND doc = '%s' AND step = '%s'", case_id, doc, at);
	return (int)count("SELECT COUNT(*) FROM sop_case_document WHERE case_id = %" PRId64
	                  " AND doc = '%s'", case_id, doc);
}

void attach(int64_t case_id, const engine_who *who, const char *doc)
{
	attach_salted(case_id, who, doc, "");
}

void attach_salted(int64_t case_id, const engine_who *who, const char *doc, const char *salt)
{
	char sha[65];
	unsigned h = 5381;

	for (const char *p = doc; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (const char *p = salt; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (int i = 0; i < 64; i++)
		sha[i] = "0123456789abcdef"[(h >> (i % 28)) & 15];
	sha[64] = 0;
	if (engine_case_attach(E, who, case_id, doc, sha, "berkas.pdf") != OA_OK)
		fail_msg("attach %s: %s", doc, oa_errmsg());
}

/* The documents step s needs now (its doc inputs; reason docs at upload/revoke). */
static size_t needed_docs(const sop_def *d, const sop_step *s, sop_action effective,
    const char *reason, const char **out, int *own)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_inputs; i++)
		if (s->inputs[i].doc >= 0) {
			own[n] = s->inputs[i].own;
			out[n++] = d->documents[s->inputs[i].doc].id;
		}

	if (reason[0] && (s->action == SOP_ACT_UPLOAD || effective == SOP_ACT_REVOKE)) {
		int ri = sop_reason_index(d, reason);
		for (size_t i = 0; ri >= 0 && i < d->reasons[ri].n_docs; i++)
			{
			own[n] = 0;
			out[n++] = d->documents[d->reasons[ri].docs[i]].id;
		}
	}
	return n;
}

/* Attaches a document the step needs: the applicant's, or (own: the step's
 * own copy, `requires: [{doc: X, own: true}]`) a new file by the step's
 * actor. */
static void attach_missing(int64_t id, struct applicant *app, const engine_who *who,
    const sop_step *s, const char *doc, int own)
{
	if (own)
		attach_salted(id, who, doc, s->id);
	else
		attach(id, &app->p.who, doc);
}

void identity(const char *nik, const char **keys, const char **vals, size_t *n)
{
	keys[0] = "name"; vals[0] = "Siti Rahmawati";
	keys[1] = "nik"; vals[1] = nik;
	keys[2] = "email"; vals[2] = "siti@kominfo.merantikab.go.id";
	keys[3] = "organization"; vals[3] = "Pemerintah Kabupaten Kepulauan Meranti";
	keys[4] = "unit"; vals[4] = "Dinas Kominfo";
	*n = 5;
}

/* The refusal battery at the case's current step (a is the correct act). */
static void battery(int64_t id, const sop_def *d, const sop_step *s, const engine_act *good,
    const engine_who *actor, struct applicant *app)
{
	engine_act a;
	engine_result res;
	struct person x;
	const char *arole = applicant_role(d);
	const char *keys[4], *vals[4];

	static const char sha[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

	/* A person without the step's role (holding every other role). */
	person_all(&x, "tanpa-peran", app->p.org, d, s);
	if (d->n_documents > 0) {
		/* Documents: not theirs to add now; another organisation; not a document
		 * of this SOP; not a SHA-256. */
		REFUSED(id, OA_ERR_DENIED,
		    engine_case_attach(E, &x.who, id, d->documents[0].id, sha, "a.pdf"));
		person_all(&x, app->p.id, "dinas-lain", d, NULL);
		REFUSED(id, OA_ERR_DENIED,
		    engine_case_attach(E, &x.who, id, d->documents[0].id, sha, "a.pdf"));
		REFUSED(id, OA_ERR_INVALID,
		    engine_case_attach(E, &app->p.who, id, "bukan_dokumen", sha, "a.pdf"));
		REFUSED(id, OA_ERR_INVALID,
		    engine_case_attach(E, &app->p.who, id, d->documents[0].id, "ABC", "a.pdf"));
		REFUSED(id, OA_ERR_INVALID,
		    engine_case_attach(E, &app->p.who, id, d->documents[0].id, sha, "../a.pdf"));
		person_all(&x, "tanpa-peran", app->p.org, d, s);
	}
	a = *good;
	REFUSED(id, OA_ERR_DENIED, engine_case_act(E, &x.who, &a, &res));
	/* ... and acting in a role they hold that is not the step's. */
	if (x.who.nroles > 0) {
		a.role = x.roles[0];
		REFUSED(id, OA_ERR_DENIED, engine_case_act(E, &x.who, &a, &res));
	}
	/* The right role, another organisation (same person id too). */
	person_all(&x, actor->person, "dinas-lain", d, NULL);
	a = *good;
	REFUSED(id, OA_ERR_DENIED, engine_case_act(E, &x.who, &a, &res));
	/* The applicant in every staff role of this step, holding it (self-approval). */
	person_all(&x, app->p.id, app->p.org, d, NULL);
	for (size_t i = 0; i < s->n_actors; i++) {
		const char *r = d->actors[s->actors[i]].id;
		if (strcmp(r, arole) == 0)
			continue;
		a = *good;
		a.role = r;
		if (s->action == SOP_ACT_FILL_IDENTITY || s->action == SOP_ACT_SET_PASSPHRASE) {
			a.keys = good->keys;
			a.values = good->values;
		}
		a.reason = NULL;
		REFUSED(id, OA_ERR_DENIED, engine_case_act(E, &x.who, &a, &res));
	}
	/* A staff member (holding every role) in the applicant role of someone else's case. */
	if (step_has_actor_role(d, s, arole)) {
		person_all(&x, "staf-serba", app->p.org, d, NULL);
		a = *good;
		a.role = arole;
		REFUSED(id, OA_ERR_DENIED, engine_case_act(E, &x.who, &a, &res));
	}
	/* Out of order: every other step of the definition, and one that does not exist. */
	for (size_t i = 0; i < d->n_steps; i++) {
		if (&d->steps[i] == s)
			continue;
		a = *good;
		a.step = d->steps[i].id;
		REFUSED(id, OA_ERR_STATE, engine_case_act(E, actor, &a, &res));
	}
	a = *good;
	a.step = "99";
	REFUSED(id, OA_ERR_STATE, engine_case_act(E, actor, &a, &res));
	/* Decisions: none, or a bogus value, at a decision; yes/no at a non-decision. */
	a = *good;
	if (s->action == SOP_ACT_DECIDE) {
		a.decision = ENGINE_NO_DECISION;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
		a.decision = 7;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	} else {
		a.decision = ENGINE_YES;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
		a.decision = ENGINE_NO;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	}
	/* Data the step does not take (a valid first item, so a partial write would show). */
	a = *good;
	if (s->action == SOP_ACT_FILL_IDENTITY) {
		keys[0] = "name"; vals[0] = "Siti";
		keys[1] = "csr"; vals[1] = "-----BEGIN CERTIFICATE REQUEST-----";
		a.keys = keys; a.values = vals; a.ndata = 2;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
		keys[1] = "account"; vals[1] = "x";
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
		keys[1] = "serial"; vals[1] = "01";
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	} else if (s->action == SOP_ACT_SET_PASSPHRASE) {
		keys[0] = "csr"; vals[0] = app->csr;
		keys[1] = "name"; vals[1] = "Siti";
		a.keys = keys; a.values = vals; a.ndata = 2;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	} else {
		keys[0] = "name"; vals[0] = "Siti";
		a.keys = keys; a.values = vals; a.ndata = 1;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
		keys[0] = "csr"; vals[0] = app->csr;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	}
	/* Notes with control characters. */
	a = *good;
	a.note = "catatan\x01";
	REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	a.note = "\x1b[2Jhapus layar";
	REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	a.note = "baris\rtimpa";
	REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	/* A reason chosen by someone who is not the applicant. */
	if (d->n_reasons > 0 && strcmp(good->role, arole) != 0) {
		a = *good;
		a.reason = d->reasons[0].id;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	}
	/* Staff who does not hold the step's role rejecting; the applicant rejecting;
	 * someone else withdrawing. */
	person_all(&x, "tanpa-peran", app->p.org, d, s);
	REFUSED(id, OA_ERR_DENIED, engine_case_close(E, &x.who, id, ENGINE_REJECT, NULL));
	person_all(&x, app->p.id, app->p.org, d, NULL);
	REFUSED(id, OA_ERR_DENIED, engine_case_close(E, &x.who, id, ENGINE_REJECT, NULL));
	person_all(&x, "staf-serba", app->p.org, d, NULL);
	REFUSED(id, OA_ERR_DENIED, engine_case_close(E, &x.who, id, ENGINE_WITHDRAW, NULL));
}

int64_t nik_active(const char *nik, const char *except)
{
	return count("SELECT COUNT(*) FROM certificate WHERE nik = '%s' AND status = 'active'"
	             " AND serial <> '%s'", nik, except ? except : "");
}

/*
 * Drives case id along: the right person at each step (the applicant in the
 * applicant role, "staf-<role>" otherwise), documents attached just in time
 * (with a try of all-but-one first when o->refusals), and after every act
 * checks that a certificate is issued or revoked only at a step whose
 * (effective) action is issue or revoke, that the transition row names it,
 * and that the certificate was absent/active before.
 */
void walk(int64_t id, struct applicant *app, const struct walkopt *o, struct walkres *w)
{
	memset(w, 0, sizeof *w);
	for (int guard = 0; guard < 300; guard++) {
		engine_case c;
		const sop_def *d;
		const sop_step *s;
		const char *role, *arole, *need[32], *missing[32];
		int need_own[32], miss_own[32];
		char stepid[OA_MAX_SOP_ID + 1];
		const char *keys[9], *vals[9];
		struct person staff;
		const engine_who *who;
		engine_act a = {0};
		engine_result res;
		sop_action effective;
		size_t nneed, nmiss = 0;
		int64_t certs0, revoked0, other_active0;
		char serial_status0[16] = "";
		struct hist h;
		oa_err rc;
		int idx;

		assert_int_equal(engine_case_get(E, id, &c), OA_OK);
		if (strcmp(c.state, "open") != 0)
			break;
		if (o->stop_at && strcmp(c.step, o->stop_at) == 0)
			break;
		if (o->max_acts && w->acts >= o->max_acts)
			break;
		assert_int_equal(engine_case_def(E, id, &d), OA_OK);
		idx = sop_step_index(d, c.step);
		assert_true(idx >= 0);
		s = &d->steps[idx];
		snprintf(stepid, sizeof stepid, "%s", c.step);
		arole = applicant_role(d);
		role = d->actors[s->actors[0]].id;
		if (strcmp(role, arole) == 0)
			who = &app->p.who;
		else {
			char sid[80];
			snprintf(sid, sizeof sid, "staf-%s", role);
			person1(&staff, sid, app->p.org, role);
			who = &staff.who;
		}
		a.case_id = id;
		a.step = stepid;
		a.role = role;
		if (s->action == SOP_ACT_DECIDE) {
			a.decision = o->no_at && !w->no_done && strcmp(o->no_at, s->id) == 0 ? ENGINE_NO
			                                                                     : ENGINE_YES;
		}
		if (s->action == SOP_ACT_FILL_IDENTITY) {
			identity(app->nik, keys, vals, &a.ndata);
			a.keys = keys;
			a.values = vals;
		}
		if (s->action == SOP_ACT_SET_PASSPHRASE) {
			keys[0] = o->passphrase ? "passphrase" : "csr";
			vals[0] = o->passphrase ? o->passphrase : app->csr;
			a.keys = keys;
			a.values = vals;
			a.ndata = 1;
		}
		effective = s->action == SOP_ACT_DECIDE
		                ? (a.decision == ENGINE_YES ? s->yes_action : SOP_ACT_NONE)
		                : s->action;
		nneed = needed_docs(d, s, effective, c.reason, need, need_own);
		for (size_t i = 0; i < nneed; i++) {
			int dup = 0;
			for (size_t j = 0; j < nmiss; j++)
				dup |= strcmp(missing[j], need[i]) == 0;
			if (!dup && !has_doc(id, need[i], need_own[i] ? s->id : NULL)) {
				miss_own[nmiss] = need_own[i];
				missing[nmiss++] = need[i];
			}
		}
		if (nmiss > 0 && o->refusals && a.decision != ENGINE_NO) {
			/* All but one attached: still refused, nothing changes. */
			for (size_t j = 0; j + 1 < nmiss; j++)
				attach_missing(id, app, who, s, missing[j], miss_own[j]);
			REFUSED(id, OA_ERR_STATE, engine_case_act(E, who, &a, &res));
			if (!strstr(last_refusal, missing[nmiss - 1]))
				fail_msg("step %s: refusal does not name the missing document %s: %s", s->id,
				    missing[nmiss - 1], last_refusal);
			attach_missing(id, app, who, s, missing[nmiss - 1], miss_own[nmiss - 1]);
		} else
			for (size_t j = 0; j < nmiss; j++)
				attach_missing(id, app, who, s, missing[j], miss_own[j]);
		if (o->refusals)
			battery(id, d, s, &a, who, app);

		certs0 = count("SELECT COUNT(*) FROM certificate");
		revoked0 = count("SELECT COUNT(*) FROM certificate WHERE status = 'revoked'");
		other_active0 = nik_active(app->nik, c.serial);
		if (d->kind == SOP_KIND_ISSUANCE)
			other_active0 += count("SELECT COUNT(*) FROM certificate WHERE nik = '%s'", app->nik);
		if (c.serial[0])
			snprintf(serial_status0, sizeof serial_status0, "%s", cert_status(c.serial, NULL));
		tu_clock_tick(60);
		if ((rc = engine_case_act(E, who, &a, &res)) != OA_OK)
			fail_msg("%s case %" PRId64 " step %s (%s) as %s: %s: %s", d->id, id, s->id,
			    sop_action_name(effective), role, ename(rc), oa_errmsg());
		w->acts++;
		if (a.decision == ENGINE_NO)
			w->no_done = 1;

		/* The transition row of this act. */
		history(id, &h);
		assert_true(h.n > c.transitions);
		{
			const engine_transition *t = &h.t[c.transitions];
			assert_int_equal(t->seq, c.transitions + 1);
			assert_string_equal(t->step, s->id);
			assert_string_equal(t->actor, who->person);
			assert_string_equal(t->role, role);
			assert_string_equal(t->action,
			    sop_action_name(effective == SOP_ACT_NONE ? s->action : effective));
			assert_string_equal(t->decision, a.decision == ENGINE_YES ? "yes"
			                                 : a.decision == ENGINE_NO ? "no" : "");
			assert_int_equal(t->done_at, tu_clock_now());
		}
		/* Exactly once, at the right step. */
		if (effective == SOP_ACT_ISSUE) {
			if (!res.issued[0])
				fail_msg("step %s issues but the result names no serial", s->id);
			if (other_active0 != 0)
				fail_msg("step %s: NIK %s had another active certificate before issuing", s->id,
				    app->nik);
			assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs0 + 1);
			assert_string_equal(cert_status(res.issued, NULL), "active");
			assert_int_equal(count("SELECT COUNT(*) FROM certificate WHERE serial = '%s'"
			                       " AND nik = '%s'", res.issued, app->nik), 1);
			w->issued++;
			snprintf(w->issued_serial, sizeof w->issued_serial, "%s", res.issued);
			snprintf(w->issue_step, sizeof w->issue_step, "%s", s->id);
		} else {
			if (res.issued[0])
				fail_msg("step %s (%s) issued %s", s->id, sop_action_name(effective), res.issued);
			assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs0);
		}
		/* Renewal: the new certificate supersedes the old one in the issue
		 * step's own transaction (the one-active-per-NIK policy allows no
		 * moment with two); the later revoke step then has nothing to do. */
		if (d->kind == SOP_KIND_RENEWAL && effective == SOP_ACT_ISSUE && res.revoked[0]) {
			ca_cert_info ci;
			assert_string_equal(res.revoked, c.serial);
			assert_string_equal(serial_status0, "active");
			assert_int_equal(ca_status(C, c.serial, &ci), OA_OK);
			assert_string_equal(ci.status, "revoked");
			assert_int_equal(ci.reason, CA_REASON_SUPERSEDED);
			if (!crl_has(c.serial, NULL))
				fail_msg("step %s superseded %s but the CRL does not list it", s->id, c.serial);
			w->revoked++;
			snprintf(w->revoked_serial, sizeof w->revoked_serial, "%s", res.revoked);
			snprintf(w->revoke_step, sizeof w->revoke_step, "%s", s->id);
		} else if (d->kind == SOP_KIND_RENEWAL && effective == SOP_ACT_REVOKE && !res.revoked[0] &&
		           strcmp(serial_status0, "revoked") == 0) {
			/* already superseded at the issue step: nothing to revoke */
		} else if (effective == SOP_ACT_REVOKE) {
			if (!res.revoked[0])
				fail_msg("step %s revokes but the result names no serial", s->id);
			assert_string_equal(res.revoked, c.serial);
			assert_string_equal(serial_status0, "active");
			assert_string_equal(cert_status(c.serial, NULL), "revoked");
			if (!crl_has(c.serial, NULL))
				fail_msg("step %s revoked %s but the published CRL does not list it", s->id,
				    c.serial);
			w->revoked++;
			snprintf(w->revoked_serial, sizeof w->revoked_serial, "%s", res.revoked);
			snprintf(w->revoke_step, sizeof w->revoke_step, "%s", s->id);
		} else if (res.revoked[0])
			fail_msg("step %s (%s) revoked %s", s->id, sop_action_name(effective), res.revoked);
		if (count("SELECT COUNT(*) FROM certificate WHERE status = 'revoked'") !=
		    revoked0 + (res.revoked[0] ? 1 : 0) && !w->stray[0])
			snprintf(w->stray, sizeof w->stray, "%s step %s (action %s, not revoke) revoked a certificate (%s was %s,"
			         " now %s); the result names none",
			    d->id, s->id, sop_action_name(effective), c.serial, serial_status0,
			    c.serial[0] ? cert_status(c.serial, NULL) : "-");
	}
	if (w->stray[0])
		fail_msg("%s", w->stray);
}

/* A new applicant with a case of sop_id open (and a certificate if the SOP needs one). */
int64_t open_case(const char *org, const char *sop_id, const char *reason,
    struct applicant *app, int cert_days)
{
	const sop_def *d = def_file(sop_id);
	engine_open_req r = {0};
	int64_t id;

	applicant_new(app, "pemohon", org, applicant_role(d));
	if (d->kind != SOP_KIND_ISSUANCE)
		existing_cert(app->nik, app->serial, cert_days);
	r.org = org;
	r.sop_id = sop_id;
	r.applicant = app->p.id;
	r.applicant_nik = app->nik;
	r.serial = app->serial[0] ? app->serial : NULL;
	r.reason = reason;
	tu_clock_tick(60);
	if (engine_case_open(E, &app->p.who, &r, &id) != OA_OK)
		fail_msg("open %s: %s", sop_id, oa_errmsg());
	return id;
}

void expect_state(int64_t id, const char *state, const char *step)
{
	engine_case c;

	assert_int_equal(engine_case_get(E, id, &c), OA_OK);
	if (strcmp(c.state, state) || (step && strcmp(c.step, step)))
		fail_msg("case %" PRId64 ": expected %s at %s, is %s at %s", id, state, step ? step : "-",
		    c.state, c.step);
}

void withdraw(int64_t id, struct applicant *app)
{
	tu_clock_tick(60);
	if (engine_case_close(E, &app->p.who, id, ENGINE_WITHDRAW, "ditarik") != OA_OK)
		fail_msg("withdraw: %s", oa_errmsg());
	expect_state(id, "withdrawn", "");
}

/* Acting, attaching or closing a closed case is refused and changes nothing. */
void closed_refusals(int64_t id, struct applicant *app, const char *laststep)
{
	const sop_def *d;
	struct person x;
	engine_act a = {0};
	engine_result res;
	char sha[65];

	assert_int_equal(engine_case_def(E, id, &d), OA_OK);
	memset(sha, 'c', 64);
	sha[64] = 0;
	person_all(&x, "staf-serba", app->p.org, d, NULL);
	for (size_t i = 0; i < d->n_steps; i++) {
		const sop_step *s = &d->steps[i];
		if (s->n_actors == 0)
			continue;
		a.case_id = id;
		a.step = s->id;
		a.role = d->actors[s->actors[0]].id;
		a.decision = s->action == SOP_ACT_DECIDE ? ENGINE_YES : 0;
		REFUSED(id, OA_ERR_STATE, engine_case_act(E, strcmp(a.role, applicant_role(d)) == 0
		                                                 ? &app->p.who : &x.who, &a, &res));
	}
	(void)laststep;
	REFUSED(id, OA_ERR_STATE,
	    engine_case_attach(E, &app->p.who, id, d->documents[0].id, sha, "x.pdf"));
	REFUSED(id, OA_ERR_STATE, engine_case_close(E, &x.who, id, ENGINE_REJECT, NULL));
	REFUSED(id, OA_ERR_STATE, engine_case_close(E, &app->p.who, id, ENGINE_WITHDRAW, NULL));
}

void check_walk_result(const sop_def *d, int64_t id, struct applicant *app,
    const struct walkres *w)
{
	engine_case c;
	int reason = -1, crlreason = -1;

	assert_int_equal(engine_case_get(E, id, &c), OA_OK);
	if (strcmp(c.state, "completed") != 0)
		fail_msg("%s case %" PRId64 " is %s at %s", d->id, id, c.state, c.step);
	switch (d->kind) {
	case SOP_KIND_ISSUANCE:
		assert_int_equal(w->issued, 1);
		assert_int_equal(w->revoked, 0);
		assert_int_equal(count("SELECT COUNT(*) FROM certificate WHERE nik = '%s'", app->nik), 1);
		assert_string_equal(c.issued, w->issued_serial);
		break;
	case SOP_KIND_REVOCATION:
		assert_int_equal(w->issued, 0);
		assert_int_equal(w->revoked, 1);
		assert_string_equal(cert_status(app->serial, &reason), "revoked");
		{
			int ri = sop_reason_index(d, c.reason);
			const sop_step *rs = &d->steps[sop_step_index(d, w->revoke_step)];
			if (rs->reason >= 0)
				ri = rs->reason;
			assert_true(ri >= 0);
			assert_int_equal(reason, (int)d->reasons[ri].crl);
		}
		assert_true(crl_has(app->serial, &crlreason));
		/* unspecified may be left out of the CRL entry (RFC 5280 5.3.1) */
		if (!(crlreason == reason || (reason == 0 && crlreason == -1)))
			fail_msg("CRL reason %d, database reason %d", crlreason, reason);
		break;
	case SOP_KIND_RENEWAL:
	case SOP_KIND_PASSPHRASE_RESET:
		assert_int_equal(w->issued, 1);
		assert_string_equal(cert_status(app->serial, &reason), "revoked");
		assert_int_equal(reason, CA_REASON_SUPERSEDED);
		assert_string_equal(cert_status(w->issued_serial, NULL), "active");
		assert_int_equal(nik_active(app->nik, NULL), 1);
		if (!crl_has(app->serial, &crlreason))
			fail_msg("%s: the CRL does not list the replaced certificate %s", d->id, app->serial);
		assert_int_equal(crlreason, CA_REASON_SUPERSEDED);
		assert_string_equal(c.issued, w->issued_serial);
		break;
	default:
		break;
	}
}
