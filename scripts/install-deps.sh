#!/bin/sh
# Installs the Debian packages of debian-packages.txt that are missing.
# Run as root (or with sudo available). Does nothing when all are present.
set -eu
cd "$(dirname "$0")/.."
missing=""
for p in $(grep -v '^#' debian-packages.txt); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && { echo "install-deps: all packages present"; exit 0; }
echo "install-deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
