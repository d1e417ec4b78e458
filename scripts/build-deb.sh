#!/usr/bin/env bash
# Builds the Debian package openams from this tree and checks it with lintian.
#   scripts/build-deb.sh OUTDIR
# The tree is copied (without build directories or git metadata) into a
# temporary directory, built there with `dpkg-buildpackage -us -uc -b`
# (DEB_BUILD_OPTIONS="nocheck parallel=2"), so nothing is left in the source
# tree; OUTDIR receives openams_VERSION_ARCH.deb, the .buildinfo and .changes,
# and lintian.txt.  Exit 1 when the build fails or lintian reports any error
# or warning (overrides, each with its reason: debian/openams.lintian-overrides).
# Needs dpkg-dev, debhelper, fakeroot and lintian (scripts/install-deps.sh).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/openams-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The tree as git would see it, plus uncommitted changes; never build*/ or var/
# (ignored), nor Python caches.
mkdir "$work/openams"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# (ls-files names deleted-but-unstaged files too: only those that exist)
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			case $f in */__pycache__/*) continue ;; esac   # left by tests run in the tree
			if [ -e "$src/$f" ]; then printf '%s\0' "$f"; fi
		done |
		(cd "$src" && xargs -0 -r cp --parents -a -t "$work/openams")
else
	tar -C "$src" --exclude='./build*' --exclude=./var --exclude=./.git -cf - . | tar -C "$work/openams" -xf -
fi
[ -f "$work/openams/debian/control" ] || { echo "build-deb: no debian/ in $src" >&2; exit 1; }

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
meson_version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$src/meson.build" | head -1)
if [ "${version%%-*}" != "$meson_version" ]; then
	echo "build-deb: debian/changelog says $version, meson.build $meson_version" >&2
	exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

started=$(date +%s)
(cd "$work/openams" &&
	DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
	tail -n 60 "$work/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (log above)" >&2
	exit 1
}
echo "build-deb: built in $(($(date +%s) - started)) s"

for f in "$work"/openams_"$version"_"$arch".deb "$work"/openams*_"$version"_"$arch".buildinfo \
	"$work"/openams_"$version"_"$arch".changes; do
	[ -e "$f" ] && cp "$f" "$out/"
done
deb=$out/openams_${version}_${arch}.deb
[ -f "$deb" ] || { echo "build-deb: no $deb" >&2; exit 1; }
echo "build-deb: $deb"

# lintian: any error or warning fails; info and pedantic tags are shown only.
rc=0
lintian --display-info --fail-on error,warning "$deb" >"$out/lintian.txt" 2>&1 || rc=$?
cat "$out/lintian.txt"
if [ "$rc" -ne 0 ] || grep -Eq '^[EW]: ' "$out/lintian.txt"; then
	echo "build-deb: lintian is not clean" >&2
	exit 1
fi
echo "build-deb: lintian clean"
