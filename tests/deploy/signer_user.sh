#!/bin/bash
# A signer user of its own (issue 19): `openams serve` started as root with
# web.user = daemon and signer.user = nobody (two users every Debian system
# has) forks a launcher that stays root, then runs as daemon; every signer the
# launcher starts runs as nobody, including the one that replaces a signer
# killed with SIGKILL.  The instance is owned as DEPLOY.md says (keys/ and the
# passphrase file the signer user's alone), so the server's user cannot read
# a CA key nor the passphrase, and the passphrase, handed over in the
# environment as the systemd unit does, is not left in the server's.  Every
# process is stopped by its PID.
#   signer_user.sh      (suite deploy; needs root, else skipped)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "# needs root (the server starts as root and switches user): skipped"
	exit 77
fi
WEB=daemon
SIGNER=nobody
if ! getent passwd "$WEB" >/dev/null || ! getent passwd "$SIGNER" >/dev/null; then
	echo "# the users $WEB and $SIGNER are needed: skipped"
	exit 77
fi
SGROUP=$(id -gn "$SIGNER")
WGROUP=$(id -gn "$WEB")
# The users reach the instance (and the binary, through the build tree).
chmod 0711 "$T"
if ! runuser -u "$WEB" -- test -x "$OPENAMS"; then
	echo "# $OPENAMS is not executable by $WEB: skipped"
	exit 77
fi

CAPASS='Sandi-CA-Uji-Pengguna-2026'
D=$T/inst
(umask 077 && printf '%s\n' "$CAPASS" >"$T/ca.pass")
new_instance "$D" --demo --passphrase-file "$T/ca.pass"
sed -i "s/^web\\.user = .*/web.user = $WEB/; s/^signer\\.user = .*/signer.user = $SIGNER/" "$D/openams.conf"
check_match "the instance names web.user and signer.user" "$(grep -E '^(web|signer)\.user = ' "$D/openams.conf" | tr '\n' ' ')" \
	"^signer\\.user = $SIGNER web\\.user = $WEB \$"
check_nomatch "... and no copy of the passphrase" "$(grep -rl "$CAPASS" "$D" || true)" .

