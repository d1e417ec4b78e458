/*
 * store_pg_sql.c - SQLite's SQL, as openams writes it, in PostgreSQL's
 * dialect: one rewrite applied to the migrations and to every statement
 * prepared on a PostgreSQL store, so that callers and the schema keep one
 * text.
 *
 * What it rewrites (outside string literals and quoted identifiers):
 *   - placeholders `?` and `?N` to `$N`; x'..' blob literals to bytea;
 *   - `a [NOT] GLOB 'pattern'` to a POSIX regular expression match (the
 *     pattern translated here), `a GLOB <expression>` to oa_glob(a, ...);
 *   - `IS [NOT] x` (x not NULL) to `IS [NOT] DISTINCT FROM x`; `==` to `=`;
 *     LIKE to ILIKE (SQLite's LIKE ignores ASCII case);
 *   - `INSERT OR IGNORE` to `INSERT ... ON CONFLICT DO NOTHING`;
 *   - instr() to strpos(), quote() to quote_nullable(), ifnull() to coalesce(), max(a, b)/min(a, b) to
 *     greatest()/least(), strftime('%s','now') to the epoch now,
 *     last_insert_rowid() to lastval();
 *   - types: INTEGER PRIMARY KEY to an identity column, INTEGER to BIGINT,
 *     BLOB to BYTEA; WITHOUT ROWID dropped; PRAGMA statements dropped;
 *   - `CREATE TRIGGER n BEFORE ev ON t [WHEN c] BEGIN SELECT RAISE(ABORT,
 *     'm'); END` (TEMP too: a lasting trigger, PostgreSQL has no temporary
 *     ones) to a plpgsql function n_fn() raising m (SQLSTATE 23000,
 *     a constraint) when c holds, and the trigger calling it for each row;
 *     `DROP TRIGGER n` to dropping n_fn() and so its trigger.
 *
 * It is not a parser: it knows the shapes openams's SQL uses.  The left
 * operand of GLOB must be a (qualified) column name.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storeInt.h"

struct buf {
	char *p;
	size_t n, cap;
	int oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;
		while (cap < b->n + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

struct rw {
	struct buf out;
	int maxparam;
	const char *err;
};

static int isword(int c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The length of the string literal at p ('...' with '' inside), or 0 if
 * it does not end. */
static size_t lit_len(const char *p, const char *end)
{
	const char *q = p + 1;

	while (q < end) {
		if (*q == '\'') {
			if (q + 1 < end && q[1] == '\'') {
				q += 2;
				continue;
			}
			return (size_t)(q + 1 - p);
		}
		q++;
	}
	return 0;
}

static const char *skipws(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/* Whether the word at p (length n) is kw, case-insensitively. */
static int kw(const char *p, size_t n, const char *k)
{
	return strlen(k) == n && strncasecmp(p, k, n) == 0;
}

/* The word starting at p (after spaces): its start and length. */
static size_t next_word(const char *p, const char *end, const char **w)
{
	const char *q;

	p = skipws(p, end);
	*w = p;
	for (q = p; q < end && isword(*q); q++)
		;
	return (size_t)(q - p);
}

/* Glob pattern (the literal's content, '' still doubled) to a regular
 * expression literal's content. */
static void glob_to_re(struct buf *o, const char *p, size_t n)
{
	const char *end = p + n;

	puts_(o, "^");
	while (p < end) {
		char c = *p++;
		if (c == '\'') { /* a doubled quote */
			puts_(o, "''");
			p++;
		} else if (c == '*')
			puts_(o, ".*");
		else if (c == '?')
			puts_(o, ".");
		else if (c == '[') {
			puts_(o, "[");
			if (p < end && *p == '^')
				puts_(o, "^"), p++;
			if (p < end && *p == ']')
				puts_(o, "]"), p++;
			while (p < end && *p != ']') {
				if (*p == '\\')
					puts_(o, "\\");
				put(o, p, 1);
				p++;
			}
			if (p < end)
				p++;
			puts_(o, "]");
		} else {
			if (strchr(".^$|()+{}\\", c))
				puts_(o, "\\");
			put(o, &c, 1);
		}
	}
	puts_(o, "$");
}

static void rw_expr(struct rw *r, const char *p, const char *end);

/* The end of one primary of GLOB's right side at p: a literal, a
 * placeholder, a (qualified) name or a parenthesised expression. */
static const char *primary_end(const char *p, const char *end)
{
	p = skipws(p, end);
	if (p >= end)
		return p;
	if (*p == '\'') {
		size_t l = lit_len(p, end);
		return l ? p + l : end;
	}
	if (*p == '?') {
		p++;
		while (p < end && isdigit((unsigned char)*p))
			p++;
		return p;
	}
	if (*p == '(') {
		int depth = 0;
		for (; p < end; p++) {
			if (*p == '\'') {
				size_t l = lit_len(p, end);
				if (!l)
					return end;
				p += l - 1;
			} else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0)
				return p + 1;
		}
		return end;
	}
	while (p < end && (isword(*p) || *p == '.'))
		p++;
	return p;
}

