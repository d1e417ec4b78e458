/*
 * auth.h - accounts and sign-in: agencies (organisations), people, roles per
 * agency, passwords (Argon2id), TOTP second factor, lockout, browser
 * sessions with CSRF tokens, API tokens for integrations, and one-time
 * links (activation, identity form, set passphrase, password reset).
 *
 * Who calls this: the web layer (and the CLI).  auth authenticates and says
 * which roles a person holds in an agency (auth_who -> engine_who); it does
 * not decide what a role may do (the SOP engine does for cases) nor who may
 * administer accounts: callers check that the actor holds "admin" (or
 * "ca_operator") in the agency, with auth_who_holds(), before calling the
 * account-changing functions.  actor arguments only name who acted in the
 * audit log.
 *
 * Secrets: this module never stores, logs or puts into an error message a
 * password, TOTP secret, session id, API token or link token.  Passwords are
 * kept as Argon2id encoded strings; TOTP secrets encrypted with AES-256-GCM
 * under DIR/secrets/auth.key; session ids, API tokens and link tokens as
 * their SHA-256.  Tokens handed to the caller are shown once: the caller
 * sends them (cookie, e-mail) and wipes them.
 *
 * Transactions: every function that changes state joins the caller's open
 * write transaction on inst_store() as a savepoint (a refusal undoes only that
 * call), and otherwise opens and commits its own.  Each change appends an
 * audit record in the same transaction.  Exception: auth_login() and
 * auth_password_verify() must be called outside any transaction, because a
 * failed attempt must be recorded durably although the call fails.
 *
 * Errors: OA_ERR_INVALID names the rule an input breaks, and nothing is
 * changed; sign-in failures are OA_ERR_DENIED with one generic message that
 * never says which factor was wrong or whether the account exists.
 *
 * Time is read through oa_now() (OPENAMS_NOW in tests).
 */
#ifndef OA_AUTH_H
#define OA_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "../inst/inst.h"
#include "../common/err.h"

/*
 * An authenticated person: id, organisation, and the roles held there; what
 * the SOP engine (and every caller deciding by role) is given.  Defined here,
 * below the engine, so that auth needs nothing of the engine.
 */
typedef struct engine_who {
	const char *person;
	const char *org;
	const char *const *roles;
	size_t nroles;
} engine_who;

#define AUTH_MAX_ID          64   /* org, person and role ids */
#define AUTH_MAX_TEXT        128  /* names, position, unit: characters */
#define AUTH_MAX_ROLES       40   /* roles one person holds in one agency */
#define AUTH_TOKEN_LEN       43   /* session ids, CSRF and link tokens: base64url of 32 bytes */
#define AUTH_API_TOKEN_LEN   47   /* "oat_" + base64url of 32 bytes */
#define AUTH_MAX_TOTP_CODE   10
#define AUTH_MAX_LOGIN       128  /* a user name or an e-mail address */

/* Fixed roles that exist in every agency besides its SOP actors. */
#define AUTH_ROLE_ADMIN      "admin"
#define AUTH_ROLE_CA_OPERATOR "ca_operator"

typedef struct auth auth;

/*
 * Opens the module on an open instance (borrowed: it must outlive the handle).
 * Reads the configuration; the TOTP key file is read or created on first
 * use.  Free with auth_free().
 */
oa_err auth_open(inst *in, auth **out);
/* Frees and wipes the keys it holds; accepts NULL. */
void auth_free(auth *a);

/* ---- Validation of single fields (also used by forms before submitting) ---- */

/* 1 if s is an org or person id: 1..64 of a-z 0-9 . _ -, starting with a-z 0-9. */
int auth_valid_id(const char *s);
/* 1 if s is a role id: 1..64 of a-z 0-9 _. */
int auth_valid_role(const char *s);
/* OA_OK or OA_ERR_INVALID saying what is wrong: 16 digits, a plausible
 * date of birth in digits 7..12 (day + 40 for women), a non-zero serial. */
oa_err auth_check_nik(const char *nik);
/* OA_OK or OA_ERR_INVALID: 18 digits, a date of birth in digits 1..8 and
 * the sex digit (15th) 1 or 2. */
oa_err auth_check_nip(const char *nip);
/* OA_OK or OA_ERR_INVALID: one address local@domain (RFC 5321 dot-atom
 * local part, LDH domain labels, at least two labels), at most
 * OA_MAX_EMAIL_CHARS.  suffix: if not NULL or "", the domain must end with
 * it (".go.id": a sub-domain of go.id). */
oa_err auth_check_email(const char *email, const char *suffix);

/* ---- Organisations (agencies, instansi) ---- */

