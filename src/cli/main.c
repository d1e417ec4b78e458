/*
 * main.c - the `openams` command: dispatches to one file per command family.
 *
 * Reading this file tells the whole set of commands.  Long-running processes
 * (serve, the signer) are started from here too as they arrive.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../ca/ca.h"
#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
	{"init", cmd_init, "create a data directory: config, database, CA hierarchy, SOPs"},
	{"serve", cmd_serve, "the HTTP server: OCSP, CRLs, CA certificates, status, metrics"},
	{"ca", cmd_ca, "issue, revoke, CRL, OCSP, status, list, chain"},
	{"sop", cmd_sop, "check, render and simulate SOP definitions"},
	{"case", cmd_case, "open and move cases through an SOP; tasks, overdue, SLA"},
	{"audit", cmd_audit, "verify the hash-chained audit log"},
	{"config", cmd_config, "check, dump or print the example configuration"},
	{"mail", cmd_mail, "the outbox: list, show, retry, send"},
	{"sign", cmd_sign, "sign a PDF (PAdES B-B) with a key and certificate from files"},
};

int cli_report(oa_err rc)
{
	const char *msg = oa_errmsg();

	fprintf(stderr, "openams: %s: %s\n", oa_err_name(rc), *msg ? msg : "failed");
	return CLI_FAIL;
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("openams: usage: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_USAGE;
}

const char *cli_data_dir(const char *flag)
{
	const char *env;

	if (flag != NULL)
		return flag;
	if ((env = getenv("OPENAMS_DIR")) != NULL && *env)
		return env;
	return "./var";
}

static void usage(FILE *out)
{
	fputs("usage: openams COMMAND [ARGS]\n\ncommands:\n", out);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
	fputs("\nRun `openams COMMAND --help` for a command's options.\n"
	      "The data directory is --dir DIR, else $OPENAMS_DIR, else ./var.\n",
	    out);
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("openams 0.1.0");
		return CLI_OK;
	}
	/* The signer process (started by openams itself; see src/signer/signer.h). */
	if (strcmp(argv[1], "__signer") == 0) {
		if (argc != 4 || strcmp(argv[2], "--dir") != 0)
			return CLI_USAGE;
		return ca_signer_main(argv[3], 3);
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			rc = commands[i].fn(argc - 1, argv + 1);
			OPENSSL_cleanup();
			return rc;
		}
	}
	fprintf(stderr, "openams: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
