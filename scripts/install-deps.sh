#!/bin/sh
# Installs the Debian packages cnnc needs that are missing (Debian 12, apt-get).
#
#   scripts/install-deps.sh           to build cnnc and run `make demo`
#                                     (debian-packages.txt)
#   scripts/install-deps.sh --tests   also what only the tests need: `make test`,
#                                     `make check`, `make test-asan`
#                                     (debian-packages-test.txt too)
#
# Run as root, or as a user who may sudo. Does nothing (and runs no apt-get)
# when every package is present. apt-get's output goes to a log file; this
# prints one line per step, and the log's end when a step fails.
set -eu
cd "$(dirname "$0")/.."

lists=debian-packages.txt
case "${1:-}" in
    "") ;;
    --tests) lists="$lists debian-packages-test.txt" ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-deps: unknown option '$1' (use --tests, or nothing)" >&2; exit 2 ;;
esac

# the packages of the lists (a '#' starts a comment)
wanted=$(sed 's/#.*//' $lists | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
n_wanted=$(echo "$wanted" | wc -l)
# shellcheck disable=SC2086  # one word per package
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $wanted 2>/dev/null |
            awk '$NF == "installed" { print $1 }' | sort -u)
missing=$(echo "$wanted" | grep -v -x -F "$installed" || true)
[ -z "$installed" ] && missing=$wanted
if [ -z "$missing" ]; then
    echo "install-deps: all $n_wanted packages present ($lists)"
    exit 0
fi
n_missing=$(echo "$missing" | wc -l)
missing=$(echo $missing)

log=$(mktemp --suffix=.log "${TMPDIR:-/tmp}/cnnc-install-deps.XXXXXX")
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
        echo "install-deps: not root and no sudo; as root: apt-get install $missing" >&2
        exit 1
    }
    SUDO=sudo
fi
apt() {   # apt ARGS...: apt-get, its output to the log
    echo "+ apt-get $*" >>"$log"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get "$@" >>"$log" 2>&1
}
failed() {
    echo "install-deps: $1 failed; the end of $log:" >&2
    tail -n 20 "$log" | sed 's/^/    /' >&2
    exit 1
}

s=s; [ "$n_missing" -eq 1 ] && s=
echo "install-deps: installing $n_missing package$s: $missing"
echo "install-deps: apt-get update (log: $log)"
apt update || failed "apt-get update"
echo "install-deps: apt-get install"
# shellcheck disable=SC2086
apt install -y --no-install-recommends $missing || failed "apt-get install"
echo "install-deps: done (log: $log)"