typedef struct auth_org {
	char id[AUTH_MAX_ID + 1];
	char name[4 * AUTH_MAX_TEXT + 1];
	int64_t created_at;
} auth_org;

/* Creates an agency.  OA_ERR_EXISTS if the id is taken. */
oa_err auth_org_create(auth *a, const char *id, const char *name, const char *actor);
oa_err auth_org_get(auth *a, const char *id, auth_org *out);
/* Calls fn for each agency by id; fn returning non-zero stops the walk. */
oa_err auth_org_list(auth *a, int (*fn)(const auth_org *, void *), void *arg);

/* ---- People ---- */

/* What a form gives; NULL and "" are the same for optional fields. */
typedef struct auth_person_in {
	const char *id;         /* user name: auth_valid_id() */
	const char *org;        /* home agency (an existing auth_org) */
	const char *name;       /* full name, 1..128 characters */
	const char *nik;        /* 16 digits; optional only for staff_only accounts */
	const char *nip;        /* 18 digits, optional */
	const char *email;      /* stored lower-case; unique */
	const char *position;   /* jabatan, optional */
	const char *unit;       /* unit kerja, optional */
	const char *lang;       /* "id" (default) or "en" */
	int staff_only;         /* an administrator / CA operator account that never
	                         * applies for a certificate: holds only admin and
	                         * ca_operator, and its e-mail need not end with
	                         * policy.email_suffix */
} auth_person_in;

typedef struct auth_person {
	char id[AUTH_MAX_ID + 1], org[AUTH_MAX_ID + 1];
	char name[4 * AUTH_MAX_TEXT + 1];
	char nik[17], nip[19];  /* "" when none */
	char email[OA_MAX_EMAIL_CHARS + 1];
	char position[4 * AUTH_MAX_TEXT + 1], unit[4 * AUTH_MAX_TEXT + 1];
	char lang[3];
	int staff_only, disabled;
	int has_password, totp_enrolled;
	int totp_required;      /* must enrol TOTP before acting (auth_totp_require) */
	int64_t created_at, updated_at;
	int64_t locked_until;   /* 0, or until when sign-in is refused */
} auth_person;

/* Creates a person (without password: see auth_password_set and the
 * activation link).  OA_ERR_EXISTS names the field (id, NIK, NIP, e-mail)
 * that another person already has. */
oa_err auth_person_create(auth *a, const auth_person_in *p, const char *actor);
/*
 * Creates a person, sets their password (when password is not NULL: the
 * policy of auth_password_set) and, with require_totp, marks the account
 * as one that must enrol TOTP first (auth_totp_require): one transaction,
 * so a refused password leaves no account behind.  What the API does for a
 * person created with a password, for the command line.
 */
oa_err auth_person_create_with_password(auth *a, const auth_person_in *p, const char *password,
    int require_totp, const char *actor);
/* Replaces the profile of person p->id with p (same rules as create). */
oa_err auth_person_update(auth *a, const auth_person_in *p, const char *actor);
/* Disables (1) or re-enables (0) an account.  Disabling revokes its
 * sessions; its API tokens stop working while it is disabled. */
oa_err auth_person_set_disabled(auth *a, const char *id, int disabled, const char *actor);
oa_err auth_person_get(auth *a, const char *id, auth_person *out);
/* By e-mail address (any case). */
oa_err auth_person_by_email(auth *a, const char *email, auth_person *out);
/* People whose home agency is org, by id; fn returning non-zero stops. */
oa_err auth_person_list(auth *a, const char *org, int (*fn)(const auth_person *, void *),
    void *arg);

/* ---- Roles per agency ---- */

/* Grants role (auth_valid_role: an SOP actor id such as pemohon, or admin,
 * ca_operator) to person in org.  Granting a role held is OA_ERR_EXISTS. */
oa_err auth_role_grant(auth *a, const char *person, const char *org, const char *role,
    const char *actor);
/* Revokes it; OA_ERR_NOTFOUND if not held. */
oa_err auth_role_revoke(auth *a, const char *person, const char *org, const char *role,
    const char *actor);
/* Role holders in org (person NULL: everyone; else that person only). */
oa_err auth_role_list(auth *a, const char *org, const char *person,
    int (*fn)(const char *person, const char *role, void *), void *arg);

/*
 * An authenticated person as the engine wants it.  who points into the
 * struct's own arrays: use it in place, never copy the struct.
 */
typedef struct auth_who {
	engine_who who;
	char person[AUTH_MAX_ID + 1], org[AUTH_MAX_ID + 1];
	char roles[AUTH_MAX_ROLES][AUTH_MAX_ID + 1];
	const char *role_ptrs[AUTH_MAX_ROLES];
	char lang[3];
} auth_who;

