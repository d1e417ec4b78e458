/*
 * routes_portal_sla.c - the SLA dashboard of the portal (docs/PORTAL.md,
 * "Administration and SLA"): per agency and SOP, each step's measured
 * median and 90th percentile against its standard time, the share done
 * within the standard and the open and overdue cases (engine_sla), drawn
 * as a server-made SVG bar chart with the same numbers in a table beside
 * it, and the list of overdue cases (engine_overdue).  A summary line per
 * SOP comes first; each SOP's chart and table are folded (<details>) when
 * there are several, steps are named by their activity, a legend explains
 * the chart, and "-" stands where nothing was measured.
 *
 * Who may see it: the staff of the agency (portal_is_staff: admin, CA
 * operator, a role acting at a step of its SOPs); another agency's page
 * only an administrator of the instance's agency (web_admin_may,
 * web_admin_super in http.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portalInt.h"

#define SLA_MAX_ROWS 1024   /* steps shown, over every SOP of the agency */
#define CHART_W 640         /* SVG width; the bar area starts at CHART_L */
#define CHART_L 170
#define ROW_H 34

typedef struct sla_rows {
	engine_step_stats *v;
	size_t n;
	web_req *r;
	int full;
} sla_rows;

static int collect(const engine_step_stats *s, void *arg)
{
	sla_rows *rs = arg;

	if (rs->n == SLA_MAX_ROWS) {
		rs->full = 1;
		return 1;
	}
	rs->v[rs->n++] = *s;
	return 0;
}

/* The active definitions of the agency, to name SOPs and steps. */
#define SLA_MAX_SOPS 64
typedef struct sla_defs {
	engine *e;
	const sop_def *d[SLA_MAX_SOPS];
	size_t n;
} sla_defs;

static int def_cb(const engine_sop_info *in, void *arg)
{
	sla_defs *x = arg;
	const sop_def *d = NULL;

	if (!in->active || x->n >= SLA_MAX_SOPS)
		return x->n >= SLA_MAX_SOPS;
	if (engine_sop_version(x->e, in->version_id, NULL, 0, &d) == OA_OK && d)
		x->d[x->n++] = d;
	else
		oa_err_clear(); /* a version that no longer loads keeps its ids only */
	return 0;
}

static const sop_def *def_of(const sla_defs *x, const char *sop_id)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->d[i]->id && strcmp(x->d[i]->id, sop_id) == 0)
			return x->d[i];
	return NULL;
}

/* The step's activity, or NULL. */
static const char *activity_of(const sop_def *d, const char *step)
{
	int i = d ? sop_step_index(d, step) : -1;

	return i >= 0 ? d->steps[i].activity : NULL;
}

/* At most n bytes of t, cut at a UTF-8 boundary, "..." when cut. */
static void text_cut(pg *p, const char *t, size_t n)
{
	size_t l = strlen(t);

	if (l <= n) {
		pg_text(p, t);
		return;
	}
	while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
		n--;
	pg_text(p, web_printf(p->r, "%.*s", (int)n, t));
	pg_raw(p, "&hellip;");
}

/* A duration cell: words, then the exact seconds; "-" when nothing was
 * measured (no data is not "0 seconds"). */
static void dur_cell_n(pg *p, int64_t s, int none)
{
	pg_raw(p, "<td data-s=\"%" PRId64 "\">", s);
	if (s < 0 || none)
		pg_raw(p, "-");
	else {
		pg_duration(p, s);
		pg_raw(p, " <small>(%" PRId64 " s)</small>", s);
	}
	pg_raw(p, "</td>");
}

static void dur_cell(pg *p, int64_t s)
{
	dur_cell_n(p, s, 0);
}

/* The chart of rows [a, b) (one SOP): per step a median bar, a p90 bar and
 * the standard as a mark, on one scale. */
