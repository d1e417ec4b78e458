/*
 * enqueue.c - test fixture: writes N notices to an instance's outbox, one
 * transaction each, as state changes do.  enqueue DIR N
 */
#include <stdio.h>
#include <stdlib.h>

#include "ca/ca.h"
#include "mail/mail.h"

int main(int argc, char **argv)
{
	ca *c;
	int n = argc == 3 ? atoi(argv[2]) : 0;

	if (n <= 0 || ca_open(argv[1], &c) != OA_OK) {
		fprintf(stderr, "usage: enqueue DIR N (%s)\n", oa_errmsg());
		return 2;
	}
	for (int i = 0; i < n; i++) {
		char subject[64], addr[64];
		mail_msg m = {0};
		snprintf(subject, sizeof subject, "Pemberitahuan uji %d", i);
		snprintf(addr, sizeof addr, "penerima%d@kominfo.uji.go.id", i);
		m.event = MAIL_NOTICE;
		m.to_name = "Penerima Uji";
		m.to_addr = addr;
		m.actor = "test";
		m.subject = subject;
		m.text = "Ini pesan uji pengiriman setelah server dihentikan paksa.";
		if (mail_enqueue(ca_store(c), ca_config(c), &m, NULL) != OA_OK) {
			fprintf(stderr, "enqueue: %s\n", oa_errmsg());
			return 1;
		}
	}
	ca_free(c);
	return 0;
}
