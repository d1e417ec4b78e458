/*
 * sop.h - SOP definitions: load, validate, render and simulate an agency's
 * Standard Operating Procedure (docs/SOP-FORMAT.md describes the file).
 *
 * An SOP is data written by agency staff; the vocabulary (step actions,
 * SOP kinds, revocation reasons) is code.  sop_load() parses one YAML file
 * into a sop_def and refuses a definition that cannot run, collecting every
 * problem of the file as (line, message) pairs rather than stopping at the
 * first.  A loaded sop_def is immutable and fully resolved: actor, document,
 * reason and step references are indices, so an engine walks it without
 * string lookups:
 *
 *     i = 0;                               first step
 *     while (i != SOP_END) {
 *         s = &def->steps[i];
 *         ... run s->action (and s->yes_action on a "yes") ...
 *         i = s->action == SOP_ACT_DECIDE ? (yes ? s->yes : s->no) : s->next;
 *     }
 *
 * Validation guarantees for a loaded definition: every step is reachable
 * from the first; the end is reachable from every step; decisions have two
 * distinct branches; issue and revoke are done only by CA-operator actors
 * and never twice on one path; each kind has the steps it needs (see
 * docs/SOP-FORMAT.md, "Validation rules").
 *
 * This module never touches the store, the CA or the network.
 */
#ifndef OA_SOP_H
#define OA_SOP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/err.h"
#include "../common/limits.h"
#include "../common/util.h"

/* What an SOP does; the key `kind`. */
typedef enum sop_kind {
	SOP_KIND_ISSUANCE,
	SOP_KIND_REVOCATION,
	SOP_KIND_RENEWAL,
	SOP_KIND_PASSPHRASE_RESET,
	SOP_KIND__MAX
} sop_kind;

/* The fixed vocabulary of step actions; the key `action`. */
typedef enum sop_action {
	SOP_ACT_NONE, /* a manual step the engine only records */
	SOP_ACT_FORWARD,
	SOP_ACT_DECIDE,
	SOP_ACT_UPLOAD,
	SOP_ACT_REGISTER_ACCOUNT,
	SOP_ACT_FILL_IDENTITY,
	SOP_ACT_APPROVE_IDENTITY,
	SOP_ACT_SET_PASSPHRASE,
	SOP_ACT_ISSUE,
	SOP_ACT_REVOKE,
	SOP_ACT_NOTIFY,
	SOP_ACT_SIGN_LETTER,
	SOP_ACT_DONE,
	SOP_ACT__MAX
} sop_action;

/* RFC 5280 section 5.3.1 CRLReason values that an SOP may name. */
typedef enum sop_crl_reason {
	SOP_CRL_UNSPECIFIED = 0,
	SOP_CRL_KEY_COMPROMISE = 1,
	SOP_CRL_AFFILIATION_CHANGED = 3,
	SOP_CRL_SUPERSEDED = 4,
	SOP_CRL_CESSATION_OF_OPERATION = 5
} sop_crl_reason;

/* Step index meaning "the SOP ends here". */
#define SOP_END (-1)
/* Index meaning "not set" (a branch of a non-decision, a reason). */
#define SOP_NONE (-2)

/* The most steps sop_simulate() walks before it gives up. */
#define SOP_SIM_MAX_STEPS (OA_MAX_SOP_STEPS * 5)

/* A list of texts (legal basis, warnings, notes, ...). */
typedef struct sop_list {
	char **items;
	size_t n;
} sop_list;

/*
 * A standard time (the WAKTU column).  text is the value as written
 * ("1-2 Hari"); min_s/max_s are seconds (a day counts 86400 s whether or
 * not it is a working day; `working` says how the engine must count it).
 */
typedef struct sop_time {
	char *text;
	int none; /* "-" or empty: no standard time */
	int working;
	int64_t min_s, max_s;
} sop_time;

typedef struct sop_actor {
	char *id;
	char *name; /* column header as on the form */
	int ca_operator;
	int line;
} sop_actor;

typedef struct sop_document {
	char *id;
	char *name;
	int line;
} sop_document;

typedef struct sop_reason {
	char *id;
	char *label;
	sop_crl_reason crl;
	int *docs; /* document indices the reason needs */
	size_t n_docs;
	int line;
} sop_reason;

