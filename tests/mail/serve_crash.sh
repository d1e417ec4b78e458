#!/usr/bin/env bash
# kill -9 of `openams serve` while it delivers e-mail: after a restart every
# message still arrives (counted at a real SMTP server on 127.0.0.1), and a
# message delivered but not yet marked sent comes again with the same
# Message-ID and bytes (the receiver can drop it).  All end `sent`.
set -euo pipefail
enqueue=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/openams-mailcrash-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; fails=$((fails + 1)); }
N=30

mkdir -p "$tmp/msgs"
echo 0.3 > "$tmp/delay"   # each 250 reply comes 0.3 s after the message is stored
/usr/bin/python3 "$here/smtpd.py" --out "$tmp/msgs" --port-file "$tmp/port" --delay-file "$tmp/delay" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
printf 'mail.smtp_url = smtp://127.0.0.1:%s\nmail.starttls = no\nmail.from = openams@kominfo.uji.go.id\n' "$port" > "$tmp/extra.conf"
export OPENAMS_DIR=$tmp/d
"$OPENAMS" init --config "$tmp/extra.conf" >/dev/null
"$enqueue" "$OPENAMS_DIR" "$N"
queued=$("$OPENAMS" mail list --state queued | grep -c . || true)
[ "$queued" -eq "$N" ] && ok "$N messages queued" || no "queued: $queued"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
"$OPENAMS" serve --listen "127.0.0.1:$(free_port)" 2>"$tmp/serve1.log" &
srv=$!; pids+=($srv)
for _ in $(seq 1 200); do [ "$(ls "$tmp/msgs" | grep -c '\.eml$' || true)" -ge 5 ] && break; sleep 0.05; done
kill -9 "$srv"; wait "$srv" 2>/dev/null || true
got=$(ls "$tmp/msgs" | grep -c '\.eml$' || true)
[ "$got" -ge 5 ] && [ "$got" -lt "$N" ] && ok "killed with -9 mid-delivery ($got of $N received)" || no "kill came at $got of $N"
sending=$("$OPENAMS" mail list --state sending | grep -c . || true)
echo "# left in sending: $sending"

"$OPENAMS" serve --listen "127.0.0.1:$(free_port)" 2>"$tmp/serve2.log" &
srv=$!; pids+=($srv)
for _ in $(seq 1 600); do
  sent=$("$OPENAMS" mail list --state sent | grep -c . || true)
  [ "$sent" -eq "$N" ] && break
  sleep 0.1
done
kill -TERM "$srv"; wait "$srv" && ok "the restarted server stops cleanly" || no "serve exit status"
[ "$sent" -eq "$N" ] && ok "all $N marked sent after the restart" || no "only $sent sent"
grep -q "requeued" "$tmp/serve2.log" && ok "the restart requeued what the crash left in sending" || echo "# (nothing was left in sending)"
out=$(/usr/bin/python3 "$here/check.py" count "$tmp/msgs" "$N" 2>&1) && ok "every message arrived; any duplicate has the same Message-ID and bytes ($out)" || no "$out"
echo "$fails failed"
[ "$fails" -eq 0 ]
