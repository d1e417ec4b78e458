/*
 * revoke.c - a revocation outside any SOP case (the agency registry's CA
 * operator), told to the holder in the same transaction.
 *
 * ca_revoke_in_org() owns the transaction (the revocation and its audit
 * records); the holder's "cert_revoked" e-mail is written to the outbox in
 * it through its callback, so a revocation that commits has its e-mail
 * queued and a refused one has none.  The holder is the certificate's
 * e-mail address, else the address of the account holding its NIK; the
 * account, when there is one, gives the name and the language.  A
 * certificate with neither address is revoked without an e-mail, as the
 * engine skips people without an address.
 */

#include "../auth/auth.h"
#include "../mail/mail.h"
#include "engineInt.h"

struct holder_ctx {
	engine *e;
	const char *actor, *label;
};

static oa_err tell_holder(const ca_cert_info *c, void *arg)
{
	struct holder_ctx *x = arg;
	auth_person p;
	int acct = 0;
	mail_msg m = {0};

	if (c->nik[0] && auth_person_by_nik(engine_auth(x->e), c->nik, &p) == OA_OK && !p.disabled)
		acct = 1;
	oa_err_clear();
	if (c->email[0] && auth_check_email(c->email, NULL) == OA_OK)
		m.to_addr = c->email;
	else if (acct && p.email[0])
		m.to_addr = p.email;
	oa_err_clear();
	if (m.to_addr == NULL)
		return OA_OK; /* no address: nothing to send */
	m.event = MAIL_CERT_REVOKED;
	m.to_name = acct ? p.name : c->cn;
	m.lang = acct && p.lang[0] ? p.lang : "id";
	m.person = acct ? p.id : NULL;
	m.actor = x->actor ? x->actor : "system";
	m.serial = c->serial;
	m.reason = x->label;
	m.at = c->revoked_at;
	return mail_enqueue(engine_store(x->e), engine_conf(x->e), &m, NULL);
}

oa_err engine_revoke_in_org(engine *e, const char *org, const char *serial, const char *reason,
    const char *actor, const char *via, const char *note)
{
	struct holder_ctx x = {e, actor, sop_reason_label(NULL, reason)};
	int code = sop_reason_crl(NULL, reason);

	if (code < 0 || x.label == NULL)
		return oa_fail(OA_ERR_INVALID, "'%s' is not a revocation reason", reason ? reason : "");
	return ca_revoke_in_org(engine_ca(e), org, serial, code, actor, via, note, tell_holder, &x);
}
