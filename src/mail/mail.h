/*
 * mail.h - the outbox: e-mails written in the same transaction as the state
 * change that causes them, rendered once, and delivered later by SMTP with
 * retries (DESIGN.md invariant 1, transactional outbox).
 *
 * Life of a message (mirrored by CHECKs and triggers in migration 6):
 *
 *   mail_enqueue()          mail_deliver() claims it       SMTP 250
 *   (none) -----> queued ------------------------> sending ----------> sent
 *                   |  ^                             |   |
 *                   |  \---- retry after backoff ----/   \---------> failed
 *                   |       (or the lease expired:         after mail.max_attempts
 *                   |        a crash while sending)        or a permanent 5xx
 *                   \--- no SMTP server configured ---> kept   (the database sink)
 *                                    failed --- mail_retry() ---> queued
 *
 *   - A message is rendered at enqueue: the stored bytes (headers, both MIME
 *     parts, the Message-ID) are exactly what is sent, on every attempt.  A
 *     crash between the server's "250" and "marked sent" therefore repeats
 *     the same message with the same Message-ID, which receivers and the
 *     tests deduplicate; it never produces a second, different message.
 *   - queued and sending messages are never deleted (trigger); sent and kept
 *     are final.
 *   - A message holding a one-time link token keeps it in the database only
 *     until it is sent: marking it sent discards the bytes (the row keeps its
 *     headers).  The database sink (kept) keeps them: that is its purpose.
 *
 * Transactions: mail_enqueue() joins the caller's open write transaction
 * (as a savepoint: a refusal undoes only the enqueue), else commits its own.
 * mail_deliver() must be called outside any transaction: it never holds one
 * during network I/O.  One store handle per thread, as everywhere.
 *
 * Secrets: the SMTP password comes from mail.password_file (or the
 * environment variable OPENAMS_MAIL_PASSWORD), is wiped after use, and is
 * never stored, logged or put in an error message.  Link tokens appear only
 * in the message body, never in audit records or errors.
 */
#ifndef OA_MAIL_H
#define OA_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../common/limits.h"
#include "../conf/conf.h"
#include "../store/store.h"

/* Limits of what a caller passes (OA_ERR_LIMIT beyond them); kept here
 * until limits.h gathers them. */
#define MAIL_MAX_NAME     128          /* to_name, characters */
#define MAIL_MAX_VAR      512          /* step, serial, reason, username, subject: bytes */
#define MAIL_MAX_TEXT     (16 * 1024)  /* notice text, bytes */
#define MAIL_MAX_TOKEN    128          /* a link token, bytes */
#define MAIL_MAX_MESSAGE  (256 * 1024) /* one rendered message */

/* The closed set of messages openams sends (one template per language). */
typedef enum mail_event {
	MAIL_ACTIVATION = 0, /* SOP 001 step 5: account activation link (token) */
	MAIL_IDENTITY_FORM,  /* step 6: link to the identity form (token) */
	MAIL_ACCOUNT,        /* step 9: the user name and the sign-in address */
	MAIL_SET_PASSPHRASE, /* step 9: link to set the passphrase (token) */
	MAIL_CERT_ISSUED,    /* step 11: the certificate was issued (serial) */
	MAIL_CERT_REVOKED,   /* revocation SOPs: the certificate was revoked (serial, reason) */
	MAIL_FILE_INCOMPLETE,/* a "no" at a check: please complete the file (case, step, text) */
	MAIL_SLA_REMINDER,   /* a task is due or overdue (case, step, due_at) */
	MAIL_SLA_ESCALATION, /* to a superior: a task is past its standard time */
	MAIL_NOTICE,         /* anything else: subject and text given by the caller */
	MAIL_EVENT__MAX
} mail_event;

/* "activation", "identity_form", ...; NULL past the enum. */
const char *mail_event_name(mail_event e);
/* The event named s; -1 if none. */
int mail_event_parse(const char *s);

/*
 * What to send.  Only to_addr and the variables the event needs are
 * required; the others may be NULL / 0.  Every string is UTF-8 without
 * control characters (text may hold line feeds); anything else is
 * OA_ERR_INVALID and nothing is written.
 */
typedef struct mail_msg {
	mail_event event;
	const char *lang;      /* "id" (default when NULL or "") or "en" */
	const char *to_name;   /* display name; HTML in it stays text */
	const char *to_addr;   /* local@domain, ASCII, at most OA_MAX_EMAIL_CHARS */
	const char *person;    /* person id, for listing and audit (optional) */
	const char *actor;     /* who caused it, for the audit record ("system") */
	int64_t case_id;       /* the case (0: none) */
	const char *step;      /* a step's id or name (file_incomplete, sla_*) */
	const char *token;     /* one-time link token (activation, identity_form,
	                        * set_passphrase; account: optional password link) */
	const char *username;  /* account: the user name */
	const char *serial;    /* cert_issued, cert_revoked */
	const char *reason;    /* cert_revoked; file_incomplete: what is missing */
	int64_t due_at;        /* sla_*: when the step was due (seconds, UTC) */
	int64_t at;            /* cert_revoked (optional): when it was revoked */
	const char *subject;   /* notice: the subject */
	const char *text;      /* notice: the text (paragraphs split by blank lines) */
	const char *path;      /* optional: link path overriding the event's own
	                        * ("/..."; appended to web.public_url) */
	int secret;            /* notice: the text holds a one-time code; the message is
	                        * kept like one with a link token (bytes discarded once
	                        * sent, redacted when unsent and expired) */
} mail_msg;