static void chart(pg *p, const engine_step_stats *v, size_t a, size_t b, const sop_def *d)
{
	int64_t max = 1;
	int h = (int)(b - a) * ROW_H + 40, w = CHART_W - CHART_L - 20;

	for (size_t i = a; i < b; i++) {
		if (v[i].p90_s > max)
			max = v[i].p90_s;
		if (v[i].standard_s > max)
			max = v[i].standard_s;
	}
	pg_raw(p, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	          "width=\"%d\" height=\"%d\" role=\"img\" aria-labelledby=\"t_", CHART_W, h, CHART_W, h);
	pg_text(p, v[a].sop_id);
	pg_raw(p, " d_");
	pg_text(p, v[a].sop_id);
	pg_raw(p, "\"><title id=\"t_");
	pg_text(p, v[a].sop_id);
	pg_raw(p, "\">SLA ");
	pg_text(p, v[a].sop_id);
	pg_raw(p, "</title><desc id=\"d_");
	pg_text(p, v[a].sop_id);
	pg_raw(p, "\">Median (biru) dan p90 (abu-abu) per langkah terhadap waktu baku (garis merah); "
	          "angka di tabel. / Median (blue) and p90 (grey) per step against the standard time "
	          "(red line); the numbers are in the table.</desc>\n");
	for (size_t i = a; i < b; i++) {
		int y = (int)(i - a) * ROW_H + 10;
		int wm = (int)(v[i].median_s * w / max), wp = (int)(v[i].p90_s * w / max);
		const char *act = activity_of(d, v[i].step);
		pg_raw(p, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"12\">", CHART_L - 6,
		    y + 17);
		pg_text(p, v[i].step);
		if (act) {
			pg_raw(p, " &middot; ");
			text_cut(p, act, 18);
			pg_raw(p, "<title>");
			pg_text(p, act);
			pg_raw(p, "</title>");
		}
		pg_raw(p, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"12\" fill=\"#0b5cad\"/>"
		          "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"12\" fill=\"#8c959f\"/>\n",
		    CHART_L, y, wm, CHART_L, y + 13, wp);
		if (v[i].standard_s >= 0) {
			int x = CHART_L + (int)(v[i].standard_s * w / max);
			pg_raw(p, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#b42318\" "
			          "stroke-width=\"2\"/>\n", x, y - 2, x, y + 27);
		}
	}
	pg_raw(p, "<text x=\"%d\" y=\"%d\" font-size=\"11\">0</text><text x=\"%d\" y=\"%d\" "
	          "text-anchor=\"end\" font-size=\"11\">%" PRId64 " s</text></svg>\n", CHART_L,
	    h - 8, CHART_L + w, h - 8, max);
	/* the legend, in the page's text (read by everyone, not only the SVG's title) */
	pg_raw(p, "<p class=\"legend\"><span class=\"key\" style=\"background:#0b5cad\"></span> "
	          "Median <span class=\"key\" style=\"background:#8c959f\"></span> p90 "
	          "<span class=\"key line\" style=\"background:#b42318\"></span> ");
	pg_bi(p, "waktu baku", "standard time");
	pg_raw(p, "</p>\n");
}

static void table(pg *p, const engine_step_stats *v, size_t a, size_t b, const sop_def *d)
{
	pg_raw(p, "<div class=\"table\"><table class=\"sla\"><caption>");
	pg_text(p, v[a].sop_id);
	pg_raw(p, "</caption><thead><tr><th scope=\"col\">Langkah <span class=\"en\" lang=\"en\">/ "
	          "Step</span></th><th scope=\"col\">Jumlah <span class=\"en\" lang=\"en\">/ "
	          "Count</span></th><th scope=\"col\">Median</th><th scope=\"col\">p90</th>"
	          "<th scope=\"col\">Waktu baku <span class=\"en\" lang=\"en\">/ Standard</span></th>"
	          "<th scope=\"col\">Dalam baku <span class=\"en\" lang=\"en\">/ Within</span></th>"
	          "<th scope=\"col\">Terbuka <span class=\"en\" lang=\"en\">/ Open</span></th>"
	          "<th scope=\"col\">Terlambat <span class=\"en\" lang=\"en\">/ Overdue</span></th>"
	          "</tr></thead><tbody>\n");
	for (size_t i = a; i < b; i++) {
		pg_raw(p, "<tr data-sop=\"");
		pg_text(p, v[i].sop_id);
		pg_raw(p, "\" data-step=\"");
		pg_text(p, v[i].step);
		pg_raw(p, "\"><th scope=\"row\">");
		pg_text(p, v[i].step);
		if (activity_of(d, v[i].step)) {
			pg_raw(p, " <small class=\"activity\">");
			text_cut(p, activity_of(d, v[i].step), 90);
			pg_raw(p, "</small>");
		}
		pg_raw(p, "</th><td>%" PRId64 "</td>", v[i].count);
		dur_cell_n(p, v[i].median_s, v[i].count == 0);
		dur_cell_n(p, v[i].p90_s, v[i].count == 0);
		dur_cell(p, v[i].standard_s);
		if (v[i].within >= 0)
			pg_raw(p, "<td>%.0f%%</td>", v[i].within * 100.0);
		else
			pg_raw(p, "<td>-</td>");
		pg_raw(p, "<td>%" PRId64 "</td><td>%" PRId64 "</td></tr>\n", v[i].open, v[i].overdue);
	}
	pg_raw(p, "</tbody></table></div>\n");
}

