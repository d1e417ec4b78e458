/*
 * m0006_mail.c - migration 6, owned by the mail module (src/mail): the
 * outbox.  Only src/mail reads or writes this table.
 *
 * One row per message, rendered at enqueue: raw holds the exact bytes sent
 * (RFC 5322 with MIME, CRLF line ends), message_id its fixed Message-ID.
 * The state machine of mail.h is enforced here so that no bug in C can
 * lose or alter a message:
 *   - a queued or sending message is never deleted;
 *   - what was rendered (recipient, subject, Message-ID, bytes) never
 *     changes; the bytes may only be discarded, once a message holding a
 *     link token is sent;
 *   - sent and kept are final; the allowed transitions are
 *     queued -> sending | kept, sending -> sending (lease taken over after a
 *     crash) | sent | queued | failed, failed -> queued (administrator).
 */
#include "migrations.h"

#pragma GCC diagnostic ignored "-Woverlength-strings"

const char m0006_mail_sql[] =
    "CREATE TABLE mail_outbox ("
    "  id INTEGER PRIMARY KEY CHECK (id > 0),"
    "  event TEXT NOT NULL CHECK (event IN ('activation', 'identity_form', 'account',"
    "    'set_passphrase', 'cert_issued', 'cert_revoked', 'file_incomplete', 'sla_reminder',"
    "    'sla_escalation', 'notice')),"
    "  lang TEXT NOT NULL CHECK (lang IN ('id', 'en')),"
    "  rcpt TEXT NOT NULL CHECK (length(rcpt) BETWEEN 3 AND 128 AND rcpt GLOB '?*@?*.?*'),"
    "  rcpt_name TEXT NOT NULL DEFAULT '' CHECK (length(rcpt_name) <= 128),"
    "  person TEXT CHECK (person IS NULL OR length(person) BETWEEN 1 AND 64),"
    "  case_id INTEGER CHECK (case_id IS NULL OR case_id > 0),"
    "  subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 998),"
    "  message_id TEXT NOT NULL UNIQUE CHECK (length(message_id) BETWEEN 8 AND 255),"
    "  secret INTEGER NOT NULL CHECK (secret IN (0, 1)),"
    "  raw BLOB CHECK (raw IS NULL OR length(raw) > 0),"
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'kept')),"
    "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
    "  next_attempt INTEGER NOT NULL,"
    "  lease_until INTEGER,"
    "  last_error TEXT CHECK (last_error IS NULL OR length(last_error) <= 512),"
    "  created_at INTEGER NOT NULL,"
    "  done_at INTEGER,"
    "  CHECK ((state = 'sending') = (lease_until IS NOT NULL)),"
    "  CHECK ((state IN ('sent', 'kept', 'failed')) = (done_at IS NOT NULL)),"
    "  CHECK (raw IS NOT NULL OR (state = 'sent' AND secret = 1))"
    ");"
    /* The delivery query: due queued messages, and expired leases. */
    "CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt, id) WHERE state = 'queued';"
    "CREATE INDEX mail_outbox_lease ON mail_outbox(lease_until, id) WHERE state = 'sending';"
    "CREATE INDEX mail_outbox_state ON mail_outbox(state, id);"
    "CREATE INDEX mail_outbox_case ON mail_outbox(case_id) WHERE case_id IS NOT NULL;"
    "CREATE TRIGGER mail_outbox_keep_pending BEFORE DELETE ON mail_outbox"
    "  WHEN OLD.state IN ('queued', 'sending')"
    "  BEGIN SELECT RAISE(ABORT, 'a message waiting to be sent is never deleted'); END;"
    "CREATE TRIGGER mail_outbox_fixed BEFORE UPDATE OF id, event, lang, rcpt, rcpt_name,"
    "  person, case_id, subject, message_id, secret, created_at ON mail_outbox"
    "  BEGIN SELECT RAISE(ABORT, 'a rendered message never changes'); END;"
    "CREATE TRIGGER mail_outbox_raw BEFORE UPDATE OF raw ON mail_outbox"
    "  WHEN NEW.raw IS NOT NULL AND NEW.raw IS NOT OLD.raw"
    "  BEGIN SELECT RAISE(ABORT, 'a rendered message never changes'); END;"
    "CREATE TRIGGER mail_outbox_final BEFORE UPDATE ON mail_outbox"
    "  WHEN OLD.state IN ('sent', 'kept')"
    "  BEGIN SELECT RAISE(ABORT, 'a sent or kept message never changes'); END;"
    "CREATE TRIGGER mail_outbox_flow BEFORE UPDATE OF state ON mail_outbox"
    "  WHEN NOT ((OLD.state = 'queued' AND NEW.state IN ('queued', 'sending', 'kept'))"
    "    OR (OLD.state = 'sending' AND NEW.state IN ('sending', 'sent', 'queued', 'failed'))"
    "    OR (OLD.state = 'failed' AND NEW.state IN ('failed', 'queued')))"
    "  BEGIN SELECT RAISE(ABORT, 'mail state transition not allowed'); END;";