/* GLOB at p (after the word GLOB): the left operand is the output from
 * opstart on.  Returns where the right operand ends. */
static const char *rw_glob(struct rw *r, size_t opstart, int neg, const char *p, const char *end)
{
	const char *rs = skipws(p, end), *re = primary_end(rs, end), *q;
	char *left;

	for (;;) {
		q = skipws(re, end);
		if (q + 1 < end && q[0] == '|' && q[1] == '|')
			re = primary_end(q + 2, end);
		else
			break;
	}
	if (r->out.oom || (left = strdup(r->out.p + opstart)) == NULL) {
		r->out.oom = 1;
		return re;
	}
	r->out.n = opstart;
	r->out.p[opstart] = '\0';
	if (neg)
		puts_(&r->out, "NOT ");
	if (*rs == '\'' && primary_end(rs, end) == re) {
		puts_(&r->out, "(");
		puts_(&r->out, left);
		puts_(&r->out, " ~ '");
		glob_to_re(&r->out, rs + 1, (size_t)(re - rs - 2));
		puts_(&r->out, "')");
	} else {
		puts_(&r->out, "oa_glob(");
		puts_(&r->out, left);
		puts_(&r->out, ", ");
		rw_expr(r, rs, re);
		puts_(&r->out, ")");
	}
	free(left);
	return re;
}

/* Whether the call at p (just after a function name, at its '(') has two
 * or more arguments at top level. */
static int several_args(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (*p == '\'') {
			size_t l = lit_len(p, end);
			if (!l)
				return 0;
			p += l - 1;
		} else if (*p == '(')
			depth++;
		else if (*p == ')') {
			if (--depth == 0)
				return 0;
		} else if (*p == ',' && depth == 1)
			return 1;
	}
	return 0;
}