/* Link paths (appended to web.public_url), for the web layer's routes. */
#define MAIL_PATH_LINK   "/link/"          /* + kind + "/" + token */
#define MAIL_PATH_CASE   "/portal/cases/"  /* + case id: the case page (after sign-in) */
#define MAIL_PATH_CERT   "/status?serial=" /* + serial: the status page (HTML) */
#define MAIL_PATH_LOGIN  "/login"

/*
 * Renders m and writes it to the outbox, with an audit record naming the
 * event, recipient and case (never the token).  *id (may be NULL) receives
 * the outbox id.  Joins the caller's write transaction when one is open.
 * With mail.smtp_url empty the message is stored as kept (the sink).
 */
oa_err mail_enqueue(store *s, const conf *cfg, const mail_msg *m, int64_t *id);

typedef struct mail_stats {
	int claimed;  /* messages taken for this pass */
	int sent;     /* accepted by the server */
	int retried;  /* failed this pass, queued again with backoff */
	int failed;   /* failed for good this pass (state failed) */
	int kept;     /* stored in the database sink (no SMTP server) */
	int released; /* not tried: the server was unreachable, queued again */
} mail_stats;

/*
 * One delivery pass: claims at most max due messages (queued with
 * next_attempt <= now, or sending with an expired lease after a crash),
 * sends each through SMTP (libcurl) and records the outcome.  Returns
 * OA_OK when the pass ran, even if messages failed (see st); an error only
 * for a bad configuration or a database failure.  An unreachable server
 * ends the pass early: the remaining messages are released unchanged.
 * For a thread in `openams serve`: its own store handle, a loop of
 * mail_deliver() and a sleep of a few seconds (mail_next_due() says how long).
 */
oa_err mail_deliver(store *s, const conf *cfg, int max, mail_stats *st);

/*
 * Puts the messages left in sending by a process that is gone (this host,
 * its PID gone: a crash, a kill), those whose lease has expired, and those
 * claimed before claimers were recorded, back in the queue at once, keeping
 * their bytes and Message-ID (serve at start-up).  A live process's (or
 * another host's, until its lease expires) are left to it, so that servers
 * sharing a database never send one twice; mail_deliver() takes a message
 * over anyway once its lease expires.  *n (may be NULL): how many.
 */
oa_err mail_recover(store *s, int64_t *n);

/* The earliest next_attempt of a queued message (0: none queued). */
oa_err mail_next_due(store *s, int64_t *at);

/*
 * Removes the one-time link tokens of messages that were not delivered
 * (kept in the database sink, failed, or still queued) once their link has
 * expired (created more than auth.link_ttl_hours ago): the message bytes
 * become a stub saying so (headers kept), a queued one is kept undelivered
 * (a dead link is not worth sending).  Sent messages hold no token already.
 * One transaction, an audit record per message; *n (may be NULL): how many.
 * The scheduler of `openams serve` runs it; also `openams mail redact`.
 */
oa_err mail_redact_expired(store *s, const conf *cfg, int64_t now, int64_t *n);

/* An administrator puts a failed message back in the queue (attempts reset). */
oa_err mail_retry(store *s, int64_t id, const char *actor);

typedef struct mail_info {
	int64_t id, case_id, created_at, next_attempt, done_at;
	int attempts;
	char event[24], lang[3], state[12];
	char rcpt[OA_MAX_EMAIL_CHARS + 1], rcpt_name[4 * MAIL_MAX_NAME + 1], person[65];
	char subject[1024], message_id[256], last_error[513];
} mail_info;

/*
 * Lists messages, newest first, in state (NULL: all), at most limit rows
 * (0: OA_MAX_LIST_ROWS).  fn returns non-zero to stop.
 */
oa_err mail_list(store *s, const char *state, int64_t limit,
    int (*fn)(const mail_info *, void *), void *arg);

/*
 * One message: its row in *info, and (when out is not NULL) what an
 * administrator reads: the header section, a blank line, and the decoded
 * text/plain part, as a malloc'd NUL-terminated string the caller frees.
 * A sent message whose bytes held a link token has only its headers left.
 */
oa_err mail_get(store *s, int64_t id, mail_info *info, char **out);

/* The exact bytes stored for sending (malloc'd; caller frees).  OA_ERR_STATE
 * when they were discarded after delivery. */
oa_err mail_raw(store *s, int64_t id, uint8_t **out, size_t *len);

#endif
