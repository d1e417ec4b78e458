/*
 * esignInt.h - private to the esign module (src/esign): what the v1 and v2
 * handlers share.  esign.c answers errors, authenticates client
 * applications, places and signs with a holder's key, reports a holder's
 * status and verifies; esign_v1.c and esign_v2.c are the two versions'
 * routes.  Every function that replies (or may) takes the request first;
 * those returning int give 1 to go on and 0 (or -1 where said) once they
 * have answered a refusal.
 */
#ifndef OA_ESIGNINT_H
#define OA_ESIGNINT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../auth/auth.h"
#include "../keys/keys.h"
#include "esign.h"

/* ---- replies: {status_code, error (Indonesian), code, message (English)} ---- */

void esign_fail(web_req *r, unsigned status, const char *code, const char *id_msg,
    const char *en_fmt, ...) __attribute__((format(printf, 5, 6)));
/* A fault of the server (store, I/O, memory): 503 when the database is
 * busy, else 500 with its detail in the log only. */
void esign_fail_internal(web_req *r, oa_err rc);

/* HTTP Basic: 1 and *ci when the client application is known, else the
 * reply is made (401 or 429) and 0. */
int esign_client_auth(web_req *r, auth_client_info *ci);

/* ---- signing ---- */

/* Answers a refusal of sign_pdf_holder() (or sign_holder_find()). */
void esign_sign_fail(web_req *r, oa_err rc, const char *nik);
/* nik present and well formed, else a 400. */
int esign_nik_ok(web_req *r, const char *nik);
/* tampilan: *visible 0 or 1; 0 after a reply when it is neither. */
int esign_tampilan_kind(web_req *r, const char *tampilan, int *visible);
/* tag_koordinat (v1 and v2): the box, w x h, centred where the tag first
 * appears in the page text.  1: placed; -1: answered (refused). */
int esign_tag_place(web_req *r, const char *tag, const uint8_t *pdf, size_t len, double w,
    double h, sign_visual *v);
/* ... in an encrypted PDF opened with password (NULL: none). */
int esign_tag_place_pw(web_req *r, const char *tag, const uint8_t *pdf, size_t len,
    const char *password, double w, double h, sign_visual *v);
/* Signs pdf with the key of nik's holder under pass, for client ci; wrap
 * is keys_sign's KEYS_WRAP_* (KEYS_WRAP_USE: pass NULL, a one-time code
 * was checked). */
oa_err esign_sign_one(web_req *r, const auth_client_info *ci, const char *nik,
    const char *pass, int wrap, const uint8_t *pdf, size_t len, const char *reason,
    const char *location, const sign_visual *vis, uint8_t **out, size_t *out_len);
/* ... an encrypted PDF opened with pdf_password (NULL: none). */
oa_err esign_sign_one_pw(web_req *r, const auth_client_info *ci, const char *nik,
    const char *pass, int wrap, const uint8_t *pdf, size_t len, const char *reason,
    const char *location, const sign_visual *vis, const char *pdf_password, uint8_t **out,
    size_t *out_len);

/* ---- one-time codes (otp.c): the guide's TOTP, sent by e-mail ---- */

#define ESIGN_OTP_DIGITS       6
#define ESIGN_OTP_SECONDS      300 /* a code's lifetime */
#define ESIGN_OTP_MAX_ATTEMPTS 5   /* wrong tries that burn a code */
#define ESIGN_OTP_PER_HOUR     10  /* codes sent to one NIK in an hour */

typedef struct esign_otp_to {
	const char *nik;
	const char *client; /* the client application that asked: only it may use the code */
	int files;          /* documents the code may sign, in one request */
	const char *person; /* the account (may be NULL), for the outbox */
	const char *name;   /* the holder's name, may be NULL */
	const char *email;  /* where the code goes */
	const char *actor;  /* "client:<username>" */
} esign_otp_to;

/* Draws a code, stores its salted hash (earlier unused codes of the NIK
 * are void), sends it through the outbox and audits "esign.otp_send", in
 * one transaction.  *expires: when it stops working.  OA_ERR_LIMIT past
 * ESIGN_OTP_PER_HOUR. */
oa_err esign_otp_issue(inst *in, const esign_otp_to *to, int64_t *expires);
/* Uses the newest live code of nik for client: OA_OK (now used),
 * OA_ERR_DENIED (none live, or wrong: the try is counted and audited),
 * OA_ERR_LIMIT (more files than the code was asked for; not counted). */