/*
 * Fills out with person, org and the roles person holds in org, sorted.
 * A disabled or unknown person is OA_ERR_DENIED.  Holding no role there
 * is not an error (nroles 0); an account that must enrol TOTP and has not
 * yet holds none (auth_totp_require).
 */
oa_err auth_who_get(auth *a, const char *person, const char *org, auth_who *out);
/* 1 if w holds role. */
int auth_who_holds(const auth_who *w, const char *role);

/* ---- Passwords ---- */

/* OA_OK if password meets the policy for person (length, not containing
 * the user name, NIK, NIP, e-mail or a word of the name); OA_ERR_INVALID
 * naming the rule otherwise.  The message never repeats the password. */
oa_err auth_password_check(auth *a, const char *person, const char *password);
/*
 * Checks the policy, hashes with Argon2id under the configured parameters
 * and stores the hash; clears a lockout.  Revokes the person's sessions
 * except keep_session (a raw session token, or NULL: all of them).
 */
oa_err auth_password_set(auth *a, const char *person, const char *password,
    const char *keep_session, const char *actor);
/*
 * Re-authentication (before changing a password or enrolling TOTP): OA_OK
 * if password is person's, OA_ERR_DENIED otherwise; counts towards the
 * lockout and honours it, like auth_login.  Outside a transaction only.
 */
oa_err auth_password_verify(auth *a, const char *person, const char *password);

/* ---- TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps) ---- */

typedef struct auth_totp_enrolment {
	char *secret_b32;       /* for typing into an app by hand (wiped by _free) */
	char *uri;              /* otpauth://totp/... (contains the secret) */
	char *svg;              /* the URI as a QR code, standalone SVG */
} auth_totp_enrolment;

/*
 * Starts (or restarts) enrolment: a new random 160-bit secret, stored
 * encrypted as pending.  The person's current authenticator, if any, stays
 * in force until auth_totp_confirm().  out's strings are the caller's:
 * release them with auth_totp_enrolment_free().
 */
oa_err auth_totp_enrol(auth *a, const char *person, const char *actor,
    auth_totp_enrolment *out);
/* Wipes and frees the strings; accepts NULL and a zeroed struct. */
void auth_totp_enrolment_free(auth_totp_enrolment *e);
/* Makes the pending secret the person's authenticator if code is valid
 * for it (window +-1 step); that step cannot be used again. */
oa_err auth_totp_confirm(auth *a, const char *person, const char *code, const char *actor);
/* Removes the authenticator (a lost phone); the person then signs in with
 * the password alone until they enrol again. */
oa_err auth_totp_disable(auth *a, const char *person, const char *actor);

/*
 * Marks (1) or unmarks (0) person as one that must enrol TOTP before acting.
 * While marked and without a confirmed authenticator, the person signs in
 * with the password alone (to enrol) but holds no role: auth_who_get, and
 * so every session and API token, gives them none.  Audited as
 * person.totp_required / person.totp_optional.
 */
oa_err auth_totp_require(auth *a, const char *person, int required, const char *actor);

/* ---- Sign-in and sessions ---- */

typedef struct auth_login_req {
	const char *login;      /* user name, or e-mail address */
	const char *password;
	const char *code;       /* TOTP code; required once enrolled */
	const char *org;        /* agency to act in; NULL: the person's home agency */
} auth_login_req;

/* A new session.  token is the cookie value and csrf the form token: both
 * are shown only here (the database keeps neither). */
typedef struct auth_session_new {
	int64_t id;
	char token[AUTH_TOKEN_LEN + 1];
	char csrf[AUTH_TOKEN_LEN + 1];
	char person[AUTH_MAX_ID + 1], org[AUTH_MAX_ID + 1];
	int64_t expires_at;     /* absolute end (sign-in + session_lifetime_hours) */
} auth_session_new;

/*
 * Password, then TOTP when enrolled.  Every failure is OA_ERR_DENIED with
 * the same message, costs the same Argon2 computation, and (for an existing
 * account) counts towards auth.max_failures; reaching it locks the account
 * for auth.lockout_minutes, during which even correct credentials fail.
 * Success resets the count, records the TOTP step (no replay), rehashes the
 * password if the Argon2 parameters changed, and creates a session.
 * Must be called outside any transaction (OA_ERR_INTERNAL otherwise).
 */
oa_err auth_login(auth *a, const auth_login_req *r, auth_session_new *out);
/* Wipes the tokens in s. */
void auth_session_new_wipe(auth_session_new *s);

