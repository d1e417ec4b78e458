/*
 * account.c - agencies, people and roles per agency, and the engine_who
 * they add up to.
 *
 * Every input is checked here, in C, with a message naming the rule, before
 * anything is written; the schema's CHECKs and triggers (migration 5) are
 * the backstop, not the first line.  Uniqueness (id, NIK, NIP, e-mail) is
 * looked up first so that the message names the field, and enforced again
 * by UNIQUE constraints for concurrent writers.
 *
 * Must never: decide what a role may do (the engine and the web layer do),
 * or delete a person or an agency (audit records name them).
 */
#include "authInt.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/nik.h"
#include "../common/util.h"
#include "../common/roleid.h"

/* ---- Field validation ---- */

int auth_valid_id(const char *s)
{
	size_t n;

	if (s == NULL || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return 0;
	for (n = 0; s[n]; n++)
		if (!(islower((unsigned char)s[n]) || isdigit((unsigned char)s[n]) ||
		        strchr("._-", s[n])))
			return 0;
	return n <= AUTH_MAX_ID;
}

int auth_valid_role(const char *s)
{
	return oa_role_valid(s); /* common/roleid.h: sop check applies it to actor ids */
}

static int two(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

oa_err auth_check_nik(const char *nik)
{
	char why[128];

	if (!oa_nik_valid(nik, why, sizeof why))
		return oa_fail_id(OA_ERR_INVALID, "nik_format", "nik", "%s", why);
	return OA_OK;
}

oa_err auth_check_nip(const char *nip)
{
	int year, month, day;

	if (nip == NULL || !oa_is_digits(nip, 18))
		return oa_fail_id(OA_ERR_INVALID, "nip_format", "nip",
		    "NIP must be exactly 18 digits");
	/* BKN layout: date of birth YYYYMMDD, appointment YYYYMM (PPPK: YYYY21),
	 * sex (1 male, 2 female), serial(3). */
	year = two(nip) * 100 + two(nip + 2);
	month = two(nip + 4);
	day = two(nip + 6);
	if (year < 1900 || month < 1 || month > 12 || day < 1 || day > 31)
		return oa_fail_id(OA_ERR_INVALID, "nip_format", "nip",
		    "NIP: digits 1-8 are not a date of birth (YYYYMMDD)");
	if (nip[14] != '1' && nip[14] != '2')
		return oa_fail_id(OA_ERR_INVALID, "nip_format", "nip",
		    "NIP: digit 15 (sex) must be 1 or 2");
	return OA_OK;
}

static int atext(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

oa_err auth_check_email(const char *email, const char *suffix)
{
	const char *at, *p, *label;
	size_t n, labels = 0;

	if (email == NULL || !*email)
		return oa_fail_id(OA_ERR_INVALID, "email_format", "email",
		    "e-mail address is required");
	if ((n = strlen(email)) > OA_MAX_EMAIL_CHARS)
		return oa_fail_id(OA_ERR_INVALID, "email_format", "email",
		    "e-mail address is longer than %d characters",
		    OA_MAX_EMAIL_CHARS);
	if ((at = strchr(email, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return oa_fail_id(OA_ERR_INVALID, "email_format", "email",
		    "e-mail address must have exactly one @");
	/* RFC 5321 4.1.2 dot-string local part, at most 64 octets (4.5.3.1.1). */
	if (at == email || at - email > 64 || email[0] == '.' || at[-1] == '.')
		return oa_fail_id(OA_ERR_INVALID, "email_format", "email",
		    "e-mail address: bad part before the @");
	for (p = email; p < at; p++)
		if (!(atext((unsigned char)*p) || (*p == '.' && p[1] != '.')))
			return oa_fail_id(OA_ERR_INVALID, "email_format", "email",
			    "e-mail address: bad part before the @");
	/* RFC 1035 2.3.1 labels: letters, digits, hyphens inside; two or more. */
	label = at + 1;
	for (p = at + 1;; p++) {
		if (*p == '.' || *p == 0) {
			size_t ln = (size_t)(p - label);
			if (ln == 0 || ln > 63 || label[0] == '-' || p[-1] == '-')
				return oa_fail_id(OA_ERR_INVALID, "email_format", "email",
				    "e-mail address: bad domain");
			labels++;
			if (*p == 0)
				break;
			label = p + 1;
		} else if (!(isalnum((unsigned char)*p) || *p == '-'))
			return oa_fail_id(OA_ERR_INVALID, "email_format", "email",
			    "e-mail address: bad domain");
	}
	if (labels < 2 || !isalpha((unsigned char)label[0]))
		return oa_fail_id(OA_ERR_INVALID, "email_format", "email",
		    "e-mail address: the domain needs a top-level domain");
	if (suffix && *suffix) {
		size_t sl = strlen(suffix);
		if (sl > n || strcasecmp(email + n - sl, suffix) != 0 ||
		    (suffix[0] != '.' && suffix[0] != '@' && email[n - sl - 1] != '.' &&
		        email[n - sl - 1] != '@'))
			return oa_fail_id(OA_ERR_POLICY, "email_domain", "email",
			    "e-mail address must be on a %s domain "
			                              "(policy.email_suffix)", suffix);
	}
	return OA_OK;
}

/* Free text of a profile: clean UTF-8, min..max characters, not blank. */
static oa_err check_text(const char *what, const char *s, size_t min, size_t max)
{
	size_t n;

	if (s == NULL)
		s = "";
	if (!oa_is_clean_utf8(s))
		return oa_fail(OA_ERR_INVALID, "%s has control characters or is not UTF-8", what);
	n = oa_utf8_chars(s);
	if (n < min || (min > 0 && strspn(s, " ") == strlen(s)))
		return oa_fail(OA_ERR_INVALID, "%s is required", what);
	if (n > max)
		return oa_fail(OA_ERR_INVALID, "%s is longer than %zu characters", what, max);
	if (n > 0 && (s[0] == ' ' || s[strlen(s) - 1] == ' '))
		return oa_fail(OA_ERR_INVALID, "%s starts or ends with a space", what);
	return OA_OK;
}

static const char *opt(const char *s)
{
	return s && *s ? s : NULL;
}

/* ---- Lookups shared with the other files ---- */

static int exists(auth *a, const char *sql, const char *v)
{
	store_stmt *st = store_prepare(a->db, sql);
	int r;

	if (st == NULL)
		return 0;
	store_bind_text(st, 1, v);
	r = store_step(st) == STORE_ROW;
	store_reset(st);
	return r;
}

int auth_person_exists(auth *a, const char *id)
{
	return exists(a, "SELECT 1 FROM auth_person WHERE id = ?", id);
}

int auth_org_exists(auth *a, const char *id)
{
	return exists(a, "SELECT 1 FROM auth_org WHERE id = ?", id);
}

int auth_person_enabled(auth *a, const char *id)
{
	return exists(a, "SELECT 1 FROM auth_person WHERE id = ? AND disabled = 0", id);
}

/* ---- Organisations ---- */

oa_err auth_org_create(auth *a, const char *id, const char *name, const char *actor)
{
	store_stmt *st;
	int own;
	oa_err rc;

	if (!auth_valid_id(id))
		return oa_fail(OA_ERR_INVALID, "organisation id must be 1..%d of a-z 0-9 . _ - "
		                               "starting with a letter or digit", AUTH_MAX_ID);
	if ((rc = check_text("organisation name", name, 1, AUTH_MAX_TEXT)))
		return rc;
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if (auth_org_exists(a, id)) {
		rc = oa_fail(OA_ERR_EXISTS, "organisation %s exists", id);
		goto out;
	}
	if ((st = store_prepare(a->db, "INSERT INTO auth_org(id, name, created_at) VALUES (?, ?, ?)"))
	    == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, name);
	store_bind_int(st, 3, oa_now());
	if ((rc = store_run(st)))
		goto out;
	rc = audit_append(a->db, actor ? actor : "system", "org.create", id, NULL);
out:
	return store_tx_end(a->db, own, rc);
}

static void org_row(store_stmt *st, auth_org *o)
{
	snprintf(o->id, sizeof o->id, "%s", store_col_text(st, 0));
	snprintf(o->name, sizeof o->name, "%s", store_col_text(st, 1));
	o->created_at = store_col_int(st, 2);
}

oa_err auth_org_get(auth *a, const char *id, auth_org *out)
{
	store_stmt *st;
	int r;

	memset(out, 0, sizeof *out);
	if (!auth_valid_id(id))
		return oa_fail(OA_ERR_NOTFOUND, "no such organisation");
	if ((st = store_prepare(a->db, "SELECT id, name, created_at FROM auth_org WHERE id = ?"))
	    == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, id);
	if ((r = store_step(st)) == STORE_ROW)
		org_row(st, out);
	store_reset(st);
	if (r == STORE_ERROR)
		return OA_ERR_STORE;
	return r == STORE_ROW ? OA_OK : oa_fail(OA_ERR_NOTFOUND, "no organisation %s", id);
}

oa_err auth_org_list(auth *a, int (*fn)(const auth_org *, void *), void *arg)
{
	store_stmt *st;
	auth_org o;
	int r;

	if ((st = store_prepare(a->db, "SELECT id, name, created_at FROM auth_org ORDER BY id"))
	    == NULL)
		return OA_ERR_STORE;
	while ((r = store_step(st)) == STORE_ROW) {
		org_row(st, &o);
		if (fn(&o, arg))
			break;
	}
	store_reset(st);
	return r == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}

/* ---- People ---- */

/* Validates a person and writes the normalised e-mail into email. */
static oa_err check_person(auth *a, const auth_person_in *p, char email[OA_MAX_EMAIL_CHARS + 1])
{
	const char *lang = opt(p->lang) ? p->lang : "id";
	oa_err rc;

	if (!auth_valid_id(p->id))
		return oa_fail(OA_ERR_INVALID, "user name must be 1..%d of a-z 0-9 . _ - starting "
		                               "with a letter or digit", AUTH_MAX_ID);
	if (!auth_valid_id(p->org))
		return oa_fail(OA_ERR_INVALID, "organisation must be given by its id");
	if ((rc = check_text("name", p->name, 1, AUTH_MAX_TEXT)) ||
	    (rc = check_text("position", p->position, 0, AUTH_MAX_TEXT)) ||
	    (rc = check_text("unit", p->unit, 0, AUTH_MAX_TEXT)))
		return rc;
	if (opt(p->nik)) {
		if ((rc = auth_check_nik(p->nik)))
			return rc;
	} else if (!p->staff_only)
		return oa_fail(OA_ERR_INVALID, "NIK is required (only staff-only accounts may omit it)");
	if (opt(p->nip) && (rc = auth_check_nip(p->nip)))
		return rc;
	if (p->email == NULL || strlen(p->email) > OA_MAX_EMAIL_CHARS)
		return auth_check_email(p->email, NULL);
	for (size_t i = 0;; i++) {
		email[i] = (char)tolower((unsigned char)p->email[i]);
		if (!p->email[i])
			break;
	}
	if ((rc = auth_check_email(email, p->staff_only ? NULL
	                                                : conf_str(a->cf, "policy.email_suffix"))))
		return rc;
	if (strcmp(lang, "id") != 0 && strcmp(lang, "en") != 0)
		return oa_fail(OA_ERR_INVALID, "language must be id or en");
	if (p->staff_only != 0 && p->staff_only != 1)
		return oa_fail(OA_ERR_INVALID, "staff_only must be 0 or 1");
	return OA_OK;
}

/* OA_ERR_EXISTS naming the first unique field another person holds. */
static oa_err check_unique(auth *a, const auth_person_in *p, const char *email, int update)
{
	static const char *const sql[] = {
	    "SELECT id FROM auth_person WHERE nik = ? AND id <> ?",
	    "SELECT id FROM auth_person WHERE nip = ? AND id <> ?",
	    "SELECT id FROM auth_person WHERE email = ? AND id <> ?",
	};
	const char *vals[] = {opt(p->nik), opt(p->nip), email};
	const char *names[] = {"NIK", "NIP", "e-mail address"};

	if (!update && auth_person_exists(a, p->id))
		return oa_fail(OA_ERR_EXISTS, "user name %s is taken", p->id);
	for (int i = 0; i < 3; i++) {
		store_stmt *st;
		int r;
		if (vals[i] == NULL)
			continue;
		if ((st = store_prepare(a->db, sql[i])) == NULL)
			return OA_ERR_STORE;
		store_bind_text(st, 1, vals[i]);
		store_bind_text(st, 2, p->id);
		r = store_step(st);
		store_reset(st);
		if (r == STORE_ROW)
			return oa_fail(OA_ERR_EXISTS, "another person has this %s", names[i]);
		if (r != STORE_DONE)
			return OA_ERR_STORE;
	}
	return OA_OK;
}

static oa_err person_write(auth *a, const auth_person_in *p, const char *actor, int update)
{
	char email[OA_MAX_EMAIL_CHARS + 1];
	store_stmt *st;
	int64_t now = oa_now();
	int own;
	oa_err rc;

	if ((rc = check_person(a, p, email)))
		return rc;
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if (update && !auth_person_exists(a, p->id)) {
		rc = oa_fail(OA_ERR_NOTFOUND, "no person %s", p->id);
		goto out;
	}
	if (!auth_org_exists(a, p->org)) {
		rc = oa_fail(OA_ERR_NOTFOUND, "no organisation %s", p->org);
		goto out;
	}
	if ((rc = check_unique(a, p, email, update)))
		goto out;
	if (update && p->staff_only &&
	    exists(a, "SELECT 1 FROM auth_role WHERE person = ? AND role NOT IN ('admin', "
	              "'ca_operator')", p->id)) {
		rc = oa_fail(OA_ERR_POLICY, "%s holds SOP roles: revoke them before making the "
		                            "account staff-only", p->id);
		goto out;
	}
	st = store_prepare(a->db, update
	        ? "UPDATE auth_person SET org = ?2, name = ?3, nik = ?4, nip = ?5, email = ?6,"
	          " position = ?7, unit = ?8, lang = ?9, staff_only = ?10, updated_at = ?11"
	          " WHERE id = ?1"
	        : "INSERT INTO auth_person(id, org, name, nik, nip, email, position, unit, lang,"
	          " staff_only, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	          " ?10, ?11, ?11)");
	if (st == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, p->id);
	store_bind_text(st, 2, p->org);
	store_bind_text(st, 3, p->name);
	store_bind_text(st, 4, opt(p->nik));
	store_bind_text(st, 5, opt(p->nip));
	store_bind_text(st, 6, email);
	store_bind_text(st, 7, p->position ? p->position : "");
	store_bind_text(st, 8, p->unit ? p->unit : "");
	store_bind_text(st, 9, opt(p->lang) ? p->lang : "id");
	store_bind_int(st, 10, p->staff_only);
	store_bind_int(st, 11, now);
	if ((rc = store_run(st)))
		goto out;
	if (!update) {
		if ((st = store_prepare(a->db, "INSERT INTO auth_credential(person) VALUES (?)")) == NULL) {
			rc = OA_ERR_STORE;
			goto out;
		}
		store_bind_text(st, 1, p->id);
		if ((rc = store_run(st)))
			goto out;
	}
	{
		char detail[160];
		snprintf(detail, sizeof detail, "org=%s staff_only=%d", p->org, p->staff_only);
		rc = audit_append(a->db, actor ? actor : "system",
		    update ? "person.update" : "person.create", p->id, detail);
	}
out:
	return store_tx_end(a->db, own, rc);
}

oa_err auth_person_create(auth *a, const auth_person_in *p, const char *actor)
{
	return person_write(a, p, actor, 0);
}

oa_err auth_person_create_with_password(auth *a, const auth_person_in *p, const char *password,
    int require_totp, const char *actor)
{
	int own;
	oa_err rc;

	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((rc = auth_person_create(a, p, actor)) == OA_OK && password != NULL)
		rc = auth_password_set(a, p->id, password, NULL, actor);
	if (rc == OA_OK && require_totp)
		rc = auth_totp_require(a, p->id, 1, actor);
	return store_tx_end(a->db, own, rc);
}

oa_err auth_totp_require(auth *a, const char *person, int required, const char *actor)
{
	store_stmt *st;
	int own;
	oa_err rc;

	if (!auth_valid_id(person))
		return oa_fail(OA_ERR_NOTFOUND, "no such person");
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((st = store_prepare(a->db, "UPDATE auth_credential SET totp_required = ?"
	                               " WHERE person = ? AND totp_required <> ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, required != 0);
	store_bind_text(st, 2, person);
	store_bind_int(st, 3, required != 0);
	if ((rc = store_run(st)))
		goto out;
	if (store_changes(a->db) == 0) {
		rc = auth_person_exists(a, person) ? OA_OK : oa_fail(OA_ERR_NOTFOUND, "no such person");
		goto out; /* already so: nothing to record */
	}
	rc = audit_append(a->db, actor ? actor : "system",
	    required ? "person.totp_required" : "person.totp_optional", person, NULL);
out:
	return store_tx_end(a->db, own, rc);
}

oa_err auth_person_update(auth *a, const auth_person_in *p, const char *actor)
{
	return person_write(a, p, actor, 1);
}

oa_err auth_person_set_disabled(auth *a, const char *id, int disabled, const char *actor)
{
	store_stmt *st;
	int own;
	oa_err rc;

	if (disabled != 0 && disabled != 1)
		return oa_fail(OA_ERR_INVALID, "disabled must be 0 or 1");
	if (!auth_valid_id(id))
		return oa_fail(OA_ERR_NOTFOUND, "no such person");
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((st = store_prepare(a->db, "UPDATE auth_person SET disabled = ?, updated_at = ?"
	                               " WHERE id = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, disabled);
	store_bind_int(st, 2, oa_now());
	store_bind_text(st, 3, id);
	if ((rc = store_run(st)))
		goto out;
	if (store_changes(a->db) != 1) {
		rc = oa_fail(OA_ERR_NOTFOUND, "no person %s", id);
		goto out;
	}
	if (disabled && (rc = auth_sessions_revoke_person(a, id, NULL, NULL)))
		goto out;
	rc = audit_append(a->db, actor ? actor : "system",
	    disabled ? "person.disable" : "person.enable", id, NULL);
out:
	return store_tx_end(a->db, own, rc);
}

#define PERSON_COLS \
	"p.id, p.org, p.name, COALESCE(p.nik, ''), COALESCE(p.nip, ''), p.email, p.position," \
	" p.unit, p.lang, p.staff_only, p.disabled, c.password_hash IS NOT NULL," \
	" c.totp_secret IS NOT NULL, p.created_at, p.updated_at, c.locked_until, c.totp_required" \
	" FROM auth_person p JOIN auth_credential c ON c.person = p.id"

static void person_row(store_stmt *st, auth_person *p, int64_t now)
{
	snprintf(p->id, sizeof p->id, "%s", store_col_text(st, 0));
	snprintf(p->org, sizeof p->org, "%s", store_col_text(st, 1));
	snprintf(p->name, sizeof p->name, "%s", store_col_text(st, 2));
	snprintf(p->nik, sizeof p->nik, "%s", store_col_text(st, 3));
	snprintf(p->nip, sizeof p->nip, "%s", store_col_text(st, 4));
	snprintf(p->email, sizeof p->email, "%s", store_col_text(st, 5));
	snprintf(p->position, sizeof p->position, "%s", store_col_text(st, 6));
	snprintf(p->unit, sizeof p->unit, "%s", store_col_text(st, 7));
	snprintf(p->lang, sizeof p->lang, "%s", store_col_text(st, 8));
	p->staff_only = (int)store_col_int(st, 9);
	p->disabled = (int)store_col_int(st, 10);
	p->has_password = (int)store_col_int(st, 11);
	p->totp_enrolled = (int)store_col_int(st, 12);
	p->created_at = store_col_int(st, 13);
	p->updated_at = store_col_int(st, 14);
	p->locked_until = store_col_int(st, 15) > now ? store_col_int(st, 15) : 0;
	p->totp_required = (int)store_col_int(st, 16);
}

static oa_err person_one(auth *a, const char *sql, const char *v, auth_person *out)
{
	store_stmt *st;
	int r;

	if ((st = store_prepare(a->db, sql)) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, v);
	if ((r = store_step(st)) == STORE_ROW)
		person_row(st, out, oa_now());
	store_reset(st);
	if (r == STORE_ERROR)
		return OA_ERR_STORE;
	return r == STORE_ROW ? OA_OK : oa_fail(OA_ERR_NOTFOUND, "no such person");
}

oa_err auth_person_get(auth *a, const char *id, auth_person *out)
{
	memset(out, 0, sizeof *out);
	if (!auth_valid_id(id))
		return oa_fail(OA_ERR_NOTFOUND, "no such person");
	return person_one(a, "SELECT " PERSON_COLS " WHERE p.id = ?", id, out);
}

oa_err auth_person_by_email(auth *a, const char *email, auth_person *out)
{
	char low[OA_MAX_EMAIL_CHARS + 1];
	size_t i;

	memset(out, 0, sizeof *out);
	if (email == NULL || strlen(email) > OA_MAX_EMAIL_CHARS)
		return oa_fail(OA_ERR_NOTFOUND, "no such person");
	for (i = 0; email[i]; i++)
		low[i] = (char)tolower((unsigned char)email[i]);
	low[i] = 0;
	return person_one(a, "SELECT " PERSON_COLS " WHERE p.email = ?", low, out);
}

oa_err auth_person_list(auth *a, const char *org, int (*fn)(const auth_person *, void *),
    void *arg)
{
	store_stmt *st;
	auth_person p;
	int64_t now = oa_now();
	int r;

	if ((st = store_prepare(a->db, "SELECT " PERSON_COLS " WHERE p.org = ? ORDER BY p.id"))
	    == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, org);
	while ((r = store_step(st)) == STORE_ROW) {
		person_row(st, &p, now);
		if (fn(&p, arg))
			break;
	}
	store_reset(st);
	return r == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}

/* ---- Roles ---- */

static oa_err check_role_args(const char *person, const char *org, const char *role)
{
	if (!auth_valid_id(person))
		return oa_fail(OA_ERR_INVALID, "person must be given by user name");
	if (!auth_valid_id(org))
		return oa_fail(OA_ERR_INVALID, "organisation must be given by its id");
	if (!auth_valid_role(role))
		return oa_fail(OA_ERR_INVALID, "role must be 1..%d of a-z 0-9 _", AUTH_MAX_ID);
	return OA_OK;
}

oa_err auth_role_grant(auth *a, const char *person, const char *org, const char *role,
    const char *actor)
{
	store_stmt *st;
	char object[2 * AUTH_MAX_ID + 2];
	int own, r;
	oa_err rc;

	if ((rc = check_role_args(person, org, role)))
		return rc;
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if (!auth_person_exists(a, person)) {
		rc = oa_fail(OA_ERR_NOTFOUND, "no person %s", person);
		goto out;
	}
	if (!auth_org_exists(a, org)) {
		rc = oa_fail(OA_ERR_NOTFOUND, "no organisation %s", org);
		goto out;
	}
	if (strcmp(role, AUTH_ROLE_ADMIN) != 0 && strcmp(role, AUTH_ROLE_CA_OPERATOR) != 0 &&
	    exists(a, "SELECT 1 FROM auth_person WHERE id = ? AND staff_only = 1", person)) {
		rc = oa_fail(OA_ERR_POLICY, "%s is a staff-only account: it may hold only admin and "
		                            "ca_operator", person);
		goto out;
	}
	if ((st = store_prepare(a->db, "SELECT count(*) FROM auth_role WHERE person = ? AND org = ?"))
	    == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, person);
	store_bind_text(st, 2, org);
	r = store_step(st) == STORE_ROW && store_col_int(st, 0) >= AUTH_MAX_ROLES;
	store_reset(st);
	if (r) {
		rc = oa_fail(OA_ERR_LIMIT, "%s already holds %d roles in %s", person, AUTH_MAX_ROLES,
		    org);
		goto out;
	}
	if ((st = store_prepare(a->db, "INSERT INTO auth_role(person, org, role, granted_by,"
	                               " granted_at) VALUES (?, ?, ?, ?, ?)")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, person);
	store_bind_text(st, 2, org);
	store_bind_text(st, 3, role);
	store_bind_text(st, 4, actor ? actor : "system");
	store_bind_int(st, 5, oa_now());
	if ((r = store_step(st)) == STORE_CONSTRAINT)
		rc = oa_fail(OA_ERR_EXISTS, "%s already holds %s in %s", person, role, org);
	else if (r != STORE_DONE)
		rc = OA_ERR_STORE;
	store_reset(st);
	if (rc)
		goto out;
	snprintf(object, sizeof object, "%s@%s", person, org);
	rc = audit_append(a->db, actor ? actor : "system", "role.grant", object, role);
out:
	return store_tx_end(a->db, own, rc);
}

oa_err auth_role_revoke(auth *a, const char *person, const char *org, const char *role,
    const char *actor)
{
	store_stmt *st;
	char object[2 * AUTH_MAX_ID + 2];
	int own;
	oa_err rc;

	if ((rc = check_role_args(person, org, role)))
		return rc;
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((st = store_prepare(a->db, "DELETE FROM auth_role WHERE person = ? AND org = ?"
	                               " AND role = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, person);
	store_bind_text(st, 2, org);
	store_bind_text(st, 3, role);
	if ((rc = store_run(st)))
		goto out;
	if (store_changes(a->db) != 1) {
		rc = oa_fail(OA_ERR_NOTFOUND, "%s does not hold %s in %s", person, role, org);
		goto out;
	}
	snprintf(object, sizeof object, "%s@%s", person, org);
	rc = audit_append(a->db, actor ? actor : "system", "role.revoke", object, role);
out:
	return store_tx_end(a->db, own, rc);
}

oa_err auth_role_list(auth *a, const char *org, const char *person,
    int (*fn)(const char *, const char *, void *), void *arg)
{
	store_stmt *st;
	int r;

	if ((st = store_prepare(a->db, "SELECT person, role FROM auth_role WHERE org = ?1"
	                               " AND (?2 IS NULL OR person = ?2) ORDER BY person, role"))
	    == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, org);
	store_bind_text(st, 2, person);
	while ((r = store_step(st)) == STORE_ROW)
		if (fn(store_col_text(st, 0), store_col_text(st, 1), arg))
			break;
	store_reset(st);
	return r == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}

oa_err auth_who_get(auth *a, const char *person, const char *org, auth_who *out)
{
	store_stmt *st;
	int r;

	memset(out, 0, sizeof *out);
	if (!auth_valid_id(person) || !auth_valid_id(org) || !auth_person_enabled(a, person))
		return oa_fail(OA_ERR_DENIED, "no such enabled account");
	if (!auth_org_exists(a, org))
		return oa_fail(OA_ERR_NOTFOUND, "no organisation %s", org);
	/* An account that must enrol TOTP first holds no role until it has. */
	if ((st = store_prepare(a->db, "SELECT p.lang, r.role,"
	                               " c.totp_required = 1 AND c.totp_secret IS NULL"
	                               " FROM auth_person p JOIN auth_credential c ON c.person = p.id"
	                               " LEFT JOIN auth_role r ON r.person = p.id AND r.org = ?"
	                               " WHERE p.id = ? ORDER BY r.role")) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, org);
	store_bind_text(st, 2, person);
	while ((r = store_step(st)) == STORE_ROW) {
		snprintf(out->lang, sizeof out->lang, "%s", store_col_text(st, 0));
		if (store_col_isnull(st, 1) || store_col_int(st, 2) || out->who.nroles >= AUTH_MAX_ROLES)
			continue;
		snprintf(out->roles[out->who.nroles], sizeof out->roles[0], "%s", store_col_text(st, 1));
		out->role_ptrs[out->who.nroles] = out->roles[out->who.nroles];
		out->who.nroles++;
	}
	store_reset(st);
	if (r == STORE_ERROR)
		return OA_ERR_STORE;
	snprintf(out->person, sizeof out->person, "%s", person);
	snprintf(out->org, sizeof out->org, "%s", org);
	out->who.person = out->person;
	out->who.org = out->org;
	out->who.roles = out->role_ptrs;
	return OA_OK;
}

int auth_who_holds(const auth_who *w, const char *role)
{
	for (size_t i = 0; i < w->who.nroles; i++)
		if (strcmp(w->roles[i], role) == 0)
			return 1;
	return 0;
}
