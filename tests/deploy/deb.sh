#!/bin/bash
# The Debian package (issue 19, item 2): scripts/build-deb.sh builds it from
# the tree, lintian reports no error or warning, and nothing is left in the
# source tree.  Then it is installed into a throw-away root: an overlayfs
# over / (upper layer on a tmpfs) inside a private mount namespace, so the
# host's files, users and dpkg database are never touched.  There `dpkg -i`
# creates the system users openams and openams-signer and /var/lib/openams
# (openams, 0700) and puts every file where DEPLOY.md says; an instance made
# in /var/lib/openams with its first administrator, owned as DEPLOY.md says
# (keys/ and /etc/openams/ca.pass openams-signer's alone: the openams user
# cannot read a CA key nor the passphrase), serves as the unit runs it (root
# with the unit's capability bounding set and no-new-privileges, the
# passphrase as a credential): the server switches to openams, its signer
# launcher stays root, and every signer, also the one that replaces a signer
# killed with SIGKILL, runs as openams-signer; /healthz answers and the
# administrator signs in over the API.  Then, against that server, an
# administrator's accounts and SOP from the command line (as openams), one
# issuance case walked over the API by its five roles (walkcase.py) to a
# certificate that verifies; `openams backup` as root while a bounded load
# (document uploads, OCSP requests) runs; restored into another directory,
# where the audit chain verifies, is the server's up to the restored head,
# and the certificates, cases and documents are exactly those the server's
# audit log had recorded up to that head, including every upload
# acknowledged before the backup started.  `dpkg --purge` removes the users
# and the data.  Every server and load is stopped by its PID; the mounts go
# with the namespace.
#   deb.sh VERSION       (suite package: a package build, minutes; needs root)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

PW='Kuat-Sekali-Rahasia-2026'
CAPASS='Sandi-CA-Yang-Panjang-2026'
PATH_IN='/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

# ---------------------------------------------------------------------------
# Inside the private mount namespace: deb.sh --inside DEB VERSION WORKDIR
# (WORKDIR belongs to the outer script, which removes it once this process,
# and with it the namespace and its mounts, has gone).
PIDS=()
inside_cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	# The mounts vanish with the namespace anyway; unmount in order all the same.
	[ -z "${R:-}" ] || umount -R -l "$R" 2>/dev/null || true
	[ -z "${O:-}" ] || umount -l "$O" 2>/dev/null || true
}

# in_root CMD...: CMD in the installed root, with a clean environment.
in_root() { chroot "$R" /usr/bin/env -i PATH="$PATH_IN" LANG=C.UTF-8 "$@"; }
# as_user USER CMD...: CMD in the installed root as USER (and its groups).
as_user() { local u=$1; shift; in_root setpriv --reuid "$u" --regid "$u" --init-groups -- "$@"; }

# wait_healthy PID URL LOG: bounded wait for /healthz; 0 when it answered.
wait_healthy() {
	for _ in $(seq 150); do
		if curl -fsS -m 2 -o /dev/null "$2/healthz" 2>/dev/null; then return 0; fi
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/#   /' "$3" | head -n 20
	return 1
}

# stop_pid PID: SIGTERM, bounded wait; returns its exit status.
stop_pid() {
	local rc=0
	kill -TERM "$1"
	for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	wait "$1" || rc=$?
	return $rc
}

# ocsp DIR PORT SERIAL: one OCSP request (an operation that needs a signer;
# a serial not asked before, so no cached answer).
ocsp() {
	openssl ocsp -issuer "$1/pki/issuing.crt" -serial "$3" -url "http://127.0.0.1:$2/ocsp" \
		-CAfile "$1/pki/chain.pem" -no_nonce 2>&1
}

# ps_user PID: the user a process runs as.  children PID: its children's PIDs.
ps_user() { in_root ps -o user:32= -p "$1" | tr -d ' '; }
children() { in_root ps -o pid= --ppid "$1" | tr -d ' '; }
# wait_gone PID: bounded wait until it has gone.
wait_gone() {
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}

