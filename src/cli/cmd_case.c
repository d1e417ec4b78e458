/*
 * cmd_case.c - `openams case ...`: cases of the SOP engine from the shell.
 *
 * The command line is the administrator's tool on the server itself: it acts
 * as the person named with --as, holding the roles named with --role, and
 * trusts both (the web API authenticates people instead).  Every rule of the
 * engine still applies: roles per step, documents, order, no self-approval.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../ca/ca.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "../engine/engine.h"
#include "cli.h"

static const char usage_text[] =
    "usage: openams case COMMAND [--dir DIR] [--org ORG] --as PERSON --role ROLE[,ROLE...] ...\n"
    "\n"
    "  open    --sop SOP_ID [--applicant PERSON] [--nik NIK] [--serial SERIAL] [--reason ID]\n"
    "          Opens a case (applicant defaults to --as); prints its id.\n"
    "  act     CASE --step STEP [--yes|--no] [--note TEXT] [--reason ID]\n"
    "          [--set KEY=VALUE]... [--csr FILE | --passphrase-file FILE]\n"
    "          Completes the current step in role --role (its first role).  At the\n"
    "          set-passphrase step, --passphrase-file has the holder's key made and\n"
    "          sealed under the passphrase in FILE (never stored); --csr sends a key\n"
    "          the applicant made.\n"
    "  attach  CASE --doc DOC_ID --file PATH   attaches a document (stored by SHA-256)\n"
    "  close   CASE --reject|--withdraw [--note TEXT]\n"
    "  show    CASE                    the case, its current step (`current STEP ACTION ROLES`)\n"
    "                                  and its history\n"
    "  tasks                           cases waiting for --as in its roles, urgent first\n"
    "  overdue                         open cases past their step's standard time\n"
    "  sla     [--sop SOP_ID]          per step: count, median, p90, standard, within, open, overdue\n"
    "\n"
    "--org defaults to the configuration's instance.org.  Output is tab-separated;\n"
    "times are UTC (ISO 8601), durations in seconds.  Exit status as for `openams ca`.\n";

#define MAX_SET 16

struct args {
	const char *dir, *org, *as, *roles, *sop, *applicant, *nik, *serial, *reason, *step, *note,
	    *csr, *doc, *file, *id, *passfile;
	const char *set[MAX_SET];
	int nset, yes, no, reject, withdraw;
};

static int parse(int argc, char **argv, struct args *a)
{
	static const struct {
		const char *flag;
		size_t off;
	} strs[] = {
#define S(f, m) {f, offsetof(struct args, m)}
		S("--dir", dir), S("--org", org), S("--as", as), S("--role", roles), S("--sop", sop),
		S("--applicant", applicant), S("--nik", nik), S("--serial", serial),
		S("--reason", reason), S("--step", step), S("--note", note), S("--csr", csr),
		S("--doc", doc), S("--file", file), S("--passphrase-file", passfile),
#undef S
	};

	memset(a, 0, sizeof *a);
	for (int i = 2; i < argc; i++) {
		size_t k;
		if (!strcmp(argv[i], "--yes") || !strcmp(argv[i], "--no") ||
		    !strcmp(argv[i], "--reject") || !strcmp(argv[i], "--withdraw")) {
			*(argv[i][2] == 'y' ? &a->yes : argv[i][2] == 'n' ? &a->no
			                            : argv[i][2] == 'r' ? &a->reject : &a->withdraw) = 1;
			continue;
		}
		if (!strcmp(argv[i], "--set") && i + 1 < argc) {
			if (a->nset == MAX_SET)
				return cli_usage("at most %d --set", MAX_SET);
			a->set[a->nset++] = argv[++i];
			continue;
		}
		for (k = 0; k < sizeof strs / sizeof strs[0]; k++)
			if (!strcmp(argv[i], strs[k].flag))
				break;
		if (k < sizeof strs / sizeof strs[0]) {
			if (i + 1 >= argc)
				return cli_usage("%s needs a value", argv[i]);
			*(const char **)((char *)a + strs[k].off) = argv[++i];
			continue;
		}
		if (argv[i][0] == '-' || a->id)
			return cli_usage("unexpected argument '%s' (see openams case --help)", argv[i]);
		a->id = argv[i];
	}
	return CLI_OK;
}

/* Splits --role a,b,c into who (at most 8 roles). */
struct whobuf {
	char roles_buf[512];
	const char *roles[8];
	engine_who who;
};

static int make_who(const struct args *a, const char *org, struct whobuf *w)
{
	char *p, *save = NULL;
	size_t n = 0;

	if (a->as == NULL || a->roles == NULL)
		return cli_usage("give --as PERSON and --role ROLE");
	snprintf(w->roles_buf, sizeof w->roles_buf, "%s", a->roles);
	for (p = strtok_r(w->roles_buf, ",", &save); p && n < 8; p = strtok_r(NULL, ",", &save))
		w->roles[n++] = p;
	w->who = (engine_who){a->as, org, w->roles, n};
	return CLI_OK;
}

