/*
 * act.c - completing a case's step (engine_case_act and its group-commit
 * forms): the data entered at the step (the identity bound to the
 * applicant's account), the documents it needs, the CA's action (issue,
 * revoke) and the holder key made from a passphrase.  batch.c builds the
 * group commit's calls on it (engine_act_cert, engine_case_act_issued,
 * engine_case_act_batch).  engine.c holds the cases' other life: opening,
 * transitions, closing, attachments.
 */
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/nik.h"
#include "../auth/auth.h"
#include "../keys/keys.h"
#include "engineInt.h"

/* The keys the identity form (fill_identity) takes. */
static const char *const identity_keys[] = {"name", "nik", "nip", "email", "unit", "position",
    "organization", "locality", "province"};

/*
 * Identity data must be the applicant's own: the NIK, NIP and e-mail their
 * account records (security review, finding 1: an applicant typed another
 * agency's person's NIK and obtained a certificate in that name).  A field
 * the account leaves empty is taken as entered, but the CA still issues for
 * the account's NIK only.
 */
static oa_err identity_is_applicants(const struct kase *k, const char *key, const char *v)
{
	if (strcmp(key, "nik") == 0 && k->applicant_nik[0] && strcmp(v, k->applicant_nik) != 0)
		return oa_fail_id(OA_ERR_INVALID, "not_account", "nik",
		    "nik: %s is not the NIK on the applicant's account; a"
		    " certificate is issued only in the applicant's own name (NIK di akun pemohon)", v);
	if (strcmp(key, "nik") == 0 && !k->applicant_nik[0])
		return oa_fail_id(OA_ERR_INVALID, "no_account_nik", "nik",
		    "nik: the applicant's account records no NIK, so no NIK"
		    " can be confirmed for this case");
	if (strcmp(key, "nip") == 0 && k->applicant_nip[0] && strcmp(v, k->applicant_nip) != 0)
		return oa_fail_id(OA_ERR_INVALID, "not_account", "nip",
		    "nip: %s is not the NIP on the applicant's account", v);
	if (strcmp(key, "email") == 0 && k->applicant_email[0] &&
	    strcasecmp(v, k->applicant_email) != 0)
		return oa_fail_id(OA_ERR_INVALID, "not_account", "email",
		    "email: %s is not the e-mail address on the applicant's"
		    " account (%s)", v, k->applicant_email);
	return OA_OK;
}

/* Validates and stores the data entered at a step. */
static oa_err take_data(engine *e, struct kase *k, const sop_step *s, const engine_act *a,
    const char *by)
{
	char why[128];
	oa_err rc;

	for (size_t i = 0; i < a->ndata; i++) {
		const char *key = a->keys[i], *v = a->values[i];
		int ok = 0;
		if (key == NULL || v == NULL)
			return oa_fail(OA_ERR_INVALID, "data item %zu has no key or value", i);
		if (s->action == SOP_ACT_FILL_IDENTITY)
			for (size_t j = 0; j < sizeof identity_keys / sizeof identity_keys[0]; j++)
				ok |= strcmp(key, identity_keys[j]) == 0;
		if (s->action == SOP_ACT_SET_PASSPHRASE) {
			if (strcmp(key, "passphrase") == 0)
				continue; /* sealed into the holder key, never stored */
			ok = strcmp(key, "csr") == 0;
		}
		if (!ok)
			return oa_fail(OA_ERR_INVALID, "step %s (%s) does not take '%.32s'", s->id,
			    sop_action_name(s->action), key);
		if (strcmp(key, "csr") == 0) {
			if (strlen(v) > OA_MAX_CSR_BYTES || strncmp(v, "-----BEGIN", 10) != 0)
				return oa_fail(OA_ERR_INVALID, "csr must be a PEM certificate request of at most %d bytes",
				    OA_MAX_CSR_BYTES);
		} else {
			if (!oa_is_clean_utf8(v) || oa_utf8_chars(v) > 128 || !*v)
				return oa_fail_id(OA_ERR_INVALID, "text_bad", key,
				    "%s must be 1..128 characters of clean text", key);
			/* "nik must be exactly 16 digits", "nik: digits 1-2 ..." */
			if (strcmp(key, "nik") == 0 && !oa_nik_valid(v, why, sizeof why))
				return oa_fail_id(OA_ERR_INVALID, "nik_format", "nik",
				    "nik%s", why + 3);
			if (strcmp(key, "nip") == 0 && !oa_is_digits(v, 18))
				return oa_fail_id(OA_ERR_INVALID, "nip_format", "nip",
				    "nip must be exactly 18 digits");
			if ((rc = identity_is_applicants(k, key, v)))
				return rc;
		}
		if ((rc = engine_set_data(e, k->id, key, v, by)))
			return rc;
	}
	/* What the account says needs no typing: the form starts from it. */
	if (s->action == SOP_ACT_FILL_IDENTITY) {
		const struct {
			const char *key, *value;
		} acct[] = {{"nik", k->applicant_nik}, {"nip", k->applicant_nip},
		    {"email", k->applicant_email}};
		char cur[OA_MAX_EMAIL_CHARS + 1];
		for (size_t i = 0; i < sizeof acct / sizeof acct[0]; i++) {
			if (!acct[i].value[0])
				continue;
			if ((rc = engine_get_data(e, k->id, acct[i].key, cur, sizeof cur)))
				return rc;
			if (!cur[0] && (rc = engine_set_data(e, k->id, acct[i].key, acct[i].value, "system")))
				return rc;
		}
	}
	return OA_OK;
}