typedef struct auth_session {
	int64_t id;
	char person[AUTH_MAX_ID + 1], org[AUTH_MAX_ID + 1];
	char method[16];        /* password, password+totp */
	int64_t created_at, last_seen, expires_at;
	int64_t authenticated_at; /* the sign-in, or the last auth_session_reauth */
} auth_session;

/*
 * Checks a session token from a cookie: known, not revoked, used within
 * auth.session_idle_minutes, younger than auth.session_lifetime_hours, its
 * person not disabled.  Records the use (last_seen, at most once a
 * minute).  OA_ERR_DENIED ("session expired or unknown") otherwise.
 */
oa_err auth_session_validate(auth *a, const char *token, auth_session *out);
/* auth_session_validate, then auth_who_get for the session's agency;
 * *authenticated_at (optional) receives the session's authenticated_at. */
oa_err auth_session_who(auth *a, const char *token, auth_who *out);
oa_err auth_session_who_at(auth *a, const char *token, auth_who *out, int64_t *authenticated_at);
/*
 * The session's person proves their password again (auth_password_verify,
 * counted like a sign-in): the session's authenticated_at becomes now.
 * Credential changes need a session authenticated within
 * OA_REAUTH_WINDOW_S seconds.
 */
oa_err auth_session_reauth(auth *a, const char *token, const char *password);
/* Ends the session (sign-out).  An unknown token is OA_ERR_NOTFOUND. */
oa_err auth_session_revoke(auth *a, const char *token, const char *actor);
/* Ends every session of person; *n (optional) receives how many. */
oa_err auth_session_revoke_all(auth *a, const char *person, const char *actor, int64_t *n);

/*
 * The CSRF token of a session: base64url(HMAC-SHA-256(key = the raw
 * 32-byte session id, "openams csrf v1")).  Only the holder of the cookie
 * can compute it; nothing is stored.  out has AUTH_TOKEN_LEN + 1 bytes.
 */
oa_err auth_csrf_token(const char *session_token, char *out);
/* OA_OK if submitted is the CSRF token of session_token (constant time),
 * OA_ERR_DENIED otherwise. */
oa_err auth_csrf_check(const char *session_token, const char *submitted);

/* The cookie's name: "__Host-openams_session" over TLS, else "openams_session". */
const char *auth_cookie_name(int tls);
/*
 * Formats a Set-Cookie header value into out (outsz bytes): name=token;
 * Path=/; HttpOnly; SameSite=Strict; Secure (with tls); Max-Age=max_age
 * when max_age > 0.  token NULL: a cookie that deletes the session cookie.
 */
oa_err auth_cookie_header(char *out, size_t outsz, const char *token, int tls, int64_t max_age);

/* ---- API tokens for integrations ---- */

typedef struct auth_token_req {
	const char *name;       /* 1..64 characters, unique among the agency's live tokens */
	const char *person;     /* the account the integration acts as */
	const char *org;
	const char *const *roles; /* a subset of the roles person holds in org */
	size_t nroles;
	int64_t expires_at;     /* after now, at most auth.api_token_max_days ahead */
} auth_token_req;

/*
 * Creates a token; out (AUTH_API_TOKEN_LEN + 1 bytes) receives it, shown
 * only now.  *id (optional) is its id for listing and revoking.
 */
oa_err auth_token_create(auth *a, const auth_token_req *r, const char *actor, char *out,
    int64_t *id);
/*
 * Checks a token from an Authorization header: known, not revoked, not
 * expired, its person enabled.  out gets the person, the agency and the
 * token's roles that the person still holds there (never more than the
 * person's own).  *id (optional) receives the token id.  OA_ERR_DENIED
 * otherwise.
 */
oa_err auth_token_verify(auth *a, const char *token, auth_who *out, int64_t *id);

typedef struct auth_token_info {
	int64_t id;
	char name[4 * 64 + 1];
	char person[AUTH_MAX_ID + 1], org[AUTH_MAX_ID + 1];
	char roles[AUTH_MAX_ROLES * (AUTH_MAX_ID + 1)];   /* space-separated */
	char created_by[AUTH_MAX_ID + 1];
	int64_t created_at, expires_at, last_used_at, revoked_at; /* 0: never / not */
} auth_token_info;

/* Tokens of org (live and revoked), by id. */
oa_err auth_token_list(auth *a, const char *org, int (*fn)(const auth_token_info *, void *),
    void *arg);
/* Revokes a token by id; a revoked one is OA_ERR_STATE. */
oa_err auth_token_revoke(auth *a, int64_t id, const char *actor);

/* ---- One-time links ---- */

