/*
 * render_svg.c - the SOP as a swimlane flowchart in one standalone SVG.
 *
 * The drawing follows the table of the official form, so that a reader
 * recognises it: one row per step (NO and KEGIATAN on the left, WAKTU on the
 * right) and one vertical lane per actor, in the order of the form's
 * PELAKSANA columns.  Each step is drawn in its actor's lane: a box for an
 * activity, a diamond for a decision, a rounded terminator for Mulai
 * (start), Selesai (end) and `done` steps.  Arrows:
 *
 *   - next and "Ya" to a later row run down the lane, then across at the
 *     top of the target row (when the lane is clear in between);
 *   - every "Tidak" leaves the diamond on the right and runs in its own
 *     track of the right-hand gutter, which is how loops back are drawn;
 *   - any other edge (a loop by next, a skip across occupied rows) runs in
 *     its own track of the left-hand gutter.
 *
 * Every text is XML-escaped; each shape carries a <title> with the whole
 * activity text, which is also wrapped into the KEGIATAN column.  No
 * scripts, no external references.
 */
#include "sopInt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 20.0
#define NO_W 40.0
#define KEG_W 300.0
#define LANE_W 124.0
#define TIME_W 92.0
#define TRACK 11.0
#define GUTTER_PAD 12.0
#define LINE_H 13.0
#define ROW_MIN 64.0
#define DEC_ROW_MIN 84.0
#define TERM_ROW 50.0
#define KEG_CHARS 44
#define HEAD_CHARS 17
#define TIME_CHARS 13

#define BOX_W 64.0
#define BOX_H 32.0
#define DEC_W 68.0
#define DEC_H 50.0
#define TERM_W 74.0
#define TERM_H 28.0

enum { START = -10 };

typedef struct lay {
	const sop_def *d;
	size_t n;
	int *lane_l, *lane_r;   /* leftmost and rightmost lane of each step */
	double *top, *height;   /* per row: 0 start, 1..n steps, n+1 end */
	int end_row;            /* 1 if an end terminator row is drawn */
	int end_lane;
	int n_left, n_right;    /* gutter tracks */
	double x_lanes, x_time, width, total_h, head_h, title_h;
	size_t title_chars, sub_chars;
	char sub[1024];
} lay;

typedef struct edge {
	int from, to;     /* step index, START or SOP_END */
	int kind;         /* 0 next, 1 yes, 2 no */
	int route;        /* 0 down, 1 left gutter, 2 right gutter */
	int track;
} edge;

/* Wrapped lines of s: up to max code points each; returns the count. */
static size_t wrap(const char *s, size_t max, size_t *starts, size_t *lens, size_t cap)
{
	size_t n = 0, len = strlen(s), pos = 0;

	while (pos < len && n < cap) {
		size_t i = pos, cps = 0, brk = 0;

		while (s[pos] == ' ')
			pos++;
		i = pos;
		while (i < len && cps < max) {
			if (s[i] == ' ')
				brk = i;
			i++;
			while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
				i++;
			cps++;
		}
		if (i < len && s[i] != ' ' && brk > pos)
			i = brk;
		starts[n] = pos;
		lens[n] = i - pos;
		n++;
		pos = i;
	}
	return n;
}

static size_t count_lines(const char *s, size_t max)
{
	size_t st[256], ln[256];

	return s ? wrap(s, max, st, ln, 256) : 0;
}

/* Writes s wrapped as <text> with <tspan> lines starting at (x, y). */
static void text_block(sop_w *w, const char *s, size_t max, double x, double y,
    const char *attrs, double lh)
{
	size_t st[256], ln[256], n = wrap(s, max, st, ln, 256);

	sop_w_putf(w, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attrs);
	for (size_t i = 0; i < n; i++) {
		sop_w_putf(w, "<tspan x=\"%.1f\" dy=\"%.0f\">", x, i ? lh : 0.0);
		if (w->rc == OA_OK)
			w->rc = sop_esc_n(w->b, s + st[i], ln[i]);
		sop_w_put(w, "</tspan>");
	}
	sop_w_put(w, "</text>\n");
}