/* Each document step s of k still needs before an act whose effect is
 * effective, with reason ("" none): s's own doc inputs (attached at s when
 * own), then at upload and revoke steps those the reason needs; fn(doc,
 * own, by_reason, arg) for each, until fn returns nonzero. */
static oa_err each_missing_doc(engine *e, const struct kase *k, const sop_step *s,
    sop_action effective, const char *reason,
    int (*fn)(const sop_document *doc, int own, int by_reason, void *arg), void *arg)
{
	int ri, h;

	for (size_t i = 0; i < s->n_inputs; i++) {
		const sop_document *doc;
		if (s->inputs[i].doc < 0)
			continue;
		doc = &k->def->documents[s->inputs[i].doc];
		if ((h = engine_has_doc(e, k->id, doc->id, s->inputs[i].own ? s->id : NULL)) < 0)
			return OA_ERR_STORE;
		if (!h && fn(doc, s->inputs[i].own, 0, arg))
			return OA_OK;
	}
	if (!reason[0] || (s->action != SOP_ACT_UPLOAD && effective != SOP_ACT_REVOKE) ||
	    (ri = sop_reason_index(k->def, reason)) < 0)
		return OA_OK;
	for (size_t i = 0; i < k->def->reasons[ri].n_docs; i++) {
		const sop_document *doc = &k->def->documents[k->def->reasons[ri].docs[i]];
		if ((h = engine_has_doc(e, k->id, doc->id, NULL)) < 0)
			return OA_ERR_STORE;
		if (!h && fn(doc, 0, 1, arg))
			return OA_OK;
	}
	return OA_OK;
}

struct first_miss {
	const sop_document *doc;
	int own, by_reason;
};

static int first_miss(const sop_document *doc, int own, int by_reason, void *arg)
{
	struct first_miss *m = arg;

	m->doc = doc;
	m->own = own;
	m->by_reason = by_reason;
	return 1;
}

