#!/bin/bash
# The systemd unit (etc/systemd/openams.service) as systemd itself reads it:
# `systemd-analyze verify` finds nothing to say about it, and `systemd-analyze
# security --offline` rates its sandboxing at most 3.0 ("OK"; 2.3 when this
# was written), so a setting dropped or weakened fails here.  No systemd runs
# in the test machines (PID 1 is not systemd), so the unit is never started
# here: deploy-deb starts the server as its ExecStart does.
#   unit.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

unit=$OPENAMS_SRC/etc/systemd/openams.service
if ! command -v systemd-analyze >/dev/null; then
	echo "# systemd-analyze missing (apt-get install systemd)"
	exit 77
fi
cp "$unit" "$T/openams.service"
# --threshold counts in tenths of the printed level (systemd 252: 30 is 3.0).
rc=0; out=$(systemd-analyze verify "$T/openams.service" 2>&1) || rc=$?
check_eq "systemd-analyze verify: exit 0" "$rc" 0
check_eq "... and nothing to report" "$out" ""
rc=0; out=$(systemd-analyze security --offline=true --threshold=30 "$T/openams.service" 2>&1) || rc=$?
check_eq "systemd-analyze security --offline --threshold=30 (3.0): exit 0" "$rc" 0
check_match "... overall exposure at most 3.0" "$(grep 'Overall exposure' <<<"$out")" \
	'exposure level for openams.service: [0-2]\.[0-9]|exposure level for openams.service: 3\.0'
# A unit with its sandbox removed must fail the same check (the check can fail).
grep -vE '^(ProtectSystem|NoNewPrivileges|PrivateTmp|PrivateDevices|CapabilityBoundingSet|SystemCallFilter|RestrictAddressFamilies|ProtectKernel[A-Za-z]*|ProtectHome|MemoryDenyWriteExecute|RestrictNamespaces|LockPersonality|RestrictSUIDSGID|ProtectControlGroups|ProtectClock|RestrictRealtime|ProtectHostname|SystemCallArchitectures|PrivateUsers|ProtectProc|ProcSubset)=' \
	"$unit" >"$T/bare.service"
rc=0; systemd-analyze security --offline=true --threshold=30 "$T/bare.service" >/dev/null 2>&1 || rc=$?
check "... while the same unit without its sandbox is refused (exit $rc)" test "$rc" -ne 0
finish