struct overdue {
	pg *p;
	const char *sop;
	int n;
};

static int overdue_row(const engine_case *c, void *arg)
{
	struct overdue *o = arg;
	pg *p = o->p;

	if (o->sop && *o->sop && strcmp(o->sop, c->sop_id) != 0)
		return 0;
	o->n++;
	pg_raw(p, "<tr><td>");
	pg_link(p, web_printf(p->r, "/portal/cases/%" PRId64, c->id),
	    web_printf(p->r, "#%" PRId64, c->id), "");
	pg_raw(p, "</td><td>");
	pg_text(p, c->sop_id);
	pg_raw(p, "</td><td>");
	pg_text(p, c->step);
	pg_raw(p, "</td><td>");
	pg_time(p, c->step_due_at);
	pg_raw(p, "</td><td>");
	pg_duration(p, oa_now() - c->step_due_at);
	pg_raw(p, "</td></tr>\n");
	return 0;
}

static void h_sla(web_req *r)
{
	web_user *u = portal_user(r);
	const char *org, *sop = web_query(r, "sop");
	sla_rows rs = {0};
	sla_defs defs = {0};
	struct overdue od = {0};
	int64_t now = oa_now();
	pg p;
	oa_err rc;

	if (u == NULL)
		return;
	org = web_query(r, "org");
	org = org && *org ? org : u->w.org;
	if (strlen(org) > AUTH_MAX_ID || (sop && strlen(sop) > OA_MAX_SOP_ID) ||
	    (strcmp(org, u->w.org) == 0 ? !portal_is_staff(r, u) : !web_admin_may(r, u, org))) {
		r->errcode = "denied";
		pg_refused(r, u, 403, "Akses ditolak", "Access denied",
		    "sla_staff_only", "/portal");
		return;
	}
	rs.r = r;
	if ((rs.v = web_alloc(r, SLA_MAX_ROWS * sizeof *rs.v)) == NULL) {
		pg_err(r, u, oa_fail(OA_ERR_NOMEM, "out of memory"), "/portal");
		return;
	}
	if ((rc = engine_sla(r->engine, org, sop && *sop ? sop : NULL, now, collect, &rs))) {
		pg_err(r, u, rc, "/portal");
		return;
	}
	defs.e = r->engine;
	if ((rc = engine_sop_list(r->engine, org, 1, def_cb, &defs))) {
		pg_err(r, u, rc, "/portal");
		return;
	}
	pg_start(&p, r, u, "Dasbor SLA", "SLA dashboard");
	pg_raw(&p, "<p>Instansi <span class=\"en\" lang=\"en\">/ Organisation</span>: <code>");
	pg_text(&p, org);
	pg_raw(&p, "</code>. Durasi langkah hari kerja dihitung dalam waktu kerja. <span "
	           "class=\"en\" lang=\"en\">/ Working-day steps are measured in working time."
	           "</span></p>\n");
	if (rs.full)
		pg_para(&p, "note", "Hanya sebagian langkah ditampilkan.", "Only some steps are shown.");
	if (rs.n == 0)
		pg_para(&p, "note", "Belum ada SOP aktif.", "No active SOP yet.");
	/* the summary: one line per SOP, at a glance */
	if (rs.n) {
		pg_raw(&p, "<div class=\"table\"><table class=\"sla-summary\"><thead><tr>"
		           "<th scope=\"col\">SOP</th><th scope=\"col\">Langkah diukur <span "
		           "class=\"en\" lang=\"en\">/ Steps measured</span></th><th scope=\"col\">"
		           "Dalam baku <span class=\"en\" lang=\"en\">/ Within</span></th>"
		           "<th scope=\"col\">Terbuka <span class=\"en\" lang=\"en\">/ Open</span></th>"
		           "<th scope=\"col\">Terlambat <span class=\"en\" lang=\"en\">/ Overdue</span>"
		           "</th></tr></thead><tbody>\n");
		for (size_t a = 0, b; a < rs.n; a = b) {
			int64_t done = 0, in = 0, open = 0, late = 0;
			const sop_def *d = def_of(&defs, rs.v[a].sop_id);
			for (b = a; b < rs.n && strcmp(rs.v[b].sop_id, rs.v[a].sop_id) == 0; b++) {
				if (rs.v[b].within >= 0 && rs.v[b].count > 0) {
					done += rs.v[b].count;
					in += (int64_t)(rs.v[b].within * (double)rs.v[b].count + 0.5);
				}
				open += rs.v[b].open;
				late += rs.v[b].overdue;
			}
			pg_raw(&p, "<tr data-summary=\"");
			pg_text(&p, rs.v[a].sop_id);
			pg_raw(&p, "\"><th scope=\"row\"><a href=\"#sop-");
			pg_text(&p, rs.v[a].sop_id);
			pg_raw(&p, "\">");
			pg_text(&p, d && d->name ? d->name : rs.v[a].sop_id);
			pg_raw(&p, "</a> <small>");
			pg_text(&p, rs.v[a].sop_id);
			pg_raw(&p, "</small></th><td>%zu</td>", b - a);
			if (done > 0)
				pg_raw(&p, "<td>%.0f%%</td>", 100.0 * (double)in / (double)done);
			else
				pg_raw(&p, "<td>-</td>");
			pg_raw(&p, "<td>%" PRId64 "</td><td>%s%" PRId64 "%s</td></tr>\n", open,
			    late ? "<strong class=\"late\">" : "", late, late ? "</strong>" : "");
		}
		pg_raw(&p, "</tbody></table></div>\n");
	}
	/* folded, so the page stays short: open when there is only one SOP */
	const int one = rs.n > 0 && strcmp(rs.v[0].sop_id, rs.v[rs.n - 1].sop_id) == 0;
	for (size_t a = 0, b; a < rs.n; a = b) {
		const sop_def *d = def_of(&defs, rs.v[a].sop_id);
		for (b = a + 1; b < rs.n && strcmp(rs.v[b].sop_id, rs.v[a].sop_id) == 0; b++)
			;
		pg_raw(&p, "<section class=\"sla\" id=\"sop-");
		pg_text(&p, rs.v[a].sop_id);
		pg_raw(&p, "\"><details%s><summary><h2>", one ? " open" : "");
		pg_text(&p, d && d->name ? d->name : rs.v[a].sop_id);
		pg_raw(&p, " <small>(");
		pg_text(&p, rs.v[a].sop_id);
		pg_raw(&p, ")</small></h2></summary>\n<p>");
		pg_link(&p, web_printf(r, "/portal/sla?org=%s&sop=%s", org, rs.v[a].sop_id),
		    "Hanya SOP ini", "This SOP only");
		pg_raw(&p, "</p>\n<div class=\"chartwrap\">");
		chart(&p, rs.v, a, b, d);
		table(&p, rs.v, a, b, d);
		pg_raw(&p, "</div></details></section>\n");
	}
	pg_h2(&p, "Kasus terlambat", "Overdue cases");
	pg_raw(&p, "<div class=\"table\"><table class=\"overdue\"><thead><tr><th scope=\"col\">"
	           "Kasus <span class=\"en\" lang=\"en\">/ Case</span></th><th scope=\"col\">SOP</th>"
	           "<th scope=\"col\">Langkah <span class=\"en\" lang=\"en\">/ Step</span></th>"
	           "<th scope=\"col\">Batas <span class=\"en\" lang=\"en\">/ Due</span></th>"
	           "<th scope=\"col\">Terlambat <span class=\"en\" lang=\"en\">/ Late by</span></th>"
	           "</tr></thead><tbody>\n");
	od.p = &p;
	od.sop = sop;
	{
		oa_err lrc = engine_overdue(r->engine, org, now, overdue_row, &od);
		if (lrc != OA_OK) {
			pg_abort(&p, lrc, "/portal");
			return;
		}
	}
	pg_raw(&p, "</tbody></table></div>\n");
	if (od.n == 0)
		pg_para(&p, "note", "Tidak ada kasus terlambat.", "No overdue cases.");
	pg_send(&p, 200);
}

static const web_route routes[] = {
	{WEB_GET, "/portal/sla", h_sla, 0},
};

const web_route_table web_portal_sla_table = {"portal_sla", routes,
    sizeof routes / sizeof routes[0]};