/* One statement (no trigger), or part of one. */
static void rw_expr(struct rw *r, const char *p, const char *end)
{
	size_t opstart = r->out.n;
	int on_conflict = 0;
	char num[24];

	while (p < end && !r->out.oom) {
		char c = *p;
		if (c == '\'') {
			size_t l = lit_len(p, end);
			if (!l) {
				r->err = "a string literal does not end";
				return;
			}
			opstart = r->out.n;
			put(&r->out, p, l);
			p += l;
		} else if ((c == 'x' || c == 'X') && p + 1 < end && p[1] == '\'') {
			size_t l = lit_len(p + 1, end);
			if (!l) {
				r->err = "a blob literal does not end";
				return;
			}
			opstart = r->out.n;
			puts_(&r->out, "'\\x");
			put(&r->out, p + 2, l - 1);
			puts_(&r->out, "::bytea");
			p += 1 + l;
		} else if (c == '"') {
			const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
			if (q == NULL) {
				r->err = "a quoted name does not end";
				return;
			}
			opstart = r->out.n;
			put(&r->out, p, (size_t)(q + 1 - p));
			p = q + 1;
		} else if (c == '-' && p + 1 < end && p[1] == '-') {
			const char *q = memchr(p, '\n', (size_t)(end - p));
			q = q ? q : end;
			put(&r->out, p, (size_t)(q - p));
			p = q;
		} else if (c == '?') {
			int n;
			p++;
			if (p < end && isdigit((unsigned char)*p)) {
				n = 0;
				while (p < end && isdigit((unsigned char)*p))
					n = n * 10 + (*p++ - '0');
			} else
				n = r->maxparam + 1;
			if (n > r->maxparam)
				r->maxparam = n;
			snprintf(num, sizeof num, "$%d", n);
			opstart = r->out.n;
			puts_(&r->out, num);
		} else if (c == '=' && p + 1 < end && p[1] == '=') {
			puts_(&r->out, "=");
			p += 2;
		} else if (isword(c) && !isdigit((unsigned char)c)) {
			const char *w = p, *w2, *w3;
			size_t n, n2, n3;
			while (p < end && isword(*p))
				p++;
			n = (size_t)(p - w);
			n2 = next_word(p, end, &w2);
			if (kw(w, n, "INTEGER") && kw(w2, n2, "PRIMARY") &&
			    (n3 = next_word(w2 + n2, end, &w3)) && kw(w3, n3, "KEY")) {
				puts_(&r->out, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
				p = w3 + n3;
			} else if (kw(w, n, "INTEGER"))
				puts_(&r->out, "BIGINT");
			else if (kw(w, n, "BLOB"))
				puts_(&r->out, "BYTEA");
			else if (kw(w, n, "WITHOUT") && kw(w2, n2, "ROWID"))
				p = w2 + n2;
			else if (kw(w, n, "INSERT") && kw(w2, n2, "OR") &&
			         (n3 = next_word(w2 + n2, end, &w3)) && kw(w3, n3, "IGNORE")) {
				puts_(&r->out, "INSERT");
				p = w3 + n3;
				on_conflict = 1;
			} else if (kw(w, n, "RETURNING") && on_conflict) {
				puts_(&r->out, "ON CONFLICT DO NOTHING RETURNING");
				on_conflict = 0;
			} else if (kw(w, n, "NOT") && kw(w2, n2, "GLOB"))
				p = rw_glob(r, opstart, 1, w2 + n2, end);
			else if (kw(w, n, "GLOB"))
				p = rw_glob(r, opstart, 0, p, end);
			else if (kw(w, n, "IS") && kw(w2, n2, "NOT")) {
				n3 = next_word(w2 + n2, end, &w3);
				if (kw(w3, n3, "NULL"))
					puts_(&r->out, "IS NOT");
				else
					puts_(&r->out, "IS DISTINCT FROM");
				p = w2 + n2;
			} else if (kw(w, n, "IS")) {
				if (kw(w2, n2, "NULL") || kw(w2, n2, "TRUE") || kw(w2, n2, "FALSE"))
					puts_(&r->out, "IS");
				else
					puts_(&r->out, "IS NOT DISTINCT FROM");
			} else if (kw(w, n, "LIKE"))
				puts_(&r->out, "ILIKE");
			else if (kw(w, n, "instr") && *skipws(p, end) == '(')
				puts_(&r->out, "strpos");
			else if (kw(w, n, "quote") && *skipws(p, end) == '(')
				puts_(&r->out, "quote_nullable");
			else if (kw(w, n, "ifnull") && *skipws(p, end) == '(')
				puts_(&r->out, "coalesce");
			else if ((kw(w, n, "max") || kw(w, n, "min")) && *skipws(p, end) == '(' &&
			         several_args(skipws(p, end), end))
				puts_(&r->out, kw(w, n, "max") ? "greatest" : "least");
			else if (kw(w, n, "last_insert_rowid"))
				puts_(&r->out, "lastval");
			else if (kw(w, n, "strftime") && *skipws(p, end) == '(') {
				const char *q = skipws(p, end) + 1, *e2;
				char args[64];
				size_t k = 0;
				for (e2 = q; e2 < end && *e2 != ')' && k + 1 < sizeof args; e2++)
					if (!isspace((unsigned char)*e2))
						args[k++] = *e2;
				args[k] = '\0';
				if (e2 < end && *e2 == ')' && strcmp(args, "'%s','now'") == 0) {
					puts_(&r->out, "(extract(epoch from now())::bigint)");
					p = e2 + 1;
				} else {
					r->err = "strftime() other than strftime('%s','now')";
					return;
				}
			} else {
				opstart = r->out.n;
				put(&r->out, w, n);
				continue;
			}
			opstart = r->out.n;
		} else if (c == '.') {
			put(&r->out, p, 1);
			p++;
			if (p < end && isword(*p) && !isdigit((unsigned char)*p)) {
				const char *w = p;
				while (p < end && isword(*p))
					p++;
				put(&r->out, w, (size_t)(p - w)); /* opstart stays at the qualifier */
			}
		} else if (isdigit((unsigned char)c)) {
			const char *w = p;
			while (p < end && (isword(*p) || *p == '.'))
				p++;
			opstart = r->out.n;
			put(&r->out, w, (size_t)(p - w));
		} else {
			put(&r->out, p, 1);
			p++;
		}
	}
	if (on_conflict)
		puts_(&r->out, " ON CONFLICT DO NOTHING");
}

/* CREATE TRIGGER name timing-event ON table [WHEN cond] BEGIN SELECT
 * RAISE(ABORT, 'msg'); END */
static void rw_trigger(struct rw *r, const char *p, const char *end)
{
	const char *w, *name, *ev, *on = NULL, *table, *when = NULL, *begin = NULL, *msg;
	size_t n, nname, ntable, lmsg;

	next_word(p, end, &w);                      /* CREATE */
	n = next_word(w + 6, end, &w);              /* [TEMP] TRIGGER */
	if (!kw(w, n, "TRIGGER"))
		n = next_word(w + n, end, &w);
	nname = next_word(w + n, end, &name);
	ev = name + nname;
	for (const char *q = ev; q < end; q++) {
		if (!isword(q[-1]) && isword(*q)) {
			const char *ww;
			size_t nw = next_word(q, end, &ww);
			if (!on && kw(ww, nw, "ON"))
				on = ww;
			else if (on && !when && !begin && kw(ww, nw, "WHEN"))
				when = ww;
			else if (on && kw(ww, nw, "BEGIN")) {
				begin = ww;
				break;
			}
			q = ww + nw - 1;
		} else if (*q == '\'') {
			size_t l = lit_len(q, end);
			if (!l)
				break;
			q += l - 1;
		}
	}
	if (!on || !begin || (msg = strstr(begin, "RAISE(ABORT,")) == NULL || msg > end) {
		r->err = "a trigger not of the shape BEFORE ... BEGIN SELECT RAISE(ABORT, ...); END";
		return;
	}
	ntable = next_word(on + 2, end, &table);
	msg = skipws(msg + 12, end);
	if (*msg != '\'' || (lmsg = lit_len(msg, end)) == 0) {
		r->err = "a trigger's RAISE without a message";
		return;
	}
	puts_(&r->out, "CREATE OR REPLACE FUNCTION ");
	put(&r->out, name, nname);
	puts_(&r->out, "_fn() RETURNS trigger LANGUAGE plpgsql AS $oa$ BEGIN IF ");
	if (when)
		rw_expr(r, when + 4, begin);
	else
		puts_(&r->out, "TRUE ");
	puts_(&r->out, "THEN RAISE EXCEPTION USING ERRCODE = '23000', MESSAGE = ");
	put(&r->out, msg, lmsg);
	puts_(&r->out, "; END IF; IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $oa$;"
	               " CREATE TRIGGER ");
	put(&r->out, name, nname);
	put(&r->out, ev, (size_t)(on - ev));
	puts_(&r->out, "ON ");
	put(&r->out, table, ntable);
	puts_(&r->out, " FOR EACH ROW EXECUTE FUNCTION ");
	put(&r->out, name, nname);
	puts_(&r->out, "_fn()");
}

/* The end of the statement at p: its ';' (or end); a trigger's body runs
 * to END;. */
static const char *stmt_end(const char *p, const char *end, int trigger)
{
	const char *q = p;

	while (q < end) {
		if (*q == '\'') {
			size_t l = lit_len(q, end);
			if (!l)
				return end;
			q += l;
			continue;
		}
		if (*q == ';') {
			if (!trigger)
				return q;
			/* ...; END; */
			const char *b = q;
			while (b > p && isspace((unsigned char)b[-1]))
				b--;
			if (b - p >= 3 && strncasecmp(b - 3, "END", 3) == 0 && (b - 3 == p ||
			    !isword(b[-4])))
				return q;
		}
		q++;
	}
	return end;
}

char *pg_rewrite(const char *sql, int ddl, int *nparams)
{
	struct rw r = {0};
	const char *p = sql, *end = sql + strlen(sql);

	(void)ddl;
	puts_(&r.out, "");
	while (p < end && !r.err && !r.out.oom) {
		const char *w, *w2, *w3, *e;
		size_t n, n2, n3;
		p = skipws(p, end);
		if (p >= end)
			break;
		n = next_word(p, end, &w);
		n2 = next_word(w + n, end, &w2);
		int trig = kw(w, n, "CREATE") && kw(w2, n2, "TRIGGER");
		if (kw(w, n, "CREATE") && (kw(w2, n2, "TEMP") || kw(w2, n2, "TEMPORARY")) &&
		    (n3 = next_word(w2 + n2, end, &w3)) && kw(w3, n3, "TRIGGER"))
			trig = 2; /* PostgreSQL has no temporary triggers: a lasting one */
		e = stmt_end(p, end, trig);
		if (r.out.n)
			puts_(&r.out, ";\n");
		if (trig)
			rw_trigger(&r, p, e);
		else if (kw(w, n, "DROP") && kw(w2, n2, "TRIGGER")) {
			n3 = next_word(w2 + n2, end, &w3);
			if (kw(w3, n3, "IF")) /* IF EXISTS */
				n3 = next_word(w3 + n3, end, &w3), n3 = next_word(w3 + n3, end, &w3);
			puts_(&r.out, "DROP FUNCTION IF EXISTS ");
			put(&r.out, w3, n3);
			puts_(&r.out, "_fn() CASCADE");
		} else if (kw(w, n, "PRAGMA"))
			;
		else
			rw_expr(&r, p, e);
		p = e < end ? e + 1 : e;
	}
	if (r.out.oom) {
		free(r.out.p);
		oa_fail(OA_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (r.err) {
		free(r.out.p);
		oa_fail(OA_ERR_STORE, "database: SQL for PostgreSQL: %s in: %.200s", r.err, sql);
		return NULL;
	}
	if (nparams)
		*nparams = r.maxparam;
	return r.out.p;
}
