/*
 * sop.c - the vocabulary of SOP definitions (action, kind and reason names),
 * lookups by id, freeing, and the error list shared by loader and validator.
 *
 * The name tables here are the one place the vocabulary is spelled; the
 * loader, the renderers, the simulator and docs/SOP-FORMAT.md follow them.
 */
#include "sopInt.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const action_names[SOP_ACT__MAX] = {
	[SOP_ACT_NONE] = "none",
	[SOP_ACT_FORWARD] = "forward",
	[SOP_ACT_DECIDE] = "decide",
	[SOP_ACT_UPLOAD] = "upload",
	[SOP_ACT_REGISTER_ACCOUNT] = "register_account",
	[SOP_ACT_FILL_IDENTITY] = "fill_identity",
	[SOP_ACT_APPROVE_IDENTITY] = "approve_identity",
	[SOP_ACT_SET_PASSPHRASE] = "set_passphrase",
	[SOP_ACT_ISSUE] = "issue",
	[SOP_ACT_REVOKE] = "revoke",
	[SOP_ACT_NOTIFY] = "notify",
	[SOP_ACT_SIGN_LETTER] = "sign_letter",
	[SOP_ACT_DONE] = "done",
};

static const char *const kind_names[SOP_KIND__MAX] = {
	[SOP_KIND_ISSUANCE] = "issuance",
	[SOP_KIND_REVOCATION] = "revocation",
	[SOP_KIND_RENEWAL] = "renewal",
	[SOP_KIND_PASSPHRASE_RESET] = "passphrase_reset",
};

/* RFC 5280 section 5.3.1 spellings, in the order of the enum values. */
static const struct {
	sop_crl_reason r;
	const char *name;
} crl_names[] = {
	{SOP_CRL_UNSPECIFIED, "unspecified"},
	{SOP_CRL_KEY_COMPROMISE, "keyCompromise"},
	{SOP_CRL_AFFILIATION_CHANGED, "affiliationChanged"},
	{SOP_CRL_SUPERSEDED, "superseded"},
	{SOP_CRL_CESSATION_OF_OPERATION, "cessationOfOperation"},
};

const char *sop_action_name(sop_action a)
{
	if ((unsigned)a >= SOP_ACT__MAX)
		return "?";
	return action_names[a];
}

const char *sop_kind_name(sop_kind k)
{
	if ((unsigned)k >= SOP_KIND__MAX)
		return "?";
	return kind_names[k];
}

const char *sop_crl_reason_name(sop_crl_reason r)
{
	for (size_t i = 0; i < sizeof crl_names / sizeof crl_names[0]; i++)
		if (crl_names[i].r == r)
			return crl_names[i].name;
	return "?";
}

int sop_action_from_name(const char *s)
{
	/* "none" is the absence of the key, not a value one may write. */
	for (int i = SOP_ACT_NONE + 1; i < SOP_ACT__MAX; i++)
		if (strcmp(s, action_names[i]) == 0)
			return i;
	return -1;
}