# The ownership DEPLOY.md gives (with daemon for openams, nobody for openams-signer).
chown -R "$WEB:$WGROUP" "$D"
chown "$SIGNER:$WGROUP" "$D/keys"
chmod 0730 "$D/keys"
chown "$SIGNER:$SGROUP" "$D"/keys/*.key
chmod 0600 "$D"/keys/*.key
chown "$SIGNER:$SGROUP" "$T/ca.pass"
chmod 0600 "$T/ca.pass"
check_not "$WEB cannot read keys/issuing.key" runuser -u "$WEB" -- cat "$D/keys/issuing.key"
check_not "... nor keys/root.key" runuser -u "$WEB" -- cat "$D/keys/root.key"
check_not "... nor list keys/" runuser -u "$WEB" -- ls "$D/keys"
check_not "... nor the passphrase file" runuser -u "$WEB" -- cat "$T/ca.pass"
check_eq "keys/: $SIGNER:$WGROUP, 0730" "$(stat -c '%U:%G %a' "$D/keys")" "$SIGNER:$WGROUP 730"
check_eq "... each key $SIGNER's, 0600" "$(stat -c '%U:%G %a' "$D"/keys/*.key | sort -u)" "$SIGNER:$SGROUP 600"

# ps_user PID: the user a process runs as.
ps_user() { ps -o user:32= -p "$1" | tr -d ' '; }
# children PID: the PIDs of its children.
children() { ps -o pid= --ppid "$1" | tr -d ' '; }
# ocsp SERIAL: one OCSP request for a serial not asked before (no cache).
ocsp() {
	openssl ocsp -issuer "$D/pki/issuing.crt" -serial "$1" -url "$BASE/ocsp" \
		-CAfile "$D/pki/chain.pem" -no_nonce 2>&1
}
# wait_gone PID: bounded wait until it has gone.
wait_gone() {
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}

# The server as the unit starts it: root, the passphrase in the environment.
port=$(free_port)
OPENAMS_CA_PASSPHRASE=$(cat "$T/ca.pass") start_server "$D" "$port" "$T/serve.log"
check_eq "the server started as root runs as $WEB (ps -o user)" "$(ps_user "$SERVER_PID")" "$WEB"
check_nomatch "... its environment holds no passphrase" "$(tr '\0' '\n' <"/proc/$SERVER_PID/environ")" "$CAPASS"
launcher=$(children "$SERVER_PID")
check_match "one child: the signer launcher" "$launcher" '^[0-9]+$'
launcher=${launcher%%$'\n'*}
check_eq "... running as root" "$(ps_user "$launcher")" root
check_eq "... named openams-launch" "$(ps -o comm= -p "$launcher")" openams-launch
check_eq "... no signer yet" "$(children "$launcher" | wc -l)" 0

check_match "an OCSP request is answered (a signer starts)" "$(ocsp 0x5151)" 'Response verify OK'
signer=$(children "$launcher" | head -n 1)
check_match "... the launcher started it" "$signer" '^[0-9]+$'
check_match "... openams __signer --dir DIR" "$(ps -o args= -p "${signer:-0}")" "__signer --dir $D\$"
check_eq "... running as $SIGNER" "$(ps_user "${signer:-0}")" "$SIGNER"
check_nomatch "... its environment holds no passphrase (it wiped it)" \
	"$(tr '\0' '\n' <"/proc/${signer:-0}/environ" 2>/dev/null || true)" "$CAPASS"

check "the signer is killed (SIGKILL, by its PID)" kill -KILL "${signer:-0}"
check "... and gone (reaped by the launcher)" wait_gone "${signer:-0}"
check_match "the next OCSP request is answered" "$(ocsp 0x5252)" 'Response verify OK'
signer2=$(children "$launcher" | head -n 1)
check_match "... by a new signer" "$signer2" '^[0-9]+$'
check "... another process" test "${signer2:-0}" != "${signer:-0}"
check_eq "... running as $SIGNER" "$(ps_user "${signer2:-0}")" "$SIGNER"
check_eq "the server still runs as $WEB" "$(ps_user "$SERVER_PID")" "$WEB"
check_match "... and answers /healthz" \
	"$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "$BASE/healthz")" '^200$'

check "the server stops on SIGTERM (by its PID)" stop_server
check "... the launcher with it" wait_gone "$launcher"
check "... and the signer" wait_gone "${signer2:-0}"
check_nomatch "the log holds no passphrase" "$(cat "$T/serve.log")" "$CAPASS"
check_eq "every file the server wrote is $WEB's (none root's)" \
	"$(find "$D" -user root | wc -l)" 0

# Started by its own user (not root), nothing changes: no launcher.
chown -R "$WEB:$WGROUP" "$D/keys"
port=$(free_port)
(
	export OPENAMS_CA_PASSPHRASE="$CAPASS"
	exec setpriv --reuid "$WEB" --regid "$WGROUP" --init-groups -- \
		"$OPENAMS" serve --dir "$D" --listen "127.0.0.1:$port"
) 2>"$T/serve2.log" &
SERVER_PID=$!
BASE=http://127.0.0.1:$port
for _ in $(seq 100); do
	curl -fsS -m 2 -o /dev/null "$BASE/healthz" 2>/dev/null && break
	sleep 0.1
done
check_match "started as $WEB: an OCSP request is answered" "$(ocsp 0x5353)" 'Response verify OK'
check_eq "... its signer is its own child, as $WEB" \
	"$(ps -o user:32=,args= --ppid "$SERVER_PID" | grep -c "^$WEB .*__signer")" 1
check "... the server stops (by its PID)" stop_server
finish
