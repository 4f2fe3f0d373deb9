#!/bin/sh
# The second row of the test matrix, from bookworm-backports, beside
# bookworm's kernel 6.1 and QEMU 7.2 (which stay): the backports kernel's
# image and headers are installed by their versioned names (installing the
# linux-image-amd64 metapackage from backports would also move
# linux-libc-dev and the metapackages to 6.12), and its QEMU is unpacked
# under ~/.cache/vio9p (scripts/qemu-backports.sh).  Called by
# scripts/install-deps.sh; installs nothing when all is there.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
"$here/apt-backports.sh"

# The versioned packages the backports metapackages depend on.
deps=$(apt-cache depends linux-image-amd64/bookworm-backports \
	linux-headers-amd64/bookworm-backports 2>/dev/null)
versioned() {
	echo "$deps" | sed -n "s/^ *Depends: \\($1-[0-9][^ ]*\\)\$/\\1/p" | head -n 1
}
image=$(versioned linux-image)
headers=$(versioned linux-headers)
if [ -z "$image" ] || [ -z "$headers" ]; then
	echo "backports-deps: no linux-image-amd64 in bookworm-backports" >&2
	exit 1
fi
missing=
for p in "$image" "$headers"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "backports-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086 # a list of package names
	apt-get install -y -q --no-install-recommends $missing
fi
"$here/qemu-backports.sh" >/dev/null
