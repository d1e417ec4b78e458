/*
 * cmd_mail.c - `openams mail ...`: the outbox for administrators and the
 * demo (list, show, retry, one delivery pass).
 *
 * `mail show` prints a message's text as it was (or will be) sent, links
 * included: on the demo instance (no SMTP server) that is how a person
 * follows the activation and passphrase links.  Nothing here prints the
 * SMTP password.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/limits.h"
#include "../common/util.h"
#include "../conf/conf.h"
#include "../mail/mail.h"
#include "../store/store.h"
#include "cli.h"

static const char usage_text[] =
    "usage: openams mail COMMAND [--dir DIR] ...\n"
    "\n"
    "  list [--state S] [--limit N]   messages, newest first (S: queued sending sent\n"
    "                                 failed kept): id state attempts created event\n"
    "                                 recipient subject, tab-separated\n"
    "  show ID                        headers and the text of one message (links included)\n"
    "  retry ID [--as PERSON]         a failed message back to the queue\n"
    "  send [--max N]                 one delivery pass (default 100); exit 1 if any\n"
    "                                 attempt failed in it\n"
    "  redact                         removes expired one-time links from messages not\n"
    "                                 sent (the server's scheduler does it too)\n"
    "\n"
    "With mail.smtp_url empty nothing is sent: messages are kept in the database\n"
    "and read with list and show.\n";

static oa_err open_instance(const char *dir, conf **cfg, store **s)
{
	char path[OA_MAX_PATH], db[OA_MAX_PATH];
	oa_err rc;

	*s = NULL;
	if ((*cfg = conf_new()) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if ((rc = oa_path_join(path, sizeof path, dir, "openams.conf")) ||
	    (rc = conf_load(*cfg, path)) ||
	    (rc = store_path_join(db, sizeof db, dir, conf_str(*cfg, "store.path"))) ||
	    (rc = store_open(db, s))) {
		conf_free(*cfg);
		*cfg = NULL;
		return rc;
	}
	return OA_OK;
}

static int parse_num(const char *s, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		return 0;
	*out = v;
	return 1;
}

static int print_row(const mail_info *i, void *arg)
{
	char t[32];

	(void)arg;
	oa_time_iso(t, sizeof t, i->created_at);
	printf("%" PRId64 "\t%s\t%d\t%s\t%s\t%s\t%s\n", i->id, i->state, i->attempts, t, i->event,
	    i->rcpt, i->subject);
	return 0;
}

static void print_state(const mail_info *i)
{
	char t[32];

	printf("# outbox %" PRId64 ": %s, %s, attempts %d", i->id, i->event, i->state, i->attempts);
	if (strcmp(i->state, "queued") == 0) {
		oa_time_iso(t, sizeof t, i->next_attempt);
		printf(", next attempt %s", t);
	}
	if (i->done_at) {
		oa_time_iso(t, sizeof t, i->done_at);
		printf(", done %s", t);
	}
	if (i->case_id)
		printf(", case %" PRId64, i->case_id);
	putchar('\n');
	if (*i->last_error)
		printf("# last error: %s\n", i->last_error);
}

int cmd_mail(int argc, char **argv)
{
	const char *dir = NULL, *state = NULL, *as = NULL, *idarg = NULL, *verb;
	int64_t id = 0, limit = 0, max = 100;
	conf *cfg = NULL;
	store *s = NULL;
	oa_err rc = OA_OK;
	int ret = CLI_OK;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	verb = argv[1];
	if (strcmp(verb, "list") && strcmp(verb, "show") && strcmp(verb, "retry") &&
	    strcmp(verb, "send") && strcmp(verb, "redact"))
		return cli_usage("unknown mail command '%s'", verb);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc && !strcmp(verb, "list"))
			state = argv[++i];
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc && !strcmp(verb, "list")) {
			if (!parse_num(argv[++i], OA_MAX_LIST_ROWS, &limit))
				return cli_usage("--limit takes 1..%d", OA_MAX_LIST_ROWS);
		} else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc && !strcmp(verb, "send")) {
			if (!parse_num(argv[++i], 10000, &max))
				return cli_usage("--max takes 1..10000");
		} else if (strcmp(argv[i], "--as") == 0 && i + 1 < argc && !strcmp(verb, "retry"))
			as = argv[++i];
		else if (argv[i][0] != '-' && idarg == NULL &&
		         (!strcmp(verb, "show") || !strcmp(verb, "retry")))
			idarg = argv[i];
		else
			return cli_usage("unexpected argument '%s'", argv[i]);
	}
	if (!strcmp(verb, "show") || !strcmp(verb, "retry")) {
		if (idarg == NULL || !parse_num(idarg, INT64_MAX, &id))
			return cli_usage("mail %s ID: ID is a message number from `openams mail list`", verb);
	}
	if ((rc = open_instance(cli_data_dir(dir), &cfg, &s)))
		return cli_report(rc);

	if (!strcmp(verb, "list")) {
		rc = mail_list(s, state, limit, print_row, NULL);
	} else if (!strcmp(verb, "show")) {
		mail_info info;
		char *text = NULL;
		if ((rc = mail_get(s, id, &info, &text)) == OA_OK) {
			print_state(&info);
			fputs(text, stdout);
			free(text);
		}
	} else if (!strcmp(verb, "retry")) {
		if ((rc = mail_retry(s, id, as ? as : "cli")) == OA_OK)
			printf("message %" PRId64 " queued again\n", id);
	} else if (!strcmp(verb, "redact")) {
		int64_t n = 0;
		if ((rc = mail_redact_expired(s, cfg, oa_now(), &n)) == OA_OK)
			printf("%" PRId64 " message(s) redacted\n", n);
	} else {
		mail_stats st;
		if ((rc = mail_deliver(s, cfg, (int)max, &st)) == OA_OK) {
			printf("claimed %d sent %d kept %d retry %d failed %d released %d\n", st.claimed,
			    st.sent, st.kept, st.retried, st.failed, st.released);
			if (st.retried || st.failed || st.released)
				ret = CLI_FAIL;
		}
	}
	store_close(s);
	conf_free(cfg);
	return rc ? cli_report(rc) : ret;
}
