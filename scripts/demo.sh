#!/usr/bin/env bash
# Command 1: install what is missing, build, create a demo instance in
# var/demo (SQLite, a development CA, the shipped profiles and SOPs, one
# account per SOP role), and start the portal on 127.0.0.1 so that a newcomer
# can walk SOP 001 in a browser with the printed logins.
#
#   scripts/demo.sh            PORT=8080 by default, else the next free port
#
# Interactive (a terminal): the server runs in the foreground (Ctrl-C stops
# it).  Otherwise it runs in the background; its PID and the command that
# stops it are printed (and kept in var/demo/serve.pid).  Re-running reuses
# the instance, and a demo server it started that is still running.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

echo "== 1/3 packages (apt, only what is missing)"
bash scripts/install-deps.sh
echo "== 2/3 build (meson + ninja in build/; the first build takes a few minutes)"
[ -d build ] || meson setup build --buildtype=debugoptimized | tail -n 3
# ninja's own progress line ([n/total]); a terminal shows it in place
ninja -C build

export OPENAMS_DIR="$top/var/demo"
openams="$top/build/src/cli/openams"
oa() { echo "\$ openams $*" >&2; "$openams" "$@"; }
pidfile="$OPENAMS_DIR/serve.pid"

# A demo server started by an earlier run and still running: reuse it.
running=""
if [ -f "$pidfile" ]; then
  read -r oldpid oldaddr < "$pidfile" || true
  if [ -n "${oldpid:-}" ] && kill -0 "$oldpid" 2>/dev/null &&
     grep -q 'openams' "/proc/$oldpid/cmdline" 2>/dev/null; then
    running=$oldaddr
  fi
fi

# The address: $PORT (default 8080), else the next free port.
port=${PORT:-8080}
if [ -n "$running" ]; then
  addr=$running
else
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    port=$((port + 1))
  done
  addr=127.0.0.1:$port
fi

echo "== 3/3 demo instance"
if [ ! -f "$OPENAMS_DIR/openams.conf" ]; then
  conf=$(mktemp)
  printf 'web.public_url = http://%s\n' "$addr" > "$conf"
  oa init --demo --config "$conf" >/dev/null
  rm -f "$conf"
  echo "demo instance created in $OPENAMS_DIR"
else
  echo "(re-using the demo instance in $OPENAMS_DIR; remove it for a fresh one)"
  # the e-mails link to web.public_url: keep it on this run's address
  sed -i "s|^web.public_url = .*|web.public_url = http://$addr|" "$OPENAMS_DIR/openams.conf"
fi
oa config check >/dev/null
oa sop simulate "$OPENAMS_DIR/sop/001-penerbitan-meranti.yaml" | tail -n 1 || true
oa audit verify
applicant_nik=$(awk -F '\t' '$1 == "pemohon.demo" {print $4}' "$OPENAMS_DIR/secrets/demo-logins.txt")

cat <<MSG

Portal: http://$addr/   (CA: /ca, status: /status, CRL: /pki/issuing.crl, OCSP: /ocsp, API: /api/v1)

Demo logins, from $OPENAMS_DIR/secrets/demo-logins.txt:
$(awk -F '\t' 'BEGIN {printf "  %-18s %-26s %-18s %s\n", "USER", "PASSWORD", "NIK", "ROLES"}
  {printf "  %-18s %-26s %-18s %s\n", $1, $2, $4, $3}' "$OPENAMS_DIR/secrets/demo-logins.txt")

The applicant pemohon.demo (Siti Rahmawati) has NIK $applicant_nik: the identity form takes it.
Sample files to upload are in $top/demo/: surat-permohonan.pdf, formulir-rekomendasi.pdf,
fc-ktp.pdf, fc-sk.pdf, pasfoto.jpg (the identity form's photo), and surat-untuk-ditandatangani.pdf
(a letter to sign; its "\$" marks the signature place: openams sign pdf --tag '\$').

Walk SOP 001 (issuance, Kab. Kepulauan Meranti) alone:
  1. Sign in as pemohon.demo: Permohonan baru -> meranti-penerbitan; upload the four PDFs; "Kirim".
  2. Sign in as kadis.demo, then kabid.demo: open the case from "Kotak tugas", "Teruskan".
  3. As verifikator.demo: verify ("Selesai"), then "Ya" (or "Tidak": back to the applicant).
  4. The e-mails are kept in the outbox: build/src/cli/openams mail list / mail show ID gives the
     identity-form and set-passphrase links; open them, fill, send; verifikator.demo says "Ya" between.
  5. As bsre.demo: "Terbitkan"; as pemohon.demo: "Sertifikat saya" downloads the certificate.
  6. As pemohon.demo: "Tanda tangan" signs demo/surat-untuk-ditandatangani.pdf with the passphrase
     of step 4; anyone checks the result at http://$addr/verify.
(OPENAMS_DIR=$OPENAMS_DIR for the CLI: build/src/cli/openams --help)
MSG

if [ -n "$running" ]; then
  echo
  echo "The demo server is already running (PID ${oldpid}) on http://$addr; stop it with: kill $oldpid"
  exit 0
fi

if [ -t 0 ] && [ -t 1 ] && [ "${OPENAMS_DEMO_BACKGROUND:-}" = "" ]; then
  echo
  echo "Serving on http://$addr  -- press Ctrl-C to stop."
  exec "$openams" serve --listen "$addr"
fi

# Not interactive: in the background, its PID kept; bounded wait for /healthz.
log="$OPENAMS_DIR/serve.log"
nohup "$openams" serve --listen "$addr" >>"$log" 2>&1 </dev/null &
pid=$!
echo "$pid $addr" > "$pidfile"
for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null "http://$addr/healthz" 2>/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "demo: the server did not start; see $log" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo
echo "Serving on http://$addr in the background (PID $pid, log $log)."
echo "Stop it with: kill $pid"