/* The documents a step needs: refused at the first one missing. */
oa_err engine_act_documents(engine *e, struct kase *k, const sop_step *s, sop_action effective)
{
	struct first_miss m = {0};
	oa_err rc = each_missing_doc(e, k, s, effective, k->reason, first_miss, &m);

	if (rc || m.doc == NULL)
		return rc;
	if (m.by_reason)
		return oa_fail_id(OA_ERR_STATE, "doc_missing", m.doc->id,
		    "reason '%s' needs document '%s' (%s) attached first", k->reason, m.doc->id,
		    m.doc->name);
	if (m.own)
		return oa_fail_id(OA_ERR_STATE, "doc_missing_own", m.doc->id,
		    "step %s needs its own document '%s' (%s) attached at "
		    "this step (one attached at another step does not count)", s->id, m.doc->id,
		    m.doc->name);
	return oa_fail_id(OA_ERR_STATE, "doc_missing", m.doc->id,
	    "step %s needs document '%s' (%s) attached first", s->id, m.doc->id, m.doc->name);
}

struct all_miss {
	int (*fn)(const sop_document *doc, int own, void *arg);
	void *arg;
};

static int all_miss(const sop_document *doc, int own, int by_reason, void *arg)
{
	struct all_miss *m = arg;

	(void)by_reason;
	return m->fn(doc, own, m->arg);
}

oa_err engine_case_missing_docs(engine *e, int64_t id, const engine_act *a,
    int (*fn)(const sop_document *doc, int own, void *arg), void *arg)
{
	struct kase k;
	struct all_miss m = {fn, arg};
	const sop_step *s;
	oa_err rc;

	if ((rc = engine_load_case(e, id, &k)))
		return rc;
	if (strcmp(k.state, "open") != 0 || k.cur < 0)
		return OA_OK;
	s = &k.def->steps[k.cur];
	if (sop_turn_passes(s, k.turn) || a->decision == ENGINE_NO)
		return OA_OK;
	return each_missing_doc(e, &k, s, engine_act_effective(s, a),
	    a->reason && *a->reason ? a->reason : k.reason, all_miss, &m);
}

const char *engine_reason_label(const struct kase *k)
{
	const char *l = NULL;

	if (k->reason[0])
		l = sop_reason_label(k->def, k->reason);
	/* else a revoke step's fixed reason (a renewal's "superseded") */
	for (size_t i = 0; !l && i < k->def->n_steps; i++) {
		const sop_step *s = &k->def->steps[i];
		if (s->reason >= 0 && (s->action == SOP_ACT_REVOKE || s->yes_action == SOP_ACT_REVOKE))
			l = sop_reason_label(k->def, k->def->reasons[s->reason].id);
	}
	return l ? l : k->reason[0] ? k->reason : NULL;
}

/* 1 if a step of d records the revocation reason. */
int engine_def_records_reason(const sop_def *d)
{
	for (size_t i = 0; i < d->n_steps; i++)
		if (d->steps[i].records_reason)
			return 1;
	return 0;
}

/* 1 if the certificate is already revoked. */
static int old_revoked(engine *e, const char *serial)
{
	ca_cert_info i;
	return ca_status(engine_ca(e), serial, &i) == OA_OK && strcmp(i.status, "revoked") == 0;
}

int engine_cert_renews_first(engine *e, const struct kase *k)
{
	return k->def->kind == SOP_KIND_RENEWAL && k->serial[0] && !old_revoked(e, k->serial);
}