/* One item of a step's KELENGKAPAN: a catalogue document or a free input. */
typedef struct sop_input {
	int doc;    /* document index, or SOP_NONE for a free input */
	char *text; /* the free input; NULL for a document */
	int own;    /* `own: true`: a copy attached at this step itself is needed (a
	             * disposition per level); else any attached earlier will do */
} sop_input;

typedef struct sop_step {
	char *id;
	int line;
	char *activity;
	int *actors; /* actor indices; n_actors == 0 only for a `done` step */
	size_t n_actors;
	sop_input *inputs;
	size_t n_inputs;
	sop_time time;
	char *output; /* NULL if not given */
	sop_list notes;
	sop_action action;
	sop_action yes_action; /* decisions: the action run on "yes" */
	int reason;            /* fixed revocation reason, or SOP_NONE */
	int records_reason;    /* `records_reason: true`: the step's actor records the
	                        * revocation reason (from the applicant's letter) */
	int in_turn;           /* `in_turn: true`: every actor acts, in the listed order
	                        * (the last one does the step's action); else any one */
	int next;              /* non-decisions: step index or SOP_END */
	int yes, no;           /* decisions: step index or SOP_END */
	char *yes_label, *no_label; /* decisions: what the buttons say (NULL: derived) */
} sop_step;

typedef struct sop_def {
	char *path; /* the file it was loaded from (or the name given) */
	char *id;
	char *source;
	char *number;                     /* NULL when the form has none */
	char *made, *revised, *effective; /* "" when empty or "-", NULL when not given */
	struct {
		char *title, *name, *nip; /* name and nip may be NULL */
		char *rank;               /* PANGKAT/GOLONGAN, or NULL */
		int signed_electronically;
	} approver;
	struct {
		char *government, *name, *unit, *address; /* only name required */
	} agency;
	char *name;
	sop_kind kind;
	int working_days;
	int renewal_window_days; /* renewal SOPs: days before expiry; else 0 */
	sop_list legal_basis, qualifications, related, equipment, warnings,
	    records;
	char *warnings_intro;
	char *footer; /* the form's legal footer, as text; NULL when none */
	sop_actor *actors;
	size_t n_actors;
	sop_document *documents;
	size_t n_documents;
	sop_reason *reasons;
	size_t n_reasons;
	sop_step *steps;
	size_t n_steps;
} sop_def;

/* One problem found in a definition; line 0 means the file as a whole. */
typedef struct sop_error {
	int line;
	char *msg;
} sop_error;

/* The problems of one file, sorted by line once sop_load() returns. */
typedef struct sop_errors {
	sop_error *v;
	size_t n, cap;
} sop_errors;

/* The most problems collected for one file; one more says "too many". */
#define SOP_MAX_ERRORS 100

/*
 * Loads and validates the file at path.  On OA_OK *out is a definition the
 * caller frees with sop_free().  On failure *out is NULL and errs (if not
 * NULL) holds every problem found; the return is OA_ERR_INVALID for a bad
 * definition, OA_ERR_LIMIT for a file larger than OA_MAX_SOP_BYTES,
 * OA_ERR_IO/OA_ERR_NOTFOUND when it cannot be read, OA_ERR_NOMEM.
 * errs must be zero-initialised or already used; free with sop_errors_free().
 */
oa_err sop_load(const char *path, sop_def **out, sop_errors *errs);

/* Like sop_load() on text already in memory; name is used as def->path. */
oa_err sop_parse(const char *name, const char *text, size_t len,
    sop_def **out, sop_errors *errs);

/* Frees a definition; accepts NULL. */
void sop_free(sop_def *d);
/* Frees the messages (the struct itself is the caller's); accepts NULL. */
void sop_errors_free(sop_errors *e);
/*
 * Warnings about a valid definition d, added to w (sorted by line): what it
 * says that the engine never checks or acts on (documents or a standard time
 * at a step that runs by itself, an upload step with no document, a document
 * nobody is asked for, an actor with no step).  They do not make d invalid.
 */
void sop_lint(const sop_def *d, sop_errors *w);
/* Writes "path:line: message" lines (or "path: message" for line 0). */
void sop_errors_print(const sop_errors *e, const char *path, FILE *out);