oa_err esign_otp_use(inst *in, const char *nik, const char *client, const char *code, size_t files,
    const char *actor);

/* ---- electronic seals (seal.c; the codes in otp.c) ---- */

#define ESIGN_SEAL_ACTIVATION_DIGITS  8
#define ESIGN_SEAL_ACTIVATION_SECONDS (30 * 86400) /* an activation code's life, renewable */

typedef struct esign_seal_code_req {
	const char *seal;      /* idSubscriber */
	const char *kind;      /* "activation" (e-mailed) or "otp" (answered) */
	const char *client;    /* the client application: only it may use the code */
	int files;             /* otp: documents it may seal in one request */
	const char *email;     /* activation: where it goes (NULL: not mailed) */
	const char *seal_name; /* the seal's name, for the e-mail */
	const char *actor;
} esign_seal_code_req;

/* Draws a code of its kind (activation 8 digits, otp 6) into code (9
 * bytes), stores its salted hash, voids the unused ones of its kind, audits
 * "esign.seal_code_send" and e-mails it when email is set: one
 * transaction.  OA_ERR_LIMIT past ESIGN_OTP_PER_HOUR a kind an hour. */
oa_err esign_seal_code_issue(inst *in, const esign_seal_code_req *q, char *code, int64_t *expires);

enum { ESIGN_SEAL_CHECK = 0, ESIGN_SEAL_REFRESH = 1, ESIGN_SEAL_SPEND = 2 };
/* Checks the newest live code of seal and kind for client: OA_OK (then
 * refreshed for 30 days, or spent, per op; *expires, may be NULL, its
 * expiry), OA_ERR_DENIED (none, or wrong: counted, burnt at the 5th),
 * OA_ERR_LIMIT (otp: more files than asked for; not counted). */
oa_err esign_seal_code_use(inst *in, const char *seal, const char *kind, const char *client,
    const char *code, size_t files, int op, const char *actor, int64_t *expires);
/* Answers a refusal of esign_seal_code_use (400 TOTP_INVALID, or 5xx). */
void esign_seal_code_fail(web_req *r, oa_err rc);
/* 1 when seal id exists and belongs to the client's agency; else 404
 * SEAL_NOT_FOUND is answered and 0. */
int esign_seal_of_client(web_req *r, const auth_client_info *ci, const char *id);

void esign_v2_seal_activation(web_req *r);
void esign_v2_seal_revoke(web_req *r);
void esign_v2_seal_totp(web_req *r);

/* ---- registration (register.c) ---- */

/* POST /api/v2/user/registration (guide 6.8). */
void esign_v2_register(web_req *r);

/* ---- user status ---- */

/* Replies with the guide's status of nik (6.7). */
void esign_reply_status(web_req *r, const char *nik);

/* ---- verification ---- */

/* t as the guide writes times (arena), NULL for 0: "YYYY-MM-DD HH:MM:SS.00"
 * with space, else ISO 8601 with milliseconds and +00:00. */
char *esign_iso_ms(web_req *r, int64_t t, int space);
/* A JSON string, or null for NULL or "". */
json_t *esign_str_or_null(const char *s);
/* The request's body as a JSON object (the caller's, json_decref), or NULL
 * after answering 400 INVALID_REQUEST (no body, not JSON, not an object). */
json_t *esign_json_body(web_req *r);
/* A string member of o; NULL when absent or null, and *bad set when it is
 * of another type. */
const char *esign_jstr(json_t *o, const char *k, int *bad);
/* The instance's TSA: its CN and "until <notAfter>" (arena), or NULLs. */
void esign_tsa_info(web_req *r, char **name, char **validity);
/* The verdict over every signature: VALID, WARNING, INVALID, NO_SIGNATURE. */
const char *esign_conclusion(const sign_report *rep, const char **desc);
/* Verifies pdf into *rep (cached); after a reply (400, 413, 5xx) on failure. */
oa_err esign_verify(web_req *r, const uint8_t *pdf, size_t len, sign_report *rep);
/* ... an encrypted PDF opened with password (NULL or "": none; not cached). */
oa_err esign_verify_pw(web_req *r, const uint8_t *pdf, size_t len, const char *password,
    sign_report *rep);

#endif