typedef enum auth_link_kind {
	AUTH_LINK_ACTIVATION = 0,
	AUTH_LINK_IDENTITY_FORM,
	AUTH_LINK_SET_PASSPHRASE,
	AUTH_LINK_PASSWORD_RESET,
	AUTH_LINK__MAX
} auth_link_kind;

/* "activation", "identity_form", "set_passphrase", "password_reset". */
const char *auth_link_kind_name(auth_link_kind k);
/* The kind named s; -1 if none. */
int auth_link_kind_parse(const char *s);

/*
 * Creates a link token for person (and case_id, 0: none), valid ttl_s
 * seconds (0: auth.link_ttl_hours; at most 30 days).  Earlier pending links
 * of the same kind for the person are superseded.  out (AUTH_TOKEN_LEN + 1
 * bytes) receives the token, shown only now: put it in the e-mailed URL.
 */
oa_err auth_link_create(auth *a, auth_link_kind kind, const char *person, int64_t case_id,
    int64_t ttl_s, const char *actor, char *out);
/*
 * Uses a link: OA_OK once, filling person (AUTH_MAX_ID + 1 bytes) and
 * *case_id (0: none).  A used, superseded or expired link is
 * OA_ERR_STATE, a link of another kind OA_ERR_DENIED (and stays usable for
 * its own kind), an unknown one OA_ERR_NOTFOUND.
 */
oa_err auth_link_consume(auth *a, auth_link_kind kind, const char *token, char *person,
    int64_t *case_id);
/* Like auth_link_consume() but leaves the link usable: what a link's page
 * shows before its form is sent (same refusals). */
oa_err auth_link_peek(auth *a, auth_link_kind kind, const char *token, char *person,
    int64_t *case_id);


/* ---- Client applications of the BSrE-compatible signing API (client.c) ---- */

#define AUTH_CLIENT_SECRET_LEN 47   /* "oas_" + base64url of 32 bytes */
#define AUTH_CLIENT_MAX_USER   64
#define AUTH_CLIENT_MAX_IPS    1024 /* the allow-list, bytes */

typedef struct auth_client_req {
	const char *username;   /* 3..64 of [A-Za-z0-9._-], unique for ever */
	const char *org;        /* the agency it belongs to */
	const char *info;       /* what the application is (<= 256 bytes), may be NULL */
	const char *ip_allow;   /* NULL or "": any; else IP addresses separated by
	                         * commas or spaces, compared exactly */
	int rate_per_min;       /* 0: 60 */
} auth_client_req;

typedef struct auth_client_info {
	int64_t id;
	char username[AUTH_CLIENT_MAX_USER + 1], org[AUTH_MAX_ID + 1];
	char info[257], ip_allow[AUTH_CLIENT_MAX_IPS + 1];
	char created_by[AUTH_MAX_ID + 1];
	int rate_per_min, enabled;
	int64_t created_at, last_used_at, revoked_at; /* 0: never / not */
} auth_client_info;

/*
 * Registers a client application; secret (AUTH_CLIENT_SECRET_LEN + 1 bytes)
 * receives its password, shown only now (only its SHA-256 is kept).
 * Audited "client.create".  OA_ERR_EXISTS for a username used before.
 */
oa_err auth_client_create(auth *a, const auth_client_req *r, const char *actor, char *secret,
    int64_t *id);
/* Client applications of org (NULL: all), live and revoked, by id. */
oa_err auth_client_list(auth *a, const char *org, int (*fn)(const auth_client_info *, void *),
    void *arg);
/* One by username (OA_ERR_NOTFOUND). */
oa_err auth_client_get(auth *a, const char *username, auth_client_info *out);
/* Revokes for ever ("client.revoke"); OA_ERR_STATE if it is already. */
oa_err auth_client_revoke(auth *a, const char *username, const char *actor);
/* Enables or disables ("client.enable", "client.disable"); a revoked one is
 * OA_ERR_STATE. */
oa_err auth_client_set_enabled(auth *a, const char *username, int enabled, const char *actor);
/*
 * Checks HTTP Basic credentials from ip (the peer address as text, may be
 * NULL): known, not revoked, enabled, the secret matches (constant time),
 * ip allowed.  OA_ERR_DENIED otherwise, one message for all of these.
 * Then the rate: OA_ERR_LIMIT when the application made rate_per_min
 * requests in the current minute already (counted in this process).
 */
oa_err auth_client_verify(auth *a, const char *username, const char *secret, const char *ip,
    auth_client_info *out);
/* The person whose NIK is nik (OA_ERR_NOTFOUND). */
oa_err auth_person_by_nik(auth *a, const char *nik, auth_person *out);

#endif