static int parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (s == NULL)
		return cli_usage("name the case by its number");
	v = strtoll(s, &end, 10);
	if (*s == 0 || *end || v <= 0)
		return cli_usage("'%s' is not a case number", s);
	*id = v;
	return CLI_OK;
}

static void iso(char *out, size_t n, int64_t t)
{
	if (t)
		oa_time_iso(out, n, t);
	else
		snprintf(out, n, "-");
}

static int print_case(const engine_case *c, void *arg)
{
	char due[32], opened[32];
	const int64_t *now = arg;

	iso(due, sizeof due, c->step_due_at);
	iso(opened, sizeof opened, c->step_opened_at);
	printf("%" PRId64 "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c->id, c->sop_id, c->applicant, c->state,
	    c->step[0] ? c->step : "-", opened, due,
	    c->step_due_at && now && c->step_due_at < *now ? "OVERDUE" : "-");
	return 0;
}

static int print_transition(const engine_transition *t, void *arg)
{
	char a[32], b[32];

	(void)arg;
	iso(a, sizeof a, t->opened_at);
	iso(b, sizeof b, t->done_at);
	printf("  %d\t%s\t%s\t%s\t%s\t%s\t%s -> %s\t%" PRId64 "s\t%s\n", t->seq, t->step, t->action,
	    t->role, t->actor, t->decision[0] ? t->decision : "-", a, b, t->done_at - t->opened_at,
	    t->note[0] ? t->note : "");
	return 0;
}

static int print_stats(const engine_step_stats *s, void *arg)
{
	char within[16] = "-";

	(void)arg;
	if (s->within >= 0)
		snprintf(within, sizeof within, "%.0f%%", s->within * 100.0);
	printf("%s\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%s\t%" PRId64 "\t%" PRId64 "\n",
	    s->sop_id, s->step, s->count, s->median_s, s->p90_s, s->standard_s, within, s->open,
	    s->overdue);
	return 0;
}

static int file_sha256(const char *path, char hex[65], const char *dir)
{
	uint8_t *data, sum[32];
	size_t n;
	char dst[OA_MAX_PATH], sub[OA_MAX_PATH];
	oa_err rc;

	if ((rc = oa_read_file(path, OA_MAX_UPLOAD_BYTES, &data, &n)))
		return cli_report(rc);
	EVP_Digest(data, n, sum, NULL, EVP_sha256(), NULL);
	oa_hex(hex, sum, sizeof sum);
	/* Content-addressed: DIR/docs/<first two hex>/<sha256>. */
	snprintf(sub, sizeof sub, "docs/%.2s", hex);
	if ((rc = oa_path_join(dst, sizeof dst, dir, sub)) || (rc = oa_mkdir_p(dst, 0750)) ||
	    (rc = oa_path_join(sub, sizeof sub, dst, hex)) ||
	    (rc = oa_write_file_atomic(sub, data, n, 0640))) {
		free(data);
		return cli_report(rc);
	}
	free(data);
	return CLI_OK;
}

