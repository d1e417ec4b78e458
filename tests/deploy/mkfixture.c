/*
 * mkfixture.c - makes a database as openams left it at schema version N:
 * for each version k = 1..N in turn, the store is opened with migrations
 * up to k only (store_open_at) and rows are written that use the tables
 * and columns version k brought, the way that version's openams wrote them.
 * tests/deploy/mkfixtures.sh dumps the result with `sqlite3 .dump` into
 * fixtures/schema-N.sql; test_upgrade opens every fixture with the current
 * openams and checks the migration to the latest version keeps the data.
 *
 * A fixture, once committed, is never made again: it stands for the
 * databases the version that made it left behind.  A new migration needs
 * one new fixture, made before the migration is added (or with N set to
 * the previous version).
 *
 *   mkfixture N OUT.db
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "store/store.h"

#define T0 "1767225600" /* 2026-01-01T00:00:00Z */

/* Rows written at version k (index k - 1); NULL: only an audit record. */
static const char *const stage_sql[] = {
	/* 1 audit: the records come from audit_append below */
	NULL,
	/* 2 ca */
	"INSERT INTO ca_cert VALUES (1, 'root', '01', 'CN=Fixture Root CA', 'ec-p256', " T0 ","
	"  " T0 " + 315360000, X'3082010A', " T0 ");"
	"INSERT INTO ca_cert VALUES (2, 'issuing', '02', 'CN=Fixture Issuing CA', 'ec-p256', " T0 ","
	"  " T0 " + 157680000, X'3082010B', " T0 ");"
	"INSERT INTO certificate VALUES ('7A01', 2, 'individual', 'CN=Budi Santoso', 'Budi Santoso',"
	"  '3201011505900001', NULL, 'budi@fixture.go.id', 'ec-p256', 'csr', " T0 ", " T0 " + 31536000,"
	"  " T0 ", 'active', NULL, NULL, NULL, X'30820101');"
	"INSERT INTO certificate VALUES ('7A02', 2, 'individual', 'CN=Siti Aminah', 'Siti Aminah',"
	"  '3201014603880002', '198803062010012002', 'siti@fixture.go.id', 'ec-p256', 'server', " T0 ","
	"  " T0 " + 31536000, " T0 ", 'revoked', " T0 " + 3600, 1, NULL, X'30820102');"
	"INSERT INTO revocation VALUES (2, '7A02', X'301502027A02170D3236303130313031303030305A');"
	"INSERT INTO crl VALUES ('issuing', 1, " T0 ", " T0 " + 86400, 0,"
	"  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');"
	"INSERT INTO crl VALUES ('issuing', 2, " T0 " + 3600, " T0 " + 90000, 1,"
	"  'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');",
	/* 3 engine: one issuance definition, an open case and a completed one */
	"INSERT INTO sop_version VALUES (1, 'fixture', 'sop-001', 1, 'issuance', 'Penerbitan sertifikat',"
	"  'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc',"
	"  'id: sop-001\nversion: 1\n', 1, " T0 ", 'admin');"
	"INSERT INTO sop_step_role VALUES (1, 'verify', 'verifikator');"
	"INSERT INTO sop_case (id, org, version_id, applicant, applicant_role, opened_by, state, step,"
	"  step_opened_at, step_due_at, transitions, created_at)"
	"  VALUES (1, 'fixture', 1, 'budi', 'pemohon', 'budi', 'open', 'verify', " T0 ","
	"  " T0 " + 86400, 1, " T0 ");"
	"INSERT INTO sop_case (id, org, version_id, applicant, applicant_role, opened_by, issued_serial,"
	"  state, step, step_opened_at, transitions, created_at, closed_at)"
	"  VALUES (2, 'fixture', 1, 'siti', 'pemohon', 'siti', '7A02', 'completed', NULL, NULL, 3,"
	"  " T0 ", " T0 " + 7200);"
	"INSERT INTO sop_transition VALUES (1, 1, 'submit', 'forward', 'budi', 'pemohon', NULL, NULL,"
	"  " T0 ", " T0 ", 86400, 0, 'verify');"
	"INSERT INTO sop_case_document VALUES (1, 'ktp',"
	"  'dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd', 'ktp.pdf', 'budi', " T0 ","
	"  'submit');"
	"INSERT INTO sop_case_data VALUES (1, 'name', 'Budi Santoso', 'budi', " T0 ");"
	"INSERT INTO sop_reminder VALUES (1, 'verify', " T0 ", 'reminder', " T0 " + 43200, 1);",
	/* 4 keys: a sealed holder key (random-looking bytes of the right sizes) */
	"INSERT INTO holder_key VALUES (1, 'siti', 'ec-p256', zeroblob(91), 'active', '7A02', 0, 1,"
	"  'argon2id', 65536, 3, 1, zeroblob(16), zeroblob(32), zeroblob(12), zeroblob(138),"
	"  zeroblob(16), " T0 ", " T0 ", NULL, NULL);",
	/* 5 auth: the agency, its people, their roles, a session, a link */
	"INSERT INTO auth_org VALUES ('fixture', 'Dinas Fixture', " T0 ");"
	"INSERT INTO auth_person (id, org, name, nik, email, created_at, updated_at)"
	"  VALUES ('budi', 'fixture', 'Budi Santoso', '3201011505900001', 'budi@fixture.go.id', " T0 ","
	"  " T0 ");"
	"INSERT INTO auth_person (id, org, name, nik, nip, email, created_at, updated_at)"
	"  VALUES ('siti', 'fixture', 'Siti Aminah', '3201014603880002', '198803062010012002',"
	"  'siti@fixture.go.id', " T0 ", " T0 ");"
	"INSERT INTO auth_person (id, org, name, email, staff_only, created_at, updated_at)"
	"  VALUES ('admin', 'fixture', 'Admin Fixture', 'admin@fixture.go.id', 1, " T0 ", " T0 ");"
	"INSERT INTO auth_credential (person, password_hash, password_set_at) VALUES ('admin',"
	"  '$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA', " T0 ");"
	"INSERT INTO auth_credential (person) VALUES ('budi');"
	"INSERT INTO auth_credential (person) VALUES ('siti');"
	"INSERT INTO auth_role VALUES ('admin', 'fixture', 'admin', 'init', " T0 ");"
	"INSERT INTO auth_role VALUES ('budi', 'fixture', 'pemohon', 'admin', " T0 ");"
	"INSERT INTO auth_role VALUES ('siti', 'fixture', 'verifikator', 'admin', " T0 ");"
	"INSERT INTO auth_session VALUES (1, zeroblob(32), 'admin', 'fixture', 'password', " T0 ","
	"  " T0 ", " T0 " + 28800, NULL);"
	"INSERT INTO auth_link VALUES (1, X'0202020202020202020202020202020202020202020202020202020202020202', 'activation', 'budi', NULL, 'admin', " T0 ","
	"  " T0 " + 172800, 'pending', NULL);",
	/* 6 mail: a queued message with a link and a sent one */
	"INSERT INTO mail_outbox (id, event, lang, rcpt, person, subject, message_id, secret, raw,"
	"  state, next_attempt, created_at)"
	"  VALUES (1, 'activation', 'id', 'budi@fixture.go.id', 'budi', 'Aktivasi akun',"
	"  '<1.fixture@openams>', 1, X'46726F6D3A', 'queued', " T0 ", " T0 ");"
	"INSERT INTO mail_outbox (id, event, lang, rcpt, person, case_id, subject, message_id, secret,"
	"  raw, state, next_attempt, created_at, done_at)"
	"  VALUES (2, 'cert_issued', 'id', 'siti@fixture.go.id', 'siti', 2, 'Sertifikat terbit',"
	"  '<2.fixture@openams>', 0, X'46726F6D3A', 'sent', " T0 ", " T0 ", " T0 " + 60);",
	/* 7 engine: a case opened since records its applicant's identity */
	"INSERT INTO sop_case (id, org, version_id, applicant, applicant_role, opened_by, state, step,"
	"  step_opened_at, transitions, created_at, applicant_nik, applicant_nip, applicant_email)"
	"  VALUES (3, 'fixture', 1, 'siti', 'pemohon', 'siti', 'open', 'verify', " T0 " + 9000, 0,"
	"  " T0 " + 9000, '3201014603880002', '198803062010012002', 'siti@fixture.go.id');",
	/* 8 auth: a session re-authenticated */
	"INSERT INTO auth_session VALUES (2, X'0101010101010101010101010101010101010101010101010101010101010101',"
	"  'admin', 'fixture', 'password', " T0 " + 100, " T0 " + 100, " T0 " + 28900, NULL, " T0 " + 200);",
	/* 9 mail: an expired link's message, redacted */
	"INSERT INTO mail_outbox (id, event, lang, rcpt, person, subject, message_id, secret, raw,"
	"  state, next_attempt, created_at, done_at, redacted_at)"
	"  VALUES (3, 'notice', 'en', 'siti@fixture.go.id', 'siti', 'Reset',"
	"  '<3.fixture@openams>', 1, X'52454441435445', 'kept', " T0 ", " T0 ", " T0 " + 1, " T0 " + 2);",
	/* 10 auth: an administrator who must enrol TOTP before acting */
	"INSERT INTO auth_person (id, org, name, email, staff_only, created_at, updated_at)"
	"  VALUES ('admin2', 'fixture', 'Second Admin', 'admin2@fixture.go.id', 1, " T0 ", " T0 ");"
	"INSERT INTO auth_credential (person, password_hash, password_set_at, totp_required)"
	"  VALUES ('admin2', '$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',"
	"  " T0 ", 1);"
	"INSERT INTO auth_role VALUES ('admin2', 'fixture', 'admin', 'admin', " T0 ");",
	/* 11 auth: a client application of the signing API, one revoked */
	"INSERT INTO auth_client (id, username, hash, org, info, ip_allow, rate_per_min, enabled,"
	"  created_by, created_at, last_used_at)"
	"  VALUES (1, 'app-surat', zeroblob(32), 'fixture', 'Aplikasi surat', '127.0.0.1', 600, 1,"
	"  'admin', " T0 ", " T0 " + 60);"
	"INSERT INTO auth_client (id, username, hash, org, rate_per_min, enabled, created_by,"
	"  created_at, revoked_at)"
	"  VALUES (2, 'app-lama', X'0303030303030303030303030303030303030303030303030303030303030303',"
	"  'fixture', 60, 0, 'admin', " T0 ", " T0 " + 120);",
	/* 12 keys: a holder key wrapped for signing with a TOTP, and a code sent */
	"INSERT INTO holder_key_wrap VALUES (1, zeroblob(12), zeroblob(138), zeroblob(16), " T0 " + 300);"
	"INSERT INTO esign_otp (id, nik, client, salt, hash, files, attempts, created_at, expires_at,"
	"  used_at) VALUES (1, '3201014603880002', 'app-surat', zeroblob(16), zeroblob(32), 1, 1,"
	"  " T0 " + 400, " T0 " + 700, " T0 " + 450);",
	/* 13 keys: an agency's electronic seal and an activation code */
	"INSERT INTO org_seal VALUES ('0123456789abcdef0123456789abcdef', 'fixture', '7A03', 'ec-p256',"
	"  'segel@fixture.go.id', zeroblob(12), zeroblob(138), zeroblob(16), 'cli', " T0 " + 500);"
	"INSERT INTO seal_code (id, seal, kind, client, salt, hash, files, attempts, created_at,"
	"  expires_at) VALUES (1, '0123456789abcdef0123456789abcdef', 'activation', 'app-surat',"
	"  zeroblob(16), zeroblob(32), 0, 0, " T0 " + 600, " T0 " + 2592600);",
	/* 14 engine: a step done in turn, and an open case at its second turn */
	"INSERT INTO sop_step_role (version_id, step, role, pos) VALUES (1, 'sign', 'verifikator', 0);"
	"INSERT INTO sop_step_role (version_id, step, role, pos) VALUES (1, 'sign', 'kepala', 1);"
	"INSERT INTO sop_case (id, org, version_id, applicant, applicant_role, opened_by, state, step,"
	"  step_opened_at, transitions, created_at, applicant_nik, turn)"
	"  VALUES (4, 'fixture', 1, 'budi', 'pemohon', 'budi', 'open', 'sign', " T0 " + 9500, 2,"
	"  " T0 " + 9400, '3201011505900001', 1);",
	/* 15 store: the scheduler's lease, held by a server of this host */
	"INSERT INTO lease VALUES ('scheduler', 'ca1.kominfo.go.id:4242:0a1b2c3d4e5f', " T0 " + 9600);",
	/* 16 mail: a message being sent by a server of that host */
	"INSERT INTO mail_outbox (id, event, lang, rcpt, person, subject, message_id, secret, raw,"
	"  state, attempts, next_attempt, lease_until, created_at, claimed_by)"
	"  VALUES (9, 'activation', 'id', 'siti@fixture.go.id', 'siti', 'Aktivasi akun',"
	"  '<9.fixture@openams>', 1, X'46726F6D3A', 'sending', 1, " T0 " + 9700, " T0 " + 9800,"
	"  " T0 " + 9700, 'ca1.kominfo.go.id:4242:0a1b2c3d4e5f');",
	/* 17 engine (indexes for task lists): an open case at the in-turn step's first turn */
	"INSERT INTO sop_case (id, org, version_id, applicant, applicant_role, opened_by, state, step,"
	"  step_opened_at, transitions, created_at, applicant_nik, turn)"
	"  VALUES (5, 'fixture', 1, 'siti', 'pemohon', 'siti', 'open', 'sign', " T0 " + 9900, 1,"
	"  " T0 " + 9850, '3201014603880002', 0);",
};

