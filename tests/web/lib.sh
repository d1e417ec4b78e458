# lib.sh - helpers of the web tests (sourced, never run alone).
#
# Every script gets what ../lib/common.sh gives: $T (a private temporary
# directory, removed on exit), TAP-like ok/nok/check helpers, and
# free_port/start_server/stop_server, which run `openams serve` in the
# background on a free loopback port, remember its PID and stop it with
# `kill PID` (never by name) when the script exits.  Here: no proxies, all
# traffic goes to 127.0.0.1; and csr, urlenc, http and hdr.

# shellcheck shell=bash
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_TAG=web
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$HERE/../lib/common.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY || true
export no_proxy=127.0.0.1

# csr OUTPREFIX SUBJ: an EC P-256 key and a PEM CSR.
csr() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
	openssl req -new -key "$1.key" -subj "$2" -utf8 -out "$1.csr"
}

# urlenc STRING: percent-encodes everything but unreserved characters.
urlenc() {
	"$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# http ARGS...: curl printing "STATUS CONTENT-TYPE" (body to $T/body, headers to $T/hdr).
http() {
	rm -f "$T/body" "$T/hdr"
	curl -sS -m 10 -o "$T/body" -D "$T/hdr" -w '%{http_code} %{content_type}' "$@" || true
}

# hdr NAME: a header of the last http call (value only, no CR).
hdr() {
	grep -i "^$1:" "$T/hdr" | head -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'
}