/* "GOVERNMENT · AGENCY · UNIT" for the title block. */
static void subtitle(const sop_def *d, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s%s%s%s%s", d->agency.government && *d->agency.government ?
	    d->agency.government : "", d->agency.government && *d->agency.government ? " · " : "",
	    d->agency.name, d->agency.unit && *d->agency.unit ? " · " : "",
	    d->agency.unit && *d->agency.unit ? d->agency.unit : "");
}

static double lane_cx(const lay *l, int lane)
{
	return l->x_lanes + LANE_W * lane + LANE_W / 2;
}

static int row_of(const lay *l, int node)
{
	return node == START ? 0 : node == SOP_END ? (int)l->n + 1 : node + 1;
}

static double row_cy(const lay *l, int row)
{
	return l->top[row] + l->height[row] / 2;
}

/* Half width and height of the shape of a node. */
static void half(const lay *l, int node, double *hw, double *hh)
{
	if (node == START || node == SOP_END ||
	    l->d->steps[node].action == SOP_ACT_DONE) {
		*hw = TERM_W / 2;
		*hh = TERM_H / 2;
	} else if (l->d->steps[node].action == SOP_ACT_DECIDE) {
		*hw = DEC_W / 2;
		*hh = DEC_H / 2;
	} else {
		*hw = BOX_W / 2;
		*hh = BOX_H / 2;
	}
}

static int lane_left(const lay *l, int node)
{
	if (node == START)
		return l->lane_l[0];
	if (node == SOP_END)
		return l->end_lane;
	return l->lane_l[node];
}

static int lane_right(const lay *l, int node)
{
	if (node == START)
		return l->lane_l[0];
	if (node == SOP_END)
		return l->end_lane;
	return l->lane_r[node];
}

/* True if lane has no shape in rows strictly between r1 and r2. */
static int lane_clear(const lay *l, int lane, int r1, int r2)
{
	for (int r = r1 + 1; r < r2; r++) {
		int i = r - 1;

		if (i >= 0 && (size_t)i < l->n && l->lane_l[i] <= lane && lane <= l->lane_r[i])
			return 0;
	}
	return 1;
}

static void shape(sop_w *w, const lay *l, int node, int lane, const char *label)
{
	double cx = lane_cx(l, lane), cy = row_cy(l, row_of(l, node)), hw, hh;
	int dec = node >= 0 && l->d->steps[node].action == SOP_ACT_DECIDE;

	half(l, node, &hw, &hh);
	if (node == START || node == SOP_END || l->d->steps[node].action == SOP_ACT_DONE)
		sop_w_putf(w, "<rect class=\"term\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" rx=\"%.1f\"/>", cx - hw, cy - hh, 2 * hw, 2 * hh, hh);
	else if (dec)
		sop_w_putf(w, "<polygon class=\"dec\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f "
		    "%.1f,%.1f\"/>", cx, cy - hh, cx + hw, cy, cx, cy + hh, cx - hw, cy);
	else
		sop_w_putf(w, "<rect class=\"box\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\"/>", cx - hw, cy - hh, 2 * hw, 2 * hh);
	sop_w_putf(w, "<text class=\"id\" x=\"%.1f\" y=\"%.1f\">", cx, cy + 4);
	sop_w_esc(w, label);
	sop_w_put(w, "</text>");
}