/*
 * Revocation reasons a case of d may carry: the definition's `reasons:`, or,
 * when it declares none (a step records the reason instead), the RFC 5280
 * reasons openams offers by name ("unspecified", "key_compromise",
 * "affiliation_changed", "superseded", "cessation_of_operation") with
 * Indonesian labels.  sop_reason_crl: the CRL reason code of id, or -1 if id
 * is no such reason; sop_reason_label: its label (the id itself when it has
 * none), or NULL; sop_reason_choices: up to max ids and labels, returns how
 * many.  All three take d NULL for the RFC 5280 reasons alone (a revocation
 * outside any SOP case).
 */
int sop_reason_crl(const sop_def *d, const char *id);
const char *sop_reason_label(const sop_def *d, const char *id);
size_t sop_reason_choices(const sop_def *d, const char **ids, const char **labels, size_t max);

/* 1 if the actor at place turn of an `in_turn` step only passes it on (it
 * is not the last turn); 0 for the last turn and for steps not in turn. */
int sop_turn_passes(const sop_step *s, int turn);

/* Index of the step, actor, document or reason with that id, or -1. */
int sop_step_index(const sop_def *d, const char *id);
int sop_actor_index(const sop_def *d, const char *id);
int sop_document_index(const sop_def *d, const char *id);
int sop_reason_index(const sop_def *d, const char *id);

/* Stable names used in files and traces ("revoke", "issuance", ...). */
const char *sop_action_name(sop_action a);
const char *sop_kind_name(sop_kind k);
const char *sop_crl_reason_name(sop_crl_reason r);
/* The enum for a name; -1 when unknown. */
int sop_action_from_name(const char *s);
int sop_kind_from_name(const char *s);
int sop_crl_reason_from_name(const char *s);

/*
 * Parses a standard time such as "5 Menit", "0.5 Menit", "1-2 Hari",
 * "3 Hari Kerja", "2 jam", "-" or "" (none).  working_days makes plain days
 * count as working days.  On success t->text is NULL (the caller keeps the
 * text); on failure OA_ERR_INVALID with a message saying what is accepted.
 */
oa_err sop_time_parse(const char *s, int working_days, sop_time *t);
/* Formats seconds as "1 day 2 h 5 min 30 s" ("0 min" for 0) into out. */
void sop_time_format(char *out, size_t outsz, int64_t secs);

/*
 * Renders the official form as one self-contained HTML page (inline CSS,
 * no scripts, every text escaped), appended to out.
 */
oa_err sop_render_html(const sop_def *d, oa_buf *out);
/*
 * Renders the swimlane flowchart as one standalone SVG document (one lane
 * per actor, boxes, diamonds, terminators, Ya/Tidak arrows), appended to out.
 */
oa_err sop_render_svg(const sop_def *d, oa_buf *out);

/* One visited step of a simulation. */
typedef struct sop_trace_entry {
	int step;          /* step index */
	sop_action action; /* the step's action */
	sop_action extra;  /* the decision's yes_action when "yes" was taken, else NONE */
	int decision;      /* 0 not a decision, 1 yes, 2 no */
	int next;          /* step index or SOP_END */
} sop_trace_entry;

typedef struct sop_trace {
	sop_trace_entry *v;
	size_t n;
	int64_t min_s, max_s;         /* calendar standard time summed */
	int64_t work_min_s, work_max_s; /* working-day standard time summed */
	size_t untimed;               /* visited steps with no standard time */
} sop_trace;

/*
 * Walks d from its first step to the end.  At a decision it takes "no" if
 * no_steps names that step and that name has not been used up yet (each
 * occurrence in no_steps is one "no"), otherwise "yes".  Fails with
 * OA_ERR_NOTFOUND for an unknown step id, OA_ERR_INVALID for a step that is
 * not a decision or a "no" that was never used, OA_ERR_LIMIT after
 * SOP_SIM_MAX_STEPS steps.  On OA_OK the caller frees *tr with
 * sop_trace_free(); on failure *tr holds the steps walked so far (free it
 * too).
 */
oa_err sop_simulate(const sop_def *d, const char *const *no_steps,
    size_t n_no, sop_trace *tr);
/* Frees the entries; accepts a zeroed trace. */
void sop_trace_free(sop_trace *tr);
/* Prints the trace, one line per step, and the total standard time. */
void sop_trace_print(const sop_def *d, const sop_trace *tr, FILE *out);

#endif