oa_err engine_cert_request(engine *e, const struct kase *k, const char *actor, engine_cert_need *g)
{
	ca_request *r = &g->r;
	char *csr;
	oa_err rc;

	free(g->csr);
	memset(r, 0, sizeof *r);
	if ((csr = g->csr = malloc(OA_MAX_CSR_BYTES + 1)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if ((rc = engine_get_data(e, k->id, "name", g->name, sizeof g->name)) ||
	    (rc = engine_get_data(e, k->id, "nik", g->nik, sizeof g->nik)) ||
	    (rc = engine_get_data(e, k->id, "nip", g->nip, sizeof g->nip)) ||
	    (rc = engine_get_data(e, k->id, "email", g->email, sizeof g->email)) ||
	    (rc = engine_get_data(e, k->id, "unit", g->unit, sizeof g->unit)) ||
	    (rc = engine_get_data(e, k->id, "organization", g->org, sizeof g->org)) ||
	    (rc = engine_get_data(e, k->id, "locality", g->loc, sizeof g->loc)) ||
	    (rc = engine_get_data(e, k->id, "province", g->prov, sizeof g->prov)) ||
	    (rc = engine_get_data(e, k->id, "csr", csr, OA_MAX_CSR_BYTES + 1)))
		return rc;
	if (!csr[0])
		return oa_fail(OA_ERR_STATE, "case %" PRId64 " has no key yet: the set-passphrase step must come first",
		    k->id);
	snprintf(g->ref, sizeof g->ref, "case:%" PRId64, k->id);
	r->csr = (const uint8_t *)csr;
	r->csr_len = strlen(csr);
	r->cn = g->name[0] ? g->name : NULL;
	r->nik = g->nik[0] ? g->nik : NULL;
	r->nip = g->nip[0] ? g->nip : NULL;
	r->email = g->email[0] ? g->email : NULL;
	r->ou = g->unit[0] ? g->unit : NULL;
	r->o = g->org[0] ? g->org : NULL;
	r->l = g->loc[0] ? g->loc : NULL;
	r->st = g->prov[0] ? g->prov : NULL;
	r->actor = actor;
	r->ref = g->ref;
	snprintf(g->holder_nik, sizeof g->holder_nik, "%s", k->applicant_nik);
	r->holder_nik = g->holder_nik[0] ? g->holder_nik : NULL;
	return OA_OK;
}

/* The issue step: the certificate issued here, or (given: the group
 * commit's engine_case_act_issued) the one issued already in this
 * transaction. */
static oa_err do_issue(engine *e, struct kase *k, const char *actor, const char *given)
{
	engine_cert_need g = {0};
	ca_issued out = {0};
	oa_err rc;

	if ((rc = engine_cert_request(e, k, actor, &g)))
		goto out;
	/* Renewal: the new certificate supersedes the old one (RFC 5280 superseded). */
	if (engine_cert_renews_first(e, k)) {
		if ((rc = ca_revoke(engine_ca(e), k->serial, CA_REASON_SUPERSEDED, 0, actor)))
			goto out;
		k->superseded = 1;
	}
	if (given)
		snprintf(k->issued, sizeof k->issued, "%s", given);
	else {
		if ((rc = ca_issue(engine_ca(e), &g.r, &out)))
			goto out;
		snprintf(k->issued, sizeof k->issued, "%s", out.serial);
		ca_issued_free(&out);
	}
	/* A server-generated holder key now belongs to this certificate. */
	{
		char kid[32];
		if ((rc = engine_get_data(e, k->id, "key_id", kid, sizeof kid)))
			goto out;
		if (kid[0] && (rc = keys_bind_certificate(engine_inst(e), strtoll(kid, NULL, 10), k->issued, actor)))
			goto out;
	}
out:
	engine_cert_need_free(&g);
	return rc;
}

static oa_err do_revoke(engine *e, struct kase *k, const sop_step *s, const char *actor)
{
	int crl = CA_REASON_UNSPECIFIED, ri;

	if (!k->serial[0])
		return oa_fail(OA_ERR_STATE, "case %" PRId64 " names no certificate to revoke", k->id);
	/* A renewal's new certificate already superseded the old one. */
	if (k->def->kind == SOP_KIND_RENEWAL && old_revoked(e, k->serial))
		return OA_OK;
	if (s->reason >= 0)
		crl = (int)k->def->reasons[s->reason].crl;
	else if (k->reason[0] && (ri = sop_reason_crl(k->def, k->reason)) >= 0)
		crl = ri;
	else if (k->def->n_reasons > 0 || engine_def_records_reason(k->def))
		return oa_fail(OA_ERR_STATE, "case %" PRId64 " has no revocation reason chosen yet", k->id);
	return ca_revoke(engine_ca(e), k->serial, crl, 0, actor);
}

static oa_err run_action(engine *e, struct kase *k, const sop_step *s, sop_action act,
    const char *actor, engine_result *res, const char *given)
{
	char v[129];
	oa_err rc;

	switch (act) {
	case SOP_ACT_ISSUE:
		if ((rc = do_issue(e, k, actor, given)))
			return rc;
		snprintf(res->issued, sizeof res->issued, "%s", k->issued);
		snprintf(k->issued_now, sizeof k->issued_now, "%s", k->issued);
		if (k->superseded)
			snprintf(res->revoked, sizeof res->revoked, "%s", k->serial);
		return OA_OK;
	case SOP_ACT_REVOKE: {
		int before = old_revoked(e, k->serial);
		if ((rc = do_revoke(e, k, s, actor)))
			return rc;
		if (!before) {
			snprintf(res->revoked, sizeof res->revoked, "%s", k->serial);
			snprintf(k->revoked_now, sizeof k->revoked_now, "%s", k->serial);
		}
		return OA_OK;
	}
	case SOP_ACT_FILL_IDENTITY:
	case SOP_ACT_APPROVE_IDENTITY:
		/* The certificate needs at least a name, a NIK and an e-mail. */
		for (int i = 0; i < 3; i++) {
			const char *key = i == 0 ? "name" : i == 1 ? "nik" : "email";
			if ((rc = engine_get_data(e, k->id, key, v, sizeof v)))
				return rc;
			if (!v[0])
				return oa_fail(OA_ERR_STATE, "the identity data lacks '%s'", key);
		}
		return OA_OK;
	case SOP_ACT_SET_PASSPHRASE:
		if ((rc = engine_get_data(e, k->id, "csr", v, sizeof v)))
			return rc;
		if (!v[0])
			return oa_fail(OA_ERR_STATE, "step %s needs the applicant's key (csr)", s->id);
		return OA_OK;
	case SOP_ACT_REGISTER_ACCOUNT:
		/* Accounts belong to the auth module; the engine records that the
		 * registration happened at this step. */
		return engine_set_data(e, k->id, "account", k->applicant, actor);
	default:
		return OA_OK;
	}
}

/*
 * The set-passphrase step with a passphrase: checks (without the write
 * lock) that the applicant acts at that step of their open case, then
 * generates and seals their key pair (keys_prepare).  The transaction that
 * follows checks everything again and stores the draft.
 */
static oa_err prepare_holder_key(engine *e, const engine_who *who, const engine_act *a,
    const char *passphrase, keys_draft **out)
{
	struct kase k;
	char name[129], nik[17], nip[19], email[OA_MAX_EMAIL_CHARS + 1];
	keys_person p = {0};
	oa_err rc;

	*out = NULL;
	if ((rc = engine_load_case(e, a->case_id, &k)))
		return rc;
	if (strcmp(k.state, "open") != 0 || k.cur < 0 || strcmp(a->step, k.step) != 0 ||
	    k.def->steps[k.cur].action != SOP_ACT_SET_PASSPHRASE)
		return oa_fail(OA_ERR_STATE, "a passphrase is set only at the case's set-passphrase step");
	if (strcmp(who->person, k.applicant) != 0 || strcmp(who->org, k.org) != 0)
		return oa_fail(OA_ERR_DENIED, "only the applicant sets their passphrase");
	if ((rc = engine_get_data(e, k.id, "name", name, sizeof name)) ||
	    (rc = engine_get_data(e, k.id, "nik", nik, sizeof nik)) ||
	    (rc = engine_get_data(e, k.id, "nip", nip, sizeof nip)) ||
	    (rc = engine_get_data(e, k.id, "email", email, sizeof email)))
		return rc;
	p.name = name[0] ? name : NULL;
	p.nik = nik[0] ? nik : NULL;
	p.nip = nip[0] ? nip : NULL;
	p.email = email[0] ? email : NULL;
	return keys_prepare(engine_inst(e), k.applicant, conf_str(engine_conf(e), "ca.key_type"), passphrase,
	    &p, out);
}

/* The checks of an act that need no store. */
static oa_err act_args_ok(const engine_who *who, const engine_act *a)
{
	oa_err rc;

	if ((rc = engine_check_who(who)))
		return rc;
	if (a->step == NULL || a->role == NULL)
		return oa_fail(OA_ERR_INVALID, "an action names the step and the role acted in");
	if (a->note && strlen(a->note) > OA_MAX_SOP_TEXT)
		return oa_fail(OA_ERR_LIMIT, "note longer than %d bytes", OA_MAX_SOP_TEXT);
	if (a->note && !engine_note_ok(a->note))
		return oa_fail(OA_ERR_INVALID, "a note is UTF-8 text; only tab and newline controls");
	return OA_OK;
}

/* The passphrase among the act's data, or NULL. */
static const char *act_passphrase(const engine_act *a)
{
	for (size_t i = 0; i < a->ndata; i++)
		if (a->keys[i] && strcmp(a->keys[i], "passphrase") == 0 && a->values[i])
			return a->values[i];
	return NULL;
}

struct engine_act_prep {
	keys_draft *draft;
};

void engine_act_prep_free(engine_act_prep *p)
{
	if (p == NULL)
		return;
	keys_draft_free(p->draft);
	free(p);
}

oa_err engine_act_prepare(engine *e, const engine_who *who, const engine_act *a,
    engine_act_prep **out)
{
	const char *passphrase = act_passphrase(a);
	engine_act_prep *p;
	oa_err rc;

	*out = NULL;
	if ((rc = act_args_ok(who, a)) || passphrase == NULL)
		return rc;
	if ((p = calloc(1, sizeof *p)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	/* A passphrase makes the holder's key here, before the transaction:
	 * Argon2id takes a moment and must not hold the write lock. */
	if ((rc = prepare_holder_key(e, who, a, passphrase, &p->draft))) {
		engine_act_prep_free(p);
		return rc;
	}
	*out = p;
	return OA_OK;
}

oa_err engine_case_act(engine *e, const engine_who *who, const engine_act *a,
    engine_result *res)
{
	engine_act_prep *p = NULL;
	oa_err rc;

	memset(res, 0, sizeof *res);
	if ((rc = engine_act_prepare(e, who, a, &p)) == OA_OK)
		rc = engine_case_act_prepared(e, who, a, p, res);
	engine_act_prep_free(p);
	return rc;
}

oa_err engine_case_act_prepared(engine *e, const engine_who *who, const engine_act *a,
    const engine_act_prep *p, engine_result *res)
{
	return engine_act_run(e, who, a, p, NULL, res);
}

/* The checks of an act against its case (loaded into k), before anything
 * changes. */
static oa_err act_case_ok(engine *e, const engine_who *who, const engine_act *a, struct kase *k)
{
	const sop_step *s;
	oa_err rc;

	if ((rc = engine_load_open_case(e, who, a->case_id, k)))
		return rc;
	if (strcmp(a->step, k->step) != 0)
		return oa_fail(OA_ERR_STATE, "step %.64s is not the current step of case %" PRId64
		                             " (it is at step %s)", a->step, k->id, k->step);
	s = &k->def->steps[k->cur];
	if (!engine_step_has_actor(k->def, s, a->role))
		return oa_fail(OA_ERR_DENIED, "step %s is not done by role '%.64s'", s->id, a->role);
	if (!engine_turn_has_actor(k, s, a->role))
		return oa_fail(OA_ERR_STATE, "step %s is done in turn and it is %s's turn now, not "
		                             "%.64s's", s->id, engine_turn_role(k), a->role);
	if (!engine_holds(who, a->role))
		return oa_fail(OA_ERR_DENIED, "%s does not hold role '%s' in %s", who->person, a->role,
		    k->org);
	if (strcmp(who->person, k->applicant) == 0 && strcmp(a->role, k->applicant_role) != 0)
		return oa_fail(OA_ERR_DENIED, "an applicant never acts as %s on their own case", a->role);
	if (strcmp(who->person, k->applicant) != 0 && strcmp(a->role, k->applicant_role) == 0)
		return oa_fail(OA_ERR_DENIED, "only the applicant acts as %s in case %" PRId64, a->role,
		    k->id);
	if (sop_turn_passes(s, k->turn)) {
		/* Not the last turn: the actor does their part and passes the step on. */
		if (a->decision != ENGINE_NO_DECISION)
			return oa_fail(OA_ERR_INVALID, "step %s is done in turn: %s passes it to %s, who "
			    "decides; send no decision", s->id, a->role,
			    k->def->actors[s->actors[k->turn + 1]].id);
		if (a->reason && *a->reason) {
			if (!s->records_reason || sop_reason_crl(k->def, a->reason) < 0)
				return oa_fail_id(OA_ERR_INVALID, "reason_unknown", "reason",
				    "'%.64s' is not a reason that can be chosen at this step",
				    a->reason);
			snprintf(k->reason, sizeof k->reason, "%s", a->reason);
		}
		return OA_OK;
	}
	if ((s->action == SOP_ACT_DECIDE) != (a->decision != ENGINE_NO_DECISION) ||
	    (a->decision != ENGINE_NO_DECISION && a->decision != ENGINE_YES &&
	        a->decision != ENGINE_NO))
		return oa_fail(OA_ERR_INVALID, s->action == SOP_ACT_DECIDE
		                                   ? "step %s is a decision: answer yes or no"
		                                   : "step %s is not a decision", s->id);
	if (a->reason && *a->reason) {
		/* The applicant chooses among the definition's reasons; the staff of
		 * a records_reason step record one (the definition's, or RFC 5280's). */
		int applicant = strcmp(a->role, k->applicant_role) == 0;
		if (k->def->kind == SOP_KIND_ISSUANCE || sop_reason_crl(k->def, a->reason) < 0 ||
		    (applicant ? k->def->n_reasons == 0 : !s->records_reason))
			return oa_fail_id(OA_ERR_INVALID, "reason_unknown", "reason",
			    s->records_reason
			    ? "'%.64s' is not a revocation reason of this SOP"
			    : "'%.64s' is not a reason that can be chosen at this step", a->reason);
		snprintf(k->reason, sizeof k->reason, "%s", a->reason);
	} else if (s->records_reason && !k->reason[0] && a->decision != ENGINE_NO) {
		const char *ids[8], *labels[8];
		size_t n = sop_reason_choices(k->def, ids, labels, 8);
		char list[256];
		size_t used = 0;
		list[0] = 0;
		for (size_t i = 0; i < n && used < sizeof list; i++)
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
			    ids[i]);
		return oa_fail_id(OA_ERR_INVALID, "reason_required", "reason",
		    "step %s records the revocation reason: choose one (%s)",
		    s->id, list);
	}
	return OA_OK;
}

oa_err engine_act_check(engine *e, const engine_who *who, const engine_act *a, struct kase *k)
{
	oa_err rc;

	if ((rc = act_args_ok(who, a)))
		return rc;
	return act_case_ok(e, who, a, k);
}

sop_action engine_act_effective(const sop_step *s, const engine_act *a)
{
	if (s->action != SOP_ACT_DECIDE)
		return s->action;
	return a->decision == ENGINE_YES ? s->yes_action : SOP_ACT_NONE;
}

/* An act at an `in_turn` step that is not its last turn: recorded as a
 * "turn" transition that stays at the step; the next actor's turn begins. */
static oa_err pass_turn(engine *e, struct kase *k, const sop_step *s, const engine_who *who,
    const engine_act *a, int64_t now)
{
	store_stmt *st;
	char detail[256];
	oa_err rc;

	if ((rc = engine_append_transition(e, k, s, "turn", who->person, a->role, NULL, a->note, now,
	         s->id)))
		return rc;
	k->turn++;
	if ((st = store_prepare(engine_store(e), "UPDATE sop_case SET turn = ?, transitions = ?,"
	                                         " reason = NULLIF(?, '') WHERE id = ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, k->turn);
	store_bind_int(st, 2, k->transitions);
	store_bind_text(st, 3, k->reason);
	store_bind_int(st, 4, k->id);
	if ((rc = store_run(st)))
		return rc;
	snprintf(detail, sizeof detail, "step=%s role=%s action=turn next=%s", s->id, a->role,
	    k->def->actors[s->actors[k->turn]].id);
	return engine_case_audit(e, who->person, "case.act", k->id, detail);
}

/* An act as one transaction (or savepoint); given: see do_issue. */
oa_err engine_act_run(engine *e, const engine_who *who, const engine_act *a,
    const engine_act_prep *p, const char *given, engine_result *res)
{
	struct kase k;
	const sop_step *s;
	sop_action effective;
	int next;
	int64_t now = oa_now();
	char detail[512];
	const keys_draft *draft = p ? p->draft : NULL;
	int own;
	oa_err rc;

	memset(res, 0, sizeof *res);
	if ((rc = act_args_ok(who, a)))
		return rc;
	if (act_passphrase(a) != NULL && draft == NULL)
		return oa_fail(OA_ERR_INTERNAL, "an act with a passphrase is prepared first");
	if ((rc = store_tx_begin(engine_store(e), &own)))
		return rc;
	if ((rc = act_case_ok(e, who, a, &k)))
		goto out;
	s = &k.def->steps[k.cur];
	if ((rc = take_data(e, &k, s, a, who->person)))
		goto out;
	if (draft) {
		char kid[32];
		snprintf(kid, sizeof kid, "%" PRId64, keys_draft_id(draft));
		if ((rc = keys_draft_store(engine_inst(e), draft, who->person)) ||
		    (rc = engine_set_data(e, k.id, "csr", keys_draft_csr(draft), who->person)) ||
		    (rc = engine_set_data(e, k.id, "key_id", kid, who->person)))
			goto out;
	}
	if (sop_turn_passes(s, k.turn)) {
		rc = pass_turn(e, &k, s, who, a, now);
		goto out;
	}
	effective = engine_act_effective(s, a);
	if (a->decision != ENGINE_NO && (rc = engine_act_documents(e, &k, s, effective)))
		goto out;
	if ((rc = run_action(e, &k, s, effective, who->person, res, given)))
		goto out;
	next = s->action == SOP_ACT_DECIDE ? (a->decision == ENGINE_YES ? s->yes : s->no) : s->next;
	if ((rc = engine_notify_act(e, &k, s, a->decision == ENGINE_NO, next, a->note, res)))
		goto out;
	if ((rc = engine_append_transition(e, &k, s,
	         sop_action_name(effective == SOP_ACT_NONE ? s->action : effective), who->person,
	         a->role, a->decision == ENGINE_YES ? "yes" : a->decision == ENGINE_NO ? "no" : NULL,
	         a->note, now, next == SOP_END ? NULL : k.def->steps[next].id)) ||
	    (rc = engine_advance(e, &k, next, now)))
		goto out;
	snprintf(detail, sizeof detail, "step=%s role=%s action=%s%s%s%s%s%s%s", s->id, a->role,
	    sop_action_name(s->action), a->decision ? " decision=" : "",
	    a->decision == ENGINE_YES ? "yes" : a->decision == ENGINE_NO ? "no" : "",
	    res->issued[0] ? " issued=" : "", res->issued, res->revoked[0] ? " revoked=" : "",
	    res->revoked);
	rc = engine_case_audit(e, who->person, "case.act", k.id, detail);
out:
	if ((rc = store_tx_end(engine_store(e), own, rc))) {
		memset(res, 0, sizeof *res);
		return rc;
	}
	snprintf(res->step, sizeof res->step, "%s", k.step);
	snprintf(res->state, sizeof res->state, "%s", k.state);
	/* Inside a caller's transaction the caller publishes after its commit. */
	if (own && res->revoked[0] && ca_crl_publish(engine_ca(e), 0, NULL, NULL) != OA_OK)
		fprintf(stderr, "openams: warning: revocation of %s recorded; CRL not republished: %s\n",
		    res->revoked, oa_errmsg());
	return OA_OK;
}
