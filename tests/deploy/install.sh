#!/bin/bash
# `meson install --destdir` puts openams in its places (issue 19, item 2):
# the program, profiles and SOPs in the share directory (-Dsharedir, never the
# source tree), the example configuration, the systemd unit with its
# hardening, the documentation and the nginx example, an empty private
# /var/lib/openams; the installed program reads the installed share directory.
#   install.sh BUILDDIR
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
B=$1
R=$T/root
opt() { meson introspect "$B" --buildoptions | "$PY" -c "import json,sys; print({o['name']: o['value'] for o in json.load(sys.stdin)}['$1'])"; }
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
prefix=$(opt prefix)
share=$(opt sharedir); [ -n "$share" ] || share=$prefix/$(opt datadir)/openams
share=$(abs "$share")
sysconf=$(abs "$(opt sysconfdir)")
state=$(abs "$(opt localstatedir)")
doc=$(abs "$(opt datadir)")/doc/openams
echo "# prefix $prefix, share $share, sysconf $sysconf, state $state"

check "meson install --destdir" meson install -C "$B" --destdir "$R" --no-rebuild --quiet
check "the program in bindir" test -x "$R$(abs "$(opt bindir)")/openams"
check "profiles in the share directory" test -f "$R$share/profiles/individual.yaml"
check_eq "every shipped SOP in the share directory" "$(cd "$R$share/sop" && ls | sort | tr '\n' ' ')" \
	"$(cd "$OPENAMS_SRC/sop" && ls | sort | tr '\n' ' ')"
check "the share directory is not the source tree" test "$share" != "$OPENAMS_SRC"
check "the example configuration in sysconfdir/openams" test -f "$R$sysconf/openams/openams.conf.example"
unit=$R$prefix/lib/systemd/system/openams.service
check "the systemd unit" test -f "$unit"
for d in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes ReadWritePaths=/var/lib/openams \
	'CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_DAC_READ_SEARCH$' ProtectHome=yes RestrictAddressFamilies= SystemCallFilter=@system-service \
	'ExecStart=.*/usr/bin/openams serve --dir /var/lib/openams'; do
	check_match "... with $d" "$(cat "$unit")" "^$d"
done
check_nomatch "... started as root (no User=: it switches to web.user itself)" "$(cat "$unit")" '^User='
check "the documentation" test -f "$R$doc/DEPLOY.md"
check "the nginx example" test -f "$R$doc/examples/nginx/openams.conf"
check_match "... OCSP and CRL paths cacheable" "$(cat "$R$doc/examples/nginx/openams.conf")" 'proxy_cache openams_pki'
check "an empty data directory" test -d "$R$state/lib/openams"
check_eq "... the owner's alone" "$(stat -c %a "$R$state/lib/openams")" 700

# The installed program: its share directory, never the source tree.
exe=$R$(abs "$(opt bindir)")/openams
check_match "the installed program runs" "$(env -u OPENAMS_SHARE "$exe" --version)" '^openams [0-9.]+ \(schema [0-9]+\)$'
rc=0; env -u OPENAMS_SHARE "$exe" init --dir "$T/i1" >out 2>err || rc=$?
check_eq "without OPENAMS_SHARE it reads only the installed share directory (absent here)" "$rc" 1
check_match "... and says where it looked" "$(cat err)" "$share/profiles"
check_nomatch "... not the source tree" "$(cat err)" "$OPENAMS_SRC"
check "with OPENAMS_SHARE at the installed copy, init works" env OPENAMS_SHARE="$R$share" "$exe" init --dir "$T/i2"
check_eq "... with the installed SOPs" "$(ls "$T/i2/sop" | sort | tr '\n' ' ')" "$(cd "$OPENAMS_SRC/sop" && ls | sort | tr '\n' ' ')"
finish