static int run(inst *in, engine *e, const char *cmd, const struct args *a)
{
	const char *org = a->org ? a->org : conf_str(inst_conf(in), "instance.org");
	struct whobuf w;
	int64_t id = 0, now = oa_now();
	int ret;
	oa_err rc = OA_OK;

	if (!strcmp(cmd, "overdue"))
		return (rc = engine_overdue(e, org, now, print_case, &now)) ? cli_report(rc) : CLI_OK;
	if (!strcmp(cmd, "sla")) {
		printf("# sop\tstep\tcount\tmedian_s\tp90_s\tstandard_s\twithin\topen\toverdue\n");
		return (rc = engine_sla(e, org, a->sop, now, print_stats, NULL)) ? cli_report(rc) : CLI_OK;
	}
	if (!strcmp(cmd, "show")) {
		engine_case k;
		if ((ret = parse_id(a->id, &id)) != CLI_OK)
			return ret;
		if ((rc = engine_case_get(e, id, &k)))
			return cli_report(rc);
		print_case(&k, &now);
		if (k.step[0]) {
			const sop_def *d;
			int i;
			if ((rc = engine_case_def(e, id, &d)))
				return cli_report(rc);
			if ((i = sop_step_index(d, k.step)) >= 0) {
				const sop_step *s = &d->steps[i];
				printf("  current\t%s\t%s\t", s->id, sop_action_name(s->action));
				for (size_t j = 0; j < s->n_actors; j++)
					printf("%s%s", j ? "," : "", d->actors[s->actors[j]].id);
				printf("\n");
			}
		}
		if (k.serial[0])
			printf("  certificate\t%s\n", k.serial);
		if (k.issued[0])
			printf("  issued\t%s\n", k.issued);
		return (rc = engine_case_history(e, id, print_transition, NULL)) ? cli_report(rc) : CLI_OK;
	}
	if ((ret = make_who(a, org, &w)) != CLI_OK)
		return ret;
	if (!strcmp(cmd, "tasks"))
		return (rc = engine_tasks(e, &w.who, print_case, &now)) ? cli_report(rc) : CLI_OK;
	if (!strcmp(cmd, "open")) {
		engine_open_req r = {.org = org, .sop_id = a->sop,
		    .applicant = a->applicant ? a->applicant : a->as, .applicant_nik = a->nik,
		    .serial = a->serial, .reason = a->reason};
		if (a->sop == NULL)
			return cli_usage("case open needs --sop SOP_ID");
		if ((rc = engine_case_open(e, &w.who, &r, &id)))
			return cli_report(rc);
		printf("%" PRId64 "\n", id);
		return CLI_OK;
	}
	if ((ret = parse_id(a->id, &id)) != CLI_OK)
		return ret;
	if (!strcmp(cmd, "attach")) {
		char hex[65];
		const char *base;
		if (a->doc == NULL || a->file == NULL)
			return cli_usage("case attach CASE --doc DOC_ID --file PATH");
		if ((ret = file_sha256(a->file, hex, inst_dir(in))) != CLI_OK)
			return ret;
		base = strrchr(a->file, '/') ? strrchr(a->file, '/') + 1 : a->file;
		return (rc = engine_case_attach(e, &w.who, id, a->doc, hex, base)) ? cli_report(rc)
		                                                                   : CLI_OK;
	}
	if (!strcmp(cmd, "close")) {
		if (a->reject == a->withdraw)
			return cli_usage("case close CASE --reject or --withdraw");
		return (rc = engine_case_close(e, &w.who, id, a->reject ? ENGINE_REJECT : ENGINE_WITHDRAW,
		            a->note))
		    ? cli_report(rc)
		    : CLI_OK;
	}
	if (!strcmp(cmd, "act")) {
		engine_act act = {0};
		engine_result res;
		const char *keys[MAX_SET + 1], *vals[MAX_SET + 1];
		char kb[MAX_SET][32];
		uint8_t *csr = NULL;
		size_t n = 0, clen;
		if (a->step == NULL)
			return cli_usage("case act CASE --step STEP");
		if (a->yes && a->no)
			return cli_usage("--yes or --no, not both");
		for (int i = 0; i < a->nset; i++) {
			const char *eq = strchr(a->set[i], '=');
			if (eq == NULL || eq - a->set[i] >= 32)
				return cli_usage("--set KEY=VALUE");
			snprintf(kb[n], sizeof kb[n], "%.*s", (int)(eq - a->set[i]), a->set[i]);
			keys[n] = kb[n];
			vals[n++] = eq + 1;
		}
		if (a->csr) {
			if ((rc = oa_read_file(a->csr, OA_MAX_CSR_BYTES, &csr, &clen)))
				return cli_report(rc);
			keys[n] = "csr";
			vals[n++] = (const char *)csr;
		} else if (a->passfile) {
			if ((rc = oa_read_file(a->passfile, OA_MAX_PASSPHRASE_BYTES, &csr, &clen)))
				return cli_report(rc);
			while (clen > 0 && (csr[clen - 1] == '\n' || csr[clen - 1] == '\r'))
				csr[--clen] = 0;
			keys[n] = "passphrase";
			vals[n++] = (const char *)csr;
		}
		act.case_id = id;
		act.step = a->step;
		act.role = w.roles[0];
		act.decision = a->yes ? ENGINE_YES : a->no ? ENGINE_NO : ENGINE_NO_DECISION;
		act.note = a->note;
		act.reason = a->reason;
		act.keys = keys;
		act.values = vals;
		act.ndata = n;
		rc = engine_case_act(e, &w.who, &act, &res);
		if (csr) {
			oa_wipe(csr, clen);
			free(csr);
		}
		if (rc)
			return cli_report(rc);
		printf("%s\t%s%s%s%s%s\n", res.state, res.step[0] ? res.step : "-",
		    res.issued[0] ? "\tissued " : "", res.issued, res.revoked[0] ? "\trevoked " : "",
		    res.revoked);
		return CLI_OK;
	}
	return cli_usage("unknown case command '%s' (see openams case --help)", cmd);
}

int cmd_case(int argc, char **argv)
{
	struct args a;
	inst *in = NULL;
	engine *e = NULL;
	oa_err rc;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return CLI_OK;
		}
	if ((ret = parse(argc, argv, &a)) != CLI_OK)
		return ret;
	if ((rc = inst_open(cli_data_dir(a.dir), &in)) || (rc = engine_open(in, &e))) {
		inst_free(in);
		return cli_report(rc);
	}
	ret = run(in, e, argv[1], &a);
	engine_free(e);
	inst_free(in);
	return ret;
}
