#!/usr/bin/env bash
# Installs, with apt, whatever openams needs that is missing.  Idempotent:
# packages already installed are left alone, and apt-get update runs only
# when something must be installed.  Needs root (or sudo) on Debian 12.
#
#   scripts/install-deps.sh          build + run + test dependencies
set -euo pipefail

PKGS=(
  # build
  build-essential meson ninja-build pkg-config
  libssl-dev libsqlite3-dev libyaml-dev libcmocka-dev
  libmicrohttpd-dev libjansson-dev libargon2-dev libsodium-dev liboath-dev
  libqrencode-dev libmagic-dev libcurl4-openssl-dev libseccomp-dev libp11-dev libp11-kit-dev
  libpwquality-dev cracklib-runtime libqpdf-dev libpng-dev zlib1g-dev libpoppler-glib-dev
  # run and test
  openssl sqlite3 python3
  # PostgreSQL: the second store backend (libpq), and the server its tests start themselves
  libpq-dev postgresql
  # implementations we did not write, to check what openams produces
  gnutls-bin libnss3-tools python3-cryptography libxml2-utils curl python3-aiosmtpd
  python3-yaml
  # PDF signatures (tests/sign): poppler's pdfsig and qpdf check what openams signs
  poppler-utils qpdf python3-pikepdf
  # the fuzzing harnesses (tests/fuzz): clang and its libFuzzer and sanitizer runtimes
  clang libclang-rt-14-dev
  # PKCS#11: SoftHSM2 and the tools to drive it
  softhsm2 opensc libp11-dev
  # the Debian package (scripts/build-deb.sh, tests/deploy/deb.sh): build and lintian
  dpkg-dev debhelper fakeroot lintian
  # systemd-analyze judges the unit (tests/deploy/unit.sh); nothing is started
  systemd
)
# The portal's browser tests (tests/portal): Debian's chromium, driven by
# playwright-core from npm; node and npm from Debian unless a node is already
# installed (NodeSource's nodejs package brings its own npm).
PKGS+=(chromium)
command -v node >/dev/null || PKGS+=(nodejs)
command -v npm >/dev/null || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
