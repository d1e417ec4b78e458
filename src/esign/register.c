/*
 * register.c - POST /api/v2/user/registration (the guide's 6.8, "Registrasi
 * User": {"nama", "email"}): finds or makes the person's account in the
 * client application's agency and opens that agency's active issuance SOP
 * case for them with engine_enrol, one transaction of the engine's (the
 * account, its applicant role, the case and the audit records commit
 * together or not at all).  openams needs the NIK as well (a certificate is issued for a NIK,
 * and the case records it); the optional NIP goes to the account.
 * docs/ESIGN_API.md says what is answered.
 *
 * Must never: attach an existing account of another agency, or one whose
 * NIK and e-mail do not both match the request, to a new case.
 */
#include "esignInt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../engine/engine.h"

/* The agency's active issuance SOP (the first by SOP id). */
typedef struct find_sop {
	char sop_id[OA_MAX_SOP_ID + 1];
	int64_t version_id;
} find_sop;

static int issuance_cb(const engine_sop_info *i, void *arg)
{
	find_sop *f = arg;

	if (!i->active || strcmp(i->kind, "issuance") != 0)
		return 0;
	snprintf(f->sop_id, sizeof f->sop_id, "%s", i->sop_id);
	f->version_id = i->version_id;
	return 1;
}

/* A user name for a new account: the e-mail's local part (lower case)
 * when it is a valid id, else (or with alt) "u" and the NIK. */
static const char *new_id(web_req *r, const char *email, const char *nik, int alt)
{
	char local[AUTH_MAX_ID + 1];
	size_t n = strcspn(email, "@");

	if (alt || n == 0 || n > 40)
		return web_printf(r, "u%s", nik);
	for (size_t i = 0; i < n; i++)
		local[i] = (char)((email[i] >= 'A' && email[i] <= 'Z') ? email[i] - 'A' + 'a' : email[i]);
	local[n] = '\0';
	return web_printf(r, "%s", auth_valid_id(local) ? local : web_printf(r, "u%s", nik));
}

/* Answers a refusal of the registration's store work. */
static void reg_fail(web_req *r, oa_err rc)
{
	const char *m = oa_errmsg();

	switch (rc) {
	case OA_ERR_INVALID:
	case OA_ERR_POLICY:
	case OA_ERR_LIMIT:
		esign_fail(r, 400, "INVALID_REQUEST", "Data pendaftaran tidak valid", "%s", m);
		return;
	case OA_ERR_EXISTS:
		esign_fail(r, 409, "ALREADY_REGISTERED", "Pengguna sudah terdaftar", "%s", m);
		return;
	case OA_ERR_STATE:
	case OA_ERR_DENIED:
	case OA_ERR_NOTFOUND:
		esign_fail(r, 409, "REGISTRATION_REFUSED", "Pendaftaran tidak dapat diproses", "%s", m);
		return;
	default:
		esign_fail_internal(r, rc);
	}
}