inside() {
	local deb=$1 version=$2 W=$3
	trap 'inside_cleanup; cleanup' EXIT
	O=$W/ovl
	R=$W/root
	mkdir -p "$O" "$R"
	# The upper layer lives in memory: nothing the installation writes reaches a disk.
	if ! mount -t tmpfs -o mode=0700,size=2g openams-deb "$O" || ! mkdir "$O/upper" "$O/work" ||
		! mount -t overlay openams-deb -o "lowerdir=/,upperdir=$O/upper,workdir=$O/work" "$R"; then
		nok "an overlayfs over / in a private mount namespace"
		finish
		exit 1
	fi
	ok "an overlayfs over / in a private mount namespace"
	mount -t proc proc "$R/proc"
	mount --bind /dev "$R/dev"
	mount -t tmpfs -o mode=1777 tmp "$R/tmp"
	# A fresh /run: no host daemon's socket (systemd, nscd) is reachable from the root.
	mount -t tmpfs -o mode=0755 run "$R/run"
	mkdir -p "$R/run/lock"
	# Nothing may be started by the maintainer scripts; man-db's index is not rebuilt.
	printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
	chmod 755 "$R/usr/sbin/policy-rc.d"
	rm -f "$R/var/lib/man-db/auto-update"
	check_nomatch "the root starts without openams users" "$(grep -E '^openams(-signer)?:' "$R/etc/passwd" || true)" .

	# ---- dpkg -i ----
	cp "$deb" "$R/tmp/openams.deb"
	check "dpkg -i openams.deb" in_root DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/openams.deb
	check_match "... installed" "$(in_root dpkg-query -W -f '${Status} ${Version}' openams)" \
		"^install ok installed $version\$"
	local pw sg
	pw=$(in_root getent passwd openams || true)
	sg=$(in_root getent passwd openams-signer || true)
	check_match "postinst created the system user openams (home /var/lib/openams, no login)" "$pw" \
		'^openams:x:[0-9]+:[0-9]+:[^:]*:/var/lib/openams:/usr/sbin/nologin$'
	check_match "... and openams-signer (no home, no login)" "$sg" \
		'^openams-signer:x:[0-9]+:[0-9]+:[^:]*:/nonexistent:/usr/sbin/nologin$'
	check "... both system users (uid below 1000)" test "$(cut -d: -f3 <<<"$pw")" -lt 1000 -a \
		"$(cut -d: -f3 <<<"$sg")" -lt 1000
	check "... each with its own group" in_root getent group openams openams-signer
	check "... different uids" test "$(cut -d: -f3 <<<"$pw")" != "$(cut -d: -f3 <<<"$sg")"
	check_nomatch "... in the root only: the host's /etc/passwd has neither" \
		"$(grep -E '^openams(-signer)?:' /etc/passwd || true)" .
	check_eq "/var/lib/openams: openams's, 0700" "$(in_root stat -c '%U:%G %a' /var/lib/openams)" "openams:openams 700"
	check_eq "... and empty: the package initialises no instance" "$(ls -A "$R/var/lib/openams")" ""
	check "/usr/bin/openams" test -x "$R/usr/bin/openams"
	check_match "... runs: its version" "$(in_root openams --version)" "^openams $version \\(schema [0-9]+\\)\$"
	check "profiles in /usr/share/openams" test -f "$R/usr/share/openams/profiles/individual.yaml"
	check_eq "every shipped SOP in /usr/share/openams/sop" "$(cd "$R/usr/share/openams/sop" && ls | sort | tr '\n' ' ')" \
		"$(cd "$OPENAMS_SRC/sop" && ls | sort | tr '\n' ' ')"
	local ex=$R/etc/openams/openams.conf.example
	check "the example configuration in /etc/openams" test -f "$ex"
	check_match "... a conffile" "$(in_root dpkg-query -W -f '${Conffiles}' openams)" '/etc/openams/openams.conf.example'
	check_match "... naming the signer's user" "$(cat "$ex")" '^signer\.user = openams-signer$'
	check_match "... and the server's" "$(cat "$ex")" '^web\.user = openams$'
	check_eq "... otherwise the tree's etc/openams.conf.example" \
		"$(diff "$OPENAMS_SRC/etc/openams.conf.example" "$ex" | grep -c '^[<>]')" 4
	local unit=$R/lib/systemd/system/openams.service
	check "the systemd unit in /lib/systemd/system" test -f "$unit"
	check_eq "... the tree's etc/systemd/openams.service" "$(cmp "$OPENAMS_SRC/etc/systemd/openams.service" "$unit" && echo same)" same
	check "... installed, not enabled" test ! -e "$R/etc/systemd/system/multi-user.target.wants/openams.service"
	for f in README.md DEPLOY.md ARCHITECTURE.md copyright examples/nginx/openams.conf; do
		check "/usr/share/doc/openams/$f" test -f "$R/usr/share/doc/openams/$f"
	done
	check "the manual page" test -f "$R/usr/share/man/man1/openams.1.gz"
	check "dpkg -i again (the users exist): no change" in_root DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/openams.deb
	check_eq "... the same openams user" "$(in_root getent passwd openams || true)" "$pw"
	check_eq "... the same openams-signer user" "$(in_root getent passwd openams-signer || true)" "$sg"

	# ---- an instance, as DEPLOY.md makes one ----
	(umask 077 && printf '%s\n' "$CAPASS" >"$R/etc/openams/ca.pass")
	printf '%s\n' "$PW" >"$R/tmp/admin.pw"
	chmod 600 "$R/tmp/admin.pw"
	# As root: init makes the instance beside the directory and renames it into
	# place, which needs /var/lib, not the openams user's to write.
	check "openams init (as root), the passphrase from /etc/openams/ca.pass" \
		in_root openams init --dir /var/lib/openams --config /etc/openams/openams.conf.example \
		--passphrase-file /etc/openams/ca.pass --admin-email root@kominfo.go.id \
		--admin-name "Ani Administrator" --admin-password-file /tmp/admin.pw
	rm -f "$R/tmp/admin.pw"
	# The ownership DEPLOY.md gives, command for command.
	check "... then chown -R openams:openams /var/lib/openams" in_root chown -R openams:openams /var/lib/openams
	check "... chown openams-signer:openams /var/lib/openams/keys" in_root chown openams-signer:openams /var/lib/openams/keys
	check "... chmod 0730 /var/lib/openams/keys" in_root chmod 0730 /var/lib/openams/keys
	check "... chown openams-signer:openams-signer /var/lib/openams/keys/*.key" \
		in_root sh -c 'chown openams-signer:openams-signer /var/lib/openams/keys/*.key'
	check "... chmod 0600 /var/lib/openams/keys/*.key" in_root sh -c 'chmod 0600 /var/lib/openams/keys/*.key'
	check "... chown openams-signer:openams-signer /etc/openams/ca.pass" \
		in_root chown openams-signer:openams-signer /etc/openams/ca.pass
	check "... chmod 0600 /etc/openams/ca.pass" in_root chmod 0600 /etc/openams/ca.pass
	check_eq "... the data directory: openams's, 0700" "$(in_root stat -c '%U:%G %a' /var/lib/openams)" "openams:openams 700"
	check_eq "... every file in it but keys/ openams's, no one else's to read" \
		"$(in_root find /var/lib/openams -path /var/lib/openams/keys -prune -o \( ! -user openams -o -perm /077 \) -print | wc -l)" 0
	check_eq "... keys/: openams-signer:openams, 0730" "$(in_root stat -c '%U:%G %a' /var/lib/openams/keys)" \
		"openams-signer:openams 730"
	check_eq "... each CA key openams-signer's, 0600" \
		"$(in_root sh -c "stat -c '%U:%G %a' /var/lib/openams/keys/*.key" | sort -u)" "openams-signer:openams-signer 600"
	check_eq "... /etc/openams/ca.pass openams-signer's, 0600" "$(in_root stat -c '%U:%G %a' /etc/openams/ca.pass)" \
		"openams-signer:openams-signer 600"
	check_not "the openams user cannot read keys/issuing.key (runuser -u openams -- cat)" \
		in_root runuser -u openams -- cat /var/lib/openams/keys/issuing.key
	check_not "... nor keys/root.key" in_root runuser -u openams -- cat /var/lib/openams/keys/root.key
	check_not "... nor the passphrase file" in_root runuser -u openams -- cat /etc/openams/ca.pass
	check_nomatch "... no copy of the passphrase in it" "$(grep -rl "$CAPASS" "$R/var/lib/openams" || true)" .
	check_match "... profiles and SOPs from /usr/share/openams" "$(ls "$R/var/lib/openams/sop")" '^001-'
	check_match "... its configuration names signer.user = openams-signer" \
		"$(cat "$R/var/lib/openams/openams.conf")" '^signer\.user = openams-signer$'

	# ---- the server, as the unit runs it ----
	local exec caps port base cmd
	exec=$(sed -n 's/^ExecStart=//p' "$unit")
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
	check_nomatch "the unit starts openams as root (no User=, no Group=)" "$(cat "$unit")" '^(User|Group)='
	check_eq "... with the capabilities to switch users and read the keys, no other" "$caps" \
		"CAP_SETUID CAP_SETGID CAP_DAC_READ_SEARCH"
	check_match "... its ExecStart serves /var/lib/openams on 127.0.0.1:8080" "$exec" \
		'/usr/bin/openams serve --dir /var/lib/openams --listen 127\.0\.0\.1:8080'
	port=$(free_port)
	base=http://127.0.0.1:$port
	cmd=${exec//127.0.0.1:8080/127.0.0.1:$port}
	eval "set -- $cmd"
	# What systemd does: the credential (root's: the unit has no User=), the
	# unit's Environment= and UMask=, its CapabilityBoundingSet= and
	# NoNewPrivileges=.
	mkdir -p "$R/run/credentials/openams.service"
	cp "$R/etc/openams/ca.pass" "$R/run/credentials/openams.service/ca.pass"
	chown -R 0:0 "$R/run/credentials/openams.service"
	chmod 0400 "$R/run/credentials/openams.service/ca.pass"
	local bset
	bset=-all$(for c in $caps; do c=${c#CAP_}; printf ',+%s' "${c,,}"; done)
	(
		umask 077
		exec chroot "$R" /usr/bin/env -i PATH="$PATH_IN" LANG=C.UTF-8 OPENAMS_DIR=/var/lib/openams \
			CREDENTIALS_DIRECTORY=/run/credentials/openams.service \
			setpriv --bounding-set "$bset" --inh-caps -all --no-new-privs -- "$@"
	) 2>"$W/serve.log" &
	local spid=$!
	PIDS+=("$spid")
	check "the server answers /healthz" wait_healthy "$spid" "$base" "$W/serve.log"
	check_match "... ok" "$(curl -sS -m 5 "$base/healthz")" '"status":"ok"'
	check_eq "... the server runs as openams (ps -o user)" "$(ps_user "$spid")" openams
	check_nomatch "... its environment holds no passphrase" "$(tr '\0' '\n' <"/proc/$spid/environ")" "$CAPASS"
	local launcher
	launcher=$(children "$spid" | head -n 1)
	check_match "... its one child, the signer launcher" "$launcher" '^[0-9]+$'
	check_eq "... stays root" "$(ps_user "${launcher:-0}")" root
	check_match "... it is /usr/bin/openams serve" "$(in_root ps -o args= -p "$spid")" '^/usr/bin/openams serve --dir /var/lib/openams'
	local login
	login=$(curl -sS -m 10 -D "$W/h" -H 'Content-Type: application/json' \
		-d "{\"username\":\"admin\",\"password\":\"$PW\"}" "$base/api/v1/session" || true)
	check_match "the first administrator signs in over the API" "$(head -n 1 "$W/h")" ' 200'
	check_match "... a session and its CSRF token" "$login" '"csrf":"[^"]+"'
	check_match "... holding no role until they enrol TOTP" "$login" '"roles":\[\]'
	local cookie
	cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' "$W/h" | head -n 1)
	check_eq "... the session is theirs: /api/v1/people refuses them (403), not the anonymous (401)" \
		"$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/api/v1/people") $(curl -sS -m 5 -o /dev/null -w '%{http_code}' "$base/api/v1/people")" \
		"403 401"
	check_match "an OCSP request is answered (a signer started)" "$(ocsp "$R/var/lib/openams" "$port" 0x1234)" \
		'Response verify OK'
	local signer signer2
	signer=$(children "${launcher:-0}" | head -n 1)
	check_match "... the launcher started it" "$signer" '^[0-9]+$'
	check_match "... /usr/bin/openams __signer" "$(in_root ps -o args= -p "${signer:-0}")" \
		'^/usr/bin/openams __signer --dir /var/lib/openams$'
	check_eq "... running as openams-signer (ps -o user)" "$(ps_user "${signer:-0}")" openams-signer
	check "the signer is killed (SIGKILL, by its PID)" kill -KILL "${signer:-0}"
	check "... and gone" wait_gone "${signer:-0}"
	check_match "the next OCSP request is answered" "$(ocsp "$R/var/lib/openams" "$port" 0x5678)" 'Response verify OK'
	signer2=$(children "${launcher:-0}" | head -n 1)
	check "... by a new signer" test -n "$signer2" -a "${signer2:-0}" != "${signer:-0}"
	check_eq "... running as openams-signer" "$(ps_user "${signer2:-0}")" openams-signer

	# ---- one issuance case, walked over the API of the installed server ----
	# The accounts and the SOP as an administrator makes them on the command
	# line, as the openams user (the server's), beside the running server.
	local sopv n=1 who
	sopv=$(as_user openams openams sop list --dir /var/lib/openams | awk -F'\t' '$2 == "meranti-penerbitan" { print $1 }')
	check_match "the shipped SOP meranti-penerbitan is installed (openams sop list, as openams)" "$sopv" '^[0-9]+$'
	check "... and activated (openams sop activate $sopv)" as_user openams openams sop activate "${sopv:-0}" --dir /var/lib/openams
	printf '%s\n' "$PW" >"$R/tmp/person.pw"
	in_root chown openams:openams /tmp/person.pw
	chmod 600 "$R/tmp/person.pw"
	: >"$W/logins"
	check "the applicant's account (openams person add, role grant pemohon)" as_user openams sh -c \
		'openams person add --dir /var/lib/openams --id siti --name "Siti Rahmawati" --email siti@kominfo.go.id --nik 1471015505900001 --password-file /tmp/person.pw >/dev/null && openams role grant siti pemohon --dir /var/lib/openams'
	printf 'pemohon\tsiti\t%s\tSiti Rahmawati\t1471015505900001\tsiti@kominfo.go.id\n' "$PW" >>"$W/logins"
	for who in kadis kabid verifikator bsre; do
		n=$((n + 1))
		check "... the $who's" as_user openams sh -c "openams person add --dir /var/lib/openams --id $who.1 --name 'Petugas $who' --email $who@kominfo.go.id --nik 14710112038000$(printf %02d $n) --password-file /tmp/person.pw >/dev/null && openams role grant $who.1 $who --dir /var/lib/openams"
		printf '%s\t%s.1\t%s\n' "$who" "$who" "$PW" >>"$W/logins"
	done
	rm -f "$R/tmp/person.pw"
	mkdir -p "$W/walk"
	local out rc=0
	out=$("$PY" "$OPENAMS_SRC/tests/deploy/walkcase.py" walk "$port" "$W/logins" \
		"$R/var/lib/openams/sop/001-penerbitan-meranti.yaml" "$W/walk" 2>&1) || rc=$?
	printf '%s\n' "$out" | grep -v '^# walkcase.py'
	PASS=$((PASS + $(grep -c '^ok - ' <<<"$out" || true)))
	FAIL=$((FAIL + $(grep -c '^not ok - ' <<<"$out" || true)))
	check_eq "... the walk ran to its end" "$rc" 0
	local serial
	serial=$(cat "$W/walk/serial" 2>/dev/null || true)
	check "the certificate verifies against the published chain (openssl verify)" \
		openssl verify -CAfile "$R/var/lib/openams/pki/chain.pem" "$W/walk/cert.pem"
	check_match "... OCSP: good" "$(openssl ocsp -issuer "$R/var/lib/openams/pki/issuing.crt" -cert "$W/walk/cert.pem" \
		-url "http://127.0.0.1:$port/ocsp" -CAfile "$R/var/lib/openams/pki/chain.pem" 2>&1)" "$W/walk/cert.pem: good"

	# ---- backup under load, restore elsewhere, audit and counts there ----
	# A bounded load beside the backup: the applicant attaches documents to a
	# second case one after another (each acknowledged one logged), and OCSP
	# requests for serials not asked before (each signed by a signer).  Both
	# are ended by their PIDs.
	local db=$R/var/lib/openams/openams.db
	: >"$W/ack"
	"$PY" "$OPENAMS_SRC/tests/deploy/walkcase.py" load "$port" "$W/logins" 3000 "$W/ack" 2>"$W/load.err" &
	local lpid=$!
	PIDS+=("$lpid")
	(for i in $(seq 1000 1400); do ocsp "$R/var/lib/openams" "$port" "$i" | grep -q 'Response verify OK' || exit 1; done) &
	local opid=$!
	PIDS+=("$opid")
	for _ in $(seq 100); do [ "$(wc -l <"$W/ack")" -ge 20 ] && break; sleep 0.1; done
	local ack0 ack1 a0 a1
	ack0=$(wc -l <"$W/ack")
	head -n "$ack0" "$W/ack" >"$W/ack.before"
	a0=$(sqlite3 -readonly "$db" "SELECT count(*) FROM audit")
	printf '%s\n' "$(openssl rand -hex 16)" >"$R/tmp/backup.pass"
	chmod 600 "$R/tmp/backup.pass"
	in_root chown openams /tmp/backup.pass
	check_not "openams backup as the openams user is refused: it cannot read the CA keys" \
		as_user openams openams backup --dir /var/lib/openams --out /tmp/user.oab --passphrase-file /tmp/backup.pass
	check_match "... saying where (keys/ is -wx for it)" "$(cat "$T/.check.out")" '^openams: io: /var/lib/openams/keys: Permission denied'
	check "... and leaving no archive" test ! -e "$R/tmp/user.oab"
	in_root chown root /tmp/backup.pass
	# As root, as the unit starts openams.
	check "openams backup (as root) while the server serves the load" \
		in_root openams backup --dir /var/lib/openams --out /tmp/instance.oab --passphrase-file /tmp/backup.pass
	sed 's/^/# /' "$T/.check.out"
	local counted
	counted=$(sed -n 's/^counts: //p' "$T/.check.out")
	check_match "... saying what its database copy holds" "$counted" \
		'^audit=[0-9]+ head=[0-9a-f]{64} certificates=[0-9]+ cases=[0-9]+ documents=[0-9]+$'
	ack1=$(wc -l <"$W/ack")
	a1=$(sqlite3 -readonly "$db" "SELECT count(*) FROM audit")
	check "... the load was running before the backup (20 or more documents acknowledged)" test "$ack0" -ge 20
	check "... and wrote during it ($ack0 -> $ack1 documents)" test "$ack1" -gt "$ack0"
	# Each ends by itself (0) after its bounded count, else here by SIGTERM
	# (143); 1 is a refused upload or a failed OCSP request.
	local lrc=0 orc=0
	kill -TERM "$lpid" "$opid" 2>/dev/null || true
	wait "$lpid" || lrc=$?
	wait "$opid" || orc=$?
	PIDS=("$spid")
	check_match "... no upload of the load was refused (exit $lrc)" "$lrc" '^(0|143)$'
	check_eq "... (nothing on its stderr)" "$(cat "$W/load.err")" ""
	check_match "... every OCSP request was answered and verified (exit $orc)" "$orc" '^(0|143)$'
	check_eq "the archive: root's alone" "$(stat -c '%U %a' "$R/tmp/instance.oab")" "root 600"
	check "openams restore into another directory (/var/lib/openams-restored)" \
		in_root openams restore --in /tmp/instance.oab --dir /var/lib/openams-restored --passphrase-file /tmp/backup.pass
	out=$(cat "$T/.check.out")
	sed "s/^/# /" "$T/.check.out"
	local rdb=$R/var/lib/openams-restored/openams.db rn
	check "openams audit verify there" in_root openams audit verify --dir /var/lib/openams-restored
	rn=$(sqlite3 -readonly "$rdb" "SELECT count(*) FROM audit" || echo 0)
	check_match "... restore checked the counts against the backup's manifest" "$out" \
		"^counts: $counted \\(as the backup's manifest says\\)\$"
	check_match "... restore reported the chain intact, with as many records" "$out" \
		"audit intact \\($rn records, head [0-9a-f]{16}\\)"
	check "... the records of before the backup, none of after it ($a0 <= $rn <= $a1)" test "$rn" -ge "$a0" -a "$rn" -le "$a1"
	check_eq "... the same chain as the server's up to there" \
		"$(sqlite3 -readonly "$rdb" "SELECT hash FROM audit WHERE seq = $rn")" \
		"$(sqlite3 -readonly "$db" "SELECT hash FROM audit WHERE seq = $rn")"
	# Every write is one transaction with its audit record: the server's log up
	# to the restored head says how many rows the backup's instant held.
	local at
	at=$(sqlite3 -readonly "$db" "SELECT (SELECT count(*) FROM audit WHERE seq <= $rn AND action = 'cert.issue'),
		(SELECT count(*) FROM audit WHERE seq <= $rn AND action = 'case.open'),
		(SELECT count(*) FROM audit WHERE seq <= $rn AND action = 'case.attach')")
	check_eq "... certificates, cases, documents: as many as the server had at that record" \
		"$(sqlite3 -readonly "$rdb" "SELECT (SELECT count(*) FROM certificate), (SELECT count(*) FROM sop_case),
			(SELECT count(*) FROM sop_case_document)")" "$at"
	local nc nk nd
	IFS='|' read -r nc nk nd <<<"$at"
	check_eq "... which is what the backup counted in its manifest" "$counted" \
		"audit=$rn head=$(sqlite3 -readonly "$db" "SELECT hash FROM audit WHERE seq = $rn") certificates=$nc cases=$nk documents=$nd"
	check_match "... restore reported as many certificates issued" "$out" " ${at%%|*} certificates issued, 0 revoked"
	check_eq "... 1 certificate and 2 cases" "$(cut -d'|' -f1,2 <<<"$at")" "1|2"
	check_eq "... every document acknowledged before the backup started ($ack0)" \
		"$(sqlite3 -readonly "$rdb" "SELECT count(*) FROM sop_case_document WHERE case_id = 2 AND sha256 IN ($(sed "s/.*/'&'/" "$W/ack.before" | paste -sd,))")" "$ack0"
	check_eq "... the walked case, completed, with its certificate, active" \
		"$(sqlite3 -readonly "$rdb" "SELECT c.state, t.status FROM sop_case c JOIN certificate t ON t.serial = '$serial' WHERE c.id = 1")" \
		"completed|active"
	check "... the restored files: root's (who restored), 0600" test -z \
		"$(in_root find /var/lib/openams-restored -type f \( ! -user root -o -perm /077 \) -print)"
	rm -rf "$R/var/lib/openams-restored" "$R/tmp/instance.oab" "$R/tmp/backup.pass"
	check "the server stops on SIGTERM (by its PID)" stop_pid "$spid"
	check "... its launcher with it" wait_gone "${launcher:-0}"
	check "... and its signer" wait_gone "${signer2:-0}"
	check_match "... having logged its requests" "$(cat "$W/serve.log")" 'route="/api/v1/session" status=200'
	check_nomatch "... and no password" "$(cat "$W/serve.log")" "$PW|$CAPASS"
	check_eq "every file of the instance but the CA keys is still openams's" \
		"$(in_root find /var/lib/openams -path /var/lib/openams/keys -prune -o ! -user openams -print | wc -l)" 0
	check_eq "... (keys/ the signer's, its keys too)" \
		"$(in_root find /var/lib/openams/keys ! -user openams-signer | wc -l)" 0

	# ---- purge ----
	rm -f "$R/etc/openams/ca.pass"
	check "dpkg --purge openams" in_root DEBIAN_FRONTEND=noninteractive dpkg --purge openams
	check_nomatch "... removes both users" "$(grep -E '^openams(-signer)?:' "$R/etc/passwd" || true)" .
	check_nomatch "... and their groups" "$(grep -E '^openams(-signer)?:' "$R/etc/group" || true)" .
	check "... and /var/lib/openams" test ! -e "$R/var/lib/openams"
	check "... and /etc/openams" test ! -e "$R/etc/openams"
	check "... and the program" test ! -e "$R/usr/bin/openams"
	finish
}