static void draw_edge(sop_w *w, const lay *l, const edge *e)
{
	int r1 = row_of(l, e->from), r2 = row_of(l, e->to);
	double hw1, hh1, hw2, hh2, y1 = row_cy(l, r1), y2 = row_cy(l, r2), gx;
	const char *label = e->kind == 1 ? "Ya" : e->kind == 2 ? "Tidak" : NULL;

	half(l, e->from, &hw1, &hh1);
	half(l, e->to, &hw2, &hh2);
	sop_w_putf(w, "<path class=\"%s\" d=\"", e->kind == 2 ? "edge no" : "edge");
	if (e->route == 0) {
		double x1 = lane_cx(l, lane_left(l, e->from)), x2 = lane_cx(l, lane_left(l, e->to));
		double ych = l->top[r2] + 7;

		if (x1 == x2)
			sop_w_putf(w, "M%.1f,%.1f V%.1f", x1, y1 + hh1, y2 - hh2);
		else
			sop_w_putf(w, "M%.1f,%.1f V%.1f H%.1f V%.1f", x1, y1 + hh1, ych, x2, y2 - hh2);
		sop_w_put(w, "\"/>");
		if (label)
			sop_w_putf(w, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\">%s</text>",
			    x1 + 5, y1 + hh1 + 11, label);
	} else if (e->route == 2) {
		double x1 = lane_cx(l, lane_right(l, e->from)) + hw1;
		double x2 = lane_cx(l, lane_right(l, e->to)) + hw2;

		gx = l->x_lanes + LANE_W * l->d->n_actors + GUTTER_PAD + TRACK * e->track;
		sop_w_putf(w, "M%.1f,%.1f H%.1f V%.1f H%.1f\"/>", x1, y1, gx, y2, x2);
		if (label)
			sop_w_putf(w, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\">%s</text>",
			    x1 + 4, y1 - 4, label);
	} else {
		double x1 = lane_cx(l, lane_left(l, e->from)) - hw1;
		double x2 = lane_cx(l, lane_left(l, e->to)) - hw2;

		gx = l->x_lanes - GUTTER_PAD - TRACK * e->track;
		sop_w_putf(w, "M%.1f,%.1f H%.1f V%.1f H%.1f\"/>", x1, y1, gx, y2, x2);
		if (label)
			sop_w_putf(w, "<text class=\"lbl\" text-anchor=\"end\" x=\"%.1f\" "
			    "y=\"%.1f\">%s</text>", x1 - 4, y1 - 4, label);
	}
	sop_w_put(w, "\n");
}

static const char style[] =
    "<style>"
    "text{font-size:11px;fill:#000}"
    ".title{font-size:14px;font-weight:bold}"
    ".sub{font-size:11px}"
    ".head{font-size:9.5px;font-weight:bold;text-anchor:middle}"
    ".id{font-size:11px;font-weight:bold;text-anchor:middle}"
    ".lbl{font-size:10px;font-style:italic;fill:#222}"
    ".grid{stroke:#000;stroke-width:1;fill:none}"
    ".rowline{stroke:#bbb;stroke-width:0.7}"
    ".lane{fill:#f6f6f6}"
    ".hd{fill:#e8e8e8;stroke:#000}"
    ".box,.dec,.term{fill:#fff;stroke:#000;stroke-width:1.5}"
    ".edge{fill:none;stroke:#000;stroke-width:1.2;marker-end:url(#arrow)}"
    ".edge.no{stroke-dasharray:5 3}"
    ".join{stroke:#000;stroke-width:1;stroke-dasharray:2 2}"
    ".turn{font-size:8.5px;text-anchor:middle}"
    "</style>\n";

