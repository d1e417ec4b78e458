/*
 * m0006_mail.c - migration 6, owned by the mail module (the outbox).
 * Until that module lands this migration creates nothing.
 */
#include "migrations.h"

const char m0006_mail_sql[] = "-- reserved for the mail module";