void esign_v2_register(web_req *r)
{
	auth_client_info ci;
	auth_person p, q;
	json_t *j = NULL;
	const char *nama, *email, *nik, *nip, *person = NULL, *role;
	const sop_def *d = NULL;
	find_sop f = {{0}, 0};
	engine_enrol_req eq = {0};
	engine_case k;
	char serial[41], made[AUTH_MAX_ID + 1];
	int bad = 0, created = 0, have = 0;
	int64_t case_id = 0;
	oa_err rc;

	if (!esign_client_auth(r, &ci))
		return;
	if ((j = esign_json_body(r)) == NULL)
		goto out;
	nama = esign_jstr(j, "nama", &bad);
	email = esign_jstr(j, "email", &bad);
	nik = esign_jstr(j, "nik", &bad);
	nip = esign_jstr(j, "nip", &bad);
	if (bad || nama == NULL || *nama == 0 || email == NULL || *email == 0) {
		esign_fail(r, 400, "INVALID_REQUEST", "Nama dan email wajib diisi",
		    "nama and email (strings) are required, and nik");
		goto out;
	}
	if (!esign_nik_ok(r, nik))
		goto out;
	if (nip && *nip && auth_check_nip(nip)) {
		esign_fail(r, 400, "INVALID_REQUEST", "NIP tidak valid", "nip is 18 digits");
		goto out;
	}
	if ((rc = auth_check_email(email, NULL))) {
		esign_fail(r, 400, "INVALID_REQUEST", "Email tidak valid", "%s", oa_errmsg());
		goto out;
	}
	/* the agency's issuance SOP and the role that applies */
	if ((rc = engine_sop_list(r->engine, ci.org, 1, issuance_cb, &f))) {
		esign_fail_internal(r, rc);
		goto out;
	}
	if (f.sop_id[0] == 0) {
		esign_fail(r, 409, "NO_ISSUANCE_SOP", "Instansi belum memiliki SOP penerbitan sertifikat",
		    "agency %s has no active issuance SOP", ci.org);
		goto out;
	}
	if ((rc = engine_sop_version(r->engine, f.version_id, NULL, 0, &d)) || d == NULL ||
	    d->n_steps == 0 || d->steps[0].n_actors == 0) {
		esign_fail_internal(r, rc ? rc : oa_fail(OA_ERR_INTERNAL, "SOP %s has no first actor",
		                                             f.sop_id));
		goto out;
	}
	role = d->actors[d->steps[0].actors[0]].id;
	/* an account this registration may use: same NIK, same e-mail, this agency */
	if (auth_person_by_nik(r->auth, nik, &p) == OA_OK) {
		if (strcasecmp(p.email, email) != 0 || strcmp(p.org, ci.org) != 0) {
			esign_fail(r, 409, "ALREADY_REGISTERED", "NIK sudah terdaftar dengan data lain",
			    "NIK %s is registered with another e-mail address or in another agency", nik);
			goto out;
		}
		if (p.disabled) {
			esign_fail(r, 403, "ACCOUNT_DISABLED", "Akun pengguna dinonaktifkan",
			    "the account of NIK %s is disabled", nik);
			goto out;
		}
		person = web_printf(r, "%s", p.id);
		have = 1;
	} else if (auth_person_by_email(r->auth, email, &q) == OA_OK) {
		esign_fail(r, 409, "ALREADY_REGISTERED", "Email sudah terdaftar dengan NIK lain",
		    "the e-mail address is registered to another person");
		goto out;
	}
	if (sign_holder_find(r->in, nik, NULL, serial) == OA_OK) {
		esign_fail(r, 409, "ALREADY_CERTIFIED", "Pengguna sudah memiliki Sertifikat Elektronik",
		    "NIK %s already has an active certificate", nik);
		goto out;
	}
	eq.org = ci.org;
	eq.sop_id = f.sop_id;
	eq.role = role;
	eq.person = have ? person : NULL;
	eq.account.org = ci.org;
	eq.account.name = nama;
	eq.account.nik = nik;
	eq.account.nip = nip;
	eq.account.email = email;
	eq.ids[0] = new_id(r, email, nik, 0);
	eq.ids[1] = new_id(r, email, nik, 1);
	eq.nids = strcmp(eq.ids[0], eq.ids[1]) ? 2 : 1;
	eq.actor = web_printf(r, "client:%s", ci.username);
	eq.client = ci.username;
	if ((rc = engine_enrol(r->engine, &eq, made, &created, &case_id)))
		goto fail;
	person = made;
	if ((rc = engine_case_get(r->engine, case_id, &k))) {
		esign_fail_internal(r, rc);
		goto out;
	}
	web_reply_json(r, 200, json_pack("{s:i,s:s,s:{s:s,s:s,s:s,s:s,s:b,s:I,s:s,s:s,s:s}}",
	    "status_code", 200, "message",
	    created ? "Pendaftaran berhasil; permohonan Sertifikat Elektronik menunggu verifikasi"
	            : "Pengguna sudah terdaftar; permohonan Sertifikat Elektronik menunggu verifikasi",
	    "data", "nama", created ? nama : p.name, "email", email, "nik", nik, "username", person,
	    "new_account", created, "case_id", (json_int_t)case_id, "sop", f.sop_id, "step", k.step,
	    "status", "WAITING_FOR_VERIFICATION"));
	goto out;
fail:
	if (rc == OA_ERR_EXISTS && strstr(oa_errmsg(), "open case"))
		esign_fail(r, 409, "ALREADY_REGISTERED", "Permohonan pengguna ini sedang diproses",
		    "%s", oa_errmsg());
	else
		reg_fail(r, rc);
out:
	json_decref(j);
}