int sop_kind_from_name(const char *s)
{
	for (int i = 0; i < SOP_KIND__MAX; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return i;
	return -1;
}

int sop_crl_reason_from_name(const char *s)
{
	for (size_t i = 0; i < sizeof crl_names / sizeof crl_names[0]; i++)
		if (strcmp(s, crl_names[i].name) == 0)
			return (int)crl_names[i].r;
	return -1;
}

int sop_step_index(const sop_def *d, const char *id)
{
	for (size_t i = 0; i < d->n_steps; i++)
		if (d->steps[i].id != NULL && strcmp(d->steps[i].id, id) == 0)
			return (int)i;
	return -1;
}

int sop_actor_index(const sop_def *d, const char *id)
{
	for (size_t i = 0; i < d->n_actors; i++)
		if (d->actors[i].id != NULL && strcmp(d->actors[i].id, id) == 0)
			return (int)i;
	return -1;
}

int sop_document_index(const sop_def *d, const char *id)
{
	for (size_t i = 0; i < d->n_documents; i++)
		if (d->documents[i].id != NULL && strcmp(d->documents[i].id, id) == 0)
			return (int)i;
	return -1;
}

int sop_reason_index(const sop_def *d, const char *id)
{
	for (size_t i = 0; i < d->n_reasons; i++)
		if (d->reasons[i].id != NULL && strcmp(d->reasons[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* RFC 5280 reasons by name, for definitions that declare none. */
static const struct {
	const char *id, *label;
	sop_crl_reason crl;
} builtin_reasons[] = {
	{"unspecified", "Tidak disebutkan", SOP_CRL_UNSPECIFIED},
	{"key_compromise", "Kunci privat bocor atau diketahui orang lain", SOP_CRL_KEY_COMPROMISE},
	{"affiliation_changed", "Pindah tugas, jabatan atau instansi", SOP_CRL_AFFILIATION_CHANGED},
	{"superseded", "Diganti sertifikat baru", SOP_CRL_SUPERSEDED},
	{"cessation_of_operation", "Tidak digunakan lagi (pensiun, berhenti)",
	    SOP_CRL_CESSATION_OF_OPERATION},
};
#define NBUILTIN (sizeof builtin_reasons / sizeof builtin_reasons[0])

int sop_reason_crl(const sop_def *d, const char *id)
{
	int i;

	if (id == NULL || *id == 0)
		return -1;
	if (d && d->n_reasons > 0)
		return (i = sop_reason_index(d, id)) < 0 ? -1 : (int)d->reasons[i].crl;
	for (size_t k = 0; k < NBUILTIN; k++)
		if (strcmp(builtin_reasons[k].id, id) == 0)
			return (int)builtin_reasons[k].crl;
	return -1;
}

const char *sop_reason_label(const sop_def *d, const char *id)
{
	int i;

	if (id == NULL || *id == 0)
		return NULL;
	if (d && d->n_reasons > 0) {
		if ((i = sop_reason_index(d, id)) < 0)
			return NULL;
		return d->reasons[i].label && *d->reasons[i].label ? d->reasons[i].label
		                                                   : d->reasons[i].id;
	}
	for (size_t k = 0; k < NBUILTIN; k++)
		if (strcmp(builtin_reasons[k].id, id) == 0)
			return builtin_reasons[k].label;
	return NULL;
}

size_t sop_reason_choices(const sop_def *d, const char **ids, const char **labels, size_t max)
{
	size_t n = 0;

	if (d && d->n_reasons > 0) {
		for (size_t i = 0; i < d->n_reasons && n < max; i++, n++) {
			ids[n] = d->reasons[i].id;
			labels[n] = sop_reason_label(d, d->reasons[i].id);
		}
		return n;
	}
	for (size_t k = 0; k < NBUILTIN && n < max; k++, n++) {
		ids[n] = builtin_reasons[k].id;
		labels[n] = builtin_reasons[k].label;
	}
	return n;
}

int sop_turn_passes(const sop_step *s, int turn)
{
	return s->in_turn && turn >= 0 && (size_t)turn + 1 < s->n_actors;
}

int sop_succ(const sop_step *s, int out[2])
{
	int n = 0;

	if (s->action == SOP_ACT_DECIDE) {
		if (s->yes != SOP_NONE)
			out[n++] = s->yes;
		if (s->no != SOP_NONE)
			out[n++] = s->no;
	} else if (s->next != SOP_NONE)
		out[n++] = s->next;
	return n;
}

static void list_free(sop_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
}

void sop_free(sop_def *d)
{
	if (d == NULL)
		return;
	free(d->path);
	free(d->id);
	free(d->source);
	free(d->number);
	free(d->made);
	free(d->revised);
	free(d->effective);
	free(d->approver.title);
	free(d->approver.name);
	free(d->approver.nip);
	free(d->approver.rank);
	free(d->footer);
	free(d->agency.government);
	free(d->agency.name);
	free(d->agency.unit);
	free(d->agency.address);
	free(d->name);
	list_free(&d->legal_basis);
	list_free(&d->qualifications);
	list_free(&d->related);
	list_free(&d->equipment);
	list_free(&d->warnings);
	list_free(&d->records);
	free(d->warnings_intro);
	for (size_t i = 0; i < d->n_actors; i++) {
		free(d->actors[i].id);
		free(d->actors[i].name);
	}
	free(d->actors);
	for (size_t i = 0; i < d->n_documents; i++) {
		free(d->documents[i].id);
		free(d->documents[i].name);
	}
	free(d->documents);
	for (size_t i = 0; i < d->n_reasons; i++) {
		free(d->reasons[i].id);
		free(d->reasons[i].label);
		free(d->reasons[i].docs);
	}
	free(d->reasons);
	for (size_t i = 0; i < d->n_steps; i++) {
		sop_step *s = &d->steps[i];

		free(s->id);
		free(s->activity);
		free(s->yes_label);
		free(s->no_label);
		free(s->actors);
		for (size_t j = 0; j < s->n_inputs; j++)
			free(s->inputs[j].text);
		free(s->inputs);
		free(s->time.text);
		free(s->output);
		list_free(&s->notes);
	}
	free(d->steps);
	free(d);
}

void sop_err_add(sop_errors *e, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	if (e == NULL || e->n > SOP_MAX_ERRORS)
		return;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		sop_error *v = realloc(e->v, cap * sizeof *v);

		if (v == NULL)
			return;
		e->v = v;
		e->cap = cap;
	}
	if (e->n == SOP_MAX_ERRORS) {
		if ((msg = strdup("too many problems; fix the ones above and run the check again")))
			e->v[e->n++] = (sop_error){line, msg};
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	e->v[e->n++] = (sop_error){line, msg};
}

void sop_errors_sort(sop_errors *e)
{
	/* Insertion sort: stable, and the lists are short. */
	for (size_t i = 1; i < e->n; i++) {
		sop_error x = e->v[i];
		size_t j = i;

		while (j > 0 && e->v[j - 1].line > x.line) {
			e->v[j] = e->v[j - 1];
			j--;
		}
		e->v[j] = x;
	}
}

void sop_errors_free(sop_errors *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].msg);
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}

void sop_errors_print(const sop_errors *e, const char *path, FILE *out)
{
	for (size_t i = 0; i < e->n; i++) {
		if (e->v[i].line > 0)
			fprintf(out, "%s:%d: %s\n", path, e->v[i].line, e->v[i].msg);
		else
			fprintf(out, "%s: %s\n", path, e->v[i].msg);
	}
}

oa_err sop_esc_n(oa_buf *b, const char *s, size_t n)
{
	return oa_buf_html(b, s, n);
}

oa_err sop_esc(oa_buf *b, const char *s)
{
	return sop_esc_n(b, s, strlen(s));
}

void sop_w_put(sop_w *w, const char *s)
{
	if (w->rc == OA_OK)
		w->rc = oa_buf_append(w->b, s, strlen(s));
}

void sop_w_putf(sop_w *w, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (w->rc != OA_OK)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		w->rc = oa_fail(OA_ERR_NOMEM, "out of memory");
	else {
		w->rc = oa_buf_append(w->b, s, strlen(s));
		free(s);
	}
	va_end(ap);
}

void sop_w_esc(sop_w *w, const char *s)
{
	if (w->rc == OA_OK && s != NULL)
		w->rc = sop_esc(w->b, s);
}
