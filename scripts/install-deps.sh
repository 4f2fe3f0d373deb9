#!/bin/sh
# Install what building and testing vio9p needs on Debian 12, if missing.
# Runs apt-get only when a package is absent, so a warm machine pays nothing.
# Then scripts/backports-deps.sh, likewise.
#
#   scripts/install-deps.sh [LIST...]
#
# Each LIST is one more file of package names, one a line, as the
# scripts/*-deps.txt (e.g. bench/deps.txt, which only `make bench` needs).
set -eu

pkgs="gcc make libc6-dev cpio gzip xz-utils busybox-static qemu-system-x86
linux-image-amd64 linux-headers-amd64 linux-source-6.1 mandoc perl socat shellcheck"
here=$(dirname "$0")
for f in "$here"/*-deps.txt "$@"; do
	[ -f "$f" ] && pkgs="$pkgs $(grep -v '^#' "$f")"
done

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: need root to install$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
# The kernel and QEMU of bookworm-backports, for the test matrix.
"$here/backports-deps.sh"
