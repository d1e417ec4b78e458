/*
 * cmd_sop.c - `openams sop check|render|simulate`: SOP definitions from the
 * command line (see docs/SOP-FORMAT.md).
 *
 * check lists every problem of every file as FILE:LINE: message on stderr,
 * so that editors and CI can jump to it; render and simulate refuse an
 * invalid file the same way.  Nothing here writes to the data directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../sop/sop.h"
#include "cli.h"

static const char usage_text[] =
    "usage: openams sop check    [--strict] FILE...\n"
    "       openams sop render   FILE --format html|svg [--out OUT]\n"
    "       openams sop simulate FILE [--no STEP]...\n"
    "\n"
    "check     validate SOP definitions; prints `FILE: ok` for each valid file and\n"
    "          every problem as FILE:LINE: message on stderr; exit 1 if any is invalid\n"
    "render    the official form as HTML, or the swimlane flowchart as SVG\n"
    "simulate  walk the SOP taking \"yes\" at every decision, except \"no\" once per\n"
    "          --no STEP at that step; prints one line per step and the total time\n"
    "\n"
    "In an instance (--dir DIR, as the API does it; --as PERSON to act as an\n"
    "administrator, else the operator, recorded as \"cli\"):\n"
    "       openams sop install  FILE [--org ORG] [--activate]   install as the next version\n"
    "       openams sop activate VERSION_ID                      make it the active one\n"
    "       openams sop list     [--org ORG] [--active]          the installed versions\n"
    "\n"
    "Run `openams sop COMMAND --help` for one command.\n";

static const char check_help[] =
    "usage: openams sop check [--strict] FILE...\n"
    "\n"
    "Loads and validates each SOP definition.  A valid file prints `FILE: ok` on\n"
    "stdout; an invalid one prints every problem as `FILE:LINE: message` on stderr\n"
    "(`FILE: message` when the problem is the file as a whole).  A valid file may\n"
    "still say what the engine will never check or act on (documents or a standard\n"
    "time at a step that runs by itself, a document nobody is asked for, an actor\n"
    "with no step, ...): `FILE:LINE: warning: message` on stderr.\n"
    "  --strict  a warning makes the file fail (for CI of an agency's definitions)\n"
    "Exit status: 0 all valid, 1 some file invalid or unreadable (or, with\n"
    "--strict, warned about), 2 usage error.\n";

static const char render_help[] =
    "usage: openams sop render FILE --format html|svg [--out OUT]\n"
    "\n"
    "html  the official SOP form: identity block, legal basis and the other boxes,\n"
    "      the activity table with one column per actor (self-contained page)\n"
    "svg   the swimlane flowchart: one lane per actor, boxes, decision diamonds\n"
    "      with Ya/Tidak arrows, Mulai/Selesai terminators\n"
    "Writes to stdout, or to OUT (replaced atomically).  Exit 1 if FILE is invalid.\n";

static const char simulate_help[] =
    "usage: openams sop simulate FILE [--no STEP]...\n"
    "\n"
    "Walks the SOP from its first step to the end with synthetic actors and\n"
    "documents.  At a decision it takes \"yes\", unless --no names that step: each\n"
    "--no STEP takes the \"no\" branch once there (repeat it to loop again).\n"
    "Prints one line per step (seq, step, actor, action, standard time, and\n"
    "->next, or yes->/no-> at decisions) and the total standard time.\n"
    "Exit 1 if FILE is invalid, a --no names no decision or is never reached,\n"
    "or the walk exceeds its step bound.\n";

static int wants_help(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/* Loads path, printing its problems; returns the definition or NULL. */
static sop_def *load(const char *path)
{
	sop_errors errs = {0};
	sop_def *d = NULL;

	if (sop_load(path, &d, &errs) != OA_OK) {
		sop_errors_print(&errs, path, stderr);
		if (errs.n == 0)
			fprintf(stderr, "%s: %s\n", path, oa_errmsg());
	}
	sop_errors_free(&errs);
	return d;
}

