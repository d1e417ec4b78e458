/*
 * migrations.c - the schema, as numbered migrations applied in order at open.
 *
 * A migration is never edited once shipped: change the schema by appending a
 * new one.  Each names the module that owns its tables; only that module
 * reads or writes them.  Every enumerated column has a CHECK constraint, and
 * the invariants that must survive any bug in C (the audit log is
 * append-only, a revoked certificate never becomes good again, certificates
 * are never deleted) are triggers here.
 */
#include "migrations.h"

const struct migration store_migrations[] = {
	{1, "audit",
	    "CREATE TABLE audit ("
	    "  seq INTEGER PRIMARY KEY CHECK (seq > 0),"
	    "  at INTEGER NOT NULL,"
	    "  actor TEXT NOT NULL,"
	    "  action TEXT NOT NULL,"
	    "  object TEXT NOT NULL,"
	    "  detail TEXT NOT NULL,"
	    "  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),"
	    "  hash TEXT NOT NULL CHECK (length(hash) = 64)"
	    ");"
	    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	    "  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	    "  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"},
	{2, "ca",
	    "CREATE TABLE ca_cert ("
	    "  id INTEGER PRIMARY KEY,"
	    "  role TEXT NOT NULL CHECK (role IN ('root', 'issuing', 'ocsp')),"
	    "  serial TEXT NOT NULL UNIQUE,"
	    "  subject TEXT NOT NULL,"
	    "  key_type TEXT NOT NULL CHECK (key_type IN ('ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096')),"
	    "  not_before INTEGER NOT NULL,"
	    "  not_after INTEGER NOT NULL CHECK (not_after > not_before),"
	    "  der BLOB NOT NULL,"
	    "  created_at INTEGER NOT NULL"
	    ");"
	    "CREATE TABLE certificate ("
	    "  serial TEXT PRIMARY KEY CHECK (length(serial) BETWEEN 2 AND 40),"
	    "  issuer_id INTEGER NOT NULL REFERENCES ca_cert(id),"
	    "  profile TEXT NOT NULL,"
	    "  subject TEXT NOT NULL,"
	    "  cn TEXT NOT NULL,"
	    "  nik TEXT CHECK (nik IS NULL OR (length(nik) = 16 AND nik NOT GLOB '*[^0-9]*')),"
	    "  nip TEXT CHECK (nip IS NULL OR (length(nip) = 18 AND nip NOT GLOB '*[^0-9]*')),"
	    "  email TEXT,"
	    "  key_type TEXT NOT NULL CHECK (key_type IN ('ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096')),"
	    "  key_source TEXT NOT NULL CHECK (key_source IN ('csr', 'server')),"
	    "  not_before INTEGER NOT NULL,"
	    "  not_after INTEGER NOT NULL CHECK (not_after > not_before),"
	    "  issued_at INTEGER NOT NULL,"
	    "  status TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'expired')),"
	    "  revoked_at INTEGER,"
	    "  reason INTEGER CHECK (reason IS NULL OR reason IN (0, 1, 3, 4, 5)),"
	    "  invalidity_date INTEGER,"
	    "  der BLOB NOT NULL,"
	    "  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL AND reason IS NOT NULL))"
	    ");"
	    /* The one-active-certificate-per-NIK policy, as a hard backstop. */
	    "CREATE UNIQUE INDEX certificate_one_active_nik ON certificate(nik)"
	    "  WHERE status = 'active' AND profile = 'individual';"
	    "CREATE INDEX certificate_nik ON certificate(nik);"
	    "CREATE INDEX certificate_not_after ON certificate(not_after);"
	    /* Revoked entries, pre-encoded as CRL entries and clustered by
	     * serial, so that a CRL of a million entries is one sequential scan
	     * of a compact table. */
	    "CREATE TABLE revocation ("
	    "  issuer_id INTEGER NOT NULL REFERENCES ca_cert(id),"
	    "  serial TEXT NOT NULL REFERENCES certificate(serial),"
	    "  entry BLOB NOT NULL,"
	    "  PRIMARY KEY (issuer_id, serial)"
	    ") WITHOUT ROWID;"
	    "CREATE TRIGGER revocation_no_update BEFORE UPDATE ON revocation"
	    "  BEGIN SELECT RAISE(ABORT, 'a revocation never changes'); END;"
	    "CREATE TRIGGER revocation_no_delete BEFORE DELETE ON revocation"
	    "  BEGIN SELECT RAISE(ABORT, 'a revocation is never removed'); END;"
	    "CREATE TRIGGER certificate_no_delete BEFORE DELETE ON certificate"
	    "  BEGIN SELECT RAISE(ABORT, 'certificates are never deleted'); END;"
	    "CREATE TRIGGER certificate_revoked_final BEFORE UPDATE ON certificate"
	    "  WHEN OLD.status = 'revoked'"
	    "  BEGIN SELECT RAISE(ABORT, 'a revoked certificate never changes'); END;"
	    "CREATE TRIGGER certificate_status_flow BEFORE UPDATE OF status ON certificate"
	    "  WHEN NOT (NEW.status = OLD.status"
	    "    OR (OLD.status = 'active' AND NEW.status IN ('revoked', 'expired'))"
	    "    OR (OLD.status = 'expired' AND NEW.status = 'revoked'))"
	    "  BEGIN SELECT RAISE(ABORT, 'certificate status transition not allowed'); END;"
	    "CREATE TRIGGER certificate_fixed_fields BEFORE UPDATE OF serial, issuer_id, der, not_before, not_after, nik ON certificate"
	    "  BEGIN SELECT RAISE(ABORT, 'issued certificate fields never change'); END;"
	    "CREATE TABLE crl ("
	    "  issuer TEXT NOT NULL CHECK (issuer IN ('root', 'issuing')),"
	    "  number INTEGER NOT NULL CHECK (number > 0),"
	    "  this_update INTEGER NOT NULL,"
	    "  next_update INTEGER NOT NULL CHECK (next_update > this_update),"
	    "  entries INTEGER NOT NULL CHECK (entries >= 0),"
	    "  sha256 TEXT NOT NULL,"
	    "  PRIMARY KEY (issuer, number)"
	    ");"
	    "CREATE TRIGGER crl_number_increases BEFORE INSERT ON crl"
	    "  WHEN NEW.number <= (SELECT COALESCE(MAX(number), 0) FROM crl WHERE issuer = NEW.issuer)"
	    "  BEGIN SELECT RAISE(ABORT, 'CRL number must increase'); END;"},
	{3, "engine",
	    /* Definitions as installed per organisation: the exact text, so a
	     * case is pinned to the version it started with. */
	    "CREATE TABLE sop_version ("
	    "  id INTEGER PRIMARY KEY,"
	    "  org TEXT NOT NULL CHECK (length(org) BETWEEN 1 AND 64),"
	    "  sop_id TEXT NOT NULL,"
	    "  version INTEGER NOT NULL CHECK (version > 0),"
	    "  kind TEXT NOT NULL CHECK (kind IN ('issuance', 'revocation', 'renewal', 'passphrase_reset')),"
	    "  name TEXT NOT NULL,"
	    "  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
	    "  body TEXT NOT NULL,"
	    "  active INTEGER NOT NULL CHECK (active IN (0, 1)),"
	    "  created_at INTEGER NOT NULL,"
	    "  created_by TEXT NOT NULL,"
	    "  UNIQUE (org, sop_id, version)"
	    ");"
	    "CREATE UNIQUE INDEX sop_version_one_active ON sop_version(org, sop_id) WHERE active = 1;"
	    "CREATE TRIGGER sop_version_body_fixed BEFORE UPDATE OF body, sha256, sop_id, org, version ON sop_version"
	    "  BEGIN SELECT RAISE(ABORT, 'an installed SOP version never changes'); END;"
	    /* Which roles act at which step of a version: lets a task list be
	     * filtered in SQL rather than case by case. */
	    "CREATE TABLE sop_step_role ("
	    "  version_id INTEGER NOT NULL REFERENCES sop_version(id),"
	    "  step TEXT NOT NULL,"
	    "  role TEXT NOT NULL,"
	    "  PRIMARY KEY (version_id, step, role)"
	    ") WITHOUT ROWID;"
	    /* Cases: one run of an SOP for one subject. */
	    "CREATE TABLE sop_case ("
	    "  id INTEGER PRIMARY KEY,"
	    "  org TEXT NOT NULL,"
	    "  version_id INTEGER NOT NULL REFERENCES sop_version(id),"
	    "  applicant TEXT NOT NULL,"
	    "  applicant_role TEXT NOT NULL,"
	    "  opened_by TEXT NOT NULL,"
	    "  serial TEXT,"
	    "  reason TEXT,"
	    "  issued_serial TEXT,"
	    "  state TEXT NOT NULL CHECK (state IN ('open', 'completed', 'rejected', 'withdrawn')),"
	    "  step TEXT,"
	    "  step_opened_at INTEGER,"
	    "  step_due_at INTEGER,"
	    "  transitions INTEGER NOT NULL DEFAULT 0,"
	    "  created_at INTEGER NOT NULL,"
	    "  closed_at INTEGER,"
	    "  CHECK ((state = 'open') = (step IS NOT NULL AND step_opened_at IS NOT NULL AND closed_at IS NULL))"
	    ");"
	    "CREATE INDEX sop_case_open ON sop_case(org, state, step);"
	    "CREATE INDEX sop_case_applicant ON sop_case(applicant);"
	    "CREATE INDEX sop_case_due ON sop_case(step_due_at) WHERE state = 'open';"
	    "CREATE INDEX sop_case_org_due ON sop_case(org, step_due_at) WHERE state = 'open';"
	    "CREATE TRIGGER sop_case_closed_final BEFORE UPDATE ON sop_case"
	    "  WHEN OLD.state <> 'open'"
	    "  BEGIN SELECT RAISE(ABORT, 'a closed case never changes'); END;"
	    "CREATE TRIGGER sop_case_no_delete BEFORE DELETE ON sop_case"
	    "  BEGIN SELECT RAISE(ABORT, 'cases are never deleted'); END;"
	    /* Every transition, with who, when, the decision and the note. */
	    "CREATE TABLE sop_transition ("
	    "  case_id INTEGER NOT NULL REFERENCES sop_case(id),"
	    "  seq INTEGER NOT NULL CHECK (seq > 0),"
	    "  step TEXT NOT NULL,"
	    "  action TEXT NOT NULL,"
	    "  actor TEXT NOT NULL,"
	    "  role TEXT NOT NULL,"
	    "  decision TEXT CHECK (decision IS NULL OR decision IN ('yes', 'no', 'reject', 'withdraw')),"
	    "  note TEXT,"
	    "  opened_at INTEGER NOT NULL,"
	    "  done_at INTEGER NOT NULL CHECK (done_at >= opened_at),"
	    "  standard_s INTEGER,"
	    "  working INTEGER NOT NULL CHECK (working IN (0, 1)),"
	    "  next_step TEXT,"
	    "  PRIMARY KEY (case_id, seq)"
	    ") WITHOUT ROWID;"
	    "CREATE INDEX sop_transition_step ON sop_transition(step, action);"
	    "CREATE TRIGGER sop_transition_no_update BEFORE UPDATE ON sop_transition"
	    "  BEGIN SELECT RAISE(ABORT, 'transitions are append-only'); END;"
	    "CREATE TRIGGER sop_transition_no_delete BEFORE DELETE ON sop_transition"
	    "  BEGIN SELECT RAISE(ABORT, 'transitions are append-only'); END;"
	    /* Documents attached to a case (content-addressed; the bytes live in
	     * the docs store). */
	    "CREATE TABLE sop_case_document ("
	    "  case_id INTEGER NOT NULL REFERENCES sop_case(id),"
	    "  doc TEXT NOT NULL,"
	    "  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
	    "  filename TEXT NOT NULL,"
	    "  added_by TEXT NOT NULL,"
	    "  added_at INTEGER NOT NULL,"
	    "  step TEXT NOT NULL,"
	    "  PRIMARY KEY (case_id, doc, sha256)"
	    ") WITHOUT ROWID;"
	    /* Reminders and escalations sent for overdue steps. */
	    "CREATE TABLE sop_reminder ("
	    "  case_id INTEGER NOT NULL REFERENCES sop_case(id),"
	    "  step TEXT NOT NULL,"
	    "  step_opened_at INTEGER NOT NULL,"
	    "  kind TEXT NOT NULL CHECK (kind IN ('reminder', 'escalation')),"
	    "  sent_at INTEGER NOT NULL,"
	    "  recipients INTEGER NOT NULL CHECK (recipients >= 0)"
	    ");"
	    "CREATE INDEX sop_reminder_case ON sop_reminder(case_id, step, step_opened_at, kind);"
	    /* Data entered along the way (identity form, CSR). */
	    "CREATE TABLE sop_case_data ("
	    "  case_id INTEGER NOT NULL REFERENCES sop_case(id),"
	    "  key TEXT NOT NULL CHECK (key IN ('name', 'nik', 'nip', 'email', 'unit', 'position',"
	    "    'organization', 'locality', 'province', 'csr', 'account', 'key_id')),"
	    "  value TEXT NOT NULL,"
	    "  set_by TEXT NOT NULL,"
	    "  set_at INTEGER NOT NULL,"
	    "  PRIMARY KEY (case_id, key)"
	    ") WITHOUT ROWID;"},
	{4, "keys", m0004_keys_sql},
	{5, "auth", m0005_auth_sql},
	{6, "mail", m0006_mail_sql},
	/* The applicant's identity as their account records it when the case
	 * opens: the identity step may not name anyone else, and the CA
	 * issues a case's certificate for this NIK only (security review,
	 * finding 1).  Open cases take it from the account now; a closed
	 * case never changes. */
	{7, "engine",
	    "ALTER TABLE sop_case ADD COLUMN applicant_nik TEXT"
	    "  CHECK (applicant_nik IS NULL OR (length(applicant_nik) = 16"
	    "    AND applicant_nik NOT GLOB '*[^0-9]*'));"
	    "ALTER TABLE sop_case ADD COLUMN applicant_nip TEXT"
	    "  CHECK (applicant_nip IS NULL OR (length(applicant_nip) = 18"
	    "    AND applicant_nip NOT GLOB '*[^0-9]*'));"
	    "ALTER TABLE sop_case ADD COLUMN applicant_email TEXT"
	    "  CHECK (applicant_email IS NULL OR length(applicant_email) BETWEEN 3 AND 128);"
	    "UPDATE sop_case SET"
	    "  applicant_nik = (SELECT p.nik FROM auth_person p WHERE p.id = sop_case.applicant),"
	    "  applicant_nip = (SELECT p.nip FROM auth_person p WHERE p.id = sop_case.applicant),"
	    "  applicant_email = (SELECT p.email FROM auth_person p WHERE p.id = sop_case.applicant)"
	    "  WHERE state = 'open';"},
	/* When a session last proved its password again (auth_session_reauth):
	 * credential changes need a recent proof (security review, finding 4). */
	{8, "auth", "ALTER TABLE auth_session ADD COLUMN reauth_at INTEGER;"},
	/* A message holding a one-time link token that was not sent (kept in
	 * the database sink, failed, or still queued) has its bytes replaced by
	 * a stub once its link has expired (mail_redact_expired): the only
	 * change a rendered, sent or kept message allows (finding 5). */
	{9, "mail",
	    "ALTER TABLE mail_outbox ADD COLUMN redacted_at INTEGER;"
	    "DROP TRIGGER mail_outbox_raw;"
	    "CREATE TRIGGER mail_outbox_raw BEFORE UPDATE OF raw ON mail_outbox"
	    "  WHEN NEW.raw IS NOT NULL AND NEW.raw IS NOT OLD.raw"
	    "   AND NOT (OLD.secret = 1 AND OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL)"
	    "  BEGIN SELECT RAISE(ABORT, 'a rendered message never changes'); END;"
	    "DROP TRIGGER mail_outbox_final;"
	    "CREATE TRIGGER mail_outbox_final BEFORE UPDATE ON mail_outbox"
	    "  WHEN OLD.state IN ('sent', 'kept')"
	    "   AND NOT (OLD.secret = 1 AND OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL"
	    "            AND NEW.state = OLD.state)"
	    "  BEGIN SELECT RAISE(ABORT, 'a sent or kept message never changes'); END;"
	    "CREATE TRIGGER mail_outbox_redacted BEFORE UPDATE OF redacted_at ON mail_outbox"
	    "  WHEN OLD.redacted_at IS NOT NULL OR OLD.secret = 0"
	    "  BEGIN SELECT RAISE(ABORT, 'only an unredacted message with a link is redacted, once'); END;"},
	/* An account that must enrol a TOTP authenticator before it may act
	 * (auth_totp_require): the first administrator `openams init` makes,
	 * and anyone an administrator marks so.  While it has no confirmed
	 * authenticator it signs in with its password but holds no role. */
	{10, "auth",
	    "ALTER TABLE auth_credential ADD COLUMN totp_required INTEGER NOT NULL DEFAULT 0"
	    "  CHECK (totp_required IN (0, 1));"},
	/* Client applications of the BSrE-compatible signing API (src/esign,
	 * auth_client_*): HTTP Basic credentials registered by an agency
	 * administrator, the secret kept as its SHA-256 (it is 32 random
	 * bytes), an optional IP allow-list and a rate per minute. */
	{11, "auth",
	    "CREATE TABLE auth_client ("
	    "  id INTEGER PRIMARY KEY,"
	    "  username TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 3 AND 64"
	    "    AND username NOT GLOB '*[^A-Za-z0-9._-]*'),"
	    "  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	    "  org TEXT NOT NULL REFERENCES auth_org(id),"
	    "  info TEXT NOT NULL DEFAULT '' CHECK (length(info) <= 256),"
	    "  ip_allow TEXT NOT NULL DEFAULT '' CHECK (length(ip_allow) <= 1024),"
	    "  rate_per_min INTEGER NOT NULL CHECK (rate_per_min BETWEEN 1 AND 100000),"
	    "  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
	    "  created_by TEXT NOT NULL,"
	    "  created_at INTEGER NOT NULL,"
	    "  last_used_at INTEGER,"
	    "  revoked_at INTEGER"
	    ");"
	    "CREATE TRIGGER auth_client_revoked BEFORE UPDATE ON auth_client"
	    "  WHEN OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS NOT OLD.revoked_at"
	    "  BEGIN SELECT RAISE(ABORT, 'a revoked client application stays revoked'); END;"},
	/* Signing with an e-mailed one-time code instead of the passphrase
	 * (the BSrE API's TOTP, docs/ESIGN_API.md): a holder key's second
	 * sealing under the instance's key-wrapping key (src/keys/wrap.c, made
	 * only when the holder opts in at a passphrase signing), and the codes
	 * sent (src/esign/otp.c), kept as a salted SHA-256 only, with their
	 * lifetime, attempts and single use. */
	{12, "keys",
	    "CREATE TABLE holder_key_wrap ("
	    "  key_id INTEGER PRIMARY KEY REFERENCES holder_key(id),"
	    "  nonce BLOB NOT NULL CHECK (length(nonce) = 12),"
	    "  ciphertext BLOB NOT NULL CHECK (length(ciphertext) BETWEEN 1 AND 8192),"
	    "  tag BLOB NOT NULL CHECK (length(tag) = 16),"
	    "  created_at INTEGER NOT NULL"
	    ");"
	    "CREATE TABLE esign_otp ("
	    "  id INTEGER PRIMARY KEY,"
	    "  nik TEXT NOT NULL CHECK (length(nik) = 16 AND nik NOT GLOB '*[^0-9]*'),"
	    "  client TEXT NOT NULL CHECK (length(client) BETWEEN 1 AND 64),"
	    "  salt BLOB NOT NULL CHECK (length(salt) = 16),"
	    "  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	    "  files INTEGER NOT NULL CHECK (files BETWEEN 1 AND 1000),"
	    "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	    "  created_at INTEGER NOT NULL,"
	    "  expires_at INTEGER NOT NULL,"
	    "  used_at INTEGER"
	    ");"
	    "CREATE INDEX esign_otp_nik ON esign_otp(nik, created_at);"},
	/* Electronic seals of organisations (the BSrE API's idSubscriber,
	 * src/keys/sealkey.c): the key wrapped under the instance's
	 * key-wrapping key, its "seal" certificate; and the codes of the seal
	 * API (src/esign/seal.c): activation codes e-mailed to the seal's
	 * address and one-time codes per request, as salted SHA-256 only. */
	{13, "keys",
	    "CREATE TABLE org_seal ("
	    "  id TEXT PRIMARY KEY CHECK (length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*'),"
	    "  org TEXT NOT NULL REFERENCES auth_org(id),"
	    "  serial TEXT NOT NULL UNIQUE,"
	    "  key_type TEXT NOT NULL,"
	    "  email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 128),"
	    "  nonce BLOB NOT NULL CHECK (length(nonce) = 12),"
	    "  ciphertext BLOB NOT NULL CHECK (length(ciphertext) BETWEEN 1 AND 8192),"
	    "  tag BLOB NOT NULL CHECK (length(tag) = 16),"
	    "  created_by TEXT NOT NULL,"
	    "  created_at INTEGER NOT NULL"
	    ");"
	    "CREATE TABLE seal_code ("
	    "  id INTEGER PRIMARY KEY,"
	    "  seal TEXT NOT NULL REFERENCES org_seal(id),"
	    "  kind TEXT NOT NULL CHECK (kind IN ('activation', 'otp')),"
	    "  client TEXT NOT NULL CHECK (length(client) BETWEEN 1 AND 64),"
	    "  salt BLOB NOT NULL CHECK (length(salt) = 16),"
	    "  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	    "  files INTEGER NOT NULL DEFAULT 0 CHECK (files BETWEEN 0 AND 1000),"
	    "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	    "  created_at INTEGER NOT NULL,"
	    "  expires_at INTEGER NOT NULL,"
	    "  used_at INTEGER"
	    ");"
	    "CREATE INDEX seal_code_seal ON seal_code(seal, kind, created_at);"},
	/* Steps done by several actors in turn (`in_turn: true`, SOP format):
	 * the position of each actor in the step's order (-1: any one of the
	 * step's actors acts), and the case's turn within its current step. */
	{14, "engine",
	    "ALTER TABLE sop_step_role ADD COLUMN pos INTEGER NOT NULL DEFAULT -1"
	    " CHECK (pos >= -1 AND pos < 64);"
	    "ALTER TABLE sop_case ADD COLUMN turn INTEGER NOT NULL DEFAULT 0"
	    " CHECK (turn >= 0 AND turn < 64);"},
	/* Named leases (store/lease.c): which process runs a duty that must run
	 * once when several servers share the database, and until when. */
	{15, "store",
	    "CREATE TABLE lease ("
	    "  name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),"
	    "  holder TEXT NOT NULL CHECK (length(holder) BETWEEN 1 AND 128),"
	    "  until_at INTEGER NOT NULL"
	    ");"},
	/* Which process is sending a message (common/proc.h), so that a server
	 * starting on a shared database requeues only a gone process's. */
	{16, "mail",
	    "ALTER TABLE mail_outbox ADD COLUMN claimed_by TEXT"
	    " CHECK (claimed_by IS NULL OR length(claimed_by) BETWEEN 1 AND 96);"},
	/* A person's tasks found from their roles (src/engine/query.c), so that
	 * listing and counting them reads their entries only, not every open
	 * case of the agency: the cases at one step of one version (and turn),
	 * with what the task list filters and counts; and a person's own open
	 * cases by applicant, state and agency (three equalities, so that
	 * SQLite prefers it to sop_case_open without statistics). */
	{17, "engine",
	    "CREATE INDEX sop_case_task ON sop_case(org, version_id, step, state, turn, applicant,"
	    " step_due_at, id);"
	    "DROP INDEX sop_case_applicant;"
	    "CREATE INDEX sop_case_applicant ON sop_case(applicant, state, org);"},
};

const int store_nmigrations = (int)(sizeof store_migrations / sizeof store_migrations[0]);