int main(int argc, char **argv)
{
	int n, nstages = (int)(sizeof stage_sql / sizeof stage_sql[0]);
	char what[64];
	store *s;
	oa_err rc;

	if (argc != 3 || (n = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: mkfixture N OUT.db\n");
		return 2;
	}
	if (n > store_latest_version() || n > nstages) {
		fprintf(stderr, "mkfixture: version %d: this build knows migrations 1..%d and rows"
		    " for 1..%d: add the new version's rows to stage_sql\n", n,
		    store_latest_version(), nstages);
		return 1;
	}
	setenv("OPENAMS_NOW", "2026-01-01T00:00:00Z", 1); /* T0 */
	for (int k = 1; k <= n; k++) {
		if ((rc = store_open_at(argv[2], k, &s)))
			goto fail;
		snprintf(what, sizeof what, "schema-%d", k);
		if ((rc = store_begin(s)) ||
		    (stage_sql[k - 1] != NULL && (rc = store_exec(s, stage_sql[k - 1]))) ||
		    (rc = audit_append(s, "mkfixture", "fixture.stage", what, "rows of this version")) ||
		    (rc = store_exec(s, "UPDATE schema_version SET applied_at = " T0)) ||
		    (rc = store_commit(s))) {
			store_close(s);
			goto fail;
		}
		store_close(s);
	}
	return 0;
fail:
	fprintf(stderr, "mkfixture: %s: %s\n", oa_err_name(rc), oa_errmsg());
	return 1;
}