static int check(int argc, char **argv)
{
	int ret = CLI_OK, strict = 0, nfiles = 0;

	if (wants_help(argc, argv)) {
		fputs(check_help, stdout);
		return CLI_OK;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--strict") == 0)
			strict = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("unexpected option '%s' (see openams sop check --help)",
			    argv[i]);
		else
			nfiles++;
	}
	if (nfiles == 0)
		return cli_usage("openams sop check [--strict] FILE... (see openams sop check --help)");
	for (int i = 2; i < argc; i++) {
		sop_errors warns = {0};
		sop_def *d;

		if (strcmp(argv[i], "--strict") == 0)
			continue;
		if ((d = load(argv[i])) == NULL) {
			ret = CLI_FAIL;
			continue;
		}
		sop_lint(d, &warns);
		for (size_t k = 0; k < warns.n; k++)
			fprintf(stderr, "%s:%d: warning: %s\n", argv[i], warns.v[k].line, warns.v[k].msg);
		if (strict && warns.n) {
			fprintf(stderr, "%s: %zu warning(s), refused under --strict\n", argv[i], warns.n);
			ret = CLI_FAIL;
		} else
			printf("%s: ok\n", argv[i]);
		sop_errors_free(&warns);
		sop_free(d);
	}
	return ret;
}

static int render(int argc, char **argv)
{
	const char *file = NULL, *format = NULL, *outpath = NULL;
	oa_buf b = {0};
	sop_def *d;
	oa_err rc;
	int ret = CLI_OK;

	if (wants_help(argc, argv)) {
		fputs(render_help, stdout);
		return CLI_OK;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if ((strcmp(argv[i], "--out") == 0 || strcmp(argv[i], "-o") == 0) && i + 1 < argc)
			outpath = argv[++i];
		else if (argv[i][0] == '-' || file != NULL)
			return cli_usage("unexpected argument '%s' (see openams sop render --help)",
			    argv[i]);
		else
			file = argv[i];
	}
	if (file == NULL || format == NULL)
		return cli_usage("openams sop render FILE --format html|svg [--out OUT]");
	if (strcmp(format, "html") != 0 && strcmp(format, "svg") != 0)
		return cli_usage("--format must be html or svg, not '%s'", format);
	if ((d = load(file)) == NULL)
		return CLI_FAIL;
	rc = strcmp(format, "html") == 0 ? sop_render_html(d, &b) : sop_render_svg(d, &b);
	if (rc)
		ret = cli_report(rc);
	else if (outpath != NULL) {
		if ((rc = oa_write_file_atomic(outpath, b.data, b.len, 0644)))
			ret = cli_report(rc);
	} else if (fwrite(b.data, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
		ret = cli_report(oa_fail(OA_ERR_IO, "cannot write to stdout"));
	oa_buf_free(&b);
	sop_free(d);
	return ret;
}

static int simulate(int argc, char **argv)
{
	const char *file = NULL;
	const char **nos;
	size_t n_no = 0;
	sop_trace tr = {0};
	sop_def *d;
	oa_err rc;
	int ret = CLI_OK;

	if (wants_help(argc, argv)) {
		fputs(simulate_help, stdout);
		return CLI_OK;
	}
	if ((nos = calloc((size_t)argc, sizeof *nos)) == NULL)
		return cli_report(oa_fail(OA_ERR_NOMEM, "out of memory"));
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--no") == 0 && i + 1 < argc)
			nos[n_no++] = argv[++i];
		else if (argv[i][0] == '-' || file != NULL) {
			free(nos);
			return cli_usage("unexpected argument '%s' (see openams sop simulate --help)",
			    argv[i]);
		} else
			file = argv[i];
	}
	if (file == NULL) {
		free(nos);
		return cli_usage("openams sop simulate FILE [--no STEP]...");
	}
	if ((d = load(file)) == NULL) {
		free(nos);
		return CLI_FAIL;
	}
	rc = sop_simulate(d, nos, n_no, &tr);
	if (rc == OA_OK)
		sop_trace_print(d, &tr, stdout);
	else
		ret = cli_report(rc);
	sop_trace_free(&tr);
	sop_free(d);
	free(nos);
	return ret;
}

int cmd_sop(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	/* The versions installed in an instance (cmd_admin.c). */
	if (strcmp(argv[1], "install") == 0 || strcmp(argv[1], "activate") == 0 ||
	    strcmp(argv[1], "list") == 0)
		return cli_sop_admin(argc, argv);
	if (strcmp(argv[1], "check") == 0)
		return check(argc, argv);
	if (strcmp(argv[1], "render") == 0)
		return render(argc, argv);
	if (strcmp(argv[1], "simulate") == 0)
		return simulate(argc, argv);
	return cli_usage("unknown sop command '%s' (see openams sop --help)", argv[1]);
}
