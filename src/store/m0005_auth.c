/*
 * m0005_auth.c - migration 5, owned by the auth module (src/auth): agencies,
 * people, roles per agency, credentials, sessions, API tokens and one-time
 * links.  Only src/auth reads or writes these tables.
 *
 * No secret is stored in a usable form: passwords as Argon2id encoded
 * strings, TOTP secrets encrypted (AES-256-GCM under a key kept outside the
 * database), session ids, API tokens and link tokens as SHA-256 digests.
 *
 * Invariants kept here so that no bug in C can break them:
 *   - people and agencies are never deleted (audit records name them) and
 *     their ids never change;
 *   - a "staff only" account (administrator, CA operator without the
 *     applicants' e-mail rule) holds no role but admin and ca_operator;
 *   - the last used TOTP step of a secret never goes back (replay);
 *   - a revoked session or API token never comes back; a used or superseded
 *     link never becomes pending again, and a link's token, kind, person
 *     and expiry never change.
 */
#include "migrations.h"

/* One literal of about 7 KB: more than the 4095 bytes ISO C guarantees, well
 * within what GCC and Clang accept; migrations.h wants a single string. */
#pragma GCC diagnostic ignored "-Woverlength-strings"

const char m0005_auth_sql[] =
    "CREATE TABLE auth_org ("
    "  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64 AND id NOT GLOB '*[^a-z0-9._-]*'),"
    "  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE TRIGGER auth_org_no_delete BEFORE DELETE ON auth_org"
    "  BEGIN SELECT RAISE(ABORT, 'organisations are never deleted'); END;"
    "CREATE TRIGGER auth_org_fixed_id BEFORE UPDATE OF id ON auth_org"
    "  BEGIN SELECT RAISE(ABORT, 'an organisation id never changes'); END;"

    "CREATE TABLE auth_person ("
    "  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64 AND id NOT GLOB '*[^a-z0-9._-]*'),"
    "  org TEXT NOT NULL REFERENCES auth_org(id),"
    "  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),"
    "  nik TEXT UNIQUE CHECK (nik IS NULL OR (length(nik) = 16 AND nik NOT GLOB '*[^0-9]*')),"
    "  nip TEXT UNIQUE CHECK (nip IS NULL OR (length(nip) = 18 AND nip NOT GLOB '*[^0-9]*')),"
    "  email TEXT NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 128"
    "    AND email = lower(email) AND email GLOB '?*@?*.?*'),"
    "  position TEXT NOT NULL DEFAULT '' CHECK (length(position) <= 128),"
    "  unit TEXT NOT NULL DEFAULT '' CHECK (length(unit) <= 128),"
    "  lang TEXT NOT NULL DEFAULT 'id' CHECK (lang IN ('id', 'en')),"
    "  staff_only INTEGER NOT NULL DEFAULT 0 CHECK (staff_only IN (0, 1)),"
    "  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  CHECK (staff_only = 1 OR nik IS NOT NULL)"
    ");"
    "CREATE INDEX auth_person_org ON auth_person(org);"
    "CREATE TRIGGER auth_person_no_delete BEFORE DELETE ON auth_person"
    "  BEGIN SELECT RAISE(ABORT, 'people are never deleted: disable the account'); END;"
    "CREATE TRIGGER auth_person_fixed_id BEFORE UPDATE OF id ON auth_person"
    "  BEGIN SELECT RAISE(ABORT, 'a person id never changes'); END;"
    "CREATE TRIGGER auth_person_staff_roles BEFORE UPDATE OF staff_only ON auth_person"
    "  WHEN NEW.staff_only = 1 AND EXISTS (SELECT 1 FROM auth_role WHERE person = NEW.id"
    "    AND role NOT IN ('admin', 'ca_operator'))"
    "  BEGIN SELECT RAISE(ABORT, 'a staff-only account holds only admin and ca_operator'); END;"

    /* One row per person, created with it: the secrets, apart from the profile. */
    "CREATE TABLE auth_credential ("
    "  person TEXT PRIMARY KEY REFERENCES auth_person(id),"
    "  password_hash TEXT CHECK (password_hash IS NULL OR"
    "    (password_hash GLOB '$argon2id$v=19$m=*,t=*,p=*$*$*' AND length(password_hash) <= 256)),"
    "  password_set_at INTEGER,"
    "  totp_secret BLOB CHECK (totp_secret IS NULL OR length(totp_secret) BETWEEN 30 AND 128),"
    "  totp_pending BLOB CHECK (totp_pending IS NULL OR length(totp_pending) BETWEEN 30 AND 128),"
    "  totp_pending_at INTEGER,"
    "  totp_last_step INTEGER NOT NULL DEFAULT 0 CHECK (totp_last_step >= 0),"
    "  failed_count INTEGER NOT NULL DEFAULT 0 CHECK (failed_count >= 0),"
    "  locked_until INTEGER NOT NULL DEFAULT 0 CHECK (locked_until >= 0),"
    "  CHECK ((password_hash IS NULL) = (password_set_at IS NULL)),"
    "  CHECK ((totp_pending IS NULL) = (totp_pending_at IS NULL))"
    ") WITHOUT ROWID;"
    "CREATE TRIGGER auth_credential_no_replay BEFORE UPDATE OF totp_last_step ON auth_credential"
    "  WHEN NEW.totp_last_step < OLD.totp_last_step AND NEW.totp_secret IS OLD.totp_secret"
    "  BEGIN SELECT RAISE(ABORT, 'the last used TOTP step never goes back'); END;"

    "CREATE TABLE auth_role ("
    "  person TEXT NOT NULL REFERENCES auth_person(id),"
    "  org TEXT NOT NULL REFERENCES auth_org(id),"
    "  role TEXT NOT NULL CHECK (length(role) BETWEEN 1 AND 64 AND role NOT GLOB '*[^a-z0-9_]*'),"
    "  granted_by TEXT NOT NULL,"
    "  granted_at INTEGER NOT NULL,"
    "  PRIMARY KEY (person, org, role)"
    ") WITHOUT ROWID;"
    "CREATE INDEX auth_role_org ON auth_role(org, role);"
    "CREATE TRIGGER auth_role_staff BEFORE INSERT ON auth_role"
    "  WHEN NEW.role NOT IN ('admin', 'ca_operator') AND"
    "    (SELECT staff_only FROM auth_person WHERE id = NEW.person) = 1"
    "  BEGIN SELECT RAISE(ABORT, 'a staff-only account holds only admin and ca_operator'); END;"
    "CREATE TRIGGER auth_role_no_update BEFORE UPDATE ON auth_role"
    "  BEGIN SELECT RAISE(ABORT, 'roles are granted and revoked, never changed'); END;"

    "CREATE TABLE auth_session ("
    "  id INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
    "  person TEXT NOT NULL REFERENCES auth_person(id),"
    "  org TEXT NOT NULL REFERENCES auth_org(id),"
    "  method TEXT NOT NULL CHECK (method IN ('password', 'password+totp')),"
    "  created_at INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL CHECK (last_seen >= created_at),"
    "  expires_at INTEGER NOT NULL CHECK (expires_at > created_at),"
    "  revoked_at INTEGER"
    ");"
    "CREATE INDEX auth_session_person ON auth_session(person) WHERE revoked_at IS NULL;"
    "CREATE TRIGGER auth_session_final BEFORE UPDATE ON auth_session"
    "  WHEN OLD.revoked_at IS NOT NULL"
    "  BEGIN SELECT RAISE(ABORT, 'a revoked session never changes'); END;"
    "CREATE TRIGGER auth_session_fixed BEFORE UPDATE OF hash, person, org, method, created_at,"
    "  expires_at ON auth_session"
    "  BEGIN SELECT RAISE(ABORT, 'a session only records use and revocation'); END;"

    "CREATE TABLE auth_token ("
    "  id INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
    "  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),"
    "  person TEXT NOT NULL REFERENCES auth_person(id),"
    "  org TEXT NOT NULL REFERENCES auth_org(id),"
    "  roles TEXT NOT NULL CHECK (length(roles) BETWEEN 1 AND 2200"
    "    AND roles NOT GLOB '*[^a-z0-9_ ]*'),"
    "  created_by TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL CHECK (expires_at > created_at),"
    "  last_used_at INTEGER,"
    "  revoked_at INTEGER"
    ");"
    "CREATE UNIQUE INDEX auth_token_name ON auth_token(org, name) WHERE revoked_at IS NULL;"
    "CREATE TRIGGER auth_token_final BEFORE UPDATE ON auth_token"
    "  WHEN OLD.revoked_at IS NOT NULL"
    "  BEGIN SELECT RAISE(ABORT, 'a revoked API token never changes'); END;"
    "CREATE TRIGGER auth_token_fixed BEFORE UPDATE OF hash, name, person, org, roles,"
    "  created_at, expires_at ON auth_token"
    "  BEGIN SELECT RAISE(ABORT, 'an API token only records use and revocation'); END;"

    "CREATE TABLE auth_link ("
    "  id INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
    "  kind TEXT NOT NULL CHECK (kind IN ('activation', 'identity_form', 'set_passphrase',"
    "    'password_reset')),"
    "  person TEXT NOT NULL REFERENCES auth_person(id),"
    "  case_id INTEGER CHECK (case_id IS NULL OR case_id > 0),"
    "  created_by TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL CHECK (expires_at > created_at),"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'used', 'superseded')),"
    "  used_at INTEGER,"
    "  CHECK ((state = 'pending') = (used_at IS NULL))"
    ");"
    "CREATE INDEX auth_link_person ON auth_link(person, kind) WHERE state = 'pending';"
    "CREATE TRIGGER auth_link_final BEFORE UPDATE ON auth_link"
    "  WHEN OLD.state <> 'pending'"
    "  BEGIN SELECT RAISE(ABORT, 'a used or superseded link never changes'); END;"
    "CREATE TRIGGER auth_link_fixed BEFORE UPDATE OF hash, kind, person, case_id, created_at,"
    "  expires_at ON auth_link"
    "  BEGIN SELECT RAISE(ABORT, 'a link only records its use'); END;";