static oa_err layout(lay *l, edge **edges_out, size_t *n_edges)
{
	const sop_def *d = l->d;
	size_t n = d->n_steps, ne = 0;
	edge *ev;
	int last_end = -1;

	l->n = n;
	l->lane_l = calloc(n, sizeof *l->lane_l);
	l->lane_r = calloc(n, sizeof *l->lane_r);
	l->top = calloc(n + 2, sizeof *l->top);
	l->height = calloc(n + 2, sizeof *l->height);
	ev = calloc(2 * n + 1, sizeof *ev);
	*edges_out = ev;
	if (!l->lane_l || !l->lane_r || !l->top || !l->height || !ev)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const sop_step *s = &d->steps[i];

		if (s->n_actors == 0) {
			l->lane_l[i] = l->lane_r[i] = i > 0 ? l->lane_l[i - 1] : 0;
			continue;
		}
		l->lane_l[i] = l->lane_r[i] = s->actors[0];
		for (size_t k = 1; k < s->n_actors; k++) {
			if (s->actors[k] < l->lane_l[i])
				l->lane_l[i] = s->actors[k];
			if (s->actors[k] > l->lane_r[i])
				l->lane_r[i] = s->actors[k];
		}
	}
	/* Edges; `done` steps are the end terminators themselves. */
	ev[ne++] = (edge){START, 0, 0, 0, 0};
	for (size_t i = 0; i < n; i++) {
		const sop_step *s = &d->steps[i];

		if (s->action == SOP_ACT_DONE)
			continue;
		if (s->action == SOP_ACT_DECIDE) {
			ev[ne++] = (edge){(int)i, s->yes, 1, 0, 0};
			ev[ne++] = (edge){(int)i, s->no, 2, 0, 0};
		} else
			ev[ne++] = (edge){(int)i, s->next, 0, 0, 0};
	}
	for (size_t k = 0; k < ne; k++)
		if (ev[k].to == SOP_END && ev[k].from > last_end)
			last_end = ev[k].from;
	l->end_row = last_end >= 0;
	l->end_lane = last_end >= 0 ? l->lane_l[last_end] : 0;

	/* Routes, then gutter tracks: shortest spans innermost, a track shared
	 * by edges whose row ranges do not overlap. */
	for (size_t k = 0; k < ne; k++) {
		edge *e = &ev[k];
		int r1 = row_of(l, e->from), r2 = row_of(l, e->to);

		e->track = -1;
		if (e->kind == 2)
			e->route = 2;
		else if (r2 > r1 && lane_clear(l, lane_left(l, e->from), r1, r2))
			e->route = 0;
		else
			e->route = 1;
	}
	for (;;) {
		edge *e = NULL;
		int span = 0, track;

		for (size_t k = 0; k < ne; k++) {
			int sk = abs(row_of(l, ev[k].to) - row_of(l, ev[k].from));

			if (ev[k].route != 0 && ev[k].track < 0 && (e == NULL || sk < span)) {
				e = &ev[k];
				span = sk;
			}
		}
		if (e == NULL)
			break;
		for (track = 0;; track++) {
			int lo = row_of(l, e->from), hi = row_of(l, e->to), clash = 0;

			if (lo > hi) {
				int t = lo;
				lo = hi;
				hi = t;
			}
			for (size_t k = 0; k < ne; k++) {
				int a = row_of(l, ev[k].from), b = row_of(l, ev[k].to);

				if (&ev[k] == e || ev[k].route != e->route || ev[k].track != track)
					continue;
				if (a > b) {
					int t = a;
					a = b;
					b = t;
				}
				clash |= a <= hi && lo <= b;
			}
			if (!clash)
				break;
		}
		e->track = track;
		if (e->route == 1 && track + 1 > l->n_left)
			l->n_left = track + 1;
		if (e->route == 2 && track + 1 > l->n_right)
			l->n_right = track + 1;
	}
	l->x_lanes = MARGIN + NO_W + KEG_W + 2 * GUTTER_PAD + TRACK * l->n_left;
	l->x_time = l->x_lanes + LANE_W * d->n_actors + 2 * GUTTER_PAD + TRACK * l->n_right;
	l->width = l->x_time + TIME_W + MARGIN;
	/* Title block: the SOP name, then agency and number, wrapped to the width. */
	l->title_chars = (size_t)((l->width - 2 * MARGIN) / 8.6);
	l->sub_chars = (size_t)((l->width - 2 * MARGIN) / 6.3);
	subtitle(d, l->sub, sizeof l->sub);
	l->title_h = 18 * (double)(count_lines(d->name, l->title_chars) +
	    count_lines(l->sub, l->sub_chars) + 1) + 16;
	/* Row heights. */
	l->head_h = 0;
	for (size_t a = 0; a < d->n_actors; a++) {
		double h = 14 + LINE_H * (double)count_lines(d->actors[a].name, HEAD_CHARS);

		if (h > l->head_h)
			l->head_h = h;
	}
	if (l->head_h < 34)
		l->head_h = 34;
	l->top[0] = MARGIN + l->title_h + l->head_h;
	l->height[0] = TERM_ROW;
	for (size_t i = 0; i < n; i++) {
		const sop_step *s = &d->steps[i];
		double h = 16 + LINE_H * (double)count_lines(s->activity, KEG_CHARS);
		double t = 16 + LINE_H * (double)(s->time.none ? 1 : count_lines(s->time.text, TIME_CHARS));
		double min = s->action == SOP_ACT_DECIDE ? DEC_ROW_MIN : ROW_MIN;

		if (t > h)
			h = t;
		l->height[i + 1] = h < min ? min : h;
		l->top[i + 1] = l->top[i] + l->height[i];
	}
	l->height[n + 1] = l->end_row ? TERM_ROW : 0;
	l->top[n + 1] = l->top[n] + l->height[n];
	l->total_h = l->top[n + 1] + l->height[n + 1] + MARGIN;

	*n_edges = ne;
	return OA_OK;
}