if [ "${1:-}" = --inside ]; then
	inside "$2" "$3" "$4"
	exit
fi

# ---------------------------------------------------------------------------
VERSION=${1:?usage: deb.sh VERSION}
if [ "$(id -u)" -ne 0 ]; then
	echo "# needs root (a mount namespace and chroot): skipped"
	exit 77
fi
started=$(date +%s)
parent=$(cd "$OPENAMS_SRC/.." && pwd)
products() { (cd "$parent" && ls -d openams_*.deb openams_*.changes openams_*.buildinfo 2>/dev/null || true); }
before=$(products)
rc=0
"$OPENAMS_SRC/scripts/build-deb.sh" "$T/out" >"$T/build.out" 2>&1 || rc=$?
check_eq "scripts/build-deb.sh builds the package and finds lintian clean" "$rc" 0
if [ "$rc" -ne 0 ]; then
	tail -n 40 "$T/build.out" | sed 's/^/#   /'
	finish
	exit 1
fi
grep '^build-deb: built in' "$T/build.out" | sed 's/^/# /'
deb=$T/out/openams_${VERSION}_$(dpkg --print-architecture).deb
check "the package has meson's project version ($VERSION)" test -f "$deb"
check_eq "... binary package openams" "$(dpkg-deb -f "$deb" Package)" openams
check_match "... depends on adduser" "$(dpkg-deb -f "$deb" Depends)" '(^|, )adduser(,|$)'
check_nomatch "lintian: no error and no warning" "$(cat "$T/out/lintian.txt")" '^[EW]: '
echo "# lintian: $(grep -c '^[A-Z]: ' "$T/out/lintian.txt" || true) tags ($(grep -Ec '^[IPX]: ' "$T/out/lintian.txt" || true) info/pedantic/experimental)"
sed 's/^/#   /' "$T/out/lintian.txt"
check_eq "no build products in the source tree" \
	"$(cd "$OPENAMS_SRC" && ls -d obj-* debian/openams debian/.debhelper debian/files debian/debhelper-build-stamp \
		debian/*.substvars debian/*.debhelper.log 2>/dev/null || true)" ""
check_eq "... nor beside it" "$(products)" "$before"

# The installation, in a private mount namespace (see inside above).
rc=0
unshare -m --propagation private bash "$0" --inside "$deb" "$VERSION" "$T/ns" >"$T/inside.out" 2>&1 || rc=$?
grep -v '^# deb.sh: [0-9]* passed' "$T/inside.out" || true
PASS=$((PASS + $(grep -c '^ok - ' "$T/inside.out" || true)))
FAIL=$((FAIL + $(grep -c '^not ok - ' "$T/inside.out" || true)))
check_eq "the installation checks ran to their end" "$rc" 0
echo "# deb.sh: $(($(date +%s) - started)) s"
finish
