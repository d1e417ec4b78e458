/*
 * m0005_auth.c - migration 5, owned by the auth module (organisations,
 * people, roles, credentials, sessions).  Until that module lands this
 * migration creates nothing.
 */
#include "migrations.h"

const char m0005_auth_sql[] = "-- reserved for the auth module";