static void frame(sop_w *w, const lay *l)
{
	const sop_def *d = l->d;
	double ty, y0 = MARGIN + l->title_h, y1 = l->top[l->n + 1] + l->height[l->n + 1];
	double xl = MARGIN, xr = l->x_time + TIME_W;
	double keg_r = MARGIN + NO_W + KEG_W;

	/* Title block. */
	sop_w_put(w, "<g class=\"titles\">");
	text_block(w, d->name, l->title_chars, MARGIN, MARGIN + 16, "class=\"title\"", 18);
	ty = MARGIN + 16 + 18 * (double)count_lines(d->name, l->title_chars);
	text_block(w, l->sub, l->sub_chars, MARGIN, ty, "class=\"sub\"", 18);
	ty += 18 * (double)count_lines(l->sub, l->sub_chars);
	sop_w_putf(w, "<text class=\"sub\" x=\"%.1f\" y=\"%.1f\">NOMOR SOP: ", MARGIN, ty);
	sop_w_esc(w, d->number && *d->number ? d->number : "-");
	sop_w_put(w, "</text></g>\n");

	/* Lanes (every other one shaded), header row, row lines.  A lane's
	 * shading covers its column as the grid draws it: the first column
	 * starts at KEGIATAN's right edge and the last ends at WAKTU's left
	 * edge, so they also hold the gutters' tracks. */
	for (size_t a = 0; a < d->n_actors; a += 2) {
		double x0 = a == 0 ? keg_r : l->x_lanes + LANE_W * (double)a;
		double x1 = a + 1 == d->n_actors ? l->x_time : l->x_lanes + LANE_W * (double)(a + 1);

		sop_w_putf(w, "<rect class=\"lane\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\"/>\n", x0, y0 + l->head_h, x1 - x0, y1 - y0 - l->head_h);
	}
	sop_w_putf(w, "<rect class=\"hd\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
	    xl, y0, xr - xl, l->head_h);
	for (size_t r = 1; r <= l->n + 1; r++)
		sop_w_putf(w, "<line class=\"rowline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		    xl, l->top[r], xr, l->top[r]);
	sop_w_putf(w, "<rect class=\"grid\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
	    xl, y0, xr - xl, y1 - y0);
	sop_w_putf(w, "<path class=\"grid\" d=\"M%.1f,%.1f V%.1f M%.1f,%.1f V%.1f", xl + NO_W, y0,
	    y1, keg_r, y0, y1);
	for (size_t a = 1; a < d->n_actors; a++)
		sop_w_putf(w, " M%.1f,%.1f V%.1f", l->x_lanes + LANE_W * a, y0, y1);
	sop_w_putf(w, " M%.1f,%.1f V%.1f\"/>\n", l->x_time, y0, y1);
	sop_w_putf(w, "<text class=\"head\" x=\"%.1f\" y=\"%.1f\">NO</text>"
	    "<text class=\"head\" x=\"%.1f\" y=\"%.1f\">KEGIATAN</text>"
	    "<text class=\"head\" x=\"%.1f\" y=\"%.1f\">WAKTU</text>\n",
	    xl + NO_W / 2, y0 + l->head_h / 2 + 4, xl + NO_W + KEG_W / 2, y0 + l->head_h / 2 + 4,
	    l->x_time + TIME_W / 2, y0 + l->head_h / 2 + 4);
	for (size_t a = 0; a < d->n_actors; a++) {
		double lines = (double)count_lines(d->actors[a].name, HEAD_CHARS);

		sop_w_put(w, "<g class=\"actor\">");
		text_block(w, d->actors[a].name, HEAD_CHARS, lane_cx(l, (int)a),
		    y0 + l->head_h / 2 - LINE_H * (lines - 1) / 2 + 3.5, "class=\"head\"", LINE_H);
		sop_w_put(w, "</g>\n");
	}
}

oa_err sop_render_svg(const sop_def *d, oa_buf *out)
{
	sop_w w = {out, OA_OK};
	lay l = {0};
	edge *ev = NULL;
	size_t ne = 0;

	l.d = d;
	if ((w.rc = layout(&l, &ev, &ne)))
		goto out;
	sop_w_putf(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	    "viewBox=\"0 0 %.0f %.0f\" font-family=\"Arial, Helvetica, sans-serif\">\n<title>",
	    l.width, l.total_h, l.width, l.total_h);
	sop_w_esc(&w, d->name);
	sop_w_put(&w, "</title>\n<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" "
	    "refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
	    "<path d=\"M0,0 L10,5 L0,10 z\"/></marker></defs>\n");
	sop_w_put(&w, style);
	sop_w_putf(&w, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n",
	    l.width, l.total_h);
	frame(&w, &l);

	/* Row texts: NO, KEGIATAN, WAKTU. */
	for (size_t i = 0; i < d->n_steps; i++) {
		const sop_step *s = &d->steps[i];
		double t = l.top[i + 1];

		sop_w_putf(&w, "<text class=\"id\" x=\"%.1f\" y=\"%.1f\">", MARGIN + NO_W / 2, t + 18);
		sop_w_esc(&w, s->id);
		sop_w_put(&w, "</text>\n");
		text_block(&w, s->activity, KEG_CHARS, MARGIN + NO_W + 6, t + 18, "class=\"act\"", LINE_H);
		text_block(&w, s->time.none ? "-" : s->time.text, TIME_CHARS, l.x_time + 6, t + 18,
		    "class=\"time\"", LINE_H);
	}
	/* Edges under the shapes. */
	for (size_t k = 0; k < ne; k++)
		draw_edge(&w, &l, &ev[k]);
	/* Shapes. */
	sop_w_put(&w, "<g class=\"start\"><title>Mulai</title>");
	shape(&w, &l, START, l.lane_l[0], "Mulai");
	sop_w_put(&w, "</g>\n");
	for (size_t i = 0; i < d->n_steps; i++) {
		const sop_step *s = &d->steps[i];
		double cy = row_cy(&l, (int)i + 1);

		sop_w_put(&w, "<g class=\"step\"><title>");
		sop_w_esc(&w, s->id);
		sop_w_put(&w, ". ");
		sop_w_esc(&w, s->activity);
		sop_w_put(&w, "</title>");
		if (s->n_actors > 1)
			sop_w_putf(&w, "<line class=\"join\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			    "y2=\"%.1f\"/>", lane_cx(&l, l.lane_l[i]), cy, lane_cx(&l, l.lane_r[i]), cy);
		if (s->n_actors == 0)
			shape(&w, &l, (int)i, l.lane_l[i], s->id);
		for (size_t k = 0; k < s->n_actors; k++) {
			shape(&w, &l, (int)i, s->actors[k], s->id);
			/* in turn: each actor's place in the order, under its shape */
			if (s->in_turn)
				sop_w_putf(&w, "<text class=\"turn\" x=\"%.1f\" y=\"%.1f\">giliran %zu/%zu"
				    "</text>", lane_cx(&l, s->actors[k]),
				    cy + (s->action == SOP_ACT_DECIDE ? DEC_H : BOX_H) / 2 + 10, k + 1,
				    s->n_actors);
		}
		sop_w_put(&w, "</g>\n");
	}
	if (l.end_row) {
		sop_w_put(&w, "<g class=\"end\"><title>Selesai</title>");
		shape(&w, &l, SOP_END, l.end_lane, "Selesai");
		sop_w_put(&w, "</g>\n");
	}
	sop_w_put(&w, "</svg>\n");
out:
	free(l.lane_l);
	free(l.lane_r);
	free(l.top);
	free(l.height);
	free(ev);
	return w.rc;
}
