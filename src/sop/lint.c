/*
 * lint.c - warnings about a valid definition: what it says that the engine
 * will never check or act on.  They do not stop a definition from being
 * installed (an agency may copy its paper form faithfully), but `openams
 * sop check` prints them and `--strict` refuses them.
 */
#include <stdio.h>
#include <string.h>

#include "../common/util.h"
#include "sopInt.h"

/* 1 if the engine carries step s out itself, as soon as it opens. */
static int automatic(const sop_step *s)
{
	return s->action == SOP_ACT_NOTIFY || s->action == SOP_ACT_DONE;
}

/* The catalogue documents step s lists, as "`a`, `b`" (at most n bytes). */
static size_t step_docs(const sop_def *d, const sop_step *s, char *out, size_t n)
{
	size_t k = 0, used = 0;

	out[0] = 0;
	for (size_t i = 0; i < s->n_inputs; i++) {
		int doc = s->inputs[i].doc;
		if (doc < 0 || (size_t)doc >= d->n_documents)
			continue;
		if (used < n)
			used += (size_t)snprintf(out + used, n - used, "%s`%s`", k ? ", " : "",
			    d->documents[doc].id);
		k++;
	}
	return k;
}

void sop_lint(const sop_def *d, sop_errors *w)
{
	char docs[256];

	for (size_t i = 0; i < d->n_steps; i++) {
		const sop_step *s = &d->steps[i];
		size_t nd = step_docs(d, s, docs, sizeof docs);

		if (automatic(s) && nd)
			sop_err_add(w, s->line, "step %s (%s) runs by itself: the documents it lists (%s) "
			    "are never asked for; list them at the step that needs them", s->id,
			    sop_action_name(s->action), docs);
		if (automatic(s) && !s->time.none && s->time.text && *s->time.text)
			sop_err_add(w, s->line, "step %s (%s) runs by itself: its standard time `%s` is "
			    "never waited for or measured", s->id, sop_action_name(s->action), s->time.text);
		if (s->action == SOP_ACT_UPLOAD && nd == 0)
			sop_err_add(w, s->line, "step %s (upload) lists no document of the catalogue: the "
			    "engine has nothing to ask for at it", s->id);
	}
	for (size_t k = 0; k < d->n_documents; k++) {
		int used = 0;
		for (size_t i = 0; i < d->n_steps && !used; i++)
			for (size_t j = 0; j < d->steps[i].n_inputs && !used; j++)
				used = d->steps[i].inputs[j].doc == (int)k && !automatic(&d->steps[i]);
		for (size_t r = 0; r < d->n_reasons && !used; r++)
			for (size_t j = 0; j < d->reasons[r].n_docs && !used; j++)
				used = d->reasons[r].docs[j] == (int)k;
		if (!used)
			sop_err_add(w, d->documents[k].line, "document `%s` is required by no step a person "
			    "acts at and by no reason: nobody is ever asked for it", d->documents[k].id);
	}
	for (size_t a = 0; a < d->n_actors; a++) {
		int used = 0;
		for (size_t i = 0; i < d->n_steps && !used; i++)
			for (size_t j = 0; j < d->steps[i].n_actors && !used; j++)
				used = d->steps[i].actors[j] == (int)a;
		if (!used)
			sop_err_add(w, d->actors[a].line, "actor `%s` acts at no step: its column on the "
			    "form stays empty and nobody needs the role", d->actors[a].id);
	}
	sop_errors_sort(w);
}
