/*
 * m0004_keys.c - migration 4, owned by the keys module (holder keys).
 * Until that module lands this migration creates nothing.
 */
#include "migrations.h"

const char m0004_keys_sql[] = "-- reserved for the keys module";
